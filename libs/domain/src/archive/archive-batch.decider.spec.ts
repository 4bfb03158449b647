import { actors, deciderSpec } from '../testing';
import { ArchiveBatchEvent, archiveBatchDecider, CompleteArchiveBatch, StartArchiveBatch } from './archive-batch.decider';

const BATCH = '0190a3c4-0000-7000-8000-0000000000b1';
const R1 = '0190a3c4-0000-7000-8000-0000000000a1';
const R2 = '0190a3c4-0000-7000-8000-0000000000a2';
const STARTED_AT = '2026-03-06T08:30:00.000Z';
const COMPLETED_AT = '2026-03-06T08:31:00.000Z';

const spec = deciderSpec(archiveBatchDecider);

const start = (overrides: Partial<StartArchiveBatch> = {}): StartArchiveBatch => ({
  type: 'StartArchiveBatch',
  batchId: BATCH,
  actor: actors.archivist,
  at: STARTED_AT,
  inactiveSince: '2020-01-01',
  recordIds: [R1, R2],
  ...overrides,
});

const complete = (overrides: Partial<CompleteArchiveBatch> = {}): CompleteArchiveBatch => ({
  type: 'CompleteArchiveBatch',
  batchId: BATCH,
  actor: actors.archivist,
  at: COMPLETED_AT,
  archived: [R1, R2],
  ...overrides,
});

const started = (overrides: Partial<Extract<ArchiveBatchEvent, { type: 'ArchiveBatchStarted' }>['data']> = {}): ArchiveBatchEvent => ({
  type: 'ArchiveBatchStarted',
  data: { batchId: BATCH, inactiveSince: '2020-01-01', recordIds: [R1, R2], startedBy: actors.archivist.username, startedAt: STARTED_AT, ...overrides },
});

const completed = (archived = [R1, R2]): ArchiveBatchEvent => ({
  type: 'ArchiveBatchCompleted',
  data: { batchId: BATCH, archived, completedBy: actors.archivist.username, completedAt: COMPLETED_AT },
});

describe('archiveBatchDecider', () => {
  describe('starting', () => {
    it('starts a batch over the records found, attributed', () => {
      spec.given([]).when(start()).then([started()]);
    });

    it('keeps the document type it was limited to, and names each record once', () => {
      spec
        .given([])
        .when(start({ documentType: 'lab-report', recordIds: [R1, R1] }))
        .then([started({ documentType: 'lab-report', recordIds: [R1] })]);
    });

    it('starts a batch that found nothing (a re-run archives nothing new)', () => {
      spec
        .given([])
        .when(start({ recordIds: [] }))
        .thenState((state) => expect(state).toMatchObject({ status: 'started', recordIds: [] }));
    });

    it.each([
      ['inactiveSince', { inactiveSince: '2024-02-30' }],
      ['inactiveSince', { inactiveSince: '' }],
      ['documentType', { documentType: 'x-ray' as never }],
    ])('refuses a bad %s', (field, overrides) => {
      spec.given([]).when(start(overrides)).thenThrows('invalid', field);
    });

    it('refuses a second start of the same batch', () => {
      spec.given([started()]).when(start()).thenThrows('conflict', 'already exists');
    });
  });

  describe('completing', () => {
    it('completes with the records it archived', () => {
      spec
        .given([started()])
        .when(complete({ archived: [R2] }))
        .then([completed([R2])]);
    });

    it('is idempotent: a completed batch decides nothing', () => {
      spec.given([started(), completed()]).when(complete()).then([]);
    });

    it('refuses records outside the batch', () => {
      spec
        .given([started({ recordIds: [R1] })])
        .when(complete({ archived: [R1, R2] }))
        .thenThrows('conflict', 'Only records of the batch');
    });

    it('refuses an unknown batch', () => {
      spec.given([]).when(complete()).thenThrows('not-found', 'No such archive batch');
    });

    it('folds to a completed state', () => {
      spec
        .given([started()])
        .when(complete())
        .thenState((state) => expect(state).toMatchObject({ status: 'completed', archived: [R1, R2], completedBy: actors.archivist.username }));
    });
  });
});
