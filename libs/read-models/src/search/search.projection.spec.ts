import Database from '@medrec/sqlite';
import type { StoredEvent } from '@medrec/event-store';
import { project, type ProjectedEvent, projectBatch } from '../projection';
import { parseSearchQuery } from './search-query';
import { listPartitions } from './search-partitions';
import { createSearchProjection, searchProjection } from './search.projection';
import { dateFacets, hasPrefixTerm, InvalidCursorError, markSnippet, SearchRequest, SearchService } from './search.service';

const A = '00000000-0000-4000-8000-00000000000a';
const B = '00000000-0000-4000-8000-00000000000b';
let position = 0;

function event(type: string, data: Record<string, unknown>, phiReadable = true): ProjectedEvent {
  const stored = { position: ++position, type, data, stream: `record-${String(data.recordId)}` } as unknown as StoredEvent;
  return { stored, type, data, phiReadable };
}

const created = (recordId: string, extra: Record<string, unknown> = {}) =>
  event('RecordCreated', {
    recordId,
    mrn: 'mrn-00482913',
    patientName: 'Maria González',
    dateOfBirth: '1961-04-17',
    documentType: 'discharge-summary',
    title: 'Discharge summary',
    encounterDate: '2024-11-23',
    version: 1,
    content: { sha256: 'x' },
    createdAt: '2024-11-24T10:00:00.000Z',
    ...extra,
  });
const ocr = (recordId: string, version: number, pageTexts: string[]) =>
  event('OcrCompleted', { recordId, version, pages: pageTexts.length, meanConfidence: 90, textKey: 'k', pageTexts });

/** Every text row, whichever partition holds it. */
const textRows = (target: Database.Database) =>
  listPartitions(target)
    .flatMap(({ table }) => target.prepare(`SELECT rowid, * FROM ${table}`).all() as Array<{ rowid: number }>)
    .sort((a, b) => a.rowid - b.rowid);

