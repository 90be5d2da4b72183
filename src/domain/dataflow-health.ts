import { sameEtag } from './etags.js';
import type { FlowRunStatus } from './flow-runs.js';
import type { ResourceState } from './resource-types.js';
import { sameSchedule, type FlowSchedule, type Frequency } from './schedule-rules.js';

/**
 * The watchdog's decisions, apart from their effects: the health of a dataflow as a pure
 * function of its schedule, its synced runs and the Platform's current view of its flow
 * (`evaluateHealth`), and what a change of health does to its alert (`alertTransition`). The
 * maintenance job reads the inputs of every dataflow in one query, calls these, and writes what
 * changed; the unit tests call them case by case.
 */

/**
 * HEALTHY: runs on time, with data. LATE: an expected run has not appeared. FAILING: runs fail
 * (or the Stripe key was rejected). SILENT: runs succeed but read nothing. DRIFTED: the
 * Platform's flow is not what Flowgate recorded. PAUSED: disabled on purpose through Flowgate.
 */
export const HEALTH_STATUSES = ['HEALTHY', 'LATE', 'FAILING', 'SILENT', 'DRIFTED', 'PAUSED'] as const;
export type HealthStatus = (typeof HEALTH_STATUSES)[number];

/** The statuses that are problems: each opens (or updates) an alert. HEALTHY and PAUSED resolve it. */
export const PROBLEM_STATUSES = ['LATE', 'FAILING', 'SILENT', 'DRIFTED'] as const satisfies readonly HealthStatus[];
export type ProblemStatus = (typeof PROBLEM_STATUSES)[number];

/** Why a dataflow has its health, one code per finding (several may hold at once). */
export const HEALTH_REASON_CODES = [
  /** No run appeared within one interval plus the grace. */
  'RUN_OVERDUE',
  /** The last N finished runs failed. */
  'RUNS_FAILING',
  /** The latest run failed because the source rejected the credential (the Stripe key). */
  'CREDENTIAL_REJECTED',
  /** The last N successful runs read 0 records. */
  'EMPTY_RUNS',
  /** Like EMPTY_RUNS, for a Stripe resource where 0 records can be normal (refunds, prices, subscriptions). */
  'EMPTY_RUNS_MAY_BE_NORMAL',
  /** The flow no longer exists on the Platform. */
  'FLOW_MISSING',
  /** The Platform's flow is enabled/disabled where Flowgate recorded the opposite. */
  'STATE_CHANGED',
  /** The Platform's schedule differs from the recorded one. */
  'SCHEDULE_CHANGED',
  /** The Platform's flow uses another mapping set version. */
  'MAPPING_CHANGED',
  /** The Platform's etag differs from the recorded one, with no other difference Flowgate can name. */
  'CHANGED_ELSEWHERE',
  /** Disabled through Flowgate. */
  'DISABLED_THROUGH_FLOWGATE',
] as const;
export type HealthReasonCode = (typeof HEALTH_REASON_CODES)[number];

export interface HealthReason {
  code: HealthReasonCode;
  /** A sentence for people; never a secret (run errors are the Platform's, which never echo keys). */
  message: string;
}

/** The thresholds (WATCHDOG_* in the configuration). */
export interface WatchdogPolicy {
  /** Seconds an expected run may be late before the dataflow is LATE. */
  graceSeconds: number;
  /** Consecutive failed runs that make a dataflow FAILING. */
  failedRuns: number;
  /** Consecutive successful runs with 0 records that make a dataflow SILENT. */
  emptyRuns: number;
}

/** How many of a dataflow's newest runs the watchdog reads: streaks are counted within them. */
export const RUN_WINDOW = 50;

/**
 * Stripe resources that can go hours without a new record in a healthy account: 0-record runs
 * of theirs are still SILENT, but reported apart (EMPTY_RUNS_MAY_BE_NORMAL, alert severity INFO).
 */
export const QUIET_STRIPE_RESOURCES: readonly string[] = ['refunds', 'prices', 'subscriptions'];

/** A synced run, as the watchdog reads it. */
export interface WatchedRun {
  status: FlowRunStatus;
  recordsRead: number;
  /** The Platform's run errors (only the newest finished run's are read; empty for the others). */
  errors: readonly { code: string; message: string }[];
}

/** The Platform's flow as the run sync last saw it. */
export interface PlatformFlowView {
  /** When the sync read it (the database clock, like `WatchedDataflow.changedAt`). */
  observedAt: Date;
  /** False: the flow was not on the Platform any more. */
  found: boolean;
  state: 'enabled' | 'disabled' | null;
  etag: string | null;
  schedule: FlowSchedule | null;
  mappingVersion: number | null;
}

