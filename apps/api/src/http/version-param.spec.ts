import { DomainError } from '@medrec/domain';
import { parsePage, parseVersion } from './version-param';

describe('parseVersion', () => {
  it.each([
    ['1', 1],
    ['9', 9],
    ['10', 10],
    ['999999999', 999_999_999],
  ])('accepts the canonical %p', (value, expected) => {
    expect(parseVersion(value, 'v')).toBe(expected);
  });

  it.each(['1e0', '0x1', '+1', ' 1', '1 ', '01', '0', '-1', '1.0', '1.5', '', 'abc', '1000000000', '١'])('refuses %p naming the field', (value) => {
    expect(() => parseVersion(value, 'a')).toThrow(DomainError);
    try {
      parseVersion(value, 'a');
    } catch (error) {
      expect((error as DomainError).errors).toEqual([{ field: 'a', message: expect.any(String) }]);
    }
  });

  it('refuses what is not a string (a parsed number, an array of repeated parameters)', () => {
    expect(() => parseVersion(1, 'v')).toThrow(DomainError);
    expect(() => parseVersion(['1'], 'v')).toThrow(DomainError);
  });
});

describe('parsePage', () => {
  it('accepts a page number in the canonical form of a version number, and refuses the rest naming the field', () => {
    expect(parsePage('1', 'p')).toBe(1);
    expect(parsePage('12', 'p')).toBe(12);
    for (const value of ['0', '01', '-1', '1e0', '0x1', ' 1', '1.5', '', 1, ['2']]) {
      expect(() => parsePage(value, 'p')).toThrow(DomainError);
    }
    try {
      parsePage('0', 'p');
    } catch (error) {
      expect((error as DomainError).errors).toEqual([{ field: 'p', message: expect.stringContaining('page number') }]);
    }
  });
});
