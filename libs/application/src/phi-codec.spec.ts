import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DecryptionError, SqliteKeyStore } from '@medrec/crypto';
import { RECORD_PHI_FIELDS, RecordEvent } from '@medrec/domain';
import { legalHoldLifted, ocrCompleted, RECORD_ID, recordAmended, recordArchived, recordCreated, recordReleased, shredded } from '@medrec/domain/testing';
import { SqliteEventStore, StoredEvent } from '@medrec/event-store';
import { PhiCodec } from './phi-codec';

const OTHER_RECORD_ID = '5e0c2a7b-91d4-4f3e-8b6a-2d7f1c9e4a03';
const CLEAR_PHI_VALUES = ['MRN-004217', 'Jane Q. Testpatient', '1961-07-14', 'Discharge summary, cardiology ward', '2024-02-27'];

describe('PhiCodec', () => {
  let dir: string;
  let keys: SqliteKeyStore;
  let events: SqliteEventStore;
  let codec: PhiCodec;

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'medrec-phi-codec-'));
    keys = new SqliteKeyStore({ file: join(dir, 'keys.db'), masterKey: randomBytes(32) });
    events = new SqliteEventStore({ filename: ':memory:' });
    codec = new PhiCodec(keys, RECORD_PHI_FIELDS);
    await keys.create(RECORD_ID);
  });

  afterEach(async () => {
    await events?.close();
    await keys?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  /** Encodes the events and stores them in the real event store, as the runner would. */
  async function store(keyId: string, domainEvents: RecordEvent[], stream = `record-${keyId}`): Promise<StoredEvent[]> {
    const encoded = [];
    for (const event of domainEvents) {
      encoded.push({
        type: event.type,
        data: await codec.encode(keyId, event),
        metadata: { actor: 'cara.clerk', role: 'clerk', correlationId: 'c-1', causationId: 'c-1', occurredAt: '2024-03-01T09:00:00.000Z', schemaVersion: 1 },
      });
    }
    await events.append(stream, encoded, 'any');
    return events.readStream(stream);
  }

  describe('encode', () => {
    it('seals every PHI field under `phi` and leaves no clear PHI value in the stored data', async () => {
      const data = await codec.encode(RECORD_ID, recordCreated());

      expect(typeof data.phi).toBe('string');
      expect((data.phi as string).startsWith('v1.')).toBe(true);
      for (const field of RECORD_PHI_FIELDS.RecordCreated) expect(data).not.toHaveProperty(field);
      const serialized = JSON.stringify(data);
      for (const value of CLEAR_PHI_VALUES) expect(serialized).not.toContain(value);
    });

    it('keeps the clear fields clear and unchanged', async () => {
      const event = recordCreated();
      const data = await codec.encode(RECORD_ID, event);

      expect(data).toEqual({
        recordId: event.data.recordId,
        documentType: event.data.documentType,
        version: 1,
        content: event.data.content,
        createdBy: event.data.createdBy,
        createdAt: event.data.createdAt,
        phi: expect.any(String),
      });
    });

    it('seals the PHI fields an event actually has (optional PHI fields may be absent)', async () => {
      const event = recordCreated({ encounterDate: undefined });
      const data = await codec.encode(RECORD_ID, event);
      const [decoded] = await codec.decodeAll(RECORD_ID, await store(RECORD_ID, [event]));

      expect(data).not.toHaveProperty('encounterDate');
      expect(decoded.event.data).not.toHaveProperty('encounterDate');
      expect(decoded.event.data).toMatchObject({ patientName: 'Jane Q. Testpatient' });
    });

    it('refuses to write PHI when the entity has no data key, without PHI in the error', async () => {
      const attempt = codec.encode(OTHER_RECORD_ID, recordCreated({ recordId: OTHER_RECORD_ID }));

      await expect(attempt).rejects.toThrow('No data key');
      const error = await attempt.catch((e: Error) => e);
      for (const value of CLEAR_PHI_VALUES) expect(String(error as Error)).not.toContain(value);
    });

    it('passes events without PHI fields through unchanged, without touching the key store', async () => {
      await keys.close();
      await expect(keys.get(RECORD_ID)).rejects.toThrow(); // any use of the key store would fail

      await expect(codec.encode(RECORD_ID, ocrCompleted())).resolves.toEqual(ocrCompleted().data);
      await expect(codec.encode(RECORD_ID, legalHoldLifted())).resolves.toEqual(legalHoldLifted().data);
      // An event type the table does not know is treated as PHI-free.
      await expect(codec.encode(RECORD_ID, { type: 'SomethingElse', data: { a: 1 } })).resolves.toEqual({ a: 1 });
    });
  });

  describe('decode', () => {
    it('round-trips through the event store: the decoded event equals the original', async () => {
      const originals = [recordCreated(), recordAmended({ title: 'Corrected title' }), recordArchived()];
      const stored = await store(RECORD_ID, originals);

      for (const [i, s] of stored.entries()) {
        const decoded = await codec.decode(RECORD_ID, s);
        expect(decoded.phiReadable).toBe(true);
        expect(decoded.event).toEqual(originals[i]);
        expect(decoded.stored).toBe(s);
        expect(decoded.event.data).not.toHaveProperty('phi');
      }
    });

    it('reads a release written before its purpose was sealed: the clear purpose beside the sealed fields', async () => {
      const before = new PhiCodec(keys, { ...RECORD_PHI_FIELDS, RecordReleased: RECORD_PHI_FIELDS.RecordReleased.filter((f) => f !== 'purpose') });
      const data = await before.encode(RECORD_ID, recordReleased());
      expect(data.purpose).toBe('payment');
      await events.append(
        `record-${RECORD_ID}`,
        [
          {
            type: 'RecordReleased',
            data,
            metadata: { actor: 'hugo.him', role: 'him', correlationId: 'c-1', causationId: 'c-1', occurredAt: '2024-03-05T11:00:00.000Z', schemaVersion: 1 },
          },
        ],
        'any',
      );
      const [stored] = await events.readStream(`record-${RECORD_ID}`);

      const decoded = await codec.decode(RECORD_ID, stored);

      expect(decoded.phiReadable).toBe(true);
      expect(decoded.event).toEqual(recordReleased());
    });

    it('seals the purpose of a release now', async () => {
      const data = await codec.encode(RECORD_ID, recordReleased({ purpose: 'Claim of Jane Q. Testpatient' }));
      expect(data).not.toHaveProperty('purpose');
      expect(JSON.stringify(data)).not.toContain('Testpatient');
    });

    it('after the key is destroyed, reports phiReadable false and leaves the PHI fields out', async () => {
      const [stored] = await store(RECORD_ID, [recordCreated()]);
      await keys.destroy(RECORD_ID);

      const decoded = await codec.decode(RECORD_ID, stored);

      expect(decoded.phiReadable).toBe(false);
      expect(decoded.event).toEqual(shredded(recordCreated()));
      expect(decoded.event.data).not.toHaveProperty('phi');
    });

    it('does not decrypt PHI copied into another record (the record id is bound to the ciphertext)', async () => {
      await keys.create(OTHER_RECORD_ID);
      const [stored] = await store(RECORD_ID, [recordCreated()]);

      await expect(codec.decode(OTHER_RECORD_ID, stored)).rejects.toThrow(DecryptionError);
    });

    it('passes events without PHI through as readable without touching the key store', async () => {
      const stored = await store(RECORD_ID, [ocrCompleted(), legalHoldLifted()]);
      await keys.close();
      await expect(keys.get(RECORD_ID)).rejects.toThrow();

      for (const s of stored) {
        const decoded = await codec.decode(RECORD_ID, s);
        expect(decoded.phiReadable).toBe(true);
        expect(decoded.event).toEqual({ type: s.type, data: s.data });
      }
      const all = await codec.decodeAll(RECORD_ID, stored);
      expect(all.map((d) => d.event)).toEqual([ocrCompleted(), legalHoldLifted()]);
    });
  });

  describe('decodeAll', () => {
    it('decodes a mixed stream in order', async () => {
      const originals = [recordCreated(), ocrCompleted(), recordAmended(), legalHoldLifted()];
      const stored = await store(RECORD_ID, originals);

      const decoded = await codec.decodeAll(RECORD_ID, stored);

      expect(decoded.map((d) => d.event)).toEqual(originals);
      expect(decoded.every((d) => d.phiReadable)).toBe(true);
      expect(decoded.map((d) => d.stored)).toEqual(stored);
    });

    it('after crypto-shredding, keeps the clear facts and marks only the PHI-bearing events unreadable', async () => {
      const originals = [recordCreated(), ocrCompleted(), recordArchived()];
      const stored = await store(RECORD_ID, originals);
      await keys.destroy(RECORD_ID);

      const decoded = await codec.decodeAll(RECORD_ID, stored);

      expect(decoded.map((d) => d.phiReadable)).toEqual([false, true, false]);
      expect(decoded.map((d) => d.event)).toEqual([shredded(recordCreated()), ocrCompleted(), shredded(recordArchived())]);
      expect(JSON.stringify(decoded.map((d) => d.event))).not.toContain('Jane Q. Testpatient');
    });

    it('returns [] for an empty stream', async () => {
      await expect(codec.decodeAll(RECORD_ID, [])).resolves.toEqual([]);
    });
  });

  describe('decodeBatch', () => {
    it('decodes events of several records in order, fetching each key once and wiping it afterwards', async () => {
      await keys.create(OTHER_RECORD_ID);
      const mine = await store(RECORD_ID, [recordCreated(), ocrCompleted(), recordAmended({ title: 'Corrected title' })]);
      const other = recordCreated({ recordId: OTHER_RECORD_ID, patientName: 'Other Patient' });
      const [theirs] = await store(OTHER_RECORD_ID, [other]);
      const fetched: Buffer[] = [];
      const getMany = keys.getMany.bind(keys);
      const spy = jest.spyOn(keys, 'getMany').mockImplementation(async (ids) => {
        const got = await getMany(ids);
        for (const key of got.values()) if (key) fetched.push(key);
        return got;
      });

      const batch = [mine[0], theirs, mine[1], mine[2]].map((stored) => ({ keyId: stored.stream.slice('record-'.length), stored }));
      const decoded = await codec.decodeBatch(batch);

      expect(decoded.map((d) => d.event)).toEqual([recordCreated(), other, ocrCompleted(), recordAmended({ title: 'Corrected title' })]);
      expect(decoded.map((d) => d.stored)).toEqual(batch.map((b) => b.stored));
      expect(decoded.every((d) => d.phiReadable)).toBe(true);
      // One call for the batch, each record's key once.
      expect(spy.mock.calls.map(([ids]) => [...ids].sort())).toEqual([[RECORD_ID, OTHER_RECORD_ID].sort()]);
      // No key outlives the batch.
      expect(fetched).toHaveLength(2);
      for (const key of fetched) expect(key.equals(Buffer.alloc(32))).toBe(true);
      spy.mockRestore();
    });

    it('never uses a key destroyed before the batch (a later batch sees the record shredded)', async () => {
      await keys.create(OTHER_RECORD_ID);
      const [mine] = await store(RECORD_ID, [recordCreated()]);
      const [theirs] = await store(OTHER_RECORD_ID, [recordCreated({ recordId: OTHER_RECORD_ID })]);
      const batch = [mine, theirs].map((stored) => ({ keyId: stored.stream.slice('record-'.length), stored }));
      expect((await codec.decodeBatch(batch)).map((d) => d.phiReadable)).toEqual([true, true]);

      await keys.destroy(RECORD_ID);
      const decoded = await codec.decodeBatch(batch);

      expect(decoded.map((d) => d.phiReadable)).toEqual([false, true]);
      expect(decoded[0].event).toEqual(shredded(recordCreated()));
      expect(JSON.stringify(decoded[0].event)).not.toContain('Jane Q. Testpatient');
    });

    it('fails the batch when PHI was moved to another record, and returns [] for none', async () => {
      await keys.create(OTHER_RECORD_ID);
      const [stored] = await store(RECORD_ID, [recordCreated()]);
      await expect(codec.decodeBatch([{ keyId: OTHER_RECORD_ID, stored }])).rejects.toThrow(DecryptionError);
      await expect(codec.decodeBatch([])).resolves.toEqual([]);
    });
  });
});
