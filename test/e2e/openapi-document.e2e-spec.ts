import { approveAndDestroy, Client, purpose, recordForm, Response, startApp, TestApp, usersByRole } from './support/harness';
import { answerMismatches, OpenApiDocument, Operation, operationsOf } from './support/openapi';
import { declaredRoutes } from './support/routes';

/**
 * The OpenAPI document the web app's client is generated from describes every operation: a summary,
 * its success body (a schema, binary content, or none for 204), its errors as problem+json, and its
 * security. A route added without them fails here. (role-matrix.e2e-spec.ts checks that the answers
 * of every endpoint are the ones the document declares, as it describes them.)
 */

let t: TestApp;
let document: OpenApiDocument;
let operations: Array<[string, Operation]>;

beforeAll(async () => {
  t = await startApp();
  const res = await new Client(t.baseUrl).get('/docs-json');
  expect(res.status).toBe(200);
  document = res.body;
  operations = operationsOf(document);
});
afterAll(() => t?.close());

const PROBLEM_REF = '#/components/schemas/Problem';
const successes = (op: Operation) => Object.keys(op.responses).filter((status) => /^2\d\d$/.test(status));
const errors = (op: Operation) => Object.keys(op.responses).filter((status) => /^[45]\d\d$/.test(status));

/** The operations for which `check` returns something other than true: their names and what was wrong. */
function failing(check: (op: Operation, name: string) => true | string): string[] {
  return operations.flatMap(([name, op]) => {
    const verdict = check(op, name);
    return verdict === true ? [] : [`${name}: ${verdict}`];
  });
}

describe('the OpenAPI document', () => {
  it('has an operation for every route of every controller, and no other', () => {
    const routes = declaredRoutes(t.app)
      .map((r) => r.route.replace(/:([A-Za-z]+)/g, '{$1}'))
      .sort();
    expect(operations.map(([name]) => name).sort()).toEqual(routes);
  });

  it('names its license and its server, and declares the bearer scheme', () => {
    expect(document.info.license?.name).toBe('Apache-2.0');
    expect(document.servers?.length).toBeGreaterThan(0);
    expect(document.components.securitySchemes).toHaveProperty('bearer');
  });

  it('gives every operation a summary', () => {
    expect(failing((op) => (typeof op.summary === 'string' && op.summary.trim().length > 3) || 'no summary')).toEqual([]);
  });

  it('describes every success: a 204 without content, anything else with a schema (JSON) or binary content', () => {
    expect(
      failing((op) => {
        const statuses = successes(op);
        if (statuses.length === 0) return 'no 2xx response';
        for (const status of statuses) {
          const content = op.responses[status].content;
          if (status === '204') {
            if (content) return '204 with content';
            continue;
          }
          if (!content || Object.keys(content).length === 0) return `${status} without content`;
          for (const [type, media] of Object.entries(content)) {
            if (/json/.test(type) && !media.schema?.$ref) return `${status} ${type}: not a schema of the components`;
            // Anything else is a file (format: binary) or text (a CSV).
            if (!/json/.test(type) && media.schema?.type !== 'string') return `${status} ${type}: not described as a string`;
            if (/^(application\/(pdf|zip)|image\/)/.test(type) && media.schema?.format !== 'binary') return `${status} ${type}: not binary`;
          }
        }
        return true;
      }),
    ).toEqual([]);
  });

  it('answers every error as application/problem+json of the Problem schema, with at least one 4xx per operation', () => {
    expect(
      failing((op) => {
        const statuses = errors(op);
        if (!statuses.some((s) => s.startsWith('4'))) return 'no 4xx response';
        for (const status of statuses) {
          const content = op.responses[status].content ?? {};
          if (Object.keys(content).join() !== 'application/problem+json') return `${status}: content ${Object.keys(content).join() || 'none'}`;
          if (content['application/problem+json'].schema?.$ref !== PROBLEM_REF) return `${status}: not the Problem schema`;
        }
        return true;
      }),
    ).toEqual([]);
  });

  it('declares 400 for every operation taking parameters or a body', () => {
    expect(failing((op) => !(op.parameters?.length || op.requestBody) || '400' in op.responses || 'takes input but declares no 400')).toEqual([]);
  });

  it('secures every route but the public ones with the bearer scheme (and 401, 403); the public ones say security: []', () => {
    const publicRoutes = new Set(
      declaredRoutes(t.app)
        .filter((r) => r.isPublic)
        .map((r) => r.route.replace(/:([A-Za-z]+)/g, '{$1}')),
    );
    expect(publicRoutes.size).toBeGreaterThan(0);
    expect(
      failing((op, name) => {
        if (publicRoutes.has(name)) return (Array.isArray(op.security) && op.security.length === 0) || 'public, but not security: []';
        if (!op.security?.some((requirement) => 'bearer' in requirement)) return 'no bearer security';
        return ('401' in op.responses && '403' in op.responses) || 'authenticated, but no 401 or 403';
      }),
    ).toEqual([]);
  });

  it('describes a problem as RFC 9457 does, with the field errors of an invalid request', () => {
    const problem = document.components.schemas.Problem;
    expect(problem.required).toEqual(expect.arrayContaining(['type', 'title', 'status']));
    expect(Object.keys(problem.properties ?? {})).toEqual(expect.arrayContaining(['type', 'title', 'status', 'detail', 'errors']));
    expect(problem.properties?.errors.items?.required).toEqual(['field', 'message']);
    expect(problem.additionalProperties).toBe(true);
  });

  it('refers only to schemas it has', () => {
    const refs = [...JSON.stringify(document).matchAll(/"\$ref":"#\/components\/schemas\/([^"]+)"/g)].map((m) => m[1]);
    expect(refs.filter((name) => !(name in document.components.schemas))).toEqual([]);
  });
});

