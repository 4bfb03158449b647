import { HashingBusyError, HashingSlots } from './hashing-slots';

/** A job that finishes when told to. */
function job<T>(value: T) {
  let finish!: () => void;
  const started = jest.fn();
  const run = () => {
    started();
    return new Promise<T>((resolve) => (finish = () => resolve(value)));
  };
  return { run, started, finish: () => finish() };
}

const tick = () => new Promise((r) => setImmediate(r));

describe('HashingSlots', () => {
  it('runs at most `concurrency` jobs at once, the others in arrival order', async () => {
    const slots = new HashingSlots(2, 10);
    const jobs = [job(1), job(2), job(3), job(4)];
    const results = jobs.map((j) => slots.run(j.run));
    await tick();
    expect(jobs.map((j) => j.started.mock.calls.length)).toEqual([1, 1, 0, 0]);
    expect(slots.stats()).toEqual({ running: 2, waiting: 2 });

    jobs[1].finish();
    await tick();
    expect(jobs.map((j) => j.started.mock.calls.length)).toEqual([1, 1, 1, 0]);
    jobs[0].finish();
    jobs[2].finish();
    await tick();
    jobs[3].finish();
    expect(await Promise.all(results)).toEqual([1, 2, 3, 4]);
    expect(slots.stats()).toEqual({ running: 0, waiting: 0 });
  });

  it('refuses at once, without running it, a job beyond the waiting queue (HashingBusyError, Retry-After 1)', async () => {
    const slots = new HashingSlots(1, 1);
    const first = job('a');
    const second = job('b');
    const third = job('c');
    const running = slots.run(first.run);
    const waiting = slots.run(second.run);
    await expect(slots.run(third.run)).rejects.toBeInstanceOf(HashingBusyError);
    expect(third.started).not.toHaveBeenCalled();
    expect(new HashingBusyError().retryAfterSeconds).toBe(1);

    first.finish();
    await tick();
    second.finish();
    expect([await running, await waiting]).toEqual(['a', 'b']);
  });

  it('frees the slot when a job fails', async () => {
    const slots = new HashingSlots(1, 5);
    await expect(slots.run(() => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
    await expect(slots.run(async () => 'next')).resolves.toBe('next');
    expect(slots.stats()).toEqual({ running: 0, waiting: 0 });
  });
});
