import { PhiCodec } from '@medrec/application';
import { queryAuditStream } from '@medrec/domain';
import { EVENT_STORE, EventStore } from '@medrec/event-store';
import { minimalPdf } from '@medrec/ingest/rasterize/testing/minimal-pdf';
import { HOSTILE_QUERIES } from '@medrec/read-models/search/hostile-queries';
import { approveAndDestroy, Client, login, PASSWORD, purpose, recordForm, startApp, TestApp, usersByRole } from './support/harness';

/**
 * GET /api/search through the real app: records get their text the real way, as born-digital
 * PDFs whose text layer the OCR job takes (no recognition needed), then OcrCompleted is projected.
 */

const pdf = (...pages: string[][]): Buffer => minimalPdf(pages.map((lines) => ({ widthPt: 612, heightPt: 792, lines })));
const ops = purpose('operations');

async function waitForOcr(client: Client, id: string, version: number, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const res = await client.get(`/api/records/${id}`, ops);
    const v = res.body.versions?.find((x: any) => x.version === version);
    if (v && v.ocr.status !== 'pending') {
      if (v.ocr.status !== 'done') throw new Error(`OCR of ${id} v${version}: ${v.ocr.status}`);
      // The write side knows first; wait until the read models have projected OcrCompleted too.
      const head = (await client.get('/health/ready')).body.position;
      const caughtUp = await client.get(`/api/search?q=caughtup&after=${head}`, ops);
      if (caughtUp.status !== 200) throw new Error(`read models behind: ${caughtUp.status}`);
      return;
    }
    if (Date.now() > deadline) throw new Error(`OCR of ${id} v${version} still pending`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe('search over HTTP', () => {
  let t: TestApp;
  let u: Awaited<ReturnType<typeof usersByRole>>;
  const ids: Record<string, string> = {};
  const bulk: string[] = [];

  async function create(key: string, fields: Record<string, string>, file: Buffer): Promise<string> {
    const res = await u.clerk.request('POST', '/api/records', { form: recordForm(fields, file, `${key}.pdf`) });
    if (res.status !== 201) throw new Error(`create ${key}: ${res.status} ${JSON.stringify(res.body)}`);
    ids[key] = res.body.id;
    return res.body.id;
  }

  /** Searches as the clinician; the caller checks the status. */
  const search = (query: string, client?: Client) => (client ?? u.clinician).get(`/api/search?${query}`, purpose('treatment'));
  const ok = async (query: string) => {
    const res = await search(query);
    if (res.status !== 200) throw new Error(`search ${query}: ${res.status} ${JSON.stringify(res.body)}`);
    return res.body as { results: any[]; nextCursor: string | null };
  };
  const recordsOf = (body: { results: any[] }) => [...new Set(body.results.map((r) => r.recordId))].sort();

  beforeAll(async () => {
    t = await startApp(undefined, { MEDREC_OCR_IN_PROCESS: 'true' });
    u = await usersByRole(t.baseUrl);
    await create(
      'alice1',
      { mrn: 'MRN-10001', patientName: 'Alice Testperson', documentType: 'discharge-summary', title: 'Discharge summary', encounterDate: '2024-01-10' },
      pdf(
        ['Principal diagnosis: community acquired pneumonia.', 'Chest radiograph showed consolidation.'],
        ['Discharge medications: amoxicillin clavulanate orally.'],
      ),
    );
    await create(
      'bob',
      { mrn: 'MRN-10002', patientName: 'Bob Example', documentType: 'lab-report', title: 'Full blood count', encounterDate: '2024-02-15' },
      pdf(['Hemoglobin low; suspected pneumonia & anemia <review>.']),
    );
    await create(
      'alice2',
      { mrn: 'MRN-10001', patientName: 'Alice Testperson', documentType: 'progress-note', title: 'Follow-up visit', encounterDate: '2024-03-20' },
      pdf(['Follow-up visit: the pneumonia has resolved completely.']),
    );
    for (let i = 0; i < 12; i++) {
      bulk.push(
        await create(
          `bulk${i}`,
          {
            mrn: 'MRN-20000',
            patientName: 'Carol Bulk',
            documentType: 'nursing-notes',
            title: `Nursing notes ${i}`,
            encounterDate: `2024-05-${String(i + 1).padStart(2, '0')}`,
          },
          pdf([`Observation round ${i}: zebrafish allergy noted, ${'vitals stable '.repeat(i + 1)}`]),
        ),
      );
    }
    for (const id of Object.values(ids)) await waitForOcr(u.clerk, id, 1);
  }, 180_000);
  afterAll(() => t?.close());

  it('answers the documented shape, with BM25 scores and escaped snippets marking the hits', async () => {
    const body = await ok('q=pneumonia');
    expect(recordsOf(body)).toEqual([ids.alice1, ids.alice2, ids.bob].sort());
    for (const r of body.results) {
      expect(r).toEqual(
        expect.objectContaining({
          recordId: expect.any(String),
          version: 1,
          page: 1,
          title: expect.any(String),
          mrn: expect.stringMatching(/^MRN-1000[12]$/),
          patientName: expect.any(String),
          documentType: expect.any(String),
          score: expect.any(Number),
          snippet: expect.stringContaining('<mark>pneumonia</mark>'),
        }),
      );
    }
    const scores = body.results.map((r) => r.score);
    expect([...scores].sort((a, b) => b - a)).toEqual(scores);
    expect(body.nextCursor).toBeNull();
    const bob = body.results.find((r) => r.recordId === ids.bob);
    expect(bob.snippet).toContain('&#38; anemia &#60;review&#62;');
    expect(bob.snippet).not.toContain('<review>');
  });

  it('phrases, prefixes, AND / OR / NOT', async () => {
    expect(recordsOf(await ok(`q=${encodeURIComponent('"community acquired pneumonia"')}`))).toEqual([ids.alice1]);
    expect(recordsOf(await ok(`q=${encodeURIComponent('"acquired community"')}`))).toEqual([]);
    expect(recordsOf(await ok('q=amoxi*'))).toEqual([ids.alice1]);
    const page2 = (await ok('q=amoxicillin')).results;
    expect(page2.map((r) => r.page)).toEqual([2]);
    expect(recordsOf(await ok(`q=${encodeURIComponent('pneumonia NOT resolved')}`))).toEqual([ids.alice1, ids.bob].sort());
    expect(recordsOf(await ok(`q=${encodeURIComponent('pneumonia -resolved -hemoglobin')}`))).toEqual([ids.alice1]);
    expect(recordsOf(await ok(`q=${encodeURIComponent('hemoglobin OR consolidation')}`))).toEqual([ids.alice1, ids.bob].sort());
    expect(recordsOf(await ok(`q=${encodeURIComponent('(hemoglobin OR consolidation) AND anemia')}`))).toEqual([ids.bob]);
  });

  it('finds a version once by patient name or MRN', async () => {
    for (const q of ['Bob Example', 'MRN-10002', '10002', 'example']) {
      const body = await ok(`q=${encodeURIComponent(q)}`);
      expect({ q, hits: body.results.map((r) => [r.recordId, r.page]) }).toEqual({ q, hits: [[ids.bob, null]] });
    }
  });

  it('filters by MRN, document type and date range (encounter date)', async () => {
    expect(recordsOf(await ok('q=pneumonia&mrn=MRN-10001'))).toEqual([ids.alice1, ids.alice2].sort());
    expect(recordsOf(await ok('q=pneumonia&mrn=mrn-10001&documentType=progress-note'))).toEqual([ids.alice2]);
    expect(recordsOf(await ok('q=pneumonia&from=2024-02-01'))).toEqual([ids.alice2, ids.bob].sort());
    expect(recordsOf(await ok('q=pneumonia&from=2024-02-01&to=2024-02-15'))).toEqual([ids.bob]);
    expect(recordsOf(await ok('q=pneumonia&to=2024-01-09'))).toEqual([]);
    // Filters alone: each version's metadata, newest first.
    const byMrn = await ok('mrn=MRN-10001');
    expect(byMrn.results.map((r) => [r.recordId, r.page, r.score])).toEqual([
      [ids.alice2, null, null],
      [ids.alice1, null, null],
    ]);
  });

  it('pages with an opaque cursor: every hit once, in score order; a tampered or foreign cursor is a 400', async () => {
    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const body: { results: any[]; nextCursor: string | null } = await ok(`q=zebrafish&limit=5${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
      expect(body.results.length).toBeLessThanOrEqual(5);
      seen.push(...body.results.map((r) => r.recordId));
      cursor = body.nextCursor;
      pages++;
    } while (cursor);
    expect(pages).toBe(3);
    expect(seen).toHaveLength(12);
    expect([...seen].sort()).toEqual([...bulk].sort());

    const first = await ok('q=zebrafish&limit=5');
    expect(first.nextCursor).not.toMatch(/zebrafish/);
    const tampered = first.nextCursor!.slice(0, -2) + (first.nextCursor!.endsWith('AA') ? 'AB' : 'AA');
    for (const query of [`q=zebrafish&limit=5&cursor=${tampered}`, `q=vitals&limit=5&cursor=${first.nextCursor}`, 'q=zebrafish&cursor=garbage']) {
      const res = await search(query);
      expect(res.status).toBe(400);
      expect(res.contentType).toContain('application/problem+json');
    }
    // Filters only page too.
    const filtered = await ok('mrn=MRN-20000&limit=10');
    expect(filtered.results).toHaveLength(10);
    const rest = await ok(`mrn=MRN-20000&limit=10&cursor=${encodeURIComponent(filtered.nextCursor!)}`);
    expect(rest.results).toHaveLength(2);
    expect(rest.nextCursor).toBeNull();
  });

  it('current versions by default; versions=all for every version; a new file replaces the text once OCR arrives', async () => {
    const id = await create(
      'versioned',
      { mrn: 'MRN-30000', patientName: 'Dan Versions', documentType: 'operative-report', title: 'Operative report', encounterDate: '2024-06-01' },
      pdf(['Laparoscopic cholecystectomy performed without complication.']),
    );
    await waitForOcr(u.clerk, id, 1);
    const form = new FormData();
    form.append('kind', 'correction');
    form.append('reason', 'Title corrected');
    form.append('title', 'Operative report (corrected)');
    const amended = await u.him.request('POST', `/api/records/${id}/amendments`, { form });
    expect(amended.status).toBe(201);
    const current = await ok(`q=cholecystectomy&after=${amended.body.position}`);
    expect(current.results.map((r) => [r.version, r.title])).toEqual([[2, 'Operative report (corrected)']]);
    const all = await ok('q=cholecystectomy&versions=all');
    expect(all.results.map((r) => r.version).sort()).toEqual([1, 2]);

    const withFile = new FormData();
    withFile.append('kind', 'correction');
    withFile.append('reason', 'Wrong document scanned');
    withFile.append('file', new Blob([pdf(['Open appendectomy, inflamed appendix removed.'])]), 'v3.pdf');
    const v3 = await u.him.request('POST', `/api/records/${id}/amendments`, { form: withFile });
    expect(v3.status).toBe(201);
    await waitForOcr(u.clerk, id, 3);
    const latest = await ok(`q=appendix&mrn=MRN-30000`);
    expect(latest.results.map((r) => r.version)).toEqual([3]);
    expect((await ok('q=cholecystectomy')).results).toEqual([]);
    expect((await ok('q=cholecystectomy&versions=all')).results.map((r) => r.version).sort()).toEqual([1, 2]);
  });

  it('a destroyed record vanishes from results as its RecordDestroyed is projected', async () => {
    const id = await create(
      'doomed',
      { mrn: 'MRN-40000', patientName: 'Eve Doomed', documentType: 'correspondence', title: 'Letter', encounterDate: '2024-07-01' },
      pdf(['Referral letter regarding xylophonist tendinitis follow-up.']),
    );
    await waitForOcr(u.clerk, id, 1);
    expect(recordsOf(await ok('q=xylophonist'))).toEqual([id]);
    const destroyed = await approveAndDestroy(u, id);
    expect(destroyed.status).toBe(200);
    expect((await ok(`q=xylophonist&after=${destroyed.body.position}`)).results).toEqual([]);
    expect((await ok('q=Doomed&versions=all')).results).toEqual([]);
    expect((await ok('mrn=MRN-40000&versions=all')).results).toEqual([]);
  });

  it('read-your-writes: ?after= a creation finds the new record at once', async () => {
    const res = await u.clerk.request('POST', '/api/records', { form: recordForm({ mrn: 'MRN-50000', patientName: 'Fay Fresh' }) });
    expect(res.status).toBe(201);
    expect(recordsOf(await ok(`q=Fresh&after=${res.body.position}`))).toEqual([res.body.id]);
    expect((await search('q=Fresh&after=abc')).status).toBe(400);
  });

  it('50 hostile query strings answer 200 or 400 (problem+json), never 500', async () => {
    expect(HOSTILE_QUERIES.length).toBeGreaterThanOrEqual(50);
    const statuses: Record<number, number> = {};
    for (const q of HOSTILE_QUERIES) {
      for (const query of [`q=${encodeURIComponent(q)}`, `q=${encodeURIComponent(q)}&mrn=MRN-10001`]) {
        const res = await search(query);
        statuses[res.status] = (statuses[res.status] ?? 0) + 1;
        expect({ q, status: [200, 400].includes(res.status) }).toEqual({ q, status: true });
        if (res.status === 400) {
          expect(res.contentType).toContain('application/problem+json');
          // The problem never quotes the query (PHI).
          if (q.length > 3) expect(res.raw.toString('utf8')).not.toContain(q);
        } else {
          expect(res.body).toEqual({ results: expect.any(Array), nextCursor: null, approximate: false });
        }
      }
    }
    expect(statuses[200]).toBeGreaterThan(40);
    // Bytes that are not UTF-8, a lone surrogate, a NUL, percent signs.
    for (const raw of ['q=%FF%FE', 'q=%ED%A0%80pneumonia', 'q=pneu%00monia', 'q=%', 'q=%%%25', 'q[]=x', 'q[a]=x']) {
      const res = await search(raw);
      expect({ raw, status: [200, 400].includes(res.status) }).toEqual({ raw, status: true });
    }
    expect((await ok(`q=${encodeURIComponent('Alice))) AND "pneumonia')}`)).results.length).toBeGreaterThan(0);
  });

  it('refuses bad parameters with 400 problem+json', async () => {
    for (const query of [
      '',
      'q=',
      'q=%20%22%22%20AND',
      `q=${'x'.repeat(513)}`,
      'q=NOT%20pneumonia',
      'q=a&limit=0',
      'q=a&limit=101',
      'q=a&limit=ten',
      'q=a&documentType=poem',
      'q=a&from=2024-13-01',
      'q=a&from=2024-02-30',
      'q=a&from=2024-03-01&to=2024-02-01',
      'q=a&versions=some',
      'q=a&mrn=%3Cscript%3E',
      `q=a&mrn=${'A'.repeat(21)}`, // longer than any MRN a record may have
      'q=a&q=b',
      'q=a&sort=date',
    ]) {
      const res = await search(query);
      expect({ query, status: res.status }).toEqual({ query, status: 400 });
      expect(res.contentType).toContain('application/problem+json');
    }
  });

  it('audits every search: who, when, filters and result count in clear; the text and the MRN sealed', async () => {
    const store = t.app.get<EventStore>(EVENT_STORE);
    const codec = t.app.get(PhiCodec);
    const stream = queryAuditStream(new Date().toISOString());
    const before = (await store.readStream(stream)).length;
    const body = await ok('q=pneumonia%20acquired&mrn=MRN-10001&documentType=discharge-summary&limit=7');
    const events = await store.readStream(stream);
    expect(events.length).toBe(before + 1);
    const stored = events[events.length - 1];
    expect(stored.type).toBe('PatientDataQueried');
    expect(stored.data).toMatchObject({
      kind: 'search',
      actor: 'clinician1',
      role: 'clinician',
      purpose: 'treatment',
      resultCount: body.results.length,
      filters: { documentType: 'discharge-summary', limit: 7, versions: 'current', mrnFiltered: true },
    });
    const raw = JSON.stringify(stored.data);
    expect(raw).not.toContain('pneumonia');
    expect(raw).not.toContain('MRN-10001');
    const { event } = await codec.decode(stream, stored);
    expect(event.data).toMatchObject({ text: 'pneumonia acquired', mrn: 'MRN-10001' });
    // A refused search is not run, so not audited.
    await search('q=a&limit=0');
    expect((await store.readStream(stream)).length).toBe(before + 1);
  });

  it('a cursor stays valid after a restart (its MAC key derives from the server secret); last test: restarts the app', async () => {
    const first = await ok('q=zebrafish&limit=5');
    const dataDir = t.dataDir;
    await t.close({ keepData: true });
    t = await startApp(dataDir);
    u.clinician = await login(t.baseUrl, 'clinician1', PASSWORD);
    const next = await ok(`q=zebrafish&limit=5&cursor=${encodeURIComponent(first.nextCursor!)}`);
    expect(next.results).toHaveLength(5);
    const firstIds = new Set(first.results.map((r) => r.recordId));
    expect(next.results.filter((r) => firstIds.has(r.recordId))).toEqual([]);
  });
});