/** What role-matrix.e2e-spec.ts does not see: the other representations of an answer, and the errors. */
describe('answers as the document describes them', () => {
  let u: Awaited<ReturnType<typeof usersByRole>>;
  let id: string;
  const expectDeclared = (route: string, res: Response) => expect(answerMismatches(document, route, res)).toEqual([]);

  beforeAll(async () => {
    u = await usersByRole(t.baseUrl);
    const created = await u.clerk.request('POST', '/api/records', { form: recordForm({ mrn: 'OA-1' }) });
    expect(created.status).toBe(201);
    id = created.body.id;
    const released = await u.him.post(
      `/api/records/${id}/releases`,
      { recipient: { name: 'Dr. Example' }, purpose: 'continuity of care', authorizationReference: 'AUTH-1', description: 'Discharge summary' },
      { 'if-match': created.headers.get('etag')! },
    );
    expect(released.status).toBe(201);
  });

  it('the legal history report as JSON (its schema) and as PDF', async () => {
    const json = await u.legal.get(`/api/records/${id}/history/report`, { accept: 'application/json' });
    expect(json.status).toBe(200);
    expectDeclared('GET /api/records/:id/history/report', json);
    const pdf = await u.legal.get(`/api/records/${id}/history/report`, { accept: 'application/pdf' });
    expect(pdf.contentType).toBe('application/pdf');
    expectDeclared('GET /api/records/:id/history/report', pdf);
    const refused = await u.legal.get(`/api/records/${id}/history/report`, { accept: 'text/html' });
    expect(refused.status).toBe(406);
    expectDeclared('GET /api/records/:id/history/report', refused);
  });

  it('the accounting of disclosures as JSON and as CSV', async () => {
    const json = await u.him.get('/api/patients/OA-1/disclosures', purpose('patient-request'));
    expect(json.body.disclosures).toHaveLength(1);
    expectDeclared('GET /api/patients/:mrn/disclosures', json);
    const csv = await u.him.get('/api/patients/OA-1/disclosures', { ...purpose('patient-request'), accept: 'text/csv' });
    expect(csv.status).toBe(200);
    expectDeclared('GET /api/patients/:mrn/disclosures', csv);
  });

  it('the errors: 400, 401, 404, 409 and 410, each a problem of the Problem schema', async () => {
    const badId = await u.clinician.get('/api/records/not-a-uuid', purpose('treatment'));
    expect(badId.status).toBe(400);
    expectDeclared('GET /api/records/:id', badId);
    const noToken = await new Client(t.baseUrl).get(`/api/records/${id}`, purpose('treatment'));
    expect(noToken.status).toBe(401);
    expectDeclared('GET /api/records/:id', noToken);
    const unknown = await u.clinician.get('/api/records/00000000-0000-4000-8000-000000000000', purpose('treatment'));
    expect(unknown.status).toBe(404);
    expectDeclared('GET /api/records/:id', unknown);
    const stale = await u.him.post(`/api/records/${id}/archive`, { reason: 'inactive' }, { 'if-match': '"99"' });
    expect(stale.status).toBe(409);
    expectDeclared('POST /api/records/:id/archive', stale);

    const doomed = await u.clerk.request('POST', '/api/records', { form: recordForm({ mrn: 'OA-2' }) });
    expect((await approveAndDestroy(u, doomed.body.id)).status).toBe(200);
    const gone = await u.clinician.get(`/api/records/${doomed.body.id}`, purpose('treatment'));
    expect(gone.status).toBe(410);
    expectDeclared('GET /api/records/:id', gone);
    const status = await u.clerk.get(`/api/records/${doomed.body.id}/status`);
    expect(status.status).toBe(410);
    expectDeclared('GET /api/records/:id/status', status);
  });
});
