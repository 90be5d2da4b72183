import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { dropNextCreateAnswer, emulatorCounts, loggedRequests, operationCount, platformGet } from './support/platform-reads.js';
import { OPERATION_FIELDS, TestStack, uniqueName } from './support/stack.js';

const DATASETS_PATH = '/data/foundation/catalog/dataSets';
const DATASET_FIELDS = 'id platformId name description etag state sandbox';
const EXPLORE_SCHEMA = {
  type: 'object',
  properties: { data: { type: 'object', properties: { id: { type: 'string' }, amount: { type: 'integer' }, currency: { type: 'string' } } } },
};

describe('datasets through the GraphQL API', () => {
  let stack: TestStack;
  let schema: { id: string; platformId: string };

  before(async () => {
    stack = await TestStack.start();
    const { id } = await createSchema(uniqueName('Charges schema'));
    schema = (await stack.data('query($id: ID!) { xdmSchema(id: $id) { id platformId } }', { id })).xdmSchema;
  });
  after(() => stack.stop());

  /** Requests an XDM schema from a given explore schema; with `wait`, until it is READY. */
  const createSchema = async (name: string, wait = true) => {
    const op = (
      await stack.data('mutation($input: CreateXdmSchemaInput!) { createXdmSchema(input: $input) { id resourceId } }', { input: { name, resource: 'CHARGES', exploreSchema: EXPLORE_SCHEMA } })
    ).createXdmSchema;
    if (wait) assert.equal((await stack.waitForOperation(op.id)).status, 'SUCCEEDED');
    return { id: op.resourceId as string, operationId: op.id as string };
  };
  const create = (input: Record<string, unknown>) => stack.gql(`mutation($input: CreateDatasetInput!) { createDataset(input: $input) { ${OPERATION_FIELDS} } }`, { input });
  const dataset = async (id: string) => (await stack.data(`query($id: ID!) { dataset(id: $id) { ${DATASET_FIELDS} } }`, { id })).dataset;
  /** The dataset once its version is recorded: Catalog answers a create with the id only, and the version is read after the operation finished. */
  const datasetWithVersion = async (id: string) => {
    for (let until = Date.now() + 5000; ; await new Promise((r) => setTimeout(r, 20))) {
      const row = await dataset(id);
      if (row.etag !== null || Date.now() > until) return row;
    }
  };
  const catalogDataset = async (platformId: string) => {
    const { status, body } = await platformGet(stack, `${DATASETS_PATH}/${platformId}`);
    assert.equal(status, 200, JSON.stringify(body));
    return body[platformId];
  };

  describe('createDataset', () => {
    it('creates exactly that Catalog dataset for the schema, and stores its id and version', async () => {
      const before = await emulatorCounts(stack);
      const result = await create({ schemaId: schema.id, name: 'Stripe charges', description: 'landing zone' });
      assert.equal(result.errors, undefined);
      const queued = result.data.createDataset;
      assert.equal(queued.type, 'CREATE_DATASET');
      const done = await stack.waitForOperation(queued.id);
      assert.equal(done.status, 'SUCCEEDED', JSON.stringify(done.error));

      const row = await datasetWithVersion(queued.resourceId);
      assert.equal(row.state, 'READY');
      assert.equal(row.name, 'Stripe charges');
      const platform = await catalogDataset(row.platformId);
      assert.equal(platform.version, row.etag, 'the stored etag is Catalog’s version');
      assert.equal(platform.name, `Stripe charges [fg:${row.id}]`);
      assert.equal(platform.description, 'landing zone');
      assert.deepEqual(platform.schemaRef, { id: schema.platformId, contentType: 'application/vnd.adobe.xed+json;version=1' });
      assert.equal((await emulatorCounts(stack)).datasets, before.datasets + 1);
    });

    it('waits for a schema that is still being created', async () => {
      const pending = await createSchema(uniqueName('Pending schema'), false);
      const queued = (await create({ schemaId: pending.id, name: uniqueName('Chained') })).data.createDataset;
      const done = await stack.waitForOperation(queued.id);
      assert.equal(done.status, 'SUCCEEDED', JSON.stringify(done.error));
      const { xdmSchema } = await stack.data('query($id: ID!) { xdmSchema(id: $id) { platformId state } }', { id: pending.id });
      assert.equal(xdmSchema.state, 'READY');
      assert.equal((await catalogDataset((await dataset(queued.resourceId)).platformId)).schemaRef.id, xdmSchema.platformId);
    });

    it('fails with DEPENDENCY_FAILED when the schema it waits for fails, and creates no dataset', async () => {
      await stack.control('POST', '/faults', { method: 'POST', path: '/data/foundation/schemaregistry/tenant/schemas', status: 400, latencyMs: 1000, count: 1 });
      const before = await emulatorCounts(stack);
      const doomed = await createSchema(uniqueName('Doomed schema'), false);
      const result = await create({ schemaId: doomed.id, name: uniqueName('Doomed dataset') });
      assert.equal(result.errors, undefined, 'a PENDING schema is accepted');
      assert.equal((await stack.waitForOperation(doomed.operationId)).status, 'FAILED');
      const done = await stack.waitForOperation(result.data.createDataset.id);
      await stack.control('DELETE', '/faults');
      assert.equal(done.status, 'FAILED');
      assert.equal(done.error.code, 'DEPENDENCY_FAILED');
      assert.equal((await dataset(result.data.createDataset.resourceId)).state, 'FAILED');
      assert.equal((await emulatorCounts(stack)).datasets, before.datasets);
    });

    it('creates exactly one dataset when Catalog commits the create but the answer is lost', async () => {
      const before = await emulatorCounts(stack);
      await dropNextCreateAnswer(stack, DATASETS_PATH);
      const queued = (await create({ schemaId: schema.id, name: uniqueName('Dropped') })).data.createDataset;
      const done = await stack.waitForOperation(queued.id);
      await stack.control('DELETE', '/faults');
      assert.equal(done.status, 'SUCCEEDED', JSON.stringify(done.error));
      const posts = await loggedRequests(stack, 'POST', DATASETS_PATH);
      assert.deepEqual(
        posts.map((p) => p.fault?.mode),
        ['commit-then-drop'],
        'one create, found by its name afterwards',
      );
      assert.equal((await emulatorCounts(stack)).datasets, before.datasets + 1);
      const row = await datasetWithVersion(queued.resourceId);
      assert.equal((await catalogDataset(row.platformId)).version, row.etag);
    });

    describe('refuses bad input with a typed error naming the field, writing nothing', () => {
      const cases: [string, () => Record<string, unknown>, string, string][] = [
        ['an unknown schema', () => ({ schemaId: '00000000-0000-4000-8000-000000000000', name: 'x' }), 'NOT_FOUND', 'input.schemaId'],
        ['a schema id that is not an id', () => ({ schemaId: 'schema-1', name: 'x' }), 'NOT_FOUND', 'input.schemaId'],
        ['an empty name', () => ({ schemaId: schema.id, name: '\t' }), 'BAD_USER_INPUT', 'input.name'],
        ['a name of 201 characters', () => ({ schemaId: schema.id, name: 'n'.repeat(201) }), 'BAD_USER_INPUT', 'input.name'],
        ['a description of 1001 characters', () => ({ schemaId: schema.id, name: 'x', description: 'd'.repeat(1001) }), 'BAD_USER_INPUT', 'input.description'],
        ['a malformed idempotency key', () => ({ schemaId: schema.id, name: 'x', idempotencyKey: 'k'.repeat(129) }), 'BAD_USER_INPUT', 'input.idempotencyKey'],
      ];
      for (const [name, input, code, field] of cases) {
        it(`${name} → ${code} naming ${field}`, async () => {
          const before = await operationCount(stack);
          const result = await create(input());
          assert.equal(result.data?.createDataset ?? null, null);
          assert.equal(result.errors?.[0]?.extensions?.code, code, JSON.stringify(result.errors));
          assert.equal(result.errors?.[0].extensions?.field, field);
          assert.equal(await operationCount(stack), before);
        });
      }

      it('a schema that failed to be created → PRECONDITION_FAILED naming input.schemaId', async () => {
        const { edges } = (await stack.data('{ xdmSchemas(filter: {state: FAILED}) { edges { node { id } } } }')).xdmSchemas;
        assert.equal(edges.length, 1, 'the doomed schema');
        const before = await operationCount(stack);
        const result = await create({ schemaId: edges[0].node.id, name: 'x' });
        assert.equal(result.errors?.[0]?.extensions?.code, 'PRECONDITION_FAILED');
        assert.equal(result.errors?.[0].extensions?.field, 'input.schemaId');
        assert.equal(await operationCount(stack), before);
      });
    });
  });

  describe('datasets', () => {
    it('filters by schema and state, newest first', async () => {
      const bySchema = (await stack.data('query($s: ID) { datasets(filter: {schemaId: $s}) { totalCount edges { node { name state schema { id } } } } }', { s: schema.id })).datasets;
      assert.equal(bySchema.totalCount, 2, 'the first dataset and the lost-answer one');
      assert.ok(bySchema.edges.every((e: any) => e.node.schema.id === schema.id));
      assert.equal(bySchema.edges[1].node.name, 'Stripe charges', 'oldest last');
      const failed = (await stack.data('{ datasets(filter: {state: FAILED}) { totalCount } }')).datasets;
      assert.equal(failed.totalCount, 1);
      const ready = (await stack.data('{ datasets(filter: {state: READY}) { totalCount } }')).datasets;
      assert.equal(ready.totalCount, 3);
    });

    it('pages with first/after without repeating or skipping', async () => {
      const all = (await stack.data('{ datasets(first: 100) { totalCount edges { node { id } } } }')).datasets;
      assert.equal(all.totalCount, 4);
      const page1 = (await stack.data('{ datasets(first: 3) { pageInfo { hasNextPage endCursor } edges { node { id } } } }')).datasets;
      const page2 = (await stack.data('query($a: String) { datasets(first: 3, after: $a) { pageInfo { hasNextPage } edges { node { id } } } }', { a: page1.pageInfo.endCursor })).datasets;
      assert.equal(page1.pageInfo.hasNextPage, true);
      assert.equal(page2.pageInfo.hasNextPage, false);
      assert.deepEqual(
        [...page1.edges, ...page2.edges].map((e: any) => e.node.id),
        all.edges.map((e: any) => e.node.id),
      );
    });

    it('refuses a schemaId filter that is not an id', async () => {
      const result = await stack.gql('{ datasets(filter: {schemaId: "x"}) { totalCount } }');
      assert.equal(result.errors?.[0]?.extensions?.code, 'BAD_USER_INPUT');
      assert.equal(result.errors?.[0].extensions?.field, 'filter.schemaId');
    });
  });

  it('resolves its neighbours: its schema, its target connections, and the schema’s datasets', async () => {
    const { datasets } = await stack.data('query($s: ID) { datasets(filter: {schemaId: $s, state: READY}) { edges { node { id schema { id platformId } targetConnections { id } } } } }', {
      s: schema.id,
    });
    for (const { node } of datasets.edges) {
      assert.deepEqual(node.schema, schema);
      assert.deepEqual(node.targetConnections, []);
    }
    const { xdmSchema } = await stack.data('query($id: ID!) { xdmSchema(id: $id) { datasets { id } } }', { id: schema.id });
    assert.deepEqual(new Set(xdmSchema.datasets.map((d: { id: string }) => d.id)), new Set(datasets.edges.map((e: any) => e.node.id)));
  });

  it('dataset(id) is null for an unknown id and for an id of another type', async () => {
    assert.equal(await dataset('00000000-0000-4000-8000-000000000000'), null);
    assert.equal(await dataset(schema.id), null);
  });
});
