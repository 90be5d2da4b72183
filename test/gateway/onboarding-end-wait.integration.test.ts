import assert from 'node:assert/strict';
import { setTimeout as delay } from 'node:timers/promises';
import { after, before, describe, it } from 'node:test';
import type { Operation } from '../../src/store/rows.js';
import { onboard, readOnboarding, step } from './support/onboarding-inventory.js';
import { TestStack } from './support/stack.js';

/**
 * A pass of an onboarding waits for the ends of sibling steps (the same kind, one per Stripe
 * resource) being recorded in its process, so that one pass folds the ends of a level and starts
 * every resource's next step; before, the last resource's next step waited for a second pass.
 * Driven by hand on a gateway without a worker: nothing runs the steps, so each end is one the
 * test records, and each pass one it asks for.
 */
describe('an onboarding pass and the ends being recorded beside it', () => {
  let stack: TestStack;
  before(async () => {
    stack = await TestStack.start({ roles: { gateway: true, worker: false } });
  });
  after(async () => {
    await stack?.stop();
  });

  /** An onboarding whose base connection create has been started (its operation QUEUED, no worker to run it). */
  async function startedAtConnection(): Promise<{ id: string; operation: Operation }> {
    const { id } = await onboard(stack);
    await stack.process.deps.orchestrator.advance(id);
    const started = step(await readOnboarding(stack, id), 'connection:create');
    assert.equal(started.status, 'RUNNING');
    const ids = await stack.sql<{ operation_id: string }>(`SELECT operation_id FROM onboarding_steps WHERE onboarding_id = $1 AND key = 'connection:create'`, [id]);
    const operation = await stack.process.deps.store.operations.find(ids[0]!.operation_id);
    assert.ok(operation, 'the connection create has its operation');
    return { id, operation };
  }

  /** Records the connection create's end (as a worker would) after `afterMs`. */
  async function finishLater(operation: Operation, afterMs: number): Promise<void> {
    await delay(afterMs);
    const { store } = stack.process.deps;
    const resource = await store.resources.getById(operation.resourceId);
    await store.ledger.finish(operation, resource, {
      status: 'SUCCEEDED',
      changes: { platformId: `conn-${operation.id.slice(0, 8)}`, etag: '"1"', state: 'READY' },
      action: 'CREATED',
      message: 'connection created',
    });
  }

  it('folds a sibling end recorded while it waits: the step is over and its next step started by that one pass', async () => {
    const { id, operation } = await startedAtConnection();
    const { orchestrator } = stack.process.deps;
    const recording = finishLater(operation, 10);
    orchestrator.recordingEnd(id, { key: operation.id, kind: operation.type }, recording);
    // A sibling's end (recorded already) asks for the pass.
    await orchestrator.advance(id, true, { key: 'a-sibling', kind: operation.type });
    await recording;

    const after = await readOnboarding(stack, id);
    assert.equal(step(after, 'connection:create').status, 'SUCCEEDED', 'the pass saw the end recorded while it waited');
    assert.equal(step(after, 'connection:test').status, 'RUNNING', 'and started the next step');
  });

  it('does not wait for an end of another kind', async () => {
    const { orchestrator } = stack.process.deps;
    const { id, operation } = await startedAtConnection();
    const recording = delay(5);
    orchestrator.recordingEnd(id, { key: operation.id, kind: operation.type }, recording);
    // What a pass asked for by a dataset's end waits for before it starts (the method advance uses).
    const waitsFor = (orchestrator as unknown as { endsRecordedHere(id: string, kinds: ReadonlySet<string>): Promise<Set<string>> }).endsRecordedHere.bind(orchestrator);
    assert.deepEqual([...(await waitsFor(id, new Set(['CREATE_DATASET'])))], [], 'a connection end is no sibling of a dataset end');
    await recording;
    await delay(1); // its entry is dropped once it settled
    const sibling = delay(5);
    orchestrator.recordingEnd(id, { key: 'another', kind: operation.type }, sibling);
    assert.deepEqual([...(await waitsFor(id, new Set([operation.type])))], ['another'], 'a sibling end is waited for, and folded by the pass');
  });

  it('does not wait longer than its bound: a slow end is folded by a later pass', async () => {
    const { orchestrator } = stack.process.deps;
    const slow = await startedAtConnection();
    const slowRecording = finishLater(slow.operation, 1500);
    orchestrator.recordingEnd(slow.id, { key: slow.operation.id, kind: slow.operation.type }, slowRecording);
    const started = Date.now();
    await orchestrator.advance(slow.id, true, { key: 'a-sibling', kind: slow.operation.type });
    assert.ok(Date.now() - started < 1000, 'the pass went on without the slow end');
    assert.equal(step(await readOnboarding(stack, slow.id), 'connection:create').status, 'RUNNING');
    await slowRecording;

    // The end's own call to advance then moves the onboarding on.
    await orchestrator.advance(slow.id, true, { key: slow.operation.id, kind: slow.operation.type });
    const moved = await readOnboarding(stack, slow.id);
    assert.equal(step(moved, 'connection:create').status, 'SUCCEEDED');
    assert.equal(step(moved, 'connection:test').status, 'RUNNING');
  });
});
