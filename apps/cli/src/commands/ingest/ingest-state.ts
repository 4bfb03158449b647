import { readFile, rename, writeFile } from 'node:fs/promises';
import { CliError } from '../../cli-error';

export const DEFAULT_STATE_FILE = '.medrec-ingest.json';

/** What a resumed batch needs to know about a file it already ingested. */
export interface IngestedFile {
  recordId: string;
  /** The manifest's name for the file when it was ingested. */
  file: string;
  at: string;
}

interface StateDocument {
  version: 2;
  /** The server the record ids belong to: the same folder ingested elsewhere starts afresh. */
  server: string;
  /** By ingestedKey(): the patient's MRN and the hex SHA-256 of the content. */
  ingested: Record<string, IngestedFile>;
}

/**
 * What makes an upload a duplicate, as the server sees it: the same content for the same patient
 * (MRNs compared as the server compares them: trimmed, upper case).
 */
export const ingestedKey = (mrn: string, sha256: string): string => `${mrn.trim().toUpperCase()}:${sha256}`;
const INGESTED_KEY = /^[A-Z0-9-]+:[0-9a-f]{64}$/;

/**
 * Files of a folder already ingested, so that a re-run skips them without uploading. It is a cache:
 * losing it costs a re-upload that the server answers as a duplicate, never a second record. Saved
 * by writing a temporary file and renaming it over the old one, so a crash leaves one whole version.
 */
export class IngestState {
  private dirty = false;
  private saving: Promise<void> | undefined;
  private saveError: unknown;

  private constructor(
    readonly path: string,
    private readonly document: StateDocument,
  ) {}

  static async open(path: string, server: string): Promise<IngestState> {
    let text: string;
    try {
      text = await readFile(path, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return new IngestState(path, { version: 2, server, ingested: {} });
      throw CliError.usage(`Cannot read the state file ${path} (${(error as NodeJS.ErrnoException).code ?? 'error'})`);
    }
    const document = parseState(text, server);
    if (!document) throw CliError.usage(`The state file ${path} is not one this command wrote; move it away or pass --state <another file>`);
    if (document.server !== server) {
      throw CliError.usage(`The state file ${path} records a batch sent to ${document.server}, not ${server}; pass --state <another file> for this server`);
    }
    return new IngestState(path, document);
  }

  find(key: string): IngestedFile | undefined {
    return Object.hasOwn(this.document.ingested, key) ? this.document.ingested[key] : undefined;
  }

  get size(): number {
    return Object.keys(this.document.ingested).length;
  }

  /** Records a file and saves soon; saves never overlap, and one save covers everything remembered before it starts. */
  remember(key: string, file: IngestedFile): void {
    this.document.ingested[key] = file;
    this.dirty = true;
    this.saving ??= this.saveWhileDirty();
  }

  /** Waits until everything remembered is on disk. */
  async flush(): Promise<void> {
    await this.saving;
    if (this.dirty) await (this.saving ??= this.saveWhileDirty());
    if (this.saveError) {
      const code = (this.saveError as NodeJS.ErrnoException).code ?? 'error';
      throw new CliError(`Could not save the state file ${this.path} (${code}); a re-run will find the ingested files as duplicates`);
    }
  }

  private async saveWhileDirty(): Promise<void> {
    try {
      while (this.dirty) {
        this.dirty = false;
        const temporary = `${this.path}.${process.pid}.tmp`;
        await writeFile(temporary, JSON.stringify(this.document, null, 1) + '\n', { mode: 0o600 });
        await rename(temporary, this.path);
      }
      this.saveError = undefined;
    } catch (error) {
      this.saveError = error;
    } finally {
      this.saving = undefined;
    }
  }
}

function parseState(text: string, server: string): StateDocument | undefined {
  try {
    const value = JSON.parse(text) as { version?: unknown; server?: unknown; ingested?: unknown };
    if (typeof value?.server !== 'string' || typeof value.ingested !== 'object' || value.ingested === null) return undefined;
    // Version 1 keyed files by content alone, which skipped the same bytes for another patient:
    // its entries are not reused (a re-upload of one of them is answered as a duplicate).
    if (value.version === 1 && value.server === server) return { version: 2, server, ingested: {} };
    if (value.version !== 2) return undefined;
    const valid = Object.entries(value.ingested as Record<string, Partial<IngestedFile>>).every(
      ([key, entry]) => INGESTED_KEY.test(key) && typeof entry?.recordId === 'string' && typeof entry.file === 'string',
    );
    return valid ? (value as StateDocument) : undefined;
  } catch {
    return undefined;
  }
}
