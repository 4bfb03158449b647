import { randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { Role } from '@medrec/domain';
import { loadConfig } from '@medrec/platform';
import { createApp } from '../../apps/api/src/create-app';
import { startServerProcess, ServerProcess } from '../support/server-process';
import { startWorkerProcess } from '../support/worker-process';
import { headPosition } from './support/configured-app';
import { ADMIN_PASSWORD, Client, GENEROUS_SIGN_IN_LIMITS, PASSWORD, purpose, Response } from './support/harness';
import { declaredRoutes } from './support/routes';

/**
 * PHI never in logs. The built server runs as a process (OCR in process) beside an OCR worker
 * process on the same data directory, and their stdout and stderr are captured. A fictional
 * patient's name, MRN, date of birth, title, free text, search terms, file names and OCR'd text go
 * through a workflow of real calls, then through every route the app declares — with valid ids,
 * with PHI in the path and the query string, with PHI bodies the validation refuses, without a
 * token. The logs must hold none of it, and must hold one JSON line per request with the fields
 * an operator needs: a test that passes by logging nothing fails here.
 */

const ROOT = resolve(__dirname, '../..');
const SCAN = join(ROOT, 'test/fixtures/scans/mrn-00482913-radiology-report.png');
const GROUND_TRUTH = readFileSync(join(ROOT, 'test/fixtures/scans/mrn-00482913-radiology-report.txt'), 'utf8');

const PATIENT = {
  givenName: 'Zenobia',
  surname: 'Quillfeather',
  mrn: 'QX-73319842',
  dateOfBirth: '1938-02-27',
  title: 'Bathyscaphe consultation',
  freeText: 'Vorpalwyrm syndrome',
  searchTerm: 'Perihelionitis',
  fileName: 'Quillfeather-Zenobia-Marginalia.png',
};
const PATIENT_NAME = `${PATIENT.givenName} ${PATIENT.surname}`;

/** Words of the fixture's text (tesseract reads this clean scan well): distinctive enough never to be in a log line by chance. */
const OCR_WORDS = ['Gonzalez', 'Haddad', 'cardiopulmonary', 'pneumothorax', 'consolidation', 'degenerative', 'effusion', 'thoracic', '118734', '00482913'];

/** Every value that must never reach a log line, each a token that URL- or JSON-encoding leaves as it is. */
const PHI_VALUES = [
  PATIENT.givenName,
  PATIENT.surname,
  PATIENT.mrn,
  PATIENT.mrn.replace('-', ''),
  PATIENT.dateOfBirth,
  'Bathyscaphe',
  'Vorpalwyrm',
  PATIENT.searchTerm,
  'Marginalia',
  ...OCR_WORDS,
];

/** A JSON body carrying PHI under the names the API's bodies use: the validation refuses most of it, with PHI in it. */
const PHI_BODY = {
  mrn: PATIENT.mrn,
  patientName: PATIENT_NAME,
  dateOfBirth: PATIENT.dateOfBirth,
  title: PATIENT.title,
  reason: PATIENT.freeText,
  matter: `${PATIENT.surname} v. County`,
  requester: PATIENT_NAME,
  requestedChange: PATIENT.freeText,
  statement: PATIENT.freeText,
  note: PATIENT.freeText,
  authority: PATIENT.freeText,
  description: PATIENT.freeText,
  recipient: { name: PATIENT_NAME },
  username: PATIENT_NAME,
  password: PATIENT.freeText,
  q: PATIENT.searchTerm,
  text: GROUND_TRUTH,
};
const PHI_QUERY = `?q=${encodeURIComponent(`${PATIENT.searchTerm} ${PATIENT.surname}`)}&mrn=${PATIENT.mrn}&name=${encodeURIComponent(PATIENT_NAME)}&dob=${PATIENT.dateOfBirth}&file=${PATIENT.fileName}`;
const PHI_SEGMENT = `${PATIENT.surname}-${PATIENT.givenName}`;

/** The answers of every request this test makes, by the X-Request-Id it sent. */
const sent = new Map<string, { method: string; path: string; status: number; authenticated: boolean }>();
let requestSeq = 0;
/** Requests whose bodies the JSON parser refuses, before any route runs. */
const refusedBeforeRouting: string[] = [];

/** A client whose every request carries an X-Request-Id of its own (echoed in the answer), so that each can be found in the log. */
class TracedClient extends Client {
  constructor(
    baseUrl: string,
    private readonly bearer?: string,
  ) {
    super(baseUrl, bearer);
  }

  withToken(token: string): TracedClient {
    return new TracedClient(this.baseUrl, token);
  }

  async request<T = any>(method: string, path: string, options: Parameters<Client['request']>[2] = {}): Promise<Response<T>> {
    const id = logsTestId(++requestSeq);
    const res = await super.request<T>(method, path, { ...options, headers: { ...(options.headers ?? {}), 'x-request-id': id } });
    if (res.headers.get('x-request-id') !== id) throw new Error(`${method} ${path}: X-Request-Id ${res.headers.get('x-request-id')} instead of ${id}`);
    sent.set(id, { method, path, status: res.status, authenticated: this.bearer !== undefined });
    return res;
  }
}

async function signIn(baseUrl: string, username: string, password: string): Promise<TracedClient> {
  const res = await new TracedClient(baseUrl).post('/api/auth/token', { username, password });
  if (res.status !== 200) throw new Error(`sign-in of ${username}: ${res.status}`);
  return new TracedClient(baseUrl, res.body.accessToken);
}

async function expectStatus(res: Promise<Response> | Response, status: number, what: string): Promise<Response> {
  const answer = await res;
  if (answer.status !== status) throw new Error(`${what}: ${answer.status} ${answer.raw.toString('utf8').slice(0, 300)}`);
  return answer;
}

function scanForm(fields: Record<string, string>, file: Buffer, fileName: string): FormData {
  const form = new FormData();
  for (const [name, value] of Object.entries(fields)) form.append(name, value);
  form.append('file', new Blob([file]), fileName);
  return form;
}

/** The routes the app declares, read from an app built in this process (it never listens). */
async function routesOfTheApp(): Promise<Array<{ method: string; template: string; isPublic: boolean }>> {
  const dataDir = mkdtempSync(join(tmpdir(), 'medrec-logs-routes-'));
  const app = await createApp(loadConfig({ MEDREC_DATA_DIR: dataDir, MEDREC_OCR_IN_PROCESS: 'false' }), false);
  try {
    return declaredRoutes(app).map(({ route, isPublic }) => {
      const [method, template] = route.split(' ');
      return { method, template, isPublic };
    });
  } finally {
    await app.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

interface RequestLine {
  level: string;
  msg: string;
  requestId: string;
  userId: string | null;
  route: string;
  method: string;
  status: number;
  durationMs: number;
}

const isRequestLine = (line: Record<string, unknown>): line is Record<string, unknown> & RequestLine =>
  line.msg === 'request completed' || line.msg === 'request failed';

let dataDir: string;
let server: ServerProcess | undefined;
let worker: Awaited<ReturnType<typeof startWorkerProcess>> | undefined;
let routes: Array<{ method: string; template: string; isPublic: boolean }>;
let apiLog = '';
let workerLog = '';
let ocrText = '';

beforeAll(async () => {
  routes = await routesOfTheApp();
  dataDir = mkdtempSync(join(tmpdir(), 'medrec-logs-'));
  const env = {
    MEDREC_ADMIN_PASSWORD: ADMIN_PASSWORD,
    MEDREC_OCR_IN_PROCESS: 'true',
    MEDREC_OCR_WORKERS: '1',
    MEDREC_LOG_LEVEL: 'info',
    ...GENEROUS_SIGN_IN_LIMITS,
  };
  server = await startServerProcess(dataDir, env);
  worker = await startWorkerProcess(dataDir, env);
  try {
    await exercise(server.baseUrl);
  } finally {
    await server.stop();
    await worker.stop();
    apiLog = server.output();
    workerLog = worker.output();
  }
}, 120_000);

afterAll(async () => {
  await server?.stop();
  await worker?.stop();
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
});

/** The workflow with PHI, then every declared route with PHI. */
async function exercise(baseUrl: string): Promise<void> {
  const admin = await signIn(baseUrl, 'admin', ADMIN_PASSWORD);
  const roles: Role[] = ['clerk', 'clinician', 'him', 'legal', 'archivist', 'auditor'];
  const u: Partial<Record<Role | 'archivist2' | 'everyone', TracedClient>> = { admin };
  const users: Array<[keyof typeof u, string, string[]]> = [
    ...roles.map((role): [Role, string, string[]] => [role, `${role}1`, [role]]),
    ['archivist2', 'archivist2', ['archivist']],
    // Every permission at once, for the walk through every route.
    ['everyone', 'everyone', [...roles, 'admin']],
  ];
  let everyoneId = '';
  for (const [key, username, userRoles] of users) {
    const created = await expectStatus(admin.post('/api/users', { username, password: PASSWORD, roles: userRoles }), 201, `create ${username}`);
    everyoneId = created.body.id;
    u[key] = await signIn(baseUrl, username, PASSWORD);
  }
  const { clerk, clinician, him, legal, archivist, archivist2, auditor, everyone } = u as Required<typeof u>;

  // A real scan, with the patient's details and a file name naming the patient; OCR in process.
  const scan = readFileSync(SCAN);
  const fields = { mrn: PATIENT.mrn, patientName: PATIENT_NAME, dateOfBirth: PATIENT.dateOfBirth, documentType: 'radiology-report', title: PATIENT.title };
  const record = await expectStatus(clerk.request('POST', '/api/records', { form: scanForm(fields, scan, PATIENT.fileName) }), 201, 'upload');
  const id: string = record.body.id;
  const deadline = Date.now() + 60_000;
  for (;;) {
    const status = await expectStatus(clerk.get(`/api/records/${id}/status`, purpose('operations')), 200, 'status');
    if (status.body.versions[0].ocr.status === 'done') break;
    if (status.body.versions[0].ocr.status === 'failed' || Date.now() > deadline) throw new Error(`OCR: ${JSON.stringify(status.body)}`);
    await new Promise((r) => setTimeout(r, 200));
  }
  const treatment = purpose('treatment');
  ocrText = (await expectStatus(clinician.get(`/api/records/${id}/versions/1/text`, treatment), 200, 'text')).raw.toString('utf8');

  // Reads and searches by the patient's data.
  await expectStatus(clinician.get(`/api/records/${id}`, treatment), 200, 'read');
  await expectStatus(clinician.get(`/api/records/${id}/versions/1/content`, treatment), 200, 'content');
  await expectStatus(clinician.get(`/api/records/${id}/versions/1/pages/1/image`, treatment), 200, 'page image');
  // After the head, not the upload: the status read the record's stream, the search reads its read model, which must have the OCR text.
  const found = await expectStatus(clinician.get(`/api/search?q=${OCR_WORDS[2]}&after=${await headPosition(baseUrl)}`, treatment), 200, 'search the text');
  expect(found.body.results.map((r: { recordId: string }) => r.recordId)).toContain(id);
  await expectStatus(clinician.get(`/api/search?q=${PATIENT.surname}`, treatment), 200, 'search by name');
  await expectStatus(clinician.get(`/api/search?q=${PATIENT.searchTerm}`, treatment), 200, 'search, no match');
  await expectStatus(clinician.get(`/api/search?mrn=${PATIENT.mrn}`, treatment), 200, 'search by MRN');
  await expectStatus(
    clinician.get(`/api/records/${id}`, { ...purpose('emergency'), 'x-emergency-justification': `${PATIENT.freeText}: ${PATIENT_NAME} unresponsive` }),
    200,
    'emergency read',
  );

  // Writes carrying free text and names.
  const amendment = new FormData();
  amendment.append('kind', 'addendum');
  amendment.append('reason', PATIENT.freeText);
  amendment.append('title', `${PATIENT.title} addendum`);
  amendment.append('file', new Blob([scan]), `addendum-${PATIENT.fileName}`);
  await expectStatus(him.request('POST', `/api/records/${id}/amendments`, { form: amendment }), 201, 'amend');
  await expectStatus(clinician.get(`/api/records/${id}/versions/1/diff/2`, treatment), 200, 'diff');
  const release = {
    recipient: { name: `Dr. ${PATIENT.surname}` },
    purpose: 'continuing care',
    authorizationReference: 'AUTH-7',
    description: PATIENT.freeText,
  };
  await expectStatus(him.post(`/api/records/${id}/releases`, release), 201, 'release');
  await expectStatus(him.get(`/api/patients/${PATIENT.mrn}/disclosures`, purpose('patient-request')), 200, 'disclosures');
  const releaseRequest = await expectStatus(
    him.post('/api/release-requests', {
      mrn: PATIENT.mrn,
      requester: PATIENT_NAME,
      recipient: { name: `${PATIENT.givenName}'s attorney` },
      purpose: PATIENT.freeText,
      recordIds: [id],
      authorizationReference: 'AUTH-1',
      authorizationExpires: '2099-12-31',
      receivedAt: '2024-01-02',
    }),
    201,
    'release request',
  );
  await expectStatus(him.post(`/api/release-requests/${releaseRequest.body.id}/fulfil`), 200, 'fulfil');
  await expectStatus(him.get(`/api/release-requests/${releaseRequest.body.id}/package`, purpose('patient-request')), 200, 'package');
  const amendmentRequest = await expectStatus(
    him.post('/api/amendment-requests', { recordId: id, requestedChange: `${PATIENT.freeText} is wrong`, receivedAt: '2024-03-02' }),
    201,
    'amendment request',
  );
  const arId: string = amendmentRequest.body.id;
  await expectStatus(him.post(`/api/amendment-requests/${arId}/deny`, { reason: PATIENT.freeText }), 200, 'deny the amendment');
  await expectStatus(him.post(`/api/amendment-requests/${arId}/disagreement`, { statement: `${PATIENT_NAME} disagrees` }), 200, 'disagreement');
  await expectStatus(him.post(`/api/amendment-requests/${arId}/rebuttal`, { statement: PATIENT.freeText }), 200, 'rebuttal');
  const hold = await expectStatus(legal.post(`/api/records/${id}/holds`, { matter: `${PATIENT.surname} v. County`, reason: PATIENT.freeText }), 201, 'hold');
  const matterHold = await expectStatus(
    legal.post('/api/legal-holds', { matter: `Estate of ${PATIENT.surname}`, reason: PATIENT.freeText, recordIds: [id] }),
    201,
    'matter hold',
  );
  // Cover sheets: issued with the patient's details, a CSV with a refused row naming the patient, read back.
  const sheetFields = { mrn: PATIENT.mrn, patientName: PATIENT_NAME, dateOfBirth: PATIENT.dateOfBirth, documentType: 'radiology-report', title: PATIENT.title };
  const sheet = await expectStatus(clerk.post('/api/cover-sheets', sheetFields), 201, 'cover sheet');
  const sheetId = sheet.headers.get('x-cover-sheet-id')!;
  await expectStatus(clerk.get(`/api/cover-sheets/${sheetId}`, purpose('operations')), 200, 'read the cover sheet');
  const csv = (rows: string[]) => {
    const form = new FormData();
    const lines = ['mrn,patientName,dateOfBirth,documentType,title', ...rows].join('\n');
    form.append('file', new Blob([lines], { type: 'text/csv' }), `${PATIENT.surname}-clinic.csv`);
    return form;
  };
  const row = `${PATIENT.mrn},${PATIENT_NAME},${PATIENT.dateOfBirth},radiology-report,${PATIENT.title}`;
  await expectStatus(clerk.request('POST', '/api/cover-sheets/batch', { form: csv([row]) }), 201, 'cover sheet batch');
  await expectStatus(
    clerk.request('POST', '/api/cover-sheets/batch', { form: csv([row, `${PATIENT_NAME},${PATIENT.mrn},${PATIENT.freeText},x,y`]) }),
    400,
    'bad batch',
  );
  // The list is a read model: it may lag the emergency read by a moment under load.
  let accessId: string | undefined;
  for (const deadline = Date.now() + 10_000; accessId === undefined && Date.now() < deadline; await new Promise((r) => setTimeout(r, 100))) {
    const accesses = await expectStatus(auditor.get('/api/audit/emergency-access'), 200, 'emergency accesses');
    accessId = accesses.body.accesses.find((a: { recordId: string }) => a.recordId === id)?.accessId;
  }
  if (accessId === undefined) throw new Error('the emergency read was not listed within 10 s');
  await expectStatus(auditor.post(`/api/audit/emergency-access/${accessId}/review`, { note: PATIENT.freeText }), 200, 'review');

  // Uploads refused with the patient's details and file names: content that is no scan, a broken and a locked one, the same scan again, bad fields.
  const badInput = (name: string) => readFileSync(join(ROOT, 'test/fixtures/bad-inputs', name));
  const refusals: Array<[string, Promise<Response>]> = [
    ['OCR text as an image', clerk.request('POST', '/api/records', { form: scanForm(fields, Buffer.from(GROUND_TRUTH), PATIENT.fileName) })],
    ['truncated scan', clerk.request('POST', '/api/records', { form: scanForm(fields, badInput('truncated.jpg'), `${PATIENT.surname}.jpg`) })],
    ['locked PDF', clerk.request('POST', '/api/records', { form: scanForm(fields, badInput('password-protected.pdf'), `${PATIENT.surname}.pdf`) })],
    ['duplicate', clerk.request('POST', '/api/records', { form: scanForm(fields, scan, PATIENT.fileName) })],
    [
      'bad fields',
      clerk.request('POST', '/api/records', {
        form: scanForm({ ...fields, dateOfBirth: `${PATIENT.dateOfBirth}x`, mrn: PATIENT_NAME }, scan, PATIENT.fileName),
      }),
    ],
  ];
  for (const [what, res] of refusals) {
    const status = (await res).status;
    if (status < 400 || status > 499) throw new Error(`${what}: ${status}`);
  }

  // A second record of the patient, destroyed under dual control (the shredding is logged, by id).
  const doomed = await expectStatus(
    clerk.request('POST', '/api/records', { form: scanForm({ ...fields, allowDuplicate: 'true' }, scan, PATIENT.fileName) }),
    201,
    'second upload',
  );
  await expectStatus(archivist2.post(`/api/records/${doomed.body.id}/destruction-approvals`, { authority: 'Schedule GS-12' }), 201, 'approve destruction');
  await expectStatus(archivist.post(`/api/records/${doomed.body.id}/destroy`, { authority: 'Schedule GS-12', approvedBy: 'archivist2' }), 200, 'destroy');
  const batch = await expectStatus(
    archivist.post('/api/disposal/batches', { asOf: '2030-01-01', authority: 'Schedule GS-12', recordIds: [id] }),
    201,
    'disposal batch',
  );
  const archiveBatch = await expectStatus(archivist.post('/api/archive/batches', { inactiveSince: '1900-01-01' }), 201, 'archive batch');

  // Every declared route: valid ids with PHI in the query and the body; PHI in the path; no token.
  const ids: Record<string, string> = {
    '/api/records/:id': id,
    '/api/users/:id': everyoneId,
    '/api/legal-holds/:id': matterHold.body.id,
    '/api/disposal/batches/:id': batch.body.id,
    '/api/archive/batches/:id': archiveBatch.body.id,
    '/api/release-requests/:id': releaseRequest.body.id,
    '/api/amendment-requests/:id': arId,
    '/api/cover-sheets/:id': sheetId,
    holdId: hold.body.holdId,
    accessId,
    mrn: PATIENT.mrn,
    documentType: 'radiology-report',
    v: '1',
    a: '1',
    b: '2',
    p: '1',
  };
  const fill = (template: string, value: (prefix: string, name: string) => string) =>
    template.replace(/:(\w+)/g, (_match, name: string, offset: number) => value(template.slice(0, offset) + ':' + name, name));
  const headers = { ...treatment, 'content-type': 'application/json' };
  const body = JSON.stringify(PHI_BODY);
  for (const { method, template } of routes) {
    // Sign-out revokes the token it comes with, renewal replaces it: routes of /api/auth get tokens of their own.
    const caller = template.startsWith('/api/auth/') ? await signIn(baseUrl, 'everyone', PASSWORD) : everyone;
    const valid = fill(template, (prefix, name) => ids[prefix] ?? ids[name] ?? randomUUID());
    const withBody = method === 'GET' || method === 'HEAD' ? {} : { body };
    await caller.request(method, valid + PHI_QUERY, { headers, ...withBody });
    await caller.request(method, fill(template, () => PHI_SEGMENT) + PHI_QUERY, { headers, ...withBody });
    await new TracedClient(baseUrl).request(method, valid + PHI_QUERY, { headers, ...withBody });
  }
  // Refused before any route: a body that is not JSON, and one too deep; a path no route knows; the web app's pages.
  await everyone.request('POST', `/api/records/${id}/holds`, { headers, body: `{"matter": "${PATIENT_NAME}", ${PATIENT.freeText}` });
  refusedBeforeRouting.push(logsTestId(requestSeq));
  await everyone.request('POST', '/api/legal-holds', { headers, body: '['.repeat(100) + JSON.stringify(PATIENT_NAME) + ']'.repeat(100) });
  refusedBeforeRouting.push(logsTestId(requestSeq));
  await everyone.request('GET', `/api/${PHI_SEGMENT}${PHI_QUERY}`);
  await everyone.request('GET', `/search${PHI_QUERY}`);
  // Sign-in failures naming the patient, and request ids that are not acceptable (replaced, never logged).
  await new TracedClient(baseUrl).post('/api/auth/token', { username: PATIENT.surname, password: PATIENT.freeText });
  await new Client(baseUrl).get(`/api/records/${id}`, { 'x-request-id': PATIENT_NAME });
  await new Client(baseUrl).get(`/api/records/${id}`, { 'x-request-id': `${PATIENT.surname}/${PATIENT.mrn}` });
  await new Client(baseUrl).get(`/api/records/${id}`, { 'x-request-id': PATIENT.mrn });
}

/** The X-Request-Id of this test's n-th traced request: acceptable (hex and dashes), recognisable by its prefix. */
const LOGS_TEST_ID_PREFIX = '1095-7e57-';
const logsTestId = (n: number): string => `${LOGS_TEST_ID_PREFIX}${String(n).padStart(12, '0')}`;

const jsonLines = (output: string): Array<Record<string, unknown>> =>
  output
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => {
      try {
        return JSON.parse(line) as Record<string, unknown>;
      } catch {
        throw new Error(`not a JSON log line: ${line.slice(0, 200)}`);
      }
    });

describe('the logs of the API and of the OCR worker', () => {
  it('hold no PHI: no name, MRN, date of birth, title, free text, search term, file name or OCR text', () => {
    // Refusals carried PHI too: invalid fields and bodies (400), no token (401), PHI in paths (404), a duplicate (409), content that is no scan (422).
    expect([...new Set([...sent.values()].map((call) => call.status))]).toEqual(expect.arrayContaining([200, 201, 400, 401, 404, 409, 422]));
    // The OCR really read the words looked for, so their absence from the logs means something.
    for (const word of OCR_WORDS) expect(ocrText).toContain(word);
    const logs = `${apiLog}\n${workerLog}`.toLowerCase();
    const found = PHI_VALUES.filter((value) => logs.includes(value.toLowerCase()));
    expect(found).toEqual([]);
  });

  it('are JSON lines, one per request with its id, user id, route template, method, status and duration', () => {
    const lines = jsonLines(apiLog);
    const requests = lines.filter(isRequestLine);
    for (const line of requests) {
      expect(line).toEqual(
        expect.objectContaining({
          level: expect.stringMatching(/^(info|warn|error)$/),
          time: expect.any(String),
          requestId: expect.any(String),
          route: expect.any(String),
          method: expect.stringMatching(/^[A-Z]+$/),
          status: expect.any(Number),
          durationMs: expect.any(Number),
          userId: line.userId === null ? null : expect.stringMatching(/^[0-9a-f-]{36}$/),
        }),
      );
      expect(Object.keys(line).sort()).toEqual([
        'durationMs',
        'hostname',
        'level',
        'method',
        'msg',
        'name',
        'pid',
        'requestId',
        'route',
        'status',
        'time',
        'userId',
      ]);
    }
    const publicRoutes = new Set([...routes.filter((r) => r.isPublic).map((r) => r.template), '(web app)']);
    // Each request of the test exactly once, under the id it sent, with the status it got.
    const byId = new Map<string, RequestLine[]>();
    for (const line of requests) byId.set(line.requestId, [...(byId.get(line.requestId) ?? []), line]);
    expect(sent.size).toBeGreaterThan(routes.length * 3);
    for (const [id, call] of sent) {
      const logged = byId.get(id) ?? [];
      expect({ id, call, logged: logged.length }).toEqual({ id, call, logged: 1 });
      expect(logged[0]).toMatchObject({ method: call.method, status: call.status });
      // Public routes and the web app's pages authenticate nobody; refusals before authentication (a body the parser refused, no route) have no user yet.
      if (call.authenticated && call.status < 300 && !publicRoutes.has(logged[0].route))
        expect({ id, call, userId: logged[0].userId }).toEqual({ id, call, userId: expect.stringMatching(/^[0-9a-f-]{36}$/) });
      if (!call.authenticated) expect(logged[0].userId).toBeNull();
    }
    // Unacceptable request ids were replaced by UUIDs.
    expect(requests.filter((l) => !l.requestId.startsWith(LOGS_TEST_ID_PREFIX) && l.route === '/api/records/:id').map((l) => l.requestId)).toEqual([
      expect.stringMatching(/^[0-9a-f-]{36}$/),
      expect.stringMatching(/^[0-9a-f-]{36}$/),
      expect.stringMatching(/^[0-9a-f-]{36}$/),
    ]);
  });

  it('name every declared route by its template, also for requests refused before routing', () => {
    const requests = jsonLines(apiLog).filter(isRequestLine);
    const logged = new Set(requests.map((l) => `${l.method} ${l.route}`));
    expect(routes.map((r) => `${r.method} ${r.template}`).filter((r) => !logged.has(r))).toEqual([]);
    const templates = new Set([...routes.map((r) => r.template), '(web app)', '(no route)']);
    expect(requests.map((l) => l.route).filter((route) => !templates.has(route))).toEqual([]);
    // The body the JSON parser refused and the one too deep for it, answered before any route ran.
    expect(refusedBeforeRouting.map((id) => requests.find((l) => l.requestId === id))).toEqual([
      expect.objectContaining({ status: 400, route: '/api/records/:id/holds', userId: null }),
      expect.objectContaining({ status: 400, route: '/api/legal-holds', userId: null }),
    ]);
  });

  it('of the OCR worker are JSON lines too', () => {
    const lines = jsonLines(workerLog);
    expect(lines).toContainEqual(expect.objectContaining({ level: 'info', name: 'medrec-worker', msg: expect.stringContaining('OCR worker started') }));
  });
});
