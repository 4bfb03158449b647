import { Inject } from '@nestjs/common';
import { IQueryHandler, QueryHandler } from '@nestjs/cqrs';
import { PhiCodec } from '@medrec/application';
import { verifyChain } from '@medrec/crypto';
import { DomainError, ExistingRecordState, foldRecord, recordAccessStream } from '@medrec/domain';
import { EVENT_STORE, EventStore } from '@medrec/event-store';
import { isDocumentContentType } from '@medrec/ingest/inspect/document-content-type';
import { rasterizePage } from '@medrec/ingest/rasterize/rasterize-page';
import { APP_CONFIG, AppConfig } from '@medrec/platform';
import { auditRecordRead } from '../audited-record-read';
import { RecordContent } from '../record-content';
import { LoadedRecord, RecordRepository } from '../record-repository';
import { recordView } from '../record-view';
import {
  GetPageImageQuery,
  GetRecordEventsQuery,
  GetRecordQuery,
  GetVersionContentQuery,
  GetVersionTextQuery,
  PageImage,
  RecordEventsView,
  VersionContent,
  VersionText,
} from './record-queries';

@QueryHandler(GetRecordQuery)
export class GetRecordHandler implements IQueryHandler<GetRecordQuery> {
  constructor(private readonly records: RecordRepository) {}

  async execute(query: GetRecordQuery) {
    if (query.asOf) return this.asOf(query, query.asOf);
    const { state, revision } = await auditRecordRead(this.records, query.recordId, query.context, 'record');
    return recordView(state, revision);
  }

  /** The record as it stood at `at`: 404 (nothing read, nothing logged) when it did not exist yet. Loaded once. */
  private async asOf(query: GetRecordQuery, at: Date) {
    const live = await this.records.load(query.recordId);
    const existsNow = live.state.status !== 'absent' && live.state.status !== 'destroyed';
    const then = existsNow ? foldAsOf(live, at) : undefined;
    if (existsNow && !then) throw new DomainError('not-found', 'The record did not exist at that time');
    // An absent or destroyed record is refused here (404, 410), as any read of it.
    await auditRecordRead(this.records, query.recordId, query.context, 'record', [undefined], live);
    if (!then) throw new DomainError('not-found', 'The record did not exist at that time');
    return { ...recordView(then.state, then.revision), asOf: at.toISOString() };
  }
}

/** Folds the events that occurred at or before `at`; undefined when the record did not exist then. */
function foldAsOf(loaded: LoadedRecord, at: Date): { state: ExistingRecordState; revision: number } | undefined {
  const until = at.getTime();
  const events = loaded.events.filter((e) => Date.parse(e.stored.metadata.occurredAt) <= until);
  const state = foldRecord(events.map((e) => e.event));
  if (state.status === 'absent') return undefined;
  return { state, revision: events[events.length - 1].stored.revision };
}

@QueryHandler(GetVersionContentQuery)
export class GetVersionContentHandler implements IQueryHandler<GetVersionContentQuery> {
  constructor(
    private readonly records: RecordRepository,
    private readonly content: RecordContent,
  ) {}

  async execute(query: GetVersionContentQuery): Promise<VersionContent> {
    const { state } = await auditRecordRead(this.records, query.recordId, query.context, 'content', [query.version]);
    const { content } = state.versions.find((v) => v.version === query.version)!;
    const body = await this.content.open(query.recordId, content);
    return { contentType: content.contentType, size: content.size, sha256: content.sha256, body };
  }
}

@QueryHandler(GetVersionTextQuery)
export class GetVersionTextHandler implements IQueryHandler<GetVersionTextQuery> {
  constructor(
    private readonly records: RecordRepository,
    private readonly content: RecordContent,
  ) {}

