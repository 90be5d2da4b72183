import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { buildFlowChain, buildUpstream, freezeEmulatorClock, mutateAndWait, platformRequest, type FlowChain } from './support/prerequisites.js';
import { TestStack, uniqueName } from './support/stack.js';

const HOUR = 3600;
/** Past a run's grid point, far enough for it to have completed (20 s plus 20 ms a record). */
const SETTLE = 300;
const HEALTH = 'status since expectedNextRunAt lastRunAt consecutiveFailures consecutiveEmptyRuns emptyRunsMayBeNormal reasons { code message } updatedAt';
const ALERT = 'id dataflowId status health severity updates reasons { code message } sandbox openedAt updatedAt resolvedAt dataflow { id name }';
const RAISED = `subscription($dataflowId: ID) { alertRaised(dataflowId: $dataflowId) { change alert { ${ALERT} } } }`;

async function healthOf(stack: TestStack, dataflowId: string): Promise<any> {
  return (await stack.data(`query($id: ID!) { dataflow(id: $id) { health { ${HEALTH} } } }`, { id: dataflowId })).dataflow.health;
}

async function alertsOf(stack: TestStack, filter: Record<string, unknown>): Promise<{ totalCount: number; alerts: any[] }> {
  const { alerts } = await stack.data(`query($filter: AlertFilter) { alerts(filter: $filter, first: 50) { totalCount edges { node { ${ALERT} } } } }`, { filter });
  return { totalCount: alerts.totalCount, alerts: alerts.edges.map((e: any) => e.node) };
}

async function createHourlyFlow(stack: TestStack, chain: FlowChain, startSeconds: number, name: string): Promise<string> {
  const done = await mutateAndWait(stack, 'createDataflow', 'CreateDataflowInput', {
    name,
    sourceConnectionId: chain.source.id,
    targetConnectionId: chain.target.id,
    mappingId: chain.mapping.id,
    schedule: { frequency: 'HOUR', interval: 1, startTime: new Date(startSeconds * 1000).toISOString(), backfill: true },
  });
  return done.resourceId;
}

/** Moves the emulator clock: the flows run on the way. */
const advance = (stack: TestStack, seconds: number) => stack.control('POST', '/clock', { advanceSeconds: seconds });

/** What the workers do every interval: sync the runs (and the Platform's flows), then a watchdog pass. */
async function tick(stack: TestStack) {
  await stack.syncRuns();
  return stack.watchdogPass();
}

/**
 * Starts collecting alertRaised messages; resolves once the gateway is subscribed, so nothing
 * published afterwards is missed. `take(n)` waits for the first n messages.
 */
async function listen(stack: TestStack, dataflowId: string | null = null): Promise<{ take(n: number): Promise<any[]> }> {
  const bus = stack.process.deps.bus;
  const before = bus.channelCount();
  let wanted = Infinity;
  let wake: () => void = () => undefined;
  const messages: any[] = [];
  const done = stack.collect<{ alertRaised: any }>(RAISED, { dataflowId }, (message, all) => {
    messages.push(message.alertRaised);
    wake();
    return all.length >= 100;
  });
  done.catch(() => undefined);
  for (let i = 0; bus.channelCount() <= before && i < 200; i++) await new Promise((r) => setTimeout(r, 10));
  return {
    take: async (n) => {
      wanted = n;
      const deadline = Date.now() + 10_000;
      while (messages.length < wanted && Date.now() < deadline) await new Promise<void>((resolve) => ((wake = resolve), setTimeout(resolve, 50)));
      return messages.slice(0, n);
    },
  };
}

