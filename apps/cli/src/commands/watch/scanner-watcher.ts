import { watch as chokidarWatch } from 'chokidar';
import { lstat, readdir } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { fileSha256 } from '../ingest/file-sha256';
import { RequestAborted } from '../ingest/medrec-client';
import type { Destination, SendResult } from './destinations';
import { isCandidateName } from './scanner-files';
import { SettleTracker } from './settle-tracker';
import type { WatchedFolder } from './watched-folder';
import type { JournalEntry, WatchJournal } from './watch-journal';

export interface ScannerWatcherOptions {
  folder: WatchedFolder;
  destination: Destination;
  journal: WatchJournal;
  /** How long a file's size and mtime must stay the same before it is sent. */
  settleMs: number;
  /** Poll the folder every so many ms instead of relying on file-system events (network shares). */
  pollMs?: number;
  /** A full listing of the folder this often, in case an event was lost. */
  rescanMs?: number;
  /** First wait before a file whose send failed (no answer, 5xx, 429) is tried again; it doubles up to retryMaxMs. */
  retryBaseMs?: number;
  retryMaxMs?: number;
  /** One line per thing done; file names appear, nothing else about the patient. */
  log: (line: string) => void;
  /** Aborting stops the watcher: the send under way is abandoned (the journal resolves it on the next start). */
  signal: AbortSignal;
}

/**
 * Watches a scanner's output folder until the signal is aborted: every finished file (found at
 * start or written later) is sent once, then moved to done/ or to refused/ with its reason. Resolves
 * once stopped; rejects with the error that stops it for good (credentials refused, wrong server).
 */
export async function watchScannerFolder(options: ScannerWatcherOptions): Promise<void> {
  const { folder, destination, journal, log, signal } = options;
  const root = folder.path;
  const tracker = new SettleTracker(options.settleMs);
  const retryBaseMs = options.retryBaseMs ?? 5_000;
  const retryMaxMs = options.retryMaxMs ?? 5 * 60_000;
  const candidates = new Set<string>();
  const queue: string[] = [];
  const retries = new Map<string, { at: number; failures: number }>();
  const triedThisRun = new Set<string>();
  let busy: string | undefined;
  let draining: Promise<void> | undefined;
  let fatal: (error: unknown) => void = () => undefined;
  const failed = new Promise<never>((_, reject) => (fatal = reject));
  // A fatal error after a stop was asked for is not reported by the race below; it must not crash the process either.
  failed.catch(() => undefined);

  const consider = (path: string) => {
    const name = basename(path);
    if (resolve(dirname(path)) === root && isCandidateName(name)) candidates.add(name);
  };

  await resolveUnfinished(root, journal, log);

  const watcher = chokidarWatch(root, {
    depth: 0,
    ignoreInitial: false,
    ignorePermissionErrors: true,
    ...(options.pollMs ? { usePolling: true, interval: options.pollMs, binaryInterval: options.pollMs } : {}),
    ignored: (path: string) => resolve(path) !== root && (resolve(dirname(path)) !== root || !isCandidateName(basename(path))),
  });
  watcher.on('add', consider).on('change', consider);
  watcher.on('unlink', (path) => {
    candidates.delete(basename(path));
    tracker.forget(basename(path));
  });
  watcher.on('error', (error) => log(`watch error: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`));

  const rescan = async () => {
    for (const name of await readdir(root).catch(() => [] as string[])) if (isCandidateName(name)) candidates.add(name);
  };

  const tick = async () => {
    const now = Date.now();
    for (const name of [...candidates]) {
      if (name === busy || queue.includes(name)) continue;
      const retry = retries.get(name);
      if (retry && retry.at > now) continue;
      const stats = await lstat(join(root, name)).catch(() => undefined);
      if (!stats?.isFile()) {
        // Gone, a folder, or a symbolic link (which could point anywhere): not the scanner's output.
        candidates.delete(name);
        tracker.forget(name);
        continue;
      }
      if (tracker.observe(name, stats) === 'settled') {
        candidates.delete(name);
        queue.push(name);
      }
    }
    draining ??= drain().finally(() => (draining = undefined));
  };

  const drain = async () => {
    while (queue.length > 0 && !signal.aborted) {
      busy = queue.shift()!;
      try {
        await processFile(busy);
      } catch (error) {
        if (error instanceof RequestAborted) return;
        fatal(error);
        return;
      } finally {
        busy = undefined;
      }
    }
  };

  const retryLater = (name: string, why: string) => {
    const failures = (retries.get(name)?.failures ?? 0) + 1;
    const delay = Math.min(retryBaseMs * 2 ** (failures - 1), retryMaxMs);
    retries.set(name, { at: Date.now() + delay, failures });
    candidates.add(name);
    log(`waiting ${name}: ${why}; trying again in ${Math.round(delay / 1000)} s (the file stays in the folder)`);
  };

  const processFile = async (name: string) => {
    const path = join(root, name);
    const stillSettled = async () => {
      const stats = await lstat(path).catch(() => undefined);
      return stats?.isFile() === true && tracker.unchanged(name, stats);
    };
    if (!(await stillSettled())) return candidates.add(name);
    let sha256: string;
    try {
      sha256 = await fileSha256(path);
    } catch (error) {
      return retryLater(name, `cannot read the file (${(error as NodeJS.ErrnoException).code ?? 'error'})`);
    }
    // Written to again while it was being read: it settles again first.
    if (!(await stillSettled())) return candidates.add(name);

    const prepared = await destination.prepare(name, root);
    if (prepared.kind === 'failed') return retryLater(name, prepared.error);
    if (prepared.kind === 'refused') return refuse(name, prepared);
    const key = `${prepared.key}:${sha256}`;
    const earlier = journal.unfinished(key);
    let result: SendResult;
    if (earlier?.op === 'sent') {
      result = { kind: 'sent', id: earlier.id, what: prepared.key === 'stack' ? 'stack' : 'record', existing: earlier.existing };
    } else if (earlier?.op === 'refused') {
      result = { kind: 'refused', status: earlier.status, detail: earlier.detail, ...(earlier.reason ? { reason: earlier.reason } : {}) };
    } else {
      if (earlier?.op === 'sending' && !triedThisRun.has(key)) {
        log(`resending ${name}: an earlier send was interrupted (the server recognises a repeat, nothing is made twice)`);
      }
      triedThisRun.add(key);
      await journal.record({ op: 'sending', key, sha256, name });
      result = await prepared.send(path, name, sha256);
      if (result.kind === 'failed') return retryLater(name, result.error);
      if (result.kind === 'sent') await journal.record({ op: 'sent', key, sha256, name, id: result.id, existing: result.existing });
      else
        await journal.record({
          op: 'refused',
          key,
          sha256,
          name,
          status: result.status as number,
          detail: result.detail,
          ...(result.reason ? { reason: result.reason } : {}),
        });
    }
    retries.delete(name);
    tracker.forget(name);
    if (result.kind === 'sent') {
      const to = await folder.moveToDone(name);
      await journal.record({ op: 'moved', key, sha256, name, to });
      log(`${result.existing ? 'already on the server' : 'sent'}: ${name} → ${result.what} ${result.id} (${to})`);
    } else {
      const to = await folder.moveToRefused(name, reasonText(name, result));
      await journal.record({ op: 'moved', key, sha256, name, to });
      log(`refused: ${name}: ${describeRefusal(result)} (${to}, ${basename(to)}.reason.txt)`);
    }
  };

  const refuse = async (name: string, result: Extract<SendResult, { kind: 'refused' }>) => {
    retries.delete(name);
    tracker.forget(name);
    const to = await folder.moveToRefused(name, reasonText(name, result));
    log(`refused: ${name}: ${describeRefusal(result)} (${to})`);
  };

  const tickMs = Math.min(500, Math.max(25, Math.floor(options.settleMs / 4)));
  let ticking: Promise<void> | undefined;
  const ticker = setInterval(() => {
    // One look at a time: a stat that hangs (a network share gone away) does not pile up more.
    ticking ??= tick()
      .catch((error: unknown) => fatal(error))
      .finally(() => (ticking = undefined));
  }, tickMs);
  const rescanner = setInterval(() => void rescan(), options.rescanMs ?? 60_000);
  const stopped = new Promise<void>((resolveStop) => {
    if (signal.aborted) resolveStop();
    signal.addEventListener('abort', () => resolveStop(), { once: true });
  });
  await rescan();
  log(`watching ${root}: ${destination.description}; a file is sent once unchanged for ${options.settleMs} ms`);
  try {
    await Promise.race([stopped, failed]);
  } finally {
    clearInterval(ticker);
    clearInterval(rescanner);
    await watcher.close();
    await ticking;
    await draining?.catch(() => undefined);
  }
}

