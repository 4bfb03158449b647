import type { ThrottlerStorage } from '@nestjs/throttler';

export interface SignInLimits {
  /** Sign-in attempts one client address may make per window. */
  perAddress: number;
  /** Sign-in attempts for one username (real or not) per window, from anywhere. */
  perUsername: number;
  windowSeconds: number;
  /** Consecutive failed sign-ins that lock a real account until an administrator unlocks it. */
  lockoutAfterFailures: number;
}

export const DEFAULT_SIGN_IN_LIMITS: SignInLimits = { perAddress: 30, perUsername: 5, windowSeconds: 60, lockoutAfterFailures: 10 };

/** Thrown when a sign-in attempt is over a limit: answered 429 with Retry-After, before any password is checked. */
export class SignInThrottledError extends Error {
  constructor(readonly retryAfterSeconds: number) {
    super('Too many sign-in attempts; try again later');
    this.name = 'SignInThrottledError';
  }
}

/**
 * Sliding-window limits on sign-in attempts, per client address and per username, counted in a
 * @nestjs/throttler storage (in memory per process; a shared ThrottlerStorage makes them
 * deployment-wide). Every attempt counts, whatever its outcome: a flood is refused before it
 * costs a password hash. A refused attempt does not count.
 */
export class SignInThrottle {
  constructor(
    private readonly storage: ThrottlerStorage,
    private readonly limits: SignInLimits,
  ) {}

  /** Counts the attempt, or throws SignInThrottledError (the address is checked first, then the username). */
  async admit(address: string, username: string): Promise<void> {
    const ttl = this.limits.windowSeconds * 1000;
    for (const [key, limit] of [
      [`sign-in:address:${address}`, this.limits.perAddress],
      [`sign-in:username:${username.toLowerCase()}`, this.limits.perUsername],
    ] as const) {
      const record = await this.storage.increment(key, ttl, limit, 0, 'sign-in');
      if (record.isBlocked) throw new SignInThrottledError(Math.max(1, record.timeToBlockExpire));
    }
  }
}

/**
 * Consecutive failed sign-ins per account, in memory: a success resets the count, reaching the
 * limit says "lock now" (once) and starts again from zero. Bounded: the oldest entries are
 * dropped beyond `maxTracked` accounts.
 */
export class ConsecutiveFailures {
  private readonly counts = new Map<string, number>();

  constructor(
    readonly lockAfter: number,
    private readonly maxTracked = 100_000,
  ) {}

  /** Records a failure; true when this one reaches the limit (the caller locks the account). */
  fail(userId: string): { count: number; lock: boolean } {
    const count = (this.counts.get(userId) ?? 0) + 1;
    this.counts.delete(userId);
    if (count >= this.lockAfter) return { count, lock: true };
    this.counts.set(userId, count);
    if (this.counts.size > this.maxTracked) this.counts.delete(this.counts.keys().next().value!);
    return { count, lock: false };
  }

  succeed(userId: string): void {
    this.counts.delete(userId);
  }

  count(userId: string): number {
    return this.counts.get(userId) ?? 0;
  }
}
