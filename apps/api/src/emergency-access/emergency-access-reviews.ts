import { Inject, Injectable } from '@nestjs/common';
import { CommandContext, EventSourcedRunner } from '@medrec/application';
import { KEY_STORE, KeyStore } from '@medrec/crypto';
import { DomainError, emergencyAccessReviewDecider, emergencyAccessReviewStream } from '@medrec/domain';
import { EmergencyAccess, ReadModels } from '@medrec/read-models';

/** The most unreviewed emergency reads one list shows (the oldest first). */
export const MAX_LISTED_EMERGENCY_ACCESSES = 1000;

export interface EmergencyAccessReview {
  accessId: string;
  recordId: string;
  reviewedBy: string;
  reviewedAt: string;
  note: string;
  position: number | null;
}

/**
 * Break-the-glass review. The emergency reads come from the emergency-access read model (the
 * `RecordAccessed` events declared `emergency`); a review is `EmergencyAccessReviewed` on the
 * record's `emergency-access-review-<recordId>` stream, decided by emergencyAccessReviewDecider
 * (one review per access: a second is 409) and sealed with the record's key.
 */
@Injectable()
export class EmergencyAccessReviews {
  constructor(
    private readonly eventSourced: EventSourcedRunner,
    private readonly readModels: ReadModels,
    @Inject(KEY_STORE) private readonly keys: KeyStore,
  ) {}

  unreviewed(): EmergencyAccess[] {
    return this.readModels.unreviewedEmergencyAccesses(MAX_LISTED_EMERGENCY_ACCESSES);
  }

  async review(accessId: string, note: string, context: CommandContext): Promise<EmergencyAccessReview> {
    // An access appended before this request is known once the read model reaches the head of the log.
    await this.readModels.reachHead();
    const access = this.readModels.emergencyAccess(accessId);
    // A record destroyed since (its rows not yet purged): forgotten like the others, and its key is gone.
    if (!access || (await this.keys.isDestroyed(access.recordId))) throw new DomainError('not-found', 'No such emergency access');
    const result = await this.eventSourced.run({
      stream: emergencyAccessReviewStream(access.recordId),
      keyId: access.recordId,
      decider: emergencyAccessReviewDecider,
      command: { type: 'ReviewEmergencyAccess', recordId: access.recordId, accessId, accessedBy: access.actor, note, actor: context.actor, at: context.at },
      context,
    });
    return { accessId, recordId: access.recordId, reviewedBy: context.actor.username, reviewedAt: context.at, note, position: result.position };
  }
}
