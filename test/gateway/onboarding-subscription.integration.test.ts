import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, afterEach, before, describe, it } from 'node:test';
import { assertNeverBackwards, clearFaults, injectFaults, onboard, PATHS, readOnboarding, statusesOf, step, TERMINAL, waitForOnboarding } from './support/onboarding-inventory.js';
import { TestStack } from './support/stack.js';

/**
 * `onboardingProgress(id)` as an onboarding UI uses it: subscribing late, watching a rollback,
 * and watching through any gateway. The emulator is slowed down (latency faults) so the
 * subscription starts while the onboarding is mid-run, and one call is held long enough that the
 * state cannot change while the subscription starts.
 */

const PROGRESS = `subscription($id: ID!) { onboardingProgress(id: $id) {
  id status progress currentStep updatedAt error { code message } leftBehind { resourceType platformId }
  steps { key status attempts undoes } } }`;

const finished = (message: any) => TERMINAL.includes(message.onboardingProgress.status);

/** Every Platform call takes a little while, so each step is RUNNING long enough to be seen. */
const SLOW_PLATFORM = { path: '/data/*', latencyMs: 60 };

/** The connection test takes 1.5 s: long enough to subscribe while nothing changes. */
const HELD_CONNECTION_TEST = { method: 'GET', path: PATHS.connectionTest, latencyMs: 1500, count: 1 };

/** The steps that start with the connection test: they need only the connection to exist (the shared class, the explores). */
const besideTheTest = (s: { key: string }) => s.key === 'xdm-class' || s.key.endsWith(':explore');

