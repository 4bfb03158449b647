import { RecordCommand } from '@medrec/domain';
import { approveDestruction, content, createRecord, destroyRecord, RECORD_ID } from '@medrec/domain/testing';
import { contentIndexProjection, findDuplicate } from './content-index.projection';
import { ProjectionRunner } from './projection-runner';
import { projectionTestbed, ProjectionTestbed } from './testing/projection-testbed';

const OTHER_ID = '5d1e8a7c-2b3f-4c6d-9e8f-7a6b5c4d3e2f';

describe('content-index projection', () => {
  let bed: ProjectionTestbed;
  let projections: ProjectionRunner;

  beforeEach(async () => {
    bed = await projectionTestbed([contentIndexProjection], [RECORD_ID, OTHER_ID]);
    ({ projections } = bed);
  });

  afterEach(() => bed.close());

  const run = (command: RecordCommand) => bed.run(command);

  it("purges a destroyed record's rows through the record-id index, keeping the patient's other records", async () => {
    const sha256 = 'c0de'.repeat(16);
    await run(createRecord({ content: content({ sha256 }) }));
    await run(createRecord({ recordId: OTHER_ID, content: content({ blobKey: `blobs/${OTHER_ID}/1`, sha256 }) }));
    await projections.drain();
    expect(findDuplicate(projections.db, 'MRN-004217', sha256)).toEqual({ recordId: [RECORD_ID, OTHER_ID].sort()[0], version: 1 });

    const plan = projections.db.prepare('EXPLAIN QUERY PLAN DELETE FROM content_index WHERE record_id = ?').all('x') as Array<{ detail: string }>;
    expect(plan.map((p) => p.detail).join('\n')).toContain('USING INDEX content_index_by_record');

    await run(approveDestruction());
    await run(destroyRecord());
    await projections.drain();
    expect(findDuplicate(projections.db, 'MRN-004217', sha256)).toEqual({ recordId: OTHER_ID, version: 1 });
    expect(projections.db.prepare('SELECT count(*) AS n FROM content_index_records WHERE record_id = ?').get(RECORD_ID)).toEqual({ n: 0 });
  });
});
