/** What a stat of a file says about whether it is still being written. */
export interface FileObservation {
  size: number;
  mtimeMs: number;
}

interface Seen extends FileObservation {
  /** When this size and mtime were first seen. */
  since: number;
}

/**
 * Decides when a scanner has finished writing a file: its size and mtime have stayed the same for
 * `settleMs`, as observed here. The file's own mtime is not trusted to be old enough (copies over a
 * network share may keep the original time), so even a file found at start waits one period.
 */
export class SettleTracker {
  private readonly seen = new Map<string, Seen>();

  constructor(
    readonly settleMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  /** Records what a stat showed; answers 'settled' once it has shown the same for settleMs. */
  observe(name: string, observation: FileObservation): 'settling' | 'settled' {
    const now = this.now();
    const previous = this.seen.get(name);
    if (!previous || previous.size !== observation.size || previous.mtimeMs !== observation.mtimeMs) {
      this.seen.set(name, { ...observation, since: now });
      return this.settleMs === 0 ? 'settled' : 'settling';
    }
    return now - previous.since >= this.settleMs ? 'settled' : 'settling';
  }

  /** Whether the file still shows what it showed when it settled (checked again before and after hashing). */
  unchanged(name: string, observation: FileObservation): boolean {
    const previous = this.seen.get(name);
    return previous !== undefined && previous.size === observation.size && previous.mtimeMs === observation.mtimeMs;
  }

  forget(name: string): void {
    this.seen.delete(name);
  }

  get watching(): string[] {
    return [...this.seen.keys()];
  }
}
