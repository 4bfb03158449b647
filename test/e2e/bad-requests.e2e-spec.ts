import { randomUUID } from 'node:crypto';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { EVENT_STORE, EventStore } from '@medrec/event-store';
import { ProjectionRunner } from '@medrec/read-models';
import { headPosition, startConfiguredApp } from './support/configured-app';
import { Client, PASSWORD, purpose, recordForm, Response, TestApp, TINY_PNG, usersByRole } from './support/harness';

/**
 * Bad requests answer 400/404/409/413/415/422 as application/problem+json naming the offending
 * fields, quote no PHI from the request, append nothing to the event store and leave no content behind.
 */

const MAX_UPLOAD_BYTES = 4096;
const MAX_JSON_BYTES = 2048;

/** Patient data sent with the requests below: none of it may come back in an error. */
const PHI = {
  mrn: 'QX-99173',
  patientName: 'Philippa Quenby-Orchard',
  dateOfBirth: '1958-07-23',
  title: 'Quenby-Orchard cholecystectomy discharge',
  encounterDate: '2024-05-17',
};
const PHI_FILENAME = 'quenby-orchard-discharge.png';
/** Values that are never expected in an error body, whatever the request. */
const SECRETS = [...Object.values(PHI), PHI_FILENAME, 'Quenby', PASSWORD];

type Users = Awaited<ReturnType<typeof usersByRole>>;
let t: TestApp;
let u: Users;
let record: string;

function phiForm(overrides: Record<string, string> = {}, omit: string[] = [], file: Buffer | null = TINY_PNG): FormData {
  const form = recordForm({ ...PHI, ...overrides }, file, PHI_FILENAME);
  for (const field of omit) form.delete(field);
  return form;
}

function amendForm(fields: Record<string, string>, file?: Buffer): FormData {
  const form = new FormData();
  for (const [k, v] of Object.entries(fields)) form.append(k, v);
  if (file) form.append('file', new Blob([file]), PHI_FILENAME);
  return form;
}

function blobFileCount(): number {
  const root = join(t.dataDir, 'blobs');
  if (!existsSync(root)) return 0;
  return readdirSync(root, { recursive: true, withFileTypes: true }).filter((e) => e.isFile()).length;
}

interface Expectation {
  /** Fields `errors` must name (each with a message). */
  fields?: string[];
  /** More request values that must not be echoed. */
  secrets?: string[];
  /** Events the refusal itself appends (a failed sign-in is recorded: SignInFailed); 0 unless said. */
  appends?: number;
}

/** Sends the bad request and checks the problem answer, that nothing was appended and no content was left behind. */
async function rejects(run: () => Promise<Response>, expected: number | number[], expectation: Expectation = {}): Promise<Response> {
  const [position, blobs] = [await headPosition(t.baseUrl), blobFileCount()];
  const res = await run();
  const text = res.raw.toString('utf8');
  if (![expected].flat().includes(res.status)) throw new Error(`expected ${[expected].flat().join(' or ')}, got ${res.status}: ${text.slice(0, 400)}`);
  const status = res.status;
  expect(res.contentType).toMatch(/^application\/problem\+json/);
  expect(res.body).toMatchObject({ type: expect.any(String), title: expect.any(String), status, detail: expect.any(String) });
  expect(res.body.type.length).toBeGreaterThan(0);
  // A field is named by an error on it or on one of its members (`recipient` by `recipient.name`).
  for (const field of expectation.fields ?? []) {
    const named = (res.body.errors ?? []).some((e: { field: string }) => e.field === field || e.field.startsWith(`${field}.`));
    if (!named) throw new Error(`errors do not name ${field}: ${JSON.stringify(res.body.errors)}`);
  }
  for (const error of res.body.errors ?? []) expect(error).toEqual({ field: expect.any(String), message: expect.any(String) });
  // One shape for every invalid request, whatever was wrong: `errors` always names it.
  if (status === 400) {
    expect(res.body).toMatchObject({ type: 'https://medrec.dev/problems/bad-request', title: 'Bad Request' });
    expect(res.body.errors.length).toBeGreaterThan(0);
  }
  for (const secret of [...SECRETS, ...(expectation.secrets ?? [])]) {
    expect(text.toLowerCase()).not.toContain(secret.toLowerCase());
  }
  expect(await headPosition(t.baseUrl)).toBe(position + (expectation.appends ?? 0));
  expect(blobFileCount()).toBe(blobs);
  return res;
}

const createRecord = (form: FormData, client = u.clerk) => client.request('POST', '/api/records', { form });
const raw = (client: Client, method: string, path: string, body: string | Buffer, contentType = 'application/json') =>
  client.request(method, path, { body, headers: { 'content-type': contentType } });

