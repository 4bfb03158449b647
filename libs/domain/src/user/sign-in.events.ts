import { type Decider, unhandled } from '../shared/decider';

/** Failed sign-ins, one event each (no password, ever). Appended without reading the stream. */
export const SIGN_IN_FAILURES_STREAM = 'sign-in-failures';

export type SignInFailureReason = 'wrong-password' | 'unknown-user' | 'locked' | 'inactive';

/**
 * `userId`/`username` only when the username is a real user's: a name that is no user's may be a
 * password typed into the wrong field, so it is not written anywhere.
 */
export interface SignInFailed {
  type: 'SignInFailed';
  data: { userId: string | null; username: string | null; reason: SignInFailureReason; address: string; failedAt: string };
}

/** Signed-out (revoked) bearer tokens, by their `jti`, until they would have expired anyway. */
export const TOKEN_REVOCATIONS_STREAM = 'token-revocations';

export interface TokenRevoked {
  type: 'TokenRevoked';
  /** `exp` as in the token: seconds since the epoch. */
  data: { jti: string; exp: number; revokedAt: string };
}

export interface RevocationsState {
  /** jti -> exp (seconds). */
  revoked: ReadonlyMap<string, number>;
}

/** Folds revocations; a revocation whose token has expired by the time of a later one is forgotten (no clock needed). */
export interface RevokeToken {
  type: 'RevokeToken';
  jti: string;
  exp: number;
  at: string;
}

export const revocationsDecider = {
  initialState: (): RevocationsState => ({ revoked: new Map() }),
  decide(command: RevokeToken): TokenRevoked[] {
    return [{ type: 'TokenRevoked', data: { jti: command.jti, exp: command.exp, revokedAt: command.at } }];
  },
  evolve(state: RevocationsState, event: TokenRevoked): RevocationsState {
    // One event type so far: anything else in the stream was written by a newer version.
    if (event.type !== 'TokenRevoked') return unhandled(event as never, 'event');
    const now = Date.parse(event.data.revokedAt) / 1000;
    const revoked = new Map(state.revoked);
    // Mutating a copy per event is O(n) each; prune at the same time so n stays the live tokens.
    for (const [jti, exp] of revoked) if (exp < now) revoked.delete(jti);
    revoked.set(event.data.jti, event.data.exp);
    return { revoked };
  },
} satisfies Decider<RevokeToken, TokenRevoked, RevocationsState>;
