import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createConnection, loggedRequests } from './support/platform-reads.js';
import { TestStack, uniqueName } from './support/stack.js';

const EXPLORE = 'query($c: ID!, $r: StripeResource!, $p: Boolean) { explore(connectionId: $c, resource: $r, preview: $p) { connectionId resource schema fields { path type } rows } }';

describe('explore through the GraphQL API', () => {
  let stack: TestStack;
  let connection: { id: string; platformId: string };

  before(async () => {
    stack = await TestStack.start();
    const { id } = await createConnection(stack, uniqueName('Explorer'));
    connection = (await stack.data('query($id: ID!) { connection(id: $id) { id platformId } }', { id })).connection;
  });
  after(() => stack.stop());

  const explore = (connectionId: string, resource: string, preview?: boolean) => stack.gql(EXPLORE, { c: connectionId, r: resource, ...(preview === undefined ? {} : { p: preview }) });
  const explorePath = () => `/data/foundation/flowservice/connections/${connection.platformId}/explore`;

  it('returns the schema the Platform infers and its leaves as mapping source paths, without rows', async () => {
    const result = await explore(connection.id, 'CHARGES');
    assert.equal(result.errors, undefined, JSON.stringify(result.errors));
    const { explore: charges } = result.data;
    assert.equal(charges.connectionId, connection.id);
    assert.equal(charges.resource, 'CHARGES');
    assert.equal(charges.schema.type, 'object');
    assert.equal(charges.schema.properties.data.properties.amount.type, 'integer');
    assert.equal(charges.rows, null);
    assert.deepEqual(
      charges.fields.find((f: { path: string }) => f.path === 'data.amount'),
      { path: 'data.amount', type: 'integer' },
    );
    assert.ok(
      charges.fields.some((f: { path: string }) => f.path === 'data.outcome.type'),
      'nested objects are walked',
    );
    assert.ok(charges.fields.every((f: { path: string }) => f.path.startsWith('data.')));
    assert.ok(
      charges.fields.some((f: { type: string }) => f.type === 'unknown'),
      'a field null in the sample has an unknown type',
    );
  });

  it('adds sample rows with preview', async () => {
    const { explore: customers } = (await explore(connection.id, 'CUSTOMERS', true)).data;
    assert.equal(customers.resource, 'CUSTOMERS');
    assert.ok(customers.rows.length > 0);
    for (const row of customers.rows) assert.equal(typeof row.data.id, 'string');
  });

  it('asks the Platform once for two identical explores within the cache lifetime, and again for another resource', async () => {
    await stack.control('DELETE', '/requests');
    const first = await explore(connection.id, 'REFUNDS');
    const second = await explore(connection.id, 'REFUNDS');
    assert.deepEqual(second.data, first.data);
    assert.equal((await loggedRequests(stack, 'GET', explorePath())).length, 1);
    await explore(connection.id, 'PRICES');
    assert.equal((await loggedRequests(stack, 'GET', explorePath())).length, 2);
  });

  it('refuses an unknown connection with NOT_FOUND naming connectionId', async () => {
    for (const id of ['00000000-0000-4000-8000-000000000000', 'not-an-id']) {
      const result = await explore(id, 'CHARGES');
      assert.equal(result.data, null);
      assert.equal(result.errors?.[0]?.extensions?.code, 'NOT_FOUND');
      assert.equal(result.errors?.[0].extensions?.field, 'connectionId');
    }
  });

  it('refuses a connection that is not on the Platform yet with PRECONDITION_FAILED', async () => {
    // The connection's create is held back on the emulator so it stays PENDING while we ask.
    await stack.control('POST', '/faults', { method: 'POST', path: '/data/foundation/flowservice/connections', latencyMs: 1500, count: 1 });
    const pending = await createConnection(stack, uniqueName('Pending'), { wait: false });
    const result = await explore(pending.id, 'CHARGES');
    assert.equal(result.errors?.[0]?.extensions?.code, 'PRECONDITION_FAILED');
    assert.equal(result.errors?.[0].extensions?.field, 'connectionId');
    assert.equal((await stack.waitForOperation(pending.operationId)).status, 'SUCCEEDED');
    await stack.control('DELETE', '/faults');
  });

  it('maps a Platform refusal to PLATFORM_REJECTED with the Platform’s code, and does not cache it', async () => {
    const { id } = await createConnection(stack, uniqueName('Rejected key'), { accessToken: 'sk_test_short' });
    const first = await explore(id, 'CHARGES');
    assert.equal(first.data, null);
    assert.equal(first.errors?.[0]?.extensions?.code, 'PLATFORM_REJECTED');
    assert.equal(first.errors?.[0].extensions?.platformStatus, 400);
    assert.equal(first.errors?.[0].extensions?.platformCode, '1100-400');
    assert.ok(!JSON.stringify(first.errors).includes('sk_test_short'), 'the key is not echoed');
    await stack.control('DELETE', '/requests');
    await explore(id, 'CHARGES');
    assert.equal((await loggedRequests(stack, 'GET', '/data/foundation/flowservice/connections/')).filter((r) => r.path.endsWith('/explore')).length, 1, 'a failure is asked again');
  });

  it('refuses a resource that is not a Stripe resource', async () => {
    const result = await explore(connection.id, 'INVOICES');
    assert.equal(result.errors?.[0]?.extensions?.code, 'BAD_USER_INPUT');
  });
});