beforeAll(async () => {
  t = await startConfiguredApp({ MEDREC_MAX_UPLOAD_BYTES: String(MAX_UPLOAD_BYTES), MEDREC_MAX_JSON_BYTES: String(MAX_JSON_BYTES) });
  u = await usersByRole(t.baseUrl);
  const res = await createRecord(phiForm());
  expect(res.status).toBe(201);
  record = res.body.id;
});
afterAll(() => t?.close());

describe('POST /api/records (multipart)', () => {
  it('the control: the same form without defects is accepted', async () => {
    const res = await createRecord(phiForm({ mrn: 'QX-99174' }));
    expect(res.status).toBe(201);
  });

  it.each(['mrn', 'patientName', 'dateOfBirth', 'documentType', 'title'])('missing %s -> 400 naming it', async (field) => {
    await rejects(() => createRecord(phiForm({}, [field])), 400, { fields: [field] });
  });

  it('no file -> 400 naming file', async () => {
    await rejects(() => createRecord(phiForm({}, [], null)), 400, { fields: ['file'] });
  });

  it('an unknown extra field -> 400 naming it, without its value', async () => {
    const form = phiForm();
    form.append('ssn', '078-05-1120');
    await rejects(() => createRecord(form), 400, { fields: ['ssn'], secrets: ['078-05-1120'] });
  });

  it('a field sent twice (an array, not a string) -> 400 naming it', async () => {
    const form = phiForm();
    form.append('mrn', 'QX-99175');
    await rejects(() => createRecord(form), 400, { fields: ['mrn'], secrets: ['QX-99175'] });
  });

  it('too long or blank text fields -> 400 naming them', async () => {
    await rejects(() => createRecord(phiForm({ title: 'Quenby '.repeat(50) })), 400, { fields: ['title'] });
    await rejects(() => createRecord(phiForm({ patientName: '   ' })), 400, { fields: ['patientName'] });
  });

  it('a patient name that is not a name -> 400, the value not echoed', async () => {
    const name = 'Quenby<script>alert(1)</script>';
    await rejects(() => createRecord(phiForm({ patientName: name })), 400, { fields: ['patientName'], secrets: [name, '<script>'] });
  });

  it.each([
    ['dateOfBirth', '2023-02-30'],
    ['dateOfBirth', '12/04/1961'],
    ['dateOfBirth', '1961-4-12'],
    ['dateOfBirth', `${new Date().getUTCFullYear() + 1}-01-01`],
    ['dateOfBirth', '1850-06-01'],
    ['encounterDate', '2024-13-01'],
    ['encounterDate', '2024-02-30'],
  ])('%s %s -> 400 naming it, the value not echoed', async (field, value) => {
    await rejects(() => createRecord(phiForm({ [field]: value })), 400, { fields: [field], secrets: [value] });
  });

  it('an unknown documentType -> 400 naming it', async () => {
    await rejects(() => createRecord(phiForm({ documentType: 'x-ray-film' })), 400, { fields: ['documentType'] });
  });

  it.each(['ab', 'QX 99173', '-QX99173', 'QX_99173', 'Q'.repeat(21)])('MRN %p -> 400 naming mrn, the value not echoed', async (mrn) => {
    await rejects(() => createRecord(phiForm({ mrn })), 400, { fields: ['mrn'], secrets: mrn.length >= 4 ? [mrn] : [] });
  });

  it('every defect at once -> one 400 naming every field', async () => {
    const form = phiForm({ mrn: '!', dateOfBirth: '12/04/1961', documentType: 'nope' }, ['patientName', 'title']);
    await rejects(() => createRecord(form), 400, { fields: ['mrn', 'patientName', 'dateOfBirth', 'documentType', 'title'] });
  });

  it('a broken multipart body -> 400 (two files, a file under another name, too many fields, no boundary, truncated)', async () => {
    const twoFiles = phiForm();
    twoFiles.append('file', new Blob([TINY_PNG]), PHI_FILENAME);
    await rejects(() => createRecord(twoFiles), 400);
    const otherName = phiForm({}, [], null);
    otherName.append('document', new Blob([TINY_PNG]), PHI_FILENAME);
    await rejects(() => createRecord(otherName), 400);
    const manyFields = phiForm();
    for (let i = 0; i < 30; i++) manyFields.append(`f${i}`, 'x');
    await rejects(() => createRecord(manyFields), 400);
    await rejects(() => u.clerk.request('POST', '/api/records', { body: PHI.patientName, headers: { 'content-type': 'multipart/form-data' } }), 400);
    const truncated = `--XX\r\nContent-Disposition: form-data; name="patientName"\r\n\r\n${PHI.patientName}`;
    await rejects(() => u.clerk.request('POST', '/api/records', { body: truncated, headers: { 'content-type': 'multipart/form-data; boundary=XX' } }), 400);
  });

  it('a field value over the multipart field limit -> 400 or 413', async () => {
    await rejects(() => createRecord(phiForm({ title: 'Quenby '.repeat(11_000) })), [400, 413]);
  });

  it('a zero-byte file -> 422', async () => {
    await rejects(() => createRecord(phiForm({}, [], Buffer.alloc(0))), 422);
  });

  it.each([
    ['plain text', Buffer.from('Philippa Quenby-Orchard: discharge summary\n')],
    ['a Windows executable', Buffer.concat([Buffer.from('MZ'), Buffer.alloc(200)])],
    ['HTML', Buffer.from('<!doctype html><p>Quenby</p>')],
  ])('%s as the file -> 415, its content not echoed', async (_, bytes) => {
    await rejects(() => createRecord(phiForm({}, [], bytes)), 415);
  });

  it(`a file over the upload limit (${MAX_UPLOAD_BYTES} bytes) -> 413`, async () => {
    const big = Buffer.concat([TINY_PNG, Buffer.alloc(MAX_UPLOAD_BYTES + 1)]);
    await rejects(() => createRecord(phiForm({}, [], big)), 413);
  });
});

