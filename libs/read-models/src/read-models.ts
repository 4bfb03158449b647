import { hkdfSync, randomBytes } from 'node:crypto';
import type { EventStore } from '@medrec/event-store';
import { AmendmentRequestFilter, AmendmentRequestRow, amendmentRequests } from './amendment-requests/amendment-requests.projection';
import { archiveCandidates } from './archive/archive.projection';
import { EmergencyAccess, emergencyAccess, unreviewedEmergencyAccesses } from './audit/emergency-access.projection';
import { EmergencySearch, emergencySearch, unreviewedEmergencySearches } from './audit/emergency-searches.projection';
import { findDuplicate } from './content-index.projection';
import { batchOfCertificate, disposalBatches, DisposalBatchRow } from './disposal/disposal.projection';
import { activePatientHolds, heldRecords, matterHolds, MatterHoldView, patientRecords } from './legal-holds/legal-holds.projection';
import { Disclosure, patientDisclosures } from './history/disclosures.projection';
import { recordStats, RecordStats } from './history/record-stats.projection';
import type { AccessEntry, TimelineEntry } from './history/record-timeline.projection';
import { accessLogPage, PageRequest, timelinePage } from './history/timeline-page';
import type { ProjectionRunner } from './projection-runner';
import { PackageToShred, packagesToShred, releaseRequests, ReleaseRequestFilter, ReleaseRequestRow } from './release-requests/release-requests.projection';
import { RetentionDueList, RetentionDuePage, RetentionDueRequest, retentionSchedulesInForce } from './retention/retention.projection';
import { SearchPage, SearchRequest, SearchService } from './search/search.service';
import { reviewItem, ReviewItemRow, reviewQueue, ReviewQueueRequest, unresolvedReviewItemsOfStack } from './review/review-queue.projection';
import { pendingStacks } from './stacks/stacks.projection';
import type { DocumentType, RetentionSchedule } from '@medrec/domain';

/** How long a read waits for the read models to reach a position (API.md: up to 5 s). */
export const READ_YOUR_WRITES_TIMEOUT_MS = 5000;

/** The read models have not reached a position in time: answered 503 with `Retry-After` (the API's problem filter). */
export class ReadModelBehindError extends Error {
  readonly retryAfterSeconds = 1;
  constructor(readonly position: number) {
    super(`The views have not yet reached position ${position}; retry shortly`);
    this.name = 'ReadModelBehindError';
  }
}

export interface ReadModelsOptions {
  /** The key that MACs search cursors (the same in every instance of a deployment); random when absent. */
  searchCursorKey?: Buffer;
  /** How long reach() and reachHead() wait. Default READ_YOUR_WRITES_TIMEOUT_MS. */
  timeoutMs?: number;
}

/**
 * The read side as its readers see it: the read-model database (which only the projection runner
 * writes) behind typed queries, and the one read-your-writes rule. A reader first waits for the
 * position it must see (`reach`: its own write's `?after=`, or the read's own access), then asks;
 * read models still behind after the wait are a ReadModelBehindError (503), never older data.
 */
export class ReadModels {
  private readonly timeoutMs: number;
  private readonly searchService: SearchService;
  private readonly retentionDueList: RetentionDueList;

  constructor(
    private readonly projections: ProjectionRunner,
    private readonly events: EventStore,
    options: ReadModelsOptions = {},
  ) {
    this.timeoutMs = options.timeoutMs ?? READ_YOUR_WRITES_TIMEOUT_MS;
    this.searchService = new SearchService(projections.db, options.searchCursorKey);
    const cursorKey = Buffer.from(hkdfSync('sha256', options.searchCursorKey ?? randomBytes(32), '', 'retention due cursor v1', 32));
    this.retentionDueList = new RetentionDueList(projections.db, cursorKey);
  }

  /** Position up to which every read model has applied the log. */
  position(): number {
    return this.projections.position();
  }

  /** Waits until every read model has applied the log up to `position` (nothing to wait for when undefined). */
  async reach(position: number | undefined): Promise<void> {
    if (position === undefined) return;
    if (!(await this.projections.waitFor(position, this.timeoutMs))) throw new ReadModelBehindError(position);
  }

  /** Waits until the read models reflect everything in the log now (a check against stale data would be wrong). */
  async reachHead(): Promise<void> {
    if (!(await this.projections.catchUp(this.timeoutMs))) throw new ReadModelBehindError(this.projections.position() + 1);
  }

  /** Full-text and filtered search (the search projection). */
  search(request: SearchRequest): SearchPage {
    return this.searchService.search(request);
  }

  /** A record of this patient with these exact bytes (the content-index projection), if any. */
  findDuplicate(mrn: string, sha256: string): { recordId: string; version: number } | undefined {
    return findDuplicate(this.projections.db, mrn, sha256);
  }

  /** One page of a record's timeline up to and including `upTo`: the record-timeline projection and the access stream, merged. */
  timelinePage(recordId: string, upTo: number, page: PageRequest): Promise<{ timeline: TimelineEntry[]; nextCursor: string | null }> {
    return timelinePage(this.projections.db, this.events, recordId, upTo, page);
  }

