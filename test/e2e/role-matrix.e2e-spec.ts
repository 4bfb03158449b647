import { createHash, randomBytes, randomUUID } from 'node:crypto';
import jwt from 'jsonwebtoken';
import PDFDocument from 'pdfkit';
import { EventSourcedRunner, systemActor } from '@medrec/application';
import { openReviewItems, reviewItemId } from '@medrec/ingest/quality/review-items';
import { PURPOSES_BY_ROLE, PURPOSES_OF_USE, PurposeOfUse, Role, ROLES } from '@medrec/domain';
import { Permission, PERMISSIONS, READS_PATIENT_DATA } from '../../libs/auth/src/permissions';
import { headPosition, startConfiguredApp } from './support/configured-app';
import { ADMIN_PASSWORD, Client, login, PASSWORD, purpose, recordForm, Response, TestApp, usersByRole } from './support/harness';
import { answerMismatches, OpenApiDocument } from './support/openapi';
import { declaredRoutes } from './support/routes';
import { signToken, unsignedToken } from './support/tokens';

/**
 * Every endpoint x every role, driven by the PERMISSIONS table: allowed roles get the documented
 * 2xx, every other role a 403 problem and nothing appended. Then purposes of use, bad tokens, and
 * users holding several roles.
 */

interface Call {
  method: 'GET' | 'POST' | 'DELETE' | 'PATCH' | 'PUT';
  path: string;
  json?: unknown;
  form?: FormData;
  headers?: Record<string, string>;
  /** A token of its own instead of the caller's usual one (sign-out revokes the token it is sent with). */
  token?: string;
}

interface Endpoint {
  /** The route as its controller declares it: a new route must be added here to pass the coverage test. */
  route: string;
  /** The documented success status. */
  success: number;
  /** A call against a fresh fixture in the state this endpoint needs, made by `role`. */
  prepare(role: Role): Promise<Call>;
  /** Extra checks of a successful answer. */
  verify?(res: Response): void;
}

const TOKEN_SECRET = randomBytes(32);
/** Routes any caller may use: adding a public route means adding it here, on purpose. */
const PUBLIC_ROUTES = ['POST /api/auth/token', 'GET /health/live', 'GET /health/ready', 'GET /metrics'];

type Users = Awaited<ReturnType<typeof usersByRole>>;
let t: TestApp;
let u: Users;
/** The app's OpenAPI document: every answer below must be one it declares, as it describes it. */
let openapi: OpenApiDocument;
let seq = 0;

