import { wordDiff } from './word-diff';

describe('wordDiff', () => {
  it('marks the changed words, keeping the rest equal', () => {
    const { hunks, exact } = wordDiff('Patient reports mild chest pain.', 'Patient reports severe chest pain.');
    expect(exact).toBe(true);
    expect(hunks.map((h) => [h.op, h.text.trim()])).toEqual([
      ['equal', 'Patient reports'],
      ['delete', 'mild'],
      ['insert', 'severe'],
      ['equal', 'chest pain.'],
    ]);
  });

  it('gives one equal hunk for the same text, and nothing for two empty texts', () => {
    expect(wordDiff('same text', 'same text').hunks).toEqual([{ op: 'equal', text: 'same text' }]);
    expect(wordDiff('', '').hunks).toEqual([]);
  });

  it('shows text added to an empty version as inserted', () => {
    expect(wordDiff('', 'new page').hunks).toEqual([{ op: 'insert', text: 'new page' }]);
  });
});
