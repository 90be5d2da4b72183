import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  alertTransition,
  evaluateHealth,
  expectedNextRunAt,
  healthChanged,
  namesCredential,
  severityOf,
  type DataflowHealth,
  type HealthInput,
  type PlatformFlowView,
  type WatchedDataflow,
  type WatchedRun,
  type WatchdogPolicy,
} from '../../src/domain/dataflow-health.js';

const HOUR = 3600;
const START = 1_780_000_000;
const POLICY: WatchdogPolicy = { graceSeconds: 600, failedRuns: 2, emptyRuns: 3 };
const at = (seconds: number) => new Date(seconds * 1000);
/** The dataflow was created a minute before its start time and not changed since. */
const CREATED = at(START - 60);
const STRIPE_KEY_REJECTED = { code: 'CONNECTOR-2001-500', message: 'Error connecting to the source: Stripe rejected the API key of the base connection (invalid_api_key).' };

function dataflow(overrides: Partial<WatchedDataflow> = {}): WatchedDataflow {
  return {
    state: 'ENABLED',
    etag: '"e-1"',
    schedule: { frequency: 'hour', interval: 1, startTime: START, backfill: true },
    mappingVersion: 0,
    stripeResource: 'charges',
    changedAt: CREATED,
    operationInFlight: false,
    ...overrides,
  };
}

/** A synced run and when it started. */
type TimedRun = WatchedRun & { startedAt: Date };

/** A finished run at grid point k (START + k hours). */
function run(k: number, overrides: Partial<TimedRun> = {}): TimedRun {
  return { status: 'SUCCESS', startedAt: at(START + k * HOUR), recordsRead: 12, errors: [], ...overrides };
}

/** Runs at grid points `from` … `to`, newest first. */
function runs(from: number, to: number, overrides: Partial<TimedRun> = {}): TimedRun[] {
  const out: TimedRun[] = [];
  for (let k = to; k >= from; k--) out.push(run(k, overrides));
  return out;
}

/** The Platform's flow exactly as recorded, read after the last change. */
function platform(overrides: Partial<PlatformFlowView> = {}): PlatformFlowView {
  return {
    observedAt: at(START + 10),
    found: true,
    state: 'enabled',
    etag: '"e-1"',
    schedule: { frequency: 'hour', interval: 1, startTime: START, backfill: true },
    mappingVersion: 0,
    ...overrides,
  };
}

/** The health at `nowSeconds`; the newest run's start is the input's lastRunAt. */
function health(input: Partial<Omit<HealthInput, 'runs' | 'lastRunAt'>> & { runs?: TimedRun[] }, nowSeconds: number, policy = POLICY): DataflowHealth {
  const timed = input.runs ?? [];
  const runsOnly = timed.map(({ startedAt: _startedAt, ...r }) => r);
  return evaluateHealth({ dataflow: dataflow(), platform: platform(), ...input, runs: runsOnly, lastRunAt: timed[0]?.startedAt ?? null }, policy, at(nowSeconds));
}

const codes = (h: DataflowHealth) => h.reasons.map((r) => r.code);

