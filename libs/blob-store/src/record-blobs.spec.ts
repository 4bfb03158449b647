import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SqliteKeyStore } from '@medrec/crypto';
import { DomainError } from '@medrec/domain';
import { assertValidBlobKey, assertValidBlobPrefix } from './blob-key';
import { FilesystemBlobStore } from './fs/filesystem-blob-store';
import { newContentKey, readStoredText, recordBlobPrefix, StoredText, textKeyFor, withRecordKey, writeStoredText } from './record-blobs';

const RECORD_ID = '3f1c2b9e-8d4a-4c55-9a77-0b6c1e2d3f40';
const zeroed = (key: Buffer) => key.equals(Buffer.alloc(key.length));

describe('record blobs', () => {
  let root: string;
  let keys: SqliteKeyStore;
  let blobs: FilesystemBlobStore;

  beforeEach(async () => {
    root = await mkdtemp(join(tmpdir(), 'medrec-record-blobs-'));
    keys = new SqliteKeyStore({ file: join(root, 'keys.db'), masterKey: randomBytes(32) });
    blobs = new FilesystemBlobStore(join(root, 'blobs'));
  });
  afterEach(async () => {
    await keys.close();
    await rm(root, { recursive: true, force: true });
  });

  describe('key layout', () => {
    it('content under records/<id>/content/<uuid>, a fresh key each time, inside the record prefix', () => {
      const [one, two] = [newContentKey(RECORD_ID), newContentKey(RECORD_ID)];
      expect(one).toMatch(new RegExp(`^records/${RECORD_ID}/content/[0-9a-f-]{36}$`));
      expect(one).not.toBe(two);
      expect(one.startsWith(recordBlobPrefix(RECORD_ID))).toBe(true);
      assertValidBlobKey(one);
      assertValidBlobPrefix(recordBlobPrefix(RECORD_ID));
    });

    it('puts the text next to the content, and refuses a content key it would write over', () => {
      expect(textKeyFor('records/r1/content/abc')).toBe('records/r1/text/abc.json');
      expect(() => textKeyFor('records/r1/abc')).toThrow(/not one the API writes/);
    });
  });

  it('stored text reads back as written, and is stored encrypted', async () => {
    const dataKey = randomBytes(32);
    const textKey = textKeyFor(newContentKey(RECORD_ID));
    const stored: StoredText = { version: 2, pages: [{ page: 1, text: 'Quenby discharge note', confidence: 91, source: 'ocr', words: [] }] };
    await writeStoredText(blobs, textKey, stored, dataKey);
    expect(await readStoredText(blobs, textKey, dataKey)).toEqual(stored);
    expect((await readFile(join(root, 'blobs', textKey))).toString('latin1')).not.toContain('Quenby');
  });

  describe('withRecordKey', () => {
    it('hands fn the record key and wipes it once fn has resolved', async () => {
      const created = await keys.create(RECORD_ID);
      let handed: Buffer | undefined;
      const result = await withRecordKey(keys, RECORD_ID, (key) => {
        handed = key;
        expect(key.equals(created)).toBe(true);
        return Promise.resolve('read');
      });
      expect(result).toBe('read');
      expect(zeroed(handed!)).toBe(true);
      // A copy was wiped: the store still has the key.
      expect((await keys.get(RECORD_ID))!.equals(created)).toBe(true);
    });

    it('wipes the key when fn throws, and passes the error on', async () => {
      await keys.create(RECORD_ID);
      let handed: Buffer | undefined;
      const failure = new Error('blob store unavailable');
      await expect(
        withRecordKey(keys, RECORD_ID, (key) => {
          handed = key;
          return Promise.reject(failure);
        }),
      ).rejects.toBe(failure);
      expect(zeroed(handed!)).toBe(true);
    });

    it('an unknown record -> not-found, a destroyed one -> gone; fn is not called', async () => {
      const fn = jest.fn(() => Promise.resolve('never'));
      await expect(withRecordKey(keys, RECORD_ID, fn)).rejects.toMatchObject({ kind: 'not-found' });
      await keys.create(RECORD_ID);
      await keys.destroy(RECORD_ID);
      const gone = await withRecordKey(keys, RECORD_ID, fn).catch((error: unknown) => error);
      expect(gone).toBeInstanceOf(DomainError);
      expect(gone).toMatchObject({ kind: 'gone' });
      expect(fn).not.toHaveBeenCalled();
    });
  });
});
