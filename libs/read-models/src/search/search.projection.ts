import type Database from 'better-sqlite3';
import { normalizeMrn } from '../content-index.projection';
import type { RecordDestroyed, RecordEvent } from '@medrec/domain';
import type { ProjectedEvent, RecordProjection } from '../projection';
import { statement } from '../statement-cache';
import {
  createPartition,
  dropPartitions,
  listPartitions,
  Partition,
  PARTITION_ROWS,
  PARTITIONS_TABLE,
  partitionOf,
  resetMerges,
  setMerges,
} from './search-partitions';

/**
 * Full-text search over records: SQLite FTS5 (BM25), one row per OCR'd page and one per version
 * for its metadata (title, patient name, MRN). Side tables hold what filters and results need, on
 * indexed columns.
 *
 * - `search_fts<n>(title, patient, mrn, body, kind, facets)`: the text (decrypted PHI, as read
 *   models hold it), in partitions of consecutive row ids (search-partitions.ts). `facets` holds
 *   filter values as tokens (the document type, the year and month of the document's date;
 *   facetsOf()), so that filters narrow the match inside FTS5 itself instead of after it; it has
 *   no weight in the ranking. Page rows (kind "p") repeat the version's metadata beside the page text, so that
 *   "gonzalez pneumonia" finds the page; metadata rows (kind "m") have no body, so a version
 *   is found by its metadata before (or without) any OCR text. The service ranks rows, keeps the
 *   best of each version, and returns a page only when its own text holds a hit.
 * - `search_records(doc, record_id)`: a small integer per record (`doc`), which keys the other side
 *   tables. Record ids are random UUIDs: keyed by them, every table would take each new record at
 *   a random place, and each transaction would rewrite pages all over them (at 100k records that
 *   was most of a rebuild's commit time). Keyed by `doc`, rows are appended; only this table's
 *   record_id index takes random inserts.
 * - `search_rows(id = fts rowid, doc, version, page, current, mrn, document_type, date)`:
 *   page NULL is the version's metadata row; `date` is the encounter date, else the creation date.
 * - `search_versions(doc, version, text_version, ...)`: each version's metadata and which
 *   version's OCR text it shows (an amendment without a new file keeps the previous text).
 *
 * Destroying a record deletes its rows; FTS5 `secure-delete` removes its tokens from the index
 * itself (not only a delete marker), next to the runner's `PRAGMA secure_delete`.
 */
export const SEARCH_PROJECTION = 'search';

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

/** A row of search_versions. */
export interface SearchVersionRow {
  doc: number;
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
  docOf: Database.Statement<[string], { doc: number }>;
  lastDoc: Database.Statement<[], { doc: number | null }>;
  lastRowId: Database.Statement<[], { id: number | null }>;
  versionsOfRecordShowing: Database.Statement<[string, number], SearchVersionRow & { has_pages: number }>;
  deleteRecord: Database.Statement<[number]>;
  insertVersion: Database.Statement;
  currentVersion: Database.Statement<[number], SearchVersionRow>;
  pageRowsOf: Database.Statement<[number, number], { id: number; page: number }>;
  pageRowIds: Database.Statement<[number, number], { id: number }>;
  rowIdsOfRecord: Database.Statement<[number], { id: number }>;
  deleteRow: Database.Statement<[number]>;
  deleteRowsOfRecord: Database.Statement<[number]>;
  deleteVersionsOfRecord: Database.Statement<[number]>;
  retireRows: Database.Statement<[number]>;
  retireVersions: Database.Statement<[number]>;
}

/**
 * The projection's statements, from the read-model connection's shared statement cache (prepared
 * once per connection; dropped with it when the runner drops the tables). The set is kept beside
 * its first statement: one cache look-up per event instead of one per statement, and a cleared
 * cache (a new first statement) builds a new set.
 */
const sets = new WeakMap<Database.Statement, Statements>();
function statements(db: Database.Database): Statements {
  const first = statement<[string], { doc: number }>(db, 'SELECT doc FROM search_records WHERE record_id = ?');
  let set = sets.get(first);
  if (!set) {
    set = prepareStatements(db, first);
    sets.set(first, set);
  }
  return set;
}

