import type { Request } from 'express';
import type { Actor, PurposeOfUse } from '@medrec/domain';

export interface AuthenticatedRequest extends Request {
  actor: Actor;
  purposeOfUse?: PurposeOfUse;
  /** Break-the-glass: the X-Emergency-Justification of a read declared `emergency` (checked by the guard). */
  emergencyJustification?: string;
  /** The bearer token's id and expiry (sign-out revokes it). */
  token: { jti: string; exp: number; authTime: number };
}
