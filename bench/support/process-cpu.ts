import { readdirSync, readFileSync } from 'node:fs';

const CLOCK_TICKS_PER_SECOND = 100;

/** CPU seconds (user + system, every thread) of a live process, or with `children`, of its reaped children (Linux /proc). */
export function cpuSeconds(pid: number | 'self', children = false): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // Fields after the command name (which may hold spaces): state is field 3, utime 14, stime 15, cutime 16, cstime 17.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const [utime, stime, cutime, cstime] = fields.slice(11, 15).map(Number);
  return (children ? cutime + cstime : utime + stime) / CLOCK_TICKS_PER_SECOND;
}

/**
 * CPU seconds of a live process's threads, summed by thread name (the main thread apart): which
 * share went to recognition (the OCR threads) and which to the rest. Threads that have ended are not counted.
 */
export function cpuByThread(pid: number): Record<string, number> {
  const out: Record<string, number> = {};
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    let stat: string;
    try {
      stat = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8');
    } catch {
      continue; // ended meanwhile
    }
    const name = Number(tid) === pid ? 'main' : stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
    const [utime, stime] = stat
      .slice(stat.lastIndexOf(')') + 2)
      .split(' ')
      .slice(11, 13)
      .map(Number);
    // Unnamed threads (Node's workers: OCR, PDF, the replay thread) apart, by id, when they used any CPU worth naming.
    const seconds = (utime + stime) / CLOCK_TICKS_PER_SECOND;
    const key = name === 'node' && seconds >= 0.5 ? `node#${tid}` : name;
    out[key] = Math.round(((out[key] ?? 0) + seconds) * 100) / 100;
  }
  return out;
}
