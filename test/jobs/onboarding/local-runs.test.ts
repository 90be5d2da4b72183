import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { LocalRuns } from '../../../src/jobs/onboarding/local-runs.js';
import { createLogger } from '../../../src/logging/logger.js';

const logger = createLogger({ level: 'silent' });

/** A step that runs until `finish()` is called. */
function pendingStep(): { task: () => Promise<void>; finish: () => void; ran: () => boolean } {
  let finish!: () => void;
  let ran = false;
  const done = new Promise<void>((resolve) => (finish = resolve));
  return {
    task: async () => {
      ran = true;
      await done;
    },
    finish: () => finish(),
    ran: () => ran,
  };
}

describe('LocalRuns (the steps a worker runs itself)', () => {
  it('never hands out more slots than it has, and a slot is free again when its step ends', async () => {
    const local = new LocalRuns(3, logger);
    assert.equal(local.reserve(2), 2);
    assert.equal(local.reserve(5), 1, 'only what is left');
    assert.equal(local.reserve(1), 0, 'none left: the step goes to the queue');
    const step = pendingStep();
    local.launch({}, step.task);
    local.release(2); // the passes started fewer steps than they reserved slots for
    assert.equal(local.reserve(3), 2, 'the given-back slots, not the one still running');
    step.finish();
    await local.stop();
    assert.equal(local.reserve(1), 0, 'stopped: no more steps here');
  });

  it('on a graceful stop, takes no more steps and waits for the ones it runs', async () => {
    const local = new LocalRuns(2, logger);
    assert.equal(local.reserve(2), 2);
    const [first, second] = [pendingStep(), pendingStep()];
    local.launch({ step: 'first' }, first.task);
    let stopped = false;
    const stopping = local.stop().then(() => (stopped = true));
    assert.equal(local.reserve(1), 0, 'a pass during the stop enqueues its steps');
    // A step launched by a pass that reserved before the stop still runs, and is waited for.
    local.launch({ step: 'second' }, second.task);
    first.finish();
    await new Promise((resolve) => setImmediate(resolve));
    assert.equal(stopped, false, 'the second step still runs');
    second.finish();
    await stopping;
    assert.ok(first.ran() && second.ran());
  });

  it('frees the slot of a step that fails unexpectedly', async () => {
    const local = new LocalRuns(1, logger);
    assert.equal(local.reserve(1), 1);
    let failed!: () => void;
    const failure = new Promise<void>((resolve) => (failed = resolve));
    local.launch({}, async () => {
      failed();
      throw new Error('lost the database');
    });
    await failure;
    await new Promise((resolve) => setImmediate(resolve));
    assert.equal(local.reserve(1), 1, 'the slot is free again');
  });
});
