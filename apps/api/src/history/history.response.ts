import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { ChainBreak, TextOcr, VersionView } from '../records/dto/record.response';

/** The bodies the history routes answer (OpenAPI only). */

const TIMELINE_TYPES = [
  'created',
  'amended',
  'ocr-completed',
  'ocr-failed',
  'accessed',
  'released',
  'hold-placed',
  'hold-lifted',
  'archived',
  'destruction-approved',
  'amendment-requested',
  'amendment-statement',
];

export class TimelineEntry {
  @ApiProperty({ type: 'integer', description: "The event's position in the log" })
  position: number;

  @ApiProperty({ format: 'date-time' })
  at: string;

  @ApiProperty({ enum: TIMELINE_TYPES })
  type: string;

  @ApiProperty()
  actor: string;

  @ApiProperty()
  role: string;

  @ApiProperty({ type: String, nullable: true })
  purpose: string | null;

  @ApiProperty({ type: 'integer', nullable: true })
  version: number | null;

  @ApiProperty({ description: 'What happened, in words' })
  summary: string;

  @ApiProperty({ type: 'object', additionalProperties: true, description: "The event's own facts (kind, reason, recipient, holdId, what was read...)" })
  details: Record<string, unknown>;
}

/** GET /api/records/:id/history: every version, and the timeline a page at a time. */
export class RecordHistory {
  @ApiProperty({ format: 'uuid' })
  id: string;

  @ApiProperty({ enum: ['active', 'archived'] })
  status: string;

  @ApiProperty({ type: 'integer' })
  currentVersion: number;

  @ApiProperty({ type: [VersionView] })
  versions: VersionView[];

  @ApiProperty({ type: [TimelineEntry] })
  timeline: TimelineEntry[];

  @ApiProperty({ type: String, nullable: true, description: 'More entries follow: pass it as `?cursor=`' })
  nextCursor: string | null;
}

export class DiffSide {
  @ApiProperty({ type: 'integer' })
  version: number;

  @ApiProperty({ type: () => TextOcr })
  ocr: TextOcr;
}

export class DiffHunk {
  @ApiProperty({ enum: ['equal', 'insert', 'delete'] })
  op: 'equal' | 'insert' | 'delete';

  @ApiProperty()
  text: string;
}

/** GET /api/records/:id/versions/:a/diff/:b: a word diff of the recognised texts. */
export class VersionDiff {
  @ApiProperty({ type: () => DiffSide })
  a: DiffSide;

  @ApiProperty({ type: () => DiffSide })
  b: DiffSide;

  @ApiProperty({ description: 'False while either version has no recognised text (hunks is then empty)' })
  complete: boolean;

  @ApiProperty({ description: 'False when the texts were too different to diff in time: all of a deleted, all of b inserted' })
  exact: boolean;

  @ApiProperty({ type: [DiffHunk] })
  hunks: DiffHunk[];
}

export class AccessEntry {
  @ApiProperty({ type: 'integer' })
  position: number;

  @ApiProperty({ format: 'date-time' })
  at: string;

  @ApiProperty()
  actor: string;

  @ApiProperty()
  role: string;

  @ApiProperty()
  purpose: string;

  @ApiProperty({ type: 'integer', nullable: true })
  version: number | null;

  @ApiProperty({ description: 'What was read (record, content, text, history...)' })
  what: string;

  @ApiProperty({ format: 'uuid' })
  accessId: string;
}

/** GET /api/records/:id/accesses. */
export class RecordAccesses {
  @ApiProperty({ type: [AccessEntry] })
  accesses: AccessEntry[];

  @ApiProperty({ type: String, nullable: true, description: 'More entries follow: pass it as `?cursor=`' })
  nextCursor: string | null;
}

export class DisclosureRecipient {
  @ApiProperty()
  name: string;

  @ApiProperty({ type: String, nullable: true })
  address: string | null;
}

export class Disclosure {
  @ApiProperty({ format: 'date-time', description: 'When the record was released' })
  date: string;

  @ApiProperty({ type: () => DisclosureRecipient })
  recipient: DisclosureRecipient;

  @ApiProperty()
  description: string;

  @ApiProperty()
  purpose: string;

  @ApiProperty({ format: 'uuid' })
  recordId: string;

  @ApiProperty({ type: 'integer', isArray: true })
  versions: number[];

  @ApiProperty({ format: 'uuid' })
  releaseId: string;

  @ApiProperty()
  documentType: string;

  @ApiProperty()
  authorizationReference: string;

  @ApiProperty()
  releasedBy: string;
}

/** GET /api/patients/:mrn/disclosures as JSON. */
export class PatientDisclosures {
  @ApiProperty({ format: 'date-time' })
  from: string;

  @ApiProperty({ format: 'date-time' })
  to: string;

  @ApiProperty({ type: [Disclosure] })
  disclosures: Disclosure[];
}

export class RecordCountsByStatus {
  @ApiProperty({ type: 'integer' })
  active: number;

  @ApiProperty({ type: 'integer' })
  archived: number;

