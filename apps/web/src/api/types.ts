/**
 * The bodies the web app reads, as docs/api.md describes them. The OpenAPI document does not yet
 * describe response bodies, so these are named here; requests (paths, parameters, bodies) are
 * typed from the generated schema.
 */
export type Purpose = 'treatment' | 'payment' | 'operations' | 'legal' | 'patient-request' | 'audit' | 'emergency';

export interface Me {
  userId: string;
  username: string;
  roles: string[];
  permissions: string[];
  purposes: Purpose[];
}

export interface TokenAnswer {
  accessToken: string;
  expiresIn: number;
}

export interface SearchHit {
  recordId: string;
  version: number;
  page: number | null;
  title: string;
  mrn: string;
  patientName: string;
  documentType: string;
  score: number | null;
  /** Escaped HTML with hits in <mark>; null for a search by metadata only. */
  snippet: string | null;
  /** The encounter date, else the creation date (YYYY-MM-DD). */
  date: string;
  current: boolean;
}

export interface SearchAnswer {
  results: SearchHit[];
  nextCursor: string | null;
}

export interface VersionView {
  version: number;
  kind: string;
  reason: string | null;
  createdBy: string;
  createdAt: string;
  sha256: string;
  contentType: string;
  pages: number | null;
  ocr: { status: 'pending' | 'done' | 'failed'; meanConfidence?: number; reason?: string };
}

export interface RecordView {
  id: string;
  mrn: string;
  patientName: string;
  dateOfBirth: string;
  documentType: string;
  title: string;
  encounterDate?: string | null;
  status: 'active' | 'archived' | 'destroyed';
  currentVersion: number;
  versions: VersionView[];
  holds: { holdId: string; matter: string }[];
  revision: number;
}

export interface PageText {
  page: number;
  text: string;
  confidence: number;
  words?: { text: string; confidence: number; bbox: { x0: number; y0: number; x1: number; y1: number } }[];
}

export interface TimelineEntry {
  at: string;
  type: string;
  actor: string;
  role?: string;
  purpose?: string | null;
  version?: number | null;
  summary: string;
}

export interface HistoryAnswer {
  versions: VersionView[];
  timeline: TimelineEntry[];
  nextCursor?: string | null;
}

export interface DiffAnswer {
  hunks: { op: 'equal' | 'insert' | 'delete'; text: string }[];
}

export interface CreatedRecord {
  id: string;
  version: number;
  revision: number;
  position: number;
  sha256: string;
  duplicateOf?: string;
}
