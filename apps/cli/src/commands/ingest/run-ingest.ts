import { basename } from 'node:path';
import { CliError } from '../../cli-error';
import { fileSha256 } from './file-sha256';
import type { IngestProgress } from './ingest-progress';
import { ingestedKey, IngestState } from './ingest-state';
import { emptyLists, IngestSummary, summarize, SummaryLists } from './ingest-summary';
import type { IngestEntry, InvalidRow } from './manifest-entries';
import type { MedrecClient } from './medrec-client';

export interface RunIngestOptions {
  client: MedrecClient;
  state: IngestState;
  progress: IngestProgress;
  concurrency: number;
  /** Aborting stops new uploads; those under way finish and are recorded. */
  signal?: AbortSignal;
}

export interface IngestRun {
  summary: IngestSummary;
  /** Set when the batch stopped early for a reason no file can get past (credentials refused, wrong server), or its state file could not be saved. */
  error?: CliError;
}

type Outcome =
  | { list: 'ingested'; item: SummaryLists['ingested'][number] }
  | { list: 'skipped'; item: SummaryLists['skipped'][number] }
  | { list: 'refused'; item: SummaryLists['refused'][number] }
  | { list: 'failed'; item: SummaryLists['failed'][number] }
  | { list: 'notAttempted'; item: string };

/** A record of this content for this patient is on the server (created now, or found as a duplicate). */
const isStored = (outcome: Outcome | undefined): boolean =>
  outcome?.list === 'ingested' || (outcome?.list === 'skipped' && outcome.item.recordId !== undefined);

/**
 * Ingests the entries, `concurrency` at a time. Each file is hashed first: the same content for
 * the same patient (as the server's duplicate check sees it), found in the state file or already
 * stored by an earlier row of this batch, is not uploaded again. The same bytes for another
 * patient are another record. Results are listed in manifest order.
 */
export async function runIngest(entries: readonly IngestEntry[], invalid: readonly InvalidRow[], options: RunIngestOptions): Promise<IngestRun> {
  const { client, state, progress, signal } = options;
  const startedAt = Date.now();
  const outcomes = new Array<Outcome>(entries.length);
  let stopError: CliError | undefined;

  /**
   * The first row of this batch with each (patient, content), by manifest order: files are hashed
   * in parallel, but registered in order (a chain), so which row is "first" never depends on which
   * hash finished first. Later rows with the same key wait for the first row's outcome.
   */
  const firstWithContent = new Map<string, number>();
  const finished = entries.map(() => deferred<Outcome | undefined>());
  let registration: Promise<unknown> = Promise.resolve();

  const register = (index: number): Promise<{ sha256: string; key: string; first: number }> => {
    const entry = entries[index];
    const hashed = fileSha256(entry.path);
    hashed.catch(() => undefined); // awaited below, in order; until then, not unhandled
    const registered = registration.then(async () => {
      const sha256 = await hashed;
      const key = ingestedKey(entry.fields.mrn, sha256);
      if (!firstWithContent.has(key)) firstWithContent.set(key, index);
      return { sha256, key, first: firstWithContent.get(key)! };
    });
    registration = registered.catch(() => undefined);
    return registered;
  };

  const ingestOne = async (index: number): Promise<Outcome> => {
    const entry = entries[index];
    const { sha256, key, first } = await register(index);
    const known = state.find(key);
    if (known) {
      progress.skipped(entry.size);
      return { list: 'skipped', item: { file: entry.file, recordId: known.recordId, sha256, reason: 'already-ingested' } };
    }
    // Skipped only once the first copy is stored; if it was refused or failed, this row tries for itself.
    if (first !== index && isStored(await finished[first].promise)) {
      progress.skipped(entry.size);
      return { list: 'skipped', item: { file: entry.file, sha256, reason: 'same-content', sameAs: entries[first].file } };
    }
    return upload(entry, sha256, key);
  };

  const upload = async (entry: IngestEntry, sha256: string, key: string): Promise<Outcome> => {
    const result = await client.createRecord(entry.path, basename(entry.file), entry.fields);
    switch (result.kind) {
      case 'created': {
        const contentHash = result.sha256 || sha256;
        state.remember(key, { recordId: result.recordId, file: entry.file, at: new Date().toISOString() });
        progress.uploaded(entry.size, result.pages);
        const { kind: _kind, ...created } = result;
        return { list: 'ingested', item: { file: entry.file, ...created, sha256: contentHash } };
      }
      case 'duplicate':
        state.remember(key, { recordId: result.recordId, file: entry.file, at: new Date().toISOString() });
        progress.uploaded(entry.size, 0);
        return { list: 'skipped', item: { file: entry.file, recordId: result.recordId, sha256, reason: 'duplicate' } };
      case 'refused':
        progress.uploaded(entry.size, 0);
        return {
          list: 'refused',
          item: { file: entry.file, status: result.status, detail: result.detail, ...(result.reason ? { reason: result.reason } : {}) },
        };
      case 'failed':
        progress.uploaded(entry.size, 0);
        return { list: 'failed', item: { file: entry.file, error: result.error, attempts: result.attempts } };
    }
  };

  const queue = entries.entries();
  const worker = async () => {
    for (const [index, entry] of queue) {
      if (stopError || signal?.aborted) {
        outcomes[index] = { list: 'notAttempted', item: entry.file };
        finished[index].resolve(undefined);
        continue;
      }
      try {
        outcomes[index] = await ingestOne(index);
      } catch (error) {
        if (error instanceof CliError) {
          stopError ??= error;
          outcomes[index] = { list: 'notAttempted', item: entry.file };
        } else {
          // The file went away or became unreadable after the manifest was checked.
          progress.uploaded(entry.size, 0);
          outcomes[index] = { list: 'failed', item: { file: entry.file, error: localError(error), attempts: 0 } };
        }
      }
      finished[index].resolve(outcomes[index]);
    }
  };

  progress.start(
    entries.length,
    entries.reduce((sum, entry) => sum + entry.size, 0),
  );
  try {
    await Promise.all(Array.from({ length: Math.max(1, Math.min(options.concurrency, entries.length)) }, worker));
  } finally {
    progress.stop();
  }
  // A state file that cannot be saved must not hide what was uploaded: the summary (with the new
  // record ids) is still printed, then the error.
  const saved = await state.flush().then(
    () => undefined,
    (error: unknown) => (error instanceof CliError ? error : new CliError('Could not save the state file')),
  );

  const lists = emptyLists();
  lists.invalid.push(...invalid);
  for (const outcome of outcomes) {
    if (outcome.list === 'notAttempted') lists.notAttempted.push(outcome.item);
    else (lists[outcome.list] as (typeof outcome.item)[]).push(outcome.item);
  }
  const error = stopError ?? saved;
  return { summary: summarize(client.server, lists, (Date.now() - startedAt) / 1000), ...(error ? { error } : {}) };
}

function deferred<T>(): { promise: Promise<T>; resolve: (value: T) => void } {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve };
}

/** The error code only: messages of fs errors carry the full path. */
function localError(error: unknown): string {
  const code = (error as NodeJS.ErrnoException)?.code;
  return `cannot read the file (${code ?? (error as Error)?.name ?? 'error'})`;
}
