import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { Inject, Injectable, Logger } from '@nestjs/common';
import { certificateSha256, CommandContext, EventSourcedRunner, LoadedStream } from '@medrec/application';
import { KEY_STORE, KeyStore } from '@medrec/crypto';
import {
  Actor,
  Certificate,
  certificateOf,
  currentVersion,
  defaultSchedule,
  DisposalBatch,
  disposalDecider,
  DisposalEvent,
  DisposalState,
  disposalStream,
  DisposedRecord,
  DocumentType,
  DomainError,
  Exclusion,
  ExistingRecordState,
  keptDisclosures,
  pendingRecords,
  retentionUntil,
  SkippedRecord,
  validateDisposalProposal,
} from '@medrec/domain';
import { WrongExpectedRevisionError } from '@medrec/event-store';
import { APP_CONFIG, AppConfig, DestructionTombstone } from '@medrec/platform';
import { ReadModels } from '@medrec/read-models';
import { mapConcurrently } from '../common/map-concurrently';
import { LoadedRecord, RecordRepository, tombstoneOf } from '../records/record-repository';
import { collectStageTimes, StageTimes, timed } from '../common/stage-times';

export interface DisposalProposal {
  asOf: string;
  authority: string;
  recordIds?: string[];
  documentType?: DocumentType;
}

type LoadedBatch = LoadedStream<DisposalState, DisposalEvent>;

/** Records handled per step of an execution: one append of what the certificate needs, the destructions, one append of their outcomes. */
const EXECUTION_CHUNK = 250;
/** Records of a chunk loaded or destroyed at once (each on its own stream). */
const RECORDS_AT_ONCE = 8;

const DUE_PAGE = 500;

/**
 * Disposal batches: a process stream `disposal-<id>` (decided by disposalDecider, sealed with a key
 * of its own) over the records' own streams. Execution destroys each record through the record
 * decider: the batch approver's DestructionApproved (attributed to the approver, caused by the
 * batch's approval, carrying the batch id) then the executor's DestroyRecord naming the batch, so the
 * record decider stays the one authority on holds and dual control, and RecordRepository's shredding
 * is the one destruction.
 */
@Injectable()
export class DisposalBatches {
  private readonly logger = new Logger(DisposalBatches.name);

