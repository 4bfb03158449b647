import { Injectable } from '@nestjs/common';
import { CommandBus } from '@nestjs/cqrs';
import { randomUUID } from 'node:crypto';
import { CommandContext, EventSourcedRunner } from '@medrec/application';
import {
  archiveBatchDecider,
  ArchiveBatchState,
  archiveBatchStream,
  defaultArchiveReason,
  DocumentType,
  DomainError,
  validateArchiveBatch,
} from '@medrec/domain';
import { ReadModels } from '@medrec/read-models';
import { ExecuteRecordCommand } from '../records/commands/record-commands';
import { RecordRepository } from '../records/record-repository';

export interface ArchiveBatchRequest {
  inactiveSince: string;
  documentType?: DocumentType;
  reason?: string;
}

export interface ArchiveBatchResult {
  id: string;
  /** The records this batch archived (those archived or destroyed by others meanwhile are not named). */
  archived: string[];
  position: number;
}

type KnownBatch = Extract<ArchiveBatchState, { status: 'started' | 'completed' }>;

/**
 * Bulk archive as a process stream (`archive-batch-<id>`, decided by archiveBatchDecider): the
 * batch names the records found inactive in the archive read model, then archives each through the
 * record decider's ArchiveRecord (attributed to the caller, caused by the batch's start), then
 * completes. A batch interrupted part way is finished by resume(): records already archived are
 * skipped, those archived by this batch (their RecordArchived caused by its start) still counted.
 */
@Injectable()
export class ArchiveBatches {
  constructor(
    private readonly eventSourced: EventSourcedRunner,
    private readonly commands: CommandBus,
    private readonly records: RecordRepository,
    private readonly readModels: ReadModels,
  ) {}

  async start(request: ArchiveBatchRequest, context: CommandContext): Promise<ArchiveBatchResult> {
    validateArchiveBatch(request);
    await this.readModels.reachHead();
    const recordIds = this.readModels.archiveCandidates(request.inactiveSince, request.documentType);
    const batchId = randomUUID();
    const started = await this.eventSourced.run({
      stream: archiveBatchStream(batchId),
      keyId: null,
      decider: archiveBatchDecider,
      command: {
        type: 'StartArchiveBatch',
        batchId,
        actor: context.actor,
        at: context.at,
        inactiveSince: request.inactiveSince,
        ...(request.documentType !== undefined ? { documentType: request.documentType } : {}),
        recordIds,
      },
      context,
    });
    return this.finish(started.state as KnownBatch, started.appended[0].id, request.reason, context);
  }

  /** Finishes an interrupted batch, as the caller; a completed one is answered again, nothing appended. */
  async resume(batchId: string, context: CommandContext): Promise<ArchiveBatchResult> {
    const loaded = await this.eventSourced.load(archiveBatchStream(batchId), null, archiveBatchDecider);
    const state = loaded.state;
    if (state.status === 'absent') throw new DomainError('not-found', 'No such archive batch');
    if (state.status === 'completed') return { id: batchId, archived: state.archived ?? [], position: loaded.events[loaded.events.length - 1].stored.position };
    return this.finish(state, loaded.events[0].stored.id, undefined, context);
  }

  async show(batchId: string): Promise<KnownBatch> {
    const { state } = await this.eventSourced.load(archiveBatchStream(batchId), null, archiveBatchDecider);
    if (state.status === 'absent') throw new DomainError('not-found', 'No such archive batch');
    return state;
  }

  private async finish(batch: KnownBatch, startedEventId: string, reason: string | undefined, context: CommandContext): Promise<ArchiveBatchResult> {
    const archived: string[] = [];
    const recordContext: CommandContext = { ...context, causationId: startedEventId };
    for (const recordId of batch.recordIds) {
      if (await this.archiveOne(recordId, reason ?? defaultArchiveReason(batch.inactiveSince), startedEventId, recordContext)) archived.push(recordId);
    }
    const completed = await this.eventSourced.run({
      stream: archiveBatchStream(batch.batchId),
      keyId: null,
      decider: archiveBatchDecider,
      command: { type: 'CompleteArchiveBatch', batchId: batch.batchId, actor: context.actor, at: new Date().toISOString(), archived },
      context: { ...context, causationId: startedEventId },
    });
    const done = completed.state as KnownBatch;
    return { id: batch.batchId, archived: done.archived ?? archived, position: completed.position ?? this.readModels.position() };
  }

  /** Archives one record of the batch; true when this batch archived it (now or before an interruption). */
  private async archiveOne(recordId: string, reason: string, startedEventId: string, context: CommandContext): Promise<boolean> {
    const loaded = await this.records.load(recordId);
    const { state } = loaded;
    if (state.status === 'absent' || state.status === 'destroyed') return false;
    if (state.status === 'archived') {
      const archivedBy = [...loaded.events].reverse().find((e) => e.event.type === 'RecordArchived');
      // Archived by this batch before an interruption: finish moving its content.
      if (archivedBy?.stored.metadata.causationId !== startedEventId) return false;
      await this.records.moveToArchive(state);
      return true;
    }
    try {
      await this.commands.execute(
        new ExecuteRecordCommand({ type: 'ArchiveRecord', recordId, actor: context.actor, at: new Date().toISOString(), reason }, context),
      );
      return true;
    } catch (error) {
      // Archived by someone else meanwhile, or destroyed.
      if (error instanceof DomainError && (error.kind === 'conflict' || error.kind === 'gone')) return false;
      throw error;
    }
  }
}
