/**
 * Character error rate as the fixtures define it: the edit distance between the ground truth and
 * the OCR text, both with runs of whitespace folded to one space (and trimmed), divided by the
 * ground truth's length.
 */

/** Folds every run of whitespace (spaces, tabs, newlines, form feeds) to one space and trims. */
export function normalizeForCer(text: string): string {
  return text.replace(/\s+/g, ' ').trim();
}

/** Levenshtein distance (insertions, deletions, substitutions all cost 1) over UTF-16 code units. */
export function editDistance(a: string, b: string): number {
  if (a === b) return 0;
  // Keep the shorter string along the row: memory is O(min(n, m)).
  if (a.length < b.length) [a, b] = [b, a];
  const m = b.length;
  if (m === 0) return a.length;
  let previous = new Uint32Array(m + 1);
  let current = new Uint32Array(m + 1);
  for (let j = 0; j <= m; j++) previous[j] = j;
  for (let i = 1; i <= a.length; i++) {
    current[0] = i;
    const ca = a.charCodeAt(i - 1);
    for (let j = 1; j <= m; j++) {
      const substitution = previous[j - 1] + (ca === b.charCodeAt(j - 1) ? 0 : 1);
      const deletion = previous[j] + 1;
      const insertion = current[j - 1] + 1;
      current[j] = substitution < deletion ? (substitution < insertion ? substitution : insertion) : deletion < insertion ? deletion : insertion;
    }
    [previous, current] = [current, previous];
  }
  return previous[m];
}

/**
 * CER of `ocr` against `truth`, after {@link normalizeForCer}. 0 is perfect; it can exceed 1 when
 * the OCR text is much longer than the truth. An empty truth gives 0 for an empty OCR text and 1
 * otherwise (any output is entirely wrong, and the rate stays finite).
 */
export function characterErrorRate(truth: string, ocr: string): number {
  const expected = normalizeForCer(truth);
  const actual = normalizeForCer(ocr);
  if (expected.length === 0) return actual.length === 0 ? 0 : 1;
  return editDistance(expected, actual) / expected.length;
}
