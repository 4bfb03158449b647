import { amendedContent, completeOcr, failOcr, ocrCompleted, ocrFailed, RECORD_ID, recordAmended, recordArchived } from '../../testing';
import { RECORD_PHI_FIELDS } from '../record.events';
import { foldRecord, recordDecider } from '../record.decider';
import { spec, existing, created } from './testing/record-spec-support';

describe('recordDecider', () => {
  describe('OCR', () => {
    it('completes OCR of a pending version', () => {
      spec
        .given([created])
        .when(completeOcr())
        .then([
          {
            type: 'OcrCompleted',
            data: { recordId: RECORD_ID, version: 1, pages: 2, meanConfidence: 91.5, textKey: `text/${RECORD_ID}/1` },
          },
        ]);
    });

    it('folds the result into the version', () => {
      spec
        .given([created])
        .when(completeOcr())
        .thenState((state) =>
          expect(existing(state).versions[0].ocr).toEqual({ status: 'done', pages: 2, meanConfidence: 91.5, textKey: `text/${RECORD_ID}/1` }),
        );
    });

    it('carries the text of each page (PHI, sealed with the record key) so that search rebuilds from the log', () => {
      spec
        .given([created])
        .when(completeOcr({ pageTexts: ['page one', 'page two'] }))
        .then([
          {
            type: 'OcrCompleted',
            data: { recordId: RECORD_ID, version: 1, pages: 2, meanConfidence: 91.5, textKey: `text/${RECORD_ID}/1`, pageTexts: ['page one', 'page two'] },
          },
        ]);
      expect(RECORD_PHI_FIELDS.OcrCompleted).toContain('pageTexts');
    });

    it('decides nothing for a version already completed (idempotent)', () => {
      spec.given([created, ocrCompleted()]).when(completeOcr()).then([]);
    });

    it('records a later success for a version whose OCR had failed (a manual re-run)', () => {
      spec.given([created, ocrFailed()]).when(completeOcr()).then([ocrCompleted()]);
    });

    it('refuses an unknown version', () => {
      spec
        .given([created])
        .when(completeOcr({ version: 2 }))
        .thenThrows('not-found');
    });

    it.each([
      ['pages', { pages: -1 }],
      ['pages', { pages: 1.5 }],
      ['meanConfidence', { meanConfidence: 100.1 }],
      ['meanConfidence', { meanConfidence: Number.NaN }],
      ['pageTexts', { pageTexts: ['only one page'] }],
      ['pageTexts', { pageTexts: ['one', 2 as unknown as string] }],
    ])('refuses an invalid %s (%j)', (field, overrides) => {
      spec.given([created]).when(completeOcr(overrides)).thenThrows('invalid', field);
    });

    it('completes OCR of an archived record', () => {
      spec.given([created, recordArchived()]).when(completeOcr()).then([ocrCompleted()]);
    });

    it('records a failure of a pending version, with the reason cut to 500 characters', () => {
      spec
        .given([created])
        .when(failOcr({ reason: 'e'.repeat(600) }))
        .then([ocrFailed({ reason: 'e'.repeat(500) })]);
    });

    it.each([
      ['missing', undefined],
      ['blank', '  '],
    ])('refuses a failure whose reason is %s with a DomainError', (_case, reason) => {
      spec
        .given([created])
        .when(failOcr({ reason: reason as unknown as string }))
        .thenThrows('invalid', 'reason');
    });

    it('decides nothing for a failure of a version already settled', () => {
      spec.given([created, ocrCompleted()]).when(failOcr()).then([]);
    });

    it('shares the result of an earlier version with the versions that share its content', () => {
      const state = existing(foldRecord([created, recordAmended({ version: 2 }), ocrCompleted({ version: 1 })]));
      expect(state.versions.map((v) => v.ocr)).toEqual([
        { status: 'done', pages: 2, meanConfidence: 91.5, textKey: `text/${RECORD_ID}/1` },
        { status: 'done', pages: 2, meanConfidence: 91.5, textKey: `text/${RECORD_ID}/1` },
      ]);
    });

    it('shares the result of a later version with the earlier version whose content it shares', () => {
      const state = existing(foldRecord([created, recordAmended({ version: 2 }), ocrFailed({ version: 2 })]));
      expect(state.versions.map((v) => v.ocr.status)).toEqual(['failed', 'failed']);
    });

    it('does not share a result between versions with different content', () => {
      const state = existing(
        foldRecord([created, recordAmended({ version: 2, content: amendedContent() }), recordAmended({ version: 3 }), ocrCompleted({ version: 2 })]),
      );
      expect(state.versions.map((v) => v.ocr.status)).toEqual(['pending', 'done', 'done']);
    });

    it('ignores a result for a version the state does not know', () => {
      const before = foldRecord([created]);
      expect(recordDecider.evolve(before, ocrCompleted({ version: 5 }))).toStrictEqual(before);
    });
  });
});
