import type Database from 'better-sqlite3';
import { normalizeMrn } from '../content-index.projection';
import type { Projection, ProjectedEvent } from '../projection';

/**
 * Full-text search over records: SQLite FTS5 (BM25), one row per OCR'd page and one per version
 * for its metadata (title, patient name, MRN). Side tables hold what filters and results need, on
 * indexed columns.
 *
 * - `search_fts(title, patient, mrn, body, kind, facets)`: the text (decrypted PHI, as read
 *   models hold it). `facets` holds filter values as tokens (the document type, the year and
 *   month of the document's date; facetsOf()), so that filters narrow the match inside
 *   FTS5 itself instead of after it; it has no weight in the ranking. Page rows (kind "p") repeat the version's metadata beside the page text, so that
 *   "gonzalez pneumonia" finds the page; metadata rows (kind "m") have no body, so a version
 *   is found by its metadata before (or without) any OCR text. The service ranks rows, keeps the
 *   best of each version, and returns a page only when its own text holds a hit.
 * - `search_rows(id = fts rowid, record_id, version, page, current, mrn, document_type, date)`:
 *   page NULL is the version's metadata row; `date` is the encounter date, else the creation date.
 * - `search_versions(record_id, version, text_version, ...)`: each version's metadata and which
 *   version's OCR text it shows (an amendment without a new file keeps the previous text).
 *
 * Destroying a record deletes its rows; FTS5 `secure-delete` removes its tokens from the index
 * itself (not only a delete marker), next to the runner's `PRAGMA secure_delete`.
 */
export const SEARCH_PROJECTION = 'search';

/** bm25 column weights: title, patient, mrn, body (kind and facets do not count). */
export const SEARCH_RANK = 'bm25(2.0, 2.0, 2.0, 1.0, 0.0, 0.0)';
export const SEARCH_RANK_SQL = 'bm25(search_fts, 2.0, 2.0, 2.0, 1.0, 0.0, 0.0)';

/** Facet tokens: letters and digits only, so that the tokenizer keeps each one whole. */
export const typeFacet = (documentType: string): string => `t${documentType.toLowerCase().replace(/[^a-z0-9]/g, '')}`;
export const yearFacet = (year: string): string => `y${year}`;
export const monthFacet = (yearMonth: string): string => `m${yearMonth.replace('-', '')}`;
/** The MRN token of the `mrn` column that a filter on the MRN matches (mrnTokens writes it). */
export const mrnFacet = (mrn: string): string => mrn.replace(/[^\p{L}\p{N}]/gu, '').toLowerCase();

function facetsOf(v: { document_type: string; date: string }): string {
  const facets = [typeFacet(v.document_type)];
  if (/^\d{4}-\d{2}/.test(v.date)) facets.push(yearFacet(v.date.slice(0, 4)), monthFacet(v.date.slice(0, 7)));
  return facets.join(' ');
}

/**
 * The MATCH expression for a parsed query: the query itself over every column. Page rows repeat
 * their version's metadata, so "gonzalez pneumonia" finds the page; the service keeps the best row
 * of each version and reports `page: null` when the page's own text had no hit.
 */
export function searchMatch(query: { fts: string }): string {
  return query.fts;
}

interface VersionRow {
  record_id: string;
  version: number;
  text_version: number;
  title: string;
  patient_name: string;
  mrn: string;
  document_type: string;
  date: string;
  current: number;
}

interface Statements {
  insertFts: Database.Statement;
  insertRow: Database.Statement;
  insertVersion: Database.Statement;
  currentVersion: Database.Statement<[string], VersionRow>;
  versionsShowing: Database.Statement<[string, number], VersionRow>;
  pagesOf: Database.Statement<[string, number], { page: number; body: string }>;
  pageRowIds: Database.Statement<[string, number], { id: number }>;
  rowIdsOfRecord: Database.Statement<[string], { id: number }>;
  deleteFts: Database.Statement<[number]>;
  deleteRow: Database.Statement<[number]>;
  deleteRowsOfRecord: Database.Statement<[string]>;
  deleteVersionsOfRecord: Database.Statement<[string]>;
  retireRows: Database.Statement<[string]>;
  retireVersions: Database.Statement<[string]>;
}

