import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { dropNextCreateAnswer, emulatorCounts, loggedRequests } from './support/platform-reads.js';
import { buildUpstream, countOf, mutate, mutateAndWait, platformMappingSet, RESOURCE_FIELDS, type Upstream } from './support/prerequisites.js';
import { TestStack } from './support/stack.js';

const MAPPING_SETS_PATH = '/data/foundation/conversion/mappingSets';
const MAPPING_FIELDS = `${RESOURCE_FIELDS} version fieldMappings { source destination sourceType } schema { id } sourceConnection { id }`;

describe('mappings through the GraphQL API', () => {
  let stack: TestStack;
  let upstream: Upstream;
  let ns: string;

  before(async () => {
    stack = await TestStack.start();
    upstream = await buildUpstream(stack);
    ns = upstream.schema.tenantNamespace;
  });
  after(() => stack.stop());

  const create = (input: Record<string, unknown>) => mutate(stack, 'createMapping', 'CreateMappingInput', input);
  const mapping = async (id: string) => (await stack.data(`query($id: ID!) { mapping(id: $id) { ${MAPPING_FIELDS} } }`, { id })).mapping;

  describe('createMapping without fieldMappings', () => {
    it('generates data.x → _{tenant}.charges_data.x for every field of the schema and creates the mapping set once', async () => {
      const before = await emulatorCounts(stack);
      const result = await create({ schemaId: upstream.schema.id, sourceConnectionId: upstream.source.id });
      assert.equal(result.errors, undefined);
      const done = await stack.waitForOperation(result.data.createMapping.id);
      assert.equal(done.status, 'SUCCEEDED', JSON.stringify(done.error));

      const created = await mapping(done.resourceId);
      assert.equal(created.state, 'READY');
      assert.equal(created.name, `${upstream.schema.name} mapping`);
      assert.equal(created.version, 0);
      assert.equal(created.etag, '0', 'a mapping set’s etag is its version');
      assert.deepEqual(created.schema, { id: upstream.schema.id });
      assert.deepEqual(created.sourceConnection, { id: upstream.source.id });
      assert.equal(created.fieldMappings.length, upstream.schema.fields.length, 'every field the schema mirrors is filled');
      for (const m of created.fieldMappings) {
        if (m.sourceType === 'ATTRIBUTE') assert.equal(m.destination, `${ns}.charges_data.${m.source.slice('data.'.length)}`);
        else assert.equal(m.sourceType, 'EXPRESSION');
      }
      // Issue 12: a Unix timestamp is written as a date-time, a reference as its id whichever form Stripe sends.
      const sourceOf = (destination: string) => created.fieldMappings.find((m: any) => m.destination === destination)?.source;
      assert.equal(sourceOf(`${ns}.charges_data.created`), `iif(data.created == null, null, dformat(data.created * 1000, "yyyy-MM-dd'T'HH:mm:ss'Z'"))`);
      assert.equal(sourceOf(`${ns}.charges_data.customer`), 'iif(contains_key("data.customer.id"), data.customer.id, data.customer)');
      assert.equal(sourceOf(`${ns}.charges_data.amount`), 'data.amount');
      assert.ok(
        created.fieldMappings.some((m: any) => m.source === 'data.payment_method_details.card.last4'),
        'nested attributes are mapped',
      );

      const set = await platformMappingSet(stack, created.platformId);
      assert.equal(set.version, 0);
      assert.equal(set.name, `${created.name} [fg:${created.id}]`);
      assert.equal(set.outputSchema.schemaRef.id, upstream.schema.platformId);
      assert.deepEqual(
        set.mappings.map((m: any) => [m.source, m.destination]),
        created.fieldMappings.map((m: any) => [m.source, m.destination]),
      );
      assert.equal((await emulatorCounts(stack)).mappingSets, before.mappingSets + 1);
    });

    it('refuses to generate without a source connection, naming input.sourceConnectionId', async () => {
      const result = await create({ schemaId: upstream.schema.id });
      assert.equal(result.errors?.[0]?.extensions?.code, 'BAD_USER_INPUT');
      assert.equal(result.errors?.[0].extensions?.field, 'input.sourceConnectionId');
    });
  });

  describe('createMapping with fieldMappings', () => {
    it('creates exactly the mappings given, ATTRIBUTE by default', async () => {
      const fieldMappings = [
        { source: 'data.id', destination: `${ns}.charges_data.id` },
        { source: 'data.amount', destination: `${ns}.charges_data.amount`, sourceType: 'ATTRIBUTE' },
        { source: 'data.outcome', destination: `${ns}.charges_data.outcome` },
      ];
      const done = await mutateAndWait(stack, 'createMapping', 'CreateMappingInput', { schemaId: upstream.schema.id, name: 'Three fields', fieldMappings });
      const created = await mapping(done.resourceId);
      assert.equal(created.name, 'Three fields');
      assert.equal(created.sourceConnection, null);
      assert.deepEqual(
        created.fieldMappings,
        fieldMappings.map((m) => ({ ...m, sourceType: 'ATTRIBUTE' })),
      );
      const set = await platformMappingSet(stack, created.platformId);
      assert.deepEqual(
        set.mappings.map((m: any) => [m.source, m.destination]),
        fieldMappings.map((m) => [m.source, m.destination]),
      );
    });

    it('creates it once when Data Prep commits the create but the answer is lost', async () => {
      const before = await emulatorCounts(stack);
      await dropNextCreateAnswer(stack, MAPPING_SETS_PATH);
      const result = await create({ schemaId: upstream.schema.id, name: 'Lost answer', fieldMappings: [{ source: 'data.id', destination: `${ns}.charges_data.id` }] });
      const done = await stack.waitForOperation(result.data.createMapping.id);
      assert.equal(done.status, 'SUCCEEDED', JSON.stringify(done.error));
      const creates = await loggedRequests(stack, 'POST', MAPPING_SETS_PATH);
      assert.equal(creates.length, 1, 'the lost create is found by name, not sent again');
      assert.equal(creates[0]!.fault?.mode, 'commit-then-drop');
      assert.equal((await emulatorCounts(stack)).mappingSets, before.mappingSets + 1);
      assert.equal((await mapping(done.resourceId)).version, 0);
    });

    it('fails without retrying when Data Prep refuses a destination, with Data Prep’s code', async () => {
      // Outside the tenant namespace Flowgate does not know the schema's fields: the Platform judges.
      const result = await create({ schemaId: upstream.schema.id, name: 'Refused', fieldMappings: [{ source: 'data.id', destination: 'no_such_field' }] });
      const done = await stack.waitForOperation(result.data.createMapping.id);
      assert.equal(done.status, 'FAILED');
      assert.equal(done.attempts, 1, 'a 400 is final');
      assert.equal(done.error.code, 'PLATFORM_REJECTED');
      assert.equal(done.error.platformStatus, 400);
      assert.equal(done.error.platformCode, 'MAPPER-1015-400');
      assert.equal(done.error.retryable, false);
      assert.equal((await mapping(done.resourceId)).state, 'FAILED');
    });

    for (const [name, fieldMappings, field] of [
      [
        'a destination the schema does not define',
        [
          { source: 'data.id', destination: 'TENANT.charges_data.id' },
          { source: 'data.amount', destination: 'TENANT.charges_data.no_such_field' },
        ],
        'input.fieldMappings[1].destination',
      ],
      [
        'the same destination twice',
        [
          { source: 'data.id', destination: 'TENANT.charges_data.id' },
          { source: 'data.amount', destination: 'TENANT.charges_data.id' },
        ],
        'input.fieldMappings[1].destination',
      ],
      ['an empty source', [{ source: ' ', destination: 'TENANT.charges_data.id' }], 'input.fieldMappings[0].source'],
      ['a source that is not a path', [{ source: 'data amount', destination: 'TENANT.charges_data.amount' }], 'input.fieldMappings[0].source'],
      ['an empty list', [], 'input.fieldMappings'],
    ] as const) {
      it(`refuses ${name} with BAD_USER_INPUT naming ${field}, writing nothing`, async () => {
        const [operations, resources] = [await countOf(stack, 'operations'), await countOf(stack, 'resources')];
        const input = { schemaId: upstream.schema.id, fieldMappings: fieldMappings.map((m) => ({ ...m, destination: m.destination.replace('TENANT', ns) })) };
        const result = await create(input);
        assert.equal(result.data, null);
        assert.equal(result.errors?.[0]?.extensions?.code, 'BAD_USER_INPUT');
        assert.equal(result.errors?.[0].extensions?.field, field);
        assert.equal(await countOf(stack, 'operations'), operations);
        assert.equal(await countOf(stack, 'resources'), resources);
      });
    }

    it('refuses an unknown schema with NOT_FOUND naming input.schemaId', async () => {
      const result = await create({ schemaId: '00000000-0000-4000-8000-000000000000', fieldMappings: [{ source: 'data.id', destination: 'x' }] });
      assert.equal(result.errors?.[0]?.extensions?.code, 'NOT_FOUND');
      assert.equal(result.errors?.[0].extensions?.field, 'input.schemaId');
    });

    it('refuses a source connection of another Stripe resource with PRECONDITION_FAILED', async () => {
      const refunds = await mutateAndWait(stack, 'createSourceConnection', 'CreateSourceConnectionInput', { connectionId: upstream.connection.id, resource: 'REFUNDS' });
      const result = await create({ schemaId: upstream.schema.id, sourceConnectionId: refunds.resourceId });
      assert.equal(result.errors?.[0]?.extensions?.code, 'PRECONDITION_FAILED');
      assert.equal(result.errors?.[0].extensions?.field, 'input.sourceConnectionId');
    });
  });

  describe('mappings', () => {
    it('lists the READY mappings of a schema, newest first', async () => {
      const { mappings } = await stack.data('query($s: ID!) { mappings(filter: { schemaId: $s, state: READY }) { totalCount edges { node { name state schema { id } createdAt } } } }', {
        s: upstream.schema.id,
      });
      assert.equal(mappings.totalCount, 3, 'generated, explicit and lost-answer; the refused one is FAILED');
      assert.ok(mappings.edges.every((e: any) => e.node.state === 'READY' && e.node.schema.id === upstream.schema.id));
      assert.equal(mappings.edges[0].node.name, 'Lost answer');
    });
  });
});