  @ApiProperty({ type: 'integer' })
  destroyed: number;
}

export class RecordCounts {
  @ApiProperty({ type: 'integer', description: 'Records held (active and archived)' })
  total: number;

  @ApiProperty({ type: () => RecordCountsByStatus })
  byStatus: RecordCountsByStatus;

  @ApiProperty({ type: 'object', additionalProperties: { type: 'integer' }, description: 'Records held, by current document type' })
  byType: Record<string, number>;
}

export class PageCounts {
  @ApiProperty({ type: 'integer', description: 'Pages of every stored upload of the records held' })
  stored: number;

  @ApiProperty({ type: 'integer', description: 'Pages of the current version of each record held' })
  current: number;
}

export class UploadsOfDay {
  @ApiProperty({ format: 'date' })
  day: string;

  @ApiProperty({ type: 'integer' })
  uploads: number;

  @ApiProperty({ type: 'integer' })
  pages: number;
}

export class OcrCounts {
  @ApiProperty({ type: 'integer', description: 'The OCR backlog' })
  pending: number;

  @ApiProperty({ type: 'integer' })
  done: number;

  @ApiProperty({ type: 'integer' })
  failed: number;

  @ApiProperty({ type: Number, nullable: true, description: '0-100; null when nothing is recognised' })
  meanConfidence: number | null;
}

export class EncountersOfMonth {
  @ApiProperty({ example: '2026-03', description: 'YYYY-MM' })
  month: string;

  @ApiProperty({ type: 'integer' })
  records: number;
}

/** GET /api/stats: counts only, no patient data. */
export class RecordStats {
  @ApiProperty({ type: () => RecordCounts })
  records: RecordCounts;

  @ApiProperty({ type: () => PageCounts })
  pages: PageCounts;

  @ApiProperty({ type: [UploadsOfDay], description: 'Files received per day (UTC)' })
  uploadsPerDay: UploadsOfDay[];

  @ApiProperty({ type: () => OcrCounts })
  ocr: OcrCounts;

  @ApiProperty({ type: [EncountersOfMonth] })
  encountersPerMonth: EncountersOfMonth[];

  @ApiProperty({ type: 'integer', description: 'The log position the counts are as of' })
  position: number;
}

export class ReportActor {
  @ApiProperty()
  actor: string;

  @ApiProperty()
  role: string;
}

export class ReportRecord {
  @ApiProperty({ format: 'uuid' })
  id: string;

  @ApiProperty({ type: String, nullable: true })
  mrn: string | null;

  @ApiProperty({ type: String, nullable: true })
  patientName: string | null;

  @ApiProperty({ type: String, nullable: true })
  dateOfBirth: string | null;

  @ApiProperty()
  documentType: string;

  @ApiProperty({ type: String, nullable: true })
  title: string | null;

  @ApiProperty({ type: String, nullable: true })
  encounterDate: string | null;

  @ApiProperty()
  status: string;

  @ApiProperty({ type: 'integer' })
  currentVersion: number;
}

export class ReportVersion {
  @ApiProperty({ type: 'integer' })
  version: number;

  @ApiProperty()
  kind: string;

  @ApiProperty({ type: String, nullable: true })
  reason: string | null;

  @ApiProperty()
  createdBy: string;

  @ApiProperty({ format: 'date-time' })
  createdAt: string;

  @ApiProperty()
  sha256: string;

  @ApiProperty()
  contentType: string;

  @ApiProperty({ type: 'integer', nullable: true })
  pages: number | null;
}

export class StreamHead {
  @ApiProperty()
  stream: string;

  @ApiProperty({ type: 'integer' })
  events: number;

  @ApiProperty({ type: 'integer', nullable: true })
  headRevision: number | null;

  @ApiProperty({ type: String, nullable: true })
  headHash: string | null;
}

export class ChainVerdict {
  @ApiProperty()
  valid: boolean;

  @ApiPropertyOptional({ type: () => ChainBreak })
  brokenAt?: ChainBreak;

  @ApiProperty({ type: String, nullable: true })
  headHash: string | null;

  @ApiProperty({ type: [StreamHead] })
  streams: StreamHead[];

  @ApiProperty({ format: 'date-time' })
  verifiedAt: string;
}

/** GET /api/records/:id/history/report as JSON (the PDF says the same). */
export class HistoryReport {
  @ApiProperty({ enum: ['legal-history'] })
  report: 'legal-history';

  @ApiProperty({ format: 'date-time' })
  generatedAt: string;

  @ApiProperty({ type: () => ReportActor })
  generatedBy: ReportActor;

  @ApiProperty()
  purpose: string;

  @ApiProperty({ type: () => ReportRecord })
  record: ReportRecord;

  @ApiProperty({ type: [ReportVersion] })
  versions: ReportVersion[];

  @ApiProperty({ type: () => ChainVerdict })
  chain: ChainVerdict;

  @ApiProperty({ type: [TimelineEntry] })
  timeline: TimelineEntry[];
}
