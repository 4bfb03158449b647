import type { PurposeOfUse, Role } from '../shared/roles';

/**
 * Queries over many patients' data that are audited as one fact each: a search, a disclosures
 * report, and an auditor's reading of a day's query audit itself (its entries quote searches).
 */
export type AuditedQueryKind = 'search' | 'disclosures' | 'query-audit';

/**
 * Appended to `query-audit-<YYYY-MM-DD>` (one stream per day, sealed with that day's key, so that
 * the audit trail of queries can itself be retained and shredded by day). Who asked, when, with
 * which filters, and how many results came back. The query text and the MRN are PHI.
 */
export interface PatientDataQueried {
  type: 'PatientDataQueried';
  data: {
    queryId: string;
    kind: AuditedQueryKind;
    actor: string;
    role: Role | 'system';
    purpose: PurposeOfUse;
    at: string;
    /** Filters without PHI (document type, date range, versions, page size). */
    filters: Record<string, string | number | boolean>;
    resultCount: number;
    /** PHI: the free text asked for. */
    text?: string;
    /** PHI: the patient asked about. */
    mrn?: string;
    /** PHI: why the glass was broken, for a query declared `emergency` (X-Emergency-Justification). */
    justification?: string;
  };
}

export const QUERY_AUDIT_PHI_FIELDS: Record<PatientDataQueried['type'], readonly string[]> = {
  PatientDataQueried: ['text', 'mrn', 'justification'],
};

/** The day (UTC, YYYY-MM-DD) whose query audit holds a query made at `at` (an ISO instant). */
export const queryAuditDay = (at: string): string => at.slice(0, 10);

/** Stream and key id of a day's query audit. */
export const queryAuditStream = (at: string): string => `query-audit-${queryAuditDay(at)}`;
