import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseJournal, WatchJournal } from './watch-journal';

/** The journal on a real file: what a restart finds unfinished after a stop at any point. */
describe('WatchJournal', () => {
  let folder: string;
  let path: string;
  const A = { key: 'stack:' + 'a'.repeat(64), sha256: 'a'.repeat(64), name: 'a.pdf' };
  const B = { key: 'stack:' + 'b'.repeat(64), sha256: 'b'.repeat(64), name: 'b.pdf' };
  const C = { key: 'record-0123456789abcdef:' + 'c'.repeat(64), sha256: 'c'.repeat(64), name: 'c.tif' };

  beforeEach(() => {
    folder = mkdtempSync(join(tmpdir(), 'medrec-journal-'));
    path = join(folder, 'journal.jsonl');
  });
  afterEach(() => rmSync(folder, { recursive: true, force: true }));

  const lines = () =>
    readFileSync(path, 'utf8')
      .split('\n')
      .filter((line) => line !== '')
      .map((line) => JSON.parse(line) as { op: string; name: string });

  it('starts empty without a file, and writes each entry to disk before record() resolves', async () => {
    const journal = await WatchJournal.open(path);
    expect(journal.pending).toEqual([]);
    await journal.record({ op: 'sending', ...A });
    // Read back from the file while the journal is still open: what a kill -9 right now would leave.
    expect(lines()).toEqual([{ op: 'sending', ...A, at: expect.stringMatching(/^\d{4}-\d\d-\d\dT/) }]);
    await journal.record({ op: 'sent', ...A, id: 'stack-1', existing: false });
    expect(journal.unfinished(A.key)).toMatchObject({ op: 'sent', id: 'stack-1' });
    await journal.record({ op: 'moved', ...A, to: 'done/a.pdf' });
    expect(journal.unfinished(A.key)).toBeUndefined();
    expect(lines().map((l) => l.op)).toEqual(['sending', 'sent', 'moved']);
    await journal.close();
  });

  it('on reopening, keeps the last step of every unfinished file, drops finished ones and a torn last line, and compacts the file', async () => {
    const journal = await WatchJournal.open(path);
    await journal.record({ op: 'sending', ...A });
    await journal.record({ op: 'sent', ...A, id: 'stack-1', existing: false });
    await journal.record({ op: 'moved', ...A, to: 'done/a.pdf' });
    await journal.record({ op: 'sending', ...B });
    await journal.record({ op: 'sending', ...C });
    await journal.record({ op: 'refused', ...C, status: 415, detail: 'Not a PDF', reason: 'unsupported-type' });
    await journal.close();
    writeFileSync(path, readFileSync(path, 'utf8') + '{"op":"sent","key":"stack:bbbb', { flag: 'w' });

    const reopened = await WatchJournal.open(path);
    expect(reopened.pending.map((e) => [e.name, e.op])).toEqual([
      ['b.pdf', 'sending'],
      ['c.tif', 'refused'],
    ]);
    expect(reopened.unfinished(A.key)).toBeUndefined();
    expect(reopened.unfinished(B.key)).toMatchObject({ op: 'sending' });
    expect(reopened.unfinished(C.key)).toMatchObject({ op: 'refused', status: 415, detail: 'Not a PDF', reason: 'unsupported-type' });
    expect(lines().map((l) => [l.name, l.op])).toEqual([
      ['b.pdf', 'sending'],
      ['c.tif', 'refused'],
    ]);

    await reopened.record({ op: 'gone', ...B });
    await reopened.close();
    const third = await WatchJournal.open(path);
    expect(third.pending.map((e) => e.name)).toEqual(['c.tif']);
    await third.close();
  });

  it('skips lines that are not whole entries', () => {
    const text = [
      '{"op":"sending","key":"k","sha256":"s","name":"n","at":"t"}',
      'not json',
      '{"op":"deleted","key":"k","sha256":"s","name":"n"}',
      '{"op":"sent"}',
      '',
    ].join('\n');
    expect(parseJournal(text)).toEqual([{ op: 'sending', key: 'k', sha256: 's', name: 'n', at: 't' }]);
  });
});
