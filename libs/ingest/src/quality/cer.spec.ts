import { characterErrorRate, editDistance, normalizeForCer } from './cer';

describe('normalizeForCer', () => {
  it('folds runs of whitespace, form feeds included, to one space and trims', () => {
    expect(normalizeForCer('  DISCHARGE   SUMMARY\n\n\tPatient:  Maria\n\f\nPage 2  ')).toBe('DISCHARGE SUMMARY Patient: Maria Page 2');
  });

  it('leaves text without extra whitespace unchanged', () => {
    expect(normalizeForCer('BP 143/91 HR 63')).toBe('BP 143/91 HR 63');
  });
});

describe('editDistance', () => {
  it.each([
    ['', '', 0],
    ['abc', '', 3],
    ['', 'abc', 3],
    ['kitten', 'sitting', 3],
    ['flaw', 'lawn', 2],
    ['intention', 'execution', 5],
    ['MRN-00482913', 'MRN-00482913', 0],
    ['MRN-00482913', 'MRN-0O482913', 1],
    ['abc', 'cba', 2],
  ])('between %j and %j is %i, both ways', (a, b, expected) => {
    expect(editDistance(a, b)).toBe(expected);
    expect(editDistance(b, a)).toBe(expected);
  });

  it('handles page-sized texts', () => {
    const page = 'Patient resting comfortably, call light within reach. '.repeat(60);
    const garbled = page.replace(/e/g, 'c');
    expect(editDistance(page, garbled)).toBe((page.match(/e/g) ?? []).length);
  });
});

describe('characterErrorRate', () => {
  it('is 0 for identical text, whatever the whitespace', () => {
    expect(characterErrorRate('Dose:  10 mg\n\nRoute: oral', 'Dose: 10 mg Route: oral\n')).toBe(0);
  });

  it('divides the edit distance by the normalized truth length', () => {
    // "Lisinopril 10 mg" is 16 characters; one substitution (l -> 1).
    expect(characterErrorRate('Lisinopril  10 mg', 'Lisinopri1 10 mg')).toBeCloseTo(1 / 16, 10);
  });

  it('counts missing and extra text', () => {
    expect(characterErrorRate('abcd', 'ab')).toBe(0.5);
    expect(characterErrorRate('abcd', 'abcdabcd')).toBe(1);
  });

  it('treats pages separated by a form-feed line like any whitespace', () => {
    expect(characterErrorRate('Page one.\n\f\nPage two.', 'Page one.\nPage two.')).toBe(0);
  });

  it('stays finite for an empty truth', () => {
    expect(characterErrorRate('  \n', '')).toBe(0);
    expect(characterErrorRate('', 'noise')).toBe(1);
  });
});