describe('onboardingProgress', () => {
  let stack: TestStack;
  let secondGateway: TestStack;
  before(async () => {
    stack = await TestStack.start();
    secondGateway = await TestStack.start({ shareWith: stack, roles: { gateway: true, worker: false } });
  });
  after(async () => {
    await secondGateway?.stop();
    await stack?.stop();
  });
  afterEach(() => clearFaults(stack));

  /**
   * Starts an onboarding and waits until its connection test is being held and the steps that run
   * beside the test (the shared class and the explores, which need only the connection) are done.
   */
  async function heldAtConnectionTest(): Promise<string> {
    await injectFaults(stack, HELD_CONNECTION_TEST, SLOW_PLATFORM);
    const { id } = await onboard(stack);
    await waitForOnboarding(stack, id, (o) => step(o, 'connection:test').status === 'RUNNING' && o.steps.filter(besideTheTest).every((s: any) => s.status === 'SUCCEEDED'));
    return id;
  }

  it('gives a client that subscribes after the start the current state first, then every later step transition, ending with SUCCEEDED', async () => {
    const id = await heldAtConnectionTest();
    const messages = await stack.collect(PROGRESS, { id }, finished);
    // A pass publishes its state under the row lock, just before its commit: the stored state can
    // trail the last message by a moment (on a Redis Cluster, often by enough for a read to see it).
    const ledger = await waitForOnboarding(stack, id);

    const first = messages[0].onboardingProgress;
    assert.equal(first.status, 'RUNNING');
    assert.ok(first.progress > 0, 'the base connection is already counted');
    assert.equal(step(first, 'connection:create').status, 'SUCCEEDED');
    assert.equal(step(first, 'connection:test').status, 'RUNNING', 'the first message is the state at the time of subscribing');
    assert.equal(first.currentStep, 'connection:test');
    for (const s of first.steps.filter(besideTheTest)) assert.equal(s.status, 'SUCCEEDED', `${s.key} ran beside the test`);
    for (const s of first.steps.filter((x: any) => !x.key.startsWith('connection:') && !besideTheTest(x))) assert.equal(s.status, 'PENDING', s.key);

    const last = messages[messages.length - 1].onboardingProgress;
    assert.equal(last.status, 'SUCCEEDED');
    assert.equal(last.progress, 1);
    assertNeverBackwards(messages);

    // Every step that had not finished is seen starting and then finishing, as the ledger recorded it.
    assert.equal(ledger.status, 'SUCCEEDED');
    for (const s of ledger.steps) {
      assert.equal(step(last, s.key).status, s.status, `${s.key} ends as the ledger says`);
      if (s.key === 'connection:create' || besideTheTest(s)) continue;
      const expected = s.key === 'connection:test' ? ['RUNNING', 'SUCCEEDED'] : ['PENDING', 'RUNNING', 'SUCCEEDED'];
      assert.deepEqual(statusesOf(messages, s.key), expected, `${s.key} as seen by the subscriber`);
    }
  });

  it('shows a rollback as it happens: ROLLING_BACK, each undo step starting and finishing, then ROLLED_BACK', async () => {
    // The dataflow create is held for a second and then refused: subscribe while it is held.
    await injectFaults(stack, { method: 'POST', path: PATHS.flows, status: 400, latencyMs: 1000, count: 1 }, SLOW_PLATFORM);
    const { id } = await onboard(stack);
    await waitForOnboarding(stack, id, (o) => step(o, 'charges:dataflow').status === 'RUNNING');
    const messages = await stack.collect(PROGRESS, { id }, finished);
    const ledger = await waitForOnboarding(stack, id); // (published just before the commit, as above)

    const statuses = messages.map((m) => m.onboardingProgress.status).filter((s, i, all) => s !== all[i - 1]);
    assert.deepEqual(statuses, ['RUNNING', 'ROLLING_BACK', 'ROLLED_BACK']);
    assertNeverBackwards(messages);
    assert.deepEqual(statusesOf(messages, 'charges:dataflow'), ['RUNNING', 'FAILED']);
    const undo = ledger.steps.filter((s: any) => s.undoes);
    assert.equal(undo.length, 8, 'every resource made is undone (the shared record class too)');
    for (const u of undo) {
      const seen = statusesOf(messages, u.key);
      assert.ok(seen.includes('RUNNING'), `${u.key} is seen running (${seen.join(' → ')})`);
      assert.equal(seen[seen.length - 1], u.status, `${u.key} is seen finishing as the ledger says`);
    }
    const last = messages[messages.length - 1].onboardingProgress;
    assert.match(last.error.message, /charges:dataflow/);
    assert.deepEqual(
      last.leftBehind.map((l: any) => l.resourceType),
      ['MAPPING'],
    );
  });

  it('gives two subscribers on two gateway processes the same sequence of states', async () => {
    const id = await heldAtConnectionTest();
    const [onFirst, onSecond] = await Promise.all([stack.collect(PROGRESS, { id }, finished), secondGateway.collect(PROGRESS, { id }, finished)]);

    const states = (messages: any[]) => messages.map((m) => JSON.stringify(m.onboardingProgress));
    const [a, b] = [states(onFirst), states(onSecond)];
    const common = a.find((s) => b.includes(s));
    assert.ok(common !== undefined, 'the two subscribers saw a common state');
    const fromCommon = (xs: string[]) => xs.slice(xs.indexOf(common));
    assert.deepEqual(fromCommon(b), fromCommon(a));
    // Both subscribed while the connection test was held, so what they share is the whole rest of the run.
    const firstCommon = JSON.parse(common);
    assert.equal(step(firstCommon, 'connection:test').status, 'RUNNING', 'the common sequence starts before the first step after the connection test');
    assert.equal(onSecond[onSecond.length - 1].onboardingProgress.status, 'SUCCEEDED');
    assertNeverBackwards(onSecond);
  });

  it('tells a subscriber when the step in flight of an onboarding cancelled without rollback finishes', async () => {
    // Explore is held while everything else is done; the onboarding is cancelled meanwhile.
    await injectFaults(stack, { method: 'GET', path: PATHS.explore, latencyMs: 1500, count: 1 }, SLOW_PLATFORM);
    const { id } = await onboard(stack);
    await waitForOnboarding(stack, id, (o) => step(o, 'charges:explore').status === 'RUNNING' && step(o, 'xdm-class').status === 'SUCCEEDED');
    const { cancelOnboarding } = await stack.data(`mutation($id: ID!) { cancelOnboarding(id: $id, rollback: false) { status } }`, { id });
    assert.equal(cancelOnboarding.status, 'CANCELLED');

    const messages = await stack.collect(PROGRESS, { id }, (m) => step(m.onboardingProgress, 'charges:explore').status !== 'RUNNING', 10_000);
    const [first, last] = [messages[0].onboardingProgress, messages[messages.length - 1].onboardingProgress];
    assert.equal(step(first, 'charges:explore').status, 'RUNNING');
    assert.equal(last.status, 'CANCELLED');
    assert.equal(step(last, 'charges:explore').status, 'SUCCEEDED');
    assert.ok(last.progress > first.progress, 'the finished step counts in the progress');
    // (Published just before the commit, as above: the stored state catches up a moment later.)
    const stored = await waitForOnboarding(stack, id, (o) => o.progress >= last.progress, 5000).catch(() => readOnboarding(stack, id));
    assert.equal(stored.progress, last.progress, 'and the stored onboarding says the same');
  });

  it('sends a subscriber of a finished onboarding its final state, and refuses an unknown onboarding with NOT_FOUND', async () => {
    const { id } = await onboard(stack);
    const done = await waitForOnboarding(stack, id);
    const [only] = await stack.collect(PROGRESS, { id }, () => true);
    assert.equal(only.onboardingProgress.status, 'SUCCEEDED');
    assert.equal(only.onboardingProgress.updatedAt, done.updatedAt);

    await assert.rejects(
      stack.collect(PROGRESS, { id: randomUUID() }, () => true),
      (error: Error) => /"code":"NOT_FOUND"/.test(error.message),
    );
  });
});
