import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { RunningEmulator } from '../../emulator/index.js';
import { spawnEmulator } from '../../scripts/bench/emulator-process.js';
import { onboardStripe, waitForOnboarding } from './support/onboarding-reads.js';
import { STRIPE_KEY } from './support/platform-reads.js';
import { TestStack, uniqueName } from './support/stack.js';
import { WorkerFleet } from './support/worker-fleet.js';

/**
 * Issue 11: the Platform throttles per org, so Flowgate keeps one allowance of Platform calls
 * per IMS org and sandbox (AEP_MAX_CALLS_PER_SECOND), shared by every worker through Redis, and a
 * 429's Retry-After holds that org's calls on every worker. Two real worker processes; what counts
 * is what the emulator (the Platform) logged: when each call arrived, and for which sandbox. The
 * emulator runs in a process of its own, as the Platform would: in this process (which also runs
 * the gateway and the test) a busy moment would stamp calls late, in bunches.
 */

const BUDGET = 15;
const REGISTRY = '/data/foundation/schemaregistry/tenant';

interface Logged {
  time: string;
  method: string;
  path: string;
  status: number;
  durationMs: number;
  sandbox?: string | null;
}

describe('the shared Platform call budget (two worker processes)', () => {
  let emulator: RunningEmulator;
  let stack: TestStack;
  let fleet: WorkerFleet;

  before(async () => {
    emulator = await spawnEmulator();
    stack = await TestStack.start({ roles: { gateway: true, worker: false }, sharedEmulator: emulator });
    fleet = new WorkerFleet(stack, { AEP_MAX_CALLS_PER_SECOND: String(BUDGET) });
    await fleet.start(2);
  });
  after(async () => {
    await fleet?.stop();
    await stack?.stop();
    await emulator?.stop();
  });

  const platformCalls = async (): Promise<Logged[]> => {
    const { requests } = (await stack.control('GET', '/requests')) as { requests: Logged[] };
    return requests.filter((r) => r.path.startsWith('/data/'));
  };
  const onboard = async (name: string, resources: string[], sandbox = 'prod') => {
    const result = await onboardStripe(stack, { name, accessToken: STRIPE_KEY, resources, schedule: { frequency: 'HOUR', interval: 1 } }, { 'x-sandbox-name': sandbox });
    assert.equal(result.errors, undefined, JSON.stringify(result.errors));
    return result.data.onboardStripe.id as string;
  };
  const succeeded = async (id: string, sandbox = 'prod') => {
    const done = await waitForOnboarding(stack, id, 60_000, { 'x-sandbox-name': sandbox });
    assert.equal(done.status, 'SUCCEEDED', `${sandbox}: ${JSON.stringify(done.error)}`);
  };

  it(`never lets the Platform see more than AEP_MAX_CALLS_PER_SECOND (${BUDGET}) calls of one org and sandbox in any second, and every onboarding still succeeds`, async () => {
    await stack.control('DELETE', '/requests');
    const ids = await Promise.all(Array.from({ length: 4 }, (_, i) => onboard(uniqueName(`Budget ${i}`), ['CHARGES', 'REFUNDS'])));
    for (const id of ids) await succeeded(id);

    const arrivals = (await platformCalls()).filter((r) => r.sandbox === 'prod').map((r) => Date.parse(r.time));
    arrivals.sort((a, b) => a - b);
    // The busiest window of one second, wherever it starts.
    let busiest = 0;
    let busiestFrom = 0;
    for (let i = 0, j = 0; j < arrivals.length; j++) {
      while (arrivals[j]! - arrivals[i]! >= 1000) i++;
      if (j - i + 1 > busiest) [busiest, busiestFrom] = [j - i + 1, arrivals[i]!];
    }
    assert.ok(arrivals.length >= 4 * 20, `the onboardings made their calls (${arrivals.length})`);
    assert.ok(
      busiest <= BUDGET,
      `at most ${BUDGET} calls arrived within one second (the busiest second had ${busiest}: ${arrivals
        .filter((a) => a >= busiestFrom && a < busiestFrom + 1000)
        .map((a) => a - busiestFrom)
        .join(', ')} ms)`,
    );
    // The budget was what held them back: without it they come far faster (5 ms each, 2 workers).
    assert.ok(busiest >= BUDGET - 3, `the busiest second used the budget (${busiest})`);
    const spanMs = arrivals.at(-1)! - arrivals[0]!;
    assert.ok(spanMs >= ((arrivals.length - BUDGET) / BUDGET) * 1000 - 100, `${arrivals.length} calls took ${spanMs} ms at ${BUDGET} a second`);
  });

  it("holds every worker's calls of an org for a 429's Retry-After: 2, while another sandbox's onboarding goes on", async () => {
    await stack.control('DELETE', '/requests');
    // The held onboarding's shared class create is throttled, while its explores and source
    // connections run beside it on both workers, and its schemas are due next.
    await stack.control('POST', '/faults', { method: 'POST', path: `${REGISTRY}/classes`, status: 429, retryAfterSeconds: 2, count: 1 });
    const held = await onboard(uniqueName('Throttled'), ['CHARGES', 'REFUNDS', 'CUSTOMERS'], 'prod');
    // Submitted once the 429 went out, so its calls are all made while the other org is held.
    const until = Date.now() + 10_000;
    let throttledAt: number | null = null;
    while (throttledAt === null) {
      assert.ok(Date.now() < until, 'the 429 was sent');
      const hit = (await platformCalls()).find((r) => r.status === 429);
      if (hit) throttledAt = Date.parse(hit.time) + hit.durationMs;
      else await new Promise((resolve) => setTimeout(resolve, 10));
    }
    const other = await onboard(uniqueName('Unthrottled'), ['CHARGES'], 'dev');
    await Promise.all([succeeded(held, 'prod'), succeeded(other, 'dev')]);
    await stack.control('DELETE', '/faults');

    const calls = await platformCalls();
    // A call let go just before the worker that got the 429 recorded the pause may still arrive in its first moments.
    const inPause = (r: Logged) => Date.parse(r.time) > throttledAt + 100 && Date.parse(r.time) < throttledAt + 1950;
    const heldDuringPause = calls.filter((r) => r.sandbox === 'prod' && inPause(r));
    assert.deepEqual(
      heldDuringPause.map((r) => `${r.time} ${r.method} ${r.path}`),
      [],
      'no call of the throttled org and sandbox reached the Platform during the 2 s',
    );
    const goingOn = calls.filter((r) => r.sandbox === 'dev' && inPause(r));
    // How many depends on how fast its steps hand over on this machine; that it is not held is what counts.
    assert.ok(goingOn.length >= 1, `the other sandbox's onboarding made calls meanwhile (${goingOn.length})`);
    const resumed = calls.filter((r) => r.sandbox === 'prod' && Date.parse(r.time) >= throttledAt + 1950);
    assert.ok(resumed.length >= 20, `the throttled onboarding went on after the pause (${resumed.length} calls)`);
  });
});
