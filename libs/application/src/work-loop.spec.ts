import { WorkLoop } from './work-loop';

const quietLogger = (): { warnings: string[]; warn: (message: string) => void } => {
  const warnings: string[] = [];
  return { warnings, warn: (message: string) => void warnings.push(message) };
};
const tick = (ms = 20) => new Promise((r) => setTimeout(r, ms));

describe('WorkLoop', () => {
  it('runs the step again at once while it finds work, then waits for the poll or a poke', async () => {
    let work = 3;
    let calls = 0;
    const loop = new WorkLoop('test', 60_000, async () => (calls++, work-- > 0), quietLogger().warn);
    loop.start();
    await tick();
    expect(calls).toBe(4); // three with work, one that found none
    work = 1;
    loop.poke();
    await tick();
    expect(calls).toBe(6);
    await loop.stop();
    expect(loop.isRunning).toBe(false);
  });

  it('logs a failing step by its error name only, and goes on', async () => {
    const logger = quietLogger();
    let calls = 0;
    const loop = new WorkLoop(
      'Test loop',
      5,
      () => {
        calls++;
        return Promise.reject(new TypeError('patient Jane Doe, MRN-1'));
      },
      logger.warn,
    );
    loop.start();
    await tick(40);
    await loop.stop();
    expect(calls).toBeGreaterThan(1);
    expect(logger.warnings[0]).toBe('Test loop: TypeError; retrying');
    expect(logger.warnings.join()).not.toContain('Jane');
  });

  it('stops after the step under way has ended', async () => {
    let release!: () => void;
    let ended = false;
    const loop = new WorkLoop(
      'test',
      60_000,
      async () => {
        await new Promise<void>((r) => (release = r));
        ended = true;
        return false;
      },
      quietLogger().warn,
    );
    loop.start();
    await tick();
    const stopped = loop.stop();
    release();
    await stopped;
    expect(ended).toBe(true);
  });
});
