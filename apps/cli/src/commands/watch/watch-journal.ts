import { open, readFile, rename, type FileHandle } from 'node:fs/promises';
import { dirname } from 'node:path';

/**
 * What the watcher did with a file, one JSON line each, written and fsynced before the step it
 * announces is taken as done. `key` is what the server dedupes on: the destination (a stack, or a
 * record for one patient) and the SHA-256 of the content.
 */
export type JournalEntry =
  | { op: 'sending'; key: string; sha256: string; name: string; at: string }
  | { op: 'sent'; key: string; sha256: string; name: string; at: string; id: string; existing: boolean }
  | { op: 'refused'; key: string; sha256: string; name: string; at: string; status: number; detail: string; reason?: string }
  /** The file left the watched folder (to done/ or refused/): nothing more to do for it. */
  | { op: 'moved'; key: string; sha256: string; name: string; at: string; to: string }
  /** The file was no longer in the folder on a restart (someone took it away): given up. */
  | { op: 'gone'; key: string; sha256: string; name: string; at: string };

export type NewJournalEntry = JournalEntry extends infer E ? (E extends JournalEntry ? Omit<E, 'at'> : never) : never;

const OPS = new Set(['sending', 'sent', 'refused', 'moved', 'gone']);
const FINISHED = new Set(['moved', 'gone']);

/**
 * The watcher's memory across restarts (kill -9 included). Opening it reads what an earlier run
 * left unfinished and rewrites the file with only that (so it stays small); a line torn by a crash
 * is dropped, as the step it announced was not taken as done.
 */
export class WatchJournal {
  private readonly last = new Map<string, JournalEntry>();

  private constructor(
    readonly path: string,
    private handle: FileHandle | undefined,
  ) {}

  static async open(path: string): Promise<WatchJournal> {
    const journal = new WatchJournal(path, undefined);
    for (const entry of parseJournal(await readFile(path, 'utf8').catch(ignoreMissing))) journal.last.set(entry.key, entry);
    for (const [key, entry] of journal.last) if (FINISHED.has(entry.op)) journal.last.delete(key);
    await journal.compact();
    journal.handle = await open(path, 'a', 0o600);
    return journal;
  }

  /** The last step for this key, unless the file it was about has left the folder. */
  unfinished(key: string): JournalEntry | undefined {
    return this.last.get(key);
  }

  /** Every key left unfinished, oldest first: sends under way when the watcher stopped, outcomes not yet acted on. */
  get pending(): JournalEntry[] {
    return [...this.last.values()];
  }

  /** Appends and fsyncs the entry: when this resolves, it survives a crash or a power cut. */
  async record(entry: NewJournalEntry): Promise<void> {
    if (!this.handle) throw new Error('the journal is closed');
    const full = { ...entry, at: new Date().toISOString() };
    await this.handle.appendFile(JSON.stringify(full) + '\n');
    await this.handle.sync();
    if (FINISHED.has(full.op)) this.last.delete(full.key);
    else this.last.set(full.key, full);
  }

  async close(): Promise<void> {
    await this.handle?.close();
    this.handle = undefined;
  }

  /** Rewrites the file with the unfinished entries only: a new file fsynced, renamed over the old one, the folder fsynced. */
  private async compact(): Promise<void> {
    const temporary = `${this.path}.${process.pid}.tmp`;
    const file = await open(temporary, 'w', 0o600);
    try {
      await file.writeFile([...this.last.values()].map((entry) => JSON.stringify(entry) + '\n').join(''));
      await file.sync();
    } finally {
      await file.close();
    }
    await rename(temporary, this.path);
    await syncFolder(dirname(this.path));
  }
}

/** The entries of a journal's text; lines that are not a whole entry (a write cut short by a crash) are skipped. */
export function parseJournal(text: string): JournalEntry[] {
  const entries: JournalEntry[] = [];
  for (const line of text.split('\n')) {
    if (line.trim() === '') continue;
    try {
      const value = JSON.parse(line) as Partial<JournalEntry>;
      if (OPS.has(value.op as string) && typeof value.key === 'string' && typeof value.sha256 === 'string' && typeof value.name === 'string') {
        entries.push(value as JournalEntry);
      }
    } catch {
      /* torn line */
    }
  }
  return entries;
}

export async function syncFolder(folder: string): Promise<void> {
  const handle = await open(folder, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

function ignoreMissing(error: NodeJS.ErrnoException): string {
  if (error.code === 'ENOENT') return '';
  throw error;
}
