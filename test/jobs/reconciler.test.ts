import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { mayRequeueWithoutJob } from '../../src/jobs/reconciler.js';

describe('mayRequeueWithoutJob (an unfinished operation whose job Redis no longer has)', () => {
  const lockMs = 30_000;

  it('enqueues QUEUED and RETRYING operations again at once', () => {
    for (const status of ['QUEUED', 'RETRYING']) assert.equal(mayRequeueWithoutJob({ status, idleMs: 0 }, lockMs), true, status);
  });

  it('leaves a RUNNING operation to its worker while its heartbeat is younger than the lock time (re-running it would call the Platform twice at once)', () => {
    assert.equal(mayRequeueWithoutJob({ status: 'RUNNING', idleMs: 0 }, lockMs), false);
    assert.equal(mayRequeueWithoutJob({ status: 'RUNNING', idleMs: lockMs - 1 }, lockMs), false);
  });

  it('enqueues a RUNNING operation again once its heartbeat stopped for the lock time (its worker is gone)', () => {
    assert.equal(mayRequeueWithoutJob({ status: 'RUNNING', idleMs: lockMs }, lockMs), true);
  });

  it('never enqueues a finished operation', () => {
    for (const status of ['SUCCEEDED', 'FAILED', 'CANCELLED']) assert.equal(mayRequeueWithoutJob({ status, idleMs: 10 * lockMs }, lockMs), false, status);
  });
});
