import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, afterEach, before, describe, it } from 'node:test';
import { loggedRequests } from './support/platform-reads.js';
import {
  clearFaults,
  counts,
  EMPTY_INVENTORY,
  injectFaults,
  type Inventory,
  inventory,
  inventoryKindOf,
  onboard,
  ONBOARDING_FIELDS,
  PATHS,
  readOnboarding,
  step,
  waitForOnboarding,
} from './support/onboarding-inventory.js';
import { TestStack, uniqueName } from './support/stack.js';

/**
 * One-call onboardings whose steps fail for good (a 4xx from the Platform is final, so a step fails
 * at its first attempt and the tests stay fast), with and without rollback, resumed by
 * retryOnboarding, and stopped by cancelOnboarding. What counts is what a user sees: the
 * onboarding's status and ledger, and what the Platform (the emulator, read through its own APIs)
 * still holds afterwards.
 */

const FORWARD = [
  'connection:create',
  'connection:test',
  'xdm-class',
  'charges:explore',
  'charges:source-connection',
  'charges:xdm-schema',
  'charges:dataset',
  'charges:target-connection',
  'charges:mapping',
  'charges:dataflow',
];

/** Forward steps that create a Platform resource (the ones a rollback undoes); the shared record class is one. */
const CREATES = FORWARD.filter((k) => !['connection:test', 'charges:explore'].includes(k));

/** The forward steps up to (not including) `key`. */
const stepsBefore = (key: string) => FORWARD.slice(0, FORWARD.indexOf(key));

interface Failure {
  /** The step that fails. */
  step: string;
  /** How it is made to fail. */
  how: string;
  faults: Record<string, unknown>[];
  accessToken?: string;
  /** Steps that succeeded before the failure (the failing one excluded). */
  succeeded: string[];
  /** Steps of a parallel branch that may have run before the failure was known, or not. */
  maybe?: string[];
  /** Steps of a parallel branch that failed too (for the same cause); the error names `step`. */
  alsoFailed?: string[];
  platformCode: string | null;
  /** What the failed step made on the Platform without the ledger knowing (its answer was lost). */
  lost?: keyof Inventory;
}

const rejected = (method: string, path: string) => ({ method, path, status: 400 });

/** One row per step kind: the fault that makes it fail for good, and what exists by then. */
const FAILURES: Failure[] = [
  { step: 'connection:create', how: 'the Platform refuses the base connection', faults: [rejected('POST', PATHS.connections)], succeeded: [], platformCode: '1400-400' },
  // The shared class and explore run beside the test (they need only the connection): with a key
  // Stripe refuses, explore fails too, and the error names the test (the first step of the plan that failed).
  {
    step: 'connection:test',
    how: 'the Platform cannot reach Stripe with the key',
    faults: [],
    accessToken: 'sk_test_tooshort',
    succeeded: ['connection:create', 'xdm-class'],
    alsoFailed: ['charges:explore'],
    platformCode: null,
  },
  {
    step: 'connection:test',
    how: 'the connection test call is refused',
    faults: [rejected('GET', PATHS.connectionTest)],
    succeeded: ['connection:create', 'xdm-class', 'charges:explore'],
    platformCode: '1400-400',
  },
  {
    step: 'xdm-class',
    how: 'the shared record class is refused',
    faults: [rejected('POST', PATHS.classes)],
    succeeded: ['connection:create'],
    // The test and explore run beside the class; the source connection follows them.
    maybe: ['connection:test', 'charges:explore', 'charges:source-connection'],
    platformCode: 'XDM-1400-400',
  },
  {
    step: 'charges:explore',
    how: 'explore is refused',
    faults: [rejected('GET', PATHS.explore)],
    succeeded: ['connection:create'],
    maybe: ['connection:test', 'xdm-class'],
    platformCode: '1400-400',
  },
  {
    step: 'charges:source-connection',
    how: 'the source connection is refused',
    faults: [rejected('POST', PATHS.sourceConnections)],
    succeeded: ['connection:create', 'connection:test', 'charges:explore'],
    // The class and the schema branch run beside the source connection: they may get a step or more further first.
    maybe: ['xdm-class', 'charges:xdm-schema', 'charges:dataset', 'charges:target-connection'],
    platformCode: '1400-400',
  },
  // The field group exists when the schema itself is refused: the undo must find it by name.
  {
    step: 'charges:xdm-schema',
    how: 'the schema is refused after its field group was made',
    faults: [rejected('POST', PATHS.schemas)],
    succeeded: stepsBefore('charges:xdm-schema'),
    platformCode: 'XDM-1400-400',
  },
  { step: 'charges:dataset', how: 'the dataset is refused', faults: [rejected('POST', PATHS.datasets)], succeeded: stepsBefore('charges:dataset'), platformCode: 'CAT-1400-400' },
  // The mapping set runs beside the target connection (both follow the dataset).
  {
    step: 'charges:target-connection',
    how: 'the target connection is refused',
    faults: [rejected('POST', PATHS.targetConnections)],
    succeeded: stepsBefore('charges:target-connection'),
    maybe: ['charges:mapping'],
    platformCode: '1400-400',
  },
  {
    step: 'charges:mapping',
    how: 'the mapping set is refused',
    faults: [rejected('POST', PATHS.mappingSets)],
    succeeded: stepsBefore('charges:target-connection'),
    maybe: ['charges:target-connection'],
    platformCode: 'MAPPER-1400-400',
  },
  { step: 'charges:dataflow', how: 'the dataflow is refused', faults: [rejected('POST', PATHS.flows)], succeeded: stepsBefore('charges:dataflow'), platformCode: '1400-400' },
  // The flow is made but Flowgate never hears so, and cannot look it up: only its deterministic name ties it to the step.
  {
    step: 'charges:dataflow',
    how: 'the dataflow is made but its answer is lost and the lookup for it refused',
    faults: [
      { method: 'POST', path: PATHS.flows, mode: 'commit-then-drop', count: 1 },
      { method: 'GET', path: PATHS.flows, status: 400, count: 1 },
    ],
    succeeded: stepsBefore('charges:dataflow'),
    platformCode: '1400-400',
    lost: 'flows',
  },
];