async function newRecord(): Promise<string> {
  const res = await u.clerk.request('POST', '/api/records', { form: recordForm({ mrn: `MX-${++seq}` }) });
  if (res.status !== 201) throw new Error(`fixture record: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body.id;
}

async function newSearchableRecord(): Promise<{ id: string; mrn: string; position: number }> {
  const mrn = `MX-${++seq}`;
  const res = await u.clerk.request('POST', '/api/records', { form: recordForm({ mrn }) });
  if (res.status !== 201) throw new Error(`fixture record: ${res.status} ${JSON.stringify(res.body)}`);
  return { id: res.body.id, mrn, position: res.body.position };
}

async function newHeldRecord(): Promise<{ id: string; holdId: string }> {
  const id = await newRecord();
  const res = await u.legal.post(`/api/records/${id}/holds`, { matter: 'Doe v. County Hospital', reason: 'Preservation notice' });
  if (res.status !== 201) throw new Error(`fixture hold: ${res.status} ${JSON.stringify(res.body)}`);
  return { id, holdId: res.body.holdId };
}

/** A record whose destruction archivist2 approved. */
async function newApprovedRecord(): Promise<string> {
  const id = await newRecord();
  const res = await u.archivist2.post(`/api/records/${id}/destruction-approvals`, { authority: 'Schedule GS-12' });
  if (res.status !== 201) throw new Error(`fixture approval: ${res.status} ${JSON.stringify(res.body)}`);
  return id;
}

function amendmentForm(): FormData {
  const form = new FormData();
  form.append('kind', 'addendum');
  form.append('reason', 'Late clinical note added');
  return form;
}

/** A fresh token of the matrix's user holding `role` (a sign-out must not revoke the token the other cases use). */
const freshToken = (role: Role): Promise<string> => (role === 'admin' ? tokenOf('admin', ADMIN_PASSWORD) : tokenOf(`${role}1`, PASSWORD));

const ENDPOINTS: Record<Permission, Endpoint> = {
  'users.list': {
    route: 'GET /api/users',
    success: 200,
    prepare: async () => ({ method: 'GET', path: '/api/users' }),
    verify: (res) =>
      expect(res.body.users).toEqual(expect.arrayContaining([{ id: expect.any(String), username: 'clerk1', roles: ['clerk'], active: true, locked: false }])),
  },
  'users.update': {
    route: 'PATCH /api/users/:id',
    success: 200,
    prepare: async () => {
      const created = await u.admin.post('/api/users', { username: `matrix-user-${++seq}`, password: PASSWORD, roles: ['clerk'] });
      if (created.status !== 201) throw new Error(`fixture user: ${created.status} ${JSON.stringify(created.body)}`);
      return { method: 'PATCH', path: `/api/users/${created.body.id}`, json: { roles: ['clerk', 'auditor'] } };
    },
    verify: (res) => expect(res.body).toMatchObject({ roles: ['clerk', 'auditor'], active: true, locked: false }),
  },
  'auth.sign-out': {
    route: 'POST /api/auth/sign-out',
    success: 204,
    prepare: async (role) => ({ method: 'POST', path: '/api/auth/sign-out', token: await freshToken(role) }),
  },
  'auth.me': {
    route: 'GET /api/auth/me',
    success: 200,
    prepare: async () => ({ method: 'GET', path: '/api/auth/me' }),
    verify: (res) =>
      expect(res.body).toMatchObject({ username: expect.any(String), roles: expect.any(Array), permissions: expect.arrayContaining(['auth.me']) }),
  },
  'auth.renew': {
    route: 'POST /api/auth/token/renew',
    success: 200,
    prepare: async () => ({ method: 'POST', path: '/api/auth/token/renew' }),
    verify: (res) => expect(res.body).toMatchObject({ accessToken: expect.any(String), expiresIn: expect.any(Number) }),
  },
  'users.create': {
    route: 'POST /api/users',
    success: 201,
    prepare: async () => ({ method: 'POST', path: '/api/users', json: { username: `matrix-user-${++seq}`, password: PASSWORD, roles: ['clerk'] } }),
    verify: (res) => expect(res.body).toMatchObject({ id: expect.any(String), roles: ['clerk'] }),
  },
  'records.create': {
    route: 'POST /api/records',
    success: 201,
    prepare: async () => ({ method: 'POST', path: '/api/records', form: recordForm({ mrn: `MX-${++seq}` }) }),
    verify: (res) => expect(res.body).toMatchObject({ id: expect.any(String), version: 1 }),
  },
  'records.read': {
    route: 'GET /api/records/:id',
    success: 200,
    prepare: async () => ({ method: 'GET', path: `/api/records/${await newRecord()}` }),
    verify: (res) => expect(res.body).toMatchObject({ status: 'active', currentVersion: 1 }),
  },
  'records.status': {
    route: 'GET /api/records/:id/status',
    success: 200,
    prepare: async () => ({ method: 'GET', path: `/api/records/${await newRecord()}/status` }),
    verify: (res) => {
      expect(res.body).toMatchObject({ status: 'active', currentVersion: 1, versions: [{ version: 1, ocr: { status: expect.any(String) } }] });
      // No patient data: no name, no MRN, no title.
      expect(Object.keys(res.body).sort()).toEqual(['currentVersion', 'documentType', 'id', 'status', 'versions']);
    },
  },
  'records.content': {
    route: 'GET /api/records/:id/versions/:v/content',
    success: 200,
    prepare: async () => ({ method: 'GET', path: `/api/records/${await newRecord()}/versions/1/content` }),
    verify: (res) => expect(res.contentType).toBe('image/png'),
  },
  'records.text': {
    route: 'GET /api/records/:id/versions/:v/text',
    success: 200,
    prepare: async () => ({ method: 'GET', path: `/api/records/${await newRecord()}/versions/1/text` }),
  },
  'records.amend': {
    route: 'POST /api/records/:id/amendments',
    success: 201,
    prepare: async () => ({ method: 'POST', path: `/api/records/${await newRecord()}/amendments`, form: amendmentForm() }),
    verify: (res) => expect(res.body).toMatchObject({ version: 2 }),
  },
  'records.release': {
    route: 'POST /api/records/:id/releases',
    success: 201,
    prepare: async () => ({
      method: 'POST',
      path: `/api/records/${await newRecord()}/releases`,
      json: { recipient: { name: 'Dr. Ellen Sattler' }, purpose: 'continuing care', authorizationReference: 'AUTH-7', description: 'Discharge summary' },
    }),
    verify: (res) => expect(res.body.releaseId).toEqual(expect.any(String)),
  },
  'records.holds.place': {
    route: 'POST /api/records/:id/holds',
    success: 201,
    prepare: async () => ({ method: 'POST', path: `/api/records/${await newRecord()}/holds`, json: { matter: 'Roe v. Clinic', reason: 'Litigation' } }),
    verify: (res) => expect(res.body.holdId).toEqual(expect.any(String)),
  },
  'records.holds.lift': {
    route: 'DELETE /api/records/:id/holds/:holdId',
    success: 204,
    prepare: async () => {
      const { id, holdId } = await newHeldRecord();
      return { method: 'DELETE', path: `/api/records/${id}/holds/${holdId}` };
    },
  },
  'legal-holds.place': {
    route: 'POST /api/legal-holds',
    success: 201,
    prepare: async () => ({
      method: 'POST',
      path: '/api/legal-holds',
      json: { matter: 'Roe v. Clinic', reason: 'Litigation', recordIds: [await newRecord()] },
    }),
    verify: (res) => expect(res.body).toMatchObject({ id: expect.any(String), recordIds: [expect.any(String)] }),
  },
  'legal-holds.list': {
    route: 'GET /api/legal-holds',
    success: 200,
    prepare: async () => ({ method: 'GET', path: '/api/legal-holds' }),
    verify: (res) => expect(res.body.holds).toEqual(expect.any(Array)),
  },
  'legal-holds.lift': {
    route: 'DELETE /api/legal-holds/:id',
    success: 204,
    prepare: async () => {
      const res = await u.legal.post('/api/legal-holds', { matter: 'Roe v. Clinic', reason: 'Litigation', recordIds: [await newRecord()] });
      if (res.status !== 201) throw new Error(`fixture matter hold: ${res.status} ${JSON.stringify(res.body)}`);
      return { method: 'DELETE', path: `/api/legal-holds/${res.body.id}` };
    },
  },
  'records.archive': {
    route: 'POST /api/records/:id/archive',
    success: 200,
    prepare: async () => ({ method: 'POST', path: `/api/records/${await newRecord()}/archive`, json: { reason: 'Inactive' } }),
  },
  'records.destroy.approve': {
    route: 'POST /api/records/:id/destruction-approvals',
    success: 201,
    prepare: async () => ({ method: 'POST', path: `/api/records/${await newRecord()}/destruction-approvals`, json: { authority: 'Schedule GS-12' } }),
    verify: (res) =>
      expect(res.body).toMatchObject({ approvalId: expect.any(String), authority: 'Schedule GS-12', approvedBy: expect.stringMatching(/^(archivist|him)1$/) }),
  },
  'records.destroy': {
    route: 'POST /api/records/:id/destroy',
    success: 200,
    // archivist2 approved; the archivist under test (archivist1) performs.
    prepare: async () => ({
      method: 'POST',
      path: `/api/records/${await newApprovedRecord()}/destroy`,
      json: { authority: 'Schedule GS-12', approvedBy: 'archivist2' },
    }),
    verify: (res) => expect(res.body).toMatchObject({ status: 'destroyed' }),
  },
  'records.events': {
    route: 'GET /api/records/:id/events',
    success: 200,
    prepare: async () => ({ method: 'GET', path: `/api/records/${await newRecord()}/events` }),
    verify: (res) => expect(res.body.chain).toEqual({ valid: true }),
  },
  search: {
    route: 'GET /api/search',
    success: 200,
    // By filters, which every role of the permission may use; searching the text is checked below.
    prepare: async () => {
      const { mrn, position } = await newSearchableRecord();
      return { method: 'GET', path: `/api/search?mrn=${mrn}&after=${position}` };
    },
    verify: (res) =>
      expect(res.body).toMatchObject({ results: [expect.objectContaining({ page: null, documentType: 'discharge-summary' })], nextCursor: null }),
  },
  'records.history': {
    route: 'GET /api/records/:id/history',
    success: 200,
    prepare: async () => ({ method: 'GET', path: `/api/records/${await newRecord()}/history` }),
    verify: (res) => expect(res.body.timeline.map((e: { type: string }) => e.type)).toEqual(['created', 'accessed']),
  },
  'records.diff': {
    route: 'GET /api/records/:id/versions/:a/diff/:b',
    success: 200,
    // OCR is off here: the text is pending and the diff says so.
    prepare: async () => ({ method: 'GET', path: `/api/records/${await newRecord()}/versions/1/diff/1` }),
    verify: (res) => expect(res.body).toMatchObject({ complete: false, hunks: [], a: { version: 1, ocr: { status: 'pending' } } }),
  },
  'records.accesses': {
    route: 'GET /api/records/:id/accesses',
    success: 200,
    prepare: async () => ({ method: 'GET', path: `/api/records/${await newRecord()}/accesses` }),
    verify: (res) => expect(res.body.accesses).toEqual([expect.objectContaining({ what: 'accesses' })]),
  },
  'records.history.report': {
    route: 'GET /api/records/:id/history/report',
    success: 200,
    prepare: async () => ({ method: 'GET', path: `/api/records/${await newRecord()}/history/report` }),
    verify: (res) => expect(res.contentType).toBe('application/pdf'),
  },
  'audit.emergency-access.list': {
    route: 'GET /api/audit/emergency-access',
    success: 200,
    prepare: async () => ({ method: 'GET', path: '/api/audit/emergency-access' }),
    verify: (res) => expect(res.body.accesses).toEqual(expect.any(Array)),
  },
  'audit.queries.list': {
    route: 'GET /api/audit/queries',
    success: 200,
    prepare: async () => ({ method: 'GET', path: '/api/audit/queries' }),
    verify: (res) => expect(res.body.queries).toEqual(expect.any(Array)),
  },
  'audit.emergency-access.review': {
    route: 'POST /api/audit/emergency-access/:accessId/review',
    success: 200,
    prepare: async () => ({
      method: 'POST',
      path: `/api/audit/emergency-access/${await newEmergencyAccess()}/review`,
      json: { note: 'Justified: ED admission' },
    }),
    verify: (res) => expect(res.body).toMatchObject({ reviewedBy: 'auditor1', note: 'Justified: ED admission' }),
  },
  'audit.emergency-searches.list': {
    route: 'GET /api/audit/emergency-searches',
    success: 200,
    prepare: async () => ({ method: 'GET', path: '/api/audit/emergency-searches' }),
    verify: (res) => expect(res.body.searches).toEqual(expect.any(Array)),
  },
  'audit.emergency-searches.review': {
    route: 'POST /api/audit/emergency-searches/:queryId/review',
    success: 200,
    prepare: async () => ({
      method: 'POST',
      path: `/api/audit/emergency-searches/${await newEmergencySearch()}/review`,
      json: { note: 'Justified: ED admission' },
    }),
    verify: (res) => expect(res.body).toMatchObject({ reviewedBy: 'auditor1', note: 'Justified: ED admission' }),
  },
  'patients.disclosures': {
    route: 'GET /api/patients/:mrn/disclosures',
    success: 200,
    prepare: async () => {
      const mrn = `MX-${++seq}`;
      const created = await u.clerk.request('POST', '/api/records', { form: recordForm({ mrn }) });
      if (created.status !== 201) throw new Error(`fixture record: ${created.status} ${JSON.stringify(created.body)}`);
      const released = await u.him.post(`/api/records/${created.body.id}/releases`, {
        recipient: { name: 'Dr. Ellen Sattler' },
        purpose: 'continuing care',
        authorizationReference: 'AUTH-7',
        description: 'Discharge summary',
      });
      if (released.status !== 201) throw new Error(`fixture release: ${released.status} ${JSON.stringify(released.body)}`);
      return { method: 'GET', path: `/api/patients/${mrn}/disclosures?after=${released.body.position}` };
    },
    verify: (res) => expect(res.body.disclosures).toEqual([expect.objectContaining({ recipient: { name: 'Dr. Ellen Sattler', address: null } })]),
  },
  stats: {
    route: 'GET /api/stats',
    success: 200,
    prepare: async () => ({ method: 'GET', path: '/api/stats' }),
    verify: (res) => expect(res.body.records.total).toBeGreaterThan(0),
  },
  'retention.schedules.read': {
    route: 'GET /api/retention/schedules',
    success: 200,
    prepare: async () => ({ method: 'GET', path: '/api/retention/schedules' }),
    verify: (res) => expect(res.body.schedules).toContainEqual(expect.objectContaining({ documentType: 'authorization', years: 6 })),
  },
  'retention.schedules.change': {
    route: 'PUT /api/retention/schedules/:documentType',
    success: 200,
    prepare: async () => ({ method: 'PUT', path: '/api/retention/schedules/other', json: { years: 10, minorsUntilAge: 21, authority: 'Policy RM-1' } }),
    verify: (res) =>
      expect(res.body).toMatchObject({
        documentType: 'other',
        years: 10,
        authority: 'Policy RM-1',
        changedBy: expect.any(String),
        position: expect.any(Number),
      }),
  },
  'retention.due': {
    route: 'GET /api/retention/due',
    success: 200,
    prepare: async () => {
      const { position } = await newSearchableRecord();
      return { method: 'GET', path: `/api/retention/due?asOf=2099-12-31&limit=500&after=${position}` };
    },
    verify: (res) => expect(res.body.records.length).toBeGreaterThan(0),
  },
  'disposal.propose': {
    route: 'POST /api/disposal/batches',
    success: 201,
    prepare: async () => ({
      method: 'POST',
      path: '/api/disposal/batches',
      json: { asOf: '2030-01-01', authority: 'Schedule GS-12', recordIds: [await newRecord()] },
    }),
    verify: (res) => expect(res.body).toMatchObject({ id: expect.any(String), included: [], excluded: [expect.objectContaining({ reason: 'not-yet-due' })] }),
  },
  'disposal.list': {
    route: 'GET /api/disposal/batches',
    success: 200,
    prepare: async () => ({ method: 'GET', path: '/api/disposal/batches' }),
    verify: (res) => expect(res.body.batches).toEqual(expect.any(Array)),
  },
  'disposal.read': {
    route: 'GET /api/disposal/batches/:id',
    success: 200,
    prepare: async () => ({ method: 'GET', path: `/api/disposal/batches/${await newDisposalBatch(false)}` }),
    verify: (res) => expect(res.body).toMatchObject({ status: 'proposed', proposedBy: 'archivist2' }),
  },
  'disposal.approve': {
    route: 'POST /api/disposal/batches/:id/approve',
    success: 200,
    // Proposed by archivist2: the archivist or HIM user under test approves.
    prepare: async () => ({ method: 'POST', path: `/api/disposal/batches/${await newDisposalBatch(false)}/approve` }),
  },
  'disposal.execute': {
    route: 'POST /api/disposal/batches/:id/execute',
    success: 200,
    prepare: async () => ({ method: 'POST', path: `/api/disposal/batches/${await newDisposalBatch(true)}/execute` }),
    verify: (res) => expect(res.body).toMatchObject({ destroyed: [], certificateId: expect.any(String) }),
  },
  'disposal.certificates.list': {
    route: 'GET /api/disposal/certificates',
    success: 200,
    prepare: async () => ({ method: 'GET', path: '/api/disposal/certificates' }),
    verify: (res) => expect(res.body.certificates).toEqual(expect.any(Array)),
  },
  'disposal.certificates.read': {
    route: 'GET /api/disposal/certificates/:id',
    success: 200,
    prepare: async () => {
      const id = await newDisposalBatch(true);
      const res = await u.archivist.post(`/api/disposal/batches/${id}/execute`, {});
      return { method: 'GET', path: `/api/disposal/certificates/${res.body.certificateId}` };
    },
    verify: (res) => expect(res.body).toMatchObject({ count: 0, sha256: expect.stringMatching(/^[0-9a-f]{64}$/) }),
  },
  // A day before any record's encounter: the batch archives nothing, so other rows' fixtures stay writable.
  'archive.batches.start': {
    route: 'POST /api/archive/batches',
    success: 201,
    prepare: async () => ({ method: 'POST', path: '/api/archive/batches', json: { inactiveSince: '1900-01-01' } }),
    verify: (res) => expect(res.body).toEqual({ id: expect.any(String), archived: [], position: expect.any(Number) }),
  },
  'archive.batches.resume': {
    route: 'POST /api/archive/batches/:id/resume',
    success: 200,
    prepare: async () => {
      const res = await u.archivist.post('/api/archive/batches', { inactiveSince: '1900-01-01' });
      return { method: 'POST', path: `/api/archive/batches/${res.body.id}/resume` };
    },
    verify: (res) => expect(res.body).toMatchObject({ archived: [] }),
  },
  'archive.batches.read': {
    route: 'GET /api/archive/batches/:id',
    success: 200,
    prepare: async () => {
      const res = await u.archivist.post('/api/archive/batches', { inactiveSince: '1900-01-01' });
      return { method: 'GET', path: `/api/archive/batches/${res.body.id}` };
    },
    verify: (res) => expect(res.body).toMatchObject({ status: 'completed', inactiveSince: '1900-01-01', recordIds: [] }),
  },
  'release-requests.create': {
    route: 'POST /api/release-requests',
    success: 201,
    prepare: async () => {
      const mrn = `MX-${++seq}`;
      const res = await u.clerk.request('POST', '/api/records', { form: recordForm({ mrn }) });
      return { method: 'POST', path: '/api/release-requests', json: releaseRequestBody(mrn, [res.body.id]) };
    },
    verify: (res) => expect(res.body).toMatchObject({ id: expect.any(String), dueAt: expect.any(String) }),
  },
  'release-requests.list': {
    route: 'GET /api/release-requests',
    success: 200,
    prepare: async () => ({ method: 'GET', path: '/api/release-requests' }),
    verify: (res) => expect(res.body.requests).toEqual(expect.any(Array)),
  },
  'release-requests.read': {
    route: 'GET /api/release-requests/:id',
    success: 200,
    prepare: async () => ({ method: 'GET', path: `/api/release-requests/${await newReleaseRequest(false)}` }),
    verify: (res) => expect(res.body).toMatchObject({ status: 'open', registeredBy: 'him1' }),
  },
  'release-requests.fulfil': {
    route: 'POST /api/release-requests/:id/fulfil',
    success: 200,
    prepare: async () => ({ method: 'POST', path: `/api/release-requests/${await newReleaseRequest(false)}/fulfil` }),
    verify: (res) => expect(res.body).toMatchObject({ packageUrl: expect.stringMatching(/^\/api\/release-requests\/.+\/package$/) }),
  },
  'release-requests.deny': {
    route: 'POST /api/release-requests/:id/deny',
    success: 200,
    prepare: async () => ({ method: 'POST', path: `/api/release-requests/${await newReleaseRequest(false)}/deny`, json: { reason: 'Not authorized' } }),
    verify: (res) => expect(res.body).toMatchObject({ status: 'denied' }),
  },
  'release-requests.package': {
    route: 'GET /api/release-requests/:id/package',
    success: 200,
    prepare: async () => ({ method: 'GET', path: `/api/release-requests/${await newReleaseRequest(true)}/package` }),
    verify: (res) => expect(res.contentType).toBe('application/zip'),
  },
  'amendment-requests.create': {
    route: 'POST /api/amendment-requests',
    success: 201,
    prepare: async () => ({
      method: 'POST',
      path: '/api/amendment-requests',
      json: { recordId: await newRecord(), requestedChange: 'Add my allergy', receivedAt: '2024-03-02' },
    }),
    verify: (res) => expect(res.body).toEqual({ id: expect.any(String), recordId: expect.any(String), dueAt: '2024-05-01', position: expect.any(Number) }),
  },
  'amendment-requests.list': {
    route: 'GET /api/amendment-requests',
    success: 200,
    prepare: async () => ({ method: 'GET', path: '/api/amendment-requests?status=received' }),
    verify: (res) => expect(res.body.requests).toEqual(expect.any(Array)),
  },
  'amendment-requests.read': {
    route: 'GET /api/amendment-requests/:id',
    success: 200,
    prepare: async () => ({ method: 'GET', path: `/api/amendment-requests/${await newAmendmentRequest()}` }),
    verify: (res) => expect(res.body).toMatchObject({ status: 'received', dueAt: '2024-05-01' }),
  },
  'amendment-requests.accept': {
    route: 'POST /api/amendment-requests/:id/accept',
    success: 200,
    prepare: async () => ({ method: 'POST', path: `/api/amendment-requests/${await newAmendmentRequest()}/accept`, form: acceptForm() }),
    verify: (res) => expect(res.body).toMatchObject({ status: 'accepted', version: 2 }),
  },
  'amendment-requests.deny': {
    route: 'POST /api/amendment-requests/:id/deny',
    success: 200,
    prepare: async () => ({ method: 'POST', path: `/api/amendment-requests/${await newAmendmentRequest()}/deny`, json: { reason: 'Accurate as written' } }),
    verify: (res) => expect(res.body).toMatchObject({ status: 'denied' }),
  },
  'amendment-requests.disagreement': {
    route: 'POST /api/amendment-requests/:id/disagreement',
    success: 200,
    prepare: async () => ({
      method: 'POST',
      path: `/api/amendment-requests/${await newAmendmentRequest('denied')}/disagreement`,
      json: { statement: 'I disagree' },
    }),
    verify: (res) => expect(res.body).toMatchObject({ status: 'disagreement-filed' }),
  },
  'amendment-requests.rebuttal': {
    route: 'POST /api/amendment-requests/:id/rebuttal',
    success: 200,
    prepare: async () => ({
      method: 'POST',
      path: `/api/amendment-requests/${await newAmendmentRequest('disagreement-filed')}/rebuttal`,
      json: { statement: 'The note stands' },
    }),
    verify: (res) => expect(res.body).toMatchObject({ status: 'rebuttal-filed' }),
  },
  'cover-sheets.issue': {
    route: 'POST /api/cover-sheets',
    success: 201,
    prepare: async () => ({ method: 'POST', path: '/api/cover-sheets', json: coverSheetBody() }),
    verify: (res) => {
      expect(res.contentType).toBe('application/pdf');
      expect(res.headers.get('x-cover-sheet-id')).toMatch(/^[0-9a-f-]{36}$/);
    },
  },
  'cover-sheets.batch': {
    route: 'POST /api/cover-sheets/batch',
    success: 201,
    prepare: async () => ({ method: 'POST', path: '/api/cover-sheets/batch', form: coverSheetCsvForm() }),
    verify: (res) => expect(res.headers.get('x-cover-sheet-ids')?.split(',')).toHaveLength(2),
  },
  'cover-sheets.separator': {
    route: 'GET /api/cover-sheets/separator',
    success: 200,
    prepare: async () => ({ method: 'GET', path: '/api/cover-sheets/separator' }),
    verify: (res) => expect(res.contentType).toBe('application/pdf'),
  },
  'cover-sheets.read': {
    route: 'GET /api/cover-sheets/:id',
    success: 200,
    prepare: async () => {
      const res = await u.clerk.post('/api/cover-sheets', coverSheetBody());
      if (res.status !== 201) throw new Error(`fixture cover sheet: ${res.status}`);
      return { method: 'GET', path: `/api/cover-sheets/${res.headers.get('x-cover-sheet-id')}` };
    },
    verify: (res) => expect(res.body).toMatchObject({ status: 'issued', mrn: expect.stringMatching(/^MX-/) }),
  },
  'cover-sheets.void': {
    route: 'POST /api/cover-sheets/:id/void',
    success: 200,
    prepare: async () => {
      const res = await u.clerk.post('/api/cover-sheets', coverSheetBody());
      if (res.status !== 201) throw new Error(`fixture cover sheet: ${res.status}`);
      return { method: 'POST', path: `/api/cover-sheets/${res.headers.get('x-cover-sheet-id')}/void`, json: { reason: 'Printed twice' } };
    },
    verify: (res) => expect(res.body).toMatchObject({ status: 'voided', mrn: null }),
  },
  'review.list': {
    route: 'GET /api/review',
    success: 200,
    prepare: async () => ({ method: 'GET', path: '/api/review?kind=blank-page' }),
    verify: (res) => expect(res.body).toMatchObject({ items: expect.any(Array), nextCursor: null }),
  },
  'review.resolve': {
    route: 'POST /api/review/:itemId/resolve',
    success: 200,
    prepare: async () => ({ method: 'POST', path: `/api/review/${await newReviewItem()}/resolve`, json: { action: 'accept' } }),
    verify: (res) => expect(res.body).toMatchObject({ status: 'resolved', action: 'accept' }),
  },
  'stacks.receive': {
    route: 'POST /api/stacks',
    success: 202,
    prepare: async () => ({ method: 'POST', path: '/api/stacks', ...(await stackUpload()) }),
    verify: (res) => expect(res.body).toEqual({ stackId: expect.stringMatching(/^[0-9a-f-]{36}$/) }),
  },
  'stacks.read': {
    route: 'GET /api/stacks/:id',
    success: 200,
    prepare: async () => {
      const res = await u.clerk.request('POST', '/api/stacks', await stackUpload());
      if (res.status !== 202) throw new Error(`fixture stack: ${res.status}`);
      return { method: 'GET', path: `/api/stacks/${res.body.stackId}` };
    },
    verify: (res) => expect(res.body).toMatchObject({ status: expect.any(String), pages: 1 }),
  },
};

/** A one-page PDF stack of its own (its own bytes: a new stack, not the same file again) with its Idempotency-Key. */
async function stackUpload(): Promise<{ form: FormData; headers: Record<string, string> }> {
  const doc = new PDFDocument({ size: 'LETTER' });
  const chunks: Buffer[] = [];
  doc.on('data', (chunk: Buffer) => chunks.push(chunk));
  const done = new Promise<Buffer>((resolve) => doc.on('end', () => resolve(Buffer.concat(chunks))));
  doc.text(`stack ${++seq} ${randomUUID()}`);
  doc.end();
  const pdf = await done;
  const form = new FormData();
  form.append('file', new Blob([pdf]), 'stack.pdf');
  return { form, headers: { 'idempotency-key': createHash('sha256').update(pdf).digest('hex') } };
}

const coverSheetBody = () => ({ mrn: `MX-${++seq}`, patientName: 'Jane Example', dateOfBirth: '1970-01-01', documentType: 'progress-note' });

function coverSheetCsvForm(): FormData {
  const form = new FormData();
  const csv = `mrn,patientName,dateOfBirth,documentType\nMX-${++seq},Jane Example,1970-01-01,progress-note\nMX-${++seq},John Example,1971-02-03,lab-report\n`;
  form.append('file', new Blob([csv], { type: 'text/csv' }), 'clinic.csv');
  return form;
}

/**
 * An open review item (a blank page 1 of a fresh record), opened as the OCR runner opens it: OCR
 * is off in this suite, and what opens items has its own tests (review-queue.e2e-spec.ts).
 */
async function newReviewItem(): Promise<string> {
  const recordId = await newRecord();
  const quality = { inkRatio: 0, grayStdDev: 0, paperLevel: 255, skewDegrees: 0, blank: true, skewed: false, dark: false };
  const context = { actor: systemActor('ocr@matrix'), correlationId: randomUUID(), at: new Date().toISOString() };
  const page = { page: 1, text: '', confidence: 0, source: 'ocr' as const, words: [], quality };
  await openReviewItems(t.app.get(EventSourcedRunner), { recordId, version: 1 }, [page], context, 70);
  return reviewItemId(recordId, 1, 1, 'blank-page');
}

const releaseRequestBody = (mrn: string, recordIds: string[]) => ({
  mrn,
  requester: 'Jane Example',
  recipient: { name: 'Dr. Rivera' },
  purpose: 'continuing care',
  recordIds,
  authorizationReference: 'AUTH-1',
  authorizationExpires: '2099-12-31',
  receivedAt: '2024-01-02',
});

/** A release request of one fresh record registered by him1, fulfilled by him1 when asked. */
async function newReleaseRequest(fulfilled: boolean): Promise<string> {
  const mrn = `MX-${++seq}`;
  const record = await u.clerk.request('POST', '/api/records', { form: recordForm({ mrn }) });
  const res = await u.him.post('/api/release-requests', releaseRequestBody(mrn, [record.body.id]));
  if (res.status !== 201) throw new Error(`fixture release request: ${res.status} ${JSON.stringify(res.body)}`);
  if (fulfilled && (await u.him.post(`/api/release-requests/${res.body.id}/fulfil`)).status !== 200) throw new Error('fixture fulfilment');
  return res.body.id;
}

/** An amendment request for a fresh record, received by him1 and taken to `step`. */
async function newAmendmentRequest(step: 'received' | 'denied' | 'disagreement-filed' = 'received'): Promise<string> {
  const res = await u.him.post('/api/amendment-requests', { recordId: await newRecord(), requestedChange: 'Add my allergy', receivedAt: '2024-03-02' });
  if (res.status !== 201) throw new Error(`fixture amendment request: ${res.status} ${JSON.stringify(res.body)}`);
  const id: string = res.body.id;
  if (step !== 'received' && (await u.him.post(`/api/amendment-requests/${id}/deny`, { reason: 'Accurate as written' })).status !== 200) {
    throw new Error('fixture denial');
  }
  if (step === 'disagreement-filed' && (await u.him.post(`/api/amendment-requests/${id}/disagreement`, { statement: 'I disagree' })).status !== 200) {
    throw new Error('fixture disagreement');
  }
  return id;
}

function acceptForm(): FormData {
  const form = new FormData();
  form.append('reason', 'Allergy added at the patient’s request');
  return form;
}

/** The access id of a fresh emergency read (clinician1, justified) awaiting review. */
async function newEmergencyAccess(): Promise<string> {
  const id = await newRecord();
  const read = await u.clinician.get(`/api/records/${id}`, { ...purpose('emergency'), 'x-emergency-justification': 'Unresponsive patient in the ED' });
  if (read.status !== 200) throw new Error(`fixture emergency read: ${read.status}`);
  const list = await u.auditor.get(`/api/audit/emergency-access?after=${await headPosition(t.baseUrl)}`);
  const access = (list.body.accesses as Array<{ accessId: string; recordId: string }>).find((a) => a.recordId === id);
  if (!access) throw new Error('fixture emergency read not listed');
  return access.accessId;
}

async function newEmergencySearch(): Promise<string> {
  const justification = `Unresponsive patient in the ED ${randomUUID()}`;
  const search = await u.clinician.get('/api/search?q=allergy', { ...purpose('emergency'), 'x-emergency-justification': justification });
  if (search.status !== 200) throw new Error(`fixture emergency search: ${search.status}`);
  const list = await u.auditor.get(`/api/audit/emergency-searches?after=${await headPosition(t.baseUrl)}`);
  const found = (list.body.searches as Array<{ queryId: string; justification: string }>).find((s) => s.justification === justification);
  if (!found) throw new Error('fixture emergency search not listed');
  return found.queryId;
}

/**
 * Further routes of a permission that ENDPOINTS already gives one call: each is checked against
 * every role, and for its purposes of use, as the permission's first route is.
 */
const MORE_ENDPOINTS: Array<Endpoint & { permission: Permission }> = [
  {
    permission: 'records.content',
    route: 'GET /api/records/:id/versions/:v/pages/:p/image',
    success: 200,
    prepare: async () => ({ method: 'GET', path: `/api/records/${await newRecord()}/versions/1/pages/1/image` }),
    verify: (res) => expect(res.contentType).toBe('image/png'),
  },
];

/** A disposal batch proposed by archivist2 (of one record not yet due), approved by him1 when asked. */
async function newDisposalBatch(approved: boolean): Promise<string> {
  const res = await u.archivist2.post('/api/disposal/batches', { asOf: '2030-01-01', authority: 'Schedule GS-12', recordIds: [await newRecord()] });
  if (res.status !== 201) throw new Error(`fixture disposal batch: ${res.status} ${JSON.stringify(res.body)}`);
  if (approved && (await u.him.post(`/api/disposal/batches/${res.body.id}/approve`, {})).status !== 200) throw new Error('fixture approval');
  return res.body.id;
}

const permissions = Object.keys(PERMISSIONS) as Permission[];
const mayCall = (permission: Permission, role: Role): boolean => (PERMISSIONS[permission] as readonly Role[]).includes(role);
/** A purpose the role may declare (admin may declare none: it still sends one, so its 403 is about the role). */
const declarable = (role: Role): PurposeOfUse => PURPOSES_BY_ROLE[role][0] ?? 'operations';

function send(client: Client, call: Call, headers: Record<string, string> = {}): Promise<Response> {
  return (call.token ? client.withToken(call.token) : client).request(call.method, call.path, {
    json: call.json,
    form: call.form,
    headers: { ...call.headers, ...headers },
  });
}

function expectProblem(res: Response, status: number): void {
  expect(res.status).toBe(status);
  expect(res.contentType).toContain('application/problem+json');
  expect(res.body).toMatchObject({ type: expect.any(String), title: expect.any(String), status, detail: expect.any(String) });
}

/** Runs the call and checks that the event store's head did not move. */
async function appendsNothing(run: () => Promise<Response>): Promise<Response> {
  const before = await headPosition(t.baseUrl);
  const res = await run();
  expect(await headPosition(t.baseUrl)).toBe(before);
  return res;
}

async function tokenOf(username: string, password: string): Promise<string> {
  const res = await new Client(t.baseUrl).post('/api/auth/token', { username, password });
  if (res.status !== 200) throw new Error(`token ${username}: ${res.status}`);
  return res.body.accessToken;
}

async function createUser(username: string, roles: Role[]): Promise<Client> {
  const res = await u.admin.post('/api/users', { username, password: PASSWORD, roles });
  if (res.status !== 201) throw new Error(`create ${username}: ${res.status} ${JSON.stringify(res.body)}`);
  return login(t.baseUrl, username, PASSWORD);
}

beforeAll(async () => {
  t = await startConfiguredApp({ MEDREC_TOKEN_SECRET: TOKEN_SECRET.toString('base64') });
  u = await usersByRole(t.baseUrl);
  openapi = (await new Client(t.baseUrl).get('/docs-json')).body;
});
afterAll(() => t?.close());

describe('the matrix covers every endpoint', () => {
  it('has a call for every key of PERMISSIONS, and nothing else', () => {
    expect(Object.keys(ENDPOINTS).sort()).toEqual([...permissions].sort());
  });

  it('every route of every controller is public on purpose or names a permission of the table, and the matrix calls it', () => {
    const routes = declaredRoutes(t.app);
    expect(routes.length).toBeGreaterThan(0);
    const unguarded = routes.filter((r) => !r.isPublic && !r.permission).map((r) => r.handler);
    expect(unguarded).toEqual([]);
    expect(
      routes
        .filter((r) => r.isPublic)
        .map((r) => r.route)
        .sort(),
    ).toEqual([...PUBLIC_ROUTES].sort());
    const guarded = routes
      .filter((r) => !r.isPublic)
      .map((r) => `${r.permission} ${r.route}`)
      .sort();
    const covered = [...permissions.map((p) => `${p} ${ENDPOINTS[p]?.route}`), ...MORE_ENDPOINTS.map((e) => `${e.permission} ${e.route}`)].sort();
    expect(guarded).toEqual(covered);
  });
});

describe('every endpoint x every role', () => {
  const cases = permissions.flatMap((permission) =>
    ROLES.map((role) => ({ permission, role, expected: mayCall(permission, role) ? `${ENDPOINTS[permission]?.success ?? '2xx'}` : '403' })),
  );

  async function callAs(permission: Permission, endpoint: Endpoint | undefined, role: Role): Promise<void> {
    if (!endpoint) throw new Error(`No call defined for permission ${permission}: add it to ENDPOINTS`);
    const call = await endpoint.prepare(role);
    const headers = READS_PATIENT_DATA.has(permission) ? purpose(declarable(role)) : {};
    if (mayCall(permission, role)) {
      const res = await send(u[role], call, headers);
      if (res.status !== endpoint.success) throw new Error(`${permission} as ${role}: ${res.status} ${res.raw.toString('utf8').slice(0, 300)}`);
      if (endpoint.success === 204) expect(res.raw.length).toBe(0);
      expect(answerMismatches(openapi, endpoint.route, res)).toEqual([]);
      endpoint.verify?.(res);
    } else {
      const res = await appendsNothing(() => send(u[role], call, headers));
      expectProblem(res, 403);
      expect(answerMismatches(openapi, endpoint.route, res)).toEqual([]);
    }
  }

  it.each(cases)('$permission as $role -> $expected', ({ permission, role }) => callAs(permission, ENDPOINTS[permission], role));

  it.each(
    MORE_ENDPOINTS.flatMap((endpoint) =>
      ROLES.map((role) => ({
        endpoint,
        route: endpoint.route,
        permission: endpoint.permission,
        role,
        expected: mayCall(endpoint.permission, role) ? `${endpoint.success}` : '403',
      })),
    ),
  )('$route ($permission) as $role -> $expected', ({ endpoint, role }) => callAs(endpoint.permission, endpoint, role));
});

describe('search matches and shows the text only to roles that may read the text (records.text)', () => {
  it.each((PERMISSIONS.search as readonly Role[]).map((role) => ({ role, text: mayCall('records.text', role) })))(
    'search as $role: text $text',
    async ({ role, text }) => {
      const { id, mrn, position } = await newSearchableRecord();
      const headers = purpose(declarable(role));
      const byText = `/api/search?q=appendectomy&mrn=${mrn}&after=${position}`;
      const byFilters = await u[role].get(`/api/search?mrn=${mrn}&after=${position}`, headers);
      expect(byFilters.status).toBe(200);
      const metadata = { recordId: id, mrn, patientName: 'Jane Example', title: 'Discharge summary after appendectomy', page: null };
      if (text) {
        const res = await u[role].get(byText, headers);
        expect(res.status).toBe(200);
        expect(res.body.results).toEqual([expect.objectContaining({ ...metadata, snippet: expect.stringContaining('<mark>appendectomy</mark>') })]);
        expect(byFilters.body.results).toEqual([expect.objectContaining({ ...metadata, snippet: expect.any(String) })]);
      } else {
        // Matching a word is reading the text: refused, and nothing audited as answered.
        expectProblem(await appendsNothing(() => u[role].get(byText, headers)), 403);
        expect(byFilters.body.results).toEqual([expect.objectContaining({ ...metadata, snippet: null })]);
      }
    },
  );
});

describe('purpose of use on reads of patient data', () => {
  it.each(ROLES.flatMap((role) => PURPOSES_OF_USE.map((p) => ({ role, p, ok: mayCall('records.read', role) && PURPOSES_BY_ROLE[role].includes(p) }))))(
    'records.read as $role for $p -> allowed: $ok',
    async ({ role, p, ok }) => {
      const id = await newRecord();
      // Break-the-glass says why (emergency-access.e2e-spec.ts tests the justification itself).
      const headers = p === 'emergency' ? { ...purpose(p), 'x-emergency-justification': 'Unresponsive patient in the ED' } : purpose(p);
      if (ok) {
        expect((await u[role].get(`/api/records/${id}`, headers)).status).toBe(200);
      } else {
        expectProblem(await appendsNothing(() => u[role].get(`/api/records/${id}`, headers)), 403);
      }
    },
  );

  const readPermissions = permissions.filter((p) => READS_PATIENT_DATA.has(p));

  it('the read endpoints are the documented ones', () => {
    expect([...readPermissions].sort()).toEqual([
      'cover-sheets.read',
      'patients.disclosures',
      'records.accesses',
      'records.content',
      'records.diff',
      'records.events',
      'records.history',
      'records.read',
      'records.text',
      'release-requests.package',
      'search',
    ]);
  });

  /** The read routes: each permission's first, and its further ones. */
  const readRoutes = [
    ...readPermissions.map((permission) => ({ permission, endpoint: ENDPOINTS[permission] })),
    ...MORE_ENDPOINTS.filter((e) => READS_PATIENT_DATA.has(e.permission)).map((endpoint) => ({ permission: endpoint.permission, endpoint })),
  ].map(({ permission, endpoint }) => ({ permission, endpoint, route: endpoint.route }));

  it.each(readRoutes.flatMap((r) => (PERMISSIONS[r.permission] as readonly Role[]).map((role) => ({ ...r, role }))))(
    '$route ($permission) as $role with a purpose the role may not declare -> 403',
    async ({ endpoint, role }) => {
      const forbidden = PURPOSES_OF_USE.find((p) => !PURPOSES_BY_ROLE[role].includes(p))!;
      const call = await endpoint.prepare(role);
      expectProblem(await appendsNothing(() => send(u[role], call, purpose(forbidden))), 403);
    },
  );

  it.each(readRoutes.map((r) => ({ ...r, role: PERMISSIONS[r.permission][0] })))(
    '$route ($permission) as $role: missing, empty or unknown X-Purpose-Of-Use -> 400',
    async ({ endpoint, role }) => {
      const call = await endpoint.prepare(role);
      for (const headers of [{}, purpose(''), purpose('curiosity'), purpose('TREATMENT')]) {
        expectProblem(await appendsNothing(() => send(u[role], call, headers)), 400);
      }
      // The control: the same call with a declarable purpose succeeds.
      expect((await send(u[role], call, purpose(declarable(role)))).status).toBe(endpoint.success);
    },
  );
});

describe('authentication', () => {
  let claims: { sub: string; username: string; roles: Role[] };
  let adminClaims: { sub: string; username: string; roles: Role[] };

  beforeAll(async () => {
    const decode = (token: string) => {
      const p = jwt.decode(token) as jwt.JwtPayload;
      return { sub: p.sub!, username: p.username, roles: p.roles };
    };
    // A user holding every role but admin, and the admin: only the token's validity can make them fail.
    await createUser(
      'everyrole',
      ROLES.filter((r) => r !== 'admin'),
    );
    claims = decode(await tokenOf('everyrole', PASSWORD));
    adminClaims = decode(await tokenOf('admin', ADMIN_PASSWORD));
  });

  const callerOf = (permission: Permission) => (permission.startsWith('users.') ? adminClaims : claims);
  // Guards run before pipes and handlers: a random id is enough, no fixture is touched.
  const id = randomUUID();
  const calls: Record<Permission, Call> = {
    'users.list': { method: 'GET', path: '/api/users' },
    'users.update': { method: 'PATCH', path: `/api/users/${id}`, json: { roles: ['admin'] } },
    'auth.sign-out': { method: 'POST', path: '/api/auth/sign-out' },
    'auth.renew': { method: 'POST', path: '/api/auth/token/renew' },
    'auth.me': { method: 'GET', path: '/api/auth/me' },
    'users.create': { method: 'POST', path: '/api/users', json: { username: 'intruder', password: PASSWORD, roles: ['admin'] } },
    'records.create': { method: 'POST', path: '/api/records', form: recordForm() },
    'records.read': { method: 'GET', path: `/api/records/${id}` },
    'records.status': { method: 'GET', path: `/api/records/${id}/status` },
    'records.content': { method: 'GET', path: `/api/records/${id}/versions/1/content` },
    'records.text': { method: 'GET', path: `/api/records/${id}/versions/1/text` },
    'records.amend': { method: 'POST', path: `/api/records/${id}/amendments`, form: amendmentForm() },
    'records.release': {
      method: 'POST',
      path: `/api/records/${id}/releases`,
      json: { recipient: { name: 'x' }, purpose: 'x', authorizationReference: 'x', description: 'x' },
    },
    'records.holds.place': { method: 'POST', path: `/api/records/${id}/holds`, json: { matter: 'x', reason: 'x' } },
    'records.holds.lift': { method: 'DELETE', path: `/api/records/${id}/holds/${randomUUID()}` },
    'legal-holds.place': { method: 'POST', path: '/api/legal-holds', json: { matter: 'x', reason: 'x', recordIds: [id] } },
    'legal-holds.list': { method: 'GET', path: '/api/legal-holds' },
    'legal-holds.lift': { method: 'DELETE', path: `/api/legal-holds/${id}` },
    'records.archive': { method: 'POST', path: `/api/records/${id}/archive`, json: { reason: 'x' } },
    'records.destroy.approve': { method: 'POST', path: `/api/records/${id}/destruction-approvals`, json: { authority: 'x' } },
    'records.destroy': { method: 'POST', path: `/api/records/${id}/destroy`, json: { authority: 'x', approvedBy: 'archivist2' } },
    'records.events': { method: 'GET', path: `/api/records/${id}/events` },
    search: { method: 'GET', path: '/api/search?q=appendectomy' },
    'records.history': { method: 'GET', path: `/api/records/${id}/history` },
    'records.diff': { method: 'GET', path: `/api/records/${id}/versions/1/diff/2` },
    'records.accesses': { method: 'GET', path: `/api/records/${id}/accesses` },
    'records.history.report': { method: 'GET', path: `/api/records/${id}/history/report` },
    'audit.emergency-access.list': { method: 'GET', path: '/api/audit/emergency-access' },
    'audit.emergency-access.review': { method: 'POST', path: `/api/audit/emergency-access/${id}/review`, json: { note: 'x' } },
    'audit.queries.list': { method: 'GET', path: '/api/audit/queries' },
    'audit.emergency-searches.list': { method: 'GET', path: '/api/audit/emergency-searches' },
    'audit.emergency-searches.review': { method: 'POST', path: `/api/audit/emergency-searches/${id}/review`, json: { note: 'x' } },
    'patients.disclosures': { method: 'GET', path: '/api/patients/MRN-00001/disclosures' },
    stats: { method: 'GET', path: '/api/stats' },
    'retention.schedules.read': { method: 'GET', path: '/api/retention/schedules' },
    'retention.schedules.change': { method: 'PUT', path: '/api/retention/schedules/other', json: { years: 1, authority: 'x' } },
    'retention.due': { method: 'GET', path: '/api/retention/due?asOf=2099-12-31' },
    'disposal.propose': { method: 'POST', path: '/api/disposal/batches', json: { asOf: '2030-01-01', authority: 'x' } },
    'disposal.list': { method: 'GET', path: '/api/disposal/batches' },
    'disposal.read': { method: 'GET', path: `/api/disposal/batches/${randomUUID()}` },
    'disposal.approve': { method: 'POST', path: `/api/disposal/batches/${randomUUID()}/approve` },
    'disposal.execute': { method: 'POST', path: `/api/disposal/batches/${randomUUID()}/execute` },
    'disposal.certificates.list': { method: 'GET', path: '/api/disposal/certificates' },
    'disposal.certificates.read': { method: 'GET', path: `/api/disposal/certificates/${randomUUID()}` },
    'archive.batches.start': { method: 'POST', path: '/api/archive/batches', json: { inactiveSince: '1900-01-01' } },
    'archive.batches.resume': { method: 'POST', path: `/api/archive/batches/${id}/resume` },
    'archive.batches.read': { method: 'GET', path: `/api/archive/batches/${id}` },
    'release-requests.create': { method: 'POST', path: '/api/release-requests', json: releaseRequestBody('MRN-00001', [id]) },
    'release-requests.list': { method: 'GET', path: '/api/release-requests' },
    'release-requests.read': { method: 'GET', path: `/api/release-requests/${id}` },
    'release-requests.fulfil': { method: 'POST', path: `/api/release-requests/${id}/fulfil` },
    'release-requests.deny': { method: 'POST', path: `/api/release-requests/${id}/deny`, json: { reason: 'x' } },
    'release-requests.package': { method: 'GET', path: `/api/release-requests/${id}/package` },
    'amendment-requests.create': {
      method: 'POST',
      path: '/api/amendment-requests',
      json: { recordId: id, requestedChange: 'x', receivedAt: '2024-03-02' },
    },
    'amendment-requests.list': { method: 'GET', path: '/api/amendment-requests?overdue=true' },
    'amendment-requests.read': { method: 'GET', path: `/api/amendment-requests/${id}` },
    'amendment-requests.accept': { method: 'POST', path: `/api/amendment-requests/${id}/accept`, form: acceptForm() },
    'amendment-requests.deny': { method: 'POST', path: `/api/amendment-requests/${id}/deny`, json: { reason: 'x' } },
    'amendment-requests.disagreement': { method: 'POST', path: `/api/amendment-requests/${id}/disagreement`, json: { statement: 'x' } },
    'amendment-requests.rebuttal': { method: 'POST', path: `/api/amendment-requests/${id}/rebuttal`, json: { statement: 'x' } },
    'review.list': { method: 'GET', path: '/api/review' },
    'review.resolve': { method: 'POST', path: `/api/review/${id}/resolve`, json: { action: 'accept' } },
    'cover-sheets.issue': { method: 'POST', path: '/api/cover-sheets', json: coverSheetBody() },
    'cover-sheets.batch': { method: 'POST', path: '/api/cover-sheets/batch', form: coverSheetCsvForm() },
    'cover-sheets.separator': { method: 'GET', path: '/api/cover-sheets/separator' },
    'cover-sheets.read': { method: 'GET', path: `/api/cover-sheets/${id}` },
    'cover-sheets.void': { method: 'POST', path: `/api/cover-sheets/${id}/void`, json: { reason: 'x' } },
    'stacks.receive': { method: 'POST', path: '/api/stacks', form: new FormData() },
    'stacks.read': { method: 'GET', path: `/api/stacks/${id}` },
  };

  const variants: Array<{ name: string; authorization: (permission: Permission) => string | undefined }> = [
    { name: 'no token', authorization: () => undefined },
    { name: 'a garbage token', authorization: () => 'Bearer not.a.jwt' },
    { name: 'a non-bearer scheme', authorization: () => `Basic ${Buffer.from(`admin:${ADMIN_PASSWORD}`).toString('base64')}` },
    { name: 'an expired token', authorization: (p) => `Bearer ${signToken(TOKEN_SECRET, callerOf(p), { issuedSecondsAgo: 3600, expiresInSeconds: 900 })}` },
    { name: 'a token signed with another secret', authorization: (p) => `Bearer ${signToken(randomBytes(32), callerOf(p))}` },
    { name: 'an unsigned (alg none) token', authorization: (p) => `Bearer ${unsignedToken(callerOf(p))}` },
  ];

  it.each(permissions.flatMap((permission) => variants.map((v) => ({ permission, variant: v.name, v }))))(
    '$permission with $variant -> 401',
    async ({ permission, v }) => {
      const call = calls[permission];
      if (!call) throw new Error(`No unauthenticated call defined for ${permission}`);
      const authorization = v.authorization(permission);
      const headers = { ...purpose('legal'), ...(authorization ? { authorization } : {}) };
      // Rebuild multipart bodies: a FormData is consumed by the request.
      const body = call.form
        ? {
            ...call,
            form:
              permission === 'records.create'
                ? recordForm()
                : permission === 'amendment-requests.accept'
                  ? acceptForm()
                  : permission === 'cover-sheets.batch'
                    ? coverSheetCsvForm()
                    : permission === 'stacks.receive'
                      ? new FormData()
                      : amendmentForm(),
          }
        : call;
      expectProblem(await appendsNothing(() => send(new Client(t.baseUrl), body, headers)), 401);
    },
  );

  it('the control: the same claims signed with the server secret are accepted', async () => {
    const client = new Client(t.baseUrl, signToken(TOKEN_SECRET, claims));
    const res = await client.request('POST', '/api/records', { form: recordForm() });
    expect(res.status).toBe(201);
  });
});

describe('a user with several roles acts in the role that permits the endpoint', () => {
  let clerkLegal: Client;
  let himArchivist: Client;
  beforeAll(async () => {
    clerkLegal = await createUser('clerk-legal', ['clerk', 'legal']);
    himArchivist = await createUser('him-archivist', ['him', 'archivist']);
  });

  const eventsOf = async (id: string) => {
    const res = await u.auditor.get(`/api/records/${id}/events`, purpose('audit'));
    expect(res.status).toBe(200);
    return res.body.events as Array<{ type: string; actor: string; role: string; purpose?: string; data: Record<string, unknown> }>;
  };

  it('clerk + legal: creates as clerk, holds as legal, reads as whichever role may declare the purpose', async () => {
    const created = await clerkLegal.request('POST', '/api/records', { form: recordForm({ mrn: 'MULTI-1' }) });
    expect(created.status).toBe(201);
    const id = created.body.id;
    expect((await clerkLegal.post(`/api/records/${id}/holds`, { matter: 'Poe v. Hospital', reason: 'Notice' })).status).toBe(201);
    expect((await clerkLegal.get(`/api/records/${id}`, purpose('operations'))).status).toBe(200);
    expect((await clerkLegal.get(`/api/records/${id}`, purpose('legal'))).status).toBe(200);
    expectProblem(await clerkLegal.get(`/api/records/${id}`, purpose('treatment')), 403);
    expectProblem(await clerkLegal.request('POST', `/api/records/${id}/amendments`, { form: amendmentForm() }), 403);
    expect((await clerkLegal.get(`/api/records/${id}/events`, purpose('legal'))).status).toBe(200);

    const events = (await eventsOf(id)).filter((e) => e.actor === 'clerk-legal');
    const summary = events.map((e) => [e.type, e.role, e.purpose ?? null]);
    expect(summary).toEqual([
      ['RecordCreated', 'clerk', null],
      ['LegalHoldPlaced', 'legal', null],
      ['RecordAccessed', 'clerk', 'operations'],
      ['RecordAccessed', 'legal', 'legal'],
      ['RecordAccessed', 'legal', 'legal'],
    ]);
    expect(events.filter((e) => e.type === 'RecordAccessed').map((e) => e.data.role)).toEqual(['clerk', 'legal', 'legal']);
  });

  it('him + archivist: archives and approves as him (first in role order), destroys as archivist', async () => {
    const id = await newRecord();
    expect((await himArchivist.post(`/api/records/${id}/archive`, { reason: 'Inactive' })).status).toBe(200);
    expect((await himArchivist.post(`/api/records/${id}/destruction-approvals`, { authority: 'Schedule GS-12' })).status).toBe(201);
    expect((await u.archivist2.post(`/api/records/${id}/destruction-approvals`, { authority: 'Schedule GS-12' })).status).toBe(201);
    expect((await himArchivist.post(`/api/records/${id}/destroy`, { authority: 'Schedule GS-12', approvedBy: 'archivist2' })).status).toBe(200);
    const events = (await eventsOf(id)).filter((e) => e.actor === 'him-archivist');
    expect(events.map((e) => [e.type, e.role])).toEqual([
      ['RecordArchived', 'him'],
      ['DestructionApproved', 'him'],
      ['RecordDestroyed', 'archivist'],
    ]);
  });
});
