/**
 * The Platform's schedule rules for a Stripe dataflow (flow spec `RestStorageToAEP`), mirrored
 * here so a bad schedule is refused with a field-level error before anything is written, instead
 * of failing minutes later in a worker. Pure: the caller passes the clock.
 *
 * - frequency `once`: no interval, no backfill.
 * - `minute`: interval ≥ 15; `hour`, `day`, `week`: interval ≥ 1.
 * - startTime in epoch seconds, never more than 60 s in the past (the Platform's allowance for
 *   clock skew). Omitted, it is 60 s after the flow is created on the Platform (`startTimeOf`).
 * - Once a flow's start time has passed, its start time, a switch to `once` and backfill can no
 *   longer change.
 */

/** How the Platform names frequencies (and how Flowgate stores them). */
export const FREQUENCIES = ['once', 'minute', 'hour', 'day', 'week'] as const;
export type Frequency = (typeof FREQUENCIES)[number];

/** Smallest interval per repeating frequency. */
export const MIN_INTERVAL: Record<Exclude<Frequency, 'once'>, number> = { minute: 15, hour: 1, day: 1, week: 1 };

/** How far in the past a start time may be (the Platform's clock-skew allowance). */
export const START_TIME_GRACE_SECONDS = 60;

/** Where an omitted start time lands: this far after the flow is created on the Platform. */
export const DEFAULT_START_DELAY_SECONDS = 60;

/** The Platform reads larger start times as milliseconds and refuses them. */
export const LARGEST_START_TIME_SECONDS = 99_999_999_999;

/** A schedule as the user asks for it. */
export interface ScheduleRequest {
  frequency: Frequency;
  interval?: number | null;
  startTime?: Date | null;
  backfill?: boolean | null;
}

/** A valid schedule, as stored in a dataflow's spec and sent to the Platform. */
export interface FlowSchedule {
  frequency: Frequency;
  /** Units of `frequency` between runs; null for `once`. */
  interval: number | null;
  /** Epoch seconds. */
  startTime: number;
  /** Whether the first run reads history; null = the Platform's default. */
  backfill: boolean | null;
}

/**
 * A schedule as a dataflow (or an onboarding) records it before its flow exists: `startTime`
 * null means "60 s after the flow is created", fixed by `startTimeOf` when the flow is created.
 * Keeping it null (instead of "now + 60 s" at request time) makes an idempotent resubmit the
 * same request, and a create delayed in the queue still starts in the future.
 */
export type RequestedSchedule = Omit<FlowSchedule, 'startTime'> & { startTime: number | null };

/**
 * The start time of a flow, the one place the default is decided: the requested one, else
 * DEFAULT_START_DELAY_SECONDS after `createdAtSeconds` — when the flow is created on the
 * Platform (the worker passes now); before that, a reader passes when it was requested, the
 * earliest it can be.
 */
export function startTimeOf(schedule: Pick<RequestedSchedule, 'startTime'>, createdAtSeconds: number): number {
  return schedule.startTime ?? createdAtSeconds + DEFAULT_START_DELAY_SECONDS;
}

/** The schedule with its start time fixed (see startTimeOf). */
export function fixStartTime(schedule: RequestedSchedule, createdAtSeconds: number): FlowSchedule {
  return { ...schedule, startTime: startTimeOf(schedule, createdAtSeconds) };
}

/** One broken rule: the input field (`input.schedule.interval`…) and why. */
export class ScheduleRuleError extends Error {
  constructor(
    readonly field: string,
    readonly reason: string,
  ) {
    super(`${field}: ${reason}`);
  }
}

/**
 * Checks the schedule of a new dataflow. `field` is the input path of the schedule
 * (`input.schedule`); errors name its sub-fields. An omitted start time stays null (see
 * RequestedSchedule). Throws ScheduleRuleError.
 */
export function checkNewSchedule(request: ScheduleRequest, nowSeconds: number, field = 'input.schedule'): RequestedSchedule {
  const frequency = checkFrequency(request.frequency, field);
  const omitted = request.startTime === undefined || request.startTime === null;
  const startTime = omitted ? null : toEpochSeconds(request.startTime!, `${field}.startTime`);
  if (startTime !== null) checkNotInPast(startTime, nowSeconds, `${field}.startTime`);
  return { frequency, startTime, ...intervalAndBackfill(frequency, request.interval, request.backfill, field) };
}

