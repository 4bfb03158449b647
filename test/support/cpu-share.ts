import { readFileSync } from 'node:fs';

/** Linux's USER_HZ: /proc reports CPU time in these ticks (100 a second on every mainstream kernel). */
const TICKS_PER_SECOND = 100;

/** CPU time (user + system, all threads) a process has used so far, in seconds, from /proc/<pid>/stat. */
export function cpuSecondsOf(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // Fields after the command name (which may hold spaces, inside parentheses): state is field 3, utime 14, stime 15.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[14 - 3]) + Number(fields[15 - 3])) / TICKS_PER_SECOND;
}

/** Cores the process kept busy on average over the next `ms` milliseconds (1 = one core all the time). */
export async function cpuShareOver(pid: number, ms: number): Promise<number> {
  const before = cpuSecondsOf(pid);
  const started = Date.now();
  await new Promise((resolve) => setTimeout(resolve, ms));
  return (cpuSecondsOf(pid) - before) / ((Date.now() - started) / 1000);
}