describe('POST /api/records/:id/amendments (multipart)', () => {
  const amend = (form: FormData, headers: Record<string, string> = {}, id = record) =>
    u.him.request('POST', `/api/records/${id}/amendments`, { form, headers });

  it.each([
    ['missing kind', { reason: 'Rescan' }, ['kind']],
    ['unknown kind', { kind: 'rewrite', reason: 'Rescan' }, ['kind']],
    ['missing reason', { kind: 'addendum' }, ['reason']],
    ['blank reason', { kind: 'addendum', reason: '  ' }, ['reason']],
    ['unknown field', { kind: 'addendum', reason: 'Rescan', version: '1' }, ['version']],
    ['bad encounterDate', { kind: 'addendum', reason: 'Rescan', encounterDate: '2024-02-30' }, ['encounterDate']],
    ['unknown documentType', { kind: 'addendum', reason: 'Rescan', documentType: 'memo' }, ['documentType']],
  ] as Array<[string, Record<string, string>, string[]]>)('%s -> 400 naming it', async (_, fields, names) => {
    await rejects(() => amend(amendForm(fields)), 400, { fields: names });
  });

  it('a zero-byte file -> 422; a non-document -> 415; too large -> 413', async () => {
    await rejects(() => amend(amendForm({ kind: 'correction', reason: 'Rescan' }, Buffer.alloc(0))), 422);
    await rejects(() => amend(amendForm({ kind: 'correction', reason: 'Rescan' }, Buffer.from('just text'))), 415);
    await rejects(() => amend(amendForm({ kind: 'correction', reason: 'Rescan' }, Buffer.concat([TINY_PNG, Buffer.alloc(MAX_UPLOAD_BYTES)]))), 413);
  });

  it("If-Match 'abc' -> 400; a stale If-Match -> 409; the current one -> 201", async () => {
    const fields = { kind: 'addendum', reason: 'Late entry' };
    await rejects(() => amend(amendForm(fields), { 'if-match': 'abc' }), 400);
    await rejects(() => amend(amendForm(fields), { 'if-match': '"-1"' }), 400);
    // One amendment first, so that both an older and a newer revision exist.
    expect((await amend(amendForm(fields))).status).toBe(201);
    const current = await u.him.get(`/api/records/${record}`, purpose('operations'));
    const revision = Number(JSON.parse(current.headers.get('etag')!));
    expect(revision).toBeGreaterThan(0);
    await rejects(() => amend(amendForm(fields), { 'if-match': `"${revision + 5}"` }), 409);
    await rejects(() => amend(amendForm(fields), { 'if-match': `"${revision - 1}"` }), 409);
    const ok = await amend(amendForm(fields), { 'if-match': `"${revision}"` });
    expect(ok.status).toBe(201);
    // The same If-Match again is now stale.
    await rejects(() => amend(amendForm(fields), { 'if-match': `"${revision}"` }), 409);
  });
});