  constructor(
    private readonly eventSourced: EventSourcedRunner,
    private readonly records: RecordRepository,
    private readonly readModels: ReadModels,
    @Inject(KEY_STORE) private readonly keys: KeyStore,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  /** Works out included and excluded; appends the proposal unless `dryRun`. */
  async propose(request: DisposalProposal, context: CommandContext, dryRun: boolean) {
    validateDisposalProposal(request);
    const { included, excluded } = await this.select(request);
    const batchId = randomUUID();
    if (dryRun) return { id: null, dryRun: true, asOf: request.asOf, included, excluded };
    const stream = disposalStream(batchId);
    (await this.keys.create(stream)).fill(0);
    try {
      const result = await this.eventSourced.run({
        stream,
        keyId: stream,
        decider: disposalDecider,
        command: { type: 'ProposeDisposalBatch', batchId, actor: context.actor, at: context.at, ...request, included, excluded },
        context,
      });
      return { id: batchId, asOf: request.asOf, included, excluded, position: result.position };
    } catch (error) {
      await this.keys.destroy(stream);
      throw error;
    }
  }

  async load(batchId: string, since?: LoadedBatch): Promise<LoadedBatch> {
    const stream = disposalStream(batchId);
    return this.eventSourced.load(stream, stream, disposalDecider, since);
  }

  async get(batchId: string): Promise<DisposalBatch> {
    const { state } = await this.load(batchId);
    if (state.status === 'absent') throw new DomainError('not-found', 'No such disposal batch');
    return state;
  }

  async approve(batchId: string, context: CommandContext) {
    const stream = disposalStream(batchId);
    const result = await this.eventSourced.run({
      stream,
      keyId: stream,
      decider: disposalDecider,
      command: { type: 'ApproveDisposalBatch', batchId, actor: context.actor, at: context.at },
      context,
    });
    return { batch: result.state as DisposalBatch, position: result.position };
  }

  /**
   * Destroys every included record still pending, a chunk at a time: what the certificate needs
   * (MRN, type, dates) is appended before the record's key goes, the record is destroyed through
   * its decider, then the outcome is appended. Asked again after a crash it resumes where the
   * stream says it stopped (a record destroyed by this batch is counted once), and completes with
   * one certificate. An executed batch answers its result again.
   */
  async execute(batchId: string, context: CommandContext) {
    let loaded = await this.load(batchId);
    const batch0 = loaded.state;
    if (batch0.status === 'absent') throw new DomainError('not-found', 'No such disposal batch');
    if (batch0.status === 'proposed') throw new DomainError('conflict', 'The disposal batch has not been approved');
    if (batch0.status !== 'executed') {
      const times = new StageTimes();
      const started = performance.now();
      const loopBefore = performance.eventLoopUtilization();
      loaded = await collectStageTimes(times, () => this.executePending(batchId, loaded, context));
      const done = loaded.state as DisposalBatch;
      // Ids and counts only: where the time went, for tuning (bench:disposal reads this line).
      this.logger.log(
        `Disposal batch ${batchId} executed: ${done.destroyed.length} destroyed, ${done.skipped.length} skipped in ${Math.round(performance.now() - started)} ms; ` +
          `event loop ${Math.round(performance.eventLoopUtilization(loopBefore).utilization * 100)}% busy; stages ${JSON.stringify(times)}`,
      );
    }
    const done = loaded.state as DisposalBatch;
    return {
      id: batchId,
      destroyed: done.destroyed.map((d) => d.recordId),
      skipped: done.skipped.map(({ recordId, reason, matter }) => ({ recordId, reason, ...(matter !== undefined ? { matter } : {}) })),
      certificateId: done.certificate!.certificateId,
      // The batch's last event: `?after=` it, the batch list shows the batch executed.
      position: Math.max(this.readModels.position(), loaded.events.at(-1)?.stored.position ?? 0),
    };
  }

  /** execute() of an approved batch: its pending records chunk by chunk, then the certificate. */
  private async executePending(batchId: string, loaded: LoadedBatch, context: CommandContext): Promise<LoadedBatch> {
    const stream = disposalStream(batchId);
    const run = (command: Parameters<typeof disposalDecider.decide>[0]) =>
      this.eventSourced.run({ stream, keyId: stream, decider: disposalDecider, command, context, since: loaded });
    const batch0 = loaded.state as DisposalBatch;
    const approvalEvent = loaded.events.find((e) => e.event.type === 'DisposalBatchApproved')!.stored;
    const approver: Actor = {
      userId: typeof approvalEvent.metadata.actorId === 'string' ? approvalEvent.metadata.actorId : '',
      username: batch0.approvedBy!,
      role: batch0.approverRole!,
    };
    const pending = pendingRecords(batch0);
    // A chunk whose records are destroyed and keys gone, its content still being deleted (while
    // the next chunk is destroyed) and its outcomes not yet appended.
    let previous: { destroyed: string[]; skipped: SkippedRecord[]; contentDeleted: Promise<void> } | undefined;
    const finish = async (chunk: NonNullable<typeof previous>) => {
      await timed('content-delete-wait', () => chunk.contentDeleted);
      const at = new Date().toISOString();
      loaded = await timed('outcomes-append', async () =>
        this.advance(
          batchId,
          await run({ type: 'RecordDisposalOutcomes', batchId, actor: context.actor, at, destroyed: chunk.destroyed, skipped: chunk.skipped }),
          loaded,
        ),
      );
    };
    try {
      for (let i = 0; i < pending.length; i += EXECUTION_CHUNK) {
        const chunk = pending.slice(i, i + EXECUTION_CHUNK);
        const batch = loaded.state as DisposalBatch;
        const skipped: SkippedRecord[] = [];
        const toDestroy: string[] = [];
        const prepared: DisposedRecord[] = [];
        // Loaded in parallel (distinct streams), classified in the batch's order.
        const loadedRecords = await timed('classify-load', () => mapConcurrently(chunk, RECORDS_AT_ONCE, (recordId) => this.records.load(recordId)));
        for (const [index, recordId] of chunk.entries()) {
          const state = loadedRecords[index].state;
          if (state.status === 'absent') skipped.push({ recordId, reason: 'unknown' });
          else if (state.status === 'destroyed') {
            if (state.tombstone?.batchId === batchId && batch.prepared[recordId]) toDestroy.push(recordId);
            else skipped.push({ recordId, reason: 'already-destroyed' });
          } else if (state.holds.length > 0) skipped.push({ recordId, reason: 'held', matter: mattersOf(state) });
          else {
            toDestroy.push(recordId);
            if (!batch.prepared[recordId]) prepared.push(disposedRecord(state, loadedRecords[index].events));
          }
        }
        if (prepared.length > 0)
          loaded = await timed('prepare-append', async () =>
            this.advance(batchId, await run({ type: 'PrepareDisposal', batchId, actor: context.actor, at: context.at, records: prepared }), loaded),
          );
        // Each record's own stream: destroyed a few at a time (the event store commits their
        // appends together), outcomes kept in the batch's order. Then the chunk's keys are
        // destroyed together (one key-store write and WAL truncation), and its content deleted
        // meanwhile the next chunk is destroyed; its outcomes are appended once both are done.
        const unshredded: DestructionTombstone[] = [];
        let outcomes: Awaited<ReturnType<DisposalBatches['destroyRecord']>>[];
        try {
          outcomes = await timed('destroy-records', () =>
            mapConcurrently(toDestroy, RECORDS_AT_ONCE, (recordId) => this.destroyRecord(recordId, batch, approver, approvalEvent.id, context, unshredded)),
          );
        } catch (error) {
          await this.records.shredAll(unshredded); // what was destroyed before the failure
          throw error;
        }
        const destroyed: string[] = [];
        for (const [index, outcome] of outcomes.entries()) {
          if (outcome === 'destroyed') destroyed.push(toDestroy[index]);
          else skipped.push(outcome);
        }
        const keysDestroyed = await timed('key-destroy', () => this.records.destroyKeys(unshredded));
        const contentDeleted = this.records.deleteContent(
          unshredded.map((d) => d.recordId),
          keysDestroyed,
        );
        contentDeleted.catch(() => undefined); // awaited by finish(), or below when something fails first
        const before = previous;
        previous = { destroyed, skipped, contentDeleted };
        if (before) await finish(before);
      }
      if (previous) await finish(previous);
    } finally {
      await previous?.contentDeleted.catch(() => undefined);
    }
    return timed('complete', async () => {
      const batch = loaded.state as DisposalBatch;
      const issue = { certificateId: randomUUID(), facility: this.config.facilityName, issuedAt: new Date().toISOString() };
      const sha256 = certificateSha256(certificateOf(batch, issue));
      const completed = await run({
        type: 'CompleteDisposal',
        batchId,
        actor: context.actor,
        at: issue.issuedAt,
        certificateId: issue.certificateId,
        facility: issue.facility,
        sha256,
      });
      return this.advance(batchId, completed, loaded);
    });
  }

  /** The certificate, re-derived from the batch's events and checked against the SHA-256 appended when it was issued. */
  async certificate(certificateId: string): Promise<{ certificate: Certificate; sha256: string }> {
    await this.readModels.reachHead();
    const batchId = this.readModels.batchOfCertificate(certificateId);
    if (!batchId) throw new DomainError('not-found', 'No such certificate');
    const batch = await this.get(batchId);
    const certificate = certificateOf(batch);
    const sha256 = certificateSha256(certificate);
    if (sha256 !== batch.certificate!.sha256) throw new Error('The certificate does not match the SHA-256 recorded when it was issued');
    return { certificate, sha256 };
  }

  private async advance(batchId: string, result: { appended: unknown[] }, loaded: LoadedBatch): Promise<LoadedBatch> {
    return result.appended.length > 0 ? this.load(batchId, loaded) : loaded;
  }

  /** The approver's approval (once) then the destruction, through the record decider; a hold that stands now wins. */
  private async destroyRecord(
    recordId: string,
    batch: DisposalBatch,
    approver: Actor,
    approvalEventId: string,
    context: CommandContext,
    /** Records destroyed here, for the caller to shred. */
    unshredded: DestructionTombstone[],
  ) {
    const { state } = await timed('record:load', () => this.records.load(recordId));
    if (state.status === 'destroyed') return 'destroyed' as const;
    if (state.status === 'absent') return { recordId, reason: 'unknown' as const };
    if (state.holds.length > 0) return { recordId, reason: 'held' as const, matter: mattersOf(state) };
    const version = currentVersion(state).version;
    const standing = state.destructionApprovals.some(
      (a) => a.version === version && a.approvedBy === approver.username && a.authority.trim() === batch.authority,
    );
    const approval = {
      command: {
        type: 'ApproveDestruction' as const,
        recordId,
        actor: approver,
        at: new Date().toISOString(),
        approvalId: randomUUID(),
        authority: batch.authority,
        batchId: batch.batchId,
      },
      context: { ...context, actor: approver, causationId: approvalEventId },
    };
    const destruction = {
      command: {
        type: 'DestroyRecord' as const,
        recordId,
        actor: context.actor,
        at: new Date().toISOString(),
        authority: batch.authority,
        approvedBy: approver.username,
        batchId: batch.batchId,
      },
      context,
    };
    try {
      // The approver's approval (unless it stands) and the destruction in one append: decided
      // together on one state, written together.
      const result = await timed('record:approve+destroy', () =>
        this.records.executeAll(recordId, standing ? [destruction] : [approval, destruction], { deferShred: true }),
      );
      unshredded.push(tombstoneOf(result.state as ExistingRecordState));
      return 'destroyed' as const;
    } catch (error) {
      // A hold placed at this very moment: the record decider refuses, or the append finds the
      // stream moved on; either way the hold wins.
      const now = await this.records.load(recordId);
      if (
        (error instanceof DomainError || error instanceof WrongExpectedRevisionError) &&
        now.state.status !== 'absent' &&
        now.state.status !== 'destroyed' &&
        now.state.holds.length > 0
      ) {
        return { recordId, reason: 'held' as const, matter: mattersOf(now.state) };
      }
      throw error;
    }
  }

  /** Without record ids: every record due as of asOf; with them, each one's reason when it cannot be included. */
  private async select(request: DisposalProposal): Promise<{ included: string[]; excluded: Exclusion[] }> {
    await this.readModels.reachHead();
    const included: string[] = [];
    const excluded: Exclusion[] = [];
    const consider = async (recordId: string, dueUntil?: string) => {
      const { state } = await this.records.load(recordId);
      if (state.status === 'absent') return excluded.push({ recordId, reason: 'unknown' });
      if (state.status === 'destroyed') return excluded.push({ recordId, reason: 'already-destroyed' });
      if (request.documentType && state.documentType !== request.documentType) return excluded.push({ recordId, reason: 'other-document-type' });
      const until = dueUntil ?? this.retentionDateOf(state);
      if (until > request.asOf) return excluded.push({ recordId, reason: 'not-yet-due', retentionUntil: until });
      if (state.holds.length > 0) return excluded.push({ recordId, reason: 'held', matter: mattersOf(state) });
      return included.push(recordId);
    };
    if (request.recordIds !== undefined) {
      for (const recordId of new Set(request.recordIds)) await consider(recordId);
    } else {
      let cursor: string | undefined;
      do {
        const page = this.readModels.retentionDue({
          asOf: request.asOf,
          limit: DUE_PAGE,
          ...(request.documentType ? { documentType: request.documentType } : {}),
          ...(cursor ? { cursor } : {}),
        });
        for (const entry of page.records) await consider(entry.id, entry.retentionUntil);
        cursor = page.nextCursor ?? undefined;
      } while (cursor);
    }
    return { included, excluded };
  }

  private retentionDateOf(state: ExistingRecordState): string {
    const schedule = this.readModels.retentionSchedules().find((s) => s.documentType === state.documentType) ?? defaultSchedule(state.documentType);
    return retentionUntil(
      {
        documentType: state.documentType,
        encounterDate: state.encounterDate ?? null,
        createdDay: state.versions[0].createdAt.slice(0, 10),
        dateOfBirth: state.dateOfBirth ?? null,
      },
      schedule,
    ).retentionUntil;
  }
}

const mattersOf = (state: ExistingRecordState): string => [...new Set(state.holds.map((h) => h.matter ?? 'matter unreadable'))].join('; ');

/**
 * What the certificate lists of a record (its MRN, type, the date range of its content and its
 * versions), and its releases, kept for the accounting of disclosures.
 */
function disposedRecord(state: ExistingRecordState, events: LoadedRecord['events']): DisposedRecord {
  const disclosures = keptDisclosures(events.map((e) => e.event));
  const days = state.versions.map((v) => v.createdAt.slice(0, 10));
  if (state.encounterDate) days.push(state.encounterDate);
  days.sort();
  return {
    recordId: state.recordId,
    mrn: state.mrn ?? '',
    documentType: state.documentType,
    from: days[0],
    to: days[days.length - 1],
    versions: state.versions.length,
    ...(disclosures.length > 0 ? { disclosures } : {}),
  };
}
