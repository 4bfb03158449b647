import { threadCpuMs } from './thread-cpu';

describe('threadCpuMs', () => {
  it("counts this thread's CPU time, not the other threads': a busy loop of 200 ms of CPU adds about that much", () => {
    const before = threadCpuMs();
    if (before === null) return expect(process.platform).not.toBe('linux');
    const processCpu = () => {
      const { user, system } = process.cpuUsage();
      return (user + system) / 1000;
    };
    const processBefore = processCpu();
    while (processCpu() - processBefore < 200) {
      /* busy: CPU time, however long the machine takes to give it */
    }
    const used = threadCpuMs()! - before;
    // The process's other threads (GC, I/O) used some of the 200 ms; the 10 ms ticks round.
    expect(used).toBeGreaterThan(100);
    expect(used).toBeLessThanOrEqual(processCpu() - processBefore + 10);
  });
});
