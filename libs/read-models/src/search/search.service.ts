import type Database from 'better-sqlite3';
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { normalizeMrn } from '../content-index.projection';
import { listPartitions, Partition, partitionOf, rankSql } from './search-partitions';
import { monthFacet, mrnFacet, SearchVersionRow, typeFacet, yearFacet } from './search.projection';

/**
 * At most this many matching rows are ranked. A query matching more (a very common word) is ranked
 * among its most recently indexed matches only, and says so (`approximate`): BM25 costs a few
 * microseconds per match, so ranking 100,000 matches would take a third of a second. The walk
 * back goes partition by partition (search-partitions.ts), each ranked with its own statistics.
 */
export const RANKED_CANDIDATES = 2000;
/** A date range is narrowed inside FTS5 by year and month tokens when it needs at most this many. */
const MAX_DATE_FACETS = 48;

export interface SearchFilters {
  mrn?: string;
  documentType?: string;
  /** Inclusive, YYYY-MM-DD. */
  from?: string;
  to?: string;
  /** Every version, not only the current one. */
  allVersions?: boolean;
}

export interface SearchRequest extends SearchFilters {
  /** The MATCH expression (parseSearchQuery(text).fts), or undefined for filters only. */
  fts?: string;
  limit: number;
  cursor?: string;
  /** What the cursor is bound to (the user's text, normalised): a cursor only continues the same search. */
  fingerprint: string;
  /**
   * For a caller who may not read the documents' text: results carry no snippet and no page, and
   * a text query (`fts`) is refused (a match on a word would reveal it).
   */
  metadataOnly?: boolean;
}

export interface SearchHit {
  recordId: string;
  version: number;
  /** The page the text matched on; null when the version's metadata (title, patient name, MRN) matched. */
  page: number | null;
  title: string;
  mrn: string;
  patientName: string;
  documentType: string;
  /** BM25 relevance, higher is better; null for a search by filters only. */
  score: number | null;
  /** HTML-escaped text around the hits, each hit in <mark>…</mark>; null for a metadata-only search. */
  snippet: string | null;
  date: string;
  current: boolean;
}

export interface SearchPage {
  results: SearchHit[];
  nextCursor: string | null;
  /** True when more than RANKED_CANDIDATES rows matched: the best among the most recent of them. */
  approximate: boolean;
}

export class InvalidCursorError extends Error {
  constructor() {
    super('The cursor is not one this search returned');
    this.name = 'InvalidCursorError';
  }
}

/** Where a page ends: rank and row id (and the candidate floor of an approximate search), or date and row id. */
type Position = { k: 'r'; rank: number; id: number; floor?: number } | { k: 'd'; date: string; id: number };

/**
 * Row ids are bound as SQLite INTEGERs: better-sqlite3 binds a JS number as REAL, and FTS5 then
 * cannot use a rowid constraint (it scans every match; with `=` it even returns other rows).
 */
const rowid = (id: number): bigint => BigInt(id);

const START = '\u0001';
const END = '\u0002';
const SNIPPET_TOKENS = 16;

const escapeHtml = (text: string): string => text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

/** FTS5 snippet() with sentinel markers -> escaped HTML with <mark>. */
export function markSnippet(raw: string): string {
  return escapeHtml(raw).replaceAll(START, '<mark>').replaceAll(END, '</mark>');
}

/**
 * Whether an FTS5 expression holds a prefix term (`"abc"*`): a string's closing quote followed by
 * `*` (a quote inside a string is doubled). FTS5 expands a prefix into every matching term's
 * doclist each time the MATCH is set up, and `rowid IN (…)` sets it up once per value: the
 * details of such a query are read in one pass over the page's rowid range instead.
 */
export function hasPrefixTerm(fts: string): boolean {
  let inString = false;
  for (let i = 0; i < fts.length; i++) {
    if (fts[i] !== '"') continue;
    if (!inString) inString = true;
    else if (fts[i + 1] === '"') i++;
    else {
      inString = false;
      if (fts[i + 1] === '*') return true;
    }
  }
  return false;
}

interface IdRow {
  id: number;
  rank?: number;
  date?: string;
}

interface Candidate {
  id: number;
  rank: number;
  doc: number;
  version: number;
}

/** A result row's version columns (search_versions) with the row's own: its page and snippets. */
type DetailRow = Omit<SearchVersionRow, 'doc' | 'text_version'> & {
  id: number;
  page: number | null;
  snippet: string | null;
  /** A page row's snippet of its own text (null for a metadata row). */
  body_snippet?: string | null;
};

