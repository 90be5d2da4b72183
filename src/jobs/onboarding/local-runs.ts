import type { Logger } from '../../logging/logger.js';

/**
 * The slots of a worker process for onboarding steps it runs itself, right after the pass that
 * started them committed, instead of handing them to the queue. A hand-over through the queue
 * (an enqueue, another worker's fetch, the operation's start) was most of the few milliseconds
 * between a step's answer and its dependant's first call; a step run here starts at once. A pass
 * reserves slots while it decides (so two passes cannot both count on the same free slot), then
 * launches what it started or gives the slots back; steps beyond the slots go to the queue.
 */
export class LocalRuns {
  private reserved = 0;
  private readonly running = new Set<Promise<void>>();
  private stopped = false;

  /** `slots`: steps run here at once, at most. */
  constructor(
    private readonly slots: number,
    private readonly logger: Logger,
  ) {}

  /** Reserves up to `wanted` slots; returns how many it got (none once stopping). */
  reserve(wanted: number): number {
    if (this.stopped) return 0;
    const got = Math.max(0, Math.min(wanted, this.slots - this.reserved));
    this.reserved += got;
    return got;
  }

  /** Gives back reserved slots that were not used. */
  release(count: number): void {
    this.reserved = Math.max(0, this.reserved - count);
  }

  /** Runs `task` in a reserved slot, without waiting for it; the slot is free again when it ends. */
  launch(what: Record<string, unknown>, task: () => Promise<void>): void {
    const run = task()
      .catch((error: unknown) => this.logger.warn({ ...what, err: (error as Error).message }, 'an onboarding step run in this process failed unexpectedly; the sweep retries it'))
      .finally(() => {
        this.running.delete(run);
        this.release(1);
      });
    this.running.add(run);
  }

  /** Takes no more steps, and resolves once every step launched here has ended (a graceful stop). */
  async stop(): Promise<void> {
    this.stopped = true;
    while (this.running.size > 0) await Promise.all([...this.running]);
  }
}
