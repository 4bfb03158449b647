import { Inject, Injectable } from '@nestjs/common';
import { ChainBreak, ChainWalker } from '@medrec/crypto';
import { recordAccessStream, recordStream } from '@medrec/domain';
import { EVENT_STORE, EventStore, StoredEvent } from '@medrec/event-store';
import { ReadModels, TimelineEntry } from '@medrec/read-models';
import type { ReadContext } from '../http/request-context';
import { auditRecordRead } from '../records/audited-record-read';
import { RecordRepository } from '../records/record-repository';
import { parsePageRequest } from './timeline-paging';

/** Events read at once while the report verifies the access stream and lists the timeline: memory stays bounded whatever the record's size. */
export const REPORT_PAGE_SIZE = 500;

export interface StreamHead {
  stream: string;
  /** Events of the stream checked (up to the report's own access). */
  events: number;
  /** Revision and stored hash of the last of them: the head a copy of the log must reproduce. */
  headRevision: number | null;
  headHash: string | null;
}

export interface ChainVerdict {
  valid: boolean;
  /** The first broken link, when the chain is broken. */
  brokenAt?: ChainBreak;
  /** The head hash of the record's own stream (its lifecycle). */
  headHash: string | null;
  streams: StreamHead[];
  verifiedAt: string;
}

/** Everything of the report but the timeline, which is read page by page while it is written out. */
export interface HistoryReportHead {
  report: 'legal-history';
  generatedAt: string;
  generatedBy: { actor: string; role: string };
  purpose: string;
  record: {
    id: string;
    /** Null only if the record's key could not open them. */
    mrn: string | null;
    patientName: string | null;
    dateOfBirth: string | null;
    documentType: string;
    title: string | null;
    encounterDate: string | null;
    status: string;
    currentVersion: number;
  };
  versions: Array<{
    version: number;
    kind: string;
    reason: string | null;
    createdBy: string;
    createdAt: string;
    sha256: string;
    contentType: string;
    pages: number | null;
  }>;
  chain: ChainVerdict;
}

export interface HistoryReport {
  head: HistoryReportHead;
  /** The full timeline in log order (accesses included, up to the report's own), one page at a time. */
  timeline(): AsyncGenerator<TimelineEntry[]>;
}

/**
 * The legal history report of a record: its identity, every version with its SHA-256, the full
 * timeline, and the verdict of its hash chains (record stream and access stream, re-walked from
 * the event store) with the head hashes and the time of verification. The report is itself an
 * audited read (what 'report', purpose as fixed for the endpoint: legal), and everything in it
 * stops at that read: the timeline and the chains end with it.
 */
@Injectable()
export class HistoryReports {
  constructor(
    private readonly records: RecordRepository,
    private readonly readModels: ReadModels,
    @Inject(EVENT_STORE) private readonly events: EventStore,
  ) {}

  async prepare(recordId: string, context: ReadContext): Promise<HistoryReport> {
    const { state, position } = await auditRecordRead(this.records, recordId, context, 'report');
    await this.readModels.reach(position);
    const chain = await this.verify(recordId, position);
    const head: HistoryReportHead = {
      report: 'legal-history',
      generatedAt: context.at,
      generatedBy: { actor: context.actor.username, role: context.actor.role },
      purpose: context.purpose,
      record: {
        id: state.recordId,
        mrn: state.mrn ?? null,
        patientName: state.patientName ?? null,
        dateOfBirth: state.dateOfBirth ?? null,
        documentType: state.documentType,
        title: state.title ?? null,
        encounterDate: state.encounterDate ?? null,
        status: state.status,
        currentVersion: state.versions[state.versions.length - 1].version,
      },
      versions: state.versions.map((v) => ({
        version: v.version,
        kind: v.kind,
        reason: v.reason ?? null,
        createdBy: v.createdBy,
        createdAt: v.createdAt,
        sha256: v.content.sha256,
        contentType: v.content.contentType,
        pages: v.content.pages,
      })),
      chain,
    };
    const readModels = this.readModels;
    return {
      head,
      async *timeline() {
        let page = parsePageRequest(String(REPORT_PAGE_SIZE), undefined);
        for (;;) {
          const { timeline, nextCursor } = await readModels.timelinePage(recordId, position, page);
          if (timeline.length > 0) yield timeline;
          if (!nextCursor) return;
          page = parsePageRequest(String(REPORT_PAGE_SIZE), nextCursor);
        }
      },
    };
  }

  /**
   * Re-walks both chains of the record from the event store (not the cache), up to position `upTo`:
   * the record's own stream whole, its access stream page by page.
   */
  private async verify(recordId: string, upTo: number): Promise<ChainVerdict> {
    const walker = new ChainWalker();
    const own = await this.walk(walker, recordStream(recordId), upTo);
    const accesses = await this.walk(walker, recordAccessStream(recordId), upTo);
    const brokenAt = walker.broken[0];
    return {
      valid: walker.broken.length === 0,
      ...(brokenAt ? { brokenAt } : {}),
      headHash: own.headHash,
      streams: [own, accesses],
      verifiedAt: new Date().toISOString(),
    };
  }

  private async walk(walker: ChainWalker, stream: string, upTo: number): Promise<StreamHead> {
    let last: StoredEvent | undefined;
    let events = 0;
    for (let fromRevision = 0; ;) {
      const batch = await this.events.readStream(stream, { fromRevision, maxCount: REPORT_PAGE_SIZE });
      const inView = batch.filter((e) => e.position <= upTo);
      for (const event of inView) walker.visit(event);
      events += inView.length;
      if (inView.length > 0) last = inView[inView.length - 1];
      if (batch.length < REPORT_PAGE_SIZE || inView.length < batch.length) break;
      fromRevision = batch[batch.length - 1].revision + 1;
    }
    const headHash = last && typeof last.metadata.hash === 'string' ? last.metadata.hash : null;
    return { stream, events, headRevision: last ? last.revision : null, headHash };
  }
}