describe('evaluateHealth', () => {
  describe('HEALTHY', () => {
    it('is a dataflow whose runs come on its grid with records', () => {
      const h = health({ runs: runs(0, 5) }, START + 5 * HOUR + 120);
      assert.equal(h.status, 'HEALTHY');
      assert.deepEqual(h.reasons, []);
      assert.deepEqual(h.lastRunAt, at(START + 5 * HOUR));
      assert.deepEqual(h.expectedNextRunAt, at(START + 6 * HOUR));
      assert.equal(h.consecutiveFailures, 0);
      assert.equal(h.consecutiveEmptyRuns, 0);
    });

    it('is a new dataflow before its start time, expecting its first run then', () => {
      const h = health({}, START - 30);
      assert.equal(h.status, 'HEALTHY');
      assert.deepEqual(h.expectedNextRunAt, at(START));
      assert.equal(h.lastRunAt, null);
    });

    it('counts a run still in progress as the run that appeared, and leaves it out of the streaks', () => {
      const h = health({ runs: [run(6, { status: 'IN_PROGRESS', recordsRead: 0 }), run(5, { status: 'FAILED' }), ...runs(0, 4)] }, START + 6 * HOUR + 700);
      assert.equal(h.status, 'HEALTHY');
      assert.deepEqual(h.lastRunAt, at(START + 6 * HOUR));
      assert.equal(h.consecutiveFailures, 1);
    });
  });

  describe('LATE', () => {
    it('is a dataflow whose next run has not appeared within one interval plus the grace', () => {
      const onTime = health({ runs: runs(0, 2) }, START + 3 * HOUR + POLICY.graceSeconds);
      assert.equal(onTime.status, 'HEALTHY', 'at the end of the grace it is not late yet');
      const late = health({ runs: runs(0, 2) }, START + 3 * HOUR + POLICY.graceSeconds + 1);
      assert.equal(late.status, 'LATE');
      assert.deepEqual(codes(late), ['RUN_OVERDUE']);
      assert.match(late.reasons[0]!.message, /expected at 2026-05-28T23:26:40.000Z/);
      assert.deepEqual(late.expectedNextRunAt, at(START + 3 * HOUR));
    });

    it('is a dataflow that never ran, once its start time plus the grace has passed', () => {
      assert.equal(health({}, START + POLICY.graceSeconds).status, 'HEALTHY');
      const late = health({}, START + POLICY.graceSeconds + 1);
      assert.equal(late.status, 'LATE');
      assert.match(late.reasons[0]!.message, /has not run yet/);
    });

    it('takes a run that started a little late (or early) for its grid point', () => {
      const h = health({ runs: [run(2, { startedAt: at(START + 2 * HOUR + 300) }), run(1, { startedAt: at(START + HOUR - 20) })] }, START + 3 * HOUR + 60);
      assert.deepEqual(h.expectedNextRunAt, at(START + 3 * HOUR));
      assert.equal(h.status, 'HEALTHY');
    });

    it('does not owe the runs missed while Flowgate had it disabled: after a change, runs resume at the next grid point', () => {
      const enabledAgain = at(START + 10 * HOUR + 900);
      const h = health({ dataflow: dataflow({ changedAt: enabledAgain }), runs: runs(0, 2), platform: platform({ observedAt: at(START + 10 * HOUR + 960) }) }, START + 10 * HOUR + 1200);
      assert.deepEqual(h.expectedNextRunAt, at(START + 11 * HOUR));
      assert.equal(h.status, 'HEALTHY');
    });

    it('expects nothing more of a ONCE dataflow that ran', () => {
      const once = dataflow({ schedule: { frequency: 'once', interval: null, startTime: START, backfill: null } });
      const h = health({ dataflow: once, runs: [run(0)], platform: platform({ schedule: once.schedule }) }, START + 100 * HOUR);
      assert.equal(h.status, 'HEALTHY');
      assert.equal(h.expectedNextRunAt, null);
      assert.equal(health({ dataflow: once, platform: platform({ schedule: once.schedule }) }, START + POLICY.graceSeconds + 1).status, 'LATE');
    });
  });

  describe('FAILING', () => {
    it('is a dataflow whose last WATCHDOG_FAILED_RUNS runs failed, naming the latest error', () => {
      const error = { code: 'INGEST-1212-400', message: 'The target dataset no longer exists.' };
      const one = health({ runs: [run(3, { status: 'FAILED', errors: [error] }), ...runs(0, 2)] }, START + 3 * HOUR + 60);
      assert.equal(one.status, 'HEALTHY', 'one failure is not a trend');
      assert.equal(one.consecutiveFailures, 1);
      const two = health({ runs: [run(4, { status: 'FAILED', errors: [error] }), run(3, { status: 'FAILED', errors: [error] }), ...runs(0, 2)] }, START + 4 * HOUR + 60);
      assert.equal(two.status, 'FAILING');
      assert.deepEqual(codes(two), ['RUNS_FAILING']);
      assert.match(two.reasons[0]!.message, /the last 2 runs failed; latest error: INGEST-1212-400/);
      assert.equal(two.consecutiveFailures, 2);
    });

    it('is a dataflow whose latest run failed because Stripe rejected the key, at once, and says so', () => {
      const h = health({ runs: [run(3, { status: 'FAILED', recordsRead: 0, errors: [STRIPE_KEY_REJECTED] }), ...runs(0, 2)] }, START + 3 * HOUR + 60);
      assert.equal(h.status, 'FAILING');
      assert.deepEqual(codes(h), ['CREDENTIAL_REJECTED']);
      assert.match(h.reasons[0]!.message, /rejected the credential \(the Stripe key of the base connection\)/);
      assert.match(h.reasons[0]!.message, /CONNECTOR-2001-500/);
    });

    it('recovers with the first successful run', () => {
      const h = health({ runs: [run(5), run(4, { status: 'FAILED', errors: [STRIPE_KEY_REJECTED] }), run(3, { status: 'FAILED', errors: [STRIPE_KEY_REJECTED] })] }, START + 5 * HOUR + 60);
      assert.equal(h.status, 'HEALTHY');
      assert.equal(h.consecutiveFailures, 0);
    });

    it('wins over LATE when failed runs then stopped, listing both findings', () => {
      const h = health({ runs: runs(0, 1, { status: 'FAILED', errors: [STRIPE_KEY_REJECTED] }) }, START + 5 * HOUR);
      assert.equal(h.status, 'FAILING');
      assert.deepEqual(codes(h), ['CREDENTIAL_REJECTED', 'RUNS_FAILING', 'RUN_OVERDUE']);
    });
  });

  describe('SILENT', () => {
    it('is a dataflow whose last WATCHDOG_EMPTY_RUNS successful runs read 0 records', () => {
      const two = health({ runs: [...runs(3, 4, { recordsRead: 0 }), ...runs(0, 2)] }, START + 4 * HOUR + 60);
      assert.equal(two.status, 'HEALTHY');
      assert.equal(two.consecutiveEmptyRuns, 2);
      const three = health({ runs: [...runs(2, 4, { recordsRead: 0 }), ...runs(0, 1)] }, START + 4 * HOUR + 60);
      assert.equal(three.status, 'SILENT');
      assert.deepEqual(codes(three), ['EMPTY_RUNS']);
      assert.equal(three.emptyRunsMayBeNormal, false);
      assert.equal(severityOf(three), 'WARNING');
    });

    it('is shown apart for a resource where 0 records can be normal (refunds): its own reason, severity INFO', () => {
      const h = health({ dataflow: dataflow({ stripeResource: 'refunds' }), runs: runs(0, 4, { recordsRead: 0 }) }, START + 4 * HOUR + 60);
      assert.equal(h.status, 'SILENT');
      assert.equal(h.emptyRunsMayBeNormal, true);
      assert.deepEqual(codes(h), ['EMPTY_RUNS_MAY_BE_NORMAL']);
      assert.match(h.reasons[0]!.message, /for refunds that can be normal/);
      assert.equal(severityOf(h), 'INFO');
    });

    it('does not count failed runs as empty', () => {
      const h = health({ runs: [run(4, { recordsRead: 0 }), run(3, { status: 'FAILED', recordsRead: 0 }), ...runs(0, 2, { recordsRead: 0 })] }, START + 4 * HOUR + 60);
      assert.equal(h.consecutiveEmptyRuns, 1);
      assert.equal(h.status, 'HEALTHY');
    });
  });

  describe('DRIFTED', () => {
    const now = START + 3 * HOUR + 60;
    const later = at(START + 3 * HOUR);

    it('is a flow disabled on the Platform behind Flowgate’s back, even before its runs are missed', () => {
      const h = health({ runs: runs(0, 2), platform: platform({ state: 'disabled', etag: '"e-2"', observedAt: later }) }, now);
      assert.equal(h.status, 'DRIFTED');
      assert.deepEqual(codes(h), ['STATE_CHANGED']);
      assert.match(h.reasons[0]!.message, /disabled on the Platform, but Flowgate enabled it/);
    });

    it('lists the missed runs too once they are overdue, and stays DRIFTED', () => {
      const h = health({ runs: runs(0, 2), platform: platform({ state: 'disabled', etag: '"e-2"', observedAt: later }) }, START + 6 * HOUR);
      assert.equal(h.status, 'DRIFTED');
      assert.deepEqual(codes(h), ['STATE_CHANGED', 'RUN_OVERDUE']);
    });

    it('names a changed schedule, a changed mapping version, a deleted flow', () => {
      const schedule = health({ runs: runs(0, 2), platform: platform({ schedule: { frequency: 'day', interval: 1, startTime: START, backfill: true }, etag: '"e-3"', observedAt: later }) }, now);
      assert.deepEqual(codes(schedule), ['SCHEDULE_CHANGED']);
      assert.match(schedule.reasons[0]!.message, /runs it every 1 day from .* but Flowgate recorded every 1 hour from/);
      const mapping = health({ runs: runs(0, 2), platform: platform({ mappingVersion: 3, etag: '"e-3"', observedAt: later }) }, now);
      assert.deepEqual(codes(mapping), ['MAPPING_CHANGED']);
      const missing = health({ runs: runs(0, 2), platform: platform({ found: false, state: null, etag: null, schedule: null, mappingVersion: null, observedAt: later }) }, now);
      assert.equal(missing.status, 'DRIFTED');
      assert.deepEqual(codes(missing), ['FLOW_MISSING']);
    });

    it('names an etag changed elsewhere when nothing else differs (quotes and W/ do not count)', () => {
      const h = health({ runs: runs(0, 2), platform: platform({ etag: '"e-9"', observedAt: later }) }, now);
      assert.deepEqual(codes(h), ['CHANGED_ELSEWHERE']);
      assert.equal(health({ runs: runs(0, 2), platform: platform({ etag: 'W/e-1', observedAt: later }) }, now).status, 'HEALTHY');
    });

    it('ignores a Platform view read before Flowgate’s last change, or while an operation is under way', () => {
      const stale = platform({ state: 'disabled', etag: '"e-2"', observedAt: at(START + HOUR) });
      assert.equal(health({ dataflow: dataflow({ changedAt: at(START + 2 * HOUR) }), runs: runs(0, 2), platform: stale }, now).status, 'HEALTHY');
      const midway = platform({ state: 'disabled', etag: '"e-2"', observedAt: later });
      assert.equal(health({ dataflow: dataflow({ operationInFlight: true }), runs: runs(0, 2), platform: midway }, now).status, 'HEALTHY');
      assert.equal(health({ runs: runs(0, 2), platform: null }, now).status, 'HEALTHY', 'never read: nothing to compare');
    });
  });

  describe('PAUSED', () => {
    const paused = dataflow({ state: 'DISABLED', etag: '"e-2"', changedAt: at(START + 2 * HOUR + 100) });

    it('is a dataflow disabled through Flowgate: no run expected, nothing late', () => {
      const h = health({ dataflow: paused, runs: runs(0, 2), platform: platform({ state: 'disabled', etag: '"e-2"', observedAt: at(START + 2 * HOUR + 200) }) }, START + 50 * HOUR);
      assert.equal(h.status, 'PAUSED');
      assert.deepEqual(codes(h), ['DISABLED_THROUGH_FLOWGATE']);
      assert.equal(h.expectedNextRunAt, null);
    });

    it('is DRIFTED when someone enabled it again on the Platform', () => {
      const h = health({ dataflow: paused, runs: runs(0, 2), platform: platform({ state: 'enabled', etag: '"e-3"', observedAt: at(START + 3 * HOUR) }) }, START + 3 * HOUR + 60);
      assert.equal(h.status, 'DRIFTED');
      assert.deepEqual(codes(h), ['STATE_CHANGED', 'DISABLED_THROUGH_FLOWGATE']);
    });
  });
});

