import { randomBytes, randomUUID } from 'node:crypto';
import jwt from 'jsonwebtoken';
import type { Role } from '@medrec/domain';

export interface ForgedClaims {
  sub: string;
  username: string;
  roles: Role[];
}

/**
 * An HS256 token like the server's (with an `exp` and a `jti`, as the server requires), signed
 * with whatever secret the test chooses (e.g. a wrong one).
 */
export function signToken(secret: Buffer, claims: ForgedClaims, options: { expiresInSeconds?: number; issuedSecondsAgo?: number; jti?: string } = {}): string {
  const now = Math.floor(Date.now() / 1000) - (options.issuedSecondsAgo ?? 0);
  const { sub, ...rest } = claims;
  return jwt.sign({ ...rest, iat: now, exp: now + (options.expiresInSeconds ?? 900), jti: options.jti ?? randomUUID() }, secret, {
    algorithm: 'HS256',
    subject: sub,
  });
}

/** A token that claims `alg: none` (no signature): must never be accepted. */
export function unsignedToken(claims: ForgedClaims): string {
  const b64 = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');
  const now = Math.floor(Date.now() / 1000);
  return `${b64({ alg: 'none', typ: 'JWT' })}.${b64({ ...claims, iat: now, exp: now + 900, jti: randomUUID() })}.`;
}

export const randomSecret = (): Buffer => randomBytes(32);