  /** The version's text per page once OCR is done; until then its OCR status and no pages. */
  async execute(query: GetVersionTextQuery): Promise<VersionText> {
    const { state } = await auditRecordRead(this.records, query.recordId, query.context, 'text', [query.version]);
    const { ocr } = state.versions.find((v) => v.version === query.version)!;
    if (ocr.status === 'pending') return { version: query.version, ocr: { status: 'pending' }, pages: [] };
    if (ocr.status === 'failed') return { version: query.version, ocr: { status: 'failed', reason: ocr.reason }, pages: [] };
    const stored = await this.content.readText(query.recordId, ocr.textKey);
    return {
      version: query.version,
      ocr: { status: 'done', meanConfidence: ocr.meanConfidence },
      pages: stored.pages.map(({ page, text, confidence, source, words }) => ({ page, text, confidence, source, words })),
    };
  }
}

@QueryHandler(GetPageImageQuery)
export class GetPageImageHandler implements IQueryHandler<GetPageImageQuery> {
  constructor(
    private readonly records: RecordRepository,
    private readonly content: RecordContent,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  /**
   * Page `page` of the version, rendered as OCR renders it (rasterizePage, under the OCR's limits),
   * a page with a PDF text layer included. A page beyond the version's page count answers 404 before
   * anything is logged; otherwise the read is audited as a read of the content (`what: content`)
   * before the content is decrypted.
   */
  async execute(query: GetPageImageQuery): Promise<PageImage> {
    const loaded = await this.records.load(query.recordId);
    const { state } = loaded;
    if (state.status === 'active' || state.status === 'archived') {
      const pages = state.versions.find((v) => v.version === query.version)?.content.pages;
      if (typeof pages === 'number' && query.page > pages) throw noSuchPage(query.version, pages);
    }
    const read = await auditRecordRead(this.records, query.recordId, query.context, 'content', [query.version], loaded);
    const { content } = read.state.versions.find((v) => v.version === query.version)!;
    if (!isDocumentContentType(content.contentType)) throw new Error(`Cannot render content of type ${content.contentType}`);
    const bytes = await this.content.read(query.recordId, content);
    const { maxPixelsPerPage, minPageSidePixels, maxPageAspectRatio } = this.config.limits;
    const rendered = await rasterizePage(bytes, content.contentType, query.page, {
      maxPixelsPerPage,
      minPageSidePixels,
      maxPageAspectRatio,
      signal: query.signal,
    });
    if (!rendered) throw noSuchPage(query.version, content.pages);
    return { png: rendered.png, width: rendered.width, height: rendered.height, dpi: rendered.dpi };
  }
}

function noSuchPage(version: number, pages: number | null): DomainError {
  return new DomainError('not-found', pages === null ? `Version ${version} has no such page` : `Version ${version} has ${pages} page(s): no such page`);
}

@QueryHandler(GetRecordEventsQuery)
export class GetRecordEventsHandler implements IQueryHandler<GetRecordEventsQuery> {
  constructor(
    private readonly records: RecordRepository,
    private readonly codec: PhiCodec,
    @Inject(EVENT_STORE) private readonly store: EventStore,
  ) {}

  /** Every event of the record's own stream and its access stream, in position order, with the chains verified. */
  async execute(query: GetRecordEventsQuery): Promise<RecordEventsView> {
    const loaded = await this.records.loadFromStore(query.recordId);
    if (loaded.state.status === 'absent') throw new DomainError('not-found', 'No such record');
    if (loaded.state.status !== 'destroyed') await auditRecordRead(this.records, query.recordId, query.context, 'events');
    const own = loaded.events.map((e) => e.stored);
    const accesses = await this.store.readStream(recordAccessStream(query.recordId));
    const chain = verifyChain([...own, ...accesses]);
    const decoded = [...loaded.events, ...(await this.codec.decodeAll(query.recordId, accesses))].sort((a, b) => a.stored.position - b.stored.position);
    return {
      events: decoded.map(({ event, stored, phiReadable }) => ({
        stream: stored.stream,
        position: stored.position,
        revision: stored.revision,
        type: stored.type,
        occurredAt: stored.metadata.occurredAt,
        actor: stored.metadata.actor,
        role: stored.metadata.role,
        ...(stored.metadata.purpose ? { purpose: stored.metadata.purpose } : {}),
        data: event.data as Record<string, unknown>,
        phiReadable,
      })),
      chain,
    };
  }
}
