import { addYears, ageOn, RetentionFacts, retentionUntil } from './retention-until';

const facts = (overrides: Partial<RetentionFacts> = {}): RetentionFacts => ({
  documentType: 'discharge-summary',
  encounterDate: '2014-03-02',
  createdDay: '2025-06-01',
  dateOfBirth: '1961-04-12',
  ...overrides,
});
const TEN = { years: 10, minorsUntilAge: 21 };

describe('addYears', () => {
  it.each([
    ['2014-03-02', 10, '2024-03-02'],
    ['2004-02-29', 21, '2025-03-01'],
    ['2004-02-29', 20, '2024-02-29'],
    ['2023-12-31', 1, '2024-12-31'],
  ])('%s + %i years = %s', (day, years, expected) => {
    expect(addYears(day, years)).toBe(expected);
  });
});

describe('ageOn', () => {
  it.each([
    ['2004-02-29', '2022-02-28', 17],
    ['2004-02-29', '2022-03-01', 18],
    ['2000-06-15', '2018-06-14', 17],
    ['2000-06-15', '2018-06-15', 18],
  ])('born %s, on %s: %i', (born, day, age) => {
    expect(ageOn(born, day)).toBe(age);
  });
});

describe('retentionUntil', () => {
  it.each<[string, Partial<RetentionFacts>, { years: number; minorsUntilAge?: number }, string, string]>([
    ['an adult: years after the last encounter', {}, TEN, '2024-03-02', '10 years after last encounter 2014-03-02'],
    ['no encounter date: years after creation', { encounterDate: null }, TEN, '2035-06-01', '10 years after creation 2025-06-01'],
    ['a six-year schedule', {}, { years: 6, minorsUntilAge: 21 }, '2020-03-02', '6 years after last encounter 2014-03-02'],
    [
      'a minor whose 21st birthday comes later',
      { dateOfBirth: '2010-05-01', encounterDate: '2012-01-10' },
      TEN,
      '2031-05-01',
      'minor at last encounter: until 21st birthday 2031-05-01',
    ],
    [
      'a minor whose encounter + years comes later',
      { dateOfBirth: '2000-05-01', encounterDate: '2017-01-10' },
      TEN,
      '2027-01-10',
      'minor at last encounter: 10 years after last encounter 2017-01-10 (later than 21st birthday 2021-05-01)',
    ],
    [
      '18 on the day of the encounter: an adult',
      { dateOfBirth: '2000-01-10', encounterDate: '2018-01-10' },
      TEN,
      '2028-01-10',
      '10 years after last encounter 2018-01-10',
    ],
    [
      'born on a leap day, minor: the 21st birthday in a common year is 1 March',
      { dateOfBirth: '2004-02-29', encounterDate: '2005-07-01' },
      TEN,
      '2025-03-01',
      'minor at last encounter: until 21st birthday 2025-03-01',
    ],
    [
      'born on a leap day, 17 on 28 February 2022: still a minor',
      { dateOfBirth: '2004-02-29', encounterDate: '2022-02-28' },
      { years: 2, minorsUntilAge: 21 },
      '2025-03-01',
      'minor at last encounter: until 21st birthday 2025-03-01',
    ],
    [
      'a minor without an encounter date: measured from creation',
      { dateOfBirth: '2020-01-01', encounterDate: null, createdDay: '2025-06-01' },
      TEN,
      '2041-01-01',
      'minor at creation: until 21st birthday 2041-01-01',
    ],
    [
      'a schedule without a minors’ rule',
      { dateOfBirth: '2010-05-01', encounterDate: '2012-01-10' },
      { years: 10 },
      '2022-01-10',
      '10 years after last encounter 2012-01-10',
    ],
    ['an unknown date of birth', { dateOfBirth: null, encounterDate: '2012-01-10' }, TEN, '2022-01-10', '10 years after last encounter 2012-01-10'],
    [
      'another age of the minors’ rule (22nd, 23rd)',
      { dateOfBirth: '2010-05-01', encounterDate: '2012-01-10' },
      { years: 10, minorsUntilAge: 23 },
      '2033-05-01',
      'minor at last encounter: until 23rd birthday 2033-05-01',
    ],
  ])('%s', (_name, overrides, schedule, until, rule) => {
    expect(retentionUntil(facts(overrides), schedule)).toEqual({ retentionUntil: until, rule });
  });
});
