import { appendFileSync, existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DestructionLedger, DestructionTombstone } from './destruction-ledger';

const tombstone = (recordId: string, batchId?: string): DestructionTombstone => ({
  recordId,
  authority: 'Schedule GS-12',
  approvedBy: 'archivist2',
  destroyedBy: 'archivist1',
  destroyedAt: '2026-01-02T03:04:05.000Z',
  ...(batchId ? { batchId } : {}),
});
const id = (n: number) => `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`;

describe('DestructionLedger', () => {
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'medrec-ledger-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('appends one line per record, owner-only, and reads them back in order; an absent ledger reads as empty', async () => {
    const ledger = new DestructionLedger(join(dir, 'sub', 'ledger.jsonl'));
    expect(ledger.read()).toEqual({ entries: [], invalidLines: [] });
    await ledger.record([tombstone(id(1)), tombstone(id(2), id(9))]);
    await ledger.record([tombstone(id(3))]);
    const { entries, invalidLines } = ledger.read();
    expect(invalidLines).toEqual([]);
    expect(entries.map((e) => e.recordId)).toEqual([id(1), id(2), id(3)]);
    expect(entries[1]).toEqual({ ...tombstone(id(2), id(9)), loggedAt: expect.any(String) });
    expect(statSync(ledger.file).mode & 0o777).toBe(0o600);
  });

  it('writes appends made at once together, and loses none', async () => {
    const ledger = new DestructionLedger(join(dir, 'ledger.jsonl'));
    await Promise.all(Array.from({ length: 50 }, (_, i) => ledger.record([tombstone(id(i))])));
    expect(new Set(ledger.read().entries.map((e) => e.recordId)).size).toBe(50);
  });

  it('ensureWritable creates nothing, and names the setting when the file cannot be written', () => {
    new DestructionLedger(join(dir, 'a', 'b', 'ledger.jsonl')).ensureWritable();
    expect(existsSync(join(dir, 'a'))).toBe(false);
    // A path under a file: a read-only directory would not stop root, who may run these tests.
    writeFileSync(join(dir, 'a-file'), '');
    expect(() => new DestructionLedger(join(dir, 'a-file', 'ledger.jsonl')).ensureWritable()).toThrow(
      /cannot be written \(ENOTDIR\): set MEDREC_DESTRUCTION_LEDGER/,
    );
  });

  it('reports a torn or foreign line instead of applying it', async () => {
    const ledger = new DestructionLedger(join(dir, 'ledger.jsonl'));
    await ledger.record([tombstone(id(1))]);
    appendFileSync(ledger.file, '{"recordId":"not-a-uuid","authority":"x"}\n{"recordId":"0000');
    await ledger.record([tombstone(id(2))]);
    expect(readFileSync(ledger.file, 'utf8').split('\n')).toHaveLength(5);
    const { entries, invalidLines } = ledger.read();
    // The entry written after the torn line is on a line of its own.
    expect(entries.map((e) => e.recordId)).toEqual([id(1), id(2)]);
    expect(invalidLines).toEqual([2, 3]);
  });
});