describe('JSON bodies', () => {
  const holds = (id = record) => `/api/records/${id}/holds`;

  it('malformed JSON -> 400 (authenticated, anonymous and on login)', async () => {
    await rejects(() => raw(u.legal, 'POST', holds(), '{"matter": "Quenby", "reason": '), 400);
    await rejects(() => raw(u.admin, 'POST', '/api/users', "{username: 'x'}"), 400);
    await rejects(() => raw(new Client(t.baseUrl), 'POST', '/api/auth/token', '{"username":"admin","password":'), 400);
  });

  it('a body that is not a JSON object -> 400', async () => {
    await rejects(() => raw(u.legal, 'POST', holds(), '"Quenby"'), 400);
    await rejects(() => raw(u.legal, 'POST', holds(), 'null'), 400);
    await rejects(() => raw(u.legal, 'POST', holds(), '[{"matter":"m","reason":"r"}]'), 400);
  });

  it('a body that is not JSON at all -> 400 or 415, never accepted', async () => {
    await rejects(() => raw(u.legal, 'POST', holds(), 'matter=Quenby&reason=r', 'application/x-www-form-urlencoded'), [400, 415]);
    await rejects(() => raw(u.legal, 'POST', holds(), 'matter=Quenby', 'text/plain'), [400, 415]);
    await rejects(() => u.legal.request('POST', holds(), { body: undefined }), [400, 415]);
  });

  it('an unsupported charset -> 415', async () => {
    await rejects(() => raw(u.legal, 'POST', holds(), '{"matter":"m","reason":"r"}', 'application/json; charset=koi8-r'), 415);
  });

  const nested = (depth: number, open = '{"a":', close = '}') => open.repeat(depth) + '1' + close.repeat(depth);

  it.each([
    ['objects', 33, '{"a":', '}'],
    ['arrays', 33, '[', ']'],
    ['objects', 300, '{"a":', '}'],
    ['arrays', 1_000, '[', ']'],
  ])('%s nested %d deep -> 400 naming the limit, before login and after (deeper and larger: test/e2e/hostile-requests)', async (_, depth, open, close) => {
    const body = nested(depth, open, close);
    const anonymous = await rejects(() => raw(new Client(t.baseUrl), 'POST', '/api/auth/token', body), 400);
    expect(anonymous.body.detail).toMatch(/nested deeper than 32/);
    await rejects(() => raw(u.legal, 'POST', holds(), body), 400);
  });

  it('nesting up to the limit is parsed (and then validated as usual)', async () => {
    const res = await rejects(() => raw(u.legal, 'POST', holds(), `{"matter":"m","reason":"r","extra":${nested(31)}}`), 400, { fields: ['extra'] });
    expect(res.body.detail).not.toMatch(/nested/);
  });

  it('a forbidden key deep in the body -> 400 naming its path', async () => {
    await rejects(() => raw(u.legal, 'POST', holds(), `{"matter":"m","reason":"r","a":{"b":[{"__proto__":{}}]}}`), 400, { fields: ['a.b.0.__proto__'] });
  });

  it.each([
    ['invalid UTF-8 (a Latin-1 byte)', Buffer.from('{"matter":"Caf\xe9 v. Roe","reason":"r"}', 'latin1'), 'application/json'],
    ['a UTF-16LE BOM and body', Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from('{"matter":"m","reason":"r"}', 'utf16le')]), 'application/json'],
    ['a UTF-32BE BOM', Buffer.concat([Buffer.from([0, 0, 0xfe, 0xff]), Buffer.from('{}')]), 'application/json'],
  ])('%s -> 400, nothing stored', async (_, body, contentType) => {
    const res = await rejects(() => raw(u.legal, 'POST', holds(), body, contentType), 400);
    expect(res.body.detail).toMatch(/UTF-8/);
  });

  it.each(['utf-16le', 'latin1', 'iso-8859-1', 'utf-32'])('charset=%s -> 415 (JSON is UTF-8)', async (charset) => {
    const res = await rejects(
      () =>
        raw(
          u.legal,
          'POST',
          holds(),
          Buffer.from('{"matter":"m","reason":"r"}', charset === 'utf-16le' ? 'utf16le' : 'latin1'),
          `application/json; charset=${charset}`,
        ),
      415,
    );
    expect(res.body.detail).toMatch(/UTF-8/);
  });

  it('a UTF-8 byte order mark is ignored (RFC 8259 allows it)', async () => {
    const res = await raw(u.legal, 'POST', holds(), Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from('{"matter":"Doe v. Roe","reason":"BOM"}')]));
    expect(res.status).toBe(201);
  });

  it.each(['gzip', 'deflate', 'br'])('Content-Encoding: %s -> 415 (compressed JSON is not accepted)', async (encoding) => {
    const res = await rejects(
      () =>
        u.legal.request('POST', holds(), {
          body: Buffer.from('not really compressed'),
          headers: { 'content-type': 'application/json', 'content-encoding': encoding },
        }),
      415,
    );
    expect(res.body.detail).toMatch(/Content-Encoding/);
  });

  it.each(['__proto__', 'constructor'])('%s as a field -> 400 naming it, like any unknown field', async (field) => {
    await rejects(() => raw(u.legal, 'POST', holds(), `{"matter":"Doe v. Roe","reason":"Notice","${field}":{"isAdmin":true}}`), 400, { fields: [field] });
  });

  it(`a JSON body over the limit (${MAX_JSON_BYTES} bytes) -> 413`, async () => {
    await rejects(() => u.legal.post(holds(), { matter: 'Quenby v. Hospital', reason: 'x'.repeat(MAX_JSON_BYTES) }), 413);
    await rejects(() => u.admin.post('/api/users', { username: 'big', password: 'p'.repeat(MAX_JSON_BYTES), roles: ['clerk'] }), 413);
  });

  it.each([
    ['holds', 'legal', (id: string) => `/api/records/${id}/holds`, { matter: 'Doe v. Roe', reason: 'Notice', priority: 'high' }, ['priority']],
    ['archive', 'archivist', (id: string) => `/api/records/${id}/archive`, { reason: 'Inactive', force: true }, ['force']],
    [
      'destroy',
      'archivist',
      (id: string) => `/api/records/${id}/destroy`,
      { authority: 'GS-12', approvedBy: 'archivist2', skipHoldCheck: true },
      ['skipHoldCheck'],
    ],
    [
      'destruction-approvals',
      'archivist2',
      (id: string) => `/api/records/${id}/destruction-approvals`,
      { authority: 'GS-12', approvedBy: 'archivist1' },
      ['approvedBy'],
    ],
    ['users', 'admin', () => '/api/users', { username: 'newbie', password: PASSWORD, roles: ['clerk'], isSuperuser: true }, ['isSuperuser']],
    ['token', null, () => '/api/auth/token', { username: 'admin', password: PASSWORD, otp: '123456' }, ['otp']],
  ] as const)('%s: an unknown field -> 400 naming it', async (_, role, path, body, fields) => {
    const client = role ? u[role] : new Client(t.baseUrl);
    await rejects(() => client.post(path(record), body), 400, { fields: [...fields] });
  });

  it.each([
    ['holds', 'legal', (id: string) => `/api/records/${id}/holds`, ['matter', 'reason']],
    ['archive', 'archivist', (id: string) => `/api/records/${id}/archive`, ['reason']],
    ['destroy', 'archivist', (id: string) => `/api/records/${id}/destroy`, ['authority', 'approvedBy']],
    ['destruction-approvals', 'him', (id: string) => `/api/records/${id}/destruction-approvals`, ['authority']],
    ['releases', 'him', (id: string) => `/api/records/${id}/releases`, ['recipient', 'purpose', 'authorizationReference', 'description']],
    ['users', 'admin', () => '/api/users', ['username', 'password', 'roles']],
    ['token', null, () => '/api/auth/token', ['username', 'password']],
  ] as const)('%s: an empty body -> 400 naming every required field', async (_, role, path, fields) => {
    const client = role ? u[role] : new Client(t.baseUrl);
    await rejects(() => client.post(path(record), {}), 400, { fields: [...fields] });
  });

  it.each([
    ['missing', {}, /must be a string/],
    ['an object', { matter: { text: 'm' }, reason: { text: 'r' } }, /must be a string/],
    ['null', { matter: null, reason: null }, /must be a string/],
    ['empty', { matter: '', reason: '' }, /should not be empty/],
  ])('%s fields -> 400 saying what is wrong, not a length', async (_, body, message) => {
    const res = await rejects(() => u.legal.post(holds(), body), 400, { fields: ['matter', 'reason'] });
    for (const field of ['matter', 'reason']) {
      const errors = res.body.errors.filter((e: { field: string }) => e.field === field);
      expect(errors).toEqual([{ field, message: expect.stringMatching(message) }]);
    }
  });

  it('missing login fields, roles and recipient -> what is wrong, once per field', async () => {
    const token = await rejects(() => new Client(t.baseUrl).post('/api/auth/token', {}), 400);
    expect(token.body.errors).toEqual([
      { field: 'username', message: 'username must be a string' },
      { field: 'password', message: 'password must be a string' },
    ]);
    const user = await rejects(() => u.admin.post('/api/users', { username: 'newbie', password: PASSWORD }), 400);
    expect(user.body.errors).toEqual([{ field: 'roles', message: 'roles must be an array' }]);
    const release = await rejects(() => u.him.post(`/api/records/${record}/releases`, { purpose: 'care', authorizationReference: 'A', description: 'd' }), 400);
    expect(release.body.errors).toEqual([{ field: 'recipient', message: 'recipient should not be null or undefined' }]);
  });

  it.each([
    ['holds', 'legal', (id: string) => `/api/records/${id}/holds`, { matter: 42, reason: ['r'] }, ['matter', 'reason']],
    ['archive', 'archivist', (id: string) => `/api/records/${id}/archive`, { reason: { why: 'x' } }, ['reason']],
    ['destroy', 'archivist', (id: string) => `/api/records/${id}/destroy`, { authority: true, approvedBy: 7 }, ['authority', 'approvedBy']],
    ['destruction-approvals', 'him', (id: string) => `/api/records/${id}/destruction-approvals`, { authority: ['GS-12'] }, ['authority']],
    ['users', 'admin', () => '/api/users', { username: 12345, password: PASSWORD, roles: 'admin' }, ['username', 'roles']],
  ] as const)('%s: wrong types -> 400 naming the fields', async (_, role, path, body, fields) => {
    const client = role ? u[role] : new Client(t.baseUrl);
    await rejects(() => client.post(path(record), body), 400, { fields: [...fields] });
  });
});