/**
 * Queries the search read model. Two steps: the page of row ids in rank order (keyset on
 * (rank, rowid)), then snippets and metadata for those rows only — snippet() costs far more
 * than ranking and must not run for every match.
 */
export class SearchService {
  private readonly statements = new Map<string, Database.Statement>();

  /** Cursors are MACed, not encrypted: they hold a rank and a row id, no PHI. Without a key, one per process. */
  constructor(
    private readonly db: Database.Database,
    private readonly cursorKey: Buffer = randomBytes(32),
    private readonly rankedCandidates = RANKED_CANDIDATES,
  ) {}

  /**
   * Each step reads its own snapshot (no transaction around them: under bench:load's mixed load, a
   * read transaction per search cost ~65 MB more peak RSS). A partition started between the steps
   * is searched next time; a row destroyed between them has no details and is left out.
   */
  search(request: SearchRequest): SearchPage {
    if (request.metadataOnly && request.fts !== undefined) throw new TypeError('A metadata-only search cannot match text');
    const limit = request.limit;
    const after = request.cursor !== undefined ? this.openCursor(request.cursor, request) : undefined;
    const ranked = request.fts !== undefined ? this.rankedIds(request, after, limit + 1) : undefined;
    const ids = ranked ? ranked.ids : this.filteredIds(request, after, limit + 1);
    const page = ids.slice(0, limit);
    const details = this.details(
      request.fts,
      page.map((r) => r.id),
    );
    const results: SearchHit[] = [];
    for (const row of page) {
      const d = details.get(row.id);
      if (!d) continue;
      // A page is named only when its own text holds a hit; otherwise the version matched by its metadata.
      const pageHit = d.page !== null && typeof d.body_snippet === 'string' && d.body_snippet.includes(START);
      const snippet = pageHit ? d.body_snippet! : d.snippet;
      results.push({
        recordId: d.record_id,
        version: d.version,
        page: pageHit ? d.page : null,
        title: d.title,
        mrn: d.mrn,
        patientName: d.patient_name,
        documentType: d.document_type,
        score: row.rank !== undefined ? Math.round(-row.rank * 1e4) / 1e4 : null,
        snippet: request.metadataOnly ? null : snippet !== null ? markSnippet(snippet) : escapeHtml(d.title),
        date: d.date,
        current: d.current === 1,
      });
    }
    const last = page[page.length - 1];
    const nextCursor =
      ids.length > limit && last
        ? this.sealCursor(
            last.rank !== undefined
              ? { k: 'r', rank: last.rank, id: last.id, ...(ranked?.floor !== undefined ? { floor: ranked.floor } : {}) }
              : { k: 'd', date: last.date!, id: last.id },
            request,
          )
        : null;
    return { results, nextCursor, approximate: ranked?.floor !== undefined };
  }

  private filterSql(request: SearchFilters, params: unknown[]): string {
    let sql = '';
    if (!request.allVersions) sql += ' AND r.current = 1';
    if (request.mrn !== undefined) {
      sql += ' AND r.mrn = ?';
      params.push(normalizeMrn(request.mrn));
    }
    if (request.documentType !== undefined) {
      sql += ' AND r.document_type = ?';
      params.push(request.documentType);
    }
    if (request.from !== undefined) {
      sql += ' AND r.date >= ?';
      params.push(request.from);
    }
    if (request.to !== undefined) {
      sql += ' AND r.date <= ?';
      params.push(request.to);
    }
    return sql;
  }

  /**
   * The filters as FTS5 constraints on the `facets` and `mrn` columns, ANDed to the text query, so
   * that FTS5 only visits rows that pass them. The exact filters still run in SQL (filterSql) on
   * what comes back: a month token covers a whole month, an MRN token ignores separators.
   */
  private facetExpression(request: SearchFilters): string {
    // No token for "current": bm25() computes every phrase's IDF over its whole doclist, and that
    // one would be in nearly every row. Current versions are selected in SQL (filterSql).
    const parts: string[] = [];
    if (request.documentType !== undefined) parts.push(`{facets} : "${typeFacet(request.documentType)}"`);
    if (request.mrn !== undefined) {
      const token = mrnFacet(normalizeMrn(request.mrn));
      if (token) parts.push(`{mrn} : "${token}"`);
    }
    const dates = dateFacets(request.from, request.to);
    if (dates) parts.push(`{facets} : (${dates.map((t) => `"${t}"`).join(' OR ')})`);
    return parts.map((p) => ` AND ${p}`).join('');
  }

