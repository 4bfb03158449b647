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

/** The actor of the server's own processes (OCR, bootstrap): attributed, never a person. */
export function systemActor(name: string): Actor {
  return { userId: '00000000-0000-0000-0000-000000000000', username: `system:${name}`, role: 'system' };
}