  /** One page of a record's access log up to and including `upTo`, read from its access stream. */
  accessLog(recordId: string, upTo: number, page: PageRequest): Promise<{ accesses: AccessEntry[]; nextCursor: string | null }> {
    return accessLogPage(this.events, recordId, upTo, page);
  }

  /** Emergency reads awaiting review, oldest first (the emergency-access projection). */
  unreviewedEmergencyAccesses(limit: number): EmergencyAccess[] {
    return unreviewedEmergencyAccesses(this.projections.db, limit);
  }

  /** One emergency read, reviewed or not; undefined when unknown (or its record destroyed). */
  emergencyAccess(accessId: string): EmergencyAccess | undefined {
    return emergencyAccess(this.projections.db, accessId);
  }

  /** Emergency searches awaiting review, oldest first (the emergency-searches projection). */
  unreviewedEmergencySearches(limit: number): EmergencySearch[] {
    return unreviewedEmergencySearches(this.projections.db, limit);
  }

  /** One emergency search, reviewed or not; undefined when unknown. */
  emergencySearch(queryId: string): EmergencySearch | undefined {
    return emergencySearch(this.projections.db, queryId);
  }

  /** The accounting of disclosures of one patient between two instants (the disclosures projection). */
  disclosures(mrn: string, from: Date, to: Date): Disclosure[] {
    return patientDisclosures(this.projections.db, mrn, from, to);
  }

  /** Every matter hold (the legal-holds projection). */
  matterHolds(): MatterHoldView[] {
    return matterHolds(this.projections.db);
  }

  /** The records a matter hold was placed on. */
  heldRecords(holdId: string): string[] {
    return heldRecords(this.projections.db, holdId);
  }

  /** The matter holds over this patient that still stand. */
  activePatientHolds(mrn: string): string[] {
    return activePatientHolds(this.projections.db, mrn);
  }

  /** The live records of a patient. */
  patientRecords(mrn: string): string[] {
    return patientRecords(this.projections.db, mrn);
  }

  /** The counts of the record-stats projection, and the log position they reflect. */
  stats(uploads: { from?: string; to?: string }): RecordStats & { position: number } {
    const position = this.projections.position();
    return { ...recordStats(this.projections.db, uploads), position };
  }

  /** The retention schedules in force as the retention projection has them (the defaults for types never changed). */
  retentionSchedules(): RetentionSchedule[] {
    return retentionSchedulesInForce(this.projections.db);
  }

  /** Records whose retention has ended as of a day, by retention date then id (the retention projection and the schedules in force). */
  retentionDue(request: RetentionDueRequest): RetentionDuePage {
    return this.retentionDueList.due(request);
  }

  /** Release-of-information requests, open ones past their due day first (the release-requests projection). */
  releaseRequests(filter: ReleaseRequestFilter): ReleaseRequestRow[] {
    return releaseRequests(this.projections.db, filter);
  }

  /** Every disposal batch, newest first (the disposal projection: ids, status, certificate id). */
  disposalBatches(): DisposalBatchRow[] {
    return disposalBatches(this.projections.db);
  }

  /** The batch a certificate of destruction was issued for. */
  batchOfCertificate(certificateId: string): string | undefined {
    return batchOfCertificate(this.projections.db, certificateId);
  }

  /** Live records not yet archived with no amendment, release or encounter on or after a day, by id (the archive projection). */
  archiveCandidates(inactiveSince: string, documentType?: DocumentType): string[] {
    return archiveCandidates(this.projections.db, inactiveSince, documentType);
  }

  /** Patients' amendment requests, overdue ones first (the amendment-requests projection; no PHI). */
  amendmentRequests(filter: AmendmentRequestFilter): AmendmentRequestRow[] {
    return amendmentRequests(this.projections.db, filter);
  }

  /** One page of the quality-review queue, oldest first (the review-queue projection; no PHI). */
  reviewQueue(request: ReviewQueueRequest): { items: ReviewItemRow[]; more: boolean } {
    return reviewQueue(this.projections.db, request);
  }

  /** One review item as the queue shows it; undefined when unknown. */
  reviewItem(itemId: string): ReviewItemRow | undefined {
    return reviewItem(this.projections.db, itemId);
  }

  /** Review items of a stack not yet resolved (its paper may be destroyed at 0). */
  unresolvedReviewItemsOfStack(stackId: string): number {
    return unresolvedReviewItemsOfStack(this.projections.db, stackId);
  }

  /** Stacks not split yet, oldest first (the stacks projection; the splitter's work list). */
  pendingStacks(limit: number): string[] {
    return pendingStacks(this.projections.db, limit);
  }

  /** Release packages that hold a destroyed record and are not yet shredded (the release-requests projection). */
  packagesToShred(limit: number): PackageToShred[] {
    return packagesToShred(this.projections.db, limit);
  }
}
