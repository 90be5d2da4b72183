import assert from 'node:assert/strict';
import { after, before, describe, it, type TestContext } from 'node:test';
import { countsGrowth, emulatorCounts, onboardStripe, type PlatformInventory } from './support/onboarding-reads.js';
import { STRIPE_KEY } from './support/platform-reads.js';
import { PrivateRedis } from './support/private-redis.js';
import { TestStack, uniqueName } from './support/stack.js';
import { WorkerFleet } from './support/worker-fleet.js';

/**
 * Regression: "a flushed Redis strands acknowledged work". Measured before the fix: after a
 * FLUSHALL with work unfinished, operations stayed QUEUED and onboardings RUNNING for good — the
 * flush had taken BullMQ's repeating maintenance jobs (reconcile, onboarding sweep) with it, and
 * nothing re-created them. PostgreSQL is the source of truth: whatever Redis forgets, every
 * acknowledged operation and onboarding must finish, and each Platform resource must be created
 * exactly once — also for operations that were RUNNING in a live worker when their job vanished
 * (re-enqueueing those would run them twice at once).
 *
 * The stack (gateway and a worker) runs on a Redis of this test's own (the shared one must never
 * be flushed). Once the schedulers are back, a second worker process joins with free slots: had
 * anyone re-enqueued the operations still RUNNING in the first worker, it would run them again.
 */

/** Short job locks: an operation RUNNING longer than this without a heartbeat counts as abandoned. */
const LOCK_SECONDS = 1;
/**
 * Each create of a base connection takes several job locks: Redis loses their jobs while they
 * have been RUNNING for longer than a lock, and they go on running well after the loss is noticed.
 */
const CONNECTION_CREATE_MS = 4000;
const FLOW = '/data/foundation/flowservice';
/** Generous: the work itself takes about 20 s on a 2-core machine; recovery adds a check interval. */
const RECOVERY_BOUND_MS = 90_000;
/** The scale the issue names: 20 onboardings and 200 mutations acknowledged and unfinished. */
const ONBOARDINGS = 20;
const CONNECTIONS = 200;
/** The first creates are slow (they are RUNNING when Redis goes); the rest queue behind them. */
const SLOW_CREATES = 15;

interface Batch {
  operationIds: string[];
  onboardingIds: string[];
  connectionNames: string[];
}

