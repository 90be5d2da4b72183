import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { OPERATION_FIELDS, TestStack } from './support/stack.js';

const STRIPE_KEY = 'sk_test_51GatewayConnectionKey0001';

describe('connections through the GraphQL API', () => {
  let stack: TestStack;
  before(async () => {
    stack = await TestStack.start();
  });
  after(() => stack.stop());

  const create = (input: Record<string, unknown>) => stack.gql(`mutation($input: CreateConnectionInput!) { createConnection(input: $input) { ${OPERATION_FIELDS} } }`, { input });

  describe('createConnection', () => {
    it('answers a QUEUED operation at once, and a worker creates the base connection on the Platform', async () => {
      const result = await create({ name: 'Stripe EU', description: 'EU account', accessToken: STRIPE_KEY });
      assert.equal(result.errors, undefined);
      const queued = result.data.createConnection;
      assert.equal(queued.type, 'CREATE_CONNECTION');
      assert.ok(['QUEUED', 'RUNNING', 'SUCCEEDED'].includes(queued.status));
      const done = await stack.waitForOperation(queued.id);
      assert.equal(done.status, 'SUCCEEDED', JSON.stringify(done.error));
      assert.equal(done.progress, 1);

      const { connection } = await stack.data(`query($id: ID!) { connection(id: $id) { id platformId name description state etag } }`, { id: queued.resourceId });
      assert.equal(connection.state, 'ENABLED');
      assert.equal(connection.name, 'Stripe EU');
      assert.ok(connection.platformId);
      const platform = await fetchPlatformConnection(stack, connection.platformId);
      assert.equal(platform.etag, connection.etag, 'the stored etag is the Platform’s');
      assert.match(platform.name, /^Stripe EU \[fg:[0-9a-f-]{36}\]$/);
    });

    it('returns the same operation for the same idempotencyKey and input, and refuses the key with another input', async () => {
      const input = { name: 'Idempotent', accessToken: STRIPE_KEY, idempotencyKey: 'create-idem-1' };
      const first = (await create(input)).data.createConnection;
      const second = (await create(input)).data.createConnection;
      assert.equal(second.id, first.id);
      const other = await create({ ...input, name: 'Something else' });
      assert.equal(other.errors?.[0]?.extensions?.code, 'IDEMPOTENCY_KEY_REUSED');
      assert.equal(other.errors?.[0].extensions?.field, 'idempotencyKey');
    });

    for (const [name, input, field] of [
      ['an empty name', { name: '   ', accessToken: STRIPE_KEY }, 'input.name'],
      ['a name of 201 characters', { name: 'n'.repeat(201), accessToken: STRIPE_KEY }, 'input.name'],
      ['a name with control characters', { name: 'bad\u0007name', accessToken: STRIPE_KEY }, 'input.name'],
      ['an empty access token', { name: 'x', accessToken: '' }, 'input.accessToken'],
      ['an access token with spaces', { name: 'x', accessToken: 'sk_test 123' }, 'input.accessToken'],
      ['a malformed idempotency key', { name: 'x', accessToken: STRIPE_KEY, idempotencyKey: 'has spaces' }, 'input.idempotencyKey'],
    ] as const) {
      it(`refuses ${name} with BAD_USER_INPUT naming ${field}, writing nothing`, async () => {
        const { count: before } = await stack.sqlRow<{ count: string }>('SELECT count(*) FROM operations');
        const result = await create(input);
        assert.equal(result.data, null);
        assert.equal(result.errors?.[0]?.extensions?.code, 'BAD_USER_INPUT');
        assert.equal(result.errors?.[0].extensions?.field, field);
        const { count: after } = await stack.sqlRow<{ count: string }>('SELECT count(*) FROM operations');
        assert.equal(after, before);
      });
    }

    it('stores the access token encrypted and never returns or logs it', async () => {
      const secret = 'sk_test_51NeverShowThisSecret99';
      const queued = (await create({ name: 'Secretive', accessToken: secret })).data.createConnection;
      await stack.waitForOperation(queued.id);
      const tables = await stack.sql<{ table_name: string }>("SELECT table_name FROM information_schema.tables WHERE table_schema = 'public'");
      for (const { table_name } of tables) {
        const rows = await stack.sql(`SELECT * FROM "${table_name}"`);
        assert.ok(!JSON.stringify(rows).includes(secret), `table ${table_name} holds the token in clear`);
      }
      for (const [key, value] of await stack.redisDump()) assert.ok(!value.includes(secret), `Redis key ${key} holds the token`);
      assert.ok(!stack.logLines.join('\n').includes(secret), 'a log line holds the token');
      const everything = await stack.gql(
        '{ connections { edges { node { id name description etag } } } operations { edges { node { message error { message } } } } auditEvents { edges { node { before after changes { after } } } } }',
      );
      assert.ok(!JSON.stringify(everything).includes(secret));
    });
  });

  it('connection(id) is null for an unknown id and connections lists newest first with a total', async () => {
    const { connection } = await stack.data('{ connection(id: "00000000-0000-4000-8000-000000000000") { id } }');
    assert.equal(connection, null);
    const { connections } = await stack.data('{ connections(first: 2) { totalCount pageInfo { hasNextPage endCursor } edges { cursor node { name createdAt } } } }');
    assert.ok(connections.totalCount >= 3);
    assert.equal(connections.edges.length, 2);
    assert.equal(connections.pageInfo.hasNextPage, true);
    const next = await stack.data('query($after: String) { connections(first: 2, after: $after) { edges { node { name createdAt } } } }', { after: connections.pageInfo.endCursor });
    assert.ok(Date.parse(next.connections.edges[0].node.createdAt) <= Date.parse(connections.edges[1].node.createdAt));
  });
});

async function fetchPlatformConnection(stack: TestStack, platformId: string): Promise<any> {
  const form = new URLSearchParams({ grant_type: 'client_credentials', client_id: 'flowgate-local', client_secret: 'flowgate-local-secret', scope: 'openid' });
  const token = ((await (await fetch(`${stack.emulator.url}/ims/token/v3`, { method: 'POST', body: form })).json()) as { access_token: string }).access_token;
  const response = await fetch(`${stack.emulator.url}/data/foundation/flowservice/connections/${platformId}`, {
    headers: { authorization: `Bearer ${token}`, 'x-api-key': 'flowgate-local', 'x-gw-ims-org-id': 'FLOWGATE0000000000000000@AdobeOrg', 'x-sandbox-name': 'prod' },
  });
  return ((await response.json()) as { items: any[] }).items[0];
}
