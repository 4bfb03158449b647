import { CommandContext, EventSourcedRunner } from '@medrec/application';
import { ChangeRetentionSchedule, RecordCommand, RETENTION_SCHEDULES_STREAM, retentionSchedulesDecider } from '@medrec/domain';
import { actors, amendRecord, approveDestruction, createRecord, destroyRecord, liftLegalHold, placeLegalHold } from '@medrec/domain/testing';
import { ProjectionRunner } from '../projection-runner';
import { projectionTestbed, ProjectionTestbed } from '../testing/projection-testbed';
import { RetentionCursorError, RetentionDueList, retentionProjection, retentionSchedulesInForce } from './retention.projection';

const ADULT = '00000000-0000-4000-8000-000000000001';
const MINOR = '00000000-0000-4000-8000-000000000002';
const NO_ENCOUNTER = '00000000-0000-4000-8000-000000000003';
const LETTER = '00000000-0000-4000-8000-000000000004';
const DESTROYED = '00000000-0000-4000-8000-000000000005';

describe('retention projection and the due list', () => {
  let bed: ProjectionTestbed;
  let runner: EventSourcedRunner;
  let projections: ProjectionRunner;
  let list: RetentionDueList;

  beforeEach(async () => {
    bed = await projectionTestbed([retentionProjection], [ADULT, MINOR, NO_ENCOUNTER, LETTER, DESTROYED]);
    ({ runner, projections } = bed);
    list = new RetentionDueList(projections.db);
  });

  afterEach(() => bed.close());

  const run = (command: RecordCommand) => bed.run(command);
  const changeSchedule = (command: Partial<ChangeRetentionSchedule>) => {
    const full: ChangeRetentionSchedule = {
      type: 'ChangeRetentionSchedule',
      documentType: 'discharge-summary',
      years: 10,
      authority: 'State Code 1',
      actor: actors.archivist.username,
      at: '2026-01-01T00:00:00.000Z',
      ...command,
    };
    const context: CommandContext = { actor: actors.archivist, correlationId: 'corr', at: full.at };
    return runner.run({ stream: RETENTION_SCHEDULES_STREAM, keyId: null, decider: retentionSchedulesDecider, command: full, context });
  };

  async function scenario(): Promise<void> {
    await run(createRecord({ recordId: ADULT, encounterDate: '2010-03-02' }));
    await run(createRecord({ recordId: MINOR, encounterDate: '2012-01-10', dateOfBirth: '2004-02-29' }));
    await run(createRecord({ recordId: NO_ENCOUNTER, encounterDate: undefined }));
    await run(createRecord({ recordId: LETTER, documentType: 'correspondence', encounterDate: '2018-05-05' }));
    await run(createRecord({ recordId: DESTROYED, encounterDate: '2001-01-01' }));
    await run(approveDestruction({ recordId: DESTROYED }));
    await run(destroyRecord({ recordId: DESTROYED }));
    await run(placeLegalHold({ recordId: ADULT, holdId: 'h1' }));
    await run(placeLegalHold({ recordId: ADULT, holdId: 'h2' }));
    await run(liftLegalHold({ recordId: ADULT, holdId: 'h1' }));
  }

  it('lists the records due as of a day, with the rule and whether a hold stands', async () => {
    await scenario();
    await projections.drain();
    expect(list.due({ asOf: '2026-01-01', limit: 10 })).toEqual({
      records: [
        { id: ADULT, documentType: 'discharge-summary', retentionUntil: '2020-03-02', rule: '10 years after last encounter 2010-03-02', held: true },
        { id: LETTER, documentType: 'correspondence', retentionUntil: '2024-05-05', rule: '6 years after last encounter 2018-05-05', held: false },
        {
          id: MINOR,
          documentType: 'discharge-summary',
          retentionUntil: '2025-03-01',
          rule: 'minor at last encounter: until 21st birthday 2025-03-01',
          held: false,
        },
      ],
      nextCursor: null,
    });
    // No encounter date: ten years after creation (2024-03-01).
    expect(list.due({ asOf: '2034-03-01', limit: 10 }).records.map((r) => r.id)).toEqual([ADULT, LETTER, MINOR, NO_ENCOUNTER]);
    expect(list.due({ asOf: '2025-02-28', limit: 10, documentType: 'discharge-summary' }).records.map((r) => r.id)).toEqual([ADULT]);
  });

  it('forgets a destroyed record, and a lifted hold', async () => {
    await scenario();
    await run(liftLegalHold({ recordId: ADULT, holdId: 'h2' }));
    await projections.drain();
    expect(projections.db.prepare('SELECT record_id FROM retention_records WHERE record_id = ?').all(DESTROYED)).toEqual([]);
    expect(list.due({ asOf: '2026-01-01', limit: 1 }).records[0]).toMatchObject({ id: ADULT, held: false });
  });

  it('applies a schedule change to every record at once, and an amended encounter date', async () => {
    await scenario();
    await changeSchedule({ documentType: 'discharge-summary', years: 20 });
    await changeSchedule({ documentType: 'correspondence', years: 3, minorsUntilAge: 25, authority: 'Policy 9' });
    await run(amendRecord({ recordId: LETTER, kind: 'correction', reason: 'Wrong encounter date', encounterDate: '2023-05-05', content: undefined }));
    await projections.drain();
    const schedules = retentionSchedulesInForce(projections.db);
    expect(schedules.find((s) => s.documentType === 'correspondence')).toEqual({
      documentType: 'correspondence',
      years: 3,
      minorsUntilAge: 25,
      authority: 'Policy 9',
      changedBy: actors.archivist.username,
      changedAt: '2026-01-01T00:00:00.000Z',
    });
    expect(schedules.find((s) => s.documentType === 'lab-report')).toMatchObject({ years: 10, authority: 'medrec default', changedBy: null });
    // Discharge summaries: 20 years, no minors' rule now; the letter: 3 years after its corrected encounter.
    expect(list.due({ asOf: '2030-03-02', limit: 10 })).toEqual({
      records: [
        { id: LETTER, documentType: 'correspondence', retentionUntil: '2026-05-05', rule: '3 years after last encounter 2023-05-05', held: false },
        { id: ADULT, documentType: 'discharge-summary', retentionUntil: '2030-03-02', rule: '20 years after last encounter 2010-03-02', held: true },
      ],
      nextCursor: null,
    });
  });

  it('pages by retention date then id with an opaque cursor', async () => {
    await scenario();
    await projections.drain();
    const first = list.due({ asOf: '2034-03-01', limit: 3 });
    expect(first.records.map((r) => r.id)).toEqual([ADULT, LETTER, MINOR]);
    expect(first.nextCursor).toEqual(expect.any(String));
    expect(first.nextCursor).not.toContain('2025');
    const second = list.due({ asOf: '2034-03-01', limit: 3, cursor: first.nextCursor! });
    expect(second).toEqual({ records: [expect.objectContaining({ id: NO_ENCOUNTER })], nextCursor: null });
    expect(() => list.due({ asOf: '2034-03-01', limit: 3, cursor: 'not-a-cursor' })).toThrow(RetentionCursorError);
    expect(() => new RetentionDueList(projections.db).due({ asOf: '2034-03-01', limit: 3, cursor: first.nextCursor! })).toThrow(RetentionCursorError);
  });
});
