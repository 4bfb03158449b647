import type { StoredEvent } from '@medrec/event-store';
import { foldRecord, type RecordEvent } from '@medrec/domain';
import { actors, RECORD_ID, recordAmended, recordCreated, times } from '@medrec/domain/testing';
import type { LoadedRecord, RecordRepository } from '../record-repository';
import { GetRecordQuery } from './record-queries';
import { GetRecordHandler } from './record-query.handlers';

/** GetRecord with `?asOf=`, over a repository that counts its loads (the HTTP behaviour is in history.e2e-spec.ts). */
describe('GetRecordHandler ?asOf=', () => {
  const history: RecordEvent[] = [recordCreated(), recordAmended()];
  const occurredAt = [times.created, times.amended];
  const loaded: LoadedRecord = {
    state: foldRecord(history),
    revision: 1,
    lastHash: 'h1',
    events: history.map((event, revision) => ({
      event,
      phiReadable: true,
      stored: { revision, metadata: { occurredAt: occurredAt[revision] } } as unknown as StoredEvent,
    })),
  };
  const context = { actor: actors.him, at: '2024-04-01T00:00:00.000Z', purpose: 'operations', correlationId: 'c-1' } as GetRecordQuery['context'];

  function handlerOver(record: LoadedRecord) {
    const records = { load: jest.fn(() => Promise.resolve(record)), logAccess: jest.fn(() => Promise.resolve({ position: 1 })) };
    return { records, handler: new GetRecordHandler(records as unknown as RecordRepository) };
  }

  it('loads the record once, logs the access once, and answers the version of that time', async () => {
    const { records, handler } = handlerOver(loaded);

    const view = await handler.execute(new GetRecordQuery(RECORD_ID, context, new Date('2024-03-02T00:00:00.000Z')));

    expect(view).toMatchObject({ id: RECORD_ID, currentVersion: 1, asOf: '2024-03-02T00:00:00.000Z' });
    expect(records.load).toHaveBeenCalledTimes(1);
    expect(records.logAccess).toHaveBeenCalledTimes(1);
    expect(records.logAccess.mock.calls[0]).toEqual([loaded, expect.objectContaining({ type: 'AccessRecord', what: 'record' }), context]);
  });

  it('answers 404 before the record existed, without logging a read', async () => {
    const { records, handler } = handlerOver(loaded);

    await expect(handler.execute(new GetRecordQuery(RECORD_ID, context, new Date('2024-01-01T00:00:00.000Z')))).rejects.toMatchObject({ kind: 'not-found' });

    expect(records.load).toHaveBeenCalledTimes(1);
    expect(records.logAccess).not.toHaveBeenCalled();
  });
});
