import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { AMENDMENT_KINDS, DOCUMENT_TYPES } from '@medrec/domain';

/** The bodies the records routes answer (OpenAPI only: the handlers build plain objects of these shapes). */

const OCR_STATUSES = ['pending', 'done', 'failed'];
const RECORD_STATUSES = ['active', 'archived', 'destroyed'];

export class VersionOcr {
  @ApiProperty({ enum: OCR_STATUSES })
  status: 'pending' | 'done' | 'failed';

  @ApiPropertyOptional({ description: 'Mean word confidence, 0-100 (once done)' })
  meanConfidence?: number;
}

export class VersionView {
  @ApiProperty({ type: 'integer', example: 1 })
  version: number;

  @ApiProperty({ enum: ['original', ...AMENDMENT_KINDS], description: '`original` for version 1, else the amendment kind' })
  kind: string;

  @ApiProperty({ type: String, nullable: true, description: 'Why the amendment was made (null for the original)' })
  reason: string | null;

  @ApiProperty()
  createdBy: string;

  @ApiProperty({ format: 'date-time' })
  createdAt: string;

  @ApiProperty({ description: 'SHA-256 of the original bytes (hex)' })
  sha256: string;

  @ApiProperty({ example: 'application/pdf' })
  contentType: string;

  @ApiProperty({ type: 'integer', nullable: true })
  pages: number | null;

  @ApiProperty({ type: () => VersionOcr })
  ocr: VersionOcr;
}

export class RecordHold {
  @ApiProperty({ format: 'uuid' })
  holdId: string;

  @ApiProperty()
  matter: string;
}

/** A live (active or archived) record: GET /api/records/:id. */
export class RecordView {
  @ApiProperty({ format: 'uuid' })
  id: string;

  @ApiProperty()
  mrn: string;

  @ApiProperty()
  patientName: string;

  @ApiProperty({ format: 'date' })
  dateOfBirth: string;

  @ApiProperty({ enum: DOCUMENT_TYPES })
  documentType: string;

  @ApiProperty()
  title: string;

  @ApiProperty({ type: String, format: 'date', nullable: true })
  encounterDate: string | null;

  @ApiProperty({ enum: RECORD_STATUSES })
  status: 'active' | 'archived' | 'destroyed';

  @ApiProperty({ type: 'integer' })
  currentVersion: number;

  @ApiProperty({ type: [VersionView] })
  versions: VersionView[];

  @ApiProperty({ type: [RecordHold] })
  holds: RecordHold[];

  @ApiProperty({ type: 'integer', description: 'The revision an If-Match names (also the ETag)' })
  revision: number;

  @ApiPropertyOptional({ format: 'date-time', description: 'With `?asOf=`: the instant the record is shown as of' })
  asOf?: string;
}

/** 201 of POST /api/records. */
export class CreatedRecord {
  @ApiProperty({ format: 'uuid' })
  id: string;

  @ApiProperty({ type: 'integer', enum: [1] })
  version: 1;

  @ApiProperty({ type: 'integer' })
  revision: number;

  @ApiProperty({ type: 'integer', description: 'Pass as `?after=` to read your write' })
  position: number;

  @ApiProperty()
  sha256: string;

  @ApiProperty({ type: 'integer' })
  pages: number;

  @ApiProperty({ example: 'application/pdf' })
  contentType: string;

  @ApiPropertyOptional({ format: 'uuid', description: 'With allowDuplicate=true: the record of this patient with identical content' })
  duplicateOf?: string;
}

/** What a change of a record answers: its new revision and the position of the event. */
export class RecordChange {
  @ApiProperty({ type: 'integer' })
  revision: number;

  @ApiProperty({ type: 'integer' })
  position: number;
}

export class AmendedRecord extends RecordChange {
  @ApiProperty({ type: 'integer', description: 'The current version after the amendment' })
  version: number;
}

export class RecordReleased extends RecordChange {
  @ApiProperty({ format: 'uuid' })
  releaseId: string;
}

export class HoldPlaced extends RecordChange {
  @ApiProperty({ format: 'uuid' })
  holdId: string;
}

export class RecordArchived extends RecordChange {
  @ApiProperty({ format: 'uuid' })
  id: string;

  @ApiProperty({ enum: ['archived'] })
  status: 'archived';
}