/**
 * Undo order the dependencies demand: [a, b] means b's undo may start only after a's undo
 * finished, because the resource a made uses (directly or through others) the one b made.
 */
const UNDO_BEFORE: [string, string][] = [
  ['charges:dataflow', 'charges:mapping'],
  ['charges:dataflow', 'charges:target-connection'],
  ['charges:dataflow', 'charges:source-connection'],
  ['charges:mapping', 'charges:dataset'],
  ['charges:mapping', 'charges:source-connection'],
  ['charges:mapping', 'charges:xdm-schema'],
  ['charges:target-connection', 'charges:dataset'],
  ['charges:dataset', 'charges:xdm-schema'],
  ['charges:xdm-schema', 'xdm-class'],
  ...['charges:dataflow', 'charges:mapping', 'charges:target-connection', 'charges:dataset', 'charges:xdm-schema', 'charges:source-connection', 'xdm-class'].map((k): [string, string] => [
    k,
    'connection:create',
  ]),
];

/** Asserts the undo steps ran in reverse dependency order, by their recorded start and end. */
function assertUndoOrder(onboarding: any): void {
  const undo = new Map<string, any>(onboarding.steps.filter((s: any) => s.undoes).map((s: any) => [s.undoes, s]));
  let pairs = 0;
  for (const [first, then] of UNDO_BEFORE) {
    const a = undo.get(first);
    const b = undo.get(then);
    if (!a || !b) continue;
    pairs++;
    assert.ok(a.finishedAt && b.startedAt, `${a.key} and ${b.key} both ran`);
    assert.ok(Date.parse(a.finishedAt) <= Date.parse(b.startedAt), `${b.key} started (${b.startedAt}) before ${a.key} finished (${a.finishedAt})`);
  }
  if (undo.size > 1) assert.ok(pairs > 0, 'some ordered pair of undo steps was checked');
}

/** The ledger's Platform id of each forward step that made something, keyed by step. */
function platformIds(onboarding: any): Record<string, string> {
  return Object.fromEntries(onboarding.steps.filter((s: any) => !s.undoes && s.platformId).map((s: any) => [s.key, s.platformId]));
}

