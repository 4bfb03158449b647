import { ThrottlerStorageService } from '@nestjs/throttler';
import { ConsecutiveFailures, SignInThrottle, SignInThrottledError } from './sign-in-limits';

describe('SignInThrottle', () => {
  let storage: ThrottlerStorageService;
  beforeEach(() => {
    jest.useFakeTimers({ now: new Date('2024-03-01T09:00:00.000Z') });
    storage = new ThrottlerStorageService();
  });
  afterEach(() => {
    storage.onApplicationShutdown();
    jest.useRealTimers();
  });

  const throttle = () => new SignInThrottle(storage, { perAddress: 4, perUsername: 2, windowSeconds: 60, lockoutAfterFailures: 10 });
  const outcome = (p: Promise<void>) =>
    p.then(
      () => 'ok',
      (e) => (e instanceof SignInThrottledError ? `429 after ${e.retryAfterSeconds}s` : String(e)),
    );

  it('admits `perUsername` attempts per username (any case) in the window, then refuses with the time until the oldest leaves it', async () => {
    const t = throttle();
    expect(await outcome(t.admit('10.0.0.1', 'dora'))).toBe('ok');
    jest.advanceTimersByTime(20_000);
    expect(await outcome(t.admit('10.0.0.2', 'DORA'))).toBe('ok');
    expect(await outcome(t.admit('10.0.0.3', 'dora'))).toBe('429 after 40s');
    jest.advanceTimersByTime(40_001);
    expect(await outcome(t.admit('10.0.0.3', 'dora'))).toBe('ok');
  });

  it('admits `perAddress` attempts per address whatever the usernames; the address is counted first', async () => {
    const t = throttle();
    for (const name of ['a', 'b', 'c', 'd']) expect(await outcome(t.admit('10.0.0.1', name))).toBe('ok');
    expect(await outcome(t.admit('10.0.0.1', 'e'))).toBe('429 after 60s');
    // The refused attempt did not count against "e": from another address it is its first.
    expect(await outcome(t.admit('10.0.0.2', 'e'))).toBe('ok');
    expect(await outcome(t.admit('10.0.0.2', 'e'))).toBe('ok');
    expect(await outcome(t.admit('10.0.0.2', 'e'))).toMatch(/^429/);
  });
});

describe('ConsecutiveFailures', () => {
  it('says "lock" at the limit, once, and counts again from zero', () => {
    const f = new ConsecutiveFailures(3);
    expect([f.fail('u1'), f.fail('u1'), f.fail('u1')].map((r) => r.lock)).toEqual([false, false, true]);
    expect(f.count('u1')).toBe(0);
    expect(f.fail('u1')).toEqual({ count: 1, lock: false });
  });

  it('a success resets the count; accounts are counted apart', () => {
    const f = new ConsecutiveFailures(3);
    f.fail('u1');
    f.fail('u1');
    f.fail('u2');
    f.succeed('u1');
    expect(f.fail('u1')).toEqual({ count: 1, lock: false });
    expect(f.fail('u2')).toEqual({ count: 2, lock: false });
  });

  it('tracks at most maxTracked accounts, dropping the oldest', () => {
    const f = new ConsecutiveFailures(5, 2);
    f.fail('u1');
    f.fail('u2');
    f.fail('u3');
    expect([f.count('u1'), f.count('u2'), f.count('u3')]).toEqual([0, 1, 1]);
  });
});
