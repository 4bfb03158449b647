import { createHash } from 'node:crypto';
import { normalize } from 'node:path';
import { CliError } from '../../cli-error';
import { checkManifest, manifestRowFile } from '../ingest/manifest-entries';
import type { MedrecClient } from '../ingest/medrec-client';
import { readManifest } from '../ingest/read-manifest';

/** What became of one send, in the watcher's terms. */
export type SendResult =
  /** On the server: made now, or found there already (`existing`: a repeated stack key, a duplicate record). */
  | { kind: 'sent'; id: string; what: 'stack' | 'record'; existing: boolean }
  /** Refused for good (by the server, or by the manifest before anything was sent). */
  | { kind: 'refused'; status: number | 'manifest'; detail: string; reason?: string }
  /** Worth trying again later: no answer, 5xx, 429, or a manifest that cannot be read right now. */
  | { kind: 'failed'; error: string };

/** A file ready to be sent: the journal key prefix (what the server dedupes on, besides the content) and how to send it. */
export interface Prepared {
  kind: 'ready';
  key: string;
  send(path: string, name: string, sha256: string): Promise<SendResult>;
}

/** Where the files of the folder go: one stack each, or one record each with its manifest row. */
export interface Destination {
  readonly description: string;
  /** Works out how a file is sent, or why it cannot be (a refusal, or a reason to wait). */
  prepare(name: string, folder: string): Promise<Prepared | Extract<SendResult, { kind: 'refused' | 'failed' }>>;
}

/** The default: each file is a scanner's stack (POST /api/stacks), split into records by the server. */
export function stackDestination(client: MedrecClient): Destination {
  const prepared: Prepared = {
    kind: 'ready',
    key: 'stack',
    async send(path, name, sha256) {
      const outcome = await client.createStack(path, name, sha256);
      if (outcome.kind === 'accepted') return { kind: 'sent', id: outcome.stackId, what: 'stack', existing: outcome.existing };
      return outcome.kind === 'failed' ? { kind: 'failed', error: outcome.error } : outcome;
    },
  };
  return { description: 'each file as a stack (POST /api/stacks)', prepare: async () => prepared };
}

/**
 * `--no-split`: each file is one document (POST /api/records) with the metadata of the manifest
 * row that names it. The manifest is read again for every file, so rows can be added while the
 * scanner runs; a file without a row, or with an invalid one, is refused.
 */
export function singleUploadDestination(client: MedrecClient, manifestPath: string): Destination {
  return {
    description: `each file as one record, with its row of the manifest (POST /api/records)`,
    async prepare(name, folder) {
      let rows: unknown[];
      try {
        rows = await readManifest(manifestPath);
      } catch (error) {
        // Half-saved while a clerk edits it: the file waits rather than be refused for it.
        return { kind: 'failed', error: error instanceof CliError ? error.message : 'the manifest cannot be read' };
      }
      const matching = rows.flatMap((row, index) => (sameFile(manifestRowFile(row), name) ? [{ row, number: index + 1 }] : []));
      if (matching.length === 0)
        return { kind: 'refused', status: 'manifest', detail: 'The manifest has no row for this file name', reason: 'no-manifest-row' };
      if (matching.length > 1) {
        const numbers = matching.map((m) => m.number).join(', ');
        return {
          kind: 'refused',
          status: 'manifest',
          detail: `The manifest has several rows for this file name (rows ${numbers})`,
          reason: 'ambiguous-manifest-row',
        };
      }
      const [{ row, number }] = matching;
      const { entries, invalid } = await checkManifest(folder, [row]);
      if (invalid.length > 0 || entries.length === 0) {
        // The problems name fields and rules, never values.
        const problems = invalid.flatMap((i) => i.problems).join('; ');
        return { kind: 'refused', status: 'manifest', detail: `Manifest row ${number} is invalid: ${problems}`, reason: 'invalid-manifest-row' };
      }
      const { fields } = entries[0];
      return {
        kind: 'ready',
        // The patient is part of what the server dedupes on; the journal names it by a digest, not the MRN.
        key: `record-${createHash('sha256').update(fields.mrn.trim().toUpperCase()).digest('hex').slice(0, 16)}`,
        async send(path, fileName) {
          const outcome = await client.createRecord(path, fileName, fields);
          switch (outcome.kind) {
            case 'created':
              return { kind: 'sent', id: outcome.recordId, what: 'record', existing: false };
            case 'duplicate':
              return { kind: 'sent', id: outcome.recordId, what: 'record', existing: true };
            case 'failed':
              return { kind: 'failed', error: outcome.error };
            default:
              return outcome;
          }
        },
      };
    },
  };
}

function sameFile(file: string | undefined, name: string): boolean {
  return file !== undefined && normalize(file) === name;
}
