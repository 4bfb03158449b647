import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CommandContext, EventSourcedRunner, PhiCodec } from '@medrec/application';
import { SqliteKeyStore } from '@medrec/crypto';
import {
  DISPOSAL_PHI_FIELDS,
  DisposalCommand,
  disposalDecider,
  disposalStream,
  keptDisclosures,
  RECORD_PHI_FIELDS,
  RecordCommand,
  recordDecider,
  recordStream,
} from '@medrec/domain';
import { actors, amendRecord, approveDestruction, createRecord, destroyRecord, RECORD_ID, releaseRecord } from '@medrec/domain/testing';
import { SqliteEventStore } from '@medrec/event-store';
import { ProjectionRunner } from '../projection-runner';
import { HISTORY_PROJECTIONS, patientDisclosures } from './index';

/**
 * The accounting of disclosures outlives a record destroyed by a disposal batch (the batch keeps
 * its releases, sealed with the batch's key, before the record's key goes), live and after a
 * rebuild from the log once the record's key is destroyed; a record destroyed alone takes its
 * releases with it.
 */
const ALONE_ID = '5d1e8a7c-2b3f-4c6d-9e8f-7a6b5c4d3e2f';
const BATCH_ID = '7c0e2f4a-1b3d-4e5f-8a9b-0c1d2e3f4a5b';
const AUTHORITY = 'Retention schedule RS-7, item 12';
const WINDOW = { from: new Date('2020-01-01T00:00:00Z'), to: new Date('2032-01-01T00:00:00Z') };

describe('disclosures projection: releases of records destroyed by a disposal batch', () => {
  let dir: string;
  let keys: SqliteKeyStore;
  let store: SqliteEventStore;
  let runner: EventSourcedRunner;
  let projections: ProjectionRunner;

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'medrec-disclosures-'));
    keys = new SqliteKeyStore({ file: join(dir, 'keys.db'), masterKey: randomBytes(32) });
    store = new SqliteEventStore({ filename: ':memory:' });
    const codec = new PhiCodec(keys, { ...RECORD_PHI_FIELDS, ...DISPOSAL_PHI_FIELDS });
    runner = new EventSourcedRunner(store, codec);
    projections = new ProjectionRunner(store, codec, [...HISTORY_PROJECTIONS], { filename: ':memory:' });
    for (const id of [RECORD_ID, ALONE_ID, disposalStream(BATCH_ID)]) await keys.create(id);
  });

  afterEach(async () => {
    projections.close();
    await store.close();
    await keys.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const context = (at: string): CommandContext => ({ actor: actors.archivist, correlationId: 'corr', at });
  const record = (command: RecordCommand) =>
    runner.run({ stream: recordStream(command.recordId), keyId: command.recordId, decider: recordDecider, command, context: context(command.at) });
  const batch = (command: DisposalCommand) =>
    runner.run({ stream: disposalStream(BATCH_ID), keyId: disposalStream(BATCH_ID), decider: disposalDecider, command, context: context(command.at) });

  const rows = () => projections.db.prepare('SELECT * FROM disclosures ORDER BY release_id').all();

  async function scenario(): Promise<void> {
    await record(createRecord());
    await record(releaseRecord());
    await record(amendRecord({ documentType: 'operative-report' }));
    await record(releaseRecord({ releaseId: 'rel-0002', recipient: { name: 'County Court' }, purpose: 'legal', at: '2024-03-06T10:00:00.000Z' }));
    await record(createRecord({ recordId: ALONE_ID, mrn: 'MRN-009999' }));
    await record(releaseRecord({ recordId: ALONE_ID, releaseId: 'rel-alone' }));

    const at = '2031-03-01T09:00:00.000Z';
    await batch({
      type: 'ProposeDisposalBatch',
      batchId: BATCH_ID,
      actor: actors.archivist,
      at,
      asOf: '2031-03-01',
      authority: AUTHORITY,
      included: [RECORD_ID],
      excluded: [],
    });
    await batch({ type: 'ApproveDisposalBatch', batchId: BATCH_ID, actor: actors.him, at });
    // What execution keeps of the record before its key goes: its releases, read from its events.
    const loaded = await runner.load(recordStream(RECORD_ID), RECORD_ID, recordDecider);
    const disclosures = keptDisclosures(loaded.events.map((e) => e.event));
    expect(disclosures.map((d) => [d.releaseId, d.documentType])).toEqual([
      ['rel-0001', 'discharge-summary'],
      ['rel-0002', 'operative-report'],
    ]);
    await batch({
      type: 'PrepareDisposal',
      batchId: BATCH_ID,
      actor: actors.archivist,
      at,
      records: [{ recordId: RECORD_ID, mrn: 'MRN-004217', documentType: 'operative-report', from: '2024-02-27', to: '2024-03-04', versions: 2, disclosures }],
    });
    for (const id of [RECORD_ID, ALONE_ID]) {
      await record(approveDestruction({ recordId: id }));
      await record(destroyRecord({ recordId: id }));
    }
    await batch({ type: 'RecordDisposalOutcomes', batchId: BATCH_ID, actor: actors.archivist, at, destroyed: [RECORD_ID], skipped: [] });
  }

  it("keeps the batch-destroyed record's releases in the patient's accounting; the record destroyed alone leaves none", async () => {
    await scenario();
    await projections.drain();
    expect(patientDisclosures(projections.db, 'MRN-004217', WINDOW.from, WINDOW.to)).toEqual([
      expect.objectContaining({
        recordId: RECORD_ID,
        releaseId: 'rel-0001',
        recipient: { name: 'Northside Insurance Claims Dept.', address: '1 Example Way, Springfield' },
        purpose: 'payment',
        documentType: 'discharge-summary',
      }),
      expect.objectContaining({
        recordId: RECORD_ID,
        releaseId: 'rel-0002',
        recipient: { name: 'County Court', address: null },
        documentType: 'operative-report',
      }),
    ]);
    expect(patientDisclosures(projections.db, 'MRN-009999', WINDOW.from, WINDOW.to)).toEqual([]);
    expect(projections.db.prepare('SELECT COUNT(*) AS n FROM disclosure_patients').get()).toEqual({ n: 0 });
  });

  it('gives the same rows when rebuilt from the log after the record keys were destroyed', async () => {
    await scenario();
    await projections.drain();
    const live = rows();
    expect(live).toHaveLength(2);
    await keys.destroy(RECORD_ID);
    await keys.destroy(ALONE_ID);
    await projections.rebuild();
    expect(rows()).toEqual(
      live.map((row) => ({ ...(row as object), position: expect.any(Number) })), // rebuilt from the batch's event, not the releases
    );
  });
});