/**
 * Checks a schedule change of an existing dataflow. An omitted start time keeps the current
 * one; an omitted backfill keeps the current one (except with `once`, which has none). After the
 * current start time has passed, the start time, a switch to `once` and backfill are frozen.
 */
export function checkScheduleChange(current: FlowSchedule, request: ScheduleRequest, nowSeconds: number, field = 'input.schedule'): FlowSchedule {
  const frequency = checkFrequency(request.frequency, field);
  const started = current.startTime <= nowSeconds;
  const startTime = request.startTime === undefined || request.startTime === null ? current.startTime : toEpochSeconds(request.startTime, `${field}.startTime`);
  if (startTime !== current.startTime) {
    if (started) throw new ScheduleRuleError(`${field}.startTime`, `the dataflow started at ${new Date(current.startTime * 1000).toISOString()}; its start time can no longer change`);
    checkNotInPast(startTime, nowSeconds, `${field}.startTime`);
  }
  if (started && frequency === 'once' && current.frequency !== 'once') {
    throw new ScheduleRuleError(`${field}.frequency`, 'the dataflow has started; its frequency can no longer change to ONCE');
  }
  const keepBackfill = request.backfill === undefined || request.backfill === null;
  const backfill = keepBackfill && frequency !== 'once' ? current.backfill : request.backfill;
  const next: FlowSchedule = { frequency, startTime, ...intervalAndBackfill(frequency, request.interval, backfill, field) };
  if (started && next.backfill !== current.backfill) {
    throw new ScheduleRuleError(`${field}.backfill`, 'the dataflow has started; backfill can no longer change');
  }
  return next;
}

/** Whether two schedules are the same (what a retry compares with the Platform's copy). */
export function sameSchedule(a: FlowSchedule, b: FlowSchedule): boolean {
  return a.frequency === b.frequency && a.interval === b.interval && a.startTime === b.startTime && (a.backfill ?? null) === (b.backfill ?? null);
}

function checkFrequency(frequency: unknown, field: string): Frequency {
  if (typeof frequency !== 'string' || !(FREQUENCIES as readonly string[]).includes(frequency)) {
    throw new ScheduleRuleError(`${field}.frequency`, `must be one of ${FREQUENCIES.map((f) => f.toUpperCase()).join(', ')}`);
  }
  return frequency as Frequency;
}

function intervalAndBackfill(frequency: Frequency, interval: number | null | undefined, backfill: boolean | null | undefined, field: string): Pick<FlowSchedule, 'interval' | 'backfill'> {
  if (frequency === 'once') {
    if (interval !== undefined && interval !== null) throw new ScheduleRuleError(`${field}.interval`, 'must be omitted when frequency is ONCE');
    if (backfill !== undefined && backfill !== null) throw new ScheduleRuleError(`${field}.backfill`, 'must be omitted when frequency is ONCE');
    return { interval: null, backfill: null };
  }
  const minimum = MIN_INTERVAL[frequency];
  if (interval === undefined || interval === null) throw new ScheduleRuleError(`${field}.interval`, `is required when frequency is ${frequency.toUpperCase()}`);
  if (!Number.isSafeInteger(interval)) throw new ScheduleRuleError(`${field}.interval`, 'must be a whole number');
  if (interval < minimum) throw new ScheduleRuleError(`${field}.interval`, `must be at least ${minimum} when frequency is ${frequency.toUpperCase()}`);
  return { interval, backfill: backfill ?? null };
}

function toEpochSeconds(date: Date, field: string): number {
  const ms = date.getTime();
  if (!Number.isFinite(ms)) throw new ScheduleRuleError(field, 'is not a valid date-time');
  const seconds = Math.floor(ms / 1000);
  if (seconds < 0) throw new ScheduleRuleError(field, 'must be after 1970-01-01T00:00:00Z');
  if (seconds > LARGEST_START_TIME_SECONDS) throw new ScheduleRuleError(field, 'is too far in the future for the Platform');
  return seconds;
}

function checkNotInPast(startTime: number, nowSeconds: number, field: string): void {
  if (startTime < nowSeconds - START_TIME_GRACE_SECONDS) {
    throw new ScheduleRuleError(field, `must not be more than ${START_TIME_GRACE_SECONDS} s in the past (now is ${new Date(nowSeconds * 1000).toISOString()})`);
  }
}