describe('expectedNextRunAt', () => {
  const hourly = { frequency: 'hour', interval: 2, startTime: START, backfill: null } as const;
  it('is the start time before any run, the grid point after the last run afterwards', () => {
    assert.deepEqual(expectedNextRunAt(hourly, null, CREATED), at(START));
    assert.deepEqual(expectedNextRunAt(hourly, at(START + 4 * HOUR + 30), CREATED), at(START + 6 * HOUR));
  });
  it('is the first grid point at or after a change made after the last run', () => {
    assert.deepEqual(expectedNextRunAt(hourly, at(START + 2 * HOUR), at(START + 9 * HOUR)), at(START + 10 * HOUR));
    assert.deepEqual(expectedNextRunAt(hourly, at(START + 2 * HOUR), at(START + 10 * HOUR)), at(START + 10 * HOUR));
  });
});

describe('namesCredential', () => {
  it('recognises a rejected key, not a missing connection or a mapping error', () => {
    assert.equal(namesCredential(STRIPE_KEY_REJECTED), true);
    assert.equal(namesCredential({ code: 'CONNECTOR-2001-500', message: 'The source connection or its base connection no longer exists.' }), false);
    assert.equal(namesCredential({ code: 'MAPPER-3700-400', message: 'expected a string at customer' }), false);
  });
});

