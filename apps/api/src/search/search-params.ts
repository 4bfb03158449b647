import { CALENDAR_DATE_RULE, DomainError, FieldError, isCalendarDate, isDocumentType, isMrn, MRN_RULE } from '@medrec/domain';
import { MAX_QUERY_LENGTH, MAX_QUERY_TERMS, parseSearchQuery } from '@medrec/read-models';

export const DEFAULT_LIMIT = 20;
export const MAX_LIMIT = 100;

/** The parsed query string of GET /api/search. */
export interface SearchParams {
  /** The user's text, as typed (PHI: audited sealed, never logged). */
  text?: string;
  /** The safe FTS5 MATCH expression built from it. */
  fts?: string;
  mrn?: string;
  documentType?: string;
  from?: string;
  to?: string;
  allVersions: boolean;
  limit: number;
  cursor?: string;
}

const KNOWN = new Set(['q', 'mrn', 'documentType', 'from', 'to', 'limit', 'cursor', 'versions', 'after']);

/**
 * Validates every parameter; 400 (problem+json) for anything wrong. Messages never quote the
 * values: they may be PHI (a name, an MRN).
 */
export function parseSearchParams(query: Record<string, unknown>): SearchParams {
  const errors: FieldError[] = [];
  const one = (name: string): string | undefined => {
    const value = query[name];
    if (value === undefined) return undefined;
    if (typeof value !== 'string') {
      errors.push({ field: name, message: 'must be given once, as a string' });
      return undefined;
    }
    return value === '' ? undefined : value;
  };
  for (const name of Object.keys(query)) if (!KNOWN.has(name)) errors.push({ field: name, message: 'is not a parameter of search' });

  const params: SearchParams = { allVersions: false, limit: DEFAULT_LIMIT };
  const text = one('q');
  if (text !== undefined) {
    const parsed = parseSearchQuery(text);
    if (parsed.ok) {
      params.text = text;
      params.fts = parsed.fts;
    } else if (parsed.reason === 'too-long') {
      errors.push({ field: 'q', message: `must be at most ${MAX_QUERY_LENGTH} characters` });
    } else if (parsed.reason === 'too-many-terms') {
      errors.push({ field: 'q', message: `has too many terms (at most ${MAX_QUERY_TERMS})` });
    } else if (parsed.reason === 'only-negative') {
      errors.push({ field: 'q', message: 'needs at least one term that is not excluded (NOT or -)' });
    } else {
      params.text = text; // nothing searchable: refused below unless a filter remains
    }
  }
  const mrn = one('mrn');
  if (mrn !== undefined) {
    // The MRN rule of records themselves: a filter no record could match is a mistake to report.
    if (isMrn(mrn.trim())) params.mrn = mrn.trim();
    else errors.push({ field: 'mrn', message: MRN_RULE });
  }
  const documentType = one('documentType');
  if (documentType !== undefined) {
    if (isDocumentType(documentType)) params.documentType = documentType;
    else errors.push({ field: 'documentType', message: 'must be one of the document types' });
  }
  for (const name of ['from', 'to'] as const) {
    const value = one(name);
    if (value === undefined) continue;
    if (isCalendarDate(value)) params[name] = value;
    else errors.push({ field: name, message: CALENDAR_DATE_RULE });
  }
  if (params.from && params.to && params.from > params.to) errors.push({ field: 'from', message: 'must not be after to' });
  const limit = one('limit');
  if (limit !== undefined) {
    if (/^\d{1,3}$/.test(limit) && Number(limit) >= 1 && Number(limit) <= MAX_LIMIT) params.limit = Number(limit);
    else errors.push({ field: 'limit', message: `must be an integer from 1 to ${MAX_LIMIT}` });
  }
  const cursor = one('cursor');
  if (cursor !== undefined) {
    if (cursor.length <= 300) params.cursor = cursor;
    else errors.push({ field: 'cursor', message: 'is not a cursor this search returned' });
  }
  const versions = one('versions');
  if (versions !== undefined) {
    if (versions === 'all' || versions === 'current') params.allVersions = versions === 'all';
    else errors.push({ field: 'versions', message: 'must be current or all' });
  }
  one('after'); // validated by parseAfter
  if (errors.length === 0 && params.fts === undefined && !params.mrn && !params.documentType && !params.from && !params.to) {
    errors.push({ field: 'q', message: 'give words to search for, or at least one filter (mrn, documentType, from, to)' });
  }
  if (errors.length > 0) throw DomainError.invalid(errors);
  return params;
}
