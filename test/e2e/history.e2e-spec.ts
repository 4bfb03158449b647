import { Logger } from '@nestjs/common';
import { minimalPdf } from '@medrec/ingest/rasterize/testing/minimal-pdf';
import { ProjectionRunner } from '@medrec/read-models';
import { approveAndDestroy, Client, login, PASSWORD, purpose, recordForm, startApp, TestApp, usersByRole } from './support/harness';

/**
 * History, diff, asOf, access log, accounting of disclosures and statistics over HTTP, on the real
 * app with OCR in process. The documents are small PDFs with a text layer, which the recognizer
 * takes as the page's text: real OCR results without the time tesseract would take.
 */

type Users = Awaited<ReturnType<typeof usersByRole>>;
let t: TestApp;
let u: Users;
/** Polls OCR status; its own reads are left out of the timelines compared below. */
let poller: Client;
let seq = 0;

const pdf = (...lines: string[]) => minimalPdf([{ widthPt: 612, heightPt: 792, lines }]);

const ORIGINAL = ['Progress note of a fictional patient.', 'Patient reports mild chest pain after exercise.', 'Plan: follow up in two weeks.'];
const CORRECTED = ['Progress note of a fictional patient.', 'Patient reports severe chest pain after exercise.', 'Plan: follow up in two weeks.'];

