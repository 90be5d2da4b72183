import assert from 'node:assert/strict';
import { after, before, describe, it, type TestContext } from 'node:test';
import { requestMatcher, tapEmulatorArrivals, tapEmulatorRequests } from './support/emulator-tap.js';
import { emulatorCounts, expectedCounts, inventoryCounts, onboardStripe, platformInventory, waitForOnboarding, type PlatformInventory } from './support/onboarding-reads.js';
import { STRIPE_KEY } from './support/platform-reads.js';
import { RowLock } from './support/row-lock.js';
import { TestStack } from './support/stack.js';
import { WorkerFleet } from './support/worker-fleet.js';

/**
 * Issue 4: "SIGKILL the worker process at random points (at least 20 points across the saga, in
 * a test that spawns real processes) → every onboarding completes, no duplicates, ledger
 * consistent." The gateway and the emulator run in this process; workers are real
 * `dist/src/worker/main.js` processes. A kill point is an exact moment of the saga: a Platform call
 * arriving at the emulator while its worker waits for the answer (a create then still commits —
 * the write happens, its answer is lost), a create logged as written with its answer dropped, a
 * worker blocked on a row lock while it records a result or advances the saga, or a seeded random
 * delay. The taps run synchronously inside the emulator, so the SIGKILL lands at that moment.
 * After each kill a new worker — sometimes two racing, or only the surviving one of two — has to
 * finish, and every onboarding must end SUCCEEDED with exactly one of each resource.
 */

/** Short job locks, so a job held by a killed worker is delivered again within about two seconds. */
const LOCK_SECONDS = 1;
/** Seed of the random kill points; set CRASH_SEED to replay a failing run. */
const SEED = Number(process.env.CRASH_SEED ?? Math.floor(Math.random() * 2 ** 31));

const FLOW = '/data/foundation/flowservice';
const REGISTRY = '/data/foundation/schemaregistry/tenant';
const CATALOG = '/data/foundation/catalog';
const PREP = '/data/foundation/conversion';

type Resource = 'CHARGES' | 'SUBSCRIPTIONS' | 'REFUNDS' | 'BALANCE_TRANSACTIONS' | 'CUSTOMERS' | 'PRICES';

/** A Platform call as the taps see it: on arrival (its caller waiting), or logged (answered, or written with the answer dropped). */
interface CallEvent {
  phase: 'arrived' | 'logged';
  method: string;
  path: string;
  /** The caller's x-request-id (an operation id for operation jobs); logged calls only. */
  requestId?: string;
  /** The caller's TCP port: which worker process sent it; logged calls only. */
  clientPort?: number | null;
}

/** A moment at which worker processes die. */
interface KillPoint {
  label: string;
  at: (call: CallEvent) => boolean;
  /**
   * Armed before the workers run: that create commits on the Platform and its answer is dropped,
   * and the worker dies as it is logged — "the write happened, the response was lost".
   */
  dropAnswer?: { method: string; path: string };
  /**
   * Instead of killing at once: when `at` fires, take this row lock; kill once a worker waits on
   * it and `ready` (a query returning a row) holds. Both get the onboarding id.
   */
  blockOn?: { lock: string; params: (onboardingId: string) => unknown[]; ready?: string; readyParams?: (onboardingId: string) => unknown[] };
  /**
   * The call that fires a `blockOn` point, answered 300 ms late: the lock is taken while its
   * caller waits, so the caller cannot commit before the lock is there (on a busy machine the
   * answer used to win that race, and the worker never waited on the lock).
   */
  slowCall?: { method: string; path: string };
  /**
   * 'all' workers die (default), or only the one that made the call (running its job, or the step
   * it started itself): then no worker starts until a survivor has taken that operation over, and
   * one replacement after that.
   */
  victim?: 'all' | 'holder';
  /** Workers started after an 'all' kill (default 1; 2 = two new workers race for the orphaned jobs). */
  restart?: number;
}

/** What the suite did, for the report and the final count. */
const fired: { label: string; killed: number[]; afterMs: number }[] = [];
const checkedOnboardings: string[] = [];