  private rankedIds(request: SearchRequest, after: Position | undefined, limit: number): { ids: IdRow[]; floor?: number } {
    if (after && after.k !== 'r') throw new InvalidCursorError();
    const match = `(${request.fts})${this.facetExpression(request)}`;
    const exactParams: unknown[] = [];
    const exact = this.filterSql({ ...request, documentType: undefined }, exactParams);

    // The candidates: the most recent RANKED_CANDIDATES matches, newest partition first (FTS5 walks
    // each doclist by rowid, newest first, and stops there), ranked in the same pass. A later page
    // keeps the first page's candidate floor, so that it ranks the same candidates (plus any indexed since).
    const candidates: Candidate[] = [];
    const partitions = listPartitions(this.db);
    for (let i = partitions.length - 1; i >= 0; i--) {
      const partition = partitions[i];
      const next = partitions[i + 1];
      if (after?.floor !== undefined && next !== undefined && next.firstId <= after.floor) break;
      const remaining = after ? undefined : this.rankedCandidates - candidates.length;
      candidates.push(...this.candidatesIn(partition, match, exact, exactParams, after?.floor, remaining));
      if (remaining !== undefined && candidates.length >= this.rankedCandidates) break;
    }

    // One result per version: its best row (the lowest rank, then the lowest id).
    const best = new Map<string, Candidate>();
    for (const c of candidates) {
      const key = `${c.doc}:${c.version}`;
      const kept = best.get(key);
      if (!kept || c.rank < kept.rank || (c.rank === kept.rank && c.id < kept.id)) best.set(key, c);
    }
    let ranked = [...best.values()];
    if (after) ranked = ranked.filter((c) => c.rank > after.rank || (c.rank === after.rank && c.id > after.id));
    ranked.sort((a, b) => a.rank - b.rank || a.id - b.id);
    // Exactly RANKED_CANDIDATES candidates on a first page: there may be more; the rest are older than the floor.
    const lowest = candidates.reduce((min, c) => Math.min(min, c.id), Infinity);
    const floor = after ? after.floor : candidates.length >= this.rankedCandidates ? lowest : undefined;
    return { ids: ranked.slice(0, limit).map(({ id, rank }) => ({ id, rank })), floor };
  }

  /**
   * A partition's matches that pass the exact filters, newest first, with their rank: at most
   * `limit`, or all from `floor` up.
   */
  private candidatesIn(partition: Partition, match: string, exact: string, exactParams: unknown[], floor?: number, limit?: number): Candidate[] {
    const fts = partition.table;
    // CROSS JOIN keeps FTS5 as the outer loop: driven from search_rows, FTS5 would re-run the MATCH for every row.
    let sql = `SELECT ${fts}.rowid AS id, ${rankSql(fts)} AS rank, r.doc AS doc, r.version AS version
      FROM ${fts} CROSS JOIN search_rows r ON r.id = ${fts}.rowid WHERE ${fts} MATCH ?${exact}`;
    const params: unknown[] = [match, ...exactParams];
    if (floor !== undefined) {
      sql += ` AND ${fts}.rowid >= ?`;
      params.push(rowid(floor));
    }
    if (limit !== undefined) {
      sql += ` ORDER BY ${fts}.rowid DESC LIMIT ?`;
      params.push(limit);
    }
    return this.prepare(sql).all(...params) as Candidate[];
  }

  /** No text: each version's metadata row, newest date first. */
  private filteredIds(request: SearchRequest, after: Position | undefined, limit: number): IdRow[] {
    const params: unknown[] = [];
    let sql = 'SELECT r.id AS id, r.date AS date FROM search_rows r WHERE r.page IS NULL';
    sql += this.filterSql(request, params);
    if (after) {
      if (after.k !== 'd') throw new InvalidCursorError();
      sql += ' AND (r.date < ? OR (r.date = ? AND r.id < ?))';
      params.push(after.date, after.date, after.id);
    }
    sql += ' ORDER BY r.date DESC, r.id DESC LIMIT ?';
    params.push(limit);
    return this.prepare(sql).all(...params) as IdRow[];
  }

