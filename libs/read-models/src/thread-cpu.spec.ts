import { threadCpuMs } from './thread-cpu';

describe('threadCpuMs', () => {
  it("counts this thread's CPU time, never more than the process's: a busy loop until it has added 200 ms", () => {
    const before = threadCpuMs();
    if (before === null) return expect(process.platform).not.toBe('linux');
    const processCpu = () => {
      const { user, system } = process.cpuUsage();
      return (user + system) / 1000;
    };
    const processBefore = processCpu();
    // Busy until this thread's own clock says 200 ms (not the process's: other threads of a jest
    // worker, left by earlier suites, may take most of the process's time on a loaded machine).
    const deadline = Date.now() + 30_000;
    while (threadCpuMs()! - before < 200 && Date.now() < deadline) {
      /* busy: CPU time, however long the machine takes to give it */
    }
    const used = threadCpuMs()! - before;
    expect(used).toBeGreaterThanOrEqual(200);
    // The process's time includes this thread's; the 10 ms ticks round.
    expect(used).toBeLessThanOrEqual(processCpu() - processBefore + 10);
  });
});