/** The call arrives (its worker waits for the answer). */
const arrives = (method: string, path: string) => {
  const matches = requestMatcher(method, path);
  return (call: CallEvent) => call.phase === 'arrived' && matches(call);
};
/** The call is logged (answered, or written and dropped). */
const logged = (method: string, path: string) => {
  const matches = requestMatcher(method, path);
  return (call: CallEvent) => call.phase === 'logged' && matches(call);
};
const drop = (path: string): Pick<KillPoint, 'at' | 'dropAnswer'> => ({ at: logged('POST', path), dropAnswer: { method: 'POST', path } });
const stepKey = (key: string) => (onboardingId: string) => [onboardingId, key];
const theOnboarding = (onboardingId: string) => [onboardingId];
/** A kill point that takes a row lock when `path` arrives (answered late, so the lock comes first). */
const blockAt = (method: string, path: string, blockOn: NonNullable<KillPoint['blockOn']>): Pick<KillPoint, 'at' | 'blockOn' | 'slowCall'> => ({
  at: arrives(method, path),
  blockOn,
  slowCall: { method, path },
});
/** Blocks the commit of a step's result (the resource row is updated with it). */
const LOCK_RESOURCE_OF_STEP = 'SELECT 1 FROM resources WHERE id = (SELECT resource_id FROM onboarding_steps WHERE onboarding_id = $1 AND key = $2) FOR UPDATE';
/** Blocks every advance of the saga (it runs under this row lock). */
const LOCK_ONBOARDING = 'SELECT 1 FROM onboardings WHERE id = $1 FOR UPDATE';
/**
 * Blocks the pass that starts this step (its dependency's pass), but not the recording of the
 * dependency's own outcome (which takes the onboarding's row lock to bump its version): the way
 * to stop a worker after a result is committed and before the saga has advanced on it.
 */
const LOCK_STEP = 'SELECT 1 FROM onboarding_steps WHERE onboarding_id = $1 AND key = $2 FOR UPDATE';
const STEP_OPERATION_SUCCEEDED = `SELECT 1 FROM onboarding_steps s JOIN operations o ON o.id = s.operation_id WHERE s.onboarding_id = $1 AND s.key = $2 AND o.status = 'SUCCEEDED'`;
const STEP_SUCCEEDED = `SELECT 1 FROM onboarding_steps WHERE onboarding_id = $1 AND key = $2 AND status = 'SUCCEEDED'`;

function mulberry32(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) | 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

