import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { buildFlowChain, freezeEmulatorClock, mutateAndWait, type FlowChain } from './support/prerequisites.js';
import { TestStack } from './support/stack.js';

const RUN_FIELDS = 'id platformId dataflowId status startedAt completedAt durationMs recordsRead recordsWritten recordsFailed inputBytes outputBytes errors { code message recordCount }';
const EVERY = 15 * 60;

describe('flow runs through the GraphQL API', () => {
  let stack: TestStack;
  let chain: FlowChain;
  let dataflowId: string;
  let start: number;

  before(async () => {
    stack = await TestStack.start();
    chain = await buildFlowChain(stack);
    // From here on, runs happen only when the test moves the emulator clock.
    start = (await freezeEmulatorClock(stack)) + 60;
    const done = await mutateAndWait(stack, 'createDataflow', 'CreateDataflowInput', {
      name: 'Charges every 15 minutes',
      sourceConnectionId: chain.source.id,
      targetConnectionId: chain.target.id,
      mappingId: chain.mapping.id,
      schedule: { frequency: 'MINUTE', interval: 15, startTime: new Date(start * 1000).toISOString() },
    });
    dataflowId = done.resourceId;
  });
  after(() => stack.stop());

  const flowRuns = async (variables: Record<string, unknown> = {}) =>
    (
      await stack.data(
        `query($id: ID!, $first: Int, $after: String, $filter: FlowRunFilter) { flowRuns(dataflowId: $id, first: $first, after: $after, filter: $filter) { totalCount pageInfo { hasNextPage endCursor } edges { cursor node { ${RUN_FIELDS} } } } }`,
        { id: dataflowId, ...variables },
      )
    ).flowRuns;
  const recordsByRun = async () => {
    const { records } = await stack.control('GET', `/datasets/${chain.dataset.platformId}/records`);
    const counts = new Map<string, number>();
    for (const r of records as { runId: string }[]) counts.set(r.runId, (counts.get(r.runId) ?? 0) + 1);
    return counts;
  };

  it('has no runs before its start time', async () => {
    assert.equal(await stack.syncRuns(), 0);
    const page = await flowRuns();
    assert.equal(page.totalCount, 0);
    assert.deepEqual(page.edges, []);
    assert.equal((await stack.data('query($id: ID!) { dataflow(id: $id) { lastRun { id } } }', { id: dataflowId })).dataflow.lastRun, null);
  });

  it('shows the runs of an hour, newest first, with the records each one wrote into the dataset', async () => {
    await stack.control('POST', '/clock', { advanceSeconds: 3600 });
    assert.equal(await stack.syncRuns(), 4);

    const page = await flowRuns();
    assert.equal(page.totalCount, 4);
    const runs = page.edges.map((e: any) => e.node);
    assert.deepEqual(
      runs.map((r: any) => Date.parse(r.startedAt) / 1000),
      [3, 2, 1, 0].map((k) => start + k * EVERY),
      'one run per 15 minutes from the start time, newest first',
    );
    const written = await recordsByRun();
    for (const run of runs) {
      assert.equal(run.dataflowId, dataflowId);
      assert.ok(['SUCCESS', 'PARTIAL_SUCCESS'].includes(run.status), run.status);
      assert.ok(run.completedAt && run.durationMs > 0);
      assert.equal(run.recordsWritten, written.get(run.platformId) ?? 0, `records of run ${run.platformId} in the dataset`);
      assert.equal(run.recordsRead, run.recordsWritten + run.recordsFailed);
      assert.equal(run.status === 'PARTIAL_SUCCESS', run.recordsFailed > 0);
    }
    assert.ok(runs[3].recordsWritten > runs[0].recordsWritten, 'the first run back-fills a day of history');
    assert.equal(
      [...written.values()].reduce((a, b) => a + b, 0),
      runs.reduce((sum: number, r: any) => sum + r.recordsWritten, 0),
      'the dataset holds exactly what the runs report',
    );
  });

  it('syncing again changes nothing', async () => {
    assert.equal(await stack.syncRuns(), 0);
    assert.equal((await flowRuns()).totalCount, 4);
  });

  it('pages through the runs and shows the newest as the dataflow’s lastRun', async () => {
    const first = await flowRuns({ first: 3 });
    assert.equal(first.edges.length, 3);
    assert.equal(first.pageInfo.hasNextPage, true);
    const rest = await flowRuns({ first: 3, after: first.pageInfo.endCursor });
    assert.equal(rest.edges.length, 1);
    assert.equal(rest.pageInfo.hasNextPage, false);
    const all = [...first.edges, ...rest.edges].map((e: any) => e.node.id);
    assert.equal(new Set(all).size, 4);

    const { dataflow } = await stack.data('query($id: ID!) { dataflow(id: $id) { lastRun { id } runs(first: 2) { totalCount edges { node { id } } } } }', { id: dataflowId });
    assert.equal(dataflow.lastRun.id, all[0]);
    assert.deepEqual(
      dataflow.runs.edges.map((e: any) => e.node.id),
      all.slice(0, 2),
    );
    assert.equal(dataflow.runs.totalCount, 4);
  });

  it('filters runs by status and reads one run with its dataflow', async () => {
    const all = (await flowRuns()).edges.map((e: any) => e.node);
    for (const status of ['SUCCESS', 'PARTIAL_SUCCESS', 'FAILED']) {
      const page = await flowRuns({ filter: { status } });
      assert.equal(page.totalCount, all.filter((r: any) => r.status === status).length, status);
    }
    const { flowRun } = await stack.data(`query($id: ID!) { flowRun(id: $id) { id platformId dataflow { id name } } }`, { id: all[1].id });
    assert.deepEqual(flowRun, { id: all[1].id, platformId: all[1].platformId, dataflow: { id: dataflowId, name: 'Charges every 15 minutes' } });
    assert.equal((await stack.data('{ flowRun(id: "00000000-0000-4000-8000-000000000000") { id } }')).flowRun, null);
  });

  it('tells a flowRunUpdated subscriber the latest run first, then each new run the sync finds', async () => {
    const latest = (await flowRuns({ first: 1 })).edges[0].node;
    let firstSeen!: () => void;
    const subscribed = new Promise<void>((resolve) => (firstSeen = resolve));
    const messages = stack.collect<{ flowRunUpdated: any }>(
      'subscription($id: ID!) { flowRunUpdated(dataflowId: $id) { id platformId status startedAt recordsWritten } }',
      { id: dataflowId },
      (_message, all) => {
        if (all.length === 1) firstSeen();
        return all.length >= 3;
      },
    );
    await subscribed;
    await stack.control('POST', '/clock', { advanceSeconds: 2 * EVERY });
    assert.equal(await stack.syncRuns(), 2);

    const received = (await messages).map((m) => m.flowRunUpdated);
    assert.equal(received[0].id, latest.id, 'the first message is the latest known run');
    const fresh = received.slice(1);
    assert.deepEqual(
      fresh.map((r) => Date.parse(r.startedAt) / 1000),
      [start + 4 * EVERY, start + 5 * EVERY],
    );
    const stored = (await flowRuns({ first: 2 })).edges.map((e: any) => e.node);
    assert.deepEqual(
      fresh.map((r) => r.id).reverse(),
      stored.map((r: any) => r.id),
    );
    assert.deepEqual(
      fresh.map((r) => r.recordsWritten).reverse(),
      stored.map((r: any) => r.recordsWritten),
    );
  });

  it('finds no new runs while the dataflow is disabled', async () => {
    assert.equal((await act('disableDataflow')).status, 'SUCCEEDED');
    const before = (await flowRuns()).totalCount;
    await stack.control('POST', '/clock', { advanceSeconds: 3600 });
    assert.equal(await stack.syncRuns(), 0);
    assert.equal((await flowRuns()).totalCount, before);
  });

  it('keeps the runs of a deleted dataflow, including those it had not synced yet', async () => {
    assert.equal((await act('enableDataflow')).status, 'SUCCEEDED');
    const before = (await flowRuns()).totalCount;
    // Enabled 60 s before a point of its 15-minute grid: it runs once within the next 14 minutes.
    await stack.control('POST', '/clock', { advanceSeconds: EVERY - 60 });
    assert.equal((await act('deleteDataflow')).status, 'SUCCEEDED');
    const page = await flowRuns();
    assert.equal(page.totalCount, before + 1, 'the delete synced the last run before the flow went away');
    const { dataflow } = await stack.data('query($id: ID!) { dataflow(id: $id) { state lastRun { id } } }', { id: dataflowId });
    assert.equal(dataflow.state, 'DELETED');
    assert.equal(dataflow.lastRun.id, page.edges[0].node.id);
  });

  it('refuses runs of an unknown dataflow with NOT_FOUND naming dataflowId', async () => {
    const result = await stack.gql('{ flowRuns(dataflowId: "00000000-0000-4000-8000-000000000000") { totalCount } }');
    assert.equal(result.errors?.[0]?.extensions?.code, 'NOT_FOUND');
    assert.equal(result.errors?.[0].extensions?.field, 'dataflowId');
  });

  async function act(mutation: 'enableDataflow' | 'disableDataflow' | 'deleteDataflow'): Promise<any> {
    const result = await stack.gql(`mutation($id: ID!) { ${mutation}(id: $id) { id } }`, { id: dataflowId });
    assert.equal(result.errors, undefined, JSON.stringify(result.errors));
    return stack.waitForOperation(result.data[mutation].id);
  }
});
