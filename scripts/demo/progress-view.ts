/** An onboarding as the demo subscribes to it. */
export interface OnboardingView {
  id: string;
  status: string;
  progress: number;
  steps: { key: string; kind: string; status: string; attempts: number; startedAt: string | null; finishedAt: string | null }[];
}

const BAR = 20;
const TERMINAL_STEP = new Set(['SUCCEEDED', 'FAILED', 'SKIPPED', 'CANCELLED']);

/**
 * Draws an onboarding's steps as progress bars. On a terminal the block is redrawn in place
 * (ANSI cursor movement) and running bars advance between messages; elsewhere (CI, a log file)
 * each observed transition is one plain line.
 */
export class ProgressView {
  private last: OnboardingView | null = null;
  private readonly seen = new Map<string, string>();
  /** When this view first saw each step RUNNING (local clock, for the running bars). */
  private readonly runningSince = new Map<string, number>();
  private drawnLines = 0;
  private timer: NodeJS.Timeout | null = null;
  private readonly started = performance.now();

  /**
   * @param out where to draw (stdout)
   * @param expectedMs how long each step should take (its planned Platform calls × latency), so a
   *   running bar can show roughly how far along it is; it never fills before the step finishes.
   */
  constructor(
    private readonly out: NodeJS.WriteStream,
    private readonly expectedMs: (key: string) => number,
  ) {
    if (this.tty) this.timer = setInterval(() => this.redraw(), 80);
  }

  private get tty(): boolean {
    return this.out.isTTY === true;
  }

  update(onboarding: OnboardingView): void {
    for (const step of onboarding.steps) {
      if (step.status === 'RUNNING' && !this.runningSince.has(step.key)) this.runningSince.set(step.key, performance.now());
    }
    this.last = onboarding;
    if (this.tty) this.redraw();
    else this.printTransitions(onboarding);
  }

  /** Draws the final state once more and stops animating. */
  finish(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    if (this.tty) this.redraw();
  }

  private redraw(): void {
    if (!this.last) return;
    const lines = this.render(this.last);
    // Up to the first line of the previous drawing, then overwrite line by line.
    let text = this.drawnLines > 0 ? `\x1b[${this.drawnLines}A` : '';
    for (const line of lines) text += `\r\x1b[2K${line}\n`;
    this.out.write(text);
    this.drawnLines = lines.length;
  }

  private render(onboarding: OnboardingView): string[] {
    const width = Math.max(...onboarding.steps.map((s) => s.key.length));
    const lines = [`  ${'onboarding'.padEnd(width)}  ${bar(onboarding.progress)} ${String(Math.round(onboarding.progress * 100)).padStart(3)}%  ${colour(onboarding.status)}`];
    for (const step of onboarding.steps) {
      lines.push(`  ${step.key.padEnd(width)}  ${bar(this.fraction(step))}       ${colour(step.status).padEnd(19)} ${duration(step)}${step.attempts > 1 ? `  (attempt ${step.attempts})` : ''}`);
    }
    return lines;
  }

  private fraction(step: OnboardingView['steps'][number]): number {
    if (step.status === 'SUCCEEDED' || step.status === 'SKIPPED') return 1;
    if (step.status !== 'RUNNING') return 0;
    const since = this.runningSince.get(step.key) ?? performance.now();
    return Math.min(0.9, (performance.now() - since) / Math.max(50, this.expectedMs(step.key)));
  }

  private printTransitions(onboarding: OnboardingView): void {
    const at = `+${((performance.now() - this.started) / 1000).toFixed(2)}s`.padStart(8);
    for (const step of onboarding.steps) {
      if (this.seen.get(step.key) === step.status) continue;
      this.seen.set(step.key, step.status);
      if (step.status === 'PENDING') continue;
      const took = TERMINAL_STEP.has(step.status) ? ` (${duration(step)})` : '';
      this.out.write(`  ${at}  ${step.key} ${step.status}${took}\n`);
    }
    // After the steps: the message that finishes the last step also finishes the onboarding.
    const onboardingKey = '(onboarding)';
    if (this.seen.get(onboardingKey) !== onboarding.status) {
      this.seen.set(onboardingKey, onboarding.status);
      this.out.write(`  ${at}  onboarding ${onboarding.status} ${Math.round(onboarding.progress * 100)}%\n`);
    }
  }
}

function bar(fraction: number): string {
  const filled = Math.round(Math.max(0, Math.min(1, fraction)) * BAR);
  return `[${'█'.repeat(filled)}${'░'.repeat(BAR - filled)}]`;
}

function duration(step: OnboardingView['steps'][number]): string {
  if (!step.startedAt || !step.finishedAt) return '';
  return `${((Date.parse(step.finishedAt) - Date.parse(step.startedAt)) / 1000).toFixed(2)} s`;
}

const COLOURS: Record<string, number> = { SUCCEEDED: 32, RUNNING: 33, FAILED: 31, ROLLING_BACK: 31, ROLLED_BACK: 31, CANCELLED: 90, PENDING: 90, QUEUED: 90 };

function colour(status: string): string {
  const code = COLOURS[status];
  return code ? `\x1b[${code}m${status}\x1b[0m` : status;
}