async function create(fields: Record<string, string> = {}, lines = ORIGINAL): Promise<{ id: string; position: number }> {
  const res = await u.clerk.request('POST', '/api/records', { form: recordForm({ mrn: `HX-${++seq}`, ...fields }, pdf(...lines), 'note.pdf') });
  if (res.status !== 201) throw new Error(`create: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body;
}

async function amend(id: string, kind: string, reason: string, lines?: string[]): Promise<{ version: number; position: number }> {
  const form = new FormData();
  form.append('kind', kind);
  form.append('reason', reason);
  if (lines) form.append('file', new Blob([pdf(...lines)]), 'note.pdf');
  const res = await u.him.request('POST', `/api/records/${id}/amendments`, { form });
  if (res.status !== 201) throw new Error(`amend: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body;
}

async function release(id: string, body: Record<string, unknown> = {}): Promise<{ releaseId: string; position: number }> {
  const res = await u.him.post(`/api/records/${id}/releases`, {
    recipient: { name: 'Dr. Ellen Sattler', address: '12 Harbour Road, Springfield' },
    purpose: 'continuing care',
    authorizationReference: 'AUTH-2024-117',
    description: 'Progress note',
    ...body,
  });
  if (res.status !== 201) throw new Error(`release: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body;
}

async function waitForOcr(id: string, version: number, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const res = await poller.get(`/api/records/${id}`, purpose('operations'));
    const v = res.body.versions?.find((x: { version: number }) => x.version === version);
    if (v && v.ocr.status === 'done') return;
    if (v && v.ocr.status === 'failed') throw new Error(`OCR of version ${version} failed`);
    if (Date.now() > deadline) throw new Error(`OCR of version ${version} still pending`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

const tick = () => new Promise((r) => setTimeout(r, 5));

function expectProblem(res: { status: number; contentType: string; body: any }, status: number): void {
  expect(res.status).toBe(status);
  expect(res.contentType).toContain('application/problem+json');
}

beforeAll(async () => {
  t = await startApp(undefined, { MEDREC_OCR_IN_PROCESS: 'true', MEDREC_OCR_WORKERS: '1' });
  u = await usersByRole(t.baseUrl);
  await u.admin.post('/api/users', { username: 'poller', password: PASSWORD, roles: ['clerk'] });
  poller = await login(t.baseUrl, 'poller', PASSWORD);
}, 60_000);
afterAll(() => t?.close());

describe('a record with three versions, reads, a release, a hold and archiving', () => {
  let id: string;
  const at: Record<string, string> = {};

  beforeAll(async () => {
    at.beforeCreation = new Date().toISOString();
    await tick();
    ({ id } = await create({ documentType: 'progress-note', title: 'Progress note, cardiology clinic' }));
    await waitForOcr(id, 1);
    await tick();
    at.afterV1 = new Date().toISOString();
    await tick();
    await amend(id, 'correction', 'Severity was transcribed wrongly', CORRECTED);
    await waitForOcr(id, 2);
    await amend(id, 'addendum', 'Follow-up appointment confirmed by phone');
    expect((await u.clinician.get(`/api/records/${id}`, purpose('treatment'))).status).toBe(200);
    await release(id, { versions: [2] });
    const hold = await u.legal.post(`/api/records/${id}/holds`, { matter: 'Doe v. County Hospital', reason: 'Preservation notice' });
    expect(hold.status).toBe(201);
    expect((await u.legal.request('DELETE', `/api/records/${id}/holds/${hold.body.holdId}`)).status).toBe(204);
    expect((await u.him.post(`/api/records/${id}/archive`, { reason: 'Episode of care closed' })).status).toBe(200);
  }, 120_000);

  it('history lists every version and every event in order, with actors', async () => {
    const res = await u.auditor.get(`/api/records/${id}/history`, purpose('audit'));
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ id, status: 'archived', currentVersion: 3 });
    expect(res.body.versions).toEqual([
      expect.objectContaining({
        version: 1,
        kind: 'original',
        reason: null,
        createdBy: 'clerk1',
        sha256: expect.stringMatching(/^[0-9a-f]{64}$/),
        ocr: { status: 'done', meanConfidence: 100 },
      }),
      expect.objectContaining({
        version: 2,
        kind: 'correction',
        reason: 'Severity was transcribed wrongly',
        createdBy: 'him1',
        ocr: { status: 'done', meanConfidence: 100 },
      }),
      expect.objectContaining({
        version: 3,
        kind: 'addendum',
        reason: 'Follow-up appointment confirmed by phone',
        createdBy: 'him1',
        contentType: 'application/pdf',
      }),
    ]);
    expect(res.body.versions[2].sha256).toBe(res.body.versions[1].sha256);
    // The same versions as GET /records/:id shows.
    const record = await u.auditor.get(`/api/records/${id}`, purpose('audit'));
    expect(res.body.versions).toEqual(record.body.versions);

    const timeline = (
      res.body.timeline as Array<{
        type: string;
        actor: string;
        role: string;
        purpose: string | null;
        at: string;
        summary: string;
        position: number;
        details: any;
      }>
    ).filter((e) => e.actor !== 'poller');
    expect(timeline.map((e) => [e.type, e.actor.startsWith('system:ocr') ? 'system:ocr' : e.actor, e.role])).toEqual([
      ['created', 'clerk1', 'clerk'],
      ['ocr-completed', 'system:ocr', 'system'],
      ['amended', 'him1', 'him'],
      ['ocr-completed', 'system:ocr', 'system'],
      ['amended', 'him1', 'him'],
      ['accessed', 'clinician1', 'clinician'],
      ['released', 'him1', 'him'],
      ['hold-placed', 'legal1', 'legal'],
      ['hold-lifted', 'legal1', 'legal'],
      ['archived', 'him1', 'him'],
      // This very read, logged before the answer.
      ['accessed', 'auditor1', 'auditor'],
    ]);
    const positions = timeline.map((e) => e.position);
    expect(positions).toEqual([...positions].sort((a, b) => a - b));
    const times = timeline.map((e) => e.at);
    expect(times).toEqual([...times].sort());
    expect(timeline[2]).toMatchObject({ version: 2, details: { kind: 'correction', newContent: true } });
    expect(timeline[4]).toMatchObject({ version: 3, details: { kind: 'addendum', newContent: false } });
    expect(timeline[5]).toMatchObject({ purpose: 'treatment', details: { what: 'record' } });
    expect(timeline[6].details).toMatchObject({ versions: [2], recipient: { name: 'Dr. Ellen Sattler' }, purpose: 'continuing care' });
    expect(timeline[6].summary).toContain('Dr. Ellen Sattler');
    expect(timeline[10]).toMatchObject({ purpose: 'audit', details: { what: 'history' } });
  });

  it('the diff of two versions shows the changed words', async () => {
    const res = await u.him.get(`/api/records/${id}/versions/1/diff/2`, purpose('operations'));
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ a: { version: 1, ocr: { status: 'done' } }, b: { version: 2, ocr: { status: 'done' } }, complete: true, exact: true });
    const hunks = res.body.hunks as Array<{ op: string; text: string }>;
    expect(hunks.filter((h) => h.op === 'delete').map((h) => h.text.trim())).toEqual(['mild']);
    expect(hunks.filter((h) => h.op === 'insert').map((h) => h.text.trim())).toEqual(['severe']);
    expect(
      hunks
        .filter((h) => h.op !== 'insert')
        .map((h) => h.text)
        .join(''),
    ).toContain('Patient reports mild chest pain');
    expect(
      hunks
        .filter((h) => h.op !== 'delete')
        .map((h) => h.text)
        .join(''),
    ).toContain('Patient reports severe chest pain');

    // Version 3 shares version 2's content: nothing changed.
    const same = await u.him.get(`/api/records/${id}/versions/2/diff/3`, purpose('operations'));
    expect(same.body.hunks.every((h: { op: string }) => h.op === 'equal')).toBe(true);

    expectProblem(await u.him.get(`/api/records/${id}/versions/1/diff/9`, purpose('operations')), 404);
    expectProblem(await u.him.get(`/api/records/${id}/versions/one/diff/2`, purpose('operations')), 400);
  });

  it('asOf gives the record as it stood then; 404 before it existed; 400 for a bad time', async () => {
    const then = await u.him.get(`/api/records/${id}?asOf=${encodeURIComponent(at.afterV1)}`, purpose('operations'));
    expect(then.status).toBe(200);
    expect(then.body).toMatchObject({ id, status: 'active', currentVersion: 1, asOf: at.afterV1, title: 'Progress note, cardiology clinic' });
    expect(then.body.versions).toHaveLength(1);
    expect(then.headers.get('etag')).toBeNull();

    const now = await u.him.get(`/api/records/${id}?asOf=${encodeURIComponent(new Date().toISOString())}`, purpose('operations'));
    expect(now.body).toMatchObject({ status: 'archived', currentVersion: 3 });
    const today = await u.him.get(`/api/records/${id}?asOf=${new Date().toISOString().slice(0, 10)}`, purpose('operations'));
    expect(today.body).toMatchObject({ status: 'archived', currentVersion: 3 });

    expectProblem(await u.him.get(`/api/records/${id}?asOf=${encodeURIComponent(at.beforeCreation)}`, purpose('operations')), 404);
    for (const bad of ['yesterday', '2024-13-01', '2024-02-30T10:00:00Z', '2024-03-02T25:00:00Z', '2024-03-02T10:00:00']) {
      const res = await u.him.get(`/api/records/${id}?asOf=${encodeURIComponent(bad)}`, purpose('operations'));
      expectProblem(res, 400);
      expect(res.body.errors).toEqual([{ field: 'asOf', message: expect.any(String) }]);
    }
  });

  it('the access log lists every read with who, role, purpose, version and what (this one included)', async () => {
    const res = await u.legal.get(`/api/records/${id}/accesses`, purpose('legal'));
    expect(res.status).toBe(200);
    const accesses = (res.body.accesses as Array<Record<string, unknown>>).filter((a) => a.actor !== 'poller');
    for (const a of accesses)
      expect(a).toEqual(expect.objectContaining({ at: expect.any(String), actor: expect.any(String), role: expect.any(String), purpose: expect.any(String) }));
    const summary = accesses.map((a) => [a.actor, a.role, a.purpose, a.version, a.what]);
    expect(summary[0]).toEqual(['clinician1', 'clinician', 'treatment', null, 'record']);
    expect(summary[1]).toEqual(['auditor1', 'auditor', 'audit', null, 'history']);
    expect(summary).toContainEqual(['him1', 'him', 'operations', 1, 'diff']);
    expect(summary).toContainEqual(['him1', 'him', 'operations', 2, 'diff']);
    expect(summary).toContainEqual(['him1', 'him', 'operations', null, 'record']);
    expect(summary[summary.length - 1]).toEqual(['legal1', 'legal', 'legal', null, 'accesses']);
    // The refused diff (unknown version) logged nothing.
    expect(summary.filter((s) => s[4] === 'diff')).toHaveLength(4);
  });

  it('?after waits for the views, and a bad position is refused before anything is logged', async () => {
    const { position } = await release((await create()).id);
    const stats = await u.auditor.get(`/api/stats?after=${position}`);
    expect(stats.status).toBe(200);
    expect(stats.body.position).toBeGreaterThanOrEqual(position);
    const count = async () => (await u.legal.get(`/api/records/${id}/accesses`, purpose('legal'))).body.accesses.length as number;
    const before = await count();
    for (const path of [`/api/records/${id}/history`, `/api/records/${id}/accesses`, `/api/records/${id}/versions/1/diff/2`]) {
      expectProblem(await u.legal.get(`${path}?after=soon`, purpose('legal')), 400);
    }
    // Only the second count's own read was added.
    expect(await count()).toBe(before + 1);
  });
});

describe('paging the timeline and the access log', () => {
  it('walks every entry once, in log order, page by page; a bad limit or cursor is a 400 that logs nothing', async () => {
    const { id } = await create();
    await amend(id, 'correction', 'Typo', CORRECTED);
    // OCR results land asynchronously: all in before the whole timeline is compared with the pages.
    await waitForOcr(id, 1);
    await waitForOcr(id, 2);
    await release(id);
    for (let i = 0; i < 7; i++) await u.clinician.get(`/api/records/${id}`, purpose('treatment'));
    const walk = async (path: string, field: 'timeline' | 'accesses', limit: number) => {
      const seen: Array<{ position: number; type?: string }> = [];
      let cursor: string | null = null;
      let pages = 0;
      do {
        const res: { status: number; body: any } = await u.legal.get(`${path}?limit=${limit}${cursor ? `&cursor=${cursor}` : ''}`, purpose('legal'));
        expect(res.status).toBe(200);
        expect(res.body[field].length).toBeLessThanOrEqual(limit);
        seen.push(...res.body[field]);
        cursor = res.body.nextCursor;
        pages++;
      } while (cursor && pages < 50);
      return { seen, pages };
    };
    const whole = (await u.legal.get(`/api/records/${id}/history`, purpose('legal'))).body;
    expect(whole.nextCursor).toBeNull();
    const paged = await walk(`/api/records/${id}/history`, 'timeline', 3);
    const positions = paged.seen.map((e) => e.position);
    expect(positions).toEqual([...positions].sort((a, b) => a - b));
    expect(new Set(positions).size).toBe(positions.length);
    // The paged walk holds the whole timeline as read before it (each page's own read comes after it).
    expect(paged.seen.slice(0, whole.timeline.length)).toEqual(whole.timeline);
    expect(paged.seen.map((e) => e.type)).toEqual(expect.arrayContaining(['created', 'amended', 'released', 'accessed']));
    expect(paged.pages).toBeGreaterThan(4);

    const accesses = await walk(`/api/records/${id}/accesses`, 'accesses', 4);
    const accessPositions = accesses.seen.map((a) => a.position);
    expect(accessPositions).toEqual([...accessPositions].sort((a, b) => a - b));
    expect(new Set(accessPositions).size).toBe(accessPositions.length);
    expect(accesses.seen.filter((a: any) => a.actor === 'clinician1')).toHaveLength(7);

    const count = async () => (await u.legal.get(`/api/records/${id}/accesses`, purpose('legal'))).body.accesses.length as number;
    const before = await count();
    for (const path of [`/api/records/${id}/history`, `/api/records/${id}/accesses`]) {
      for (const bad of [
        'limit=0',
        'limit=10001',
        'limit=ten',
        'cursor=not*valid',
        `cursor=${Buffer.from('{"p":-1,"r":0}').toString('base64url')}`,
        `cursor=${Buffer.from('[1,2]').toString('base64url')}`,
      ]) {
        expectProblem(await u.legal.get(`${path}?${bad}`, purpose('legal')), 400);
      }
    }
    expect(await count()).toBe(before + 1);
  });
});

describe('the accounting of disclosures', () => {
  const mrn = 'ACC-00482913';
  const other = 'ACC-00519377';
  let first: { id: string; releaseId: string; at: string };
  let between: string;
  /** The position of the last write: the first report waits for it (read-your-writes). */
  let last: number;

  beforeAll(async () => {
    const a = await create({ mrn, documentType: 'discharge-summary' });
    const b = await create({ mrn, documentType: 'lab-report' });
    const c = await create({ mrn: other });
    const r1 = await release(a.id, {
      recipient: { name: '=HYPERLINK("http://evil.example","click")', address: '1 Main St, Suite 4\nSpringfield' },
      description: 'Discharge summary, "final" version',
      purpose: '+insurance claim',
    });
    first = { id: a.id, releaseId: r1.releaseId, at: '' };
    await tick();
    between = new Date().toISOString();
    await tick();
    await release(b.id, { recipient: { name: 'County Court Clerk' }, purpose: 'subpoena', description: '-Lab results' });
    await release(c.id, { recipient: { name: 'Someone Else' } });
    // An amendment is not a disclosure.
    ({ position: last } = await amend(a.id, 'addendum', 'Late entry'));
  });

  it('lists exactly the releases of the patient, oldest first (JSON)', async () => {
    const res = await u.him.get(`/api/patients/${mrn}/disclosures?after=${last}`, purpose('operations'));
    expect(res.status).toBe(200);
    expect(res.body.disclosures).toEqual([
      expect.objectContaining({
        recordId: first.id,
        releaseId: first.releaseId,
        versions: [1],
        recipient: { name: '=HYPERLINK("http://evil.example","click")', address: '1 Main St, Suite 4\nSpringfield' },
        description: 'Discharge summary, "final" version',
        purpose: '+insurance claim',
        documentType: 'discharge-summary',
        date: expect.any(String),
      }),
      expect.objectContaining({ recipient: { name: 'County Court Clerk', address: null }, purpose: 'subpoena', documentType: 'lab-report' }),
    ]);
    // Default window: the six years before now.
    const from = new Date(res.body.from);
    const to = new Date(res.body.to);
    expect(to.getUTCFullYear() - from.getUTCFullYear()).toBe(6);
    expect(Date.now() - to.getTime()).toBeLessThan(60_000);
    // The MRN's case does not matter; the other patient's release is absent.
    const lower = await u.legal.get(`/api/patients/${mrn.toLowerCase()}/disclosures`, purpose('legal'));
    expect(lower.body.disclosures).toHaveLength(2);
    const theirs = await u.auditor.get(`/api/patients/${other}/disclosures`, purpose('audit'));
    expect(theirs.body.disclosures.map((d: { recipient: { name: string } }) => d.recipient.name)).toEqual(['Someone Else']);
  });

  it('respects the window', async () => {
    const since = await u.him.get(`/api/patients/${mrn}/disclosures?from=${encodeURIComponent(between)}`, purpose('operations'));
    expect(since.body.disclosures.map((d: { purpose: string }) => d.purpose)).toEqual(['subpoena']);
    const until = await u.him.get(`/api/patients/${mrn}/disclosures?to=${encodeURIComponent(between)}`, purpose('operations'));
    expect(until.body.disclosures.map((d: { purpose: string }) => d.purpose)).toEqual(['+insurance claim']);
    const today = new Date().toISOString().slice(0, 10);
    const day = await u.him.get(`/api/patients/${mrn}/disclosures?from=${today}&to=${today}`, purpose('operations'));
    expect(day.body.disclosures).toHaveLength(2);
    const past = await u.him.get(`/api/patients/${mrn}/disclosures?from=2001-01-01&to=2002-12-31`, purpose('operations'));
    expect(past.body.disclosures).toEqual([]);
    for (const query of ['from=last-week', 'to=2024-02-30', `from=${today}&to=2001-01-01`]) {
      const res = await u.him.get(`/api/patients/${mrn}/disclosures?${query}`, purpose('operations'));
      expectProblem(res, 400);
      expect(JSON.stringify(res.body)).not.toContain(mrn);
    }
  });

  it('Accept: text/csv gives CSV with a header row, escaped fields and no formulas', async () => {
    const res = await u.him.get(`/api/patients/${mrn}/disclosures`, { ...purpose('operations'), accept: 'text/csv' });
    expect(res.status).toBe(200);
    expect(res.contentType).toMatch(/^text\/csv/);
    expect(res.headers.get('content-disposition')).not.toContain(mrn);
    const text = res.raw.toString('utf8');
    const lines = text.split('\r\n');
    expect(lines[0]).toBe(
      'date,recipient_name,recipient_address,description,purpose,record_id,versions,document_type,authorization_reference,released_by,release_id',
    );
    expect(lines[1]).toContain(
      `"'=HYPERLINK(""http://evil.example"",""click"")","1 Main St, Suite 4\nSpringfield","Discharge summary, ""final"" version",'+insurance claim,${first.id},1,discharge-summary,AUTH-2024-117,him1,${first.releaseId}`,
    );
    expect(text).toContain(`,County Court Clerk,,'-Lab results,subpoena,`);
    expect(lines).toHaveLength(4); // header, two rows, and the empty string after the last CRLF
    expect(lines[3]).toBe('');
  });

  it('never logs the MRN of the path', async () => {
    const lines: string[] = [];
    const capture = (...args: unknown[]) => void lines.push(args.map((a) => (typeof a === 'string' ? a : JSON.stringify(a))).join(' '));
    t.app.useLogger({ log: capture, error: capture, warn: capture, debug: capture, verbose: capture, fatal: capture });
    try {
      new Logger('probe').log('the capture works');
      await u.him.get(`/api/patients/${mrn}/disclosures`, purpose('operations'));
      await u.him.get(`/api/patients/${mrn}/disclosures`, { ...purpose('operations'), accept: 'text/csv' });
      await u.him.get(`/api/patients/${mrn}/disclosures?from=never`, purpose('operations'));
      await u.him.get(`/api/patients/${mrn}/disclosures?after=x`, purpose('operations'));
      await u.clerk.get(`/api/patients/${mrn}/disclosures`, purpose('operations'));
      await u.him.get(`/api/patients/${mrn}/disclosures`);
      await u.him.get(`/api/patients/${mrn}/disclosures/nothing-here`, purpose('operations'));
    } finally {
      t.app.useLogger(false);
    }
    expect(lines.some((line) => line.includes('the capture works'))).toBe(true);
    expect(lines.filter((line) => line.includes(mrn))).toEqual([]);
  });

  it('refuses a malformed MRN without quoting it', async () => {
    const res = await u.him.get(`/api/patients/${encodeURIComponent('<b>Jane Doe</b>')}/disclosures`, purpose('operations'));
    expectProblem(res, 400);
    expect(JSON.stringify(res.body)).not.toContain('Jane');
  });
});