/** A dataflow as Flowgate recorded it. */
export interface WatchedDataflow {
  state: ResourceState;
  etag: string | null;
  /** With its start time fixed (the flow exists). */
  schedule: FlowSchedule;
  mappingVersion: number | null;
  /** `charges`, `refunds`… */
  stripeResource: string | null;
  /** When Flowgate last recorded a change of it (an operation finished on it). */
  changedAt: Date;
  /** An operation on it is queued or running: the Platform may already show its change. */
  operationInFlight: boolean;
}

/** Everything the health of one dataflow depends on. */
export interface HealthInput {
  dataflow: WatchedDataflow;
  /** Newest first, at most RUN_WINDOW. */
  runs: readonly WatchedRun[];
  /** Start of the newest run, finished or not; null before the first. */
  lastRunAt: Date | null;
  /** Null: the sync has not read the flow yet. */
  platform: PlatformFlowView | null;
}

export interface DataflowHealth {
  status: HealthStatus;
  /** When the next run should start; null when none is expected (paused, a ONCE flow that ran). */
  expectedNextRunAt: Date | null;
  /** Start of the newest run, finished or not. */
  lastRunAt: Date | null;
  /** Finished runs that failed in a row, newest first (counted within the last RUN_WINDOW runs). */
  consecutiveFailures: number;
  /** Successful runs in a row that read 0 records (within the last RUN_WINDOW runs). */
  consecutiveEmptyRuns: number;
  /** The Stripe resource is one where 0 records can be normal (see QUIET_STRIPE_RESOURCES). */
  emptyRunsMayBeNormal: boolean;
  /** Every finding, most important first; empty when HEALTHY. */
  reasons: HealthReason[];
}

const PERIOD_SECONDS: Record<Exclude<Frequency, 'once'>, number> = { minute: 60, hour: 3600, day: 86_400, week: 604_800 };

/** Seconds between two runs of a schedule; null for ONCE. */
export function periodSeconds(schedule: Pick<FlowSchedule, 'frequency' | 'interval'>): number | null {
  return schedule.frequency === 'once' ? null : PERIOD_SECONDS[schedule.frequency] * (schedule.interval ?? 1);
}

/**
 * When the next run should start. Runs start on the schedule's grid (start + k·period). After a
 * run, the next is the grid point after the one that run stood for (the nearest: a run may start
 * a little late or early). After Flowgate changed the dataflow (enabled it again, changed its
 * schedule), runs resume at the first grid point from then on — missed points are not owed.
 * A ONCE flow expects its one run and nothing after it.
 */
export function expectedNextRunAt(schedule: FlowSchedule, lastRunAt: Date | null, changedAt: Date): Date | null {
  const start = schedule.startTime;
  const changed = Math.floor(changedAt.getTime() / 1000);
  const period = periodSeconds(schedule);
  if (period === null) return lastRunAt === null ? new Date(Math.max(start, changed) * 1000) : null;
  const fromRun = lastRunAt === null ? start : start + (Math.round((lastRunAt.getTime() / 1000 - start) / period) + 1) * period;
  const fromChange = start + Math.max(0, Math.ceil((changed - start) / period)) * period;
  return new Date(Math.max(start, fromRun, fromChange) * 1000);
}

/** Whether a run error says the source refused the credential (Stripe rejected the key). */
export function namesCredential(error: { code: string; message: string }): boolean {
  return /\b(api[ _-]?key|invalid_api_key|credentials?|access token|unauthori[sz]ed|authenticat\w*)\b/i.test(error.message);
}

/**
 * The health of one dataflow at `now`. The first matching status wins, every finding is a reason:
 * DRIFTED (the Platform differs from the record) before PAUSED (disabled through Flowgate), then
 * FAILING, LATE, SILENT; else HEALTHY. The Platform's view counts only when it was read after
 * Flowgate's last change and no operation is under way (else it may show our own change half done).
 */
