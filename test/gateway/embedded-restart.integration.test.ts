import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { Client } from 'pg';
import { deleteKeys, dropDatabase, freePort, withDatabase } from '../support/local-services.js';
import { spawnEmbeddedFlowgate, type ChildFlowgate } from './support/child-process.js';
import { OPERATION_FIELDS, PG_ADMIN_URL, REDIS_URL } from './support/stack.js';

/**
 * Issue 12, part 3: restarting `npm start` keeps the local Platform. The embedded stack runs as
 * the real process `npm start` runs (gateway, worker and emulator in one); it onboards Stripe
 * charges, runs them, is stopped and started again on the same database, and every resource it
 * made is then still usable: updated, run and synced, disabled, deleted. A reset of the emulator
 * still wipes its state.
 */
describe('restarting the embedded stack (npm start)', () => {
  const database = `fg_restart_${randomBytes(5).toString('hex')}`;
  const prefix = `fgrestart-${randomBytes(4).toString('hex')}`;
  const stripeKey = `sk_test_Restart${randomBytes(6).toString('hex')}`;
  let env: Record<string, string>;
  let process_: ChildFlowgate | null = null;
  let adminKey = '';
  let emulatorUrl = '';
  let onboarding: any;
  let dataflowId = '';
  let connectionId = '';

  const start = async () => {
    process_ = await spawnEmbeddedFlowgate(env);
    const printed = process_.output.join('\n').match(/fgk_[A-Za-z0-9_-]+/);
    if (printed) adminKey = printed[0];
  };
  const stop = async () => {
    assert.equal(await process_!.stop('SIGTERM'), 0, 'npm start stops cleanly on SIGTERM');
    process_ = null;
  };
  const gql = async (query: string, variables: Record<string, unknown> = {}) => {
    const response = await fetch(process_!.url!, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${adminKey}` }, body: JSON.stringify({ query, variables }) });
    const body = (await response.json()) as { data?: any; errors?: unknown[] };
    if (body.errors) throw new Error(JSON.stringify(body.errors));
    return body.data;
  };
  const control = async (method: string, path: string, body?: unknown) => {
    const response = await fetch(`${emulatorUrl}/__emulator${path}`, {
      method,
      headers: body === undefined ? {} : { 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return response.json();
  };
  const waitFor = async <T>(read: () => Promise<T>, done: (value: T) => boolean, what: string, timeoutMs = 30_000): Promise<T> => {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const value = await read();
      if (done(value)) return value;
      if (Date.now() > deadline) throw new Error(`${what}: ${JSON.stringify(value)}`);
      await new Promise((r) => setTimeout(r, 200));
    }
  };
  const operation = (id: string) =>
    waitFor(
      async () => (await gql(`query($id: ID!) { operation(id: $id) { ${OPERATION_FIELDS} } }`, { id })).operation,
      (o) => ['SUCCEEDED', 'FAILED'].includes(o.status),
      `operation ${id}`,
    );
  const succeeded = async (mutation: string, variables: Record<string, unknown>) => {
    const data = await gql(mutation, variables);
    const done = await operation((Object.values(data)[0] as { id: string }).id);
    assert.equal(done.status, 'SUCCEEDED', JSON.stringify(done.error));
    return done;
  };
  const dataflow = async () =>
    (
      await gql(
        `query($id: ID!) { dataflow(id: $id) { id platformId state etag schedule { frequency interval } runs(first: 50) { totalCount edges { node { platformId status recordsRead recordsWritten } } } } }`,
        { id: dataflowId },
      )
    ).dataflow;

  before(async () => {
    const emulatorPort = await freePort();
    emulatorUrl = `http://127.0.0.1:${emulatorPort}`;
    env = {
      DATABASE_URL: withDatabase(PG_ADMIN_URL, database),
      REDIS_URL,
      PORT: '0',
      EMULATOR_PORT: String(emulatorPort),
      QUEUE_PREFIX: prefix,
      LOG_LEVEL: 'info',
      FLOWGATE_SECRET_KEY: randomBytes(32).toString('hex'),
      RUN_SYNC_INTERVAL_SECONDS: '1',
    };
    await start();
    assert.ok(adminKey, 'the first start prints an admin key');
    await control('POST', '/clock', { now: Math.floor(Date.now() / 1000) });
    const { onboardStripe } = await gql(`mutation($input: OnboardStripeInput!) { onboardStripe(input: $input) { id } }`, {
      input: { name: 'Restart', accessToken: stripeKey, resources: ['CHARGES'], schedule: { frequency: 'HOUR', interval: 1 } },
    });
    onboarding = await waitFor(
      async () => (await gql(`query($id: ID!) { onboarding(id: $id) { status connection { id } dataflows { id } steps { key resourceId } error { message } } }`, { id: onboardStripe.id })).onboarding,
      (o) => ['SUCCEEDED', 'FAILED', 'ROLLED_BACK'].includes(o.status),
      'onboarding',
    );
    assert.equal(onboarding.status, 'SUCCEEDED', JSON.stringify(onboarding.error));
    dataflowId = onboarding.dataflows[0].id;
    connectionId = onboarding.connection.id;
    // The first run (a day of history) happens and is synced before the restart.
    await control('POST', '/clock', { advanceSeconds: 60 + 120 });
    await waitFor(dataflow, (d) => d.runs.edges.some((e: any) => e.node.status !== 'IN_PROGRESS'), 'the first run is synced');
  });
  after(async () => {
    await process_?.stop('SIGKILL');
    await dropDatabase(PG_ADMIN_URL, database).catch(() => undefined);
    await deleteKeys(REDIS_URL, `{${prefix}}*`);
  });

  it('finds after a restart every resource, run and dataset record the emulator held, and its clock', async () => {
    const before = { resources: await control('GET', '/resources'), clock: await control('GET', '/clock'), flow: await dataflow() };
    await stop();
    await start();
    assert.deepEqual(await control('GET', '/resources'), before.resources);
    assert.deepEqual(await control('GET', '/clock'), before.clock);
    const after = await dataflow();
    assert.deepEqual(after.runs, before.flow.runs);
    // Flowgate's records and the Platform agree: the flow it lists exists there.
    assert.equal((await control('GET', '/resources')).partitions[0].flows, 1);
    assert.ok(after.platformId);
  });

  it('updates the connection and the dataflow on the Platform after the restart', async () => {
    await succeeded(`mutation($id: ID!) { updateConnection(id: $id, input: { name: "Restart (renamed)" }) { id } }`, { id: connectionId });
    await succeeded(`mutation($id: ID!) { updateDataflow(id: $id, input: { schedule: { frequency: MINUTE, interval: 30 } }) { id } }`, { id: dataflowId });
    const flow = await dataflow();
    assert.deepEqual(flow.schedule, { frequency: 'MINUTE', interval: 30 });
  });

  it('runs the dataflow on its new schedule and syncs the runs', async () => {
    const runsBefore = (await dataflow()).runs.totalCount;
    await control('POST', '/clock', { advanceSeconds: 2 * 3600 });
    const flow = await waitFor(dataflow, (d) => d.runs.totalCount > runsBefore && d.runs.edges.every((e: any) => e.node.status !== 'IN_PROGRESS'), 'new runs are synced');
    for (const { node } of flow.runs.edges) {
      assert.equal(node.status, 'SUCCESS');
      assert.equal(node.recordsRead, node.recordsWritten);
    }
  });

  it('makes a second dataflow of the source connection, target connection and mapping the onboarding made before the restart', async () => {
    const step = (key: string) => onboarding.steps.find((s: { key: string }) => s.key === key).resourceId as string;
    // The emulator's clock is ahead of real time by now: start after it.
    const startTime = new Date(((await control('GET', '/clock')).now + 60) * 1000).toISOString();
    const done = await succeeded(`mutation($input: CreateDataflowInput!) { createDataflow(input: $input) { id } }`, {
      input: {
        name: 'Charges again',
        sourceConnectionId: step('charges:source-connection'),
        targetConnectionId: step('charges:target-connection'),
        mappingId: step('charges:mapping'),
        schedule: { frequency: 'ONCE', startTime },
      },
    });
    const { dataflow: second } = await gql(`query($id: ID!) { dataflow(id: $id) { platformId state } }`, { id: done.resourceId });
    assert.equal(second.state, 'ENABLED');
    assert.ok(second.platformId);
    assert.equal((await control('GET', '/resources')).partitions[0].flows, 2);
  });

  it('disables and deletes the dataflow, then deletes the connection with what uses it', async () => {
    await succeeded(`mutation($id: ID!) { disableDataflow(id: $id) { id } }`, { id: dataflowId });
    assert.equal((await dataflow()).state, 'DISABLED');
    await succeeded(`mutation($id: ID!) { deleteDataflow(id: $id) { id } }`, { id: dataflowId });
    await succeeded(`mutation($id: ID!) { deleteConnection(id: $id, cascade: true) { id } }`, { id: connectionId });
    const partition = (await control('GET', '/resources')).partitions[0];
    assert.equal(partition.flows, 0, 'the cascade took the second dataflow too');
    assert.equal(partition.connections, 0);
  });

  it('keeps the Stripe key sealed in the emulator schema of the database', async () => {
    const client = new Client({ connectionString: env.DATABASE_URL });
    await client.connect();
    try {
      const { rows } = await client.query<{ value: string }>('SELECT value FROM aep_emulator.entries');
      assert.ok(rows.length > 0);
      assert.ok(!rows.some((r) => r.value.includes(stripeKey)));
    } finally {
      await client.end();
    }
  });

  it('forgets everything after POST /__emulator/reset, also across a restart', async () => {
    await control('POST', '/reset');
    await stop();
    await start();
    assert.deepEqual((await control('GET', '/resources')).partitions, []);
  });
});