describe('statistics', () => {
  const stats = async (after: number) => {
    const res = await u.archivist.get(`/api/stats?after=${after}`);
    expect(res.status).toBe(200);
    return res.body;
  };

  it('change as records are created, archived and destroyed; counts only', async () => {
    const today = new Date().toISOString().slice(0, 10);
    const before = await stats(0);
    const uploadsToday = (s: any) => s.uploadsPerDay.find((d: { day: string }) => d.day === today)?.uploads ?? 0;

    const created = await create({ documentType: 'operative-report', encounterDate: '2019-07-04' });
    const afterCreate = await stats(created.position);
    expect(afterCreate.records.total).toBe(before.records.total + 1);
    expect(afterCreate.records.byStatus.active).toBe(before.records.byStatus.active + 1);
    expect(afterCreate.records.byType['operative-report']).toBe((before.records.byType['operative-report'] ?? 0) + 1);
    expect(afterCreate.pages.current).toBe(before.pages.current + 1);
    expect(uploadsToday(afterCreate)).toBe(uploadsToday(before) + 1);
    expect(afterCreate.encountersPerMonth).toContainEqual({ month: '2019-07', records: 1 });
    expect(afterCreate.ocr.pending + afterCreate.ocr.done).toBe(before.ocr.pending + before.ocr.done + 1);
    expect(typeof afterCreate.ocr.meanConfidence).toBe('number');

    const archived = await u.him.post(`/api/records/${created.id}/archive`, { reason: 'Closed' });
    const afterArchive = await stats(archived.body.position);
    expect(afterArchive.records.byStatus).toEqual({
      ...afterCreate.records.byStatus,
      active: afterCreate.records.byStatus.active - 1,
      archived: afterCreate.records.byStatus.archived + 1,
    });
    expect(afterArchive.records.total).toBe(afterCreate.records.total);

    const destroyed = await approveAndDestroy(u, created.id);
    expect(destroyed.status).toBe(200);
    const afterDestroy = await stats(destroyed.body.position);
    expect(afterDestroy.records.byStatus).toEqual({
      ...afterArchive.records.byStatus,
      archived: afterArchive.records.byStatus.archived - 1,
      destroyed: afterArchive.records.byStatus.destroyed + 1,
    });
    expect(afterDestroy.records.total).toBe(before.records.total);
    expect(afterDestroy.records.byType['operative-report'] ?? 0).toBe(before.records.byType['operative-report'] ?? 0);
    expect(afterDestroy.pages.current).toBe(before.pages.current);
    expect(afterDestroy.encountersPerMonth).not.toContainEqual({ month: '2019-07', records: 1 });
    // What was received stays received.
    expect(uploadsToday(afterDestroy)).toBe(uploadsToday(afterCreate));

    const text = JSON.stringify(afterDestroy);
    expect(text).not.toMatch(/HX-|ACC-|Jane|[0-9a-f]{8}-[0-9a-f]{4}-/);
  });

  it('needs no purpose of use; bad windows are refused', async () => {
    expect((await u.admin.get('/api/stats')).status).toBe(200);
    expectProblem(await u.admin.get('/api/stats?from=2024-02-30'), 400);
    expectProblem(await u.admin.get('/api/stats?after=-1'), 400);
  });
});

