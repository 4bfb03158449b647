import { diffWords } from 'diff';

export interface DiffHunk {
  op: 'equal' | 'insert' | 'delete';
  text: string;
}

/** Longest the word diff may compute before giving up (it runs on the event loop). */
const DIFF_TIMEOUT_MS = 500;

/**
 * A word diff of `a` into `b` (whitespace changes alone do not count): hunks in order, adjacent
 * hunks of the same kind merged. `exact` is false when the texts were too different to diff within
 * the time limit; the answer is then all of `a` deleted and all of `b` inserted.
 */
export function wordDiff(a: string, b: string): { hunks: DiffHunk[]; exact: boolean } {
  const changes = diffWords(a, b, { timeout: DIFF_TIMEOUT_MS });
  if (!changes) {
    const hunks: DiffHunk[] = [];
    if (a) hunks.push({ op: 'delete', text: a });
    if (b) hunks.push({ op: 'insert', text: b });
    return { hunks, exact: false };
  }
  const hunks: DiffHunk[] = [];
  for (const change of changes) {
    if (!change.value) continue;
    const op = change.added ? 'insert' : change.removed ? 'delete' : 'equal';
    const last = hunks[hunks.length - 1];
    if (last && last.op === op) last.text += change.value;
    else hunks.push({ op, text: change.value });
  }
  return { hunks, exact: true };
}
