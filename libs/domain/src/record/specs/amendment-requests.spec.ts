import {
  actors,
  AMENDMENT_REQUEST_ID,
  amendmentRequestReceived,
  amendmentStatementFiled,
  amendRecord,
  fileAmendmentStatement,
  receiveAmendmentRequest,
  recordAmended,
  recordArchived,
  shredded,
} from '../../testing';
import { foldRecord } from '../record.decider';
import { RECORD_PHI_FIELDS } from '../record.events';
import { created, destroyedHistory, existing, spec } from './testing/record-spec-support';

describe('recordDecider', () => {
  describe('amendment requests linked to the record', () => {
    it('links a received request', () => {
      spec.given([created]).when(receiveAmendmentRequest()).then([amendmentRequestReceived()]);
    });

    it('links it to an archived record too (the patient may ask to amend any record kept)', () => {
      spec.given([created, recordArchived()]).when(receiveAmendmentRequest()).then([amendmentRequestReceived()]);
    });

    it('decides nothing when the same request is linked again', () => {
      spec.given([created, amendmentRequestReceived()]).when(receiveAmendmentRequest()).then([]);
    });

    it.each([
      ['a blank requested change', { requestedChange: ' ' }, 'requestedChange'],
      ['a requested change of 5,001 characters', { requestedChange: 'x'.repeat(5001) }, 'requestedChange'],
      ['an impossible received date', { receivedAt: '2024-13-01' }, 'receivedAt'],
      ['a due date that is not a date', { dueAt: 'soon' }, 'dueAt'],
    ])('refuses %s', (_, overrides, field) => {
      spec.given([created]).when(receiveAmendmentRequest(overrides)).thenThrows('invalid', field);
    });

    it('refuses a request for a destroyed record (410)', () => {
      spec.given(destroyedHistory).when(receiveAmendmentRequest()).thenThrows('gone');
    });

    it('files a denial, a disagreement and a rebuttal, appended in order', () => {
      const history = [created, amendmentRequestReceived()];
      spec.given(history).when(fileAmendmentStatement()).then([amendmentStatementFiled()]);
      spec
        .given([...history, amendmentStatementFiled()])
        .when(fileAmendmentStatement({ statementId: 'stmt-0002', kind: 'disagreement', statement: 'I told the nurse.', actor: actors.him }))
        .then([amendmentStatementFiled({ statementId: 'stmt-0002', kind: 'disagreement', statement: 'I told the nurse.' })]);
      const state = existing(
        foldRecord([
          ...history,
          amendmentStatementFiled(),
          amendmentStatementFiled({ statementId: 'stmt-0002', kind: 'disagreement', statement: 'I told the nurse.' }),
        ]),
      );
      expect(state.amendmentStatements.map((s) => [s.kind, s.statement])).toEqual([
        ['denial', amendmentStatementFiled().data.statement],
        ['disagreement', 'I told the nurse.'],
      ]);
    });

    it('decides nothing when the same statement is filed again', () => {
      spec.given([created, amendmentRequestReceived(), amendmentStatementFiled()]).when(fileAmendmentStatement()).then([]);
    });

    it('refuses a statement for a request not linked to the record (404)', () => {
      spec.given([created]).when(fileAmendmentStatement()).thenThrows('not-found');
    });

    it.each([
      ['an unknown kind', { kind: 'apology' }, 'kind'],
      ['a blank statement', { statement: '' }, 'statement'],
      ['a statement of 5,001 characters', { statement: 'x'.repeat(5001) }, 'statement'],
    ])('refuses %s', (_, overrides, field) => {
      spec.given([created, amendmentRequestReceived()]).when(fileAmendmentStatement(overrides)).thenThrows('invalid', field);
    });

    it('appends a patient-requested version that answers the request; the old version stays', () => {
      spec
        .given([created, amendmentRequestReceived()])
        .when(amendRecord({ kind: 'patient-requested', amendmentRequestId: AMENDMENT_REQUEST_ID }))
        .then([recordAmended({ kind: 'patient-requested', amendmentRequestId: AMENDMENT_REQUEST_ID })]);
      const state = existing(
        foldRecord([created, amendmentRequestReceived(), recordAmended({ kind: 'patient-requested', amendmentRequestId: AMENDMENT_REQUEST_ID })]),
      );
      expect(state.versions.map((v) => [v.version, v.kind, v.amendmentRequestId])).toEqual([
        [1, 'original', undefined],
        [2, 'patient-requested', AMENDMENT_REQUEST_ID],
      ]);
    });

    it('refuses a second version answering the same request (409)', () => {
      spec
        .given([created, amendmentRequestReceived(), recordAmended({ kind: 'patient-requested', amendmentRequestId: AMENDMENT_REQUEST_ID })])
        .when(amendRecord({ kind: 'patient-requested', amendmentRequestId: AMENDMENT_REQUEST_ID }))
        .thenThrows('conflict');
    });

    it('refuses a version answering a denied request, and a denial of a request a version answers (409)', () => {
      spec
        .given([created, amendmentRequestReceived(), amendmentStatementFiled()])
        .when(amendRecord({ kind: 'patient-requested', amendmentRequestId: AMENDMENT_REQUEST_ID }))
        .thenThrows('conflict', 'denied');
      spec
        .given([created, amendmentRequestReceived(), recordAmended({ kind: 'patient-requested', amendmentRequestId: AMENDMENT_REQUEST_ID })])
        .when(fileAmendmentStatement())
        .thenThrows('conflict', 'cannot be denied');
    });

    it('refuses a version answering a request of another kind than patient-requested, or an unknown request', () => {
      spec
        .given([created, amendmentRequestReceived()])
        .when(amendRecord({ kind: 'correction', amendmentRequestId: AMENDMENT_REQUEST_ID }))
        .thenThrows('invalid', 'kind');
      spec
        .given([created])
        .when(amendRecord({ kind: 'patient-requested', amendmentRequestId: AMENDMENT_REQUEST_ID }))
        .thenThrows('not-found');
    });

    it('seals the requested change and the statements, and forgets the statements once the record is destroyed', () => {
      expect(RECORD_PHI_FIELDS.AmendmentRequestReceived).toEqual(['requestedChange']);
      expect(RECORD_PHI_FIELDS.AmendmentStatementFiled).toEqual(['statement']);
      const [first, ...rest] = destroyedHistory;
      const state = foldRecord([first, amendmentRequestReceived(), shredded(amendmentStatementFiled()), ...rest]);
      expect(state.status).toBe('destroyed');
      expect(existing(state).amendmentStatements).toEqual([]);
    });
  });
});
