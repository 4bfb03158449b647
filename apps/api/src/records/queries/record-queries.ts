import { Query } from '@nestjs/cqrs';
import type { Readable } from 'node:stream';
import type { CommandContext } from '@medrec/application';
import type { PurposeOfUse } from '@medrec/domain';
import type { recordView } from '../record-view';

/** Reads of patient content: each is decided and audited (RecordAccessed) before it answers. */
interface AuditedRead {
  readonly recordId: string;
  readonly context: CommandContext & { purpose: PurposeOfUse };
}

export class GetRecordQuery extends Query<ReturnType<typeof recordView> & { asOf?: string }> implements AuditedRead {
  constructor(
    readonly recordId: string,
    readonly context: CommandContext & { purpose: PurposeOfUse },
    /** `?asOf=`: the record as it stood then (only the events that occurred at or before it). */
    readonly asOf?: Date,
  ) {
    super();
  }
}

export interface VersionContent {
  contentType: string;
  size: number;
  sha256: string;
  body: Readable;
}

export class GetVersionContentQuery extends Query<VersionContent> implements AuditedRead {
  constructor(
    readonly recordId: string,
    readonly version: number,
    readonly context: CommandContext & { purpose: PurposeOfUse },
  ) {
    super();
  }
}

export interface VersionText {
  version: number;
  ocr: { status: 'pending' | 'done' | 'failed'; reason?: string; meanConfidence?: number };
  pages: Array<{ page: number; text: string; confidence: number; source: 'text-layer' | 'ocr'; words: unknown[] }>;
}

export class GetVersionTextQuery extends Query<VersionText> implements AuditedRead {
  constructor(
    readonly recordId: string,
    readonly version: number,
    readonly context: CommandContext & { purpose: PurposeOfUse },
  ) {
    super();
  }
}

/** One page of a version as a PNG (rasterizePage): the pixels OCR reads, whose word boxes fall on it. */
export interface PageImage {
  png: Buffer;
  width: number;
  height: number;
  dpi: number;
}

export class GetPageImageQuery extends Query<PageImage> implements AuditedRead {
  constructor(
    readonly recordId: string,
    readonly version: number,
    /** From 1. */
    readonly page: number,
    readonly context: CommandContext & { purpose: PurposeOfUse },
    /** The client gave up: the render stops. */
    readonly signal?: AbortSignal,
  ) {
    super();
  }
}

export interface RecordEventView {
  stream: string;
  position: number;
  revision: number;
  type: string;
  occurredAt: string;
  actor: string;
  role: string;
  purpose?: string;
  data: Record<string, unknown>;
  /** False when the event's PHI can no longer be decrypted (the record was destroyed). */
  phiReadable: boolean;
}

export interface RecordEventsView {
  events: RecordEventView[];
  chain: { valid: boolean; brokenAt?: { stream: string; revision: number; position: number; reason: string } };
}

export class GetRecordEventsQuery extends Query<RecordEventsView> implements AuditedRead {
  constructor(
    readonly recordId: string,
    readonly context: CommandContext & { purpose: PurposeOfUse },
  ) {
    super();
  }
}