describe('POST /api/records/:id/releases', () => {
  const valid = {
    recipient: { name: 'Dr. Quenby Recipient', address: '1 Main St' },
    purpose: 'continuing care',
    authorizationReference: 'AUTH-9',
    description: 'Discharge summary',
  };
  const release = (body: unknown) => u.him.post(`/api/records/${record}/releases`, body);

  it.each([
    ['recipient missing', { ...valid, recipient: undefined }, ['recipient']],
    ['recipient a string', { ...valid, recipient: 'Dr. Quenby Recipient' }, ['recipient']],
    ['recipient.name missing', { ...valid, recipient: { address: '1 Main St' } }, ['recipient.name']],
    ['recipient.name blank', { ...valid, recipient: { name: '' } }, ['recipient.name']],
    ['recipient.name a number', { ...valid, recipient: { name: 7 } }, ['recipient.name']],
    ['recipient.address blank', { ...valid, recipient: { name: 'Dr. X', address: '' } }, ['recipient.address']],
    ['recipient with an unknown field', { ...valid, recipient: { name: 'Dr. X', phone: '555-0100' } }, ['recipient.phone']],
    ["versions ['a']", { ...valid, versions: ['a'] }, ['versions']],
    ['versions [0]', { ...valid, versions: [0] }, ['versions']],
    ['versions not an array', { ...valid, versions: 1 }, ['versions']],
    ['versions naming a version the record lacks', { ...valid, versions: [99] }, ['versions']],
    ['purpose a number', { ...valid, purpose: 12 }, ['purpose']],
  ] as Array<[string, unknown, string[]]>)('%s -> 400 naming it', async (_, body, fields) => {
    await rejects(() => release(body), 400, { fields, secrets: ['Dr. Quenby Recipient', '1 Main St'] });
  });

  it('the control: the valid release is accepted', async () => {
    expect((await release(valid)).status).toBe(201);
  });
});

