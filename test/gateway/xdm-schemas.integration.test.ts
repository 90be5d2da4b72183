import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createConnection, dropNextCreateAnswer, emulatorCounts, loggedRequests, operationCount, platformGet } from './support/platform-reads.js';
import { OPERATION_FIELDS, TestStack, uniqueName } from './support/stack.js';

const REGISTRY = '/data/foundation/schemaregistry';
const SCHEMA_FIELDS = 'id platformId name description etag state resource version tenantNamespace fields { path type source }';
const RAW = 'application/vnd.adobe.xed+json; version=1';
const FULL = 'application/vnd.adobe.xed-full+json; version=1';

/** An explore-style schema a caller already has, with keys XDM does not accept as they are. */
const GIVEN_SCHEMA = {
  type: 'object',
  properties: {
    data: {
      type: 'object',
      properties: {
        id: { type: 'string' },
        amount: { type: 'integer', minimum: -9007199254740992, maximum: 9007199254740991 },
        'order.id': { type: 'string' },
        _internal: { type: 'boolean' },
        note: {},
        tags: { type: 'array', items: {} },
      },
    },
  },
};

describe('XDM schemas through the GraphQL API', () => {
  let stack: TestStack;
  let connectionId: string;
  let sourceConnectionId: string;

  before(async () => {
    stack = await TestStack.start();
    connectionId = (await createConnection(stack, uniqueName('Stripe'))).id;
    const op = (await stack.data('mutation($c: ID!) { createSourceConnection(input: {connectionId: $c, resource: CHARGES}) { id resourceId } }', { c: connectionId })).createSourceConnection;
    assert.equal((await stack.waitForOperation(op.id)).status, 'SUCCEEDED');
    sourceConnectionId = op.resourceId;
  });
  after(() => stack.stop());

  const create = (input: Record<string, unknown>) => stack.gql(`mutation($input: CreateXdmSchemaInput!) { createXdmSchema(input: $input) { ${OPERATION_FIELDS} } }`, { input });
  const xdmSchema = async (id: string) => (await stack.data(`query($id: ID!) { xdmSchema(id: $id) { ${SCHEMA_FIELDS} } }`, { id })).xdmSchema;
  const registryGet = async (kind: 'schemas' | 'classes' | 'fieldgroups', id: string, accept = RAW) => {
    const { status, body } = await platformGet(stack, `${REGISTRY}/tenant/${kind}/${encodeURIComponent(id)}`, accept);
    assert.equal(status, 200, JSON.stringify(body));
    return body;
  };
  const createAndWait = async (input: Record<string, unknown>) => {
    const result = await create(input);
    assert.equal(result.errors, undefined, JSON.stringify(result.errors));
    const done = await stack.waitForOperation(result.data.createXdmSchema.id);
    return { done, id: result.data.createXdmSchema.resourceId as string };
  };

  describe('createXdmSchema from a source connection', () => {
    let schemaId: string;

    it('creates a class, a field group mirroring the explored charge and the schema of both, exactly once each', async () => {
      const before = await emulatorCounts(stack);
      const { done, id } = await createAndWait({ name: 'Stripe charges', description: 'charges as XDM', sourceConnectionId });
      assert.equal(done.status, 'SUCCEEDED', JSON.stringify(done.error));
      schemaId = id;
      const counts = await emulatorCounts(stack);
      assert.equal(counts.classes, before.classes + 1);
      assert.equal(counts.fieldGroups, before.fieldGroups + 1);
      assert.equal(counts.schemas, before.schemas + 1);

      const schema = await xdmSchema(id);
      assert.equal(schema.state, 'READY');
      assert.equal(schema.resource, 'CHARGES');
      assert.equal(schema.version, '1.0');
      assert.equal(schema.tenantNamespace, '_flowgatelocal');

      const raw = await registryGet('schemas', schema.platformId);
      assert.equal(raw.$id, schema.platformId);
      assert.equal(raw['meta:registryMetadata'].eTag, schema.etag, 'the stored etag is the registry’s eTag');
      assert.equal(raw.title, `Stripe charges [fg:${id}]`);
      assert.equal(raw.allOf.length, 2);
      const klass = await registryGet('classes', raw['meta:class']);
      assert.deepEqual(klass.allOf, [{ $ref: 'https://ns.adobe.com/xdm/data/record' }]);
      const fieldGroupId = raw.allOf.map((r: { $ref: string }) => r.$ref).find((ref: string) => ref !== klass.$id);
      const fieldGroup = await registryGet('fieldgroups', fieldGroupId);
      assert.deepEqual(fieldGroup['meta:intendedToExtend'], [klass.$id]);
    });

    it('mirrors every explored field under _flowgatelocal.charges_data, with the path a mapping reads from', async () => {
      const schema = await xdmSchema(schemaId);
      const { explore } = await stack.data('query($c: ID!) { explore(connectionId: $c, resource: CHARGES) { fields { path type } } }', { c: connectionId });
      assert.deepEqual(
        schema.fields.map((f: { source: string }) => f.source),
        explore.fields.map((f: { path: string }) => f.path),
        'one schema field per explored leaf, in the same order',
      );
      for (const field of schema.fields) assert.equal(field.path, `_flowgatelocal.charges_${field.source}`);
      const amount = schema.fields.find((f: { path: string }) => f.path === '_flowgatelocal.charges_data.amount');
      assert.deepEqual(amount, { path: '_flowgatelocal.charges_data.amount', type: 'integer', source: 'data.amount' });

      const full = await registryGet('schemas', schema.platformId, FULL);
      const record = full.properties._flowgatelocal.properties.charges_data;
      assert.equal(record.properties.amount.type, 'integer');
      assert.equal(record.properties.amount.minimum, -9007199254740992, 'integers keep their bounds');
      const nullInSample = explore.fields.find((f: { type: string }) => f.type === 'unknown');
      assert.ok(nullInSample, 'the charge sample has a null field');
      const leaf = nullInSample.path
        .split('.')
        .slice(1)
        .reduce((node: any, key: string) => node.properties[key], record);
      assert.equal(leaf.type, 'string', `${nullInSample.path} (null in the sample) becomes a string`);
    });

    it('links back to its source connection', async () => {
      const { xdmSchema: schema } = await stack.data('query($id: ID!) { xdmSchema(id: $id) { sourceConnection { id resource } datasets { id } } }', { id: schemaId });
      assert.deepEqual(schema.sourceConnection, { id: sourceConnectionId, resource: 'CHARGES' });
      assert.deepEqual(schema.datasets, []);
    });
  });

  it('reports progress between the class, the field group and the schema', async () => {
    // Slow registry writes make the steps observable; the assertions do not depend on time.
    await stack.control('POST', '/faults', { method: 'POST', path: `${REGISTRY}/tenant/*`, latencyMs: 300 });
    try {
      const queued = (await create({ name: uniqueName('Progress'), sourceConnectionId })).data.createXdmSchema;
      const messages = await stack.collect<{ operationUpdated: { status: string; progress: number; message: string } }>(
        'subscription($id: ID!) { operationUpdated(id: $id) { status progress message } }',
        { id: queued.id },
        (m) => ['SUCCEEDED', 'FAILED'].includes(m.operationUpdated.status),
      );
      const updates = messages.map((m) => m.operationUpdated);
      assert.equal(updates.at(-1)?.status, 'SUCCEEDED');
      const progress = updates.map((u) => u.progress);
      assert.deepEqual(
        progress,
        [...progress].sort((a, b) => a - b),
        'progress only grows',
      );
      const said = updates.map((u) => u.message).join(' | ');
      for (const step of ['class created', 'field group created', 'schema created']) assert.match(said, new RegExp(step), said);
    } finally {
      await stack.control('DELETE', '/faults');
    }
  });

  describe('createXdmSchema from a given explore schema', () => {
    it('creates the schema, renaming keys XDM refuses and typing nulls and unknown array items as strings', async () => {
      const { done, id } = await createAndWait({ name: uniqueName('Given'), resource: 'CUSTOMERS', exploreSchema: GIVEN_SCHEMA });
      assert.equal(done.status, 'SUCCEEDED', JSON.stringify(done.error));
      assert.match(done.message, /2 field name/);
      const schema = await xdmSchema(id);
      assert.equal(schema.resource, 'CUSTOMERS');
      assert.deepEqual(schema.fields, [
        { path: '_flowgatelocal.customers_data.id', type: 'string', source: 'data.id' },
        { path: '_flowgatelocal.customers_data.amount', type: 'integer', source: 'data.amount' },
        { path: '_flowgatelocal.customers_data.order_id', type: 'string', source: 'data.order.id' },
        { path: '_flowgatelocal.customers_data.internal', type: 'boolean', source: 'data._internal' },
        { path: '_flowgatelocal.customers_data.note', type: 'string', source: 'data.note' },
        { path: '_flowgatelocal.customers_data.tags', type: 'array', source: 'data.tags' },
      ]);
      const full = await registryGet('schemas', schema.platformId, FULL);
      const record = full.properties._flowgatelocal.properties.customers_data.properties;
      assert.deepEqual(Object.keys(record), ['id', 'amount', 'order_id', 'internal', 'note', 'tags']);
      assert.equal(record.tags.items.type, 'string');
      const { xdmSchema: linked } = await stack.data('query($id: ID!) { xdmSchema(id: $id) { sourceConnection { id } } }', { id });
      assert.equal(linked.sourceConnection, null);
    });
  });

  it('waits for a source connection that is still being created', async () => {
    const op = (await stack.data('mutation($c: ID!) { createSourceConnection(input: {connectionId: $c, resource: REFUNDS}) { id resourceId } }', { c: connectionId })).createSourceConnection;
    const { done, id } = await createAndWait({ name: uniqueName('Chained'), sourceConnectionId: op.resourceId });
    assert.equal(done.status, 'SUCCEEDED', JSON.stringify(done.error));
    assert.equal((await xdmSchema(id)).resource, 'REFUNDS');
  });

  for (const [kind, segment] of [
    ['class', 'classes'],
    ['field group', 'fieldgroups'],
    ['schema', 'schemas'],
  ] as const) {
    it(`creates exactly one ${kind} when the registry commits its create but the answer is lost`, async () => {
      const before = await emulatorCounts(stack);
      await dropNextCreateAnswer(stack, `${REGISTRY}/tenant/${segment}`);
      const { done, id } = await createAndWait({ name: uniqueName(`Dropped ${kind}`), resource: 'PRICES', exploreSchema: GIVEN_SCHEMA });
      await stack.control('DELETE', '/faults');
      assert.equal(done.status, 'SUCCEEDED', JSON.stringify(done.error));
      const posts = await loggedRequests(stack, 'POST', `${REGISTRY}/tenant/${segment}`);
      assert.deepEqual(
        posts.map((p) => p.fault?.mode),
        ['commit-then-drop'],
        `one ${kind} create, found by its title afterwards`,
      );
      const counts = await emulatorCounts(stack);
      assert.deepEqual([counts.classes, counts.fieldGroups, counts.schemas], [before.classes + 1, before.fieldGroups + 1, before.schemas + 1]);
      const schema = await xdmSchema(id);
      assert.equal((await registryGet('schemas', schema.platformId))['meta:registryMetadata'].eTag, schema.etag);
    });
  }

  it('deletes the class and field group it made when the schema create is refused for good', async () => {
    const before = await emulatorCounts(stack);
    await stack.control('POST', '/faults', { method: 'POST', path: `${REGISTRY}/tenant/schemas`, status: 400, count: 1 });
    const { done, id } = await createAndWait({ name: uniqueName('Refused'), resource: 'PRICES', exploreSchema: GIVEN_SCHEMA });
    await stack.control('DELETE', '/faults');
    assert.equal(done.status, 'FAILED');
    assert.equal(done.error.code, 'PLATFORM_REJECTED');
    assert.equal(done.error.retryable, false);
    assert.equal((await xdmSchema(id)).state, 'FAILED');
    assert.deepEqual(await emulatorCounts(stack), before, 'nothing is left behind on the registry');
  });

  it('fails with DEPENDENCY_FAILED when the source connection it waits for fails', async () => {
    await stack.control('POST', '/faults', { method: 'POST', path: '/data/foundation/flowservice/sourceConnections', status: 400, latencyMs: 1000, count: 1 });
    const before = await emulatorCounts(stack);
    const source = (await stack.data('mutation($c: ID!) { createSourceConnection(input: {connectionId: $c, resource: CUSTOMERS}) { id resourceId } }', { c: connectionId })).createSourceConnection;
    const { done } = await createAndWait({ name: uniqueName('Orphan'), sourceConnectionId: source.resourceId });
    await stack.control('DELETE', '/faults');
    assert.equal((await stack.waitForOperation(source.id)).status, 'FAILED');
    assert.equal(done.status, 'FAILED');
    assert.equal(done.error.code, 'DEPENDENCY_FAILED');
    const counts = await emulatorCounts(stack);
    assert.deepEqual([counts.classes, counts.fieldGroups, counts.schemas], [before.classes, before.fieldGroups, before.schemas]);
  });

  describe('refuses bad input with a typed error naming the field, writing nothing', () => {
    const record = (properties: Record<string, unknown>) => ({ type: 'object', properties: { data: { type: 'object', properties } } });
    const cases: [string, () => Record<string, unknown>, string, string][] = [
      ['neither a source connection nor a schema', () => ({ name: 'x' }), 'BAD_USER_INPUT', 'input.sourceConnectionId'],
      ['a source connection and a resource', () => ({ name: 'x', sourceConnectionId, resource: 'CHARGES' }), 'BAD_USER_INPUT', 'input.resource'],
      ['a source connection and a schema', () => ({ name: 'x', sourceConnectionId, exploreSchema: GIVEN_SCHEMA }), 'BAD_USER_INPUT', 'input.exploreSchema'],
      ['a resource without a schema', () => ({ name: 'x', resource: 'CHARGES' }), 'BAD_USER_INPUT', 'input.exploreSchema'],
      ['a schema without a resource', () => ({ name: 'x', exploreSchema: GIVEN_SCHEMA }), 'BAD_USER_INPUT', 'input.resource'],
      ['a schema that is not an object', () => ({ name: 'x', resource: 'CHARGES', exploreSchema: [1, 2] }), 'BAD_USER_INPUT', 'input.exploreSchema'],
      ['a schema with no record under data', () => ({ name: 'x', resource: 'CHARGES', exploreSchema: { type: 'object', properties: { rows: {} } } }), 'BAD_USER_INPUT', 'input.exploreSchema'],
      ['a schema with an unknown type', () => ({ name: 'x', resource: 'CHARGES', exploreSchema: record({ a: { type: 'date' } }) }), 'BAD_USER_INPUT', 'input.exploreSchema'],
      [
        'a schema of more than 256 KiB',
        () => ({ name: 'x', resource: 'CHARGES', exploreSchema: record({ a: { type: 'string', description: 'x'.repeat(300_000) } }) }),
        'BAD_USER_INPUT',
        'input.exploreSchema',
      ],
      ['an unknown source connection', () => ({ name: 'x', sourceConnectionId: '00000000-0000-4000-8000-000000000000' }), 'NOT_FOUND', 'input.sourceConnectionId'],
      ['a source connection id that names a connection', () => ({ name: 'x', sourceConnectionId: connectionId }), 'NOT_FOUND', 'input.sourceConnectionId'],
      ['an empty name', () => ({ name: '', sourceConnectionId }), 'BAD_USER_INPUT', 'input.name'],
      ['a name of 201 characters', () => ({ name: 'n'.repeat(201), sourceConnectionId }), 'BAD_USER_INPUT', 'input.name'],
      ['a description of 1001 characters', () => ({ name: 'x', description: 'd'.repeat(1001), sourceConnectionId }), 'BAD_USER_INPUT', 'input.description'],
      ['a malformed idempotency key', () => ({ name: 'x', sourceConnectionId, idempotencyKey: '' }), 'BAD_USER_INPUT', 'input.idempotencyKey'],
    ];
    for (const [name, input, code, field] of cases) {
      it(`${name} → ${code} naming ${field}`, async () => {
        const before = await operationCount(stack);
        const result = await create(input());
        assert.equal(result.data?.createXdmSchema ?? null, null);
        assert.equal(result.errors?.[0]?.extensions?.code, code, JSON.stringify(result.errors));
        assert.equal(result.errors?.[0].extensions?.field, field);
        assert.equal(await operationCount(stack), before);
      });
    }

    it('a resource that is not a Stripe resource → BAD_USER_INPUT', async () => {
      const before = await operationCount(stack);
      const result = await create({ name: 'x', resource: 'INVOICES', exploreSchema: GIVEN_SCHEMA });
      assert.equal(result.errors?.[0]?.extensions?.code, 'BAD_USER_INPUT');
      assert.equal(await operationCount(stack), before);
    });
  });

  describe('xdmSchemas', () => {
    it('filters by resource, source connection and state', async () => {
      const bySource = (
        await stack.data('query($s: ID) { xdmSchemas(filter: {sourceConnectionId: $s}) { totalCount edges { node { resource sourceConnection { id } } } } }', { s: sourceConnectionId })
      ).xdmSchemas;
      assert.equal(bySource.totalCount, 2, 'the first schema and the progress one');
      assert.ok(bySource.edges.every((e: any) => e.node.sourceConnection.id === sourceConnectionId));

      const prices = (await stack.data('{ xdmSchemas(filter: {resource: PRICES}) { totalCount edges { node { resource } } } }')).xdmSchemas;
      assert.equal(prices.totalCount, 4, 'three lost-answer schemas and the refused one');
      const readyPrices = (await stack.data('{ xdmSchemas(filter: {resource: PRICES, state: READY}) { totalCount } }')).xdmSchemas;
      assert.equal(readyPrices.totalCount, 3);
      const failed = (await stack.data('{ xdmSchemas(filter: {state: FAILED}) { totalCount edges { node { state } } } }')).xdmSchemas;
      assert.equal(failed.totalCount, 2);
    });

    it('pages with first/after, newest first, without repeating or skipping', async () => {
      const all = (await stack.data('{ xdmSchemas(first: 100) { totalCount edges { node { id createdAt } } } }')).xdmSchemas;
      assert.equal(all.edges.length, all.totalCount);
      const times = all.edges.map((e: any) => Date.parse(e.node.createdAt));
      assert.deepEqual(
        times,
        [...times].sort((a, b) => b - a),
      );
      const first = (await stack.data('{ xdmSchemas(first: 3) { pageInfo { hasNextPage endCursor } edges { node { id } } } }')).xdmSchemas;
      assert.equal(first.pageInfo.hasNextPage, true);
      const rest = (await stack.data('query($a: String) { xdmSchemas(first: 100, after: $a) { edges { node { id } } } }', { a: first.pageInfo.endCursor })).xdmSchemas;
      assert.deepEqual(
        [...first.edges, ...rest.edges].map((e: any) => e.node.id),
        all.edges.map((e: any) => e.node.id),
      );
    });
  });
});
