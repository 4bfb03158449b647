import { DomainError } from '@medrec/domain';
import { parseDay, parseInstant, parseWindow } from './time-window';

describe('parseInstant', () => {
  it('takes a date-time with a zone, and a date as the start or end of that UTC day', () => {
    expect(parseInstant('2024-03-02T14:30:00Z', 'asOf', 'end-of-day')?.toISOString()).toBe('2024-03-02T14:30:00.000Z');
    expect(parseInstant('2024-03-02T14:30:00.123+02:00', 'asOf', 'end-of-day')?.toISOString()).toBe('2024-03-02T12:30:00.123Z');
    expect(parseInstant('2024-03-02T14:30Z', 'asOf', 'end-of-day')?.toISOString()).toBe('2024-03-02T14:30:00.000Z');
    expect(parseInstant('2024-03-02', 'from', 'start-of-day')?.toISOString()).toBe('2024-03-02T00:00:00.000Z');
    expect(parseInstant('2024-03-02', 'to', 'end-of-day')?.toISOString()).toBe('2024-03-02T23:59:59.999Z');
    expect(parseInstant(undefined, 'asOf', 'end-of-day')).toBeUndefined();
    expect(parseInstant('', 'asOf', 'end-of-day')).toBeUndefined();
  });

  it.each([
    'yesterday',
    '2024-02-30',
    '2024-13-01T00:00:00Z',
    '2024-03-02T24:00:00Z',
    '2024-03-02T10:60:00Z',
    '2024-03-02T10:00:00',
    '1709388000',
    ['2024-03-02'],
  ])('refuses %p as a 400 naming the field, without quoting the value', (value) => {
    const error = (() => {
      try {
        parseInstant(value, 'asOf', 'end-of-day');
      } catch (e) {
        return e;
      }
    })() as DomainError;
    expect(error).toBeInstanceOf(DomainError);
    expect(error.kind).toBe('invalid');
    expect(error.errors).toEqual([{ field: 'asOf', message: expect.any(String) }]);
    expect(error.message).not.toContain(String(value));
  });
});

describe('parseWindow', () => {
  const now = new Date('2025-06-15T10:00:00.000Z');

  it('defaults to the six years before now', () => {
    expect(parseWindow(undefined, undefined, now, 6)).toEqual({ from: new Date('2019-06-15T10:00:00.000Z'), to: now });
  });

  it('takes from and to, and refuses from after to', () => {
    expect(parseWindow('2024-01-01', '2024-01-31', now, 6)).toEqual({ from: new Date('2024-01-01T00:00:00.000Z'), to: new Date('2024-01-31T23:59:59.999Z') });
    expect(() => parseWindow('2024-02-01', '2024-01-31', now, 6)).toThrow(DomainError);
  });
});

describe('parseDay', () => {
  it('takes YYYY-MM-DD only', () => {
    expect(parseDay('2024-02-29', 'from')).toBe('2024-02-29');
    expect(parseDay(undefined, 'from')).toBeUndefined();
    expect(() => parseDay('2023-02-29', 'from')).toThrow(DomainError);
  });
});
