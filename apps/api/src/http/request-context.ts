import type { CommandContext } from '@medrec/application';
import type { AuthenticatedRequest } from '@medrec/auth';
import { DomainError, type PurposeOfUse } from '@medrec/domain';

export interface TracedRequest extends AuthenticatedRequest {
  correlationId: string;
}

/** Who acts, for what purpose, now: the context of every command and audited read. */
export function contextOf(request: TracedRequest): CommandContext {
  return {
    actor: request.actor,
    ...(request.purposeOfUse ? { purpose: request.purposeOfUse } : {}),
    correlationId: request.correlationId,
    at: new Date().toISOString(),
  };
}

/** The context of a read of patient data: its purpose, and for an emergency read its justification. */
export type ReadContext = CommandContext & { purpose: PurposeOfUse; justification?: string };

export function readContextOf(request: TracedRequest): ReadContext {
  return {
    ...contextOf(request),
    purpose: request.purposeOfUse!,
    ...(request.emergencyJustification !== undefined ? { justification: request.emergencyJustification } : {}),
  };
}

/** `If-Match: "3"` (or W/"3", or 3) -> 3; absent -> undefined; anything else -> 400. */
export function parseIfMatch(header: string | undefined): number | undefined {
  if (header === undefined || header === '') return undefined;
  const match = /^\s*(?:W\/)?"?(\d{1,15})"?\s*$/.exec(header);
  if (!match) throw DomainError.invalid([{ field: 'If-Match', message: 'must be the ETag of the record, e.g. "3"' }]);
  return Number(match[1]);
}

export const etag = (revision: number | null): string => `"${revision ?? -1}"`;
