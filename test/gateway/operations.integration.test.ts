import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { spawnFlowgate } from './support/child-process.js';
import { OPERATION_FIELDS, TestStack } from './support/stack.js';

const KEY = 'sk_test_51OperationsSuiteKey001';
const CREATE = `mutation($input: CreateConnectionInput!) { createConnection(input: $input) { ${OPERATION_FIELDS} } }`;
const WATCH = `subscription($id: ID!) { operationUpdated(id: $id) { id status progress attempts message error { code platformCode } } }`;
const FLOW = '/data/foundation/flowservice';

describe('operations', () => {
  let stack: TestStack;
  before(async () => {
    stack = await TestStack.start();
  });
  after(() => stack.stop());
  const createConnection = async (name: string) => (await stack.data(CREATE, { input: { name, accessToken: KEY } })).createConnection;
  const countOnPlatform = async (name: string) => {
    const form = new URLSearchParams({ grant_type: 'client_credentials', client_id: 'flowgate-local', client_secret: 'flowgate-local-secret', scope: 'openid' });
    const token = ((await (await fetch(`${stack.emulator.url}/ims/token/v3`, { method: 'POST', body: form })).json()) as { access_token: string }).access_token;
    const url = new URL(`${stack.emulator.url}${FLOW}/connections`);
    url.searchParams.set('property', `name~^${name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} \\[fg:`);
    const response = await fetch(url, {
      headers: { authorization: `Bearer ${token}`, 'x-api-key': 'flowgate-local', 'x-gw-ims-org-id': 'FLOWGATE0000000000000000@AdobeOrg', 'x-sandbox-name': 'prod' },
    });
    return ((await response.json()) as { items: unknown[] }).items.length;
  };

  describe('operationUpdated', () => {
    it('sends a late subscriber the current state first', async () => {
      const queued = await createConnection('late subscriber');
      await stack.waitForOperation(queued.id);
      const [first] = await stack.collect(WATCH, { id: queued.id }, () => true);
      assert.equal(first.operationUpdated.status, 'SUCCEEDED');
      assert.equal(first.operationUpdated.progress, 1);
    });

    it('streams every change until SUCCEEDED, never going backwards', async () => {
      await stack.control('POST', '/faults', { method: 'POST', path: `${FLOW}/connections`, latencyMs: 300, count: 1 });
      const queued = await createConnection('streamed');
      const messages = await stack.collect(WATCH, { id: queued.id }, (m) => m.operationUpdated.status === 'SUCCEEDED');
      const statuses = messages.map((m) => m.operationUpdated.status);
      assert.equal(statuses.at(-1), 'SUCCEEDED');
      assert.ok(statuses.includes('RUNNING') || statuses[0] === 'QUEUED', statuses.join(','));
      const order = ['QUEUED', 'RUNNING', 'SUCCEEDED'];
      for (let i = 1; i < statuses.length; i++) assert.ok(order.indexOf(statuses[i]) >= order.indexOf(statuses[i - 1]), statuses.join(','));
    });

    it('answers NOT_FOUND for an unknown operation', async () => {
      await assert.rejects(
        stack.collect(WATCH, { id: '00000000-0000-4000-8000-000000000000' }, () => true, 5000),
        /NOT_FOUND|not found/,
      );
    });
  });

  describe('when the Platform misbehaves', () => {
    it('honours 429 with Retry-After and succeeds', async () => {
      await stack.control('POST', '/faults', { method: 'POST', path: `${FLOW}/connections`, status: 429, retryAfterSeconds: 1, count: 1 });
      const done = await stack.waitForOperation((await createConnection('rate limited')).id);
      assert.equal(done.status, 'SUCCEEDED');
      const log = (await stack.control('GET', `/requests?method=POST&path=${FLOW}/connections`)).requests;
      const [limited, accepted] = log.slice(-2);
      assert.equal(limited.status, 429);
      assert.equal(accepted.status, 201);
      assert.ok(Date.parse(accepted.time) - Date.parse(limited.time) >= 900, 'the retry waited for Retry-After');
    });

    it('rides out a burst of 503s', async () => {
      await stack.control('POST', '/faults', { method: 'POST', path: `${FLOW}/connections`, status: 503, count: 5 });
      const done = await stack.waitForOperation((await createConnection('burst')).id, 60_000);
      assert.equal(done.status, 'SUCCEEDED');
      assert.equal(await countOnPlatform('burst'), 1);
    });

    it('survives connection resets on the create without creating twice', async () => {
      await stack.control('POST', '/faults', { method: 'POST', path: `${FLOW}/connections`, mode: 'reset', count: 2 });
      const done = await stack.waitForOperation((await createConnection('reset twice')).id, 60_000);
      assert.equal(done.status, 'SUCCEEDED');
      assert.equal(await countOnPlatform('reset twice'), 1);
    });

    it('finds the connection a lost response created instead of creating a duplicate (commit-then-drop)', async () => {
      await stack.control('POST', '/faults', { method: 'POST', path: `${FLOW}/connections`, mode: 'commit-then-drop', count: 1 });
      const done = await stack.waitForOperation((await createConnection('dropped answer')).id, 60_000);
      assert.equal(done.status, 'SUCCEEDED');
      assert.equal(await countOnPlatform('dropped answer'), 1);
      const [row] = await stack.sql<{ platform_id: string }>("SELECT platform_id FROM resources WHERE name = 'dropped answer'");
      assert.ok(row?.platform_id);
    });

    it('gets a new token when every token expired', async () => {
      await stack.control('POST', '/tokens/expire');
      const done = await stack.waitForOperation((await createConnection('after expiry')).id);
      assert.equal(done.status, 'SUCCEEDED');
    });

    it('fails at once, without retrying, when the Platform refuses with a 400, keeping the Platform code', async () => {
      await stack.control('POST', '/faults', { method: 'POST', path: `${FLOW}/connections`, status: 400, count: 1 });
      const before = (await stack.control('GET', `/requests?method=POST&path=${FLOW}/connections`)).requests.length;
      const done = await stack.waitForOperation((await createConnection('refused')).id);
      assert.equal(done.status, 'FAILED');
      assert.equal(done.attempts, 1);
      assert.equal(done.error.code, 'PLATFORM_REJECTED');
      assert.equal(done.error.platformStatus, 400);
      assert.equal(done.error.platformCode, '1400-400');
      assert.equal(done.error.retryable, false);
      const after = (await stack.control('GET', `/requests?method=POST&path=${FLOW}/connections`)).requests.length;
      assert.equal(after - before, 1, 'one POST: no retry');
      const { connection } = await stack.data('query($id: ID!) { connection(id: $id) { state } }', { id: done.resourceId });
      assert.equal(connection.state, 'FAILED');
    });

    it('retryOperation runs a FAILED operation again and it succeeds', async () => {
      await stack.control('POST', '/faults', { method: 'POST', path: `${FLOW}/connections`, status: 400, count: 1 });
      const failed = await stack.waitForOperation((await createConnection('second chance')).id);
      assert.equal(failed.status, 'FAILED');
      const retried = (await stack.data(`mutation($id: ID!) { retryOperation(id: $id) { ${OPERATION_FIELDS} } }`, { id: failed.id })).retryOperation;
      assert.equal(retried.id, failed.id);
      const done = await stack.waitForOperation(failed.id);
      assert.equal(done.status, 'SUCCEEDED');
      const { connection } = await stack.data('query($id: ID!) { connection(id: $id) { state } }', { id: done.resourceId });
      assert.equal(connection.state, 'ENABLED');
      const again = await stack.gql(`mutation($id: ID!) { retryOperation(id: $id) { id } }`, { id: failed.id });
      assert.equal(again.errors?.[0]?.extensions?.code, 'PRECONDITION_FAILED');
    });
  });

  describe('operations query', () => {
    it('filters by status and type and pages newest first', async () => {
      const { operations } = await stack.data(
        '{ operations(first: 3, filter: { status: SUCCEEDED, type: CREATE_CONNECTION }) { totalCount pageInfo { hasNextPage endCursor } edges { node { status type createdAt } } } }',
      );
      assert.ok(operations.totalCount >= 3);
      for (const { node } of operations.edges) assert.deepEqual([node.status, node.type], ['SUCCEEDED', 'CREATE_CONNECTION']);
      const times = operations.edges.map((e: any) => Date.parse(e.node.createdAt));
      assert.deepEqual(
        times,
        [...times].sort((a, b) => b - a),
      );
      const forged = await stack.gql('{ operations(after: "bm90LWEtY3Vyc29y") { totalCount } }');
      assert.equal(forged.errors?.[0]?.extensions?.code, 'BAD_USER_INPUT');
      const huge = await stack.gql('{ operations(first: 1000) { totalCount } }');
      assert.equal(huge.errors?.[0]?.extensions?.field, 'first');
    });
  });

  describe('health', () => {
    it('/healthz answers ok and /readyz checks database, Redis and the Platform', async () => {
      const base = stack.url.replace('/graphql', '');
      assert.deepEqual(await (await fetch(`${base}/healthz`)).json(), { status: 'ok' });
      const ready = await (await fetch(`${base}/readyz`, { headers: stack.auth(stack.adminKey) })).json();
      assert.equal(ready.ready, true);
      assert.deepEqual(Object.keys(ready.checks).sort(), ['database', 'platform', 'redis']);
      assert.deepEqual(ready.notReady, []);
      // A load balancer (no credential) gets the verdict only, not what is behind it.
      assert.deepEqual(await (await fetch(`${base}/readyz`)).json(), { ready: true });
    });
  });
});

