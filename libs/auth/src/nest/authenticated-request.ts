import type { Request } from 'express';
import type { Actor, PurposeOfUse } from '@medrec/domain';

export interface AuthenticatedRequest extends Request {
  actor: Actor;
  purposeOfUse?: PurposeOfUse;
  /** The bearer token's id and expiry (sign-out revokes it). */
  token: { jti: string; exp: number; authTime: number };
}
