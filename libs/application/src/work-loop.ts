/**
 * A background worker's loop: runs `step` again at once while it finds work (it answers true),
 * otherwise waits `pollMs` or until poked. A failing step is logged by its error's name (never its
 * message: it may hold PHI) and the loop goes on; stop() waits for the step under way.
 */
export class WorkLoop {
  private running = false;
  private done?: Promise<void>;
  private wake?: () => void;

  constructor(
    private readonly label: string,
    private readonly pollMs: number,
    private readonly step: () => Promise<boolean> | boolean,
    private readonly warn: (message: string) => void,
  ) {}

  get isRunning(): boolean {
    return this.running;
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.done = this.run();
  }

  /** Looks for work at once. */
  poke(): void {
    this.wake?.();
  }

  async stop(): Promise<void> {
    this.running = false;
    this.wake?.();
    await this.done;
  }

  private async run(): Promise<void> {
    while (this.running) {
      try {
        if (await this.step()) continue;
      } catch (error) {
        this.warn(`${this.label}: ${(error as Error).name}; retrying`);
      }
      if (!this.running) break;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, this.pollMs);
        this.wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      this.wake = undefined;
    }
  }
}