function prepareStatements(db: Database.Database, docOf: Statements['docOf']): Statements {
  return {
    docOf,
    lastDoc: statement(db, 'SELECT max(doc) AS doc FROM search_records'),
    lastRowId: statement(db, 'SELECT max(id) AS id FROM search_rows'),
    deleteRecord: statement(db, 'DELETE FROM search_records WHERE doc = ?'),
    insertVersion: statement(
      db,
      `INSERT OR REPLACE INTO search_versions (doc, version, text_version, record_id, title, patient_name, mrn, document_type, date, current)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    ),
    currentVersion: statement(db, 'SELECT * FROM search_versions WHERE doc = ? AND current = 1'),
    // With whether the version has page rows already (an OCR run again): in a rebuild it has none, and is not asked again.
    versionsOfRecordShowing: statement(
      db,
      `SELECT v.*, EXISTS (SELECT 1 FROM search_rows p WHERE p.doc = v.doc AND p.version = v.version AND p.page IS NOT NULL) AS has_pages
         FROM search_records r JOIN search_versions v ON v.doc = r.doc WHERE r.record_id = ? AND v.text_version = ?`,
    ),
    pageRowsOf: statement(db, 'SELECT id, page FROM search_rows WHERE doc = ? AND version = ? AND page IS NOT NULL ORDER BY page'),
    pageRowIds: statement(db, 'SELECT id FROM search_rows WHERE doc = ? AND version = ? AND page IS NOT NULL'),
    rowIdsOfRecord: statement(db, 'SELECT id FROM search_rows WHERE doc = ?'),
    deleteRow: statement(db, 'DELETE FROM search_rows WHERE id = ?'),
    deleteRowsOfRecord: statement(db, 'DELETE FROM search_rows WHERE doc = ?'),
    deleteVersionsOfRecord: statement(db, 'DELETE FROM search_versions WHERE doc = ?'),
    retireRows: statement(db, 'UPDATE search_rows SET current = 0 WHERE doc = ? AND current = 1'),
    retireVersions: statement(db, 'UPDATE search_versions SET current = 0 WHERE doc = ? AND current = 1'),
  };
}

/** The record's small integer key (search_records.doc), if it has one. */
const docOf = (s: Statements, recordId: string): number | undefined => s.docOf.get(recordId)?.doc;

/** Control characters never reach the index: snippets use \x01/\x02 as hit markers. */
// eslint-disable-next-line no-control-regex -- matching control characters is this expression's purpose
const CONTROL = /[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]/g;
export const indexable = (text: string): string => text.replace(CONTROL, ' ');
// eslint-disable-next-line no-control-regex -- as CONTROL, without the global flag (test() keeps no position)
const HAS_CONTROL = /[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]/;

/** The MRN as written and without separators, so "MRN-00482913", "MRN00482913" and "00482913" all find it. */
const mrnTokens = (mrn: string): string => `${mrn} ${mrn.replace(/[^\p{L}\p{N}]/gu, '')}`;

type SearchEvent = Extract<RecordEvent, { type: 'RecordCreated' | 'RecordAmended' | 'OcrCompleted' }>;

/**
 * A replay from the start merges FTS5 segments less often: 8 segments of a level merged into one
 * (FTS5's default: 4; crisismerge 64, default 16). About a tenth less FTS5 CPU time in a
 * 100k-document rebuild; the live path merges as FTS5 does by default.
 */
const FEWER_MERGES = {
  set: (db: Database.Database) => setMerges(db, { automerge: 8, crisismerge: 64 }),
  reset: resetMerges,
};

const NOT_BLANK = /\S/;

/**
 * What prepare() answers for an OcrCompleted whose page texts all go into the index as they are:
 * strings, none blank, no control character. apply then neither tests nor copies them; the runner's
 * thread (which decodes) has done it, not the replay thread (which writes).
 */
const PAGES_AS_THEY_ARE = 1;

/** The pages of an OcrCompleted that are indexed: those not blank, control characters turned to spaces. */
function pagesOf(pageTexts: readonly unknown[], asTheyAre: boolean): Array<{ page: number; body: string }> {
  if (asTheyAre) return (pageTexts as string[]).map((body, i) => ({ page: i + 1, body }));
  return pageTexts
    .map((text, i) => ({ page: i + 1, body: typeof text === 'string' ? text : '' }))
    .filter((p) => NOT_BLANK.test(p.body)) // as body.trim() !== '', without copying the text
    .map((p) => ({ page: p.page, body: indexable(p.body) }));
}

const pagesAsTheyAre = (pageTexts: readonly unknown[]): boolean =>
  pageTexts.every((text) => typeof text === 'string' && NOT_BLANK.test(text) && !HAS_CONTROL.test(text));

/** A version's metadata as its FTS5 rows hold it. */
interface FtsColumns {
  title: string;
  patient: string;
  mrn: string;
  facets: string;
}

/**
 * What a RecordCreated's first version holds, worked out from the event alone. In the replay
 * thread, not by prepare(): the few short strings cost less to work out than the object that would
 * carry them costs to copy into the thread.
 */
interface CreatedValues {
  mrn: string;
  date: string;
  columns: FtsColumns;
}

function createdValues(d: Extract<SearchEvent, { type: 'RecordCreated' }>['data']): CreatedValues {
  const mrn = normalizeMrn(String(d.mrn ?? ''));
  const date = dateOf(d.encounterDate) || dateOf(d.createdAt);
  const documentType = String(d.documentType);
  return {
    mrn,
    date,
    columns: {
      title: indexable(String(d.title ?? '')),
      patient: indexable(String(d.patientName ?? '')),
      mrn: mrnTokens(mrn),
      facets: facetsOf({ document_type: documentType, date }),
    },
  };
}

const dateOf = (iso: unknown): string => (typeof iso === 'string' ? iso.slice(0, 10) : '');

/**
 * Rows per multi-row INSERT into a buffered side table: one statement instead of this many. OR
 * FAIL, not the default ABORT: a multi-row statement that may abort opens a statement savepoint,
 * and FTS5 writes its pending index data out at every savepoint (a small segment per statement,
 * merged again later). On a failure the runner rolls the whole transaction back either way.
 */
const ROWS_PER_INSERT = 32;
const valuesOf = (columns: number, rows: number): string => Array.from({ length: rows }, () => `(${Array(columns).fill('?').join(', ')})`).join(', ');
/** A buffered table: its INSERT of ROWS_PER_INSERT rows and of one. */
interface Buffered {
  columns: number;
  many: string;
  one: string;
}
const buffered = (table: string, columns: string[]): Buffered => {
  const insert = `INSERT OR FAIL INTO ${table} (${columns.join(', ')}) VALUES `;
  return { columns: columns.length, many: insert + valuesOf(columns.length, ROWS_PER_INSERT), one: insert + valuesOf(columns.length, 1) };
};
const RECORDS = buffered('search_records', ['doc', 'record_id']);
const NEW_VERSIONS = buffered('search_versions', [
  'doc',
  'version',
  'text_version',
  'record_id',
  'title',
  'patient_name',
  'mrn',
  'document_type',
  'date',
  'current',
]);
const ROWS = buffered('search_rows', ['id', 'doc', 'version', 'page', 'current', 'mrn', 'document_type', 'date']);

/**
 * The writes of a run of events (one event, or a batch of a replay), in log order. New records,
 * their first versions and all search_rows are buffered and written ROWS_PER_INSERT at a time (a
 * statement costs more than the row it inserts); every step that reads or changes the side tables
 * writes the buffers out first, and so does flush() at the end. A record created in this run is
 * known here (`fresh`, what the tables hold of it): its OCR text then needs no query (what
 * versionsOfRecordShowing would answer is known), which in a replay is almost every record, as its
 * OcrCompleted follows closely. Any other change to such a record forgets it here (changes are per
 * record: one record's writes never change what is known of another).
 */
class SearchWrites {
  private readonly records: unknown[] = [];
  private readonly newVersions: unknown[] = [];
  private readonly rows: unknown[] = [];
  /** The last doc number given (search_records' rowid: SQLite's next is the largest plus one); read again after a purge. */
  private lastDoc?: number;
  private readonly fresh = new Map<string, { version: SearchVersionRow; hasPages: boolean }>();
  private readonly columns = new WeakMap<SearchVersionRow, FtsColumns>();
  /** The text partitions (read at first use) and the last row id given (search_rows' largest, as FTS5 would give). */
  private partitions?: Partition[];
  private lastId?: number;
  /** The INSERT into each partition written so far (prepared once a connection, looked up once a partition, not once a row). */
  private readonly inserts = new Map<Partition, Database.Statement>();

  constructor(
    private readonly db: Database.Database,
    private readonly s: Statements,
    private readonly partitionRows: number,
  ) {}

  apply(event: ProjectedEvent<SearchEvent | RecordDestroyed>): void {
    switch (event.type) {
      case 'RecordCreated':
        return this.created(event);
      case 'RecordAmended':
        return this.amended(event);
      case 'OcrCompleted':
        return this.ocrCompleted(event);
      case 'RecordDestroyed':
        return this.purge(event.data.recordId);
    }
  }

  /** Writes out the buffered rows. */
  flush(): void {
    this.flushBuffer(this.records, RECORDS);
    this.flushBuffer(this.newVersions, NEW_VERSIONS);
    this.flushBuffer(this.rows, ROWS);
  }

  purge(recordId: string): void {
    this.flush();
    this.fresh.delete(recordId);
    const s = this.s;
    const doc = docOf(s, recordId);
    if (doc === undefined) return;
    for (const { id } of s.rowIdsOfRecord.all(doc)) this.deleteText(id);
    s.deleteRowsOfRecord.run(doc);
    s.deleteVersionsOfRecord.run(doc);
    s.deleteRecord.run(doc);
    this.lastDoc = undefined;
    this.lastId = undefined;
  }

  private created(event: ProjectedEvent<Extract<SearchEvent, { type: 'RecordCreated' }>>): void {
    const d = event.data;
    if (!event.phiReadable) return; // shredded: its RecordDestroyed follows
    // doc is the table's rowid, given as SQLite would.
    this.lastDoc ??= this.s.lastDoc.get()?.doc ?? 0;
    const doc = ++this.lastDoc;
    this.records.push(doc, d.recordId);
    const values = createdValues(d);
    const v: SearchVersionRow = {
      doc,
      record_id: d.recordId,
      version: 1,
      text_version: 1,
      title: String(d.title ?? ''),
      patient_name: String(d.patientName ?? ''),
      mrn: values.mrn,
      document_type: String(d.documentType),
      date: values.date,
      current: 1,
    };
    this.columns.set(v, values.columns);
    // A new doc has no versions yet: OR FAIL inserts as OR REPLACE would.
    this.newVersions.push(v.doc, v.version, v.text_version, v.record_id, v.title, v.patient_name, v.mrn, v.document_type, v.date, v.current);
    this.insertMeta(v);
    this.fresh.set(d.recordId, { version: v, hasPages: false });
  }

  private amended(event: ProjectedEvent<Extract<SearchEvent, { type: 'RecordAmended' }>>): void {
    const d = event.data;
    if (!event.phiReadable) return;
    this.flush();
    this.fresh.delete(d.recordId);
    const s = this.s;
    const doc = docOf(s, d.recordId);
    const previous = doc === undefined ? undefined : s.currentVersion.get(doc);
    if (!previous) return;
    const v: SearchVersionRow = {
      ...previous,
      version: d.version,
      text_version: d.content ? d.version : previous.text_version,
      title: d.title !== undefined ? String(d.title) : previous.title,
      document_type: d.documentType !== undefined ? String(d.documentType) : previous.document_type,
      date: dateOf(d.encounterDate) || previous.date,
      current: 1,
    };
    const carried = d.content ? [] : s.pageRowsOf.all(v.doc, previous.version).map(({ id, page }) => ({ page, body: indexable(this.textOf(id)) }));
    s.retireRows.run(v.doc);
    s.retireVersions.run(v.doc);
    this.insertVersion(v);
    this.insertMeta(v);
    this.insertPages(v, carried);
  }

  private ocrCompleted(event: ProjectedEvent<Extract<SearchEvent, { type: 'OcrCompleted' }>>): void {
    const d = event.data;
    if (!event.phiReadable || !Array.isArray(d.pageTexts)) return;
    const pages = pagesOf(d.pageTexts, event.prepared?.[SEARCH_PROJECTION] === PAGES_AS_THEY_ARE);
    const fresh = this.fresh.get(d.recordId);
    if (fresh && !fresh.hasPages) {
      // As below, without the query: the record's only version, which has no page rows yet.
      if (fresh.version.text_version !== d.version) return;
      this.insertPages(fresh.version, pages);
      fresh.hasPages = pages.length > 0;
      return;
    }
    this.flush();
    this.fresh.delete(d.recordId);
    // The version itself, and any later version that kept its content (amended before its OCR finished).
    for (const v of this.s.versionsOfRecordShowing.all(d.recordId, d.version)) {
      if (v.has_pages) this.deletePages(v.doc, v.version);
      this.insertPages(v, pages);
    }
  }

  private insertVersion(v: SearchVersionRow): void {
    this.s.insertVersion.run(v.doc, v.version, v.text_version, v.record_id, v.title, v.patient_name, v.mrn, v.document_type, v.date, v.current);
  }

  private insertMeta(v: SearchVersionRow): void {
    const { title, patient, mrn, facets } = this.columnsOf(v);
    const id = this.insertText(title, patient, mrn, '', 'm', facets);
    this.rows.push(id, v.doc, v.version, null, v.current, v.mrn, v.document_type, v.date);
  }

  /** Inserts page rows; `body` as indexed (indexable()). */
  private insertPages(v: SearchVersionRow, pages: Array<{ page: number; body: string }>): void {
    if (pages.length === 0) return;
    const { title, patient, mrn, facets } = this.columnsOf(v);
    for (const { page, body } of pages) {
      const id = this.insertText(title, patient, mrn, body, 'p', facets);
      this.rows.push(id, v.doc, v.version, page, v.current, v.mrn, v.document_type, v.date);
    }
  }

  /** The version's metadata as its FTS5 rows hold it, worked out once for its metadata row and its pages. */
  private columnsOf(v: SearchVersionRow): FtsColumns {
    let columns = this.columns.get(v);
    if (!columns) {
      columns = { title: indexable(v.title), patient: indexable(v.patient_name), mrn: mrnTokens(v.mrn), facets: facetsOf(v) };
      this.columns.set(v, columns);
    }
    return columns;
  }

  private deletePages(doc: number, version: number): void {
    const s = this.s;
    for (const { id } of s.pageRowIds.all(doc, version)) {
      this.deleteText(id);
      s.deleteRow.run(id);
    }
  }

  /**
   * Inserts a row's text under the next row id, into the partition of that id: the newest (a new
   * one when it is full), or an older one when destroying the newest records freed ids there.
   */
  private insertText(title: string, patient: string, mrn: string, body: string, kind: 'm' | 'p', facets: string): number {
    const partitions = this.partitionList();
    this.lastId ??= this.s.lastRowId.get()?.id ?? 0;
    const id = ++this.lastId;
    let partition = partitionOf(partitions, id);
    if (partition === partitions[partitions.length - 1] && id - partition.firstId >= this.partitionRows) {
      partition = createPartition(this.db, partition.n + 1, id, partition);
      partitions.push(partition);
    }
    let insert = this.inserts.get(partition);
    if (!insert) {
      insert = statement(this.db, `INSERT INTO ${partition.table} (rowid, title, patient, mrn, body, kind, facets) VALUES (?, ?, ?, ?, ?, ?, ?)`);
      this.inserts.set(partition, insert);
    }
    insert.run(id, title, patient, mrn, body, kind, facets);
    return id;
  }

  private textOf(id: number): string {
    const { table } = partitionOf(this.partitionList(), id);
    return statement<[number], { body: string }>(this.db, `SELECT body FROM ${table} WHERE rowid = ?`).get(id)?.body ?? '';
  }

  private deleteText(id: number): void {
    const { table } = partitionOf(this.partitionList(), id);
    statement(this.db, `DELETE FROM ${table} WHERE rowid = ?`).run(id);
  }

  private partitionList(): Partition[] {
    return (this.partitions ??= listPartitions(this.db));
  }

  private flushBuffer(values: unknown[], table: Buffered): void {
    if (values.length === 0) return;
    const chunk = table.columns * ROWS_PER_INSERT;
    let at = 0;
    if (values.length >= chunk) {
      const many = statement(this.db, table.many);
      for (; at + chunk <= values.length; at += chunk) many.run(values.slice(at, at + chunk));
    }
    const one = statement(this.db, table.one);
    for (; at < values.length; at += table.columns) one.run(values.slice(at, at + table.columns));
    values.length = 0;
  }
}

/** The MRN and date filters of metadata rows (SearchService); apply never reads them. */
const QUERY_INDEXES = `
  CREATE INDEX IF NOT EXISTS search_rows_mrn ON search_rows (mrn, date) WHERE page IS NULL;
  CREATE INDEX IF NOT EXISTS search_rows_date ON search_rows (date) WHERE page IS NULL;`;

export interface SearchProjectionOptions {
  /** Row ids per text partition (search-partitions.ts); changing it later only moves where the next partition starts. */
  partitionRows?: number;
}

export function createSearchProjection(options: SearchProjectionOptions = {}): RecordProjection<'RecordCreated' | 'RecordAmended' | 'OcrCompleted'> {
  const partitionRows = options.partitionRows ?? PARTITION_ROWS;
  const writes = (db: Database.Database) => new SearchWrites(db, statements(db), partitionRows);
  return {
    name: SEARCH_PROJECTION,
    // 4: the text in partitions (search_fts<n>) instead of one table (search_fts).
    version: 4,
    handles: new Set(['RecordCreated', 'RecordAmended', 'OcrCompleted'] as const),

    migrate(db) {
      db.exec(`
      CREATE TABLE IF NOT EXISTS search_records (doc INTEGER PRIMARY KEY, record_id TEXT NOT NULL UNIQUE);
      CREATE TABLE IF NOT EXISTS search_rows (
        id INTEGER PRIMARY KEY, doc INTEGER NOT NULL, version INTEGER NOT NULL, page INTEGER,
        current INTEGER NOT NULL, mrn TEXT NOT NULL, document_type TEXT NOT NULL, date TEXT NOT NULL);
      CREATE INDEX IF NOT EXISTS search_rows_doc ON search_rows (doc, version);
      CREATE TABLE IF NOT EXISTS search_versions (
        doc INTEGER NOT NULL, version INTEGER NOT NULL, text_version INTEGER NOT NULL, record_id TEXT NOT NULL,
        title TEXT NOT NULL, patient_name TEXT NOT NULL, mrn TEXT NOT NULL, document_type TEXT NOT NULL,
        date TEXT NOT NULL, current INTEGER NOT NULL, PRIMARY KEY (doc, version)) WITHOUT ROWID;
      ${PARTITIONS_TABLE};
    `);
      db.exec(QUERY_INDEXES);
      if (listPartitions(db).length === 0) createPartition(db, 0, 1);
      else FEWER_MERGES.reset(db);
    },

    replaySettings: FEWER_MERGES,

    // Where events are decoded (in a replay, not the thread that writes): the OCR texts checked.
    prepare(event) {
      if (event.type === 'OcrCompleted' && event.phiReadable && Array.isArray(event.data.pageTexts) && pagesAsTheyAre(event.data.pageTexts))
        return PAGES_AS_THEY_ARE;
      return undefined;
    },

    // What apply reads of each event's data: a replay thread of projections that all say so is sent no more.
    reads: {
      RecordCreated: ['recordId', 'title', 'patientName', 'mrn', 'documentType', 'encounterDate', 'createdAt'],
      RecordAmended: ['recordId', 'version', 'content', 'title', 'documentType', 'encounterDate'],
      OcrCompleted: ['recordId', 'version', 'pageTexts'],
      RecordDestroyed: ['recordId'],
    },

    queryIndexes: {
      drop: (db) => db.exec('DROP INDEX IF EXISTS search_rows_mrn; DROP INDEX IF EXISTS search_rows_date'),
      create: (db) => db.exec(QUERY_INDEXES),
    },

    drop(db) {
      dropPartitions(db);
      db.exec('DROP TABLE IF EXISTS search_rows; DROP TABLE IF EXISTS search_versions; DROP TABLE IF EXISTS search_records');
    },

    apply(db, event) {
      const w = writes(db);
      w.apply(event);
      w.flush();
    },

    // A replay's batch: the same writes as apply() event by event, fewer statements (SearchWrites).
    applyBatch(db, events) {
      const w = writes(db);
      for (const event of events) w.apply(event);
      w.flush();
    },

    purge(db, recordId) {
      writes(db).purge(recordId);
    },
  };
}

export const searchProjection = createSearchProjection();
