import { Inject, Injectable } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { CommandContext, EventSourcedRunner, LoadedStream, PipelinedAppender, RunResult } from '@medrec/application';
import { KEY_STORE, KeyStore } from '@medrec/crypto';
import {
  ClaimReleaseReason,
  CoverSheetAccessed,
  CoverSheetClaimant,
  coverSheetAccessStream,
  CoverSheetCommand,
  coverSheetDecider,
  CoverSheetDetails,
  CoverSheetEvent,
  CoverSheetState,
  coverSheetStream,
  DomainError,
  ExistingCoverSheetState,
  stackDecider,
  stackStream,
} from '@medrec/domain';
import { WrongExpectedRevisionError } from '@medrec/event-store';
import type { ReadContext } from '../http/request-context';

type LoadedCoverSheet = LoadedStream<CoverSheetState, CoverSheetEvent>;

export interface IssuedCoverSheet extends CoverSheetDetails {
  id: string;
}

/**
 * Cover sheets' streams: issue (one key per sheet, created before the first event as records'
 * are), read with an audit trail, and use or void, after which the sheet's key is destroyed: its
 * details then live in the record alone. A sheet found used or voided with its key still there (the
 * process died between the event and the shredding) is shredded when it is next loaded.
 */
@Injectable()
export class CoverSheets {
  constructor(
    private readonly eventSourced: EventSourcedRunner,
    private readonly accessLog: PipelinedAppender,
    @Inject(KEY_STORE) private readonly keys: KeyStore,
  ) {}

  async issue(details: CoverSheetDetails, context: CommandContext, batchId?: string): Promise<{ sheet: IssuedCoverSheet; position: number }> {
    const id = randomUUID();
    const stream = coverSheetStream(id);
    (await this.keys.create(stream)).fill(0);
    try {
      const result = await this.eventSourced.run({
        stream,
        keyId: stream,
        decider: coverSheetDecider,
        command: { type: 'IssueCoverSheet', coverSheetId: id, actor: context.actor, at: context.at, ...details, ...(batchId !== undefined ? { batchId } : {}) },
        context,
      });
      return { sheet: { id, ...details }, position: result.position! };
    } catch (error) {
      await this.keys.destroy(stream);
      throw error;
    }
  }

  /** Issues every sheet of a batch, in order, under one batch id; the rows were all validated before. */
  async issueAll(rows: readonly CoverSheetDetails[], context: CommandContext): Promise<{ batchId: string; sheets: IssuedCoverSheet[]; position: number }> {
    const batchId = randomUUID();
    const sheets: IssuedCoverSheet[] = [];
    let position = 0;
    for (const row of rows) {
      const issued = await this.issue(row, context, batchId);
      sheets.push(issued.sheet);
      position = issued.position;
    }
    return { batchId, sheets, position };
  }

  /**
   * A read of the sheet's details, audited as a record's is: CoverSheetAccessed (who, role, purpose)
   * is appended before anything is returned. Unknown: 404.
   */
  async read(id: string, context: ReadContext): Promise<{ state: ExistingCoverSheetState; position: number }> {
    const loaded = await this.load(id);
    const { state } = loaded;
    if (state.status === 'absent') throw new DomainError('not-found', 'No such cover sheet');
    const accessed: CoverSheetAccessed = {
      type: 'CoverSheetAccessed',
      data: {
        coverSheetId: id,
        accessId: randomUUID(),
        accessedBy: context.actor.username,
        role: context.actor.role,
        purpose: context.purpose,
        accessedAt: context.at,
      },
    };
    const { position } = await this.accessLog.append(coverSheetAccessStream(id), [accessed], context);
    return { state, position };
  }

