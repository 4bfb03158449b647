import { SHUTDOWN_EXIT, shutdownOnSignals } from './shutdown-on-signals';

describe('shutdownOnSignals', () => {
  const SIGNAL = 'SIGUSR2' as const;
  afterEach(() => process.removeAllListeners(SIGNAL));

  function setUp(stop: () => Promise<void>, timeoutMs = 1_000) {
    const logged: string[] = [];
    const exits: number[] = [];
    let exited: (code: number) => void = () => undefined;
    const exit = new Promise<number>((r) => (exited = r));
    shutdownOnSignals({ timeoutMs, stop, log: (m) => logged.push(m), signals: [SIGNAL], exit: (code) => (exits.push(code), exited(code)) });
    return { logged, exits, exit };
  }

  it('exits 0 once the steps are done', async () => {
    const { exit, logged } = setUp(() => new Promise((r) => setTimeout(r, 20)));
    process.emit(SIGNAL, SIGNAL);
    expect(await exit).toBe(SHUTDOWN_EXIT.clean);
    expect(logged[0]).toBe('SIGUSR2: shutting down (at most 1000 ms)');
  });

  it('exits 124 when the steps outlast the timeout, 1 when one fails', async () => {
    const late = setUp(() => new Promise(() => undefined), 50);
    process.emit(SIGNAL, SIGNAL);
    expect(await late.exit).toBe(SHUTDOWN_EXIT.timedOut);
    expect(late.logged.join('\n')).toContain('MEDREC_SHUTDOWN_TIMEOUT_MS');
    process.removeAllListeners(SIGNAL);

    const failing = setUp(() => Promise.reject(new TypeError('a message that may quote data')));
    process.emit(SIGNAL, SIGNAL);
    expect(await failing.exit).toBe(SHUTDOWN_EXIT.failed);
    expect(failing.logged.join('\n')).not.toContain('quote data');
  });

  it('a second signal exits at once with 128 + its number', async () => {
    const { exit, exits } = setUp(() => new Promise(() => undefined));
    process.emit(SIGNAL, SIGNAL);
    process.emit(SIGNAL, SIGNAL);
    expect(await exit).toBe(128 + 12);
    expect(exits).toEqual([140]);
  });
});
