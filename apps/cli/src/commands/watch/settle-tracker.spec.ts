import { isCandidateName } from './scanner-files';
import { SettleTracker } from './settle-tracker';

describe('SettleTracker', () => {
  let now: number;
  let tracker: SettleTracker;
  beforeEach(() => {
    now = 1_000_000;
    tracker = new SettleTracker(2000, () => now);
  });

  it('settles a file once its size and mtime have not changed for the settle period', () => {
    expect(tracker.observe('scan.pdf', { size: 10, mtimeMs: 5 })).toBe('settling');
    now += 1999;
    expect(tracker.observe('scan.pdf', { size: 10, mtimeMs: 5 })).toBe('settling');
    now += 1;
    expect(tracker.observe('scan.pdf', { size: 10, mtimeMs: 5 })).toBe('settled');
  });

  it('starts the period again whenever the file grows or is touched', () => {
    tracker.observe('scan.pdf', { size: 10, mtimeMs: 5 });
    now += 1500;
    expect(tracker.observe('scan.pdf', { size: 20, mtimeMs: 6 })).toBe('settling');
    now += 1500;
    expect(tracker.observe('scan.pdf', { size: 20, mtimeMs: 6 })).toBe('settling');
    now += 400;
    // Same size, new mtime: a scanner rewriting a page in place.
    expect(tracker.observe('scan.pdf', { size: 20, mtimeMs: 7 })).toBe('settling');
    now += 1999;
    expect(tracker.observe('scan.pdf', { size: 20, mtimeMs: 7 })).toBe('settling');
    now += 1;
    expect(tracker.observe('scan.pdf', { size: 20, mtimeMs: 7 })).toBe('settled');
  });

  it('waits a full period even for a file whose mtime is old (found at start, or copied with its times)', () => {
    expect(tracker.observe('old.tif', { size: 10, mtimeMs: now - 3_600_000 })).toBe('settling');
    now += 2000;
    expect(tracker.observe('old.tif', { size: 10, mtimeMs: now - 3_600_000 - 2000 })).toBe('settled');
  });

  it('tracks files apart, forgets them, and tells whether a file still shows what it settled with', () => {
    tracker.observe('a.pdf', { size: 1, mtimeMs: 1 });
    now += 1000;
    tracker.observe('b.pdf', { size: 1, mtimeMs: 1 });
    now += 1000;
    expect(tracker.observe('a.pdf', { size: 1, mtimeMs: 1 })).toBe('settled');
    expect(tracker.observe('b.pdf', { size: 1, mtimeMs: 1 })).toBe('settling');
    expect(tracker.unchanged('a.pdf', { size: 1, mtimeMs: 1 })).toBe(true);
    expect(tracker.unchanged('a.pdf', { size: 2, mtimeMs: 1 })).toBe(false);
    tracker.forget('a.pdf');
    expect(tracker.unchanged('a.pdf', { size: 1, mtimeMs: 1 })).toBe(false);
    expect(tracker.watching).toEqual(['b.pdf']);
    expect(tracker.observe('a.pdf', { size: 1, mtimeMs: 1 })).toBe('settling');
  });

  it('with a settle period of 0, takes a file as it is first seen', () => {
    expect(new SettleTracker(0, () => now).observe('a.pdf', { size: 1, mtimeMs: 1 })).toBe('settled');
  });
});

describe('isCandidateName', () => {
  it.each(['scan0001.pdf', 'Stack 2024-03-01 10.15.tif', 'SCAN.TIFF', 'report.part2.pdf', 'no-extension'])('takes %s', (name) => {
    expect(isCandidateName(name)).toBe(true);
  });

  it.each([
    '.scan0001.pdf',
    '.DS_Store',
    '.medrec-watch',
    'done',
    'refused',
    'scan0001.pdf.tmp',
    'scan0001.TMP',
    'scan0001.pdf.part',
    'scan.pdf.partial',
    'scan.pdf.crdownload',
    'scan.pdf.filepart',
    '~$scan.pdf',
    'scan.pdf~',
    'scan.pdf.lock',
    'Thumbs.db',
    'desktop.ini',
  ])('ignores %s', (name) => {
    expect(isCandidateName(name)).toBe(false);
  });
});
