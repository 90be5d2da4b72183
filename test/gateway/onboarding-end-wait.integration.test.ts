import assert from 'node:assert/strict';
import { setTimeout as delay } from 'node:timers/promises';
import { after, before, describe, it } from 'node:test';
import type { Operation } from '../../src/store/rows.js';
import { onboard, readOnboarding, step } from './support/onboarding-inventory.js';
import { TestStack } from './support/stack.js';

/**
 * A pass of an onboarding waits for the ends being recorded in its process that make a pending
 * step ready (the other resources' steps of a level, a dataflow's other input), so that one pass
 * folds them and starts the next steps; before, the last one's next step waited for a second pass.
 * Which ends are waited for: test/jobs/onboarding/sibling-ends.test.ts.
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

  it('folds an end recorded while it waits: the step is over and its next step started by that one pass', async () => {
    const { id, operation } = await startedAtConnection();
    const { orchestrator } = stack.process.deps;
    const recording = finishLater(operation, 10);
    orchestrator.recordingEnd(id, { key: operation.id, step: 'connection:create' }, recording);
    // A sibling's end (recorded already) asks for the pass.
    await orchestrator.advance(id, true, { key: 'a-sibling', step: 'another-step' });
    await recording;

    const after = await readOnboarding(stack, id);
    assert.equal(step(after, 'connection:create').status, 'SUCCEEDED', 'the pass saw the end recorded while it waited');
    assert.equal(step(after, 'connection:test').status, 'RUNNING', 'and started the next step');
  });

  it('does not wait longer than its bound: a slow end is folded by a later pass', async () => {
    const { orchestrator } = stack.process.deps;
    const slow = await startedAtConnection();
    const slowRecording = finishLater(slow.operation, 1500);
    orchestrator.recordingEnd(slow.id, { key: slow.operation.id, step: 'connection:create' }, slowRecording);
    const started = Date.now();
    await orchestrator.advance(slow.id, true, { key: 'a-sibling', step: 'another-step' });
    assert.ok(Date.now() - started < 1000, 'the pass went on without the slow end');
    assert.equal(step(await readOnboarding(stack, slow.id), 'connection:create').status, 'RUNNING');
    await slowRecording;

    // The end's own call to advance then moves the onboarding on.
    await orchestrator.advance(slow.id, true, { key: slow.operation.id, step: 'connection:create' });
    const moved = await readOnboarding(stack, slow.id);
    assert.equal(step(moved, 'connection:create').status, 'SUCCEEDED');
    assert.equal(step(moved, 'connection:test').status, 'RUNNING');
  });

  it('forgets, at the next sweep, what it kept for an onboarding that finished elsewhere', async () => {
    const { orchestrator } = stack.process.deps;
    // What a worker keeps per onboarding between passes (a long-running worker must not keep it for every onboarding it ever passed).
    const kept = orchestrator as unknown as { ledgers: Map<string, unknown>; endsRecording: Map<string, unknown> };
    const finished = await startedAtConnection();
    const running = await startedAtConnection();
    orchestrator.recordingEnd(finished.id, { key: finished.operation.id, step: 'connection:create' }, new Promise(() => {}));
    assert.ok(kept.ledgers.has(finished.id) && kept.endsRecording.has(finished.id));
    // Finished by another process (this one never sees its last pass).
    await stack.sql(`UPDATE onboardings SET status = 'FAILED', finished_at = now() WHERE id = $1`, [finished.id]);
    await orchestrator.sweep();
    assert.ok(!kept.ledgers.has(finished.id), 'its ledger is dropped');
    assert.ok(!kept.endsRecording.has(finished.id), 'and the end it still tracked');
    assert.ok(kept.ledgers.has(running.id), 'an unfinished onboarding keeps its ledger');
  });
});
