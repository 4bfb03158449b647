import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ingestedKey, IngestState } from './ingest-state';

const SERVER = 'https://medrec.example.org';
const sha = (c: string) => ingestedKey('MRN-1', c.repeat(64));

describe('IngestState', () => {
  let folder: string;
  let path: string;

  beforeEach(() => {
    folder = mkdtempSync(join(tmpdir(), 'medrec-state-'));
    path = join(folder, 'state.json');
  });

  afterEach(() => rmSync(folder, { recursive: true, force: true }));

  it('starts empty, remembers files by content hash and reads them back', async () => {
    const state = await IngestState.open(path, SERVER);
    expect(state.find(sha('a'))).toBeUndefined();
    for (let i = 0; i < 20; i++) state.remember(sha((i % 10).toString()), { recordId: `r-${i}`, file: `f${i}.pdf`, at: '2025-01-01T00:00:00.000Z' });
    await state.flush();

    const reopened = await IngestState.open(path, SERVER);
    expect(reopened.size).toBe(10);
    expect(reopened.find(sha('3'))).toEqual({ recordId: 'r-13', file: 'f13.pdf', at: '2025-01-01T00:00:00.000Z' });
    expect(reopened.find('constructor')).toBeUndefined();
    expect(JSON.parse(readFileSync(path, 'utf8'))).toMatchObject({ version: 2, server: SERVER });
  });

  it('keys files by patient and content, MRNs compared as the server compares them', async () => {
    const state = await IngestState.open(path, SERVER);
    state.remember(ingestedKey(' mrn-1 ', 'a'.repeat(64)), { recordId: 'r', file: 'f', at: 'now' });
    expect(state.find(ingestedKey('MRN-1', 'a'.repeat(64)))).toMatchObject({ recordId: 'r' });
    expect(state.find(ingestedKey('MRN-2', 'a'.repeat(64)))).toBeUndefined();
  });

  it('starts afresh from a version 1 file (keyed by content alone) of the same server', async () => {
    writeFileSync(path, JSON.stringify({ version: 1, server: SERVER, ingested: { ['a'.repeat(64)]: { recordId: 'r', file: 'f', at: 'now' } } }));
    const state = await IngestState.open(path, SERVER);
    expect(state.size).toBe(0);
    writeFileSync(path, JSON.stringify({ version: 2, server: SERVER, ingested: { ['a'.repeat(64)]: { recordId: 'r', file: 'f', at: 'now' } } }));
    await expect(IngestState.open(path, SERVER)).rejects.toMatchObject({ exitCode: 2 });
  });

  it('refuses a state file of another server or one it did not write', async () => {
    const state = await IngestState.open(path, SERVER);
    state.remember(sha('a'), { recordId: 'r', file: 'f', at: 'now' });
    await state.flush();
    await expect(IngestState.open(path, 'http://localhost:3000')).rejects.toMatchObject({
      exitCode: 2,
      message: expect.stringContaining(`records a batch sent to ${SERVER}`),
    });

    writeFileSync(path, '{"ingested": []}');
    await expect(IngestState.open(path, SERVER)).rejects.toMatchObject({ exitCode: 2, message: expect.stringContaining('is not one this command wrote') });
  });

  it('reports a state file it cannot write when flushed', async () => {
    const state = await IngestState.open(join(folder, 'missing-dir', 'state.json'), SERVER);
    state.remember(sha('a'), { recordId: 'r', file: 'f', at: 'now' });
    await expect(state.flush()).rejects.toMatchObject({ exitCode: 1, message: expect.stringContaining('(ENOENT)') });
  });
});