export function evaluateHealth(input: HealthInput, policy: WatchdogPolicy, now: Date): DataflowHealth {
  const { dataflow, runs, lastRunAt, platform } = input;
  const finished = runs.filter((r) => r.status !== 'IN_PROGRESS');
  const consecutiveFailures = countWhile(finished, (r) => r.status === 'FAILED');
  const consecutiveEmptyRuns = countWhile(finished, (r) => r.status !== 'FAILED' && r.recordsRead === 0);
  const emptyRunsMayBeNormal = dataflow.stripeResource !== null && QUIET_STRIPE_RESOURCES.includes(dataflow.stripeResource);
  const paused = dataflow.state === 'DISABLED';
  const expected = paused ? null : expectedNextRunAt(dataflow.schedule, lastRunAt, dataflow.changedAt);
  const base = { expectedNextRunAt: expected, lastRunAt, consecutiveFailures, consecutiveEmptyRuns, emptyRunsMayBeNormal };

  const drift = platform !== null && platform.observedAt > dataflow.changedAt && !dataflow.operationInFlight ? driftReasons(dataflow, platform) : [];
  const failing = paused ? [] : failingReasons(finished, consecutiveFailures, policy);
  const late = paused || expected === null || now.getTime() <= expected.getTime() + policy.graceSeconds * 1000 ? [] : [overdue(expected, lastRunAt, policy)];
  const silent = paused || consecutiveEmptyRuns < policy.emptyRuns ? [] : [emptyRuns(consecutiveEmptyRuns, dataflow.stripeResource, emptyRunsMayBeNormal)];
  const pausedReason: HealthReason[] = paused ? [{ code: 'DISABLED_THROUGH_FLOWGATE', message: 'disabled through Flowgate: no runs are expected until it is enabled' }] : [];

  const reasons = [...drift, ...pausedReason, ...failing, ...late, ...silent];
  const status: HealthStatus = drift.length > 0 ? 'DRIFTED' : paused ? 'PAUSED' : failing.length > 0 ? 'FAILING' : late.length > 0 ? 'LATE' : silent.length > 0 ? 'SILENT' : 'HEALTHY';
  return { status, ...base, reasons };
}

function countWhile<T>(items: readonly T[], test: (item: T) => boolean): number {
  let n = 0;
  while (n < items.length && test(items[n]!)) n++;
  return n;
}

function failingReasons(finished: readonly WatchedRun[], consecutiveFailures: number, policy: WatchdogPolicy): HealthReason[] {
  const newest = finished[0];
  if (!newest || newest.status !== 'FAILED') return [];
  const reasons: HealthReason[] = [];
  const credential = newest.errors.find(namesCredential);
  if (credential) {
    reasons.push({
      code: 'CREDENTIAL_REJECTED',
      message: `the latest run failed because the source rejected the credential (the Stripe key of the base connection): ${credential.code} ${credential.message} — update the connection's access token`,
    });
  }
  if (consecutiveFailures >= policy.failedRuns) {
    const error = newest.errors[0];
    reasons.push({
      code: 'RUNS_FAILING',
      message: `the last ${consecutiveFailures} runs failed${consecutiveFailures >= RUN_WINDOW ? ' (or more)' : ''}${error ? `; latest error: ${error.code} ${error.message}` : ''}`,
    });
  }
  return reasons;
}

function overdue(expected: Date, lastRunAt: Date | null, policy: WatchdogPolicy): HealthReason {
  const since = lastRunAt ? `the last run started at ${lastRunAt.toISOString()}` : 'it has not run yet';
  return { code: 'RUN_OVERDUE', message: `a run was expected at ${expected.toISOString()} and has not appeared within the ${policy.graceSeconds} s grace; ${since}` };
}

function emptyRuns(count: number, resource: string | null, mayBeNormal: boolean): HealthReason {
  const runs = `the last ${count} successful runs${count >= RUN_WINDOW ? ' (or more)' : ''} read 0 records`;
  return mayBeNormal
    ? { code: 'EMPTY_RUNS_MAY_BE_NORMAL', message: `${runs}; for ${resource ?? 'this resource'} that can be normal (a quiet account)` }
    : { code: 'EMPTY_RUNS', message: `${runs} from ${resource ?? 'the source'}` };
}

function driftReasons(dataflow: WatchedDataflow, platform: PlatformFlowView): HealthReason[] {
  if (!platform.found) return [{ code: 'FLOW_MISSING', message: 'the flow no longer exists on the Platform: it was deleted outside Flowgate' }];
  const reasons: HealthReason[] = [];
  const recordedState = dataflow.state === 'DISABLED' ? 'disabled' : 'enabled';
  if (platform.state !== null && platform.state !== recordedState) {
    reasons.push({ code: 'STATE_CHANGED', message: `the flow is ${platform.state} on the Platform, but Flowgate ${recordedState} it: it was changed outside Flowgate` });
  }
  if (platform.schedule !== null && !sameSchedule(platform.schedule, dataflow.schedule)) {
    reasons.push({ code: 'SCHEDULE_CHANGED', message: `the Platform runs it ${describeSchedule(platform.schedule)}, but Flowgate recorded ${describeSchedule(dataflow.schedule)}` });
  }
  if (platform.mappingVersion !== null && dataflow.mappingVersion !== null && platform.mappingVersion !== dataflow.mappingVersion) {
    reasons.push({ code: 'MAPPING_CHANGED', message: `the flow uses mapping set version ${platform.mappingVersion} on the Platform, but Flowgate recorded version ${dataflow.mappingVersion}` });
  }
  if (reasons.length === 0 && platform.etag !== null && !sameEtag(platform.etag, dataflow.etag)) {
    reasons.push({ code: 'CHANGED_ELSEWHERE', message: `the flow was changed outside Flowgate (etag ${platform.etag} on the Platform, ${dataflow.etag ?? 'none'} recorded)` });
  }
  return reasons;
}