describe('alertTransition', () => {
  const late = health({ runs: runs(0, 2) }, START + 5 * HOUR);
  const drifted = health({ runs: runs(0, 2), platform: platform({ state: 'disabled', etag: '"e-2"', observedAt: at(START + 3 * HOUR) }) }, START + 5 * HOUR);
  const healthy = health({ runs: runs(0, 2) }, START + 2 * HOUR + 60);

  it('opens an alert when the health becomes a problem, with its severity', () => {
    assert.deepEqual(alertTransition(null, late), { change: 'ALERT_OPENED', status: 'LATE', severity: 'CRITICAL', reasons: late.reasons });
    assert.equal(alertTransition(null, healthy), null);
    assert.equal(alertTransition(null, null), null);
  });

  it('leaves it alone while the problem stays the same, even as counts move', () => {
    assert.equal(alertTransition({ status: 'LATE', reasonCodes: ['RUN_OVERDUE'] }, health({ runs: runs(0, 2) }, START + 9 * HOUR)), null);
    const three = health({ runs: runs(0, 2, { status: 'FAILED' }) }, START + 2 * HOUR + 60);
    assert.match(three.reasons[0]!.message, /the last 3 runs failed/);
    assert.equal(alertTransition({ status: 'FAILING', reasonCodes: ['RUNS_FAILING'] }, three), null);
  });

  it('updates it when the problem changes (another status, other findings)', () => {
    const t = alertTransition({ status: 'LATE', reasonCodes: ['RUN_OVERDUE'] }, drifted);
    assert.equal(t?.change, 'ALERT_UPDATED');
    assert.deepEqual(t && 'status' in t ? [t.status, t.severity] : null, ['DRIFTED', 'WARNING']);
    assert.equal(alertTransition({ status: 'DRIFTED', reasonCodes: ['STATE_CHANGED'] }, drifted)?.change, 'ALERT_UPDATED', 'RUN_OVERDUE joined');
  });

  it('resolves it when the dataflow is healthy again, paused through Flowgate, or deleted', () => {
    assert.deepEqual(alertTransition({ status: 'LATE', reasonCodes: ['RUN_OVERDUE'] }, healthy), { change: 'ALERT_RESOLVED', reasons: [] });
    const paused = health({ dataflow: dataflow({ state: 'DISABLED' }), runs: runs(0, 2), platform: platform({ state: 'disabled' }) }, START + 9 * HOUR);
    assert.deepEqual(alertTransition({ status: 'LATE', reasonCodes: ['RUN_OVERDUE'] }, paused), { change: 'ALERT_RESOLVED', reasons: paused.reasons });
    assert.deepEqual(alertTransition({ status: 'FAILING', reasonCodes: ['RUNS_FAILING'] }, null)?.change, 'ALERT_RESOLVED');
  });
});

describe('healthChanged', () => {
  it('is true for a first evaluation and any visible difference, false for the same health', () => {
    const h = health({ runs: runs(0, 2) }, START + 2 * HOUR + 60);
    assert.equal(healthChanged(null, h), true);
    assert.equal(healthChanged(h, { ...h, reasons: [...h.reasons] }), false);
    assert.equal(healthChanged(h, { ...h, expectedNextRunAt: at(START + 9 * HOUR) }), true);
    assert.equal(healthChanged(h, { ...h, consecutiveEmptyRuns: 1 }), true);
  });
});