describe('onboardStripe when worker processes are SIGKILLed mid-saga (real processes)', () => {
  let stack: TestStack;
  let fleet: WorkerFleet;
  const untaps: (() => void)[] = [];
  /** The armed kill point's trigger, called synchronously from the emulator; true = it fired. */
  let armed: ((call: CallEvent) => boolean) | null = null;
  const observe = (call: CallEvent) => {
    if (process.env.CRASH_DEBUG) console.error(`${new Date().toISOString()} ${call.phase} ${call.method} ${call.path} ${call.requestId ?? ''} live=${fleet.pids.join(',')}`);
    if (armed?.(call)) armed = null;
  };

  before(async () => {
    stack = await TestStack.start({ roles: { gateway: true, worker: false }, env: { WORKER_LOCK_SECONDS: String(LOCK_SECONDS) } });
    fleet = new WorkerFleet(stack, { WORKER_LOCK_SECONDS: String(LOCK_SECONDS) });
    untaps.push(tapEmulatorArrivals(stack.emulator, (r) => observe({ phase: 'arrived', method: r.method, path: r.path })));
    untaps.push(tapEmulatorRequests(stack.emulator, (r) => observe({ phase: 'logged', method: r.method, path: r.path, requestId: r.requestId, clientPort: r.clientPort })));
  });

  after(async () => {
    for (const untap of untaps) untap();
    await fleet?.stop();
    await stack?.stop();
  });

  async function submit(name: string, resources: Resource[]): Promise<{ id: string; name: string; resources: Resource[] }> {
    const result = await onboardStripe(stack, { name, accessToken: STRIPE_KEY, resources, schedule: { frequency: 'HOUR', interval: 1 } });
    assert.equal(result.errors, undefined, JSON.stringify(result.errors));
    return { id: result.data.onboardStripe.id, name, resources };
  }

  /** Where the saga stands (for failure messages and the random points' report). */
  async function ledger(onboardingIds: string[]): Promise<string> {
    const rows = await stack.sql<{ key: string; status: string; op: string | null; attempts: number | null }>(
      `SELECT s.key, s.status, o.status AS op, o.attempts FROM onboarding_steps s LEFT JOIN operations o ON o.id = s.operation_id WHERE s.onboarding_id = ANY($1::uuid[]) ORDER BY s.onboarding_id, s.position`,
      [onboardingIds],
    );
    return rows.map((r) => `${r.key}=${r.status}${r.op ? `(op ${r.op} x${r.attempts})` : ''}`).join(' ');
  }

  /**
   * Arms a kill point, lets `resume` (re)start what runs, waits until the point fires and the kill
   * is done, and returns what restarts the workers — to run once the next point is armed, so no
   * worker can pass that point before it is watched.
   */
  async function crashAt(t: TestContext, point: KillPoint, onboardingIds: () => string[], env: Record<string, string>, resume: () => Promise<void>): Promise<() => Promise<void>> {
    const started = Date.now();
    if (point.dropAnswer) await stack.control('POST', '/faults', { ...point.dropAnswer, mode: 'commit-then-drop', count: 1 });
    if (point.slowCall) await stack.control('POST', '/faults', { ...point.slowCall, latencyMs: 300, count: 1 });
    const lock = point.blockOn ? await RowLock.open(stack) : null;
    let killed: number[] = [];
    let restart = async () => {
      await fleet.reaped();
      await fleet.start(point.restart ?? 1, env);
    };

    let resumed = false;
    const deadline = Date.now() + 30_000;
    for (;;) {
      let locked: Promise<number> | null = null;
      let frozen: number[] = [];
      let trigger: CallEvent | null = null;
      const hit = new Promise<void>((resolve) => {
        armed = (call) => {
          // A call seen while no worker lives was sent by one already killed.
          if (fleet.pids.length === 0 || !point.at(call)) return false;
          trigger = call;
          if (lock) {
            const [onboardingId] = onboardingIds();
            // Before the onboarding is submitted there is no row to lock: `locked` is then 0, which the check after the hit reports.
            locked = onboardingId === undefined ? Promise.resolve(0) : lock.lock(point.blockOn!.lock, point.blockOn!.params(onboardingId));
          } else if (point.victim === 'holder') frozen = fleet.freeze();
          else killed = fleet.kill();
          resolve();
          return true;
        };
      });
      let timer: NodeJS.Timeout | undefined;
      try {
        if (!resumed) await resume();
        resumed = true;
        const reached = await Promise.race([hit.then(() => true), new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), Math.max(0, deadline - Date.now()))))]);
        if (!reached) throw new Error(`kill point "${point.label}" was never reached; ledger: ${await ledger(onboardingIds())}`);
      } finally {
        clearTimeout(timer);
        armed = null;
      }
      const call = trigger!;

      if (lock) {
        try {
          assert.equal(await (locked as Promise<number> | null), 1, `the row to lock for "${point.label}" exists`);
          if (process.env.CRASH_DEBUG)
            console.error(
              `${new Date().toISOString()} locked for ${point.label} (onboarding ${onboardingIds()[0]}) ${JSON.stringify(await lock.peek(`SELECT clock_timestamp() AS now, s.key, r.updated_at, r.state, o.status, o.updated_at AS op_at FROM onboarding_steps s JOIN resources r ON r.id = s.resource_id LEFT JOIN operations o ON o.id = s.operation_id WHERE s.onboarding_id = $1 AND s.status = 'RUNNING'`, [onboardingIds()[0]]))}`,
            );
          const { ready, readyParams } = point.blockOn!;
          // A row was locked (asserted above), so the onboarding is known.
          const onboardingId = onboardingIds()[0]!;
          await lock.until(async () => (await lock.waiters()) > 0 && (!ready || (await lock.peek(ready, readyParams!(onboardingId))).length > 0), `a worker waits on the lock of "${point.label}"`);
          killed = fleet.kill();
        } finally {
          await lock.release();
        }
      } else if (point.victim === 'holder') {
        // The workers are frozen: find the one that made the call (its job, or the step it runs
        // itself), kill it, let the others go on.
        const holder = call.clientPort ? fleet.senderOf(call.clientPort) : null;
        if (!holder) {
          // Sent by a worker killed earlier: not this point.
          fleet.thaw(frozen);
          continue;
        }
        const { attempts } = await stack.sqlRow<{ attempts: number }>('SELECT attempts FROM operations WHERE id = $1', [call.requestId]);
        killed = fleet.kill([holder]);
        fleet.thaw(frozen.filter((pid) => pid !== holder));
        const survivors = fleet.pids.length;
        restart = async () => {
          if (survivors > 0) {
            // No new worker until a surviving one has taken the dead one's job over.
            const until = Date.now() + 15_000;
            for (;;) {
              const row = await stack.sqlRow<{ attempts: number; status: string }>('SELECT attempts, status FROM operations WHERE id = $1', [call.requestId]);
              // A new attempt; or, on a loaded machine, the end of a second run a survivor already had
              // (started when the holder's heartbeat came late): it waited at the create fence for the
              // holder's create, and adopts what that made once the holder is gone.
              if (row.attempts > attempts || row.status === 'SUCCEEDED') break;
              assert.ok(Date.now() < until, `a surviving worker took job ${call.requestId} over after "${point.label}" (${JSON.stringify(row)})`);
              await new Promise((resolve) => setTimeout(resolve, 20));
            }
          }
          await fleet.reaped();
          await fleet.start(1, env);
        };
      }
      break;
    }
    assert.ok(killed.length > 0, `"${point.label}" killed a worker`);
    fired.push({ label: point.label, killed, afterMs: Date.now() - started });
    t.diagnostic(`kill point ${fired.length}: ${point.label} — SIGKILLed ${killed.join(', ')}`);
    if (process.env.CRASH_DEBUG) console.error(`${new Date().toISOString()} kill point ${fired.length}: ${point.label} (${Date.now() - started} ms)`);
    return restart;
  }

  /** Runs the onboardings through a list of kill points, then waits for them to end and checks each. */
  async function survive(t: TestContext, onboardings: { name: string; resources: Resource[] }[], points: KillPoint[], options: { workers?: number; env?: Record<string, string> } = {}) {
    const env = options.env ?? {};
    const submitted: { id: string; name: string; resources: Resource[] }[] = [];
    const ids = () => submitted.map((o) => o.id);
    let resume = async () => {
      await fleet.start(options.workers ?? 1, env);
      for (const o of onboardings) submitted.push(await submit(o.name, o.resources));
    };
    for (const point of points) resume = await crashAt(t, point, ids, env, resume);
    await resume();
    for (const o of submitted) await assertCompletedExactlyOnce(o);
    await fleet.stop();
  }

  /**
   * The onboarding SUCCEEDED; the Platform holds exactly one of each resource it made, each the
   * one its ledger step names, wired to its neighbours; the ledger and the core tables agree.
   */
  async function assertCompletedExactlyOnce(o: { id: string; name: string; resources: Resource[] }): Promise<void> {
    const onboarding = await waitForOnboarding(stack, o.id, 60_000).catch(async (error) => {
      throw new Error(`${(error as Error).message}\nledger: ${await ledger([o.id])}`);
    });
    assert.equal(onboarding.status, 'SUCCEEDED', `onboarding ${o.name}: ${JSON.stringify(onboarding.error)}; ledger: ${await ledger([o.id])}`);
    assert.equal(onboarding.progress, 1);
    assert.deepEqual(
      onboarding.steps.filter((s: any) => s.status !== 'SUCCEEDED').map((s: any) => s.key),
      [],
      'every step SUCCEEDED, none left RUNNING',
    );
    assert.equal(onboarding.steps.filter((s: any) => s.kind.startsWith('UNDO_')).length, 0, 'nothing was rolled back');

    // On the Platform: exactly one of each, and it is the one the ledger recorded.
    const inventory = await platformInventory(stack, o.name);
    assert.deepEqual(inventoryCounts(inventory), expectedCounts(o.resources.length), `onboarding ${o.name} left exactly one of each resource on the Platform`);
    const creates = onboarding.steps.filter((s: any) => s.resourceId !== null);
    const tagged = (items: any[], tag: string, field = 'name') => items.filter((i) => String(i[field]).endsWith(`[fg:${tag}]`));
    const kinds: Record<string, { items: keyof PlatformInventory; id: string; field?: string }> = {
      CREATE_CONNECTION: { items: 'connections', id: 'id' },
      CREATE_SOURCE_CONNECTION: { items: 'sourceConnections', id: 'id' },
      CREATE_XDM_SCHEMA: { items: 'schemas', id: '$id', field: 'title' },
      CREATE_DATASET: { items: 'datasets', id: 'id' },
      CREATE_TARGET_CONNECTION: { items: 'targetConnections', id: 'id' },
      CREATE_MAPPING: { items: 'mappingSets', id: 'id' },
      CREATE_DATAFLOW: { items: 'flows', id: 'id' },
    };
    const onPlatform = new Map<string, any>();
    for (const step of creates) {
      const kind = kinds[step.kind];
      assert.ok(kind, `step ${step.key} creates a resource of a known kind (${step.kind})`);
      const matches = tagged(inventory[kind.items], step.resourceId, kind.field);
      assert.equal(matches.length, 1, `exactly one ${kind.items} item is tagged with step ${step.key}'s resource ${step.resourceId}`);
      assert.equal(matches[0][kind.id], step.platformId, `step ${step.key} recorded the platform id of the ${kind.items} item that exists`);
      onPlatform.set(step.key, matches[0]);
      if (step.kind === 'CREATE_XDM_SCHEMA') {
        assert.equal(tagged(inventory.fieldGroups, `${step.resourceId}.fieldgroup`, 'title').length, 1, `one field group for ${step.key}`);
      }
    }
    // One record class for the onboarding, the one its class step recorded, shared by its schemas.
    const classes = tagged(inventory.classes, `${o.id}.class`, 'title');
    assert.equal(classes.length, 1, `one shared class for onboarding ${o.name}`);
    assert.equal(classes[0].$id, onboarding.steps.find((s: any) => s.key === 'xdm-class').platformId, 'the class step recorded the class that exists');
    // Wired together: what each resource points at is the one its ledger step made.
    const pid = (key: string) => onboarding.steps.find((s: any) => s.key === key).platformId;
    for (const r of o.resources.map((x) => x.toLowerCase())) {
      assert.equal(onPlatform.get(`${r}:source-connection`).baseConnectionId, pid('connection:create'));
      assert.equal(onPlatform.get(`${r}:dataset`).schemaRef.id, pid(`${r}:xdm-schema`));
      assert.equal(onPlatform.get(`${r}:target-connection`).params.dataSetId, pid(`${r}:dataset`));
      const flow = onPlatform.get(`${r}:dataflow`);
      assert.deepEqual(
        [flow.sourceConnectionIds, flow.targetConnectionIds, flow.transformations[0].params.mappingId],
        [[pid(`${r}:source-connection`)], [pid(`${r}:target-connection`)], pid(`${r}:mapping`)],
      );
    }

    // Flowgate's own tables: each resource created once, by one operation, audited once, nothing in flight.
    const resourceIds = creates.map((s: any) => s.resourceId);
    const rows = await stack.sql<{ id: string; platform_id: string; state: string; succeeded: number; unfinished: number; created_events: number }>(
      `SELECT r.id, r.platform_id, r.state,
              (SELECT count(*)::int FROM operations o WHERE o.resource_id = r.id AND o.type LIKE 'CREATE_%' AND o.status = 'SUCCEEDED') AS succeeded,
              (SELECT count(*)::int FROM operations o WHERE o.resource_id = r.id AND o.status IN ('QUEUED', 'RUNNING', 'RETRYING')) AS unfinished,
              (SELECT count(*)::int FROM audit_events a WHERE a.resource_id = r.id AND a.action = 'CREATED') AS created_events
       FROM resources r WHERE r.id = ANY($1::uuid[])`,
      [resourceIds],
    );
    assert.equal(rows.length, creates.length, 'every step resource has a row');
    for (const row of rows) {
      const step = creates.find((s: any) => s.resourceId === row.id);
      assert.deepEqual(
        { step: step.key, platformId: row.platform_id, succeededCreates: row.succeeded, unfinished: row.unfinished, createdAuditEvents: row.created_events },
        { step: step.key, platformId: step.platformId, succeededCreates: 1, unfinished: 0, createdAuditEvents: 1 },
      );
      assert.ok(!['PENDING', 'FAILED'].includes(row.state), `${step.key} resource is ${row.state}`);
    }
    checkedOnboardings.push(o.id);
  }

  it('finishes, exactly once, when a worker dies while it waits for a Platform answer, at each step', async (t) => {
    // Along one resource's steps, in order (one step at a time, so the order is the ledger's): a
    // kill while a create (or an inline step's call) is in flight — the write happens on the
    // Platform, its answer dies with the worker, nothing is recorded.
    const points: KillPoint[] = [
      { label: 'connection:create — its IMS token request in flight', at: arrives('POST', '/ims/token/v3') },
      { label: 'connection:create — the create in flight', at: arrives('POST', `${FLOW}/connections`) },
      { label: 'connection:test — the Platform testing the connection', at: arrives('GET', `${FLOW}/connections/*/test`), restart: 2 },
      { label: 'xdm-class — the shared class create in flight', at: arrives('POST', `${REGISTRY}/classes`) },
      { label: 'charges:explore — exploring the Stripe schema', at: arrives('GET', `${FLOW}/connections/*/explore`) },
      { label: 'charges:xdm-schema — the field group create in flight', at: arrives('POST', `${REGISTRY}/fieldgroups`) },
      { label: 'charges:xdm-schema — field group made; the schema create in flight', at: arrives('POST', `${REGISTRY}/schemas`) },
      { label: 'charges:dataset — the create in flight', at: arrives('POST', `${CATALOG}/dataSets`) },
      { label: 'charges:target-connection — the create in flight', at: arrives('POST', `${FLOW}/targetConnections`), restart: 2 },
      { label: 'charges:mapping — the mapping set create in flight', at: arrives('POST', `${PREP}/mappingSets`) },
      { label: 'charges:dataflow — the create in flight (the last call)', at: arrives('POST', `${FLOW}/flows`) },
    ];
    await survive(t, [{ name: `Crash in flight ${SEED}`, resources: ['CHARGES'] }], points, { env: { ONBOARDING_CONCURRENCY: '1' } });
  });

  it('creates nothing twice when a worker dies as each create is written and its answer dropped', async (t) => {
    // One step at a time (ONBOARDING_CONCURRENCY=1), so the creates come in the ledger's order, the source connection's too.
    const points: KillPoint[] = [
      { label: 'connection:create — written, answer lost', ...drop(`${FLOW}/connections`) },
      { label: 'xdm-class — the shared class written, answer lost', ...drop(`${REGISTRY}/classes`) },
      { label: 'refunds:source-connection — written, answer lost', ...drop(`${FLOW}/sourceConnections`) },
      { label: 'refunds:xdm-schema — field group written, answer lost', ...drop(`${REGISTRY}/fieldgroups`) },
      { label: 'refunds:xdm-schema — schema written, answer lost', ...drop(`${REGISTRY}/schemas`) },
      { label: 'refunds:dataset — written, answer lost', ...drop(`${CATALOG}/dataSets`), restart: 2 },
      { label: 'refunds:target-connection — written, answer lost', ...drop(`${FLOW}/targetConnections`) },
      { label: 'refunds:mapping — written, answer lost', ...drop(`${PREP}/mappingSets`) },
      { label: 'refunds:dataflow — written, answer lost', ...drop(`${FLOW}/flows`) },
    ];
    await survive(t, [{ name: `Crash lost answer ${SEED}`, resources: ['REFUNDS'] }], points, { env: { ONBOARDING_CONCURRENCY: '1' } });
  });

  it('resumes when a worker dies while recording a result or advancing the saga', async (t) => {
    // The lock is taken while the worker waits for a Platform answer (answered late), so it blocks
    // exactly at the statement named. One step at a time: target connection and mapping, which
    // may run side by side, come in the ledger's order.
    const points: KillPoint[] = [
      {
        label: 'connection:create — the connection exists; the worker dies committing it',
        ...blockAt('POST', `${FLOW}/connections`, { lock: LOCK_RESOURCE_OF_STEP, params: stepKey('connection:create') }),
      },
      {
        label: 'customers:explore — its result recorded; the worker dies advancing the saga',
        // One step at a time: the pass after explore starts the source connection (it comes before the schema in the ledger).
        ...blockAt('GET', `${FLOW}/connections/*/explore`, { lock: LOCK_STEP, params: stepKey('customers:source-connection'), ready: STEP_SUCCEEDED, readyParams: stepKey('customers:explore') }),
      },
      {
        label: 'customers:dataset — the dataset exists; the worker dies committing it',
        ...blockAt('POST', `${CATALOG}/dataSets`, { lock: LOCK_RESOURCE_OF_STEP, params: stepKey('customers:dataset') }),
        restart: 2,
      },
      {
        label: 'customers:target-connection — its operation SUCCEEDED; the worker dies before the ledger folds it in',
        ...blockAt('POST', `${FLOW}/targetConnections`, { lock: LOCK_ONBOARDING, params: theOnboarding, ready: STEP_OPERATION_SUCCEEDED, readyParams: stepKey('customers:target-connection') }),
      },
      {
        label: 'customers:mapping — the mapping set exists; the worker dies committing it',
        ...blockAt('POST', `${PREP}/mappingSets`, { lock: LOCK_RESOURCE_OF_STEP, params: stepKey('customers:mapping') }),
      },
      {
        label: 'customers:dataflow — the last operation SUCCEEDED; the worker dies before the onboarding is marked SUCCEEDED',
        ...blockAt('POST', `${FLOW}/flows`, { lock: LOCK_ONBOARDING, params: theOnboarding, ready: STEP_OPERATION_SUCCEEDED, readyParams: stepKey('customers:dataflow') }),
      },
    ];
    await survive(t, [{ name: `Crash recording ${SEED}`, resources: ['CUSTOMERS'] }], points, { env: { ONBOARDING_CONCURRENCY: '1' } });
  });

  it('lets a surviving worker take over the job of one that died', async (t) => {
    // Two workers; only the one making the call dies: as its create is written and the
    // answer dropped, so it is still at work (looking for what it made) when it dies — an answered
    // create is recorded within a millisecond now that nothing is read back. Each call is on the
    // critical path to the next, so the next point is still ahead while the survivor takes the job over.
    const holder = (label: string, path: string): KillPoint => ({ label, ...drop(path), victim: 'holder' });
    const points: KillPoint[] = [
      holder('connection:create — written, answer lost; the other worker takes over', `${FLOW}/connections`),
      holder('subscriptions:xdm-schema — field group written, answer lost; the other worker takes over', `${REGISTRY}/fieldgroups`),
      holder('subscriptions:dataset — written, answer lost; the other worker takes over', `${CATALOG}/dataSets`),
      holder('subscriptions:target-connection — written, answer lost; the other worker takes over', `${FLOW}/targetConnections`),
      holder('subscriptions:mapping — written, answer lost; the other worker takes over', `${PREP}/mappingSets`),
      holder('subscriptions:dataflow — written, answer lost; the other worker takes over', `${FLOW}/flows`),
    ];
    // One step at a time: target connection and mapping, which may run side by side, come in the ledger's order.
    await survive(t, [{ name: `Crash survivor ${SEED}`, resources: ['SUBSCRIPTIONS'] }], points, { workers: 2, env: { ONBOARDING_CONCURRENCY: '1' } });
  });

  it(`finishes after kills at seeded random moments, three onboardings at once (CRASH_SEED=${SEED})`, async (t) => {
    t.diagnostic(`CRASH_SEED=${SEED}`);
    const random = mulberry32(SEED);
    const onboardings = [
      { name: `Crash random one ${SEED}`, resources: ['CHARGES', 'REFUNDS', 'CUSTOMERS'] as Resource[] },
      { name: `Crash random two ${SEED}`, resources: ['SUBSCRIPTIONS'] as Resource[] },
      { name: `Crash random three ${SEED}`, resources: ['PRICES', 'BALANCE_TRANSACTIONS'] as Resource[] },
    ];
    await fleet.start(2);
    const submitted = [];
    for (const o of onboardings) submitted.push(await submit(o.name, o.resources));
    const ids = submitted.map((o) => o.id);
    for (let i = 0; i < 4; i++) {
      const delay = Math.round(20 + random() * 400);
      const everyone = random() < 0.5;
      await new Promise((resolve) => setTimeout(resolve, delay));
      const open = await stack.sqlRow<{ n: number }>(`SELECT count(*)::int AS n FROM onboardings WHERE id = ANY($1::uuid[]) AND status <> 'SUCCEEDED'`, [ids]);
      if (open.n === 0) break;
      const pids = fleet.pids;
      // Two workers run here (started above and after each kill), so the random index picks one.
      const killed = fleet.kill(everyone ? pids : [pids[Math.floor(random() * pids.length)]!]);
      const state = await ledger(ids);
      const running = state.split(' ').filter((s) => s.includes('=RUNNING'));
      fired.push({ label: `random: ${delay} ms after the last restart, ${everyone ? 'every worker' : 'one of two workers'}`, killed, afterMs: delay });
      t.diagnostic(`kill point ${fired.length}: ${delay} ms, ${everyone ? 'all' : 'one'} — steps running: ${running.join(' ') || 'none'}`);
      await fleet.reaped();
      await fleet.start(2 - fleet.pids.length);
    }
    for (const o of submitted) await assertCompletedExactlyOnce(o);
    await fleet.stop();
  });

  it('crashed workers at 20 or more distinct points, and the Platform holds nothing beyond what the onboardings made', async (t) => {
    const distinct = new Set(fired.filter((f) => !f.label.startsWith('random')).map((f) => f.label));
    t.diagnostic(`${fired.length} kills, ${distinct.size} distinct scripted kill points, ${checkedOnboardings.length} onboardings checked`);
    assert.ok(distinct.size >= 20, `only ${distinct.size} distinct kill points fired`);
    const onboardings = await stack.sql<{ resources: string[] }>('SELECT resources FROM onboardings');
    const expected = onboardings.reduce(
      (sum, o) => {
        const c = expectedCounts(o.resources.length);
        for (const k of Object.keys(sum) as (keyof typeof sum)[]) sum[k] += c[k];
        return sum;
      },
      { connections: 0, sourceConnections: 0, targetConnections: 0, flows: 0, datasets: 0, mappingSets: 0, schemas: 0, fieldGroups: 0, classes: 0 },
    );
    const counts = await emulatorCounts(stack);
    assert.deepEqual(
      {
        connections: counts.connections,
        sourceConnections: counts.sourceConnections,
        targetConnections: counts.targetConnections,
        flows: counts.flows,
        datasets: counts.datasets,
        mappingSets: counts.mappingSets,
        schemas: counts.schemas,
        fieldGroups: counts.fieldGroups,
        classes: counts.classes,
      },
      expected,
    );
    const doubled = await stack.sql(`SELECT resource_id, count(*) FROM operations WHERE type LIKE 'CREATE_%' AND status = 'SUCCEEDED' GROUP BY resource_id HAVING count(*) > 1`);
    assert.deepEqual(doubled, [], 'no resource was created by two operations');
    const orphans = await stack.sql(`SELECT key, status FROM onboarding_steps WHERE status NOT IN ('SUCCEEDED')`);
    assert.deepEqual(orphans, [], 'no step is left RUNNING (or anything but SUCCEEDED)');
  });
});