  /**
   * Reserves the sheet for `claimant` before anything is filed under it (nothing appended when it
   * holds the claim already). 404 unknown; 409 used, voided, or claimed by another claimant that may
   * still file it. A claim a stack that failed for good left without recording a part under it is
   * released first: that stack files nothing more. Two claimants racing on the sheet's stream: the loser decides again, on the
   * winner's claim (a 409).
   */
  async claim(id: string, claimant: CoverSheetClaimant, context: CommandContext): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      try {
        await this.execute({ type: 'ClaimCoverSheet', coverSheetId: id, ...claimant, actor: context.actor, at: context.at }, context);
        return;
      } catch (error) {
        const again = error instanceof WrongExpectedRevisionError || (await this.releaseFailedStackClaim(id, error, context));
        if (!again || attempt >= 3) throw error;
      }
    }
  }

  /** Gives the claim of `claimant` back (nothing appended when it holds none). */
  async release(id: string, claimant: CoverSheetClaimant, reason: ClaimReleaseReason, context: CommandContext): Promise<void> {
    await this.execute({ type: 'ReleaseCoverSheetClaim', coverSheetId: id, ...claimant, reason, actor: context.actor, at: context.at }, context);
  }

  /**
   * The sheet's pages were filed as `recordId` (a stack's split, or a review item: `reviewItemId`;
   * a claimed sheet is used by its claimant only): a second use is refused (409), the details shredded.
   */
  async use(id: string, recordId: string, context: CommandContext, stackId?: string, reviewItemId?: string): Promise<RunResult<CoverSheetState>> {
    return this.execute(
      {
        type: 'UseCoverSheet',
        coverSheetId: id,
        recordId,
        ...(stackId !== undefined ? { stackId } : {}),
        ...(reviewItemId !== undefined ? { reviewItemId } : {}),
        actor: context.actor,
        at: context.at,
      },
      context,
    );
  }

  /**
   * When `error` is a claim held by a stack whose split failed for good, made by an attempt that failed
   * before recording the part filing under the sheet (no record can have been made under it): that
   * claim released, true. The claims of its recorded parts were settled when it failed (StackSplitter).
   */
  private async releaseFailedStackClaim(id: string, error: unknown, context: CommandContext): Promise<boolean> {
    const holder = error instanceof DomainError && error.kind === 'conflict' ? error.details?.stackId : undefined;
    if (typeof holder !== 'string') return false;
    const { state } = await this.eventSourced.load(stackStream(holder), null, stackDecider);
    if (state.status !== 'failed' || state.plan?.documents.some((d) => d.coverSheetId === id)) return false;
    await this.release(id, { stackId: holder }, 'stack-failed', context);
    return true;
  }

  /**
   * The sheet can no longer file pages; its details, and the reason (sealed with the sheet's key),
   * are shredded. Already voided: nothing appended, the sheet as it is. Used, or claimed by a filing
   * under way: 409. Unknown: 404.
   */
  async void(id: string, reason: string, context: CommandContext): Promise<{ state: ExistingCoverSheetState; position: number }> {
    const command: CoverSheetCommand = { type: 'VoidCoverSheet', coverSheetId: id, reason, actor: context.actor, at: context.at };
    const result = await this.execute(command, context).catch(async (error: unknown) => {
      if (!(await this.releaseFailedStackClaim(id, error, context))) throw error;
      return this.execute(command, context);
    });
    if (!isFinished(result.state)) throw new Error(`cover sheet ${id} not voided`);
    // Voided before: nothing appended, and the void that counts is the one recorded then.
    const position = result.position ?? (await this.load(id)).events.find((e) => e.event.type === 'CoverSheetVoided')!.stored.position;
    // As stored from now on: the key is gone, so neither the details nor the reason are answered.
    const { voidReason: _reason, ...voided } = result.state;
    return { state: { ...voided, details: undefined }, position };
  }

  /** Loads a sheet; one used or voided whose key is still there is shredded first and read again. */
  async load(id: string): Promise<LoadedCoverSheet> {
    const stream = coverSheetStream(id);
    const loaded = await this.eventSourced.load(stream, stream, coverSheetDecider);
    if (!isFinished(loaded.state) || loaded.state.details === undefined) return loaded;
    await this.keys.destroy(stream);
    return this.eventSourced.load(stream, stream, coverSheetDecider);
  }

  private async execute(command: CoverSheetCommand, context: CommandContext): Promise<RunResult<CoverSheetState>> {
    const stream = coverSheetStream(command.coverSheetId);
    const result = await this.eventSourced.run({ stream, keyId: stream, decider: coverSheetDecider, command, context });
    if (isFinished(result.state)) await this.keys.destroy(stream);
    return result;
  }
}

const isFinished = (state: CoverSheetState): state is ExistingCoverSheetState => state.status === 'used' || state.status === 'voided';