describe('when Redis loses everything while acknowledged work is unfinished (private redis-server)', () => {
  let redis: PrivateRedis;
  let stack: TestStack;
  let fleet: WorkerFleet;
  const env = { WORKER_LOCK_SECONDS: String(LOCK_SECONDS), WORKER_CONCURRENCY: '10', MAINTENANCE_CHECK_SECONDS: '1' };

  before(async () => {
    redis = await PrivateRedis.start();
    stack = await TestStack.start({ env: { REDIS_URL: redis.url, ...env } });
    fleet = new WorkerFleet(stack, env);
  });
  after(async () => {
    await fleet?.stop();
    await stack?.stop();
    await redis?.stop();
  });

  /** Sends the onboardings and connection creates at once; returns what was acknowledged. */
  const submit = async (label: string): Promise<Batch> => {
    // The first creates of a base connection are slower than a job lock lasts; every other Platform call is a little slow.
    // (The first matching rule applies: the specific one goes first.)
    await stack.control('DELETE', '/faults');
    await stack.control('POST', '/faults', { method: 'POST', path: `${FLOW}/connections`, latencyMs: CONNECTION_CREATE_MS, count: SLOW_CREATES });
    await stack.control('POST', '/faults', { path: '*', latencyMs: 100 });
    const connectionNames = Array.from({ length: CONNECTIONS }, (_, i) => uniqueName(`${label} connection ${i}`));
    const [onboardings, operations] = await Promise.all([
      Promise.all(
        Array.from({ length: ONBOARDINGS }, async (_, i) => {
          const result = await onboardStripe(stack, { name: uniqueName(`${label} onboarding ${i}`), accessToken: STRIPE_KEY, resources: ['CHARGES'], schedule: { frequency: 'HOUR', interval: 1 } });
          assert.equal(result.errors, undefined, JSON.stringify(result.errors));
          return result.data.onboardStripe.id as string;
        }),
      ),
      Promise.all(
        connectionNames.map(async (name) => {
          const { createConnection } = await stack.data(`mutation($input: CreateConnectionInput!) { createConnection(input: $input) { id status } }`, { input: { name, accessToken: STRIPE_KEY } });
          return createConnection.id as string;
        }),
      ),
    ]);
    return { operationIds: operations, onboardingIds: onboardings, connectionNames };
  };

  /**
   * Waits until some connection creates are RUNNING (in their slow Platform call) and others still
   * QUEUED, then one and a half job locks more: the moment to lose Redis. Those RUNNING then look
   * abandoned to anyone who trusts only Redis or the time they started — re-running one would
   * create its connection twice.
   */
  const waitForWorkInFlight = async () => {
    const deadline = Date.now() + 20_000;
    for (;;) {
      const row = await stack.sqlRow<{ running: number; queued: number }>(
        `SELECT count(*) FILTER (WHERE status = 'RUNNING')::int AS running, count(*) FILTER (WHERE status = 'QUEUED')::int AS queued FROM operations WHERE type = 'CREATE_CONNECTION'`,
      );
      if (row.running >= 3 && row.queued >= 5) {
        await new Promise((resolve) => setTimeout(resolve, LOCK_SECONDS * 1500));
        return row;
      }
      if (Date.now() > deadline) throw new Error(`work never got in flight: ${JSON.stringify(row)}`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  };

  /** Waits until the repeating maintenance jobs exist in Redis again (a worker noticed the loss and re-created them). */
  const waitForSchedulers = async (since: number): Promise<number> => {
    const queue = stack.process.deps.maintenanceQueue;
    for (;;) {
      const found = await Promise.all(['reconcile', 'sweep-onboardings', 'sync-runs'].map((id) => queue.getJobScheduler(id)));
      if (found.every(Boolean)) return Date.now() - since;
      if (Date.now() - since > RECOVERY_BOUND_MS) assert.fail(`the maintenance schedulers were not re-created within ${RECOVERY_BOUND_MS} ms`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  };

  /** Every operation's status, as `operations` lists them (all pages). */
  const operationStatuses = async (): Promise<Map<string, string>> => {
    const statuses = new Map<string, string>();
    let after: string | null = null;
    do {
      type Page = { operations: { edges: { node: { id: string; status: string } }[]; pageInfo: { hasNextPage: boolean; endCursor: string | null } } };
      const { operations }: Page = await stack.data<Page>(`query($after: String) { operations(first: 100, after: $after) { edges { node { id status } } pageInfo { hasNextPage endCursor } } }`, {
        after,
      });
      for (const { node } of operations.edges) statuses.set(node.id, node.status);
      after = operations.pageInfo.hasNextPage ? operations.pageInfo.endCursor : null;
    } while (after);
    return statuses;
  };

  /** Polls until every operation of the stack and every onboarding of the batch is finished; returns how long that took. */
  const waitUntilAllFinished = async (batch: Batch, since: number): Promise<number> => {
    for (;;) {
      const statuses = await operationStatuses();
      const unfinished = [...statuses.values()].filter((s) => !['SUCCEEDED', 'FAILED', 'CANCELLED'].includes(s)).length;
      const missing = batch.operationIds.filter((id) => !statuses.has(id));
      assert.deepEqual(missing, [], 'every acknowledged operation is listed');
      const onboardings = await Promise.all(batch.onboardingIds.map(async (id) => (await stack.data(`query($id: ID!) { onboarding(id: $id) { id status } }`, { id })).onboarding));
      if (unfinished === 0 && onboardings.every((o) => ['SUCCEEDED', 'FAILED', 'ROLLED_BACK', 'CANCELLED'].includes(o.status))) return Date.now() - since;
      if (Date.now() - since > RECOVERY_BOUND_MS) {
        const counts = [...statuses.values()].reduce<Record<string, number>>((acc, s) => ({ ...acc, [s]: (acc[s] ?? 0) + 1 }), {});
        assert.fail(`work still unfinished ${RECOVERY_BOUND_MS} ms after Redis lost it: operations ${JSON.stringify(counts)}, onboardings ${JSON.stringify(onboardings.map((o) => o.status))}`);
      }
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  };

  const PROGRESS = 'subscription($id: ID!) { onboardingProgress(id: $id) { id status progress updatedAt } }';

  /** One live subscription per onboarding, opened before Redis goes; each resolves with every message it got. */
  const watchOnboardings = (batch: Batch) =>
    Promise.all(
      batch.onboardingIds.map((id) =>
        stack.collect(PROGRESS, { id }, (m: any) => ['SUCCEEDED', 'FAILED', 'ROLLED_BACK', 'CANCELLED'].includes(m.onboardingProgress.status), RECOVERY_BOUND_MS + 30_000),
      ),
    );

  /**
   * The subscriptions open through the loss ended at the state the onboardings are in; a client
   * that subscribes now gets the current state as its first message.
   */
  const assertSubscribersCaughtUp = async (batch: Batch, watched: any[][]) => {
    for (const [i, messages] of watched.entries()) {
      const last = messages[messages.length - 1].onboardingProgress;
      assert.equal(last.status, 'SUCCEEDED', `the subscription to onboarding ${i} ended at ${last.status}`);
      for (let j = 1; j < messages.length; j++) assert.ok(messages[j].onboardingProgress.progress >= messages[j - 1].onboardingProgress.progress, 'progress never goes back');
    }
    for (const id of batch.onboardingIds.slice(0, 5)) {
      const [first] = await stack.collect(PROGRESS, { id }, () => true, 10_000);
      const { onboarding } = await stack.data(`query($id: ID!) { onboarding(id: $id) { id status progress updatedAt } }`, { id });
      assert.deepEqual(first.onboardingProgress, onboarding);
    }
  };

  /** Every operation SUCCEEDED, every onboarding SUCCEEDED, and the Platform got each resource once. */
  const assertDoneExactlyOnce = async (batch: Batch, before: Awaited<ReturnType<typeof emulatorCounts>>) => {
    const statuses = await operationStatuses();
    const notSucceeded = [...statuses.entries()].filter(([, s]) => s !== 'SUCCEEDED');
    assert.deepEqual(notSucceeded, [], 'every operation SUCCEEDED');
    for (const id of batch.onboardingIds) {
      const { onboarding } = await stack.data(`query($id: ID!) { onboarding(id: $id) { status error { code message } } }`, { id });
      assert.equal(onboarding.status, 'SUCCEEDED', JSON.stringify(onboarding.error));
    }
    const growth = countsGrowth(before, await emulatorCounts(stack));
    const perOnboarding = ONBOARDINGS;
    const expected: Record<keyof PlatformInventory, number> = {
      connections: CONNECTIONS + ONBOARDINGS,
      sourceConnections: perOnboarding,
      targetConnections: perOnboarding,
      flows: perOnboarding,
      datasets: perOnboarding,
      mappingSets: perOnboarding,
      schemas: perOnboarding,
      fieldGroups: perOnboarding,
      classes: perOnboarding,
    };
    assert.deepEqual(growth, expected, 'the Platform holds each resource exactly once');
    // And each connection Flowgate reports is bound to a Platform resource of its own.
    const all: any[] = [];
    for (let after: string | null = null; ;) {
      const { connections }: any = await stack.data(
        `query($after: String) { connections(first: 100, after: $after) { edges { node { name platformId state } } pageInfo { hasNextPage endCursor } } }`,
        { after },
      );
      all.push(...connections.edges.map((e: any) => e.node));
      if (!connections.pageInfo.hasNextPage) break;
      after = connections.pageInfo.endCursor;
    }
    const ours = all.filter((c: any) => batch.connectionNames.includes(c.name));
    assert.equal(ours.length, CONNECTIONS);
    assert.equal(new Set(ours.map((c: any) => c.platformId)).size, CONNECTIONS);
  };

  it('after FLUSHALL: re-creates the maintenance schedulers, finishes every acknowledged operation and onboarding, and creates each Platform resource exactly once', async (t: TestContext) => {
    const before = await emulatorCounts(stack);
    const batch = await submit('flush');
    const watching = watchOnboardings(batch);
    const inFlight = await waitForWorkInFlight();
    const flushedAt = Date.now();
    await redis.flushAll();
    const schedulersMs = await waitForSchedulers(flushedAt);
    await fleet.start(1);
    const tookMs = await waitUntilAllFinished(batch, flushedAt);
    await fleet.stop();
    t.diagnostic(
      `flushed with ${inFlight.running} connection creates RUNNING and ${inFlight.queued} QUEUED; schedulers back after ${schedulersMs} ms, everything finished ${tookMs} ms after the flush`,
    );
    await assertDoneExactlyOnce(batch, before);
    await assertSubscribersCaughtUp(batch, await watching);
  });

  it('after a restart that comes back empty: finishes every acknowledged operation and onboarding, and creates each Platform resource exactly once', async (t: TestContext) => {
    const before = await emulatorCounts(stack);
    const batch = await submit('restart');
    const watching = watchOnboardings(batch);
    const inFlight = await waitForWorkInFlight();
    const killedAt = Date.now();
    await redis.restart(500);
    const schedulersMs = await waitForSchedulers(killedAt);
    await fleet.start(1);
    const tookMs = await waitUntilAllFinished(batch, killedAt);
    await fleet.stop();
    t.diagnostic(
      `restarted with ${inFlight.running} connection creates RUNNING and ${inFlight.queued} QUEUED; schedulers back after ${schedulersMs} ms, everything finished ${tookMs} ms after the kill`,
    );
    await assertDoneExactlyOnce(batch, before);
    await assertSubscribersCaughtUp(batch, await watching);
  });

  // Regression: BullMQ's connection queues commands while Redis is unreachable, so a mutation
  // whose commit had succeeded waited for Redis until REQUEST_TIMEOUT_SECONDS and was answered
  // 503 — acknowledged work reported as refused.
  it('while Redis is down: acknowledges mutations and onboardings (QUEUED) and answers queries instead of hanging; the work finishes once Redis is back', async (t: TestContext) => {
    await stack.control('DELETE', '/faults');
    const before = await emulatorCounts(stack);
    await redis.stop();
    const downAt = Date.now();
    const names = Array.from({ length: 5 }, (_, i) => uniqueName(`while down ${i}`));
    const created = await Promise.all(
      names.map((name) => stack.gql(`mutation($input: CreateConnectionInput!) { createConnection(input: $input) { id status } }`, { input: { name, accessToken: STRIPE_KEY } })),
    );
    const onboarded = await Promise.all(
      [0, 1].map((i) => onboardStripe(stack, { name: uniqueName(`while down onboarding ${i}`), accessToken: STRIPE_KEY, resources: ['CHARGES'], schedule: { frequency: 'HOUR', interval: 1 } })),
    );
    const listed = await stack.gql('{ connections(first: 5) { totalCount } }');
    const answeredMs = Date.now() - downAt;
    for (const answer of [...created, ...onboarded, listed]) assert.equal(answer.errors, undefined, JSON.stringify(answer.errors));
    assert.deepEqual(
      created.map((c) => c.data.createConnection.status),
      names.map(() => 'QUEUED'),
    );
    const batch: Batch = { operationIds: created.map((c) => c.data.createConnection.id), onboardingIds: onboarded.map((o) => o.data.onboardStripe.id), connectionNames: names };

    await new Promise((resolve) => setTimeout(resolve, 1000));
    const backAt = Date.now();
    await redis.launch();
    const schedulersMs = await waitForSchedulers(backAt);
    const tookMs = await waitUntilAllFinished(batch, backAt);
    t.diagnostic(`7 mutations answered in ${answeredMs} ms with Redis down; once it was back, schedulers after ${schedulersMs} ms, everything finished after ${tookMs} ms`);
    const statuses = await operationStatuses();
    assert.deepEqual(
      batch.operationIds.map((id) => statuses.get(id)),
      batch.operationIds.map(() => 'SUCCEEDED'),
    );
    for (const id of batch.onboardingIds) {
      const { onboarding } = await stack.data(`query($id: ID!) { onboarding(id: $id) { status error { code message } } }`, { id });
      assert.equal(onboarding.status, 'SUCCEEDED', JSON.stringify(onboarding.error));
    }
    const growth = countsGrowth(before, await emulatorCounts(stack));
    assert.equal(growth.connections, 5 + 2, 'each connection once on the Platform');
    assert.equal(growth.flows, 2, 'each dataflow once on the Platform');
  });
});
