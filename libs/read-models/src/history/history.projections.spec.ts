import { SqliteKeyStore } from '@medrec/crypto';
import { RecordAccessed, recordAccessStream, RecordCommand } from '@medrec/domain';
import {
  actors,
  amendedContent,
  amendRecord,
  approveDestruction,
  archiveRecord,
  completeOcr,
  createRecord,
  destroyRecord,
  liftLegalHold,
  placeLegalHold,
  RECORD_ID,
  releaseRecord,
} from '@medrec/domain/testing';
import { SqliteEventStore } from '@medrec/event-store';
import { ProjectionRunner } from '../projection-runner';
import { projectionTestbed, ProjectionTestbed } from '../testing/projection-testbed';
import { accessLogPage, HISTORY_PROJECTIONS, patientDisclosures, recordStats, recordTimeline, timelinePage } from './index';

const OTHER_ID = '5d1e8a7c-2b3f-4c6d-9e8f-7a6b5c4d3e2f';
const TABLES = ['record_timeline', 'record_timeline_destroyed', 'disclosures', 'disclosure_patients', 'stats_records', 'stats_uploads', 'stats_encounters'];

describe('history projections', () => {
  let bed: ProjectionTestbed;
  let keys: SqliteKeyStore;
  let store: SqliteEventStore;
  let projections: ProjectionRunner;

  beforeEach(async () => {
    bed = await projectionTestbed(HISTORY_PROJECTIONS, [RECORD_ID, OTHER_ID]);
    ({ keys, store, projections } = bed);
  });

  afterEach(() => bed.close());

  const run = (command: RecordCommand) => bed.run(command);

  const access = (recordId: string, at: string, version: number | null = null) => {
    const event: RecordAccessed = {
      type: 'RecordAccessed',
      data: { recordId, accessId: `acc-${at}`, version, what: 'record', purpose: 'treatment', actor: actors.clinician.username, role: 'clinician', at },
    };
    const metadata = {
      actor: actors.clinician.username,
      role: 'clinician',
      purpose: 'treatment',
      correlationId: 'corr',
      causationId: 'corr',
      occurredAt: at,
      schemaVersion: 1,
    };
    return store.append(recordAccessStream(recordId), [{ type: event.type, data: event.data, metadata }], 'any');
  };

  const snapshot = () =>
    Object.fromEntries(
      TABLES.map((table) => [
        table,
        projections.db
          .prepare(`SELECT * FROM ${table}`)
          .all()
          .map((row) => JSON.stringify(row))
          .sort(),
      ]),
    );

  /** A record through its whole life, and another of another patient that is destroyed. */
  async function scenario(): Promise<void> {
    await run(createRecord());
    await run(completeOcr({ version: 1, pages: 2, meanConfidence: 90 }));
    await run(amendRecord({ content: amendedContent(), at: '2024-03-04T10:15:00.000Z' }));
    await run(amendRecord({ kind: 'addendum', reason: 'Late note', at: '2024-03-04T11:00:00.000Z' }));
    // OCR of version 3 is the OCR of version 2's content (version 3 has none of its own).
    await run(completeOcr({ version: 3, pages: 3, meanConfidence: 80, at: '2024-03-04T11:00:05.000Z' }));
    await access(RECORD_ID, '2024-03-05T09:00:00.000Z', 2);
    await run(releaseRecord({ versions: [2] }));
    await run(placeLegalHold());
    await run(liftLegalHold());
    await run(archiveRecord());
    await run(approveDestruction());

    await run(createRecord({ recordId: OTHER_ID, mrn: 'MRN-009999', encounterDate: '2023-11-02', content: amendedContent({ blobKey: 'b/other' }) }));
    await run(releaseRecord({ recordId: OTHER_ID, releaseId: 'rel-other' }));
    await access(OTHER_ID, '2024-03-06T09:00:00.000Z');
    await run(approveDestruction({ recordId: OTHER_ID }));
    await run(destroyRecord({ recordId: OTHER_ID }));
    // An access decided just before the destruction, appended just after it.
    await access(OTHER_ID, '2031-03-08T12:00:01.000Z');
  }

  it('gives the timeline, accesses, disclosures and counts of the records', async () => {
    await scenario();
    await projections.drain();
    const db = projections.db;

    // Accesses come from the record's access stream, merged in log order.
    const head = await store.headPosition();
    const { accesses } = await accessLogPage(store, RECORD_ID, head, { limit: 100 });
    expect(accesses).toEqual([expect.objectContaining({ actor: 'dr.clio', role: 'clinician', purpose: 'treatment', version: 2, what: 'record' })]);
    expect(recordTimeline(db, RECORD_ID).some((e) => e.type === 'accessed')).toBe(false);
    const { timeline, nextCursor } = await timelinePage(db, store, RECORD_ID, head, { limit: 100 });
    expect(nextCursor).toBeNull();
    expect(timeline.map((e) => [e.type, e.actor, e.version])).toEqual([
      ['created', 'cara.clerk', 1],
      ['ocr-completed', 'cara.clerk', 1],
      ['amended', 'hugo.him', 2],
      ['amended', 'hugo.him', 3],
      ['ocr-completed', 'cara.clerk', 3],
      ['accessed', 'dr.clio', 2],
      ['released', 'hugo.him', null],
      ['hold-placed', 'lena.legal', null],
      ['hold-lifted', 'lena.legal', null],
      ['archived', 'arno.archivist', null],
      ['destruction-approved', 'hugo.him', 3],
    ]);
    expect(timeline[10]).toMatchObject({
      role: 'him',
      summary: 'Destruction of version 3 approved under Retention schedule RS-7, item 12',
      details: { approvalId: 'appr-0001', authority: 'Retention schedule RS-7, item 12' },
    });
    expect(timeline[3].summary).toBe('Version 3 (addendum): same content. Reason: Late note');
    expect(recordTimeline(db, RECORD_ID, timeline[2].position).map((e) => e.type)).toEqual(['created', 'ocr-completed', 'amended']);
    expect((await accessLogPage(store, RECORD_ID, timeline[4].position, { limit: 100 })).accesses).toEqual([]);

    // Page by page (limit 3, the access in the middle of a page): the same entries, once each, in order.
    const paged: typeof timeline = [];
    let cursor: string | null = null;
    do {
      const page: Awaited<ReturnType<typeof timelinePage>> = await timelinePage(db, store, RECORD_ID, head, {
        limit: 3,
        ...(cursor ? { cursor: JSON.parse(Buffer.from(cursor, 'base64url').toString()) } : {}),
      });
      expect(page.timeline.length).toBeLessThanOrEqual(3);
      paged.push(...page.timeline);
      cursor = page.nextCursor;
    } while (cursor);
    expect(paged).toEqual(timeline);

    const window = { from: new Date('2020-01-01T00:00:00Z'), to: new Date('2030-01-01T00:00:00Z') };
    expect(patientDisclosures(db, 'mrn-004217', window.from, window.to)).toEqual([
      expect.objectContaining({
        recordId: RECORD_ID,
        releaseId: 'rel-0001',
        versions: [2],
        purpose: 'payment',
        recipient: { name: 'Northside Insurance Claims Dept.', address: '1 Example Way, Springfield' },
      }),
    ]);

    // The destroyed record: no rows of it, the late access included.
    expect(recordTimeline(db, OTHER_ID)).toEqual([]);
    expect(patientDisclosures(db, 'MRN-009999', window.from, window.to)).toEqual([]);

    const stats = recordStats(db);
    expect(stats.records).toEqual({ total: 1, byStatus: { active: 0, archived: 1, destroyed: 1 }, byType: { 'discharge-summary': 1 } });
    expect(stats.pages).toEqual({ stored: 5, current: 3 });
    expect(stats.ocr).toEqual({ pending: 0, done: 2, failed: 0, meanConfidence: 85 });
    expect(stats.encountersPerMonth).toEqual([{ month: '2024-02', records: 1 }]);
    expect(stats.uploadsPerDay).toEqual([
      { day: '2024-03-01', uploads: 2, pages: 5 },
      { day: '2024-03-04', uploads: 1, pages: 3 },
    ]);
    expect(recordStats(db, { from: '2024-03-02' }).uploadsPerDay).toEqual([{ day: '2024-03-04', uploads: 1, pages: 3 }]);
  });

  it('a rebuild after the destroyed record was shredded gives the same rows as live application', async () => {
    await scenario();
    await projections.drain();
    const live = snapshot();
    await keys.destroy(OTHER_ID);
    await projections.rebuild();
    expect(snapshot()).toEqual(live);
  });
});