describe('the dataflow watchdog', () => {
  describe('a dataflow whose runs stop reaching Flowgate', () => {
    let stack: TestStack;
    let dataflowId: string;
    let start: number;

    before(async () => {
      stack = await TestStack.start();
      const chain = await buildFlowChain(stack);
      start = (await freezeEmulatorClock(stack)) + 60;
      dataflowId = await createHourlyFlow(stack, chain, start, 'Charges hourly (watched)');
    });
    after(() => stack.stop());

    it('is HEALTHY while its runs come on time, expecting the next one on its grid', async () => {
      await advance(stack, 2 * HOUR + SETTLE);
      const pass = await tick(stack);
      assert.equal(pass.dataflows, 1);
      const health = await healthOf(stack, dataflowId);
      assert.equal(health.status, 'HEALTHY');
      assert.deepEqual(health.reasons, []);
      assert.equal(Date.parse(health.lastRunAt) / 1000, start + 2 * HOUR);
      assert.equal(Date.parse(health.expectedNextRunAt) / 1000, start + 3 * HOUR);
      assert.equal((await alertsOf(stack, { dataflowId })).totalCount, 0);
    });

    it('becomes LATE when the Platform’s runs endpoint fails and no run appears within an interval plus the grace, raising one alert', async () => {
      await stack.control('POST', '/faults', { path: '/data/foundation/flowservice/runs*', status: 503 });
      const raised = await listen(stack, dataflowId);
      await advance(stack, 2 * HOUR);
      const pass = await tick(stack);
      assert.equal(pass.opened, 1);

      const health = await healthOf(stack, dataflowId);
      assert.equal(health.status, 'LATE');
      assert.deepEqual(
        health.reasons.map((r: any) => r.code),
        ['RUN_OVERDUE'],
      );
      assert.match(health.reasons[0].message, new RegExp(`a run was expected at ${new Date((start + 3 * HOUR) * 1000).toISOString()}`));
      const { totalCount, alerts } = await alertsOf(stack, { dataflowId });
      assert.equal(totalCount, 1);
      assert.deepEqual([alerts[0].status, alerts[0].health, alerts[0].severity], ['OPEN', 'LATE', 'CRITICAL']);
      assert.equal(alerts[0].dataflow.name, 'Charges hourly (watched)');
      const [opened] = await raised.take(1);
      assert.equal(opened.change, 'ALERT_OPENED');
      assert.equal(opened.alert.id, alerts[0].id);

      // Still late a pass later: the same alert, unchanged.
      await advance(stack, HOUR);
      assert.equal((await tick(stack)).opened, 0);
      const again = await alertsOf(stack, { dataflowId });
      assert.equal(again.totalCount, 1);
      assert.equal(again.alerts[0].updates, 0);
    });

    it('is HEALTHY again once the runs reach Flowgate, and its alert is resolved', async () => {
      const raised = await listen(stack, dataflowId);
      await stack.control('DELETE', '/faults');
      const pass = await tick(stack);
      assert.equal(pass.resolved, 1);
      assert.equal((await healthOf(stack, dataflowId)).status, 'HEALTHY');
      const { totalCount, alerts } = await alertsOf(stack, { dataflowId });
      assert.equal(totalCount, 1, 'one alert for the whole episode');
      assert.equal(alerts[0].status, 'RESOLVED');
      assert.ok(Date.parse(alerts[0].resolvedAt) >= Date.parse(alerts[0].openedAt));
      const [resolved] = await raised.take(1);
      assert.deepEqual([resolved.change, resolved.alert.status], ['ALERT_RESOLVED', 'RESOLVED']);
      assert.equal((await alertsOf(stack, { status: 'OPEN' })).totalCount, 0);
    });

    it('records each alert change in the audit trail, by system:watchdog', async () => {
      const { auditEvents } = await stack.data('{ auditEvents(first: 10, filter: { resourceType: ALERT }) { edges { node { actor action resourceId after } } } }');
      const events = auditEvents.edges.map((e: any) => e.node).reverse();
      assert.deepEqual(
        events.map((e: any) => [e.actor, e.action]),
        [
          ['system:watchdog', 'ALERT_OPENED'],
          ['system:watchdog', 'ALERT_RESOLVED'],
        ],
      );
      assert.deepEqual(events[0].after.reasons, ['RUN_OVERDUE']);
      assert.equal(events[1].after.status, 'RESOLVED');
    });
  });

  describe('dataflows changed behind Flowgate’s back, with a revoked Stripe key, or reading nothing', () => {
    let stack: TestStack;
    const flows = { drifted: '', revoked: '', quietCharges: '', quietRefunds: '' };
    const keys = { revoked: 'sk_test_WatchdogRevoked000001', quietCharges: 'sk_test_WatchdogDormant000002', quietRefunds: 'sk_test_WatchdogDormant000003' };
    let start: number;

    before(async () => {
      stack = await TestStack.start();
      const chains = {
        drifted: await buildFlowChain(stack),
        revoked: await buildFlowChain(stack, await buildUpstream(stack, 'CHARGES', { accessToken: keys.revoked })),
        quietCharges: await buildFlowChain(stack, await buildUpstream(stack, 'CHARGES', { accessToken: keys.quietCharges })),
        quietRefunds: await buildFlowChain(stack, await buildUpstream(stack, 'REFUNDS', { accessToken: keys.quietRefunds })),
      };
      start = (await freezeEmulatorClock(stack)) + 60;
      for (const name of Object.keys(flows) as (keyof typeof flows)[]) flows[name] = await createHourlyFlow(stack, chains[name], start, uniqueName(name));
    });
    after(() => stack.stop());

    it('are HEALTHY while their runs come with records', async () => {
      await advance(stack, 2 * HOUR + SETTLE);
      const pass = await tick(stack);
      assert.equal(pass.dataflows, 4);
      for (const id of Object.values(flows)) assert.equal((await healthOf(stack, id)).status, 'HEALTHY', id);
    });

    it('a flow disabled on the Platform behind Flowgate’s back is DRIFTED at the next sync, with one alert', async () => {
      const raised = await listen(stack);
      const { platformId } = (await stack.data('query($id: ID!) { dataflow(id: $id) { platformId } }', { id: flows.drifted })).dataflow;
      const disabled = await platformRequest(stack, 'POST', `/data/foundation/flowservice/flows/${platformId}/action?op=disable`);
      assert.equal(disabled.status, 200, JSON.stringify(disabled.body));

      assert.equal((await tick(stack)).opened, 1);
      const health = await healthOf(stack, flows.drifted);
      assert.equal(health.status, 'DRIFTED');
      assert.deepEqual(
        health.reasons.map((r: any) => r.code),
        ['STATE_CHANGED'],
      );
      assert.match(health.reasons[0].message, /disabled on the Platform, but Flowgate enabled it/);
      const { alerts } = await alertsOf(stack, { dataflowId: flows.drifted });
      assert.deepEqual(
        alerts.map((a) => [a.status, a.health, a.severity]),
        [['OPEN', 'DRIFTED', 'WARNING']],
      );
      const [opened] = await raised.take(1);
      assert.deepEqual([opened.change, opened.alert.dataflowId], ['ALERT_OPENED', flows.drifted]);
      for (const id of [flows.revoked, flows.quietCharges, flows.quietRefunds]) assert.equal((await healthOf(stack, id)).status, 'HEALTHY');
    });

    it('a revoked Stripe key makes its dataflow FAILING at the first failed run, naming the credential', async () => {
      await stack.control('POST', '/stripe/accounts', { accessToken: keys.revoked, state: 'revoked' });
      await advance(stack, HOUR);
      await tick(stack);
      const health = await healthOf(stack, flows.revoked);
      assert.equal(health.status, 'FAILING');
      assert.equal(health.consecutiveFailures, 1);
      assert.equal(health.reasons[0].code, 'CREDENTIAL_REJECTED');
      assert.match(health.reasons[0].message, /rejected the credential \(the Stripe key of the base connection\).*CONNECTOR-2001-500/);
      const { alerts } = await alertsOf(stack, { dataflowId: flows.revoked });
      assert.deepEqual(
        alerts.map((a) => [a.status, a.health, a.severity]),
        [['OPEN', 'FAILING', 'CRITICAL']],
      );
      assert.ok(!JSON.stringify(health).includes(keys.revoked), 'the key itself is never shown');
    });

    it('successful runs that read 0 records make a dataflow SILENT; for refunds, where that can be normal, it is reported apart as INFO', async () => {
      for (const key of [keys.quietCharges, keys.quietRefunds]) await stack.control('POST', '/stripe/accounts', { accessToken: key, state: 'dormant' });
      await advance(stack, 3 * HOUR);
      await tick(stack);
      const charges = await healthOf(stack, flows.quietCharges);
      assert.equal(charges.status, 'SILENT');
      assert.equal(charges.consecutiveEmptyRuns, 3);
      assert.equal(charges.emptyRunsMayBeNormal, false);
      assert.deepEqual(
        charges.reasons.map((r: any) => r.code),
        ['EMPTY_RUNS'],
      );
      const refunds = await healthOf(stack, flows.quietRefunds);
      assert.equal(refunds.status, 'SILENT');
      assert.equal(refunds.emptyRunsMayBeNormal, true);
      assert.deepEqual(
        refunds.reasons.map((r: any) => r.code),
        ['EMPTY_RUNS_MAY_BE_NORMAL'],
      );
      assert.deepEqual(
        (await alertsOf(stack, { dataflowId: flows.quietCharges })).alerts.map((a) => [a.health, a.severity]),
        [['SILENT', 'WARNING']],
      );
      assert.deepEqual(
        (await alertsOf(stack, { dataflowId: flows.quietRefunds })).alerts.map((a) => [a.health, a.severity]),
        [['SILENT', 'INFO']],
      );
      assert.equal((await alertsOf(stack, { severity: 'INFO' })).totalCount, 1);
    });

    it('keeps one alert per dataflow while its problem grows, updating it (the drifted flow’s runs are now overdue too)', async () => {
      const health = await healthOf(stack, flows.drifted);
      assert.equal(health.status, 'DRIFTED');
      assert.deepEqual(
        health.reasons.map((r: any) => r.code),
        ['STATE_CHANGED', 'RUN_OVERDUE'],
      );
      const { totalCount, alerts } = await alertsOf(stack, { dataflowId: flows.drifted });
      assert.equal(totalCount, 1);
      assert.equal(alerts[0].updates, 1);
      assert.equal((await alertsOf(stack, { status: 'OPEN' })).totalCount, 4);
    });

    it('enabling the drifted dataflow again through Flowgate resolves its alert once its runs resume', async () => {
      const raised = await listen(stack, flows.drifted);
      const { enableDataflow } = await stack.data('mutation($id: ID!) { enableDataflow(id: $id) { id } }', { id: flows.drifted });
      assert.equal((await stack.waitForOperation(enableDataflow.id)).status, 'SUCCEEDED');
      await advance(stack, HOUR);
      await tick(stack);
      assert.equal((await healthOf(stack, flows.drifted)).status, 'HEALTHY');
      const { totalCount, alerts } = await alertsOf(stack, { dataflowId: flows.drifted });
      assert.equal(totalCount, 1);
      assert.equal(alerts[0].status, 'RESOLVED');
      const [resolved] = await raised.take(1);
      assert.equal(resolved.change, 'ALERT_RESOLVED');
    });

    it('disabling a failing dataflow through Flowgate pauses it (nothing is expected of it) and resolves its alert', async () => {
      const { disableDataflow } = await stack.data('mutation($id: ID!) { disableDataflow(id: $id) { id } }', { id: flows.revoked });
      assert.equal((await stack.waitForOperation(disableDataflow.id)).status, 'SUCCEEDED');
      await advance(stack, 3 * HOUR);
      await tick(stack);
      const health = await healthOf(stack, flows.revoked);
      assert.equal(health.status, 'PAUSED');
      assert.equal(health.expectedNextRunAt, null);
      assert.deepEqual(
        health.reasons.map((r: any) => r.code),
        ['DISABLED_THROUGH_FLOWGATE'],
      );
      assert.equal((await alertsOf(stack, { dataflowId: flows.revoked })).alerts[0].status, 'RESOLVED');
    });

    it('refuses a filter naming something that is not a dataflow id, naming the field', async () => {
      const result = await stack.gql('{ alerts(filter: { dataflowId: "not-an-id" }) { totalCount } }');
      assert.equal(result.errors?.[0]?.extensions?.code, 'BAD_USER_INPUT');
      assert.equal(result.errors?.[0]?.extensions?.field, 'filter.dataflowId');
    });
  });
});