describe('after destruction', () => {
  it("the record's rows are gone from every view: history, accesses, diff and asOf answer 410, disclosures omit it", async () => {
    const mrn = 'GONE-0001';
    const { id } = await create({ mrn, encounterDate: '2018-02-01' });
    await release(id);
    expect((await u.clinician.get(`/api/records/${id}`, purpose('treatment'))).status).toBe(200);
    expect((await u.auditor.get(`/api/records/${id}/history`, purpose('audit'))).status).toBe(200);
    const destroyed = await approveAndDestroy(u, id);
    expect(destroyed.status).toBe(200);
    const after = `after=${destroyed.body.position}`;

    for (const [client, path, p] of [
      [u.auditor, `/api/records/${id}/history?${after}`, 'audit'],
      [u.legal, `/api/records/${id}/accesses?${after}`, 'legal'],
      [u.him, `/api/records/${id}/versions/1/diff/1?${after}`, 'operations'],
      [u.him, `/api/records/${id}?asOf=${encodeURIComponent(new Date().toISOString())}`, 'operations'],
    ] as const) {
      const res = await client.get(path, purpose(p));
      expectProblem(res, 410);
      expect(res.body).toMatchObject({ id, status: 410, recordStatus: 'destroyed', authority: 'Schedule GS-12' });
    }
    const report = await u.him.get(`/api/patients/${mrn}/disclosures?${after}`, purpose('operations'));
    expect(report.body.disclosures).toEqual([]);

    const db = t.app.get(ProjectionRunner).db;
    for (const table of ['record_timeline', 'disclosures', 'disclosure_patients', 'stats_encounters']) {
      expect({ table, rows: (db.prepare(`SELECT COUNT(*) AS n FROM ${table} WHERE record_id = ?`).get(id) as { n: number }).n }).toEqual({ table, rows: 0 });
    }
  });

  it('a rebuild from the log gives the same rows as live application, destroyed records included', async () => {
    const projections = t.app.get(ProjectionRunner);
    // Let in-process OCR finish first: an OcrCompleted appended between the snapshot and the rebuild
    // would be in one and not the other. Quiet = the log's head unchanged for a second.
    const head = async () => ((await fetch(`${t.baseUrl}/health/ready`).then((r) => r.json())) as { position: number }).position;
    for (let last = -1, now = await head(), deadline = Date.now() + 60_000; now !== last && Date.now() < deadline;) {
      await new Promise((r) => setTimeout(r, 1000));
      [last, now] = [now, await head()];
    }
    await projections.catchUp();
    const tables = ['record_timeline', 'record_timeline_destroyed', 'disclosures', 'disclosure_patients', 'stats_records', 'stats_uploads', 'stats_encounters'];
    const snapshot = () =>
      Object.fromEntries(
        tables.map((table) => [
          table,
          projections.db
            .prepare(`SELECT * FROM ${table}`)
            .all()
            .map((row) => JSON.stringify(row))
            .sort(),
        ]),
      );
    const live = snapshot();
    expect(live.record_timeline.length).toBeGreaterThan(20);
    for (const name of ['record-timeline', 'disclosures', 'record-stats']) await projections.rebuild(name);
    expect(snapshot()).toEqual(live);
  });
});
