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
 * CPU seconds of each thread of a live process over a run, threads that end during it included
 * (reading /proc once at the end sees only the living): /proc is read every `intervalMs` and a thread keeps the last
 * figure seen of it, so one that ends loses at most an interval's CPU. Threads that ended are summed
 * by name as `ended <name>`; figures under 0.1 s are left out.
 */
export class ThreadCpuSampler {
  private readonly before = new Map<string, number>();
  private readonly last = new Map<string, { name: string; seconds: number }>();
  private readonly timer: NodeJS.Timeout;

  constructor(
    private readonly pid: number,
    intervalMs = 200,
  ) {
    for (const [tid, t] of threadsOf(pid)) this.before.set(tid, t.seconds);
    this.timer = setInterval(() => this.sample(), intervalMs);
    this.timer.unref();
  }

  stop(): Record<string, number> {
    clearInterval(this.timer);
    const alive = new Set(this.sample());
    const out: Record<string, number> = {};
    for (const [tid, { name, seconds }] of this.last) {
      const used = seconds - (this.before.get(tid) ?? 0);
      // Node's own threads are unnamed ('node'): each apart when it used a share worth naming; the
      // rest (and every thread that ended) summed by name.
      const key = Number(tid) === this.pid ? 'main' : !alive.has(tid) ? `ended ${name}` : name === 'node' && used >= 0.5 ? `node#${tid}` : name;
      out[key] = (out[key] ?? 0) + used;
    }
    for (const [key, used] of Object.entries(out)) {
      if (used < 0.1) delete out[key];
      else out[key] = Math.round(used * 100) / 100;
    }
    return out;
  }

  private sample(): string[] {
    const seen: string[] = [];
    for (const [tid, t] of threadsOf(this.pid)) {
      this.last.set(tid, t);
      seen.push(tid);
    }
    return seen;
  }
}

function threadsOf(pid: number): Map<string, { name: string; seconds: number }> {
  const out = new Map<string, { name: string; seconds: number }>();
  let tids: string[];
  try {
    tids = readdirSync(`/proc/${pid}/task`);
  } catch {
    return out;
  }
  for (const tid of tids) {
    try {
      const stat = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8');
      const [utime, stime] = stat
        .slice(stat.lastIndexOf(')') + 2)
        .split(' ')
        .slice(11, 13)
        .map(Number);
      out.set(tid, { name: stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')')), seconds: (utime + stime) / CLOCK_TICKS_PER_SECOND });
    } catch {
      // ended meanwhile
    }
  }
  return out;
}
