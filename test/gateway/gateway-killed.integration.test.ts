import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createClient, type Client } from 'graphql-ws';
import WebSocket from 'ws';
import { spawnFlowgate, type ChildFlowgate } from './support/child-process.js';
import { assertNeverBackwards, clearFaults, injectFaults, onboard, PATHS, readOnboarding, statusesOf, step, TERMINAL, waitForOnboarding } from './support/onboarding-inventory.js';
import { TestStack } from './support/stack.js';

const PROGRESS = `subscription($id: ID!) { onboardingProgress(id: $id) {
  id status progress currentStep updatedAt steps { key status attempts } } }`;

/** Each client watches one onboarding: what it got, and how its sockets went. */
interface Watcher {
  client: Client;
  messages: any[];
  connected: number;
  closed: number;
  done: Promise<void>;
}

/**
 * Two gateway processes behind a (simulated) load balancer, one worker. One gateway is killed
 * (SIGKILL: no goodbye to its sockets) in the middle of an onboarding that clients of both are
 * watching. The other gateway's clients must not notice; the killed one's clients reconnect —
 * graphql-ws re-subscribes by itself, the load balancer sends them to the survivor — and from
 * there see exactly what everyone else sees, starting with the current state, so no step
 * transition is lost to them.
 */
describe('when a gateway is killed with open sockets', () => {
  let stack: TestStack;
  let doomed: ChildFlowgate;
  const watchers: Watcher[] = [];
  before(async () => {
    stack = await TestStack.start();
    doomed = await spawnFlowgate('gateway', stack);
  });
  after(async () => {
    for (const w of watchers) await w.client.dispose();
    await doomed?.stop('SIGKILL');
    await clearFaults(stack);
    await stack?.stop();
  });

  /** A client that reaches Flowgate through `route()` (the load balancer's choice at each connection attempt). */
  const watch = (id: string, route: () => string, reconnects: boolean): Watcher => {
    const watcher = { messages: [] as any[], connected: 0, closed: 0 } as Watcher;
    watcher.client = createClient({
      url: () => route(),
      webSocketImpl: WebSocket,
      connectionParams: { authorization: `Bearer ${stack.adminKey}` },
      lazy: true,
      retryAttempts: reconnects ? 10 : 0,
      retryWait: () => new Promise((resolve) => setTimeout(resolve, 100)),
      shouldRetry: () => reconnects,
      on: { connected: () => watcher.connected++, closed: () => watcher.closed++ },
    });
    watcher.done = new Promise<void>((resolve, reject) => {
      watcher.client.subscribe(
        { query: PROGRESS, variables: { id } },
        {
          next: (value) => {
            if (value.errors) reject(new Error(JSON.stringify(value.errors)));
            else watcher.messages.push(value.data);
            if (TERMINAL.includes((value.data as any)?.onboardingProgress?.status)) resolve();
          },
          error: (error) => reject(error instanceof Error ? error : new Error(JSON.stringify(error))),
          complete: () => resolve(),
        },
      );
    });
    watchers.push(watcher);
    return watcher;
  };

  it("leaves the other gateway's clients untouched, and the killed one's clients reconnect elsewhere and miss no step transition", async () => {
    // Every Platform call takes a while and the connection test is held: the onboarding is mid-run for seconds.
    await injectFaults(stack, { method: 'GET', path: PATHS.connectionTest, latencyMs: 1500, count: 1 }, { path: '/data/*', latencyMs: 150 });
    const { id } = await onboard(stack);
    // The shared class and the explores run beside the test (they need only the connection): subscribe once they are done.
    const besideTheTest = (s: { key: string }) => s.key === 'xdm-class' || s.key.endsWith(':explore');
    await waitForOnboarding(stack, id, (o) => step(o, 'connection:test').status === 'RUNNING' && o.steps.filter(besideTheTest).every((s: any) => s.status === 'SUCCEEDED'));

    let doomedAlive = true;
    const survivorUrl = stack.wsUrl;
    const doomedUrl = doomed.url!.replace(/^http/, 'ws');
    const onSurvivor = [0, 1, 2].map(() => watch(id, () => survivorUrl, false));
    const onDoomed = [0, 1, 2].map(() => watch(id, () => (doomedAlive ? doomedUrl : survivorUrl), true));
    const everyone = [...onSurvivor, ...onDoomed];
    for (let i = 0; i < 100 && everyone.some((w) => w.messages.length === 0); i++) await new Promise((r) => setTimeout(r, 50));
    assert.ok(
      everyone.every((w) => w.messages.length > 0),
      'every client got the current state',
    );

    // Kill it once the onboarding is past its connection and into the dataset's steps.
    await waitForOnboarding(stack, id, (o) => o.progress >= 0.3);
    const beforeKill = onDoomed.map((w) => w.messages.length);
    doomedAlive = false;
    await doomed.stop('SIGKILL');
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      Promise.all(everyone.map((w) => w.done)),
      new Promise((_, reject) => {
        timer = setTimeout(() => {
          const states = everyone.map((w) => ({ connected: w.connected, closed: w.closed, messages: w.messages.length, last: w.messages[w.messages.length - 1]?.onboardingProgress.status }));
          reject(new Error(`not every client saw the onboarding finish within 60 s: ${JSON.stringify(states)}`));
        }, 60_000);
      }),
    ]).finally(() => clearTimeout(timer));
    const ledger = await readOnboarding(stack, id);
    assert.equal(ledger.status, 'SUCCEEDED');

    // The survivor's clients: one socket each, never closed, every transition in order.
    for (const w of onSurvivor) {
      assert.equal(w.connected, 1);
      assert.equal(w.closed, 0, 'a client of the surviving gateway lost its socket');
      assertNeverBackwards(w.messages);
      for (const s of ledger.steps.filter((x: any) => !x.key.startsWith('connection:') && !besideTheTest(x)))
        assert.deepEqual(statusesOf(w.messages, s.key), ['PENDING', 'RUNNING', 'SUCCEEDED'], s.key);
    }
    const seenBySurvivors = onSurvivor[0]!.messages.map((m) => JSON.stringify(m.onboardingProgress));
    for (const w of onSurvivor)
      assert.deepEqual(
        w.messages.map((m) => JSON.stringify(m.onboardingProgress)),
        seenBySurvivors,
        'the survivors saw the same sequence',
      );

    // The killed gateway's clients: reconnected once, to the survivor, and saw from there what its clients saw.
    for (const [i, w] of onDoomed.entries()) {
      assert.equal(w.connected, 2, 'reconnected once');
      assertNeverBackwards(w.messages);
      const last = w.messages[w.messages.length - 1].onboardingProgress;
      assert.equal(last.status, 'SUCCEEDED');
      for (const s of ledger.steps) assert.equal(step(last, s.key).status, s.status, `${s.key} ends as the ledger says`);
      // The first message after the reconnection is a state the survivors saw; from there the two streams are one.
      const afterReconnect = w.messages.slice(beforeKill[i]).map((m) => JSON.stringify(m.onboardingProgress));
      const resumedAt = seenBySurvivors.indexOf(afterReconnect[0]!);
      assert.ok(resumedAt >= 0, 'the first message after the reconnection is a state the other clients saw');
      assert.deepEqual(afterReconnect, seenBySurvivors.slice(resumedAt), 'after the reconnection the client sees every transition the others see');
    }
  });
});