/**
 * Steps an earlier run left unfinished, for files that are no longer in the folder: the move to
 * done/ or refused/ went through before its journal line, or someone took the file away.
 * Unfinished steps of files still there are finished when the files are processed again.
 */
async function resolveUnfinished(root: string, journal: WatchJournal, log: (line: string) => void): Promise<void> {
  for (const entry of journal.pending) {
    const present = await lstat(join(root, entry.name)).then(
      (stats) => stats.isFile(),
      () => false,
    );
    if (present) {
      if (entry.op === 'sending') log(`resuming ${entry.name}: its send was interrupted when the watcher stopped`);
      continue;
    }
    if (entry.op === 'sending') log(`${entry.name} was being sent when the watcher stopped and is no longer in the folder; it is not sent again`);
    await journal.record({ op: 'gone', key: entry.key, sha256: entry.sha256, name: entry.name });
  }
}

type Refusal = Extract<SendResult, { kind: 'refused' }> | Extract<JournalEntry, { op: 'refused' }>;

function describeRefusal(result: Refusal): string {
  const status = result.status === 'manifest' ? 'manifest' : `HTTP ${result.status}`;
  return `${status}${result.reason ? ` ${result.reason}` : ''}: ${result.detail}`;
}

/** The reason file: what the server (or the manifest) said; the server keeps PHI out of its problem details. */
function reasonText(name: string, result: Refusal): string {
  return [
    `file: ${name}`,
    `refused: ${new Date().toISOString()}`,
    `by: ${result.status === 'manifest' ? 'the manifest (nothing was sent)' : `the server, HTTP ${result.status}`}`,
    ...(result.reason ? [`reason: ${result.reason}`] : []),
    `detail: ${result.detail}`,
    '',
  ].join('\n');
}