describe('POST /api/users', () => {
  const create = (body: unknown) => u.admin.post('/api/users', body);

  it('an unknown role -> 400 naming roles', async () => {
    await rejects(() => create({ username: 'newbie', password: PASSWORD, roles: ['clerk', 'superuser'] }), 400, { fields: ['roles'] });
  });

  it('no roles -> 400 naming roles', async () => {
    await rejects(() => create({ username: 'newbie', password: PASSWORD, roles: [] }), 400, { fields: ['roles'] });
  });

  it('a short password -> 400 naming password, the password not echoed', async () => {
    await rejects(() => create({ username: 'newbie', password: 'Quenby1', roles: ['clerk'] }), 400, { fields: ['password'], secrets: ['Quenby1'] });
  });

  it('a duplicate username -> 409, also when it differs only in case', async () => {
    await rejects(() => create({ username: 'clerk1', password: PASSWORD, roles: ['clerk'] }), 409);
    await rejects(() => create({ username: 'CLERK1', password: PASSWORD, roles: ['him'] }), 409);
  });
});

describe('path parameters, headers and unknown resources', () => {
  it('a record id that is not a uuid -> 400', async () => {
    await rejects(() => u.clinician.get('/api/records/not-a-uuid', purpose('treatment')), 400);
    await rejects(() => u.clinician.get(`/api/records/${record}x`, purpose('treatment')), 400);
    await rejects(() => u.legal.post('/api/records/123/holds', { matter: 'm', reason: 'r' }), 400);
    await rejects(() => u.legal.request('DELETE', `/api/records/${record}/holds/not-a-uuid`), 400);
    await rejects(() => u.him.request('POST', '/api/records/..%2F..%2Fetc/amendments', { form: amendForm({ kind: 'addendum', reason: 'x' }) }), 400);
  });

  it("a version that is not an integer ('abc', '1.5') -> 400", async () => {
    for (const v of ['abc', '1.5']) {
      await rejects(() => u.clinician.get(`/api/records/${record}/versions/${v}/content`, purpose('treatment')), 400);
      await rejects(() => u.clinician.get(`/api/records/${record}/versions/${v}/text`, purpose('treatment')), 400);
    }
  });

  // Version 1 exists: each of these would name it in a non-canonical form. Refused before anything is read or audited.
  it.each(['1e0', '0x1', '+1', '%201', '1%20', '01', '0', '-1', '1000000000'])(
    'a version in a non-canonical form (%s) -> 400 naming it, on every route',
    async (v) => {
      await rejects(() => u.clinician.get(`/api/records/${record}/versions/${v}/content`, purpose('treatment')), 400, { fields: ['v'] });
      await rejects(() => u.clinician.get(`/api/records/${record}/versions/${v}/text`, purpose('treatment')), 400, { fields: ['v'] });
      await rejects(() => u.clinician.get(`/api/records/${record}/versions/${v}/diff/1`, purpose('treatment')), 400, { fields: ['a'] });
      await rejects(() => u.clinician.get(`/api/records/${record}/versions/1/diff/${v}`, purpose('treatment')), 400, { fields: ['b'] });
    },
  );

  it('the control: the canonical version 1 is served', async () => {
    expect((await u.clinician.get(`/api/records/${record}/versions/1/content`, purpose('treatment'))).status).toBe(200);
    expect((await u.clinician.get(`/api/records/${record}/versions/1/diff/1`, purpose('treatment'))).status).toBe(200);
  });

  it("If-Match 'abc' on JSON commands -> 400", async () => {
    await rejects(() => u.archivist.post(`/api/records/${record}/archive`, { reason: 'Inactive' }, { 'if-match': 'abc' }), 400);
    await rejects(
      () =>
        u.him.post(
          `/api/records/${record}/releases`,
          { recipient: { name: 'Dr. X' }, purpose: 'care', authorizationReference: 'A', description: 'd' },
          { 'if-match': 'abc' },
        ),
      400,
    );
  });

  it('a stale If-Match on JSON commands -> 409', async () => {
    await rejects(() => u.archivist.post(`/api/records/${record}/archive`, { reason: 'Inactive' }, { 'if-match': '"999"' }), 409);
  });

  it('an unknown record -> 404 on every endpoint', async () => {
    const id = randomUUID();
    await rejects(() => u.clinician.get(`/api/records/${id}`, purpose('treatment')), 404);
    await rejects(() => u.clinician.get(`/api/records/${id}/versions/1/content`, purpose('treatment')), 404);
    await rejects(() => u.clinician.get(`/api/records/${id}/versions/1/text`, purpose('treatment')), 404);
    await rejects(() => u.auditor.get(`/api/records/${id}/events`, purpose('audit')), 404);
    await rejects(() => u.him.request('POST', `/api/records/${id}/amendments`, { form: amendForm({ kind: 'addendum', reason: 'x' }) }), 404);
    await rejects(() => u.him.request('POST', `/api/records/${id}/amendments`, { form: amendForm({ kind: 'correction', reason: 'x' }, TINY_PNG) }), 404);
    await rejects(
      () => u.him.post(`/api/records/${id}/releases`, { recipient: { name: 'Dr. X' }, purpose: 'care', authorizationReference: 'A', description: 'd' }),
      404,
    );
    await rejects(() => u.legal.post(`/api/records/${id}/holds`, { matter: 'm', reason: 'r' }), 404);
    await rejects(() => u.legal.request('DELETE', `/api/records/${id}/holds/${randomUUID()}`), 404);
    await rejects(() => u.archivist.post(`/api/records/${id}/archive`, { reason: 'r' }), 404);
    await rejects(() => u.archivist.post(`/api/records/${id}/destroy`, { authority: 'GS-12', approvedBy: 'archivist2' }), 404);
    await rejects(() => u.archivist2.post(`/api/records/${id}/destruction-approvals`, { authority: 'GS-12' }), 404);
  });

  it('an unknown version or hold of a known record -> 404', async () => {
    await rejects(() => u.clinician.get(`/api/records/${record}/versions/99/content`, purpose('treatment')), 404);
    await rejects(() => u.clinician.get(`/api/records/${record}/versions/99/text`, purpose('treatment')), 404);
    await rejects(() => u.legal.request('DELETE', `/api/records/${record}/holds/${randomUUID()}`), 404);
  });

  it('an unknown route -> 404 problem, not quoting patient data from the path or query', async () => {
    await rejects(() => u.admin.get('/api/nothing-here'), 404);
    await rejects(() => u.admin.get(`/api/patient-lookup/${PHI.mrn}?name=${encodeURIComponent(PHI.patientName)}&dob=${PHI.dateOfBirth}`), 404);
  });

  it('wrong credentials -> 401, the username not echoed; the failure is recorded (one SignInFailed), without the name or password', async () => {
    // Issue 9 (defect 3): failed sign-ins are recorded, so this refusal appends exactly one event.
    await rejects(() => new Client(t.baseUrl).post('/api/auth/token', { username: 'quenby.orchard', password: 'not-the-password' }), 401, {
      secrets: ['quenby.orchard', 'not-the-password'],
      appends: 1,
    });
    const [failed] = await t.app.get<EventStore>(EVENT_STORE).readStream('sign-in-failures', { direction: 'backwards', maxCount: 1 });
    expect(failed).toMatchObject({ type: 'SignInFailed', data: { userId: null, username: null } });
    expect(JSON.stringify(failed)).not.toMatch(/quenby|not-the-password/);
  });
});

