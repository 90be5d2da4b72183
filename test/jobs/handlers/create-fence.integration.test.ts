import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import type { Job } from 'bullmq';
import pg from 'pg';
import { sharedClassTitle } from '../../../src/domain/onboarding-plan.js';
import { HANDLERS } from '../../../src/jobs/handlers/index.js';
import { performInlineStep } from '../../../src/jobs/onboarding/inline-steps.js';
import type { WorkerDeps } from '../../../src/jobs/operation-handler.js';
import { OperationProcessor } from '../../../src/jobs/operation.processor.js';
import type { OperationJobData } from '../../../src/jobs/queues.js';
import { platformName } from '../../../src/platform/deterministic-names.js';
import { CreateFence } from '../../../src/store/create-fence.js';
import type { InlineStepRow } from '../../../src/store/onboarding.store.js';
import { createConnection, emulatorCounts } from '../../gateway/support/platform-reads.js';
import { TestStack } from '../../gateway/support/stack.js';

const CONNECTIONS = '/data/foundation/flowservice/connections';
const CLASSES = '/data/foundation/schemaregistry/tenant/classes';

/** The job BullMQ hands a worker for an operation (its first delivery). */
function deliveryOf(operationId: string): Job<OperationJobData> {
  return { id: operationId, data: { operationId }, attemptsMade: 0, opts: { attempts: 5 } } as unknown as Job<OperationJobData>;
}

/**
 * Regression: "duplicate Platform connections under Redis loss". BullMQ delivered an operation's
 * job again while its first run still worked (a lock renewal came late), and the onboarding sweep
 * took an inline step over after a 2 s heartbeat gap; the second run looked the deterministic name
 * up while the first one's create was still on its way, found nothing, and created too — 1 to 5
 * extra base connections per run of the Redis-loss test. The Platform's create is held back here
 * (the emulator answers it after a delay), so the second run always looks while the first waits.
 */
