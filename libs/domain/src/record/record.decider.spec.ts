import { DomainError } from '../shared/domain-error';
import {
  accessRecord,
  actors,
  amendedContent,
  amendRecord,
  approveDestruction,
  archiveRecord,
  completeOcr,
  content,
  createRecord,
  deciderSpec,
  destroyRecord,
  destructionApproved,
  failOcr,
  legalHoldLifted,
  legalHoldPlaced,
  liftLegalHold,
  ocrCompleted,
  ocrFailed,
  placeLegalHold,
  RECORD_ID,
  recordAmended,
  recordArchived,
  recordCreated,
  recordDestroyed,
  recordReleased,
  releaseRecord,
  shredded,
  times,
} from '../testing';
import { DOCUMENT_TYPES } from './document-type';
import type { AccessRecord, RecordCommand } from './record.commands';
import { RECORD_PHI_FIELDS, type Recipient, type RecordAccessed, type RecordEvent } from './record.events';
import { decideAccess, foldRecord, recordDecider } from './record.decider';
import type { ExistingRecordState, RecordState } from './record.state';

const spec = deciderSpec(recordDecider);

/** decideAccess seen as a decider, so reads are specified the same way as writes. Reads leave the record's state alone. */
const accessSpec = deciderSpec<AccessRecord, RecordEvent | RecordAccessed, RecordState>({
  initialState: recordDecider.initialState,
  evolve: (state, event) => (event.type === 'RecordAccessed' ? state : recordDecider.evolve(state, event)),
  decide: (command, state) => [decideAccess(command, state)],
});

function existing(state: RecordState): ExistingRecordState {
  if (state.status === 'absent') throw new Error('expected an existing record');
  return state;
}

