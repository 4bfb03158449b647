import { accessRecord, actors, amendedContent, amendRecord, content, ocrCompleted, RECORD_ID, recordAmended, recordArchived, times } from '../../testing';
import { foldRecord } from '../record.decider';
import { spec, accessSpec, existing, created } from './testing/record-spec-support';

describe('recordDecider', () => {
  describe('AmendRecord', () => {
    it('adds version n+1 with its kind, reason and author', () => {
      spec
        .given([created])
        .when(amendRecord())
        .then([
          {
            type: 'RecordAmended',
            data: {
              recordId: RECORD_ID,
              version: 2,
              kind: 'correction',
              reason: 'Medication dose transcribed incorrectly',
              amendedBy: actors.him.username,
              amendedAt: times.amended,
            },
          },
        ]);
    });

    it('numbers each amendment after the current version', () => {
      spec
        .given([created, recordAmended({ version: 2 }), recordAmended({ version: 3, kind: 'addendum' })])
        .when(amendRecord({ kind: 'late-entry' }))
        .then([recordAmended({ version: 4, kind: 'late-entry' })]);
    });

    it.each(['correction', 'addendum', 'late-entry', 'patient-requested'])('accepts the amendment kind %s', (kind) => {
      spec
        .given([created])
        .when(amendRecord({ kind }))
        .then([recordAmended({ kind: kind as never })]);
    });

    it.each(['original', 'rewrite', ''])('refuses the amendment kind %j', (kind) => {
      spec.given([created]).when(amendRecord({ kind })).thenThrows('invalid', 'kind');
    });

    it.each([
      ['blank', '   '],
      ['empty', ''],
      ['longer than 2000 characters', 'r'.repeat(2001)],
    ])('requires a reason (%s is refused)', (_case, reason) => {
      spec.given([created]).when(amendRecord({ reason })).thenThrows('invalid', 'reason');
    });

    it('refuses invalid metadata changes, all at once', () => {
      const error = spec
        .given([created])
        .when(amendRecord({ documentType: 'x-ray', title: ' ', encounterDate: '2024-13-01', content: content({ size: -1 }) }))
        .thenThrows('invalid');
      expect(error.errors.map((e) => e.field)).toEqual(['documentType', 'title', 'encounterDate', 'file.size']);
    });

    it('carries metadata changes and new content in the event', () => {
      spec
        .given([created])
        .when(amendRecord({ documentType: 'operative-report', title: 'Operative report', encounterDate: '2024-02-26', content: amendedContent() }))
        .then([recordAmended({ documentType: 'operative-report', title: 'Operative report', encounterDate: '2024-02-26', content: amendedContent() })]);
    });

    it('applies metadata changes to the record and keeps the fields it did not change', () => {
      spec
        .given([created])
        .when(amendRecord({ documentType: 'operative-report', title: 'Operative report' }))
        .thenState((state) => {
          expect(state).toMatchObject({
            documentType: 'operative-report',
            title: 'Operative report',
            encounterDate: '2024-02-27',
            mrn: 'MRN-004217',
            patientName: 'Jane Q. Testpatient',
            dateOfBirth: '1961-07-14',
          });
        });
    });

    it('never changes older versions', () => {
      const original = existing(foldRecord([created, ocrCompleted()])).versions[0];
      const after = existing(
        foldRecord([
          created,
          ocrCompleted(),
          recordAmended({ version: 2, content: amendedContent(), title: 'Corrected title', documentType: 'lab-report' }),
          ocrCompleted({ version: 2, pages: 3, textKey: `text/${RECORD_ID}/2` }),
          recordAmended({ version: 3, kind: 'addendum', reason: 'Follow-up results' }),
          recordArchived(),
        ]),
      );
      expect(after.versions).toHaveLength(3);
      expect(after.versions[0]).toStrictEqual(original);
    });

    it('keeps the previous content and OCR state when the amendment brings no content', () => {
      const state = existing(foldRecord([created, ocrCompleted(), recordAmended()]));
      expect(state.versions[1]).toMatchObject({
        version: 2,
        kind: 'correction',
        reason: 'Medication dose transcribed incorrectly',
        createdBy: actors.him.username,
        createdAt: times.amended,
      });
      expect(state.versions[1].content).toStrictEqual(state.versions[0].content);
      expect(state.versions[1].ocr).toStrictEqual(state.versions[0].ocr);
      expect(state.versions[1].ocr.status).toBe('done');
    });

    it('puts a version with new content in pending OCR, leaving the earlier OCR result alone', () => {
      const state = existing(foldRecord([created, ocrCompleted(), recordAmended({ content: amendedContent() })]));
      expect(state.versions[1].content).toStrictEqual(amendedContent());
      expect(state.versions[1].ocr).toEqual({ status: 'pending' });
      expect(state.versions[0].ocr.status).toBe('done');
    });

    it('refuses to amend an archived record', () => {
      spec.given([created, recordArchived()]).when(amendRecord()).thenThrows('conflict');
    });

    it('still lets an archived record be read', () => {
      accessSpec
        .given([created, recordArchived()])
        .when(accessRecord())
        .then([
          {
            type: 'RecordAccessed',
            data: {
              recordId: RECORD_ID,
              accessId: 'acc-0001',
              version: 1,
              what: 'content',
              purpose: 'treatment',
              actor: actors.clinician.username,
              role: 'clinician',
              at: times.accessed,
            },
          },
        ]);
    });

    it('refuses to amend a record that does not exist', () => {
      spec.given([]).when(amendRecord()).thenThrows('not-found');
    });
  });
});