const statementsByDb = new WeakMap<Database.Database, Statements>();

function statements(db: Database.Database): Statements {
  let s = statementsByDb.get(db);
  if (!s) {
    s = {
      insertFts: db.prepare('INSERT INTO search_fts (title, patient, mrn, body, kind, facets) VALUES (?, ?, ?, ?, ?, ?)'),
      insertRow: db.prepare('INSERT INTO search_rows (id, record_id, version, page, current, mrn, document_type, date) VALUES (?, ?, ?, ?, ?, ?, ?, ?)'),
      insertVersion: db.prepare(
        `INSERT OR REPLACE INTO search_versions (record_id, version, text_version, title, patient_name, mrn, document_type, date, current)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      ),
      currentVersion: db.prepare('SELECT * FROM search_versions WHERE record_id = ? AND current = 1'),
      versionsShowing: db.prepare('SELECT * FROM search_versions WHERE record_id = ? AND text_version = ?'),
      pagesOf: db.prepare(
        `SELECT r.page AS page, f.body AS body FROM search_rows r JOIN search_fts f ON f.rowid = r.id
         WHERE r.record_id = ? AND r.version = ? AND r.page IS NOT NULL ORDER BY r.page`,
      ),
      pageRowIds: db.prepare('SELECT id FROM search_rows WHERE record_id = ? AND version = ? AND page IS NOT NULL'),
      rowIdsOfRecord: db.prepare('SELECT id FROM search_rows WHERE record_id = ?'),
      deleteFts: db.prepare('DELETE FROM search_fts WHERE rowid = ?'),
      deleteRow: db.prepare('DELETE FROM search_rows WHERE id = ?'),
      deleteRowsOfRecord: db.prepare('DELETE FROM search_rows WHERE record_id = ?'),
      deleteVersionsOfRecord: db.prepare('DELETE FROM search_versions WHERE record_id = ?'),
      retireRows: db.prepare('UPDATE search_rows SET current = 0 WHERE record_id = ? AND current = 1'),
      retireVersions: db.prepare('UPDATE search_versions SET current = 0 WHERE record_id = ? AND current = 1'),
    } as Statements;
    statementsByDb.set(db, s);
  }
  return s;
}

/** Control characters never reach the index: snippets use \x01/\x02 as hit markers. */
const CONTROL = /[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]/g;
export const indexable = (text: string): string => text.replace(CONTROL, ' ');

/** The MRN as written and without separators, so "MRN-00482913", "MRN00482913" and "00482913" all find it. */
const mrnTokens = (mrn: string): string => `${mrn} ${mrn.replace(/[^\p{L}\p{N}]/gu, '')}`;

function insertMeta(s: Statements, v: VersionRow): void {
  const { lastInsertRowid } = s.insertFts.run(indexable(v.title), indexable(v.patient_name), mrnTokens(v.mrn), '', 'm', facetsOf(v));
  s.insertRow.run(lastInsertRowid, v.record_id, v.version, null, v.current, v.mrn, v.document_type, v.date);
}

function insertPages(s: Statements, v: VersionRow, pages: Array<{ page: number; body: string }>): void {
  const title = indexable(v.title);
  const patient = indexable(v.patient_name);
  const mrn = mrnTokens(v.mrn);
  const facets = facetsOf(v);
  for (const { page, body } of pages) {
    const { lastInsertRowid } = s.insertFts.run(title, patient, mrn, indexable(body), 'p', facets);
    s.insertRow.run(lastInsertRowid, v.record_id, v.version, page, v.current, v.mrn, v.document_type, v.date);
  }
}

function deletePages(s: Statements, recordId: string, version: number): void {
  for (const { id } of s.pageRowIds.all(recordId, version)) {
    s.deleteFts.run(id);
    s.deleteRow.run(id);
  }
}

const dateOf = (iso: unknown): string => (typeof iso === 'string' ? iso.slice(0, 10) : '');

export const searchProjection: Projection = {
  name: SEARCH_PROJECTION,
  version: 2,
  handles: new Set(['RecordCreated', 'RecordAmended', 'OcrCompleted', 'RecordDestroyed']),

  migrate(db) {
    db.exec(`
      CREATE VIRTUAL TABLE IF NOT EXISTS search_fts USING fts5(title, patient, mrn, body, kind, facets, tokenize = 'unicode61 remove_diacritics 2');
      CREATE TABLE IF NOT EXISTS search_rows (
        id INTEGER PRIMARY KEY, record_id TEXT NOT NULL, version INTEGER NOT NULL, page INTEGER,
        current INTEGER NOT NULL, mrn TEXT NOT NULL, document_type TEXT NOT NULL, date TEXT NOT NULL);
      CREATE INDEX IF NOT EXISTS search_rows_record ON search_rows (record_id, version);
      CREATE INDEX IF NOT EXISTS search_rows_mrn ON search_rows (mrn, date);
      CREATE TABLE IF NOT EXISTS search_versions (
        record_id TEXT NOT NULL, version INTEGER NOT NULL, text_version INTEGER NOT NULL,
        title TEXT NOT NULL, patient_name TEXT NOT NULL, mrn TEXT NOT NULL, document_type TEXT NOT NULL,
        date TEXT NOT NULL, current INTEGER NOT NULL, PRIMARY KEY (record_id, version)) WITHOUT ROWID;
    `);
    db.exec(`INSERT INTO search_fts (search_fts, rank) VALUES ('rank', '${SEARCH_RANK}'), ('secure-delete', 1)`);
  },

  drop(db) {
    statementsByDb.delete(db);
    db.exec('DROP TABLE IF EXISTS search_fts; DROP TABLE IF EXISTS search_rows; DROP TABLE IF EXISTS search_versions');
  },

  apply(db, event: ProjectedEvent) {
    const d = event.data as Record<string, any>;
    const s = statements(db);
    switch (event.type) {
      case 'RecordCreated': {
        if (!event.phiReadable) return; // shredded: its RecordDestroyed follows
        const v: VersionRow = {
          record_id: d.recordId,
          version: 1,
          text_version: 1,
          title: String(d.title ?? ''),
          patient_name: String(d.patientName ?? ''),
          mrn: normalizeMrn(String(d.mrn ?? '')),
          document_type: String(d.documentType),
          date: dateOf(d.encounterDate) || dateOf(d.createdAt),
          current: 1,
        };
        s.insertVersion.run(v.record_id, v.version, v.text_version, v.title, v.patient_name, v.mrn, v.document_type, v.date, v.current);
        insertMeta(s, v);
        return;
      }
      case 'RecordAmended': {
        if (!event.phiReadable) return;
        const previous = s.currentVersion.get(d.recordId);
        if (!previous) return;
        const v: VersionRow = {
          ...previous,
          version: d.version,
          text_version: d.content ? d.version : previous.text_version,
          title: d.title !== undefined ? String(d.title) : previous.title,
          document_type: d.documentType !== undefined ? String(d.documentType) : previous.document_type,
          date: dateOf(d.encounterDate) || previous.date,
          current: 1,
        };
        const carried = d.content ? [] : s.pagesOf.all(d.recordId, previous.version);
        s.retireRows.run(d.recordId);
        s.retireVersions.run(d.recordId);
        s.insertVersion.run(v.record_id, v.version, v.text_version, v.title, v.patient_name, v.mrn, v.document_type, v.date, v.current);
        insertMeta(s, v);
        insertPages(s, v, carried);
        return;
      }
      case 'OcrCompleted': {
        if (!event.phiReadable || !Array.isArray(d.pageTexts)) return;
        const pages = (d.pageTexts as unknown[]).map((text, i) => ({ page: i + 1, body: typeof text === 'string' ? text : '' })).filter((p) => p.body.trim() !== '');
        // The version itself, and any later version that kept its content (amended before its OCR finished).
        for (const v of s.versionsShowing.all(d.recordId, d.version)) {
          deletePages(s, v.record_id, v.version);
          insertPages(s, v, pages);
        }
        return;
      }
      case 'RecordDestroyed': {
        for (const { id } of s.rowIdsOfRecord.all(d.recordId)) s.deleteFts.run(id);
        s.deleteRowsOfRecord.run(d.recordId);
        s.deleteVersionsOfRecord.run(d.recordId);
        return;
      }
    }
  },
};
