import { DomainError } from '../../shared/domain-error';
import {
  accessRecord,
  actors,
  amendedContent,
  amendRecord,
  content,
  legalHoldLifted,
  legalHoldPlaced,
  ocrCompleted,
  RECORD_ID,
  recordAmended,
  recordArchived,
  recordDestroyed,
  recordReleased,
  shredded,
  times,
} from '../../testing';
import { foldRecord, recordDecider } from '../record.decider';
import type { RecordCommand } from '../record.commands';
import type { RecordEvent } from '../record.events';
import { spec, accessSpec, existing, created, approved, tombstoneDetails } from './testing/record-spec-support';

describe('recordDecider', () => {
  describe('evolve after crypto-shredding', () => {
    const history: RecordEvent[] = [
      created,
      ocrCompleted(),
      recordAmended({ version: 2, content: amendedContent(), title: 'Corrected', encounterDate: '2024-02-28' }),
      recordReleased({ versions: [1, 2] }),
      legalHoldPlaced({ holdId: 'hold-1' }),
      legalHoldPlaced({ holdId: 'hold-2' }),
      legalHoldLifted({ holdId: 'hold-1' }),
      recordArchived(),
    ].map(shredded);

    it('drops exactly the PHI fields of each event', () => {
      expect(history[0].data).not.toHaveProperty('patientName');
      expect(history[0].data).toHaveProperty('documentType', 'discharge-summary');
      expect(history[2].data).not.toHaveProperty('reason');
      expect(history[2].data).toHaveProperty('content');
    });

    it('still folds status, versions and holds', () => {
      const state = existing(foldRecord(history));
      expect(state).toMatchObject({
        status: 'archived',
        recordId: RECORD_ID,
        documentType: 'discharge-summary',
        holds: [{ holdId: 'hold-2', matter: undefined }],
        releases: ['rel-0001'],
      });
      expect(state.patientName).toBeUndefined();
      expect(state.title).toBeUndefined();
      expect(state.versions).toEqual([
        expect.objectContaining({ version: 1, kind: 'original', reason: null, content: content(), ocr: expect.objectContaining({ status: 'done' }) }),
        expect.objectContaining({ version: 2, kind: 'correction', reason: undefined, content: amendedContent(), ocr: { status: 'pending' } }),
      ]);
    });

    it('folds the tombstone, and every decision answers gone', () => {
      const events = [...history, legalHoldLifted({ holdId: 'hold-2' }), approved, recordDestroyed()];
      const state = existing(foldRecord(events));
      expect(state.status).toBe('destroyed');
      expect(state.tombstone).toEqual({
        destroyedAt: times.destroyed,
        authority: 'Retention schedule RS-7, item 12',
        approvedBy: actors.him.username,
        destroyedBy: actors.archivist.username,
      });
      expect(state.versions.map((v) => v.version)).toEqual([1, 2]);
      expect(spec.given(events).when(amendRecord()).thenThrows('gone').details).toEqual(tombstoneDetails);
      expect(accessSpec.given(events).when(accessRecord()).thenThrows('gone').details).toEqual(tombstoneDetails);
    });
  });

  it('fails decisions with DomainError only', () => {
    expect(() => recordDecider.decide(amendRecord(), recordDecider.initialState())).toThrow(DomainError);
  });

  it('refuses to fold or decide a type it does not know, rather than ignoring it', () => {
    const unknownEvent = { type: 'RecordTeleported', data: { recordId: RECORD_ID } } as unknown as RecordEvent;
    expect(() => foldRecord([created, unknownEvent])).toThrow('Unknown event type "RecordTeleported"');
    const unknownCommand = { type: 'TeleportRecord' } as unknown as RecordCommand;
    expect(() => recordDecider.decide(unknownCommand, foldRecord([created]))).toThrow('Unknown command type "TeleportRecord"');
  });
});