const created = recordCreated();
const approved = destructionApproved();
const destroyedHistory: RecordEvent[] = [created, legalHoldPlaced(), legalHoldLifted(), approved, recordDestroyed()];
const tombstoneDetails = {
  id: RECORD_ID,
  recordStatus: 'destroyed',
  destroyedAt: times.destroyed,
  authority: 'Retention schedule RS-7, item 12',
};

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
      const error = spec.given([]).when(createRecord({ dateOfBirth: '1879-12-31' })).thenThrows('invalid', 'dateOfBirth');
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

  describe('ReleaseRecord', () => {
    it('records recipient, purpose, authorization, description and the current version by default', () => {
      spec
        .given([created, recordAmended()])
        .when(releaseRecord())
        .then([
          {
            type: 'RecordReleased',
            data: {
              recordId: RECORD_ID,
              releaseId: 'rel-0001',
              recipient: { name: 'Northside Insurance Claims Dept.', address: '1 Example Way, Springfield' },
              purpose: 'payment',
              authorizationReference: 'AUTH-2024-0117',
              versions: [2],
              description: 'Discharge summary for claim 88-1204',
              releasedBy: actors.him.username,
              releasedAt: times.released,
            },
          },
        ]);
    });

    it('treats an empty version list as the current version', () => {
      spec.given([created]).when(releaseRecord({ versions: [] })).then([recordReleased({ versions: [1] })]);
    });

    it('deduplicates and sorts the versions asked for', () => {
      spec
        .given([created, recordAmended({ version: 2 }), recordAmended({ version: 3 })])
        .when(releaseRecord({ versions: [3, 1, 3, 1] }))
        .then([recordReleased({ versions: [1, 3] })]);
    });

    it.each([[[2]], [[0]], [[1, 7]], [[1.5]]])('refuses versions the record does not have: %j', (versions) => {
      spec.given([created]).when(releaseRecord({ versions })).thenThrows('invalid', 'versions');
    });

    it('leaves the address out when the recipient has none', () => {
      spec
        .given([created])
        .when(releaseRecord({ recipient: { name: 'Dr. Ada Example' } }))
        .then([recordReleased({ recipient: { name: 'Dr. Ada Example' } })]);
    });

    it.each([
      ['a blank recipient name', { recipient: { name: ' ' } }, 'recipient.name'],
      ['no recipient', { recipient: undefined as unknown as Recipient }, 'recipient.name'],
      ['a blank recipient address', { recipient: { name: 'Dr. Ada Example', address: '' } }, 'recipient.address'],
      ['no purpose', { purpose: '' }, 'purpose'],
      ['no authorization reference', { authorizationReference: '  ' }, 'authorizationReference'],
      ['no description', { description: '' }, 'description'],
    ])('refuses a release with %s', (_case, overrides, field) => {
      spec.given([created]).when(releaseRecord(overrides)).thenThrows('invalid', field);
    });

    it('seals the purpose with the record key: it is free text and may hold PHI', () => {
      expect(RECORD_PHI_FIELDS.RecordReleased).toContain('purpose');
      expect(shredded(recordReleased()).data).not.toHaveProperty('purpose');
    });

    it('adds the release to the record', () => {
      spec
        .given([created])
        .when(releaseRecord())
        .thenState((state) => expect(existing(state).releases).toEqual(['rel-0001']));
    });

    it('releases an archived record', () => {
      spec.given([created, recordArchived()]).when(releaseRecord()).then([recordReleased()]);
    });

    it('refuses to release a record that does not exist', () => {
      spec.given([]).when(releaseRecord()).thenThrows('not-found');
    });
  });

  describe('legal holds', () => {
    it('places a hold', () => {
      spec
        .given([created])
        .when(placeLegalHold())
        .then([
          {
            type: 'LegalHoldPlaced',
            data: {
              recordId: RECORD_ID,
              holdId: 'hold-1',
              matter: 'Doe v. General Hospital',
              reason: 'Litigation hold requested by counsel',
              placedBy: actors.legal.username,
              placedAt: times.holdPlaced,
            },
          },
        ]);
    });

    it('places a hold on an archived record', () => {
      spec.given([created, recordArchived()]).when(placeLegalHold()).then([legalHoldPlaced()]);
    });

    it.each([
      ['matter', { matter: ' ' }],
      ['reason', { reason: '' }],
    ])('requires a %s', (field, overrides) => {
      spec.given([created]).when(placeLegalHold(overrides)).thenThrows('invalid', field);
    });

    it('refuses a second hold with the same id', () => {
      spec.given([created, legalHoldPlaced()]).when(placeLegalHold({ matter: 'Another matter' })).thenThrows('conflict');
    });

    it('lifts a hold', () => {
      spec
        .given([created, legalHoldPlaced()])
        .when(liftLegalHold())
        .then([
          {
            type: 'LegalHoldLifted',
            data: { recordId: RECORD_ID, holdId: 'hold-1', liftedBy: actors.legal.username, liftedAt: times.holdLifted },
          },
        ]);
    });

    it('refuses to lift a hold the record does not have', () => {
      spec.given([created, legalHoldPlaced()]).when(liftLegalHold({ holdId: 'hold-9' })).thenThrows('not-found');
    });

    it('refuses to lift a hold twice', () => {
      spec.given([created, legalHoldPlaced(), legalHoldLifted()]).when(liftLegalHold()).thenThrows('not-found');
    });

    it('keeps the holds that stand in the state', () => {
      const state = existing(
        foldRecord([created, legalHoldPlaced({ holdId: 'hold-1' }), legalHoldPlaced({ holdId: 'hold-2', matter: 'Audit 2024' }), legalHoldLifted({ holdId: 'hold-1' })]),
      );
      expect(state.holds).toEqual([{ holdId: 'hold-2', matter: 'Audit 2024' }]);
    });
  });

  describe('ArchiveRecord', () => {
    it('archives the record', () => {
      spec
        .given([created])
        .when(archiveRecord())
        .then([
          {
            type: 'RecordArchived',
            data: {
              recordId: RECORD_ID,
              reason: 'Inactive for the retention review period',
              archivedBy: actors.archivist.username,
              archivedAt: times.archived,
            },
          },
        ]);
    });

    it('folds to an archived record', () => {
      spec
        .given([created])
        .when(archiveRecord())
        .thenState((state) => expect(state.status).toBe('archived'));
    });

    it('refuses to archive twice', () => {
      spec.given([created, recordArchived()]).when(archiveRecord()).thenThrows('conflict');
    });

    it.each(['', '   '])('requires a reason (%j is refused)', (reason) => {
      spec.given([created]).when(archiveRecord({ reason })).thenThrows('invalid', 'reason');
    });
  });

  describe('ApproveDestruction', () => {
    it("records the approver's own approval of the current version, with the authority", () => {
      spec
        .given([created, recordAmended()])
        .when(approveDestruction())
        .then([
          {
            type: 'DestructionApproved',
            data: {
              recordId: RECORD_ID,
              approvalId: 'appr-0001',
              authority: 'Retention schedule RS-7, item 12',
              version: 2,
              approvedBy: actors.him.username,
              approverRole: 'him',
              approvedAt: times.approved,
            },
          },
        ]);
    });

    it('lets an archivist approve, and an archived record be approved', () => {
      spec
        .given([created, recordArchived()])
        .when(approveDestruction({ actor: actors.archivist }))
        .then([destructionApproved({ approvedBy: actors.archivist.username, approverRole: 'archivist' })]);
    });

    it('folds the approval into the record', () => {
      spec
        .given([created])
        .when(approveDestruction())
        .thenState((state) =>
          expect(existing(state).destructionApprovals).toEqual([
            { approvalId: 'appr-0001', approvedBy: actors.him.username, authority: 'Retention schedule RS-7, item 12', version: 1 },
          ]),
        );
    });

    it.each([['clerk'], ['clinician'], ['legal']] as const)('refuses an approver acting as %s', (role) => {
      spec.given([created]).when(approveDestruction({ actor: actors[role] })).thenThrows('forbidden', 'archivist or him');
    });

    it('refuses a second approval by the same person of the same version', () => {
      spec.given([created, approved]).when(approveDestruction({ approvalId: 'appr-0002' })).thenThrows('conflict', 'already approved');
    });

    it('accepts a new approval by the same person once the record was amended', () => {
      spec
        .given([created, approved, recordAmended()])
        .when(approveDestruction({ approvalId: 'appr-0002' }))
        .then([destructionApproved({ approvalId: 'appr-0002', version: 2 })]);
    });

    it('refuses while a hold stands', () => {
      spec.given([created, legalHoldPlaced()]).when(approveDestruction()).thenThrows('conflict', 'legal hold');
    });

    it.each(['', '   ', 'x'.repeat(501)])('requires an authority (%j is refused)', (authority) => {
      spec.given([created]).when(approveDestruction({ authority })).thenThrows('invalid', 'authority');
    });

    it('refuses to approve a record that does not exist', () => {
      spec.given([]).when(approveDestruction()).thenThrows('not-found');
    });
  });

  describe('DestroyRecord', () => {
    it('destroys an approved record without holds, keeping who, when, who approved and under which authority', () => {
      spec
        .given([created, approved])
        .when(destroyRecord())
        .then([
          {
            type: 'RecordDestroyed',
            data: {
              recordId: RECORD_ID,
              authority: 'Retention schedule RS-7, item 12',
              approvedBy: actors.him.username,
              destroyedBy: actors.archivist.username,
              destroyedAt: times.destroyed,
            },
          },
        ]);
    });

    it('destroys an approved archived record', () => {
      spec.given([created, recordArchived(), approved]).when(destroyRecord()).then([recordDestroyed()]);
    });

    it('refuses when the person named has not approved', () => {
      spec.given([created]).when(destroyRecord()).thenThrows('conflict', 'has not approved');
    });

    it('refuses when only someone else approved', () => {
      spec
        .given([created, destructionApproved({ approvedBy: 'another.archivist', approverRole: 'archivist' })])
        .when(destroyRecord())
        .thenThrows('conflict', 'has not approved');
    });

    it('refuses when the approval was given before the record was amended (it covers the record as it stood)', () => {
      spec.given([created, approved, recordAmended()]).when(destroyRecord()).thenThrows('conflict', 'has not approved');
    });

    it('destroys once the amended record is approved again', () => {
      spec
        .given([created, approved, recordAmended(), destructionApproved({ approvalId: 'appr-0002', version: 2 })])
        .when(destroyRecord())
        .then([recordDestroyed()]);
    });

    it('refuses an authority other than the one approved', () => {
      spec.given([created, approved]).when(destroyRecord({ authority: 'Retention schedule RS-9' })).thenThrows('conflict', 'authority differs');
    });

    it('matches the approver by username whatever the case and surrounding spaces, recording the approver as approved', () => {
      spec.given([created, approved]).when(destroyRecord({ approvedBy: ` ${actors.him.username.toUpperCase()} ` })).then([recordDestroyed()]);
    });

    it('refuses self-approval: the approver is the person destroying', () => {
      spec
        .given([created, destructionApproved({ approvedBy: actors.archivist.username, approverRole: 'archivist' })])
        .when(destroyRecord({ approvedBy: actors.archivist.username }))
        .thenThrows('conflict', 'approved by someone other');
    });

    it('refuses while a hold stands, even when approved', () => {
      spec.given([created, approved, legalHoldPlaced()]).when(destroyRecord()).thenThrows('conflict', 'legal hold');
    });

    it('refuses while any hold stands, even when another was lifted', () => {
      spec
        .given([created, approved, legalHoldPlaced({ holdId: 'hold-1' }), legalHoldPlaced({ holdId: 'hold-2' }), legalHoldLifted({ holdId: 'hold-1' })])
        .when(destroyRecord())
        .thenThrows('conflict', 'legal hold');
    });

    it('allows destruction once every hold is lifted', () => {
      spec
        .given([
          created,
          approved,
          legalHoldPlaced({ holdId: 'hold-1' }),
          legalHoldPlaced({ holdId: 'hold-2' }),
          legalHoldLifted({ holdId: 'hold-2' }),
          legalHoldLifted({ holdId: 'hold-1' }),
        ])
        .when(destroyRecord())
        .then([recordDestroyed()]);
    });

    it.each([
      ['authority', { authority: ' ' }],
      ['approvedBy', { approvedBy: '' }],
    ])('requires %s', (field, overrides) => {
      spec.given([created, approved]).when(destroyRecord(overrides)).thenThrows('invalid', field);
    });

    it('refuses to destroy a record that does not exist', () => {
      spec.given([]).when(destroyRecord()).thenThrows('not-found');
    });

    describe('after destruction', () => {
      const everyCommand: [string, RecordCommand][] = [
        ['CreateRecord', createRecord()],
        ['AmendRecord', amendRecord()],
        ['CompleteOcr', completeOcr()],
        ['FailOcr', failOcr()],
        ['ReleaseRecord', releaseRecord()],
        ['PlaceLegalHold', placeLegalHold({ holdId: 'hold-2' })],
        ['LiftLegalHold', liftLegalHold()],
        ['ArchiveRecord', archiveRecord()],
        ['ApproveDestruction', approveDestruction({ approvalId: 'appr-0002' })],
        ['DestroyRecord', destroyRecord()],
      ];

      it('covers every command type', () => {
        const types: RecordCommand['type'][] = [
          'CreateRecord',
          'AmendRecord',
          'CompleteOcr',
          'FailOcr',
          'ReleaseRecord',
          'PlaceLegalHold',
          'LiftLegalHold',
          'ArchiveRecord',
          'ApproveDestruction',
          'DestroyRecord',
        ];
        expect(everyCommand.map(([, c]) => c.type)).toEqual(types);
      });

      it.each(everyCommand)('answers %s with gone and the tombstone', (_type, command) => {
        const error = spec.given(destroyedHistory).when(command).thenThrows('gone');
        expect(error.details).toEqual(tombstoneDetails);
        expect(error.errors).toEqual([]);
      });

      it('answers reads with gone and the tombstone', () => {
        const error = accessSpec.given(destroyedHistory).when(accessRecord()).thenThrows('gone');
        expect(error.details).toEqual(tombstoneDetails);
      });

      it('keeps the tombstone and versions in the state, and no PHI', () => {
        const state = existing(foldRecord([created, recordAmended({ content: amendedContent() }), recordReleased(), ...destroyedHistory.slice(1)]));
        expect(state).toStrictEqual({
          status: 'destroyed',
          recordId: RECORD_ID,
          documentType: 'discharge-summary',
          versions: existing(foldRecord([created, recordAmended({ content: amendedContent() })])).versions,
          holds: [],
          releases: ['rel-0001'],
          destructionApprovals: [],
          tombstone: {
            destroyedAt: times.destroyed,
            authority: 'Retention schedule RS-7, item 12',
            approvedBy: actors.him.username,
            destroyedBy: actors.archivist.username,
          },
        });
      });
    });
  });

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
      spec.given([created]).when(completeOcr({ version: 2 })).thenThrows('not-found');
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

  describe('decideAccess', () => {
    it('records who read which version, with which role and purpose', () => {
      accessSpec
        .given([created, recordAmended()])
        .when(accessRecord({ version: 2, what: 'text', purpose: 'emergency' }))
        .then([
          {
            type: 'RecordAccessed',
            data: {
              recordId: RECORD_ID,
              accessId: 'acc-0001',
              version: 2,
              what: 'text',
              purpose: 'emergency',
              actor: actors.clinician.username,
              role: 'clinician',
              at: times.accessed,
            },
          },
        ]);
    });

    it('records a read of the whole record with a null version', () => {
      const { version: _omitted, ...whole } = accessRecord({ what: 'record', actor: actors.him, purpose: 'operations' });
      accessSpec
        .given([created])
        .when(whole)
        .then([
          {
            type: 'RecordAccessed',
            data: {
              recordId: RECORD_ID,
              accessId: 'acc-0001',
              version: null,
              what: 'record',
              purpose: 'operations',
              actor: actors.him.username,
              role: 'him',
              at: times.accessed,
            },
          },
        ]);
    });

    it('refuses an unknown version', () => {
      accessSpec.given([created]).when(accessRecord({ version: 2 })).thenThrows('not-found');
    });

    it('refuses a record that does not exist', () => {
      accessSpec.given([]).when(accessRecord()).thenThrows('not-found');
    });
  });

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
});
