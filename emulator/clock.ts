/**
 * The emulator's clock. It follows real time until a test sets it; from then on time only
 * moves when told to, so scheduled runs are reproducible.
 */
export class EmulatorClock {
  private frozenMs: number | null = null;

  /** Current time in epoch milliseconds. */
  nowMs(): number {
    return this.frozenMs ?? Date.now();
  }

  /** Current time in epoch seconds (what `scheduleParams.startTime` uses). */
  nowSeconds(): number {
    return Math.floor(this.nowMs() / 1000);
  }

  isControlled(): boolean {
    return this.frozenMs !== null;
  }

  set(epochSeconds: number): void {
    this.frozenMs = epochSeconds * 1000;
  }

  advance(seconds: number): void {
    this.frozenMs = this.nowMs() + seconds * 1000;
  }

  /** Back to real time (used by reset). */
  release(): void {
    this.frozenMs = null;
  }

  /** The frozen time in epoch milliseconds, or null while the clock follows real time (for persistence). */
  snapshot(): number | null {
    return this.frozenMs;
  }

  restore(frozenMs: number | null): void {
    this.frozenMs = frozenMs;
  }
}