describe('several processes of one deployment', () => {
  let gatewayA: TestStack;
  before(async () => {
    gatewayA = await TestStack.start({ roles: { gateway: true, worker: false } });
  });
  after(() => gatewayA.stop());

  it('a subscription on gateway B sees an operation started through gateway A, carried out by a separate worker', async () => {
    const gatewayB = await spawnFlowgate('gateway', gatewayA);
    const worker = await spawnFlowgate('worker', gatewayA);
    try {
      const { createClient } = await import('graphql-ws');
      const WebSocket = (await import('ws')).default;
      // Connected before the operation starts, so B can see it in progress, not only finished.
      const clientB = createClient({
        url: gatewayB.url!.replace(/^http/, 'ws'),
        webSocketImpl: WebSocket,
        retryAttempts: 0,
        lazy: false,
        connectionParams: { authorization: `Bearer ${gatewayA.adminKey}` },
      });
      await new Promise<void>((resolve) => clientB.on('connected', () => resolve()));
      await gatewayA.control('POST', '/faults', { method: 'POST', path: `${FLOW}/connections`, latencyMs: 1500, count: 1 });
      const queued = (await gatewayA.data(CREATE, { input: { name: 'across processes', accessToken: KEY } })).createConnection;
      const messages = await gatewayA.collect(WATCH, { id: queued.id }, (m) => m.operationUpdated.status === 'SUCCEEDED', 20_000, clientB);
      await clientB.dispose();
      assert.equal(messages.at(-1).operationUpdated.status, 'SUCCEEDED');
      assert.ok(messages.length >= 2, 'B saw the change happen, not only the final state');
    } finally {
      assert.equal(await gatewayB.stop(), 0);
      assert.equal(await worker.stop(), 0);
    }
  });

  it('a queued operation whose job was lost (Redis emptied) is picked up by a worker that starts later', async () => {
    const queued = (await gatewayA.data(CREATE, { input: { name: 'lost job', accessToken: KEY } })).createConnection;
    await gatewayA.process.deps.operationsQueue.obliterate({ force: true });
    assert.equal(await gatewayA.process.deps.operationsQueue.getJob(queued.id), undefined);
    const worker = await spawnFlowgate('worker', gatewayA);
    try {
      const done = await gatewayA.waitForOperation(queued.id);
      assert.equal(done.status, 'SUCCEEDED');
    } finally {
      await worker.stop();
    }
  });

  it('a worker told to stop finishes the job in flight before it exits', async () => {
    const worker = await spawnFlowgate('worker', gatewayA);
    await gatewayA.control('POST', '/faults', { method: 'POST', path: `${FLOW}/connections`, latencyMs: 2000, count: 1 });
    const queued = (await gatewayA.data(CREATE, { input: { name: 'graceful', accessToken: KEY } })).createConnection;
    for (let i = 0; i < 100; i++) {
      const { operation } = await gatewayA.data('query($id: ID!) { operation(id: $id) { status } }', { id: queued.id });
      if (operation.status === 'RUNNING') break;
      await new Promise((r) => setTimeout(r, 50));
    }
    const exitCode = await worker.stop('SIGTERM');
    assert.equal(exitCode, 0);
    const { operation } = await gatewayA.data('query($id: ID!) { operation(id: $id) { status } }', { id: queued.id });
    assert.equal(operation.status, 'SUCCEEDED');
  });
});
