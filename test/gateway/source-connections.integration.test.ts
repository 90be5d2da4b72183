import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createConnection, dropNextCreateAnswer, emulatorCounts, flowServiceResource, loggedRequests, operationCount } from './support/platform-reads.js';
import { OPERATION_FIELDS, TestStack, uniqueName } from './support/stack.js';

const SOURCE_CONNECTIONS_PATH = '/data/foundation/flowservice/sourceConnections';
const SOURCE_FIELDS = 'id platformId name description etag state resource sandbox createdAt';

describe('source connections through the GraphQL API', () => {
  let stack: TestStack;
  let connection: { id: string; platformId: string; name: string };

  before(async () => {
    stack = await TestStack.start();
    const name = uniqueName('Stripe US');
    const { id } = await createConnection(stack, name);
    const { connection: row } = await stack.data('query($id: ID!) { connection(id: $id) { id platformId name } }', { id });
    connection = row;
  });
  after(() => stack.stop());

  const create = (input: Record<string, unknown>) => stack.gql(`mutation($input: CreateSourceConnectionInput!) { createSourceConnection(input: $input) { ${OPERATION_FIELDS} } }`, { input });
  const sourceConnection = async (id: string) => (await stack.data(`query($id: ID!) { sourceConnection(id: $id) { ${SOURCE_FIELDS} } }`, { id })).sourceConnection;

  describe('createSourceConnection', () => {
    it('answers an operation at once, and the worker creates exactly that source connection on the Platform', async () => {
      const before = await emulatorCounts(stack);
      const result = await create({ connectionId: connection.id, resource: 'CHARGES', description: 'all charges' });
      assert.equal(result.errors, undefined);
      const queued = result.data.createSourceConnection;
      assert.equal(queued.type, 'CREATE_SOURCE_CONNECTION');
      assert.equal(queued.resourceType, 'SOURCE_CONNECTION');
      const done = await stack.waitForOperation(queued.id);
      assert.equal(done.status, 'SUCCEEDED', JSON.stringify(done.error));

      const source = await sourceConnection(queued.resourceId);
      assert.equal(source.state, 'ENABLED');
      assert.equal(source.resource, 'CHARGES');
      assert.equal(source.name, `${connection.name} charges`, 'the default name is "<connection name> <resource>"');
      assert.equal(source.description, 'all charges');

      const platform = await flowServiceResource(stack, 'sourceConnections', source.platformId);
      assert.equal(platform.etag, source.etag, 'the stored etag is the Platform’s');
      assert.equal(platform.baseConnectionId, connection.platformId);
      assert.equal(platform.params.resourcePath, 'charges');
      assert.equal(platform.data.format, 'json');
      assert.equal(platform.name, `${connection.name} charges [fg:${source.id}]`);
      assert.equal((await emulatorCounts(stack)).sourceConnections, before.sourceConnections + 1);
    });

    it('uses the name it is given', async () => {
      const queued = (await create({ connectionId: connection.id, resource: 'REFUNDS', name: '  Refunds feed  ' })).data.createSourceConnection;
      assert.equal((await stack.waitForOperation(queued.id)).status, 'SUCCEEDED');
      const source = await sourceConnection(queued.resourceId);
      assert.equal(source.name, 'Refunds feed');
      assert.equal(source.resource, 'REFUNDS');
    });

    it('waits for a base connection that is still being created, then reads through it', async () => {
      const pending = await createConnection(stack, uniqueName('Chained'), { wait: false });
      const queued = (await create({ connectionId: pending.id, resource: 'CUSTOMERS' })).data.createSourceConnection;
      const done = await stack.waitForOperation(queued.id);
      assert.equal(done.status, 'SUCCEEDED', JSON.stringify(done.error));
      const { connection: base } = await stack.data('query($id: ID!) { connection(id: $id) { platformId state } }', { id: pending.id });
      assert.equal(base.state, 'ENABLED');
      const source = await sourceConnection(queued.resourceId);
      assert.equal((await flowServiceResource(stack, 'sourceConnections', source.platformId)).baseConnectionId, base.platformId);
    });

    it('fails with DEPENDENCY_FAILED when the base connection it waits for fails, and creates nothing', async () => {
      // The connection's create is slowed down so the source connection is requested while it is PENDING, then refused.
      await stack.control('POST', '/faults', { method: 'POST', path: '/data/foundation/flowservice/connections', status: 400, latencyMs: 1000, count: 1 });
      const before = await emulatorCounts(stack);
      const doomed = await createConnection(stack, uniqueName('Doomed'), { wait: false });
      const result = await create({ connectionId: doomed.id, resource: 'CHARGES' });
      assert.equal(result.errors, undefined, 'a PENDING connection is accepted');
      const queued = result.data.createSourceConnection;

      assert.equal((await stack.waitForOperation(doomed.operationId)).status, 'FAILED');
      const done = await stack.waitForOperation(queued.id);
      assert.equal(done.status, 'FAILED');
      assert.equal(done.error.code, 'DEPENDENCY_FAILED');
      assert.equal(done.error.retryable, false);
      assert.equal((await sourceConnection(queued.resourceId)).state, 'FAILED');
      assert.equal((await emulatorCounts(stack)).sourceConnections, before.sourceConnections);
      await stack.control('DELETE', '/faults');
    });

    it('creates exactly one source connection when the Platform commits the create but the answer is lost', async () => {
      const before = await emulatorCounts(stack);
      await dropNextCreateAnswer(stack, SOURCE_CONNECTIONS_PATH);
      const queued = (await create({ connectionId: connection.id, resource: 'PRICES' })).data.createSourceConnection;
      const done = await stack.waitForOperation(queued.id);
      assert.equal(done.status, 'SUCCEEDED', JSON.stringify(done.error));
      const posts = await loggedRequests(stack, 'POST', SOURCE_CONNECTIONS_PATH);
      assert.deepEqual(
        posts.map((p) => p.fault?.mode),
        ['commit-then-drop'],
        'one create, whose answer was dropped; the worker found it instead of posting again',
      );
      await stack.control('DELETE', '/faults');
      assert.equal((await emulatorCounts(stack)).sourceConnections, before.sourceConnections + 1);
      const source = await sourceConnection(queued.resourceId);
      assert.equal((await flowServiceResource(stack, 'sourceConnections', source.platformId)).etag, source.etag);
    });

    it('returns the same operation for the same idempotencyKey and input, and refuses the key with another input', async () => {
      const input = { connectionId: connection.id, resource: 'SUBSCRIPTIONS', idempotencyKey: 'source-idem-1' };
      const first = (await create(input)).data.createSourceConnection;
      const second = (await create(input)).data.createSourceConnection;
      assert.equal(second.id, first.id);
      const other = await create({ ...input, resource: 'CHARGES' });
      assert.equal(other.errors?.[0]?.extensions?.code, 'IDEMPOTENCY_KEY_REUSED');
      await stack.waitForOperation(first.id);
    });

    describe('refuses bad input with a typed error naming the field, writing nothing', () => {
      const cases: [string, () => Record<string, unknown>, string, string | null][] = [
        ['an unknown connection', () => ({ connectionId: '00000000-0000-4000-8000-000000000000', resource: 'CHARGES' }), 'NOT_FOUND', 'input.connectionId'],
        ['a connection id that is not an id', () => ({ connectionId: 'conn-1', resource: 'CHARGES' }), 'NOT_FOUND', 'input.connectionId'],
        ['an empty name', () => ({ connectionId: connection.id, resource: 'CHARGES', name: ' ' }), 'BAD_USER_INPUT', 'input.name'],
        ['a name of 201 characters', () => ({ connectionId: connection.id, resource: 'CHARGES', name: 'n'.repeat(201) }), 'BAD_USER_INPUT', 'input.name'],
        ['a description of 1001 characters', () => ({ connectionId: connection.id, resource: 'CHARGES', description: 'd'.repeat(1001) }), 'BAD_USER_INPUT', 'input.description'],
        ['a malformed idempotency key', () => ({ connectionId: connection.id, resource: 'CHARGES', idempotencyKey: 'a b' }), 'BAD_USER_INPUT', 'input.idempotencyKey'],
        ['a resource that is not a Stripe resource', () => ({ connectionId: connection.id, resource: 'INVOICES' }), 'BAD_USER_INPUT', null],
      ];
      for (const [name, input, code, field] of cases) {
        it(`${name} → ${code}${field ? ` naming ${field}` : ''}`, async () => {
          const before = await operationCount(stack);
          const result = await create(input());
          assert.equal(result.data?.createSourceConnection ?? null, null);
          assert.equal(result.errors?.[0]?.extensions?.code, code, JSON.stringify(result.errors));
          if (field) assert.equal(result.errors?.[0].extensions?.field, field);
          assert.equal(await operationCount(stack), before);
        });
      }

      it('a connection that failed to be created → PRECONDITION_FAILED naming input.connectionId', async () => {
        await stack.control('POST', '/faults', { method: 'POST', path: '/data/foundation/flowservice/connections', status: 400, count: 1 });
        const failed = await createConnection(stack, uniqueName('Failed'), { wait: false });
        assert.equal((await stack.waitForOperation(failed.operationId)).status, 'FAILED');
        await stack.control('DELETE', '/faults');
        const before = await operationCount(stack);
        const result = await create({ connectionId: failed.id, resource: 'CHARGES' });
        assert.equal(result.errors?.[0]?.extensions?.code, 'PRECONDITION_FAILED');
        assert.equal(result.errors?.[0].extensions?.field, 'input.connectionId');
        assert.equal(await operationCount(stack), before);
      });
    });
  });

  describe('sourceConnections', () => {
    it('filters by connection, resource and state, newest first, with a total', async () => {
      const other = await createConnection(stack, uniqueName('Filter'));
      const ops = [];
      for (const resource of ['CHARGES', 'REFUNDS', 'CHARGES']) ops.push((await create({ connectionId: other.id, resource })).data.createSourceConnection);
      for (const op of ops) assert.equal((await stack.waitForOperation(op.id)).status, 'SUCCEEDED');

      const byConnection = (await stack.data('query($c: ID) { sourceConnections(filter: {connectionId: $c}) { totalCount edges { node { id resource } } } }', { c: other.id })).sourceConnections;
      assert.equal(byConnection.totalCount, 3);
      assert.deepEqual(
        byConnection.edges.map((e: any) => e.node.id),
        ops.map((o) => o.resourceId).reverse(),
        'newest first',
      );

      const charges = (await stack.data('query($c: ID) { sourceConnections(filter: {connectionId: $c, resource: CHARGES}) { totalCount edges { node { resource } } } }', { c: other.id }))
        .sourceConnections;
      assert.equal(charges.totalCount, 2);
      assert.ok(charges.edges.every((e: any) => e.node.resource === 'CHARGES'));

      const failed = (await stack.data('{ sourceConnections(filter: {state: FAILED}) { totalCount edges { node { state } } } }')).sourceConnections;
      assert.ok(failed.totalCount >= 1);
      assert.ok(failed.edges.every((e: any) => e.node.state === 'FAILED'));
      const pending = (await stack.data('query($c: ID) { sourceConnections(filter: {connectionId: $c, state: PENDING}) { totalCount } }', { c: other.id })).sourceConnections;
      assert.equal(pending.totalCount, 0);
    });

    it('pages with first/after without repeating or skipping', async () => {
      const all = (await stack.data('{ sourceConnections(first: 100) { totalCount edges { node { id } } } }')).sourceConnections;
      assert.ok(all.totalCount >= 4);
      const seen: string[] = [];
      let after: string | null = null;
      for (;;) {
        const page: any = (await stack.data('query($after: String) { sourceConnections(first: 2, after: $after) { pageInfo { hasNextPage endCursor } edges { node { id } } } }', { after }))
          .sourceConnections;
        seen.push(...page.edges.map((e: any) => e.node.id));
        if (!page.pageInfo.hasNextPage) break;
        after = page.pageInfo.endCursor;
      }
      assert.deepEqual(
        seen,
        all.edges.map((e: any) => e.node.id),
      );
    });

    it('refuses a connectionId filter that is not an id, and a forged cursor', async () => {
      const badFilter = await stack.gql('{ sourceConnections(filter: {connectionId: "nope"}) { totalCount } }');
      assert.equal(badFilter.errors?.[0]?.extensions?.field, 'filter.connectionId');
      const badCursor = await stack.gql('{ sourceConnections(after: "forged") { totalCount } }');
      assert.equal(badCursor.errors?.[0]?.extensions?.code, 'BAD_USER_INPUT');
    });
  });

  it('resolves its neighbours: the base connection, its dataflows, and the connection’s source connections', async () => {
    const queued = (await create({ connectionId: connection.id, resource: 'BALANCE_TRANSACTIONS' })).data.createSourceConnection;
    await stack.waitForOperation(queued.id);
    const { sourceConnection: source } = await stack.data('query($id: ID!) { sourceConnection(id: $id) { id connection { id name platformId } dataflows { id } } }', { id: queued.resourceId });
    assert.deepEqual(source.connection, connection);
    assert.deepEqual(source.dataflows, []);
    const { connection: base } = await stack.data('query($id: ID!) { connection(id: $id) { sourceConnections { id } } }', { id: connection.id });
    assert.ok(base.sourceConnections.some((s: { id: string }) => s.id === queued.resourceId));
  });

  it('sourceConnection(id) is null for an unknown id and for an id of another type', async () => {
    assert.equal(await sourceConnection('00000000-0000-4000-8000-000000000000'), null);
    assert.equal(await sourceConnection(connection.id), null);
  });
});