describe('two runs of one create at once (gateway only: the test runs the operation itself)', () => {
  let stack: TestStack;
  let deps: WorkerDeps;

  before(async () => {
    stack = await TestStack.start({ roles: { gateway: true, worker: false } });
    const d = stack.process.deps;
    deps = { store: d.store, platform: d.platform, bus: d.bus, logger: d.logger, tenantId: d.tenantId };
  });
  after(async () => {
    await stack?.stop();
  });

  /**
   * A connection's create operation run by two deliveries of its job at once, the first one's create
   * held back by the Platform (plus `faults`); both must end without throwing (a throw would have
   * BullMQ run it again).
   */
  async function deliveredTwice(name: string, faults: Record<string, unknown>[] = []): Promise<{ id: string; operationId: string }> {
    for (const fault of [{ method: 'POST', path: CONNECTIONS, latencyMs: 800, count: 1 }, ...faults]) await stack.control('POST', '/faults', fault);
    const created = await createConnection(stack, name, { wait: false });
    const processor = new OperationProcessor(deps, HANDLERS);
    const runs = await Promise.allSettled([processor.process(deliveryOf(created.operationId)), processor.process(deliveryOf(created.operationId))]);
    await stack.control('DELETE', '/faults');
    assert.deepEqual(
      runs.map((r) => r.status),
      ['fulfilled', 'fulfilled'],
      JSON.stringify(runs),
    );
    return created;
  }

  it('createConnection: two deliveries of its job leave one base connection on the Platform, the one the resource records', async () => {
    const name = `Fenced ${randomUUID().slice(0, 8)}`;
    const { id, operationId } = await deliveredTwice(name);
    const onPlatform = await deps.platform.flowService.findConnectionsByName(platformName(name, id), { sandbox: 'prod' });
    assert.equal(onPlatform.length, 1, `base connections named ${name}: ${JSON.stringify(onPlatform.map((c) => c.id))}`);
    assert.equal((await emulatorCounts(stack)).connections, 1);
    const { operation } = await stack.data(`query($id: ID!) { operation(id: $id) { status } }`, { id: operationId });
    assert.equal(operation.status, 'SUCCEEDED');
    const [resource] = await stack.sql<{ platform_id: string }>('SELECT platform_id FROM resources WHERE id = $1', [id]);
    assert.equal(resource?.platform_id, onPlatform[0]!.id);
  });

  it('a run that fails retryably after the other run finished the operation records nothing and is not retried: the first outcome stands', async () => {
    // The first run's create is held back; the second run (a retry: it looks its name up first)
    // waits at the fence, then its lookups fail (503, every attempt) after the first run finished.
    // Neither throws: the failed run has nothing to retry.
    const name = `Retried late ${randomUUID().slice(0, 8)}`;
    const { id, operationId } = await deliveredTwice(name, [{ method: 'GET', path: CONNECTIONS, status: 503, latencyMs: 200, count: 8 }]);
    const { operation } = await stack.data(`query($id: ID!) { operation(id: $id) { status error { code } } }`, { id: operationId });
    assert.deepEqual(operation, { status: 'SUCCEEDED', error: null }, 'the finished operation was not reopened as RETRYING');
    const onPlatform = await deps.platform.flowService.findConnectionsByName(platformName(name, id), { sandbox: 'prod' });
    assert.equal(onPlatform.length, 1);
    const audits = await stack.sql<{ action: string }>('SELECT action FROM audit_events WHERE operation_id = $1', [operationId]);
    assert.deepEqual(
      audits.map((a) => a.action),
      ['CREATED'],
    );
  });

  it('creates on a slow Platform hold at most half the pool: other statements still get a connection', async () => {
    // Two connections, so creates hold one at most; a statement waits 300 ms for a connection, then fails.
    const pool = new pg.Pool({ connectionString: stack.config.databaseUrl, max: 2, connectionTimeoutMillis: 300 });
    try {
      const fence = new CreateFence(pool);
      let answer!: () => void;
      const platformAnswers = new Promise<void>((resolve) => (answer = resolve));
      const creates = ['slow one', 'slow two'].map((name) => fence.hold(`${name} ${randomUUID()}`, () => platformAnswers));
      await new Promise((resolve) => setTimeout(resolve, 100));
      const heartbeat = pool.query<{ ok: number }>('SELECT 1 AS ok').then(
        (result) => result.rows[0]?.ok,
        (error: Error) => error.message,
      );
      const answered = await heartbeat;
      answer();
      await Promise.all(creates);
      assert.equal(answered, 1);
    } finally {
      await pool.end();
    }
  });

  it("an onboarding's shared class: the run that started it and a run taking it over make one class", async () => {
    await stack.control('POST', '/faults', { method: 'POST', path: CLASSES, latencyMs: 800, count: 1 });
    const onboardingId = randomUUID();
    const step = {
      onboarding_id: onboardingId,
      key: 'shared-class',
      kind: 'CREATE_XDM_CLASS',
      attempts: 1,
      result: { createSent: true },
      connection_platform_id: 'a-base-connection',
      connection_sandbox: 'prod',
      onboarding_name: 'Fenced onboarding',
      undoes_platform_id: null,
    } as unknown as InlineStepRow;
    const context = { platform: deps.platform, fence: deps.store.createFence, markCreateSent: async () => undefined, finalAttempt: false };

    const [first, takenOver] = await Promise.all([
      // The process whose pass started the step: its first run, nothing to look for.
      performInlineStep(step, { ...context, redelivered: false, startedHere: true }),
      // The sweep's job for the same step, after its heartbeat seemed to stop.
      performInlineStep(step, { ...context, redelivered: false }),
    ]);
    await stack.control('DELETE', '/faults');

    const { name, tag } = sharedClassTitle(step.onboarding_name, onboardingId);
    const classes = await deps.platform.schemaRegistry.findClassesByTitle(platformName(name, tag), { sandbox: 'prod' });
    assert.equal(classes.length, 1, `classes: ${JSON.stringify(classes.map((c) => c.$id))}`);
    assert.equal(first.status, 'SUCCEEDED');
    assert.equal(takenOver.status, 'SUCCEEDED');
    assert.equal(first.platformId, classes[0]!.$id);
    assert.equal(takenOver.platformId, classes[0]!.$id);
  });
});

/**
 * A fence's row only matters while the run that wrote it may still be at work; without pruning the
 * table kept a row for every name ever created. The worker's periodic reconciliation deletes rows
 * older than a day.
 */
describe('fence rows are kept a day, then pruned by the worker', () => {
  let stack: TestStack;

  before(async () => {
    stack = await TestStack.start();
  });
  after(async () => {
    await stack?.stop();
  });

  it('deletes rows older than a day, keeps newer ones, and creates still pass their fence once', async () => {
    await stack.sql(`INSERT INTO platform_create_fences (name, created_at) VALUES ('Long gone (flowgate:old)', now() - interval '25 hours'), ('Recent (flowgate:new)', now() - interval '23 hours')`);
    const names = async () => (await stack.sql<{ name: string }>('SELECT name FROM platform_create_fences ORDER BY name')).map((r) => r.name);
    // The reconciliation runs every 10 s (waited for up to three times that: a busy machine delays it).
    for (let i = 0; (await names()).includes('Long gone (flowgate:old)'); i++) {
      assert.ok(i < 300, 'the old fence row was pruned');
      await new Promise((r) => setTimeout(r, 100));
    }
    assert.ok((await names()).includes('Recent (flowgate:new)'), 'a row younger than a day stays');

    const { id } = await createConnection(stack, `Fenced after pruning ${randomUUID().slice(0, 8)}`);
    const fences = await names();
    assert.equal(fences.length, 2, `the create passed its fence, recording its name: ${JSON.stringify(fences)}`);
    assert.equal((await emulatorCounts(stack)).connections, 1, 'one connection on the Platform');
    const resource = await stack.sqlRow<{ state: string; platform_id: string | null }>('SELECT state, platform_id FROM resources WHERE id = $1', [id]);
    assert.equal(resource.state, 'ENABLED');
    assert.ok(resource.platform_id);
  });
});