  private details(fts: string | undefined, ids: number[]): Map<number, DetailRow> {
    if (ids.length === 0) return new Map();
    const columns = `r.id AS id, v.record_id, r.version, r.page, v.title, v.patient_name, v.mrn, v.document_type, r.date, r.current`;
    const placeholders = ids.map(() => '?').join(', ');
    if (fts === undefined) {
      const sql = `SELECT ${columns}, NULL AS snippet FROM search_rows r
        JOIN search_versions v ON v.doc = r.doc AND v.version = r.version
        WHERE r.id IN (${placeholders})`;
      return new Map((this.prepare(sql).all(...ids) as DetailRow[]).map((r) => [r.id, r]));
    }
    const partitions = listPartitions(this.db);
    const byPartition = new Map<Partition, number[]>();
    for (const id of ids) {
      const partition = partitionOf(partitions, id);
      const inPartition = byPartition.get(partition);
      if (inPartition) inPartition.push(id);
      else byPartition.set(partition, [id]);
    }
    const details = new Map<number, DetailRow>();
    for (const [partition, inPartition] of byPartition) {
      for (const row of this.detailsIn(partition.table, fts, columns, inPartition)) details.set(row.id, row);
    }
    return details;
  }

  private detailsIn(table: string, fts: string, columns: string, ids: number[]): DetailRow[] {
    const placeholders = ids.map(() => '?').join(', ');
    const onePass = hasPrefixTerm(fts);
    const rows = onePass ? `${table}.rowid BETWEEN ? AND ? AND +${table}.rowid IN (${placeholders})` : `${table}.rowid IN (${placeholders})`;
    const sql = `SELECT ${columns},
        CASE WHEN r.page IS NULL THEN NULL ELSE snippet(${table}, 3, char(1), char(2), '…', ${SNIPPET_TOKENS}) END AS body_snippet,
        snippet(${table}, -1, char(1), char(2), '…', ${SNIPPET_TOKENS}) AS snippet
      FROM ${table} CROSS JOIN search_rows r ON r.id = ${table}.rowid
      CROSS JOIN search_versions v ON v.doc = r.doc AND v.version = r.version
      WHERE ${table} MATCH ? AND ${rows}`;
    const range = onePass ? [rowid(Math.min(...ids)), rowid(Math.max(...ids))] : [];
    return this.prepare(sql).all(fts, ...range, ...ids.map(rowid)) as DetailRow[];
  }

  private prepare(sql: string): Database.Statement {
    let statement = this.statements.get(sql);
    if (!statement) {
      statement = this.db.prepare(sql);
      if (this.statements.size > 200) this.statements.clear();
      this.statements.set(sql, statement);
    }
    return statement;
  }

  private mac(payload: string, request: SearchRequest): Buffer {
    const binding = JSON.stringify([
      request.fingerprint,
      request.mrn ?? null,
      request.documentType ?? null,
      request.from ?? null,
      request.to ?? null,
      !!request.allVersions,
    ]);
    return createHmac('sha256', this.cursorKey).update(payload).update('\0').update(binding).digest().subarray(0, 16);
  }

  private sealCursor(position: Position, request: SearchRequest): string {
    const payload = Buffer.from(JSON.stringify(position)).toString('base64url');
    return `${payload}.${this.mac(payload, request).toString('base64url')}`;
  }

  private openCursor(cursor: string, request: SearchRequest): Position {
    const match = /^([A-Za-z0-9_-]{1,200})\.([A-Za-z0-9_-]{22})$/.exec(cursor);
    if (!match) throw new InvalidCursorError();
    const expected = this.mac(match[1], request);
    const given = Buffer.from(match[2], 'base64url');
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) throw new InvalidCursorError();
    const position = JSON.parse(Buffer.from(match[1], 'base64url').toString('utf8')) as Position;
    return position;
  }
}

/**
 * Year and month tokens covering [from, to] (whole years as one token), or null when the range is
 * open or would need too many tokens: then only the exact SQL filter applies.
 */
export function dateFacets(from?: string, to?: string): string[] | null {
  if (from === undefined || to === undefined || to < from) return null;
  const facets: string[] = [];
  let year = Number(from.slice(0, 4));
  let month = Number(from.slice(5, 7));
  const endYear = Number(to.slice(0, 4));
  const endMonth = Number(to.slice(5, 7));
  while (year < endYear || (year === endYear && month <= endMonth)) {
    if (month === 1 && (year < endYear || endMonth === 12)) {
      facets.push(yearFacet(String(year).padStart(4, '0')));
      year += 1;
    } else {
      facets.push(monthFacet(`${String(year).padStart(4, '0')}-${String(month).padStart(2, '0')}`));
      month += 1;
      if (month > 12) {
        month = 1;
        year += 1;
      }
    }
    if (facets.length > MAX_DATE_FACETS) return null;
  }
  return facets;
}
