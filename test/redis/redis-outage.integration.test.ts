import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { launchFlowgate, type LaunchedFlowgate } from '../gateway/support/child-process.js';
import { PrivateRedis } from '../gateway/support/private-redis.js';
import { TestStack } from '../gateway/support/stack.js';

const UNREACHABLE = /Redis is unreachable/;
const BACK = /Redis is reachable again/;
/**
 * Logged by a worker once it talks to the restarted (empty: this server keeps nothing) Redis —
 * after the outage, though it may print before BACK: the schedulers it finds gone. (A job whose
 * key the restart lost is an info line: see lost-job.integration.test.ts.)
 */
const RECOVERED = /Redis lost the maintenance schedulers/;

/**
 * Regression: "BullMQ queues have no error listener". While Redis was down, each of a process's
 * four Queue objects printed every reconnection failure's stack (`Error: connect ECONNREFUSED …`)
 * to stderr — 578 lines in 8 s from one idle gateway, measured before the fix — and the workers
 * and our own connections added a line each. Now a process logs one JSON line when Redis goes and
 * one when it is back. The processes run on a redis-server of this test's own (the shared one
 * must never stop).
 */
describe('while Redis is down (private redis-server)', () => {
  let redis: PrivateRedis;
  let stack: TestStack;
  const processes: LaunchedFlowgate[] = [];

  before(async () => {
    redis = await PrivateRedis.start();
    stack = await TestStack.start({ roles: { gateway: false, worker: false } });
    for (const role of ['gateway', 'worker'] as const) {
      const launched = launchFlowgate(role, stack, { REDIS_URL: redis.url });
      processes.push(launched);
      await launched.ready;
    }
  });
  after(async () => {
    // Not a test of graceful shutdown (which waits for Redis): a failure may leave it down.
    for (const p of processes) await p.stop('SIGKILL');
    await stack?.stop();
    await redis?.stop();
  });

  it('a gateway and a worker each log the outage once, as JSON, with no stack on stdout or stderr, and once more when Redis is back', async () => {
    const [gateway, worker] = processes as [LaunchedFlowgate, LaunchedFlowgate];
    const before = processes.map((p) => p.output.length);
    await redis.stop();
    // Many reconnection attempts (50 ms apart at first, then up to 2 s) by every connection.
    await new Promise((resolve) => setTimeout(resolve, 6000));
    await redis.launch();
    await Promise.all(processes.map((p) => p.waitForLine(BACK, 20_000)));

    for (const [i, p] of [gateway, worker].entries()) {
      const role = i === 0 ? 'gateway' : 'worker';
      const lines = p.output.slice(before[i]);
      const upTo = lines.findIndex((l) => BACK.test(l));
      const outage = lines.slice(0, upTo + 1);
      for (const line of outage) assert.doesNotThrow(() => JSON.parse(line), `${role} printed a line that is not JSON:\n${outage.join('\n')}`);
      const entries = outage.map((l) => JSON.parse(l) as { level: number; msg: string; err?: string; failures?: number; connections?: string[] });
      const unreachable = entries.filter((e) => UNREACHABLE.test(e.msg));
      assert.equal(unreachable.length, 1, `${role}: ${outage.join('\n')}`);
      assert.match(unreachable[0]!.err ?? '', /ECONNREFUSED|ECONNRESET|Connection is closed/);
      assert.deepEqual(
        entries.filter((e) => e.level >= 40 && !UNREACHABLE.test(e.msg) && !RECOVERED.test(`${e.msg} ${e.err ?? ''}`)),
        [],
        `${role} logged no other warning or error while Redis was down`,
      );
      const back = entries.at(-1)!;
      assert.ok(back.failures! > processes.length, `${role} counted the failures it did not log: ${JSON.stringify(back)}`);
      assert.ok(back.connections!.includes('operations queue'), JSON.stringify(back.connections));
    }
  });
});