export class DestructionApproved extends RecordChange {
  @ApiProperty({ format: 'uuid' })
  approvalId: string;

  @ApiProperty({ format: 'uuid' })
  recordId: string;

  @ApiProperty()
  authority: string;

  @ApiProperty()
  approvedBy: string;

  @ApiProperty({ format: 'date-time' })
  approvedAt: string;
}

export class RecordDestroyed extends RecordChange {
  @ApiProperty({ format: 'uuid' })
  id: string;

  @ApiProperty({ enum: ['destroyed'] })
  status: 'destroyed';

  @ApiProperty({ format: 'date-time' })
  destroyedAt: string;

  @ApiProperty()
  authority: string;
}

export class WordBox {
  @ApiProperty({ type: 'integer' })
  x0: number;

  @ApiProperty({ type: 'integer' })
  y0: number;

  @ApiProperty({ type: 'integer', description: 'exclusive' })
  x1: number;

  @ApiProperty({ type: 'integer', description: 'exclusive' })
  y1: number;
}

export class PageWord {
  @ApiProperty()
  text: string;

  @ApiProperty({ description: '0-100' })
  confidence: number;

  @ApiProperty({ type: () => WordBox, description: "In the pixels of the page's image (GET .../pages/:p/image)" })
  bbox: WordBox;
}

export class PageText {
  @ApiProperty({ type: 'integer' })
  page: number;

  @ApiProperty()
  text: string;

  @ApiProperty({ description: '0-100' })
  confidence: number;

  @ApiProperty({ enum: ['text-layer', 'ocr'] })
  source: 'text-layer' | 'ocr';

  @ApiProperty({ type: [PageWord], description: 'Empty for a page read from its text layer' })
  words: PageWord[];
}

export class TextOcr extends VersionOcr {
  @ApiPropertyOptional({ description: 'Why recognition failed' })
  reason?: string;
}

/** GET .../versions/:v/text: the pages once OCR is done, none before. */
export class VersionText {
  @ApiProperty({ type: 'integer' })
  version: number;

  @ApiProperty({ type: () => TextOcr })
  ocr: TextOcr;

  @ApiProperty({ type: [PageText] })
  pages: PageText[];
}

export class RecordEvent {
  @ApiProperty()
  stream: string;

  @ApiProperty({ type: 'integer' })
  position: number;

  @ApiProperty({ type: 'integer' })
  revision: number;

  @ApiProperty()
  type: string;

  @ApiProperty({ format: 'date-time' })
  occurredAt: string;

  @ApiProperty()
  actor: string;

  @ApiProperty()
  role: string;

  @ApiPropertyOptional()
  purpose?: string;

  @ApiProperty({ type: 'object', additionalProperties: true, description: "The event's data, PHI decrypted where the key remains" })
  data: Record<string, unknown>;

  @ApiProperty({ description: "False when the event's PHI can no longer be decrypted (the record was destroyed)" })
  phiReadable: boolean;
}

export class ChainBreak {
  @ApiProperty()
  stream: string;

  @ApiProperty({ type: 'integer' })
  revision: number;

  @ApiProperty({ type: 'integer' })
  position: number;

  @ApiProperty()
  reason: string;
}

export class ChainCheck {
  @ApiProperty()
  valid: boolean;

  @ApiPropertyOptional({ type: () => ChainBreak })
  brokenAt?: ChainBreak;
}

/** GET /api/records/:id/events. */
export class RecordEvents {
  @ApiProperty({ type: [RecordEvent] })
  events: RecordEvent[];

  @ApiProperty({ type: () => ChainCheck })
  chain: ChainCheck;
}

export class StatusVersion {
  @ApiProperty({ type: 'integer' })
  version: number;

  @ApiProperty({ type: 'integer', nullable: true })
  pages: number | null;

  @ApiProperty({ type: () => TextOcr })
  ocr: TextOcr;
}

/** GET /api/records/:id/status: no patient data. */
export class RecordStatus {
  @ApiProperty({ format: 'uuid' })
  id: string;

  @ApiProperty({ enum: ['active', 'archived'] })
  status: 'active' | 'archived';

  @ApiProperty({ enum: DOCUMENT_TYPES })
  documentType: string;

  @ApiProperty({ type: 'integer' })
  currentVersion: number;

  @ApiProperty({ type: [StatusVersion] })
  versions: StatusVersion[];
}
