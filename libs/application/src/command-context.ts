import type { Actor } from '@medrec/domain';

/** Who acts, why and when: becomes every appended event's metadata. */
export interface CommandContext {
  actor: Actor;
  purpose?: string;
  correlationId: string;
  causationId?: string;
  /** ISO 8601. */
  at: string;
}
