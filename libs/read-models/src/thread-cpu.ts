import { readFileSync } from 'node:fs';

/** Clock ticks per second of /proc's CPU times (USER_HZ: 100 on Linux on every common architecture). */
const TICKS_PER_SECOND = 100;

/**
 * The CPU time (user + system, ms, 10 ms resolution) the calling thread has used, from
 * /proc/thread-self/stat; null where there is no such file (not Linux). process.cpuUsage() counts
 * every thread of the process: this tells the replay thread's share from the main thread's.
 */
export function threadCpuMs(): number | null {
  try {
    const stat = readFileSync('/proc/thread-self/stat', 'utf8');
    // Fields after the command name (which may hold spaces, in parentheses): state is field 3, utime 14, stime 15.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / TICKS_PER_SECOND;
  } catch {
    return null;
  }
}
