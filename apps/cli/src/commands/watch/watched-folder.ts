import { lstat, mkdir, open, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { extname, join } from 'node:path';
import { CliError } from '../../cli-error';
import { DONE_FOLDER, REFUSED_FOLDER, STATE_FOLDER } from './scanner-files';
import { syncFolder } from './watch-journal';

export const JOURNAL_FILE = 'journal.jsonl';
const LOCK_FILE = 'lock';

/** The watched folder and the subfolders the watcher keeps in it: done/, refused/ and .medrec-watch/ (journal, lock). */
export class WatchedFolder {
  constructor(readonly path: string) {}

  get journalPath(): string {
    return join(this.path, STATE_FOLDER, JOURNAL_FILE);
  }

  async prepare(): Promise<void> {
    for (const folder of [DONE_FOLDER, REFUSED_FOLDER]) await mkdir(join(this.path, folder), { recursive: true });
    await mkdir(join(this.path, STATE_FOLDER), { recursive: true, mode: 0o700 });
  }

  /**
   * One watcher per folder: a second one would race the first for the same files. A lock left by a
   * watcher that was killed (its process is gone) is taken over.
   */
  async lock(): Promise<() => Promise<void>> {
    const path = join(this.path, STATE_FOLDER, LOCK_FILE);
    for (let attempt = 0; attempt < 2; attempt++) {
      try {
        const handle = await open(path, 'wx', 0o600);
        await handle.writeFile(`${process.pid}\n`);
        await handle.close();
        return () => rm(path, { force: true });
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
        const holder = Number((await readFile(path, 'utf8').catch(() => '')).trim());
        if (Number.isInteger(holder) && holder > 0 && isRunning(holder)) {
          throw CliError.usage(`Another watcher (process ${holder}) is watching this folder; stop it first`);
        }
        await rm(path, { force: true });
      }
    }
    throw new CliError('Could not take the lock of the folder');
  }

  /** Moves a file of the folder into done/, under a name not yet used there; answers where it went (relative to the folder). */
  moveToDone(name: string): Promise<string> {
    return this.moveInto(DONE_FOLDER, name);
  }

  /** Writes `<name>.reason.txt` into refused/, then moves the file beside it; answers where it went. */
  async moveToRefused(name: string, reason: string): Promise<string> {
    const target = await this.freeName(REFUSED_FOLDER, name);
    const reasonPath = join(this.path, REFUSED_FOLDER, `${target}.reason.txt`);
    const temporary = `${reasonPath}.tmp`;
    await writeFile(temporary, reason, { mode: 0o600 });
    await rename(temporary, reasonPath);
    return this.moveInto(REFUSED_FOLDER, name, target);
  }

  private async moveInto(folder: string, name: string, target?: string): Promise<string> {
    const finalName = target ?? (await this.freeName(folder, name));
    await rename(join(this.path, name), join(this.path, folder, finalName));
    await syncFolder(join(this.path, folder));
    await syncFolder(this.path);
    return `${folder}/${finalName}`;
  }

  /** `name`, else `stem-2.ext`, `stem-3.ext`...: scanners restart their counters, and nothing in done/ is overwritten. */
  private async freeName(folder: string, name: string): Promise<string> {
    const extension = extname(name);
    const stem = name.slice(0, name.length - extension.length);
    for (let n = 1; ; n++) {
      const candidate = n === 1 ? name : `${stem}-${n}${extension}`;
      const taken = await lstat(join(this.path, folder, candidate)).then(
        () => true,
        () => false,
      );
      if (!taken) return candidate;
    }
  }
}

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