describe('one shape for every invalid request', () => {
  const history = (query: string) => u.auditor.get(`/api/records/${record}/history?${query}`, purpose('audit'));

  it.each([
    ['X-Purpose-Of-Use missing', () => u.clinician.get(`/api/records/${record}`), 'X-Purpose-Of-Use'],
    ['X-Purpose-Of-Use unknown', () => u.clinician.get(`/api/records/${record}`, { 'x-purpose-of-use': 'curiosity' }), 'X-Purpose-Of-Use'],
    ['If-Match not an ETag', () => u.archivist.post(`/api/records/${record}/archive`, { reason: 'Inactive' }, { 'if-match': 'abc' }), 'If-Match'],
    ['?after= not a position', () => history('after=soon'), 'after'],
    ['?limit= out of range', () => history('limit=0'), 'limit'],
    ['?cursor= not one returned', () => history('cursor=bm90LWEtY3Vyc29y'), 'cursor'],
    ['?asOf= not a time', () => u.him.get(`/api/records/${record}?asOf=yesterday`, purpose('operations')), 'asOf'],
    ['a record id that is not a UUID', () => u.clinician.get('/api/records/not-a-uuid', purpose('treatment')), 'id'],
    ['a hold id that is not a UUID', () => u.legal.request('DELETE', `/api/records/${record}/holds/not-a-uuid`), 'holdId'],
    ['a version that is not canonical', () => u.clinician.get(`/api/records/${record}/versions/01/text`, purpose('treatment')), 'v'],
    ['a search parameter', () => u.him.get('/api/search?q=discharge&limit=1000', purpose('operations')), 'limit'],
    ['an MRN in the path', () => u.him.get('/api/patients/QX_99173/disclosures', purpose('operations')), 'mrn'],
    ['a DTO field (class-validator)', () => u.legal.post(`/api/records/${record}/holds`, { matter: 'Doe v. Roe', reason: '   ' }), 'reason'],
    ['a domain rule (validateNewRecord)', () => createRecord(phiForm({ dateOfBirth: '2999-01-01' })), 'dateOfBirth'],
    ['a body that is not JSON', () => raw(u.legal, 'POST', `/api/records/${record}/holds`, '{"matter":'), 'body'],
  ] as Array<[string, () => Promise<Response>, string]>)('%s -> 400 naming it in errors, as every other invalid request', async (_, send, field) => {
    const res = await rejects(send, 400, { fields: [field], secrets: ['QX_99173'] });
    expect(Object.keys(res.body).sort()).toEqual(['detail', 'errors', 'status', 'title', 'type']);
  });
});

