import { Inject, Injectable } from '@nestjs/common';
import { CommandContext, EventSourcedRunner } from '@medrec/application';
import { KEY_STORE, KeyStore } from '@medrec/crypto';
import { DomainError, emergencySearchReviewDecider, emergencySearchReviewStream, queryAuditStream } from '@medrec/domain';
import { EmergencySearch, ReadModels } from '@medrec/read-models';
import { MAX_LISTED_EMERGENCY_ACCESSES } from './emergency-access-reviews';

export interface EmergencySearchReview {
  queryId: string;
  reviewedBy: string;
  reviewedAt: string;
  note: string;
  position: number | null;
}

/**
 * Break-the-glass review of searches. The emergency searches come from the emergency-searches read
 * model (the `PatientDataQueried` facts declared `emergency`); a review is `EmergencySearchReviewed`
 * on the day's `emergency-search-review-<day>` stream, decided by emergencySearchReviewDecider (one
 * review per search: a second is 409) and sealed with the day's query-audit key.
 */
@Injectable()
export class EmergencySearchReviews {
  constructor(
    private readonly eventSourced: EventSourcedRunner,
    private readonly readModels: ReadModels,
    @Inject(KEY_STORE) private readonly keys: KeyStore,
  ) {}

  unreviewed(): EmergencySearch[] {
    return this.readModels.unreviewedEmergencySearches(MAX_LISTED_EMERGENCY_ACCESSES);
  }

  async review(queryId: string, note: string, context: CommandContext): Promise<EmergencySearchReview> {
    // A search audited before this request is known once the read model reaches the head of the log.
    await this.readModels.reachHead();
    const search = this.readModels.emergencySearch(queryId);
    if (!search) throw new DomainError('not-found', 'No such emergency search');
    const keyId = queryAuditStream(search.at);
    // A day whose query audit was shredded: its searches can no longer be reviewed (no key to seal the note).
    if (await this.keys.isDestroyed(keyId)) throw new DomainError('not-found', 'No such emergency search');
    const result = await this.eventSourced.run({
      stream: emergencySearchReviewStream(search.day),
      keyId,
      decider: emergencySearchReviewDecider,
      command: { type: 'ReviewEmergencySearch', queryId, day: search.day, searchedBy: search.actor, note, actor: context.actor, at: context.at },
      context,
    });
    return { queryId, reviewedBy: context.actor.username, reviewedAt: context.at, note, position: result.position };
  }
}
