/** How a repeating in-process pass runs. */
export interface RepeatingPassOptions {
  /** Milliseconds from the end of one pass to the start of the next. */
  intervalMs: number;
  /** One pass; a long one ends early once `stopping()` is true. */
  pass: (stopping: () => boolean) => Promise<void>;
  /** Hears a failed pass; the next one runs as usual. */
  onError: (error: Error) => void;
  /** Longest `stop()` waits for a pass under way; default: until it ends. */
  stopWaitMs?: number;
}

export interface RepeatingPass {
  /** Runs no more passes; waits for the one under way (at most `stopWaitMs`). */
  stop(): Promise<void>;
}

/**
 * Runs `pass` every `intervalMs` in this process, one at a time (the next is timed from the end
 * of the last), on a timer that does not keep a stopping process alive. For idempotent work every
 * process does for itself, where a BullMQ job would not do: it must go on while Redis is away.
 */
export function startRepeatingPass(options: RepeatingPassOptions): RepeatingPass {
  let stopped = false;
  let timer: NodeJS.Timeout | null = null;
  let current: Promise<void> = Promise.resolve();

  const schedule = () => {
    if (stopped) return;
    timer = setTimeout(() => {
      current = options
        .pass(() => stopped)
        .catch((error: unknown) => options.onError(error as Error))
        .finally(schedule);
    }, options.intervalMs);
    timer.unref();
  };
  schedule();

  return {
    stop: async () => {
      stopped = true;
      if (timer) clearTimeout(timer);
      const waitMs = options.stopWaitMs;
      await (waitMs === undefined ? current : Promise.race([current, new Promise((resolve) => setTimeout(resolve, waitMs).unref())]));
    },
  };
}
