import { RecordCommand } from '@medrec/domain';
import { amendRecord, approveDestruction, archiveRecord, createRecord, destroyRecord, releaseRecord } from '@medrec/domain/testing';
import { ProjectionRunner } from '../projection-runner';
import { projectionTestbed, ProjectionTestbed } from '../testing/projection-testbed';
import { archiveCandidates, archiveProjection } from './archive.projection';

const OLD = '00000000-0000-4000-8000-000000000001';
const AMENDED = '00000000-0000-4000-8000-000000000002';
const RELEASED = '00000000-0000-4000-8000-000000000003';
const NO_ENCOUNTER = '00000000-0000-4000-8000-000000000004';
const LAB = '00000000-0000-4000-8000-000000000005';
const ARCHIVED = '00000000-0000-4000-8000-000000000006';
const DESTROYED = '00000000-0000-4000-8000-000000000007';

describe('archive projection: the last activity of each live record', () => {
  let bed: ProjectionTestbed;
  let projections: ProjectionRunner;

  beforeEach(async () => {
    bed = await projectionTestbed([archiveProjection], [OLD, AMENDED, RELEASED, NO_ENCOUNTER, LAB, ARCHIVED, DESTROYED]);
    ({ projections } = bed);
  });

  afterEach(() => bed.close());

  const run = (command: RecordCommand) => bed.run(command);

  it('finds records with no amendment, release or encounter since a day; not archived, not destroyed', async () => {
    const at = '2025-06-01T09:00:00.000Z';
    await run(createRecord({ recordId: OLD, encounterDate: '2015-01-01', at }));
    await run(createRecord({ recordId: AMENDED, encounterDate: '2015-01-01', at }));
    await run(amendRecord({ recordId: AMENDED, at: '2025-06-02T10:00:00.000Z' }));
    await run(createRecord({ recordId: RELEASED, encounterDate: '2015-01-01', at }));
    await run(releaseRecord({ recordId: RELEASED, at: '2025-06-03T10:00:00.000Z' }));
    await run(createRecord({ recordId: NO_ENCOUNTER, encounterDate: undefined, at }));
    await run(createRecord({ recordId: LAB, documentType: 'lab-report', encounterDate: '2016-01-01', at }));
    await run(createRecord({ recordId: ARCHIVED, encounterDate: '2015-01-01', at }));
    await run(archiveRecord({ recordId: ARCHIVED, at }));
    await run(createRecord({ recordId: DESTROYED, encounterDate: '2015-01-01', at }));
    await run(approveDestruction({ recordId: DESTROYED }));
    await run(destroyRecord({ recordId: DESTROYED }));
    await projections.drain();

    expect(archiveCandidates(projections.db, '2020-01-01')).toEqual([OLD, LAB]);
    expect(archiveCandidates(projections.db, '2020-01-01', 'lab-report')).toEqual([LAB]);
    expect(archiveCandidates(projections.db, '2015-01-01')).toEqual([]);
    // Created 2025-06-01 without an encounter date: inactive since the next day, not on it.
    expect(archiveCandidates(projections.db, '2025-06-01')).toEqual([OLD, LAB]);
    expect(archiveCandidates(projections.db, '2025-06-02')).toEqual([OLD, NO_ENCOUNTER, LAB]);
    expect(archiveCandidates(projections.db, '2025-06-04')).toEqual([OLD, AMENDED, RELEASED, NO_ENCOUNTER, LAB]);
    expect(projections.db.prepare('SELECT record_id FROM archive_records WHERE record_id = ?').all(DESTROYED)).toEqual([]);
  });
});
