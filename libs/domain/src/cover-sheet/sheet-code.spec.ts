import { coverSheetCode, parseSheetCode, SEPARATOR_CODE } from './sheet-code';

const ID = '3f1c8a52-9b7e-4d2a-8c61-0a5e7f3b9d14';

describe('sheet codes', () => {
  it('reads back the cover sheet id it wrote, and the separator', () => {
    expect(parseSheetCode(coverSheetCode(ID))).toEqual({ kind: 'cover-sheet', id: ID });
    expect(parseSheetCode(SEPARATOR_CODE)).toEqual({ kind: 'separator' });
  });

  it.each([
    ['a truncated id', `MEDREC-CS:${ID.slice(0, 30)}`],
    ['an id in capitals', `MEDREC-CS:${ID.toUpperCase()}`],
    ['trailing bytes', `MEDREC-CS:${ID}\n`],
    ['a longer id', `MEDREC-CS:${ID}0`],
    ['a damaged prefix of ours', `MEDREC-CX:${ID}`],
    ['a separator with more', `${SEPARATOR_CODE}-2`],
  ])('never takes %s for a cover sheet, nor hands its text on', (_what, text) => {
    expect(parseSheetCode(text)).toEqual({ kind: 'unknown' });
  });

  it('hands on the text of a code that is not ours', () => {
    expect(parseSheetCode('https://example.org/x')).toEqual({ kind: 'unknown', text: 'https://example.org/x' });
  });

  it('writes only canonical ids', () => {
    expect(() => coverSheetCode(ID.toUpperCase())).toThrow();
  });
});