describe('onboardStripe when a step fails for good', () => {
  let stack: TestStack;
  before(async () => {
    stack = await TestStack.start();
  });
  after(() => stack.stop());
  afterEach(() => clearFaults(stack));

  describe('with rollbackOnFailure (the default)', () => {
    for (const failure of FAILURES) {
      it(`when ${failure.how}, ends ROLLED_BACK with ${failure.step} named in the error, undoes what it made in reverse dependency order, and leaves nothing on the Platform but reported mapping sets`, async () => {
        await stack.control('DELETE', '/requests');
        await injectFaults(stack, ...failure.faults);
        const name = uniqueName('Rollback');
        const started = await onboard(stack, { name, accessToken: failure.accessToken });
        assert.equal(started.rollbackOnFailure, true, 'rollback is the default');
        const done = await waitForOnboarding(stack, started.id);

        assert.equal(done.status, 'ROLLED_BACK', JSON.stringify(done.error));
        assert.ok(done.finishedAt);
        assert.match(done.error.message, new RegExp(`\\b${failure.step}\\b`), 'the error names the step that failed');
        assert.equal(done.error.platformCode, failure.platformCode);
        assert.equal(done.error.retryable, false);
        assert.equal(step(done, failure.step).status, 'FAILED');

        // Each forward step either succeeded before the failure, failed, or never ran.
        const succeeded = [...failure.succeeded, ...(failure.maybe ?? []).filter((k) => step(done, k).status === 'SUCCEEDED')];
        for (const key of FORWARD) {
          const s = step(done, key);
          const expected = key === failure.step || failure.alsoFailed?.includes(key) ? 'FAILED' : succeeded.includes(key) ? 'SUCCEEDED' : 'CANCELLED';
          assert.equal(s.status, expected, `${key} is ${s.status}`);
          if (expected === 'CANCELLED') assert.equal(s.attempts, 0, `${key} never started`);
        }

        // One recorded undo step per resource made (or maybe made: the failed create may have written part of it).
        const undone = done.steps
          .filter((s: any) => s.undoes)
          .map((s: any) => s.undoes)
          .sort();
        assert.deepEqual(undone, CREATES.filter((k) => k === failure.step || succeeded.includes(k)).sort());
        for (const u of done.steps.filter((s: any) => s.undoes)) {
          assert.equal(u.kind, `UNDO_${step(done, u.undoes).kind}`);
          const mappingSetStays = u.undoes === 'charges:mapping' && step(done, 'charges:mapping').status === 'SUCCEEDED';
          assert.equal(u.status, mappingSetStays ? 'FAILED' : 'SUCCEEDED', `${u.key}: ${JSON.stringify(u.error)}`);
        }
        assertUndoOrder(done);

        // On the Platform nothing of it remains, except the mapping sets the rollback says it left.
        const left = await inventory(stack, name);
        assert.deepEqual({ ...left, mappingSets: [] }, EMPTY_INVENTORY);
        assert.ok(
          done.leftBehind.every((l: any) => l.resourceType === 'MAPPING' && /no delete/.test(l.reason)),
          JSON.stringify(done.leftBehind),
        );
        assert.deepEqual(done.leftBehind.map((l: any) => l.platformId).sort(), left.mappingSets);
        const ids = platformIds(done);
        for (const key of succeeded.filter((k) => CREATES.includes(k))) assert.ok(ids[key], `${key} had made its Platform resource before it was undone`);
        if (ids['charges:mapping']) assert.deepEqual(left.mappingSets, [ids['charges:mapping']], 'the mapping set made is the one left behind');
        else assert.deepEqual(left.mappingSets, []);
        if (failure.lost === 'flows') {
          const removed = (await loggedRequests(stack, 'DELETE', `${PATHS.flows}/`)).filter((r) => r.status < 300);
          assert.equal(removed.length, 1, 'the flow whose answer was lost was found by its name and deleted');
        }
      });
    }
  });

  describe('when an undo fails', () => {
    it('retries an undo the Platform refuses for a while (503s past one attempt), and still ends ROLLED_BACK with nothing left', async () => {
      // Six 503s: more than the client's own retries for one attempt, so the undo's job runs again.
      await injectFaults(stack, rejected('POST', PATHS.flows), { method: 'DELETE', path: `${PATHS.datasets}/*`, status: 503, count: 6 });
      const name = uniqueName('Undo retried');
      const done = await waitForOnboarding(stack, (await onboard(stack, { name })).id);

      assert.equal(done.status, 'ROLLED_BACK', JSON.stringify(done.error));
      const undoDataset = step(done, 'undo:charges:dataset');
      assert.equal(undoDataset.status, 'SUCCEEDED');
      const { operation } = await stack.data(`query($id: ID!) { operation(id: $id) { status attempts } }`, { id: undoDataset.operationId });
      assert.equal(operation.status, 'SUCCEEDED');
      assert.ok(operation.attempts >= 2, `the undo was retried (attempts ${operation.attempts})`);
      const deletes = await loggedRequests(stack, 'DELETE', `${PATHS.datasets}/${platformIds(done)['charges:dataset']}`);
      assert.ok(deletes.filter((r) => r.status === 503).length === 6 && deletes.some((r) => r.status < 300), 'the dataset was deleted after the 503s');
      assertUndoOrder(done);

      const left = await inventory(stack, name);
      assert.deepEqual({ ...left, mappingSets: [] }, EMPTY_INVENTORY);
      assert.deepEqual(
        done.leftBehind.map((l: any) => l.resourceType),
        ['MAPPING'],
      );
    });

    it('ends FAILED when an undo is refused for good, lists in leftBehind exactly what stays on the Platform, and cannot be retried', async () => {
      await injectFaults(stack, rejected('POST', PATHS.flows), rejected('DELETE', `${PATHS.targetConnections}/*`));
      const name = uniqueName('Undo refused');
      const done = await waitForOnboarding(stack, (await onboard(stack, { name })).id);

      assert.equal(done.status, 'FAILED');
      assert.match(done.error.message, /\bcharges:dataflow\b/, 'the error is still the failure that started the rollback');
      const refused = step(done, 'undo:charges:target-connection');
      assert.equal(refused.status, 'FAILED');
      assert.equal(refused.error.platformCode, '1400-400');
      // The other undos still ran, in order.
      for (const key of ['undo:charges:dataflow', 'undo:charges:dataset', 'undo:charges:xdm-schema', 'undo:charges:source-connection', 'undo:connection:create'])
        assert.equal(step(done, key).status, 'SUCCEEDED', key);
      assertUndoOrder(done);

      const ids = platformIds(done);
      const left = await inventory(stack, name);
      assert.deepEqual(left, { ...EMPTY_INVENTORY, targetConnections: [ids['charges:target-connection']], mappingSets: [ids['charges:mapping']] });
      const reported = done.leftBehind.map((l: any) => `${l.resourceType} ${l.platformId}`).sort();
      assert.deepEqual(reported, [`MAPPING ${ids['charges:mapping']}`, `TARGET_CONNECTION ${ids['charges:target-connection']}`]);
      const target = done.leftBehind.find((l: any) => l.resourceType === 'TARGET_CONNECTION');
      assert.equal(target.resourceId, step(done, 'charges:target-connection').resourceId);
      assert.match(target.reason, /400/);

      const retry = await stack.gql(`mutation($id: ID!) { retryOnboarding(id: $id) { id status } }`, { id: done.id });
      assert.equal(retry.errors?.[0]?.extensions?.code, 'PRECONDITION_FAILED', 'a rolled-back onboarding is not resumed');
    });
  });

  describe('without rollback', () => {
    for (const failure of FAILURES.filter((f) => f.accessToken === undefined)) {
      it(`stays FAILED naming ${failure.step} when ${failure.how}; after the fault is gone retryOnboarding finishes it, reusing everything made before`, async () => {
        await injectFaults(stack, ...failure.faults);
        const name = uniqueName('No rollback');
        const failed = await waitForOnboarding(stack, (await onboard(stack, { name, rollbackOnFailure: false })).id);

        assert.equal(failed.status, 'FAILED');
        assert.match(failed.error.message, new RegExp(`\\b${failure.step}\\b`), 'the error names the step that failed');
        assert.equal(failed.error.platformCode, failure.platformCode);
        assert.equal(step(failed, failure.step).status, 'FAILED');
        assert.equal(failed.steps.filter((s: any) => s.undoes).length, 0, 'nothing was undone');
        for (const key of failure.succeeded) assert.equal(step(failed, key).status, 'SUCCEEDED', key);
        const before = platformIds(failed);
        // What was made stays on the Platform.
        const kept = await inventory(stack, name);
        for (const [key, id] of Object.entries(before)) assert.ok(kept[inventoryKindOf(step(failed, key).kind)].includes(id), `${key} (${id}) is still on the Platform`);
        const lost = failure.lost ? kept[failure.lost] : [];
        if (failure.lost) assert.equal(lost.length, 1, 'the failed step did make its resource');

        await clearFaults(stack);
        const retried = await stack.data(`mutation($id: ID!) { retryOnboarding(id: $id) { ${ONBOARDING_FIELDS} } }`, { id: failed.id });
        assert.ok(['RETRYING', 'RUNNING'].includes(retried.retryOnboarding.status), retried.retryOnboarding.status);
        assert.equal(retried.retryOnboarding.error, null);
        const done = await waitForOnboarding(stack, failed.id);

        assert.equal(done.status, 'SUCCEEDED', JSON.stringify(done.error));
        assert.equal(done.progress, 1);
        for (const key of FORWARD) assert.equal(step(done, key).status, 'SUCCEEDED', key);
        assert.equal(step(done, failure.step).attempts, 2, 'the failed step ran again');
        for (const key of failure.succeeded) assert.equal(step(done, key).attempts, 1, `${key} was not redone`);
        const afterRetry = platformIds(done);
        for (const [key, id] of Object.entries(before)) assert.equal(afterRetry[key], id, `${key} kept its Platform resource`);

        // Exactly one of each resource on the Platform, and they are the ledger's.
        const held = await inventory(stack, name);
        assert.deepEqual(counts(held), { connections: 1, sourceConnections: 1, targetConnections: 1, flows: 1, datasets: 1, schemas: 1, fieldGroups: 1, classes: 1, mappingSets: 1 });
        for (const key of CREATES) assert.deepEqual(held[inventoryKindOf(step(done, key).kind)], [afterRetry[key]], key);
        if (failure.lost) assert.deepEqual(held[failure.lost], lost, 'the resource made by the failed attempt was adopted, not made again');
      });
    }
  });

  describe('retryOnboarding', () => {
    it('refuses a SUCCEEDED and a ROLLED_BACK onboarding with PRECONDITION_FAILED, and an unknown one with NOT_FOUND, changing nothing', async () => {
      const succeeded = await waitForOnboarding(stack, (await onboard(stack)).id);
      assert.equal(succeeded.status, 'SUCCEEDED');
      await injectFaults(stack, rejected('POST', PATHS.datasets));
      const rolledBack = await waitForOnboarding(stack, (await onboard(stack)).id);
      assert.equal(rolledBack.status, 'ROLLED_BACK');
      await clearFaults(stack);

      for (const finished of [succeeded, rolledBack]) {
        const result = await stack.gql(`mutation($id: ID!) { retryOnboarding(id: $id) { id status } }`, { id: finished.id });
        assert.equal(result.errors?.[0]?.extensions?.code, 'PRECONDITION_FAILED', `retry of a ${finished.status} onboarding`);
        assert.equal(result.errors?.[0].extensions?.field, 'id');
        const now = await readOnboarding(stack, finished.id);
        assert.equal(now.status, finished.status);
        assert.equal(now.updatedAt, finished.updatedAt);
      }
      const unknown = await stack.gql(`mutation($id: ID!) { retryOnboarding(id: $id) { id } }`, { id: randomUUID() });
      assert.equal(unknown.errors?.[0]?.extensions?.code, 'NOT_FOUND');
    });
  });

  describe('cancelOnboarding', () => {
    /** Starts an onboarding of two resources on a slow Platform and waits until it is well under way. */
    async function underWay(name: string): Promise<any> {
      await injectFaults(stack, { path: '/data/*', latencyMs: 150 });
      const started = await onboard(stack, { name, resources: ['CHARGES', 'REFUNDS'] });
      return waitForOnboarding(stack, started.id, (o) => o.status === 'RUNNING' && step(o, 'charges:source-connection').status === 'SUCCEEDED');
    }

    it('with rollback, stops a running onboarding: nothing more starts, what it made is undone, and it ends ROLLED_BACK with error CANCELLED', async () => {
      const name = uniqueName('Cancel rollback');
      const running = await underWay(name);
      const { cancelOnboarding: cancelled } = await stack.data(`mutation($id: ID!) { cancelOnboarding(id: $id, rollback: true) { ${ONBOARDING_FIELDS} } }`, { id: running.id });
      assert.equal(cancelled.status, 'ROLLING_BACK');
      assert.equal(cancelled.error.code, 'CANCELLED');
      const notStarted = cancelled.steps.filter((s: any) => s.status === 'CANCELLED').map((s: any) => s.key);
      assert.ok(notStarted.includes('charges:dataflow') && notStarted.includes('refunds:dataflow'), 'steps not yet started are cancelled');
      await clearFaults(stack);
      const done = await waitForOnboarding(stack, running.id);

      // ROLLED_BACK, not CANCELLED: the implementation reports the rollback's outcome; the error says it was cancelled.
      assert.equal(done.status, 'ROLLED_BACK');
      assert.equal(done.error.code, 'CANCELLED');
      for (const key of notStarted) assert.equal(step(done, key).attempts, 0, `${key} never ran`);
      // What made something: the resources, and the shared record class (a platform id without a resource of its own).
      const made = done.steps.filter((s: any) => !s.undoes && s.status === 'SUCCEEDED' && (s.resourceId || s.platformId)).map((s: any) => s.key);
      assert.ok(made.length >= 2, `the cancel came after some resources were made (${made})`);
      assert.deepEqual(
        done.steps
          .filter((s: any) => s.undoes)
          .map((s: any) => s.undoes)
          .sort(),
        made.sort(),
        'each resource made is undone',
      );
      for (const u of done.steps.filter((s: any) => s.undoes)) {
        assert.equal(u.status, u.kind === 'UNDO_CREATE_MAPPING' ? 'FAILED' : 'SUCCEEDED', u.key);
      }

      const left = await inventory(stack, name);
      assert.deepEqual({ ...left, mappingSets: [] }, EMPTY_INVENTORY);
      assert.deepEqual(done.leftBehind.map((l: any) => l.platformId).sort(), left.mappingSets);
    });

    it('without rollback, stops a running onboarding as CANCELLED: steps in flight finish, nothing more starts, and what exists stays', async () => {
      const name = uniqueName('Cancel keep');
      const running = await underWay(name);
      const { cancelOnboarding: cancelled } = await stack.data(`mutation($id: ID!) { cancelOnboarding(id: $id, rollback: false) { ${ONBOARDING_FIELDS} } }`, { id: running.id });
      assert.equal(cancelled.status, 'CANCELLED');
      assert.ok(cancelled.finishedAt);
      const notStarted = cancelled.steps.filter((s: any) => s.status === 'CANCELLED').map((s: any) => s.key);
      assert.ok(notStarted.includes('charges:dataflow'), 'the dataflow had not started');
      await clearFaults(stack);
      const settled = await waitForOnboarding(stack, running.id, (o) => o.steps.every((s: any) => s.status !== 'RUNNING'));
      // The sweep re-advances unfinished onboardings every 2 s; give it the chance to (wrongly) start something.
      await new Promise((r) => setTimeout(r, 2500));
      const done = await readOnboarding(stack, running.id);

      assert.equal(done.status, 'CANCELLED');
      assert.equal(done.steps.filter((s: any) => s.undoes).length, 0, 'nothing was undone');
      for (const key of notStarted) assert.equal(step(done, key).status, 'CANCELLED', `${key} never ran`);
      assert.deepEqual(
        done.steps.map((s: any) => s.status),
        settled.steps.map((s: any) => s.status),
        'nothing started after the steps in flight finished',
      );

      const kept = await inventory(stack, name);
      assert.deepEqual(kept.flows, [], 'no dataflow was made');
      const made = done.steps.filter((s: any) => s.status === 'SUCCEEDED' && s.platformId);
      assert.ok(made.length >= 2);
      for (const s of made) assert.ok(kept[inventoryKindOf(s.kind)].includes(s.platformId), `${s.key} (${s.platformId}) stays on the Platform`);
      const total = Object.values(counts(kept)).reduce((a, b) => a + b, 0);
      const schemaParts = made.filter((s: any) => s.kind === 'CREATE_XDM_SCHEMA').length; // each schema's field group (the shared class is a step of its own)
      assert.equal(total, made.length + schemaParts, 'the Platform holds what the ledger says was made, and nothing else');
    });

    it('refuses a finished onboarding with PRECONDITION_FAILED and an unknown one with NOT_FOUND', async () => {
      const finished = await waitForOnboarding(stack, (await onboard(stack)).id);
      assert.equal(finished.status, 'SUCCEEDED');
      for (const rollback of [true, false]) {
        const result = await stack.gql(`mutation($id: ID!, $rollback: Boolean!) { cancelOnboarding(id: $id, rollback: $rollback) { id status } }`, { id: finished.id, rollback });
        assert.equal(result.errors?.[0]?.extensions?.code, 'PRECONDITION_FAILED');
        assert.equal((await readOnboarding(stack, finished.id)).status, 'SUCCEEDED');
      }
      const unknown = await stack.gql(`mutation($id: ID!) { cancelOnboarding(id: $id, rollback: true) { id } }`, { id: randomUUID() });
      assert.equal(unknown.errors?.[0]?.extensions?.code, 'NOT_FOUND');
      assert.equal(unknown.errors?.[0].extensions?.field, 'id');
    });
  });
});
