import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { writePrivateFileSync } from '@medrec/crypto';

/** This node's stable id, kept in its data directory: its OCR claims survive a restart of the same node. */
export function loadOrCreateNodeId(file: string): string {
  try {
    const id = readFileSync(file, 'utf8').trim();
    if (/^[0-9a-f-]{36}$/.test(id)) return id;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  const id = randomUUID();
  writePrivateFileSync(file, id + '\n');
  return id;
}
