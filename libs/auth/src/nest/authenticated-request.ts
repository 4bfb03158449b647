import type { Request } from 'express';
import type { Actor, PurposeOfUse } from '@medrec/domain';

export interface AuthenticatedRequest extends Request {
  actor: Actor;
  purposeOfUse?: PurposeOfUse;
}
