import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { dropNextCreateAnswer, emulatorCounts, flowServiceResource, loggedRequests } from './support/platform-reads.js';
import { buildUpstream, countOf, mutate, mutateAndWait, RESOURCE_FIELDS, type Upstream } from './support/prerequisites.js';
import { TestStack } from './support/stack.js';

const TARGETS_PATH = '/data/foundation/flowservice/targetConnections';
const TARGET_FIELDS = `${RESOURCE_FIELDS} sandbox dataset { id platformId } schema { id platformId }`;

describe('target connections through the GraphQL API', () => {
  let stack: TestStack;
  let upstream: Upstream;

  before(async () => {
    stack = await TestStack.start();
    upstream = await buildUpstream(stack);
  });
  after(() => stack.stop());

  const create = (input: Record<string, unknown>) => mutate(stack, 'createTargetConnection', 'CreateTargetConnectionInput', input);
  const targetConnection = async (id: string) => (await stack.data(`query($id: ID!) { targetConnection(id: $id) { ${TARGET_FIELDS} } }`, { id })).targetConnection;

  describe('createTargetConnection', () => {
    it('creates exactly one data lake target connection into the dataset, with the dataset’s schema', async () => {
      const before = await emulatorCounts(stack);
      const result = await create({ datasetId: upstream.dataset.id, description: 'charges into the lake' });
      assert.equal(result.errors, undefined);
      const queued = result.data.createTargetConnection;
      assert.equal(queued.type, 'CREATE_TARGET_CONNECTION');
      assert.equal(queued.resourceType, 'TARGET_CONNECTION');
      const done = await stack.waitForOperation(queued.id);
      assert.equal(done.status, 'SUCCEEDED', JSON.stringify(done.error));

      const target = await targetConnection(queued.resourceId);
      assert.equal(target.state, 'READY');
      assert.equal(target.name, `${upstream.dataset.name} (data lake)`, 'the default name follows the dataset');
      assert.equal(target.description, 'charges into the lake');
      assert.deepEqual(target.dataset, { id: upstream.dataset.id, platformId: upstream.dataset.platformId });
      assert.deepEqual(target.schema, { id: upstream.schema.id, platformId: upstream.schema.platformId });

      const platform = await flowServiceResource(stack, 'targetConnections', target.platformId);
      assert.equal(platform.etag, target.etag, 'the stored etag is the Platform’s');
      assert.equal(platform.name, `${target.name} [fg:${target.id}]`);
      assert.equal(platform.connectionSpec.id, 'c604ff05-7f1a-43c0-8e18-33bf874cb11c', 'the data lake connection spec');
      assert.equal(platform.data.format, 'parquet_xdm');
      assert.deepEqual(platform.data.schema, { id: upstream.schema.platformId, version: 'application/vnd.adobe.xed-full+json;version=1' });
      assert.equal(platform.params.dataSetId, upstream.dataset.platformId);
      assert.equal((await emulatorCounts(stack)).targetConnections, before.targetConnections + 1);
    });

    it('creates it once when the Platform commits the create but the answer is lost', async () => {
      const before = await emulatorCounts(stack);
      await dropNextCreateAnswer(stack, TARGETS_PATH);
      const queued = (await create({ datasetId: upstream.dataset.id, name: 'Lost answer' })).data.createTargetConnection;
      const done = await stack.waitForOperation(queued.id);
      assert.equal(done.status, 'SUCCEEDED', JSON.stringify(done.error));
      const creates = await loggedRequests(stack, 'POST', TARGETS_PATH);
      assert.equal(creates.length, 1, 'the lost create is found by name, not sent again');
      assert.equal(creates[0]!.fault?.mode, 'commit-then-drop');
      assert.equal((await emulatorCounts(stack)).targetConnections, before.targetConnections + 1);
      const target = await targetConnection(queued.resourceId);
      assert.equal((await flowServiceResource(stack, 'targetConnections', target.platformId)).name, `Lost answer [fg:${target.id}]`);
    });

    it('waits for a dataset that is still being created, then writes into it', async () => {
      const datasetOp = (await mutate(stack, 'createDataset', 'CreateDatasetInput', { name: 'Just requested', schemaId: upstream.schema.id })).data.createDataset;
      const queued = (await create({ datasetId: datasetOp.resourceId })).data.createTargetConnection;
      const done = await stack.waitForOperation(queued.id, 60_000);
      assert.equal(done.status, 'SUCCEEDED', JSON.stringify(done.error));
      const target = await targetConnection(queued.resourceId);
      const { dataset } = await stack.data('query($id: ID!) { dataset(id: $id) { platformId } }', { id: datasetOp.resourceId });
      assert.equal((await flowServiceResource(stack, 'targetConnections', target.platformId)).params.dataSetId, dataset.platformId);
    });

    for (const [name, input, code, field] of [
      ['an unknown dataset', { datasetId: '00000000-0000-4000-8000-000000000000' }, 'NOT_FOUND', 'input.datasetId'],
      ['a schema id where a dataset id belongs', 'SCHEMA_AS_DATASET', 'NOT_FOUND', 'input.datasetId'],
      ['an empty name', 'EMPTY_NAME', 'BAD_USER_INPUT', 'input.name'],
      ['a malformed idempotency key', 'BAD_KEY', 'BAD_USER_INPUT', 'input.idempotencyKey'],
    ] as const) {
      it(`refuses ${name} with ${code} naming ${field}, writing nothing`, async () => {
        const inputs: Record<'SCHEMA_AS_DATASET' | 'EMPTY_NAME' | 'BAD_KEY', Record<string, unknown>> = {
          SCHEMA_AS_DATASET: { datasetId: upstream.schema.id },
          EMPTY_NAME: { datasetId: upstream.dataset.id, name: '  ' },
          BAD_KEY: { datasetId: upstream.dataset.id, idempotencyKey: 'has spaces' },
        };
        const [operations, resources] = [await countOf(stack, 'operations'), await countOf(stack, 'resources')];
        const result = await create(typeof input === 'string' ? inputs[input] : input);
        assert.equal(result.data, null);
        assert.equal(result.errors?.[0]?.extensions?.code, code);
        assert.equal(result.errors?.[0].extensions?.field, field);
        assert.equal(await countOf(stack, 'operations'), operations);
        assert.equal(await countOf(stack, 'resources'), resources);
      });
    }
  });

  describe('targetConnections', () => {
    it('lists the target connections of one dataset, newest first, and is empty for another', async () => {
      const other = await mutateAndWait(stack, 'createDataset', 'CreateDatasetInput', { name: 'Unused dataset', schemaId: upstream.schema.id });
      const { targetConnections } = await stack.data('query($d: ID!) { targetConnections(filter: { datasetId: $d, state: READY }) { totalCount edges { node { name createdAt dataset { id } } } } }', {
        d: upstream.dataset.id,
      });
      assert.ok(targetConnections.totalCount >= 2);
      assert.ok(targetConnections.edges.every((e: any) => e.node.dataset.id === upstream.dataset.id));
      const times = targetConnections.edges.map((e: any) => Date.parse(e.node.createdAt));
      assert.deepEqual(
        times,
        [...times].sort((a, b) => b - a),
      );
      const none = await stack.data('query($d: ID!) { targetConnections(filter: { datasetId: $d }) { totalCount } }', { d: other.resourceId });
      assert.equal(none.targetConnections.totalCount, 0);
    });

    it('answers null for an unknown id', async () => {
      assert.equal((await stack.data('{ targetConnection(id: "00000000-0000-4000-8000-000000000000") { id } }')).targetConnection, null);
    });
  });
});
