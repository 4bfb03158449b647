import { Inject, Injectable, Logger, OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { CommandContext, EventSourcedRunner, LoadedStream } from '@medrec/application';
import { KEY_STORE, KeyStore } from '@medrec/crypto';
import { Actor, DomainError, legalHoldStream, matterHoldDecider, MatterHoldEvent, MatterHoldState, validateMatterHold } from '@medrec/domain';
import { ReadModelBehindError, ReadModels } from '@medrec/read-models';
import { RecordRepository } from '../records/record-repository';

export interface MatterHoldRequest {
  matter: string;
  reason: string;
  recordIds?: string[];
  mrn?: string;
}

type ActiveHold = Extract<MatterHoldState, { status: 'active' | 'lifted' }>;
type LoadedHold = LoadedStream<MatterHoldState, MatterHoldEvent>;

/** How long the start-up completion of interrupted placements waits between attempts while the read models catch up. */
const RESUME_RETRY_MS = 1000;

/**
 * Legal holds by matter: the hold is its own process stream (`legal-hold-<id>`, decided by
 * matterHoldDecider, sealed with a key of its own) and is applied on every record it covers as that
 * record's `LegalHoldPlaced` with the matter hold's id, so the record decider stays the one
 * authority on destruction. Applying and lifting on the records is idempotent: a record already
 * holding the hold is skipped on placement, a record without it (or destroyed) on lifting, so an
 * interrupted lift is finished by lifting again, and a placement interrupted part way (the server
 * died after MatterHoldPlaced) is finished when the server starts again (completePlacements).
 */
@Injectable()
export class MatterHolds implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger(MatterHolds.name);
  private stopping = false;
  private resuming?: Promise<void>;

  constructor(
    private readonly eventSourced: EventSourcedRunner,
    private readonly records: RecordRepository,
    private readonly readModels: ReadModels,
    @Inject(KEY_STORE) private readonly keys: KeyStore,
  ) {}

  /** At start, in the background: finishes any placement a previous process left part way. */
  onApplicationBootstrap(): void {
    this.resuming = this.resumeAtStart();
  }

  /** Before the stores close: the completion stops between two records. */
  async onModuleDestroy(): Promise<void> {
    this.stopping = true;
    await this.resuming;
  }

  private async resumeAtStart(): Promise<void> {
    while (!this.stopping) {
      try {
        const placed = await this.completePlacements();
        if (placed > 0) this.logger.log(`Interrupted matter hold placements completed: ${placed} record(s) held`);
        return;
      } catch (error) {
        // The read models are still catching up with a long log: try again shortly.
        if (error instanceof ReadModelBehindError) await sleep(RESUME_RETRY_MS);
        else return this.logger.error(`Interrupted matter hold placements not completed: ${(error as Error).name}`);
      }
    }
  }

  /**
   * Finishes every standing matter hold whose placement was not completed (the process placing it
   * died part way): it is placed on each record it covers (named, or of its patient) that does not
   * hold it yet, attributed to the person who placed it, then marked completed. Idempotent.
   * Returns how many records it held.
   */
  async completePlacements(): Promise<number> {
    await this.readModels.reachHead();
    // Holds placed from now on are being placed by this process's own requests.
    const upTo = this.readModels.position();
    let placed = 0;
    for (const view of this.readModels.matterHolds()) {
      if (view.liftedAt || this.stopping) continue;
      const stream = legalHoldStream(view.id);
      const loaded = await this.eventSourced.load(stream, stream, matterHoldDecider);
      if (loaded.state.status !== 'active' || loaded.state.placementCompleted || loaded.events[0].stored.position > upTo) continue;
      const hold = loaded.state;
      const context = placerContext(loaded, randomUUID());
      const covered = new Set([...hold.recordIds, ...(hold.mrn !== undefined ? this.readModels.patientRecords(hold.mrn) : [])]);
      const done: string[] = [];
      for (const recordId of covered) {
        if (this.stopping) return placed;
        if ((await this.holdRecord(hold, recordId, hold.reason ?? '', { ...context, at: new Date().toISOString() })) > 0) done.push(recordId);
      }
      placed += done.length;
      const completed = await this.eventSourced.run({
        stream,
        keyId: stream,
        decider: matterHoldDecider,
        command: { type: 'CompleteMatterHoldPlacement', holdId: hold.holdId, actor: context.actor, at: new Date().toISOString() },
        context,
        since: loaded,
      });
      // Lifted meanwhile, after the lift had listed its records: lift it from these too.
      if (completed.state.status === 'lifted') {
        for (const recordId of done) await this.liftFromRecord(hold.holdId, recordId, { ...context, at: new Date().toISOString() });
      }
    }
    return placed;
  }

  async place(request: MatterHoldRequest, context: CommandContext): Promise<{ id: string; recordIds: string[]; position: number }> {
    validateMatterHold(request);
    const named = [...new Set(request.recordIds ?? [])];
    await this.requireLiveRecords(named);
    // Records of the patient as of now; those created meanwhile are found again after the append.
    if (request.mrn !== undefined) await this.readModels.reachHead();
    const ofPatient = request.mrn !== undefined ? this.readModels.patientRecords(request.mrn) : [];
    const holdId = randomUUID();
    const stream = legalHoldStream(holdId);
    (await this.keys.create(stream)).fill(0);
    let placed: Awaited<ReturnType<EventSourcedRunner['run']>>;
    try {
      placed = await this.eventSourced.run({
        stream,
        keyId: stream,
        decider: matterHoldDecider,
        command: { type: 'PlaceMatterHold', holdId, actor: context.actor, at: context.at, ...request, recordIds: [...new Set([...named, ...ofPatient])] },
        context,
      });
    } catch (error) {
      await this.keys.destroy(stream);
      throw error;
    }
    const hold = placed.state as ActiveHold;
    let position = placed.position!;
    const covered: string[] = [];
    for (const recordId of hold.recordIds) {
      position = Math.max(position, await this.holdRecord(hold, recordId, request.reason, context));
      covered.push(recordId);
    }
    if (request.mrn !== undefined) {
      // A record created before the hold but not yet in the read model above: the read model has every one once it reaches the hold.
      await this.readModels.reach(placed.position!);
      for (const recordId of this.readModels.patientRecords(request.mrn)) {
        if (covered.includes(recordId)) continue;
        position = Math.max(position, await this.holdRecord(hold, recordId, request.reason, context));
        covered.push(recordId);
      }
    }
    // Every covered record holds it: a hold without this is finished by the next start (completePlacements).
    const completed = await this.eventSourced.run({
      stream,
      keyId: stream,
      decider: matterHoldDecider,
      command: { type: 'CompleteMatterHoldPlacement', holdId, actor: context.actor, at: new Date().toISOString() },
      context,
    });
    position = Math.max(position, completed.position ?? 0);
    return { id: holdId, recordIds: covered, position };
  }

  /** Lifts the hold, then lifts it from every record it was placed on (asked again, finishes a lift interrupted part way). */
  async lift(holdId: string, context: CommandContext): Promise<void> {
    const stream = legalHoldStream(holdId);
    const lifted = await this.eventSourced.run({
      stream,
      keyId: stream,
      decider: matterHoldDecider,
      command: { type: 'LiftMatterHold', holdId, actor: context.actor, at: context.at },
      context,
    });
    const hold = lifted.state as ActiveHold;
    // Every record the hold reached before the lift is in the read model once it reaches the lift.
    await this.readModels.reach(lifted.position ?? this.readModels.position());
    for (const recordId of new Set([...hold.recordIds, ...this.readModels.heldRecords(holdId)])) await this.liftFromRecord(holdId, recordId, context);
  }

  /**
   * The process manager of MRN holds, run by record creation once `RecordCreated` is appended at
   * `position`: once the read model has reached that position it knows every hold placed before
   * the record, and a hold placed after it finds the record itself (place() above). Never throws:
   * the record exists whatever happens here.
   */
  async coverNewRecord(recordId: string, mrn: string, position: number, context: CommandContext): Promise<void> {
    try {
      await this.readModels.reach(position);
      for (const holdId of this.readModels.activePatientHolds(mrn)) {
        const stream = legalHoldStream(holdId);
        const loaded = await this.eventSourced.load(stream, stream, matterHoldDecider);
        if (loaded.state.status !== 'active') continue;
        const holdContext = placerContext(loaded, context.correlationId);
        await this.holdRecord(loaded.state, recordId, loaded.state.reason ?? '', holdContext);
        // Lifted meanwhile, after the lift had listed its records: lift it here.
        const after = await this.eventSourced.load(stream, stream, matterHoldDecider, loaded);
        if (after.state.status === 'lifted') await this.liftFromRecord(holdId, recordId, { ...holdContext, at: new Date().toISOString() });
      }
    } catch (error) {
      this.logger.error(`Matter holds not applied to new record ${recordId}: ${(error as Error).name}`);
    }
  }

  /** Unknown ids are a 400, destroyed ones a 409; both name the ids (which are not PHI). */
  private async requireLiveRecords(ids: string[]): Promise<void> {
    const unknown: string[] = [];
    const destroyed: string[] = [];
    for (const id of ids) {
      const { state } = await this.records.load(id);
      if (state.status === 'absent') unknown.push(id);
      else if (state.status === 'destroyed') destroyed.push(id);
    }
    if (unknown.length > 0) throw DomainError.invalid([{ field: 'recordIds', message: `names records that do not exist: ${unknown.join(', ')}` }]);
    if (destroyed.length > 0) {
      throw new DomainError('conflict', `Records already destroyed cannot be held: ${destroyed.join(', ')}`, [], { destroyedRecordIds: destroyed });
    }
  }

  /** Places the matter hold on one record; the position appended, or 0 when it already held it or is gone. */
  private async holdRecord(hold: ActiveHold, recordId: string, reason: string, context: CommandContext): Promise<number> {
    const { state } = await this.records.load(recordId);
    if (state.status === 'absent' || state.status === 'destroyed' || state.holds.some((h) => h.holdId === hold.holdId)) return 0;
    try {
      const result = await this.records.execute(
        { type: 'PlaceLegalHold', recordId, actor: context.actor, at: context.at, holdId: hold.holdId, matter: hold.matter ?? '', reason },
        context,
      );
      return result.position ?? 0;
    } catch (error) {
      // Placed concurrently (a record created during the placement), or destroyed meanwhile.
      if (error instanceof DomainError && (error.kind === 'conflict' || error.kind === 'gone')) return 0;
      throw error;
    }
  }

  private async liftFromRecord(holdId: string, recordId: string, context: CommandContext): Promise<void> {
    try {
      await this.records.execute({ type: 'LiftLegalHold', recordId, actor: context.actor, at: context.at, holdId }, context);
    } catch (error) {
      // Already lifted from this record, or destroyed meanwhile.
      if (error instanceof DomainError && (error.kind === 'not-found' || error.kind === 'gone')) return;
      throw error;
    }
  }
}

/** Attributed to the person who placed the matter hold, caused by its placement. */
function placerContext(loaded: LoadedHold, correlationId: string): CommandContext {
  const placedBy = loaded.events[0].stored;
  const actor: Actor = {
    userId: typeof placedBy.metadata.actorId === 'string' ? placedBy.metadata.actorId : '',
    username: (loaded.state as ActiveHold).placedBy,
    role: 'legal',
  };
  return { actor, correlationId, causationId: placedBy.id, at: new Date().toISOString() };
}
