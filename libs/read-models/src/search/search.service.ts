import type Database from 'better-sqlite3';
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { normalizeMrn } from '../content-index.projection';

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
  /** The MATCH expression (searchMatch(parseSearchQuery(text))), or undefined for filters only. */
  fts?: string;
  limit: number;
  cursor?: string;
  /** What the cursor is bound to (the user's text, normalised): a cursor only continues the same search. */
  fingerprint: string;
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
  /** HTML-escaped text around the hits, each hit in <mark>…</mark>. */
  snippet: string;
  date: string;
  current: boolean;
}

export interface SearchPage {
  results: SearchHit[];
  nextCursor: string | null;
}

export class InvalidCursorError extends Error {
  constructor() {
    super('The cursor is not one this search returned');
    this.name = 'InvalidCursorError';
  }
}

type Position = { k: 'r'; rank: number; id: number } | { k: 'd'; date: string; id: number };

const START = '\u0001';
const END = '\u0002';
const SNIPPET_TOKENS = 16;

const escapeHtml = (text: string): string => text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

/** FTS5 snippet() with sentinel markers -> escaped HTML with <mark>. */
export function markSnippet(raw: string): string {
  return escapeHtml(raw).replaceAll(START, '<mark>').replaceAll(END, '</mark>');
}

interface IdRow {
  id: number;
  rank?: number;
  date?: string;
}

interface DetailRow {
  id: number;
  record_id: string;
  version: number;
  page: number | null;
  title: string;
  patient_name: string;
  mrn: string;
  document_type: string;
  date: string;
  current: number;
  snippet: string | null;
}

/**
 * Queries the search read model. Two steps: the page of row ids in rank order (keyset on
 * (rank, rowid)), then snippets and metadata for those rows only — snippet() costs far more
 * than ranking and must not run for every match.
 */
export class SearchService {
  private readonly statements = new Map<string, Database.Statement>();

  /** Cursors are MACed (not encrypted: they hold a rank and a row id, no PHI) with a per-process key. */
  constructor(
    private readonly db: Database.Database,
    private readonly cursorKey: Buffer = randomBytes(32),
  ) {}

  search(request: SearchRequest): SearchPage {
    const limit = request.limit;
    const after = request.cursor !== undefined ? this.openCursor(request.cursor, request) : undefined;
    const ids = request.fts !== undefined ? this.rankedIds(request, after, limit + 1) : this.filteredIds(request, after, limit + 1);
    const page = ids.slice(0, limit);
    const details = this.details(request.fts, page.map((r) => r.id));
    const results: SearchHit[] = [];
    for (const row of page) {
      const d = details.get(row.id);
      if (!d) continue;
      results.push({
        recordId: d.record_id,
        version: d.version,
        page: d.page,
        title: d.title,
        mrn: d.mrn,
        patientName: d.patient_name,
        documentType: d.document_type,
        score: row.rank !== undefined ? Math.round(-row.rank * 1e4) / 1e4 : null,
        snippet: d.snippet !== null ? markSnippet(d.snippet) : escapeHtml(d.title),
        date: d.date,
        current: d.current === 1,
      });
    }
    const last = page[page.length - 1];
    const nextCursor =
      ids.length > limit && last
        ? this.sealCursor(last.rank !== undefined ? { k: 'r', rank: last.rank, id: last.id } : { k: 'd', date: last.date!, id: last.id }, request)
        : null;
    return { results, nextCursor };
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

  private rankedIds(request: SearchRequest, after: Position | undefined, limit: number): IdRow[] {
    const params: unknown[] = [request.fts];
    let sql = 'SELECT search_fts.rowid AS id, search_fts.rank AS rank FROM search_fts JOIN search_rows r ON r.id = search_fts.rowid WHERE search_fts MATCH ?';
    sql += this.filterSql(request, params);
    if (after) {
      if (after.k !== 'r') throw new InvalidCursorError();
      sql += ' AND (search_fts.rank > ? OR (search_fts.rank = ? AND search_fts.rowid > ?))';
      params.push(after.rank, after.rank, after.id);
    }
    sql += ' ORDER BY search_fts.rank, search_fts.rowid LIMIT ?';
    params.push(limit);
    return this.prepare(sql).all(...params) as IdRow[];
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
    const columns = `r.id AS id, r.record_id, r.version, r.page, v.title, v.patient_name, v.mrn, v.document_type, r.date, r.current`;
    const placeholders = ids.map(() => '?').join(', ');
    const rows =
      fts !== undefined
        ? (this.prepare(
            `SELECT ${columns},
               CASE WHEN r.page IS NULL THEN snippet(search_fts, -1, char(1), char(2), '…', ${SNIPPET_TOKENS})
                    ELSE snippet(search_fts, 3, char(1), char(2), '…', ${SNIPPET_TOKENS}) END AS snippet
             FROM search_fts JOIN search_rows r ON r.id = search_fts.rowid
             JOIN search_versions v ON v.record_id = r.record_id AND v.version = r.version
             WHERE search_fts MATCH ? AND search_fts.rowid IN (${placeholders})`,
          ).all(fts, ...ids) as DetailRow[])
        : (this.prepare(
            `SELECT ${columns}, NULL AS snippet FROM search_rows r
             JOIN search_versions v ON v.record_id = r.record_id AND v.version = r.version
             WHERE r.id IN (${placeholders})`,
          ).all(...ids) as DetailRow[]);
    return new Map(rows.map((r) => [r.id, r]));
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
    const binding = JSON.stringify([request.fingerprint, request.mrn ?? null, request.documentType ?? null, request.from ?? null, request.to ?? null, !!request.allVersions]);
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