function describeSchedule(s: FlowSchedule): string {
  const every = s.frequency === 'once' ? 'once' : `every ${s.interval ?? 1} ${s.frequency}${(s.interval ?? 1) === 1 ? '' : 's'}`;
  return `${every} from ${new Date(s.startTime * 1000).toISOString()}`;
}

// ---- alerts ----------------------------------------------------------------------------------

export const ALERT_SEVERITIES = ['CRITICAL', 'WARNING', 'INFO'] as const;
export type AlertSeverity = (typeof ALERT_SEVERITIES)[number];

/** What happens to an alert: the webhook event names too. */
export const ALERT_CHANGES = ['ALERT_OPENED', 'ALERT_UPDATED', 'ALERT_RESOLVED'] as const;
export type AlertChange = (typeof ALERT_CHANGES)[number];

export function isProblem(status: HealthStatus): status is ProblemStatus {
  return (PROBLEM_STATUSES as readonly string[]).includes(status);
}

/** CRITICAL: nothing arrives (FAILING, LATE). WARNING: DRIFTED, SILENT. INFO: SILENT where 0 records can be normal. */
export function severityOf(health: Pick<DataflowHealth, 'status' | 'emptyRunsMayBeNormal'>): AlertSeverity {
  switch (health.status) {
    case 'FAILING':
    case 'LATE':
      return 'CRITICAL';
    case 'SILENT':
      return health.emptyRunsMayBeNormal ? 'INFO' : 'WARNING';
    case 'DRIFTED':
    case 'HEALTHY':
    case 'PAUSED':
      return 'WARNING';
  }
}

/** The open alert of a dataflow, as stored. */
export interface OpenAlert {
  status: ProblemStatus;
  reasonCodes: readonly HealthReasonCode[];
}

/** What a pass does to a dataflow's alert. */
export type AlertTransition =
  { change: 'ALERT_OPENED' | 'ALERT_UPDATED'; status: ProblemStatus; severity: AlertSeverity; reasons: HealthReason[] } | { change: 'ALERT_RESOLVED'; reasons: HealthReason[] };

/**
 * One alert per problem episode: opened when the health becomes a problem, updated when the
 * problem changes (another status, or other reason codes — not a count going up), resolved when
 * the dataflow is HEALTHY or PAUSED again, or gone (`health` null: deleted). Null: nothing to do.
 */
export function alertTransition(open: OpenAlert | null, health: DataflowHealth | null): AlertTransition | null {
  const problem = health !== null && isProblem(health.status) ? health.status : null;
  if (open === null) return problem === null ? null : { change: 'ALERT_OPENED', status: problem, severity: severityOf(health!), reasons: health!.reasons };
  if (problem === null) {
    const reasons: HealthReason[] = health === null ? [{ code: 'FLOW_MISSING', message: 'the dataflow was deleted' }] : health.status === 'PAUSED' ? health.reasons : [];
    return { change: 'ALERT_RESOLVED', reasons };
  }
  const codes = health!.reasons.map((r) => r.code);
  const same = open.status === problem && codes.length === open.reasonCodes.length && codes.every((c) => open.reasonCodes.includes(c));
  return same ? null : { change: 'ALERT_UPDATED', status: problem, severity: severityOf(health!), reasons: health!.reasons };
}

/** Whether a newly evaluated health differs from the stored one (only then is it written). */
export function healthChanged(stored: DataflowHealth | null, next: DataflowHealth): boolean {
  if (stored === null) return true;
  const time = (d: Date | null) => (d === null ? null : d.getTime());
  return (
    stored.status !== next.status ||
    time(stored.expectedNextRunAt) !== time(next.expectedNextRunAt) ||
    time(stored.lastRunAt) !== time(next.lastRunAt) ||
    stored.consecutiveFailures !== next.consecutiveFailures ||
    stored.consecutiveEmptyRuns !== next.consecutiveEmptyRuns ||
    stored.emptyRunsMayBeNormal !== next.emptyRunsMayBeNormal ||
    JSON.stringify(stored.reasons) !== JSON.stringify(next.reasons)
  );
}
