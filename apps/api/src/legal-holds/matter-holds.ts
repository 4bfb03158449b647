import { Inject, Injectable, Logger } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { CommandContext, EventSourcedRunner } from '@medrec/application';
import { KEY_STORE, KeyStore } from '@medrec/crypto';
import { Actor, DomainError, legalHoldStream, matterHoldDecider, MatterHoldState, validateMatterHold } from '@medrec/domain';
import { ReadModels } from '@medrec/read-models';
import { RecordRepository } from '../records/record-repository';

export interface MatterHoldRequest {
  matter: string;
  reason: string;
  recordIds?: string[];
  mrn?: string;
}

type ActiveHold = Extract<MatterHoldState, { status: 'active' | 'lifted' }>;

/**
 * Legal holds by matter: the hold is its own process stream (`legal-hold-<id>`, decided by
 * matterHoldDecider, sealed with a key of its own) and is applied on every record it covers as that
 * record's `LegalHoldPlaced` with the matter hold's id, so the record decider stays the one
 * authority on destruction. Applying and lifting on the records is idempotent: a record already
 * holding the hold is skipped on placement, a record without it (or destroyed) on lifting, so an
 * interrupted lift is finished by lifting again.
 */
@Injectable()
export class MatterHolds {
  private readonly logger = new Logger(MatterHolds.name);

  constructor(
    private readonly eventSourced: EventSourcedRunner,
    private readonly records: RecordRepository,
    private readonly readModels: ReadModels,
    @Inject(KEY_STORE) private readonly keys: KeyStore,
  ) {}

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
        const placedBy = loaded.events[0].stored;
        // Attributed to the person who placed the matter hold, caused by its placement.
        const actor: Actor = {
          userId: typeof placedBy.metadata.actorId === 'string' ? placedBy.metadata.actorId : '',
          username: loaded.state.placedBy,
          role: 'legal',
        };
        const holdContext: CommandContext = { actor, correlationId: context.correlationId, causationId: placedBy.id, at: new Date().toISOString() };
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
