import { DOCUMENT_TYPES } from '../document-type';
import { actors, content, createRecord, RECORD_ID, recordArchived, recordCreated, times } from '../../testing';
import { spec, existing, created } from './testing/record-spec-support';

describe('recordDecider', () => {
  describe('CreateRecord', () => {
    it('records a valid document as version 1, created by the acting user at the command time', () => {
      spec
        .given([])
        .when(createRecord())
        .then([
          {
            type: 'RecordCreated',
            data: {
              recordId: RECORD_ID,
              mrn: 'MRN-004217',
              patientName: 'Jane Q. Testpatient',
              dateOfBirth: '1961-07-14',
              documentType: 'discharge-summary',
              title: 'Discharge summary, cardiology ward',
              encounterDate: '2024-02-27',
              version: 1,
              content: content(),
              createdBy: actors.clerk.username,
              createdAt: times.created,
            },
          },
        ]);
    });

    it('leaves encounterDate out of the event when the command has none', () => {
      const { encounterDate: _omitted, ...data } = recordCreated().data;
      spec
        .given([])
        .when(createRecord({ encounterDate: undefined }))
        .then([{ type: 'RecordCreated', data }]);
    });

    it('folds to an active record with one pending-OCR original version', () => {
      spec
        .given([])
        .when(createRecord())
        .thenState((state) => {
          expect(state).toMatchObject({ status: 'active', recordId: RECORD_ID, holds: [], releases: [] });
          expect(existing(state).versions).toEqual([
            {
              version: 1,
              kind: 'original',
              reason: null,
              createdBy: actors.clerk.username,
              createdAt: times.created,
              content: content(),
              ocr: { status: 'pending' },
            },
          ]);
        });
    });

    it('refuses to create a record that already exists', () => {
      spec.given([created]).when(createRecord()).thenThrows('conflict');
    });

    it('refuses to create over an archived record', () => {
      spec.given([created, recordArchived()]).when(createRecord()).thenThrows('conflict');
    });

    it.each(DOCUMENT_TYPES)('accepts the document type %s', (documentType) => {
      spec
        .given([])
        .when(createRecord({ documentType }))
        .then([recordCreated({ documentType })]);
    });

    it.each(["Zoë O'Brien-Łukasz", '李小龍', 'Zoe\u0308 Núñez', 'Ngũgĩ wa Thiong’o', 'Αλέξανδρος Παπαδόπουλος', 'Sr. José María, Jr.'])(
      'accepts the patient name %s',
      (patientName) => {
        spec
          .given([])
          .when(createRecord({ patientName }))
          .then([recordCreated({ patientName })]);
      },
    );

    it('accepts a date of birth equal to the day of the command', () => {
      spec
        .given([])
        .when(createRecord({ dateOfBirth: '2024-03-01' }))
        .then([recordCreated({ dateOfBirth: '2024-03-01' })]);
    });

    it.each([
      ['too short', 'M12'],
      ['too long', 'M'.repeat(21)],
      ['starting with a hyphen', '-MRN1234'],
      ['containing spaces', 'MRN 1234'],
      ['containing punctuation', 'MRN_1234'],
      ['empty', ''],
    ])('refuses an MRN %s', (_case, mrn) => {
      spec.given([]).when(createRecord({ mrn })).thenThrows('invalid', 'mrn');
    });

    it.each([
      ['blank', '   '],
      ['empty', ''],
      ['with digits', 'Jane 2nd'],
      ['starting with punctuation', "'Jane"],
      ['with markup', '<b>Jane</b>'],
      ['longer than 200 characters', 'A'.repeat(201)],
    ])('refuses a patient name %s', (_case, patientName) => {
      spec.given([]).when(createRecord({ patientName })).thenThrows('invalid', 'patientName');
    });

    it.each([
      ['in another format', '14/07/1961'],
      ['without zero padding', '1961-7-14'],
      ['with a time', '1961-07-14T00:00:00Z'],
      ['that does not exist', '2023-02-30'],
      ['on 29 February of a common year', '2023-02-29'],
      ['in the future', '2024-03-02'],
      ['far in the future', '2999-01-01'],
      ['before 1880', '1879-12-31'],
    ])('refuses a date of birth %s', (_case, dateOfBirth) => {
      spec.given([]).when(createRecord({ dateOfBirth })).thenThrows('invalid', 'dateOfBirth');
    });

    it('says why a date of birth before 1880 is refused, without calling it a future date', () => {
      const error = spec
        .given([])
        .when(createRecord({ dateOfBirth: '1879-12-31' }))
        .thenThrows('invalid', 'dateOfBirth');
      expect(error.errors.find((e) => e.field === 'dateOfBirth')?.message).not.toMatch(/future/);
    });

    it('accepts 29 February of a leap year as date of birth', () => {
      spec
        .given([])
        .when(createRecord({ dateOfBirth: '2000-02-29' }))
        .then([recordCreated({ dateOfBirth: '2000-02-29' })]);
    });

    it.each(['x-ray', 'Discharge-Summary', '', 'original'])('refuses the unknown document type %j', (documentType) => {
      spec.given([]).when(createRecord({ documentType })).thenThrows('invalid', 'documentType');
    });

    it.each([
      ['blank', '  \n '],
      ['empty', ''],
      ['longer than 300 characters', 't'.repeat(301)],
      ['with control characters', 'Summary\u0000'],
    ])('refuses a title %s', (_case, title) => {
      spec.given([]).when(createRecord({ title })).thenThrows('invalid', 'title');
    });

    it.each(['2024-02-30', '27.02.2024', ''])('refuses the encounter date %j', (encounterDate) => {
      spec.given([]).when(createRecord({ encounterDate })).thenThrows('invalid', 'encounterDate');
    });

    it('refuses a command without content', () => {
      spec
        .given([])
        .when(createRecord({ content: undefined }))
        .thenThrows('invalid', 'file');
    });

    it('refuses malformed content references', () => {
      const error = spec
        .given([])
        .when(createRecord({ content: content({ sha256: 'ABC', size: 0, blobKey: '', contentType: '' }) }))
        .thenThrows('invalid');
      expect(error.errors.map((e) => e.field).sort()).toEqual(['file.blobKey', 'file.contentType', 'file.sha256', 'file.size']);
    });

    it('reports every invalid field at once', () => {
      const error = spec
        .given([])
        .when(
          createRecord({
            mrn: '??',
            patientName: '',
            dateOfBirth: '2023-02-30',
            documentType: 'x-ray',
            title: ' ',
            encounterDate: 'yesterday',
          }),
        )
        .thenThrows('invalid');
      expect(error.errors.map((e) => e.field)).toEqual(['mrn', 'patientName', 'dateOfBirth', 'documentType', 'title', 'encounterDate']);
    });

    it('keeps PHI out of validation messages', () => {
      const phi = { mrn: 'X1', patientName: 'Jane 2nd', dateOfBirth: '2099-12-31', title: 'Diagnosis:\u0007' };
      const error = spec.given([]).when(createRecord(phi)).thenThrows('invalid');
      const reported = JSON.stringify({ message: error.message, errors: error.errors, details: error.details });
      for (const value of Object.values(phi)) expect(reported).not.toContain(value);
    });
  });
});