describe('while the read models are behind', () => {
  it('an upload answers 503 with Retry-After (its duplicate check would read stale data), storing nothing', async () => {
    const projections = t.app.get(ProjectionRunner);
    await projections.stop();
    try {
      // Something the stopped projection runner has not applied.
      await u.legal.get(`/api/records/${record}`, purpose('legal'));
      const before = await headPosition(t.baseUrl);
      const res = await u.clerk.request('POST', '/api/records', { form: recordForm(PHI, TINY_PNG, PHI_FILENAME) });
      expect(res.status).toBe(503);
      expect(res.headers.get('retry-after')).toBe('1');
      expect(res.contentType).toContain('application/problem+json');
      expect(await headPosition(t.baseUrl)).toBe(before);
    } finally {
      projections.start();
    }
  }, 20_000);
});

describe('afterwards', () => {
  it('the server is still up and the record is intact', async () => {
    const ready = await new Client(t.baseUrl).get('/health/ready');
    expect(ready.status).toBe(200);
    const res = await u.legal.get(`/api/records/${record}/events`, purpose('legal'));
    expect(res.status).toBe(200);
    expect(res.body.chain).toEqual({ valid: true });
    const created = res.body.events.find((e: { type: string }) => e.type === 'RecordCreated');
    expect(created.data).toMatchObject({ patientName: PHI.patientName, mrn: PHI.mrn });
  });
});
