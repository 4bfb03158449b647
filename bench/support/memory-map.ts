/**
 * Where a process's resident memory is, from /proc/<pid>/smaps, by kind of mapping — what
 * bench:ingest samples (BENCH_MEMORY_MAP=1) to say what its peak RSS is made of:
 * - fileBacked: the node binary and the shared libraries (sharp's libvips, better-sqlite3, ...);
 * - brkHeap: glibc's main malloc arena ([heap]);
 * - mallocArenas: glibc's other arenas (anonymous, 64 MB-aligned, at most 64 MB);
 * - wasmMemories: each WebAssembly memory (the tesseract.js heaps): a read-write mapping followed by
 *   V8's multi-GB guard reservation;
 * - v8Pages: anonymous mappings of at most 256 KB (the V8 heaps' pages, all isolates together);
 * - otherAnonymous: the rest (blocks malloc maps on their own past MALLOC_MMAP_THRESHOLD_: page
 *   images and their copies; thread stacks; V8's large objects).
 */
import { readFileSync } from 'node:fs';

export interface MemoryMap {
  rssMb: number;
  fileBackedMb: number;
  brkHeapMb: number;
  mallocArenasMb: number;
  wasmMemoriesMb: number[];
  v8PagesMb: number;
  otherAnonymousMb: number;
}

const KB_PER_MB = 1024;
const ARENA_BYTES = 64 * 1024 * 1024;
const GUARD_RESERVATION_BYTES = 4 * 1024 * 1024 * 1024;

interface Mapping {
  start: number;
  size: number;
  perms: string;
  name: string;
  rssKb: number;
}

function mappings(smaps: string): Mapping[] {
  const out: Mapping[] = [];
  for (const line of smaps.split('\n')) {
    const header = /^([0-9a-f]+)-([0-9a-f]+) (\S+) \S+ \S+ \S+\s*(.*)$/.exec(line);
    if (header) {
      const start = parseInt(header[1], 16);
      out.push({ start, size: parseInt(header[2], 16) - start, perms: header[3], name: header[4], rssKb: 0 });
    } else if (line.startsWith('Rss:') && out.length > 0) {
      out[out.length - 1].rssKb = Number(line.split(/\s+/)[1]);
    }
  }
  return out;
}

export function memoryMapOf(smaps: string): MemoryMap {
  const maps = mappings(smaps);
  const kb = { file: 0, brk: 0, arenas: 0, v8: 0, other: 0 };
  const wasm: number[] = [];
  maps.forEach((map, i) => {
    if (map.rssKb === 0) return;
    const next = maps[i + 1];
    if (map.name.startsWith('/')) kb.file += map.rssKb;
    else if (map.name === '[heap]') kb.brk += map.rssKb;
    else if (map.name !== '') kb.other += map.rssKb;
    else if (map.perms.startsWith('rw') && next && next.start === map.start + map.size && next.perms === '---p' && next.size >= GUARD_RESERVATION_BYTES)
      wasm.push(map.rssKb);
    else if (map.start % ARENA_BYTES === 0 && map.size <= ARENA_BYTES && map.size > 256 * 1024) kb.arenas += map.rssKb;
    else if (map.size <= 256 * 1024) kb.v8 += map.rssKb;
    else kb.other += map.rssKb;
  });
  const mb = (x: number) => Math.round(x / KB_PER_MB);
  const total = kb.file + kb.brk + kb.arenas + kb.v8 + kb.other + wasm.reduce((a, b) => a + b, 0);
  return {
    rssMb: mb(total),
    fileBackedMb: mb(kb.file),
    brkHeapMb: mb(kb.brk),
    mallocArenasMb: mb(kb.arenas),
    wasmMemoriesMb: wasm.map(mb).sort((a, b) => b - a),
    v8PagesMb: mb(kb.v8),
    otherAnonymousMb: mb(kb.other),
  };
}

/**
 * Reads the process's smaps every `intervalMs` and keeps the sample of highest RSS (when it was
 * taken, in seconds since start()). A sample costs the reader a few ms of CPU: opt-in.
 */
export class MemoryMapSampler {
  private peak?: MemoryMap & { atSeconds: number };
  private readonly timer: NodeJS.Timeout;
  private readonly started = performance.now();

  constructor(
    private readonly pid: number,
    intervalMs = 200,
  ) {
    this.timer = setInterval(() => this.sample(), intervalMs);
  }

  private sample(): void {
    let map: MemoryMap;
    try {
      map = memoryMapOf(readFileSync(`/proc/${this.pid}/smaps`, 'utf8'));
    } catch {
      return; // the process has ended
    }
    if (!this.peak || map.rssMb > this.peak.rssMb) this.peak = { ...map, atSeconds: Math.round((performance.now() - this.started) / 100) / 10 };
  }

  /** The sample of highest RSS so far; sampling stops. */
  stop(): (MemoryMap & { atSeconds: number }) | undefined {
    clearInterval(this.timer);
    return this.peak;
  }
}
