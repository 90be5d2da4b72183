import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { launchFlowgate, type LaunchedFlowgate } from '../gateway/support/child-process.js';
import { PrivateRedis } from '../gateway/support/private-redis.js';
import { TestStack } from '../gateway/support/stack.js';

/** How long the test waits for the process to end: far beyond its shutdown bound. */
const PATIENCE_MS = 30_000;

/**
 * Regression: "worker SIGTERM while Redis is down does not exit". A graceful stop closes BullMQ's
 * workers and queues, which wait for Redis to answer — forever, with Redis gone — so the process
 * never ended and only SIGKILL stopped it. Shutdown is now bounded (SHUTDOWN_TIMEOUT_SECONDS): past
 * it the process says what it left and exits (0: what it left is recovered from PostgreSQL). The
 * worker runs on a redis-server of this test's own, which is stopped.
 */
describe('a worker asked to stop while Redis is down (private redis-server)', () => {
  let redis: PrivateRedis;
  let stack: TestStack;
  let worker: LaunchedFlowgate;

  before(async () => {
    redis = await PrivateRedis.start();
    stack = await TestStack.start({ roles: { gateway: false, worker: false } });
    worker = launchFlowgate('worker', stack, { REDIS_URL: redis.url, SHUTDOWN_TIMEOUT_SECONDS: '2' });
    await worker.ready;
  });
  after(async () => {
    await worker?.stop('SIGKILL');
    await stack?.stop();
    await redis?.stop();
  });

  it('exits after its shutdown bound, with exit code 0 and a line saying it did not finish closing', async () => {
    await redis.stop();
    await worker.waitForLine(/Redis is unreachable/);
    const exited = new Promise<number | null>((resolve) => worker.child.once('exit', (code) => resolve(code)));
    worker.child.kill('SIGTERM');
    const code = await Promise.race([exited, new Promise<'still running'>((resolve) => setTimeout(() => resolve('still running'), PATIENCE_MS))]);
    assert.equal(code, 0, `the worker ended (${String(code)}):\n${worker.output.slice(-5).join('\n')}`);
    const line = await worker.waitForLine(/shutdown did not finish/, 0);
    const entry = JSON.parse(line) as { level: number; timeoutSeconds: number; msg: string };
    assert.equal(entry.level, 40);
    assert.equal(entry.timeoutSeconds, 2);
    assert.match(entry.msg, /PostgreSQL/);
  });
});