// Every case with the text in one partition (the default size), and spread over partitions of three rows.
describe.each([
  ['one text partition', searchProjection, 1],
  ['text partitions of three rows', createSearchProjection({ partitionRows: 3 }), 3],
])('search projection and service, %s', (_name, projection, partitionRows) => {
  let db: Database.Database;
  let service: SearchService;
  const apply = (...events: ProjectedEvent[]) => db.transaction(() => events.forEach((e) => project(db, projection, e)))();
  const search = (q: string | undefined, extra: Partial<SearchRequest> = {}) => {
    const parsed = q === undefined ? undefined : parseSearchQuery(q);
    if (parsed && !parsed.ok) throw new Error(parsed.reason);
    return service.search({ fts: parsed?.fts, limit: 20, fingerprint: q ?? '', ...extra });
  };

  beforeEach(() => {
    db = new Database(':memory:');
    projection.migrate(db);
    service = new SearchService(db);
  });
  afterEach(() => db.close());

  it('finds a page by its text, with an escaped snippet marking the hits', () => {
    apply(created(A), ocr(A, 1, ['Community-acquired pneumonia. Dose <5 mg & rest.', 'Discharge medications: lisinopril']));
    const { results } = search('pneumonia');
    expect(results).toEqual([
      expect.objectContaining({
        recordId: A,
        version: 1,
        page: 1,
        mrn: 'MRN-00482913',
        patientName: 'Maria González',
        documentType: 'discharge-summary',
        current: true,
      }),
    ]);
    expect(results[0].snippet).toBe('Community-acquired <mark>pneumonia</mark>. Dose &#60;5 mg &#38; rest.');
    expect(search('lisinopril').results.map((r) => r.page)).toEqual([2]);
    expect(search('"acquired pneumonia"').results).toHaveLength(1);
    expect(search('pneumo*').results).toHaveLength(1);
    expect(search('pneumonia NOT lisinopril').results.map((r) => r.page)).toEqual([1]);
    // One result per version: its best page.
    expect(search('pneumonia OR lisinopril').results.map((r) => [r.recordId, r.version])).toEqual([[A, 1]]);
  });

  it('finds a version once by patient name or MRN (its metadata row), diacritics folded', () => {
    apply(created(A), ocr(A, 1, ['page one', 'page two']));
    for (const q of ['Maria Gonzalez', 'gonzález', 'MRN-00482913', '00482913', 'MRN00482913']) {
      const { results } = search(q);
      expect({ q, hits: results.map((r) => [r.recordId, r.page]) }).toEqual({ q, hits: [[A, null]] });
    }
  });

  it('a query across metadata and text finds the page; metadata alone finds the version once', () => {
    apply(created(A, { title: 'Pneumonia follow-up' }), ocr(A, 1, ['chest radiograph clear', 'pneumonia resolved']));
    const hits = (q: string) => search(q).results.map((r) => r.page);
    expect(hits('gonzalez radiograph')).toEqual([1]);
    expect(hits('MRN-00482913 resolved')).toEqual([2]);
    expect(hits('gonzalez')).toEqual([null]);
    // Title and page 2 both hold it: one result, the page (its text holds the hit).
    expect(hits('pneumonia')).toEqual([2]);
    expect(hits('gonzalez NOT radiograph')).toEqual([null]);
    expect(search('gonzalez radiograph').results[0].snippet).toBe('chest <mark>radiograph</mark> clear');
  });

  it('a metadata-only search lists versions by their filters without snippets, and refuses a text query', () => {
    apply(created(A), ocr(A, 1, ['Community-acquired pneumonia']));
    const [text] = search(undefined, { mrn: 'MRN-00482913' }).results;
    expect(text).toMatchObject({ recordId: A, page: null, snippet: 'Discharge summary' });

    const [metadata] = search(undefined, { mrn: 'MRN-00482913', metadataOnly: true }).results;
    expect(metadata).toEqual({ ...text, snippet: null });
    expect(() => search('pneumonia', { metadataOnly: true })).toThrow(TypeError);
  });

  it('indexes non-Latin text', () => {
    apply(created(A, { patientName: 'Γιώργος Παπαδόπουλος' }), ocr(A, 1, ['Диагноз: пневмония']));
    expect(search('пневмония').results).toHaveLength(1);
    expect(search('Γιώργος').results).toHaveLength(1);
    expect(search('ΓΙΏΡΓΟΣ').results).toHaveLength(1); // case folded; unicode61 folds diacritics of Latin script only
  });

  it('an amendment without a file keeps the text; with a file the new OCR replaces it; versions=all shows both', () => {
    apply(created(A), ocr(A, 1, ['pneumonia']));
    apply(event('RecordAmended', { recordId: A, version: 2, kind: 'correction', reason: 'r', title: 'Corrected summary', amendedAt: '2025-01-01T00:00:00Z' }));
    expect(search('pneumonia').results.map((r) => [r.version, r.title])).toEqual([[2, 'Corrected summary']]);
    expect(
      search('pneumonia', { allVersions: true })
        .results.map((r) => [r.version, r.current])
        .sort(),
    ).toEqual([
      [1, false],
      [2, true],
    ]);
    apply(event('RecordAmended', { recordId: A, version: 3, kind: 'correction', reason: 'r', content: { sha256: 'y' }, amendedAt: '2025-01-02T00:00:00Z' }));
    expect(search('pneumonia').results).toEqual([]);
    apply(ocr(A, 3, ['bronchitis']));
    expect(search('bronchitis').results.map((r) => r.version)).toEqual([3]);
  });

  it('OCR arriving after a metadata-only amendment reaches the amended version too', () => {
    apply(created(A));
    apply(event('RecordAmended', { recordId: A, version: 2, kind: 'correction', reason: 'r', title: 'New title', amendedAt: '2025-01-01T00:00:00Z' }));
    apply(ocr(A, 1, ['pneumonia']));
    expect(search('pneumonia').results.map((r) => r.version)).toEqual([2]);
    expect(
      search('pneumonia', { allVersions: true })
        .results.map((r) => r.version)
        .sort(),
    ).toEqual([1, 2]);
  });

  it('OCR of the same version again replaces its pages (and reaches a later version showing that text)', () => {
    apply(created(A), ocr(A, 1, ['pneumonia first read', 'second page']));
    apply(event('RecordAmended', { recordId: A, version: 2, kind: 'correction', reason: 'r', title: 'New title', amendedAt: '2025-01-01T00:00:00Z' }));
    apply(ocr(A, 1, ['bronchitis second read']));
    expect(search('pneumonia', { allVersions: true }).results).toEqual([]);
    expect(search('bronchitis', { allVersions: true }).results.map((r) => [r.version, r.page])).toEqual(
      expect.arrayContaining([
        [1, 1],
        [2, 1],
      ]),
    );
    expect(db.prepare('SELECT count(*) AS n FROM search_rows WHERE page IS NOT NULL').get()).toEqual({ n: 2 });
    expect(textRows(db)).toHaveLength(4);
  });

  it('a batch leaves what its events one at a time leave, doc numbers included after the newest record is destroyed', () => {
    const C = '00000000-0000-4000-8000-00000000000c';
    const destroyed = (recordId: string) => event('RecordDestroyed', { recordId, authority: 'x', approvedBy: 'x', destroyedBy: 'x', destroyedAt: 'x' });
    const batches = [
      [created(A), ocr(A, 1, ['first page'])],
      [created(B), destroyed(B), created(C), ocr(C, 1, ['after the destruction']), ocr(A, 1, ['read again'])],
    ];
    const tables = (target: Database.Database) =>
      ['search_records ORDER BY doc', 'search_versions ORDER BY doc, version', 'search_rows ORDER BY id'].map((t) =>
        target.prepare(`SELECT * FROM ${t}`).all(),
      );
    for (const batch of batches) apply(...batch);
    const batched = new Database(':memory:');
    try {
      projection.migrate(batched);
      for (const batch of batches) batched.transaction(() => projectBatch(batched, projection, batch))();
      expect(tables(batched)).toEqual(tables(db));
      expect(textRows(batched)).toEqual(textRows(db));
      expect(listPartitions(batched)).toEqual(listPartitions(db));
    } finally {
      batched.close();
    }
  });

  it('row ids freed by destroying the newest record are given again, into the partition that holds them', () => {
    const C = '00000000-0000-4000-8000-00000000000c';
    const destroyed = (recordId: string) => event('RecordDestroyed', { recordId, authority: 'x', approvedBy: 'x', destroyedBy: 'x', destroyedAt: 'x' });
    apply(created(A), ocr(A, 1, ['pneumonia']), created(B), ocr(B, 1, ['bronchitis']));
    apply(destroyed(B));
    apply(created(C), ocr(C, 1, ['zygomycosis']));
    // Ids 3 and 4 again; with partitions of three rows, 4 started the second partition when B had it.
    expect(textRows(db).map((r) => r.rowid)).toEqual([1, 2, 3, 4]);
    expect(search('zygomycosis').results.map((r) => r.recordId)).toEqual([C]);
    apply(destroyed(C));
    expect(textRows(db).map((r) => r.rowid)).toEqual([1, 2]);
    expect(search('zygomycosis').results).toEqual([]);
  });

  it('a destroyed record vanishes, its tokens included', () => {
    apply(created(A), ocr(A, 1, ['zygomycosis']), created(B, { mrn: 'MRN-1', patientName: 'John Smith' }), ocr(B, 1, ['pneumonia']));
    apply(event('RecordDestroyed', { recordId: A, authority: 'x', approvedBy: 'x', destroyedBy: 'x', destroyedAt: 'x' }));
    expect(search('zygomycosis').results).toEqual([]);
    expect(search('Gonzalez').results).toEqual([]);
    expect(db.prepare('SELECT count(*) AS n FROM search_versions WHERE record_id = ?').get(A)).toEqual({ n: 0 });
    expect(db.prepare('SELECT count(*) AS n FROM search_rows WHERE doc NOT IN (SELECT doc FROM search_records)').get()).toEqual({ n: 0 });
    expect(db.prepare('SELECT count(*) AS n FROM search_records WHERE record_id = ?').get(A)).toEqual({ n: 0 });
    // The FTS5 vocabulary no longer holds the destroyed record's words (secure-delete).
    for (const { n, table } of listPartitions(db)) {
      db.exec(`CREATE VIRTUAL TABLE v${n} USING fts5vocab(${table}, 'row')`);
      expect(db.prepare(`SELECT term FROM v${n} WHERE term IN ('zygomycosis', 'gonzalez')`).all()).toEqual([]);
    }
    expect(search('pneumonia').results).toHaveLength(1);
  });

  it('skips a record whose key is gone', () => {
    apply(created(A), ocr(A, 1, ['pneumonia']));
    apply(event('RecordCreated', { recordId: B, documentType: 'lab-report', version: 1 }, false), event('OcrCompleted', { recordId: B, version: 1 }, false));
    expect(search('pneumonia').results).toHaveLength(1);
  });

  it('filters by MRN, type and date range; pages with a cursor bound to the search', () => {
    const ids: string[] = [];
    for (let i = 0; i < 25; i++) {
      const id = `00000000-0000-4000-8000-0000000001${String(i).padStart(2, '0')}`;
      ids.push(id);
      apply(
        created(id, {
          mrn: i % 2 ? 'MRN-ODD' : 'MRN-EVEN',
          documentType: i % 5 === 0 ? 'lab-report' : 'progress-note',
          encounterDate: `2024-01-${String(i + 1).padStart(2, '0')}`,
        }),
        ocr(id, 1, [`fever ${'fever '.repeat(i % 7)} note ${i}`]),
      );
    }
    expect(search('fever', { mrn: 'mrn-odd' }).results).toHaveLength(12);
    expect(search('fever', { documentType: 'lab-report' }).results).toHaveLength(5);
    expect(search('fever', { from: '2024-01-10', to: '2024-01-19' }).results).toHaveLength(10);
    expect(search(undefined, { mrn: 'MRN-EVEN' }).results.map((r) => r.date)).toEqual(
      [24, 22, 20, 18, 16, 14, 12, 10, 8, 6, 4, 2, 0].map((i) => `2024-01-${String(i + 1).padStart(2, '0')}`),
    );

    const seen: string[] = [];
    let cursor: string | undefined;
    let scores: number[] = [];
    do {
      const page = search('fever', { limit: 7, cursor });
      seen.push(...page.results.map((r) => r.recordId));
      scores = scores.concat(page.results.map((r) => r.score!));
      cursor = page.nextCursor ?? undefined;
    } while (cursor);
    expect(seen.sort()).toEqual([...ids].sort());
    expect([...scores].sort((a, b) => b - a)).toEqual(scores);

    const first = search('fever', { limit: 7 });
    expect(() => search('note', { limit: 7, cursor: first.nextCursor! })).toThrow(InvalidCursorError);
    expect(() => search('fever', { limit: 7, mrn: 'MRN-ODD', cursor: first.nextCursor! })).toThrow(InvalidCursorError);
    const [payload, mac] = first.nextCursor!.split('.');
    const forged = Buffer.from(JSON.stringify({ k: 'r', rank: -100, id: 1 })).toString('base64url');
    expect(() => search('fever', { limit: 7, cursor: `${forged}.${mac}` })).toThrow(InvalidCursorError);
    expect(() => search('fever', { limit: 7, cursor: `${payload}` })).toThrow(InvalidCursorError);
    expect(() => search(undefined, { mrn: 'MRN-ODD', cursor: first.nextCursor! })).toThrow(InvalidCursorError);
  });

  it('a prefix query gets each result its page and marked snippet (details read in one pass over the rows)', () => {
    const ids = Array.from({ length: 6 }, (_, i) => `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`);
    for (const [i, id] of ids.entries()) apply(created(id), ocr(id, 1, ['unrelated words', i % 2 ? 'cardiology consult' : 'cardiac arrest']));
    const first = search('cardi*', { limit: 4 });
    const rest = search('cardi*', { limit: 4, cursor: first.nextCursor! });
    const all = [...first.results, ...rest.results];
    expect(all.map((r) => r.recordId).sort()).toEqual(ids);
    for (const r of all) {
      expect(r.page).toBe(2);
      expect(r.snippet).toMatch(/^<mark>cardi(ology|ac)<\/mark> (consult|arrest)$/);
    }
  });

  it('hasPrefixTerm reads FTS5 strings: a star after a closing quote only', () => {
    expect(hasPrefixTerm('"cardi"*')).toBe(true);
    expect(hasPrefixTerm('"a" AND ("b" OR "c"*)')).toBe(true);
    expect(hasPrefixTerm('"cardiac"')).toBe(false);
    expect(hasPrefixTerm('"a""*b"')).toBe(false); // the user's text a"*b, quoted
    expect(hasPrefixTerm('"a""" NOT "x"')).toBe(false);
    expect(hasPrefixTerm('"a"""*')).toBe(true);
  });

  it('markSnippet escapes before marking', () => {
    expect(markSnippet('<b>\u0001x\u0002</b> & "q"')).toBe('&#60;b&#62;<mark>x</mark>&#60;/b&#62; &#38; &#34;q&#34;');
  });

  it('ranks at most the configured number of candidates, the most recent, and says so; its cursor keeps them', () => {
    const ids = Array.from({ length: 12 }, (_, i) => `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`);
    for (const id of ids) apply(created(id, { title: `Note ${id.slice(-2)}` }), ocr(id, 1, ['fever and cough']));
    // Two rows a record (its metadata and its page): 24 rows, in partitions of three when so configured.
    expect(listPartitions(db)).toHaveLength(partitionRows === 3 ? 8 : 1);
    const bounded = new SearchService(db, undefined, 5);
    const first = bounded.search({ fts: (parseSearchQuery('fever') as { fts: string }).fts, limit: 3, fingerprint: 'fever' });
    expect(first.approximate).toBe(true);
    const second = bounded.search({ fts: (parseSearchQuery('fever') as { fts: string }).fts, limit: 3, fingerprint: 'fever', cursor: first.nextCursor! });
    const seen = [...first.results, ...second.results].map((r) => r.recordId);
    // The five most recently indexed of the twelve, each once, and no more.
    expect(new Set(seen)).toEqual(new Set(ids.slice(-5)));
    expect(second.nextCursor).toBeNull();
    expect(search('fever').approximate).toBe(false);
    expect(search('fever').results).toHaveLength(12);
  });

  it('narrows filters inside FTS5 by facet tokens, with the exact filter applied after', () => {
    apply(created(A, { encounterDate: '2024-03-31' }), ocr(A, 1, ['fever']));
    apply(created(B, { encounterDate: '2024-04-01', documentType: 'lab-report', mrn: 'MRN-7' }), ocr(B, 1, ['fever']));
    const found = (extra: Partial<SearchRequest>) => search('fever', extra).results.map((r) => r.recordId);
    expect(found({ from: '2024-03-01', to: '2024-03-31' })).toEqual([A]);
    expect(found({ from: '2024-04-01', to: '2024-12-31' })).toEqual([B]);
    expect(found({ from: '2024-03-31', to: '2024-03-31' })).toEqual([A]);
    expect(found({ from: '2024-04-01' })).toEqual([B]);
    expect(found({ documentType: 'lab-report' })).toEqual([B]);
    expect(found({ mrn: 'mrn-7' })).toEqual([B]);
    expect(found({ mrn: 'MRN7' })).toEqual([]); // the exact MRN filter, although the tokens agree
  });

  it('covers a date range with whole-year and month tokens, and gives up on open or very long ranges', () => {
    expect(dateFacets('2016-03-15', '2017-03-15')).toEqual([
      'm201603',
      'm201604',
      'm201605',
      'm201606',
      'm201607',
      'm201608',
      'm201609',
      'm201610',
      'm201611',
      'm201612',
      'm201701',
      'm201702',
      'm201703',
    ]);
    expect(dateFacets('2016-01-01', '2018-02-10')).toEqual(['y2016', 'y2017', 'm201801', 'm201802']);
    expect(dateFacets('2016-01-01', undefined)).toBeNull();
    expect(dateFacets('1900-02-01', '2026-01-01')).toBeNull();
    expect(dateFacets('2020-05-01', '2020-04-01')).toBeNull();
  });
});

