import { deciderSpec } from '../testing/decider-spec';
import {
  ChangeRetentionSchedule,
  defaultSchedule,
  RetentionEvent,
  RetentionSchedulesState,
  retentionSchedulesDecider,
  schedulesInForce,
} from './retention.decider';

const AT = '2026-01-15T09:00:00.000Z';
const spec = deciderSpec(retentionSchedulesDecider);

const change = (overrides: Partial<ChangeRetentionSchedule> = {}): ChangeRetentionSchedule => ({
  type: 'ChangeRetentionSchedule',
  documentType: 'lab-report',
  years: 7,
  minorsUntilAge: 25,
  authority: 'State Health Code 12-34',
  actor: 'archivist1',
  at: AT,
  ...overrides,
});
const changed = (data: Partial<Extract<RetentionEvent, { type: 'RetentionScheduleChanged' }>['data']> = {}): RetentionEvent => ({
  type: 'RetentionScheduleChanged',
  data: { documentType: 'lab-report', years: 7, minorsUntilAge: 25, authority: 'State Health Code 12-34', changedBy: 'archivist1', changedAt: AT, ...data },
});
const fold = (events: RetentionEvent[]): RetentionSchedulesState =>
  events.reduce((state, event) => retentionSchedulesDecider.evolve(state, event), retentionSchedulesDecider.initialState());

describe('retentionSchedulesDecider', () => {
  describe('ChangeRetentionSchedule', () => {
    it('puts a schedule in force, attributed', () => {
      spec.given([]).when(change()).then([changed()]);
    });

    it('leaves the minors’ rule out when none is given', () => {
      const { minorsUntilAge: _omitted, ...data } = changed().data;
      spec
        .given([])
        .when(change({ minorsUntilAge: undefined }))
        .then([{ type: 'RetentionScheduleChanged', data }]);
    });

    it('appends a repeated change too: each is an act under an authority', () => {
      spec.given([changed()]).when(change()).then([changed()]);
    });

    it.each([
      ['documentType', { documentType: 'x-ray' }],
      ['documentType', { documentType: 'toString' }],
      ['years', { years: 0 }],
      ['years', { years: 101 }],
      ['years', { years: 7.5 }],
      ['years', { years: '7' }],
      ['minorsUntilAge', { minorsUntilAge: 17 }],
      ['minorsUntilAge', { minorsUntilAge: 31 }],
      ['minorsUntilAge', { minorsUntilAge: null }],
      ['authority', { authority: '' }],
      ['authority', { authority: '   ' }],
      ['authority', { authority: 'x'.repeat(301) }],
      ['authority', { authority: undefined }],
    ] as Array<[string, Partial<ChangeRetentionSchedule>]>)('refuses a bad %s (%j)', (field, overrides) => {
      spec.given([]).when(change(overrides)).thenThrows('invalid', field);
    });

    it('accepts the bounds', () => {
      spec
        .given([])
        .when(change({ years: 1, minorsUntilAge: 18 }))
        .then([changed({ years: 1, minorsUntilAge: 18 })]);
      spec
        .given([])
        .when(change({ years: 100, minorsUntilAge: 30 }))
        .then([changed({ years: 100, minorsUntilAge: 30 })]);
    });
  });

  describe('schedules in force', () => {
    it('ships a default for every document type: 10 years, minors until 21, authorizations and correspondence 6 years', () => {
      const schedules = schedulesInForce(fold([]));
      expect(schedules).toHaveLength(10);
      expect(schedules.filter((s) => s.years === 6).map((s) => s.documentType)).toEqual(['authorization', 'correspondence']);
      expect(schedules.every((s) => s.minorsUntilAge === 21 && s.authority === 'medrec default' && s.changedBy === null && s.changedAt === null)).toBe(true);
      expect(schedules.filter((s) => s.years === 10)).toHaveLength(8);
    });

    it('the last change of a type replaces its default; the others keep theirs', () => {
      const state = fold([changed(), changed({ years: 12, minorsUntilAge: undefined, changedBy: 'him1' })]);
      const schedules = schedulesInForce(state);
      expect(schedules.find((s) => s.documentType === 'lab-report')).toEqual({
        documentType: 'lab-report',
        years: 12,
        authority: 'State Health Code 12-34',
        changedBy: 'him1',
        changedAt: AT,
      });
      expect(schedules.find((s) => s.documentType === 'other')).toEqual(defaultSchedule('other'));
    });

    it('thenState: a change shows at once', () => {
      spec
        .given([])
        .when(change({ documentType: 'authorization', years: 3 }))
        .thenState((state) => expect(state.changed.get('authorization')?.years).toBe(3));
    });
  });
});

describe('a type this code does not know', () => {
  it('stops the fold and refuses the command', () => {
    expect(() => retentionSchedulesDecider.evolve(retentionSchedulesDecider.initialState(), { type: 'RetentionSchedulesPurged' } as never)).toThrow(
      'Unknown event type "RetentionSchedulesPurged"',
    );
    expect(() => retentionSchedulesDecider.decide({ type: 'Purge' } as never, retentionSchedulesDecider.initialState())).toThrow(
      'Unknown command type "Purge"',
    );
  });
});
