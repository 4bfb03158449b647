import jwt from 'jsonwebtoken';
import { createSecretKey, KeyObject, randomUUID } from 'node:crypto';
import { isRole, Role } from '@medrec/domain';

export interface TokenClaims {
  sub: string;
  username: string;
  /** As issued; informational only: what a user may do is decided from the directory. */
  roles: Role[];
  /** The token's id, by which it is revoked (sign-out). */
  jti: string;
  /** Expiry, seconds since the epoch. */
  exp: number;
  /** When the user last signed in with a password (seconds since the epoch); renewals keep it. */
  authTime: number;
}

export class SessionTooOldError extends Error {
  constructor() {
    super('The session is older than allowed: sign in again');
    this.name = 'SessionTooOldError';
  }
}

export class InvalidTokenError extends Error {
  constructor() {
    super('Invalid or expired token');
    this.name = 'InvalidTokenError';
  }
}

/** Verified tokens remembered at most (the least recently verified are forgotten first). */
const VERIFIED_TOKENS_KEPT = 10_000;

/**
 * Short-lived HS256 bearer tokens signed with the server's token secret; each has a jti and an exp.
 * A token once verified is remembered with its claims until it expires, so the signature of a
 * token presented on every request is checked once: only a token string this service verified
 * itself is looked up, and its expiry is still checked on each use. Whether the token was revoked
 * or its user deactivated is not a property of the token: the caller checks that on every request.
 */
export class TokenService {
  /** A KeyObject, not a Buffer: jsonwebtoken otherwise re-derives (and first tries to parse a public key from) the secret on every call. */
  private readonly secret: KeyObject;
  /** Token string -> its claims, least recently verified first. */
  private readonly verified = new Map<string, TokenClaims>();

  constructor(
    secret: Buffer,
    readonly ttlSeconds: number,
    /** Longest a chain of renewals may run from the password sign-in before the user must sign in again. */
    readonly maxSessionSeconds = 12 * 3600,
  ) {
    if (secret.length < 32) throw new Error('The token secret must be at least 32 bytes');
    this.secret = createSecretKey(secret);
  }

  issue(user: { userId: string; username: string; roles: Role[] }, authTime = Math.floor(Date.now() / 1000)): { accessToken: string; expiresIn: number } {
    const accessToken = jwt.sign({ username: user.username, roles: user.roles, auth_time: authTime }, this.secret, {
      algorithm: 'HS256',
      subject: user.userId,
      expiresIn: this.ttlSeconds,
      jwtid: randomUUID(),
    });
    return { accessToken, expiresIn: this.ttlSeconds };
  }

  /** The claims of a token we signed that has not expired; a token without `exp` or `jti` is refused (it could never expire or be revoked). */
  verify(token: string): TokenClaims {
    const known = this.verified.get(token);
    if (known) {
      // jsonwebtoken's own rule: expired from the second `exp` on.
      if (Math.floor(Date.now() / 1000) < known.exp) return { ...known, roles: [...known.roles] };
      this.verified.delete(token);
      throw new InvalidTokenError();
    }
    const claims = this.verifySignedToken(token);
    if (this.verified.size >= VERIFIED_TOKENS_KEPT) this.verified.delete(this.verified.keys().next().value!);
    this.verified.set(token, claims);
    return { ...claims, roles: [...claims.roles] };
  }

  private verifySignedToken(token: string): TokenClaims {
    let payload: string | jwt.JwtPayload;
    try {
      payload = jwt.verify(token, this.secret, { algorithms: ['HS256'] });
    } catch {
      throw new InvalidTokenError();
    }
    if (typeof payload === 'string' || typeof payload.sub !== 'string' || typeof payload.username !== 'string') {
      throw new InvalidTokenError();
    }
    if (typeof payload.exp !== 'number' || !Number.isFinite(payload.exp)) throw new InvalidTokenError();
    if (typeof payload.jti !== 'string' || payload.jti.length === 0 || payload.jti.length > 64) throw new InvalidTokenError();
    const roles: unknown = payload.roles;
    if (!Array.isArray(roles) || !roles.every(isRole)) throw new InvalidTokenError();
    // Tokens issued before auth_time existed started their session when they were issued.
    const authTime: unknown = payload.auth_time ?? payload.iat;
    if (typeof authTime !== 'number' || !Number.isFinite(authTime)) throw new InvalidTokenError();
    return { sub: payload.sub, username: payload.username, roles, jti: payload.jti, exp: payload.exp, authTime };
  }

  /**
   * A new token for the same sign-in, so that a client renews before expiry without keeping the
   * password; refused once the session is older than maxSessionSeconds.
   */
  renew(user: { userId: string; username: string; roles: Role[] }, authTime: number, now = Date.now()): { accessToken: string; expiresIn: number } {
    if (now / 1000 - authTime > this.maxSessionSeconds) throw new SessionTooOldError();
    return this.issue(user, authTime);
  }
}