describe('search partitions and replay settings', () => {
  it('a partition started during a replay merges as the replay does, and the end of the replay resets every partition', () => {
    const db = new Database(':memory:');
    try {
      const projection = createSearchProjection({ partitionRows: 1 });
      projection.migrate(db);
      const merges = () => listPartitions(db).map(({ table }) => db.prepare(`SELECT v FROM ${table}_config WHERE k = 'automerge'`).pluck().get());
      expect(merges()).toEqual([4]);
      projection.replaySettings!.set(db);
      project(db, projection, created(A));
      project(db, projection, created(B));
      expect(merges()).toEqual([8, 8]);
      projection.replaySettings!.reset(db);
      expect(merges()).toEqual([4, 4]);
    } finally {
      db.close();
    }
  });
});

describe('search projection upgrade', () => {
  it('drop() removes the text of version 3 (one search_fts table) with the partitions, leaving no table of text behind', () => {
    const db = new Database(':memory:');
    try {
      // Version 3's text table, holding decrypted text, beside version 4's tables.
      db.exec(
        "CREATE VIRTUAL TABLE search_fts USING fts5(title, patient, mrn, body, kind, facets); INSERT INTO search_fts VALUES ('t', 'Maria', 'm', 'pneumonia', 'p', '')",
      );
      const projection = createSearchProjection({ partitionRows: 1 });
      projection.migrate(db);
      project(db, projection, created(A));
      project(db, projection, created(B));
      expect(listPartitions(db)).toHaveLength(2);
      projection.drop(db);
      expect(db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name LIKE 'search%'").all()).toEqual([]);
    } finally {
      db.close();
    }
  });
});
