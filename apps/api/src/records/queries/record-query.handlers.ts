import { Inject } from '@nestjs/common';
import { IQueryHandler, QueryHandler } from '@nestjs/cqrs';
import { randomUUID } from 'node:crypto';
import { PhiCodec } from '@medrec/application';
import { verifyChain } from '@medrec/crypto';
import { AccessRecord, DomainError, ExistingRecordState, foldRecord, recordAccessStream } from '@medrec/domain';
import { EVENT_STORE, EventStore } from '@medrec/event-store';
import { BLOB_STORE, BlobStore } from '@medrec/blob-store';
import { readStoredText } from '@medrec/ingest/jobs/ocr-job-runner';
import { RecordContent } from '../record-content';
import { LoadedRecord, RecordRepository } from '../record-repository';
import { recordView } from '../record-view';
import {
  GetRecordEventsQuery,
  GetRecordQuery,
  GetVersionContentQuery,
  GetVersionTextQuery,
  RecordEventsView,
  VersionContent,
  VersionText,
} from './record-queries';

type AuditedQuery = GetRecordQuery | GetVersionContentQuery | GetVersionTextQuery | GetRecordEventsQuery;

/** Loads the record, decides the read and appends RecordAccessed; only then may content be returned. */
async function auditedLoad(
  records: RecordRepository,
  query: AuditedQuery,
  what: AccessRecord['what'],
  version?: number,
  /** The record as the caller already loaded it, not read again. */
  preloaded?: LoadedRecord,
): Promise<{ loaded: LoadedRecord; state: ExistingRecordState }> {
  const loaded = preloaded ?? (await records.load(query.recordId));
  const { context } = query;
  await records.logAccess(
    loaded,
    { type: 'AccessRecord', recordId: query.recordId, accessId: randomUUID(), actor: context.actor, at: context.at, purpose: context.purpose, what, version },
    context,
  );
  return { loaded, state: loaded.state as ExistingRecordState };
}

@QueryHandler(GetRecordQuery)
export class GetRecordHandler implements IQueryHandler<GetRecordQuery> {
  constructor(private readonly records: RecordRepository) {}

  async execute(query: GetRecordQuery) {
    if (query.asOf) return this.asOf(query, query.asOf);
    const { loaded, state } = await auditedLoad(this.records, query, 'record');
    return recordView(state, loaded.revision!);
  }

  /** The record as it stood at `at`: 404 (nothing read, nothing logged) when it did not exist yet. Loaded once. */
  private async asOf(query: GetRecordQuery, at: Date) {
    const live = await this.records.load(query.recordId);
    const existsNow = live.state.status !== 'absent' && live.state.status !== 'destroyed';
    const then = existsNow ? foldAsOf(live, at) : undefined;
    if (existsNow && !then) throw new DomainError('not-found', 'The record did not exist at that time');
    // An absent or destroyed record is refused here (404, 410), as any read of it.
    await auditedLoad(this.records, query, 'record', undefined, live);
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
    const { state } = await auditedLoad(this.records, query, 'content', query.version);
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
    @Inject(BLOB_STORE) private readonly blobs: BlobStore,
  ) {}

  /** The version's text per page once OCR is done; until then its OCR status and no pages. */
  async execute(query: GetVersionTextQuery): Promise<VersionText> {
    const { state } = await auditedLoad(this.records, query, 'text', query.version);
    const { ocr } = state.versions.find((v) => v.version === query.version)!;
    if (ocr.status === 'pending') return { version: query.version, ocr: { status: 'pending' }, pages: [] };
    if (ocr.status === 'failed') return { version: query.version, ocr: { status: 'failed', reason: ocr.reason }, pages: [] };
    const stored = await readStoredText(this.blobs, ocr.textKey, await this.content.dataKey(query.recordId));
    return {
      version: query.version,
      ocr: { status: 'done', meanConfidence: ocr.meanConfidence },
      pages: stored.pages.map(({ page, text, confidence, source, words }) => ({ page, text, confidence, source, words })),
    };
  }
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
    if (loaded.state.status !== 'destroyed') await auditedLoad(this.records, query, 'events');
    const own = loaded.events.map((e) => e.stored);
    const accesses = await this.store.readStream(recordAccessStream(query.recordId));
    const chain = verifyChain([...own, ...accesses]);
    const decoded = [...loaded.events, ...(await this.codec.decodeAll(query.recordId, accesses))].sort(
      (a, b) => a.stored.position - b.stored.position,
    );
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

