import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { dropNextCreateAnswer, emulatorCounts, flowServiceResource, loggedRequests, platformGet } from './support/platform-reads.js';
import { buildFlowChain, countOf, mutate, mutateAndWait, platformRequest, RESOURCE_FIELDS, type FlowChain } from './support/prerequisites.js';
import { OPERATION_FIELDS, TestStack } from './support/stack.js';

const FLOWS_PATH = '/data/foundation/flowservice/flows';
const DATAFLOW_FIELDS = `${RESOURCE_FIELDS} resource mappingVersion schedule { frequency interval startTime backfill }
  sourceConnection { id } targetConnection { id } mapping { id } connection { id }`;

const inSeconds = (seconds: number) => new Date((Math.floor(Date.now() / 1000) + seconds) * 1000).toISOString();
const epoch = (iso: string) => Math.floor(Date.parse(iso) / 1000);

describe('dataflows through the GraphQL API', () => {
  let stack: TestStack;
  let chain: FlowChain;

  before(async () => {
    stack = await TestStack.start();
    chain = await buildFlowChain(stack);
  });
  after(() => stack.stop());

  const input = (overrides: Record<string, unknown> = {}) => ({
    name: 'Charges every 15 minutes',
    sourceConnectionId: chain.source.id,
    targetConnectionId: chain.target.id,
    mappingId: chain.mapping.id,
    schedule: { frequency: 'MINUTE', interval: 15, startTime: inSeconds(300) },
    ...overrides,
  });
  const create = (overrides: Record<string, unknown> = {}) => mutate(stack, 'createDataflow', 'CreateDataflowInput', input(overrides));
  const createAndWait = (overrides: Record<string, unknown> = {}) => mutateAndWait(stack, 'createDataflow', 'CreateDataflowInput', input(overrides));
  const dataflow = async (id: string) => (await stack.data(`query($id: ID!) { dataflow(id: $id) { ${DATAFLOW_FIELDS} } }`, { id })).dataflow;
  const update = (id: string, changes: Record<string, unknown>, expectedEtag?: string | null) =>
    stack.gql(`mutation($id: ID!, $input: UpdateDataflowInput!, $etag: String) { updateDataflow(id: $id, input: $input, expectedEtag: $etag) { ${OPERATION_FIELDS} } }`, {
      id,
      input: changes,
      etag: expectedEtag ?? null,
    });
  const action = (mutation: 'enableDataflow' | 'disableDataflow' | 'deleteDataflow', id: string) => stack.gql(`mutation($id: ID!) { ${mutation}(id: $id) { ${OPERATION_FIELDS} } }`, { id });

  describe('createDataflow', () => {
    it('creates exactly one enabled flow on the Platform, wired to the stored source, target and mapping', async () => {
      const before = await emulatorCounts(stack);
      const startTime = inSeconds(600);
      const result = await create({ description: 'charges to the lake', schedule: { frequency: 'MINUTE', interval: 15, startTime, backfill: false } });
      assert.equal(result.errors, undefined);
      assert.equal(result.data.createDataflow.type, 'CREATE_DATAFLOW');
      const done = await stack.waitForOperation(result.data.createDataflow.id);
      assert.equal(done.status, 'SUCCEEDED', JSON.stringify(done.error));

      const flow = await dataflow(done.resourceId);
      assert.equal(flow.state, 'ENABLED', 'dataflows start enabled, as on the Platform');
      assert.equal(flow.resource, 'CHARGES');
      assert.equal(flow.mappingVersion, 0, 'the mapping’s latest version by default');
      assert.deepEqual(flow.schedule, { frequency: 'MINUTE', interval: 15, startTime, backfill: false });
      assert.deepEqual([flow.sourceConnection.id, flow.targetConnection.id, flow.mapping.id, flow.connection.id], [chain.source.id, chain.target.id, chain.mapping.id, chain.connection.id]);

      const platform = await flowServiceResource(stack, 'flows', flow.platformId);
      assert.equal(platform.etag, flow.etag, 'the stored etag is the Platform’s');
      assert.equal(platform.state, 'enabled');
      assert.equal(platform.name, `Charges every 15 minutes [fg:${flow.id}]`);
      assert.deepEqual(platform.sourceConnectionIds, [chain.source.platformId]);
      assert.deepEqual(platform.targetConnectionIds, [chain.target.platformId]);
      assert.equal(platform.transformations[0].params.mappingId, chain.mapping.platformId);
      assert.equal(Number(platform.transformations[0].params.mappingVersion), 0);
      assert.deepEqual(platform.scheduleParams, { startTime: String(epoch(startTime)), frequency: 'minute', interval: '15', backfill: 'false' }, 'the start time travels in epoch seconds');
      assert.equal((await emulatorCounts(stack)).flows, before.flows + 1);
    });

    it('starts a minute after it is created when no start time is given, and a resubmit with the same key is the same request', async () => {
      const requested = Math.floor(Date.now() / 1000);
      const first = await create({ name: 'Once, soon', schedule: { frequency: 'ONCE' }, idempotencyKey: 'once-soon' });
      await new Promise((resolve) => setTimeout(resolve, 1100));
      const again = await create({ name: 'Once, soon', schedule: { frequency: 'ONCE' }, idempotencyKey: 'once-soon' });
      assert.equal(again.errors, undefined, 'the default start time is not part of the request');
      assert.equal(again.data.createDataflow.id, first.data.createDataflow.id);
      const done = await stack.waitForOperation(first.data.createDataflow.id);
      assert.equal(done.status, 'SUCCEEDED', JSON.stringify(done.error));
      const flow = await dataflow(done.resourceId);
      const start = epoch(flow.schedule.startTime);
      assert.ok(start >= requested + 60 && start <= Math.floor(Date.now() / 1000) + 60, `start ${start} requested ${requested}`);
      assert.deepEqual({ ...flow.schedule, startTime: undefined }, { frequency: 'ONCE', interval: null, startTime: undefined, backfill: null });
      assert.equal((await flowServiceResource(stack, 'flows', flow.platformId)).scheduleParams.startTime, String(start));
    });

    it('creates it once when the Platform commits the create but the answer is lost', async () => {
      const before = await emulatorCounts(stack);
      await dropNextCreateAnswer(stack, FLOWS_PATH);
      const done = await createAndWait({ name: 'Lost answer' });
      const creates = await loggedRequests(stack, 'POST', FLOWS_PATH);
      assert.equal(creates.length, 1, 'the lost create is found by name, not sent again');
      assert.equal(creates[0]!.fault?.mode, 'commit-then-drop');
      assert.equal((await emulatorCounts(stack)).flows, before.flows + 1);
      const flow = await dataflow(done.resourceId);
      assert.equal((await flowServiceResource(stack, 'flows', flow.platformId)).name, `Lost answer [fg:${flow.id}]`);
    });

    it('fails without retrying when the Platform refuses the mapping version, with the Platform’s code', async () => {
      const before = await emulatorCounts(stack);
      const result = await create({ name: 'Mapping version 7', mappingVersion: 7 });
      const done = await stack.waitForOperation(result.data.createDataflow.id);
      assert.equal(done.status, 'FAILED');
      assert.equal(done.attempts, 1, 'a 400 is final');
      assert.equal(done.error.code, 'PLATFORM_REJECTED');
      assert.equal(done.error.platformStatus, 400);
      assert.equal(done.error.platformCode, '1412-400');
      assert.equal(done.error.retryable, false);
      assert.equal((await dataflow(done.resourceId)).state, 'FAILED');
      assert.equal((await emulatorCounts(stack)).flows, before.flows);
    });

    const schedules = [
      ['ONCE with an interval', { frequency: 'ONCE', interval: 1 }, 'input.schedule.interval'],
      ['ONCE with backfill', { frequency: 'ONCE', backfill: true }, 'input.schedule.backfill'],
      ['MINUTE every 14 minutes', { frequency: 'MINUTE', interval: 14 }, 'input.schedule.interval'],
      ['HOUR without an interval', { frequency: 'HOUR' }, 'input.schedule.interval'],
      ['WEEK every 0 weeks', { frequency: 'WEEK', interval: 0 }, 'input.schedule.interval'],
      ['a start two minutes ago', { frequency: 'DAY', interval: 1, startTime: 'PAST' }, 'input.schedule.startTime'],
    ] as const;
    for (const [name, schedule, field] of schedules) {
      it(`refuses a schedule of ${name} with BAD_USER_INPUT naming ${field}, writing nothing`, async () => {
        const [operations, resources] = [await countOf(stack, 'operations'), await countOf(stack, 'resources')];
        const result = await create({ schedule: { ...schedule, ...('startTime' in schedule ? { startTime: inSeconds(-120) } : {}) } });
        assert.equal(result.data, null);
        assert.equal(result.errors?.[0]?.extensions?.code, 'BAD_USER_INPUT');
        assert.equal(result.errors?.[0].extensions?.field, field);
        assert.equal(await countOf(stack, 'operations'), operations);
        assert.equal(await countOf(stack, 'resources'), resources);
      });
    }

    it('refuses unknown neighbours with NOT_FOUND naming the field', async () => {
      for (const field of ['sourceConnectionId', 'targetConnectionId', 'mappingId']) {
        const result = await create({ [field]: '00000000-0000-4000-8000-000000000000' });
        assert.equal(result.errors?.[0]?.extensions?.code, 'NOT_FOUND', field);
        assert.equal(result.errors?.[0].extensions?.field, `input.${field}`);
      }
    });

    it('refuses a mapping that writes another schema than the target connection, naming input.mappingId', async () => {
      const schema = await mutateAndWait(stack, 'createXdmSchema', 'CreateXdmSchemaInput', { name: 'Second charges schema', sourceConnectionId: chain.source.id });
      const other = await mutate(stack, 'createMapping', 'CreateMappingInput', { schemaId: schema.resourceId, sourceConnectionId: chain.source.id });
      const [operations, resources] = [await countOf(stack, 'operations'), await countOf(stack, 'resources')];
      const result = await create({ mappingId: other.data.createMapping.resourceId });
      assert.equal(result.errors?.[0]?.extensions?.code, 'PRECONDITION_FAILED');
      assert.equal(result.errors?.[0].extensions?.field, 'input.mappingId');
      assert.equal(await countOf(stack, 'operations'), operations);
      assert.equal(await countOf(stack, 'resources'), resources);
    });
  });

  describe('updateDataflow', () => {
    let id: string;
    before(async () => {
      id = (await createAndWait({ name: 'To be updated', schedule: { frequency: 'HOUR', interval: 1, startTime: inSeconds(3600) } })).resourceId;
    });

    it('changes name, description and schedule on the Platform with the etag the caller saw', async () => {
      const current = await dataflow(id);
      const startTime = inSeconds(7200);
      const result = await update(id, { name: 'Updated', description: 'now every 2 hours', schedule: { frequency: 'HOUR', interval: 2, startTime } }, current.etag);
      assert.equal(result.errors, undefined);
      const done = await stack.waitForOperation(result.data.updateDataflow.id);
      assert.equal(done.status, 'SUCCEEDED', JSON.stringify(done.error));
      const updated = await dataflow(id);
      assert.equal(updated.name, 'Updated');
      assert.equal(updated.description, 'now every 2 hours');
      assert.deepEqual(updated.schedule, { frequency: 'HOUR', interval: 2, startTime, backfill: null });
      assert.notEqual(updated.etag, current.etag);
      const platform = await flowServiceResource(stack, 'flows', updated.platformId);
      assert.equal(platform.etag, updated.etag);
      assert.equal(platform.name, `Updated [fg:${id}]`);
      assert.equal(platform.description, 'now every 2 hours');
      assert.deepEqual(platform.scheduleParams, { startTime: String(epoch(startTime)), frequency: 'hour', interval: '2' });
    });

    it('fails fast with CONFLICT and the current etag when expectedEtag is stale, writing nothing', async () => {
      const current = await dataflow(id);
      const operations = await countOf(stack, 'operations');
      const result = await update(id, { name: 'Stale' }, '"not-the-etag"');
      assert.equal(result.errors?.[0]?.extensions?.code, 'CONFLICT');
      assert.equal(result.errors?.[0].extensions?.currentEtag, current.etag);
      assert.equal(await countOf(stack, 'operations'), operations);
      assert.equal((await dataflow(id)).name, current.name);
    });

    it('lets exactly one of two racing updates with the same expectedEtag succeed', async () => {
      const current = await dataflow(id);
      const results = await Promise.all(['Racer A', 'Racer B'].map((description) => update(id, { description }, current.etag)));
      const outcomes: string[] = [];
      for (const result of results) {
        if (result.errors) {
          assert.equal(result.errors[0]?.extensions?.code, 'CONFLICT');
          outcomes.push('CONFLICT');
          continue;
        }
        const done = await stack.waitForOperation(result.data.updateDataflow.id);
        outcomes.push(done.status === 'FAILED' ? done.error.code : done.status);
      }
      assert.deepEqual(outcomes.sort(), ['CONFLICT', 'SUCCEEDED']);
      const winner = results.findIndex((r, i) => !r.errors && outcomes[i] !== 'CONFLICT');
      const updated = await dataflow(id);
      const platform = await flowServiceResource(stack, 'flows', updated.platformId);
      assert.equal(platform.description, updated.description);
      assert.ok(['Racer A', 'Racer B'].includes(platform.description), `winner ${winner}`);
      assert.equal(platform.etag, updated.etag, 'the stored etag is the Platform’s after the race');
    });

    it('fails with CONFLICT when the flow was changed behind the gateway’s back, and the audit shows it', async () => {
      const CONFLICTS =
        'query($id: ID!) { auditEvents(filter: { action: CONFLICT_DETECTED, resourceId: $id }) { totalCount edges { node { action resourceType etagBefore etagAfter operationId } } } }';
      // The race above may have recorded a conflict of its own.
      const conflictsBefore = (await stack.data(CONFLICTS, { id })).auditEvents.totalCount;
      const stored = await dataflow(id);
      const patched = await platformRequest(stack, 'PATCH', `${FLOWS_PATH}/${stored.platformId}`, {
        ifMatch: stored.etag,
        body: [{ op: 'replace', path: '/description', value: 'changed in the Platform UI' }],
      });
      assert.equal(patched.status, 200, JSON.stringify(patched.body));

      const result = await update(id, { name: 'After the change' });
      const done = await stack.waitForOperation(result.data.updateDataflow.id);
      assert.equal(done.status, 'FAILED');
      assert.equal(done.error.code, 'CONFLICT');
      assert.equal(done.error.platformStatus, 412);

      const platform = await flowServiceResource(stack, 'flows', stored.platformId);
      assert.equal(platform.name, `${stored.name} [fg:${id}]`, 'the Platform keeps the other change, not ours');
      const refreshed = await dataflow(id);
      assert.equal(refreshed.etag, platform.etag, 'the stored etag is refreshed to the Platform’s');
      assert.equal(refreshed.name, stored.name);

      const { auditEvents } = await stack.data(CONFLICTS, { id });
      assert.equal(auditEvents.totalCount, conflictsBefore + 1, 'one CONFLICT_DETECTED event more');
      assert.deepEqual(auditEvents.edges[0].node, { action: 'CONFLICT_DETECTED', resourceType: 'DATAFLOW', etagBefore: stored.etag, etagAfter: platform.etag, operationId: done.id });

      const retried = await update(id, { name: 'After the change' }, refreshed.etag);
      assert.equal((await stack.waitForOperation(retried.data.updateDataflow.id)).status, 'SUCCEEDED', 'an update with the refreshed etag goes through');
      assert.equal((await dataflow(id)).name, 'After the change');
    });

    it('moves the flow to a newer mapping set version, and fails with the Platform’s code for one that does not exist', async () => {
      // Someone saves version 1 of the mapping set in the Platform UI.
      const put = await platformRequest(stack, 'PUT', `/data/foundation/conversion/mappingSets/${chain.mapping.platformId}`, {
        body: {
          outputSchema: { schemaRef: { id: chain.schema.platformId, contentType: 'application/vnd.adobe.xed-full+json;version=1' } },
          mappings: [{ sourceType: 'ATTRIBUTE', source: 'data.id', destination: `${chain.schema.tenantNamespace}.charges_data.id` }],
        },
      });
      assert.equal(put.status, 200, JSON.stringify(put.body));
      assert.equal(put.body.version, 1);

      const moved = await update(id, { mappingVersion: 1 });
      assert.equal((await stack.waitForOperation(moved.data.updateDataflow.id)).status, 'SUCCEEDED');
      const flow = await dataflow(id);
      assert.equal(flow.mappingVersion, 1);
      assert.equal(Number((await flowServiceResource(stack, 'flows', flow.platformId)).transformations[0].params.mappingVersion), 1);

      const refused = await update(id, { mappingVersion: 3 });
      const failed = await stack.waitForOperation(refused.data.updateDataflow.id);
      assert.equal(failed.status, 'FAILED');
      assert.equal(failed.attempts, 1);
      assert.equal(failed.error.platformCode, '1412-400');
      assert.equal((await dataflow(id)).mappingVersion, 1, 'the stored version stays the one the Platform uses');
    });

    it('refuses to move the start time of a dataflow that has started, naming input.schedule.startTime', async () => {
      const started = (await createAndWait({ name: 'Started', schedule: { frequency: 'MINUTE', interval: 15, startTime: inSeconds(-30) } })).resourceId;
      const result = await update(started, { schedule: { frequency: 'MINUTE', interval: 15, startTime: inSeconds(600) } });
      assert.equal(result.errors?.[0]?.extensions?.code, 'BAD_USER_INPUT');
      assert.equal(result.errors?.[0].extensions?.field, 'input.schedule.startTime');
      const slower = await update(started, { schedule: { frequency: 'MINUTE', interval: 30 } });
      assert.equal((await stack.waitForOperation(slower.data.updateDataflow.id)).status, 'SUCCEEDED', 'the interval may still change');
      assert.equal((await dataflow(started)).schedule.interval, 30);
    });

    it('refuses an update that changes nothing, naming input', async () => {
      const result = await update(id, {});
      assert.equal(result.errors?.[0]?.extensions?.code, 'BAD_USER_INPUT');
      assert.equal(result.errors?.[0].extensions?.field, 'input');
    });
  });

  describe('enableDataflow, disableDataflow and deleteDataflow', () => {
    let id: string;
    before(async () => {
      id = (await createAndWait({ name: 'Switched on and off' })).resourceId;
    });

    const run = async (mutation: 'enableDataflow' | 'disableDataflow' | 'deleteDataflow') => {
      const result = await action(mutation, id);
      assert.equal(result.errors, undefined, JSON.stringify(result.errors));
      return stack.waitForOperation(result.data[mutation].id);
    };

    it('disables the flow on the Platform, and disabling it again succeeds without a change', async () => {
      const before = await dataflow(id);
      const done = await run('disableDataflow');
      assert.equal(done.status, 'SUCCEEDED', JSON.stringify(done.error));
      const disabled = await dataflow(id);
      assert.equal(disabled.state, 'DISABLED');
      assert.notEqual(disabled.etag, before.etag);
      const platform = await flowServiceResource(stack, 'flows', disabled.platformId);
      assert.equal(platform.state, 'disabled');
      assert.equal(platform.etag, disabled.etag);

      const again = await run('disableDataflow');
      assert.equal(again.status, 'SUCCEEDED', JSON.stringify(again.error));
      assert.match(again.message, /already disabled/);
      assert.equal((await dataflow(id)).state, 'DISABLED');
    });

    it('enables it again', async () => {
      const done = await run('enableDataflow');
      assert.equal(done.status, 'SUCCEEDED', JSON.stringify(done.error));
      const enabled = await dataflow(id);
      assert.equal(enabled.state, 'ENABLED');
      assert.equal((await flowServiceResource(stack, 'flows', enabled.platformId)).state, 'enabled');
    });

    it('lists dataflows by resource, connection and state', async () => {
      const query = 'query($f: DataflowFilter) { dataflows(first: 100, filter: $f) { totalCount edges { node { id state resource } } } }';
      const all = (await stack.data(query, { f: { resource: 'CHARGES', connectionId: chain.connection.id } })).dataflows;
      assert.ok(all.edges.some((e: any) => e.node.id === id));
      assert.ok(all.edges.every((e: any) => e.node.resource === 'CHARGES'));
      const failed = (await stack.data(query, { f: { state: 'FAILED' } })).dataflows;
      assert.ok(failed.totalCount >= 1 && failed.edges.every((e: any) => e.node.state === 'FAILED'));
      assert.equal((await stack.data(query, { f: { resource: 'CUSTOMERS' } })).dataflows.totalCount, 0);
    });

    it('deletes the flow on the Platform; the dataflow stays readable as DELETED and leaves the list', async () => {
      const stored = await dataflow(id);
      const done = await run('deleteDataflow');
      assert.equal(done.status, 'SUCCEEDED', JSON.stringify(done.error));
      assert.equal((await dataflow(id)).state, 'DELETED');
      assert.equal((await platformGet(stack, `${FLOWS_PATH}/${stored.platformId}`)).status, 404);
      const { dataflows } = await stack.data('{ dataflows(first: 100) { edges { node { id } } } }');
      assert.ok(!dataflows.edges.some((e: any) => e.node.id === id));
      const again = await action('deleteDataflow', id);
      assert.equal(again.errors?.[0]?.extensions?.code, 'NOT_FOUND');
      const enable = await action('enableDataflow', id);
      assert.equal(enable.errors?.[0]?.extensions?.code, 'PRECONDITION_FAILED');
    });
  });
});
