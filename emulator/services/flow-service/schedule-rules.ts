import { catalogueError } from '../../errors/error-bodies.js';
import { SOURCES_ERRORS as SOURCES } from '../../errors/error-catalogue.js';
import { FREQUENCIES, MIN_INTERVAL, type Frequency } from './specs.data.js';

/** A validated flow schedule. `startTime` is epoch seconds. */
export interface FlowSchedule {
  startTime: number;
  frequency: Frequency;
  interval: number | null;
  backfill: boolean | null;
  /** Other parameters a client sent (e.g. `foldernameTemplate` for file sources), kept and echoed as given. */
  extra: Record<string, unknown>;
}

/** The parameters the flow spec's `scheduleSpec` defines; any other key is kept as it came. */
const SCHEDULE_KEYS = ['startTime', 'frequency', 'interval', 'backfill'];

/** How far in the past a start time may be, to absorb clock skew between client and Platform. */
export const START_TIME_GRACE_SECONDS = 60;
/** Epoch seconds past this are almost certainly milliseconds (year 5138). */
const LARGEST_EPOCH_SECONDS = 99_999_999_999;

const UNIT_SECONDS: Record<Exclude<Frequency, 'once'>, number> = { minute: 60, hour: 3600, day: 86400, week: 604800 };

/**
 * Validates `scheduleParams` with the rules of flow spec `RestStorageToAEP` and the sources
 * error catalogue (PLATFORM-API.md §4.8). Numbers may arrive as strings (the Stripe tutorial
 * sends `startTime: "1710267858"`); both forms are accepted.
 */
export function parseSchedule(raw: unknown, nowSeconds: number, options: { checkStartInPast: boolean }): FlowSchedule {
  if (raw === undefined || raw === null || (typeof raw === 'object' && !Array.isArray(raw) && Object.keys(raw).length === 0)) {
    throw catalogueError(SOURCES.scheduleParamsEmpty, undefined, { field: 'scheduleParams' });
  }
  if (typeof raw !== 'object' || Array.isArray(raw)) {
    throw catalogueError(SOURCES.invalidParamValue, "'scheduleParams' must be an object.", { field: 'scheduleParams' });
  }
  const params = raw as Record<string, unknown>;
  // The scheduleSpec schema does not forbid other properties, and clients add some (file
  // sources' `foldernameTemplate`); they are kept, not refused.
  const extra = Object.fromEntries(Object.entries(params).filter(([key]) => !SCHEDULE_KEYS.includes(key)));

  const frequency = params.frequency;
  if (typeof frequency !== 'string' || !(FREQUENCIES as readonly string[]).includes(frequency)) {
    throw catalogueError(SOURCES.invalidFrequency, `The frequency '${String(frequency)}' is not valid. Use one of ${FREQUENCIES.join(', ')}.`, { field: 'scheduleParams.frequency' });
  }

  const startTime = parseStartTime(params.startTime);
  if (options.checkStartInPast && startTime < nowSeconds - START_TIME_GRACE_SECONDS) {
    throw catalogueError(SOURCES.startTimeInPast, `The start time ${startTime} is in the past (now is ${nowSeconds}, epoch seconds).`, { field: 'scheduleParams.startTime' });
  }

  if (frequency === 'once') {
    if (params.interval !== undefined) throw catalogueError(SOURCES.intervalWithOnce, undefined, { field: 'scheduleParams.interval' });
    if (params.backfill !== undefined) throw catalogueError(SOURCES.backfillWithOnce, undefined, { field: 'scheduleParams.backfill' });
    return { startTime, frequency, interval: null, backfill: null, extra };
  }

  const minimum = MIN_INTERVAL[frequency as Exclude<Frequency, 'once'>];
  if (params.interval === undefined || params.interval === null || params.interval === '') {
    throw catalogueError(SOURCES.mandatoryFieldMissing, { field: 'scheduleParams.interval' }, { field: 'scheduleParams.interval' });
  }
  const interval = toInteger(params.interval);
  if (interval === null) {
    throw catalogueError(SOURCES.intervalNotAllowed, { interval: String(params.interval), frequency }, { field: 'scheduleParams.interval' });
  }
  if (interval < minimum) {
    throw catalogueError(SOURCES.intervalBelowMinimum, { minInterval: minimum }, { field: 'scheduleParams.interval' });
  }
  let backfill: boolean | null = null;
  if (params.backfill !== undefined) {
    if (params.backfill === true || params.backfill === 'true') backfill = true;
    else if (params.backfill === false || params.backfill === 'false') backfill = false;
    else throw catalogueError(SOURCES.invalidParamValue, `'${String(params.backfill)}' is not a valid value for scheduleParams.backfill. Use true or false.`, { field: 'scheduleParams.backfill' });
  }
  return { startTime, frequency: frequency as Frequency, interval, backfill, extra };
}

/** The schedule as GET returns it: every value as a string, as Adobe's docs show (other parameters as they came). */
export function scheduleToWire(schedule: FlowSchedule): Record<string, unknown> {
  return {
    ...structuredClone(schedule.extra),
    startTime: String(schedule.startTime),
    frequency: schedule.frequency,
    ...(schedule.interval !== null ? { interval: String(schedule.interval) } : {}),
    ...(schedule.backfill !== null ? { backfill: String(schedule.backfill) } : {}),
  };
}

/** Reads back a stored wire schedule. */
export function scheduleFromWire(wire: Record<string, unknown>): FlowSchedule {
  return {
    startTime: Number(wire.startTime),
    frequency: wire.frequency as Frequency,
    interval: wire.interval === undefined ? null : Number(wire.interval),
    backfill: wire.backfill === undefined ? null : wire.backfill === 'true',
    extra: Object.fromEntries(Object.entries(wire).filter(([key]) => !SCHEDULE_KEYS.includes(key))),
  };
}

/** Seconds between two runs; null for `once`. */
export function periodSeconds(schedule: FlowSchedule): number | null {
  if (schedule.frequency === 'once' || schedule.interval === null) return null;
  return schedule.interval * UNIT_SECONDS[schedule.frequency];
}

function parseStartTime(raw: unknown): number {
  if (raw === undefined || raw === null || raw === '') {
    throw catalogueError(SOURCES.mandatoryFieldMissing, { field: 'scheduleParams.startTime' }, { field: 'scheduleParams.startTime' });
  }
  const value = toInteger(raw);
  if (value === null || value < 0) {
    throw catalogueError(SOURCES.invalidTimeFormat, `The start time '${String(raw)}' is not valid. Use epoch seconds.`, { field: 'scheduleParams.startTime' });
  }
  if (value > LARGEST_EPOCH_SECONDS) {
    throw catalogueError(SOURCES.invalidTimeFormat, `The start time ${value} looks like epoch milliseconds. scheduleParams.startTime is in epoch seconds.`, { field: 'scheduleParams.startTime' });
  }
  return value;
}

function toInteger(raw: unknown): number | null {
  if (typeof raw === 'number') return Number.isSafeInteger(raw) ? raw : null;
  if (typeof raw === 'string' && /^-?\d{1,16}$/.test(raw.trim())) return Number(raw.trim());
  return null;
}
