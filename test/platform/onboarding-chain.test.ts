import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { platformName } from '../../src/platform/deterministic-names.js';
import type { ExploreResult } from '../../src/platform/flow-service.client.js';
import { PlatformNotFoundError, PlatformRejectedError } from '../../src/platform/platform-errors.js';
import { xdmFullContentType, type XdmResource } from '../../src/platform/schema-registry.client.js';
import { caught, REGISTRY, startPlatformTestEnv, type PlatformTestEnv } from './support/platform-test-env.js';
import { exploreLeafPaths, xdmFieldFromExplore } from './support/xdm-from-explore.js';

/**
 * The whole Stripe → data lake onboarding through the typed client, against the emulator over
 * HTTP: every create, read, find, update and delete the workers need, in the order they need it.
 * The steps share state, so they run in order.
 */
/** Where the emulator's clock stands for this test (2026-12-01T00:00:00Z). */
const FROZEN_AT = 1_796_083_200;

describe('Platform client: onboarding a Stripe charges flow end to end', () => {
  let env: PlatformTestEnv;
  const state: {
    connection?: { id: string; etag: string };
    explore?: ExploreResult;
    sourceConnectionId?: string;
    tenantId?: string;
    klass?: XdmResource;
    fieldGroup?: XdmResource;
    schema?: XdmResource;
    datasetId?: string;
    targetConnectionId?: string;
    mappingSetId?: string;
    mappings?: { source: string; destination: string }[];
    flow?: { id: string; etag: string };
    startTime?: number;
  } = {};
  const names = {
    connection: platformName('Stripe account', 'op-chain-1'),
    source: platformName('Stripe charges', 'op-chain-1'),
    target: platformName('Data lake charges', 'op-chain-1'),
    dataset: platformName('Stripe charges', 'op-chain-1'),
    mappingSet: platformName('Stripe charges mapping', 'op-chain-1'),
    flow: platformName('Stripe charges flow', 'op-chain-1'),
    klass: platformName('Stripe charge class', 'op-chain-1'),
    fieldGroup: platformName('Stripe charge fields', 'op-chain-1'),
    schema: platformName('Stripe charges schema', 'op-chain-1'),
  };

  before(async () => {
    env = await startPlatformTestEnv();
    // Freeze the emulator clock so scheduled runs happen only when the test moves it, at a fixed
    // instant: the records a run's window holds follow from the clock (and the account), and at
    // "now" some windows held only records the mapping refuses, which fails that run.
    await env.control.setClock(FROZEN_AT);
  });
  after(() => env.stop());

  it('creates a Stripe base connection and reads it back with the key masked', async () => {
    state.connection = await env.client.flowService.createConnection({ name: names.connection, description: 'test account', accessToken: 'sk_test_51FlowgatePlatformClient01' });
    assert.match(state.connection.etag, /^".+"$/, 'Flow Service etags contain their quotes');
    const connection = await env.client.flowService.getConnection(state.connection.id);
    assert.equal(connection.id, state.connection.id);
    assert.equal(connection.name, names.connection);
    assert.equal(connection.etag, state.connection.etag);
    assert.equal(connection.state, 'enabled');
    assert.equal(connection.connectionSpec.id, 'cc2c31d6-7b8c-4581-b49f-5c8698aa3ab3');
    assert.equal(connection.auth.specName, 'OAuth2 Refresh Code');
    assert.notEqual(connection.auth.params.accessToken, 'sk_test_51FlowgatePlatformClient01');
  });

  it('finds the connection by its deterministic name', async () => {
    const found = await env.client.flowService.findConnectionsByName(names.connection);
    assert.deepEqual(
      found.map((c) => c.id),
      [state.connection!.id],
    );
  });

  it('tests the connection and explores the charges schema with preview rows', async () => {
    assert.equal(await env.client.flowService.testConnection(state.connection!.id), true);
    const withoutPreview = await env.client.flowService.explore(state.connection!.id, 'charges');
    assert.equal(withoutPreview.rows, undefined);
    state.explore = await env.client.flowService.explore(state.connection!.id, 'charges', { preview: true });
    assert.equal(state.explore.schema.type, 'object');
    assert.equal(state.explore.schema.properties?.data?.properties?.amount?.type, 'integer');
    assert.ok(state.explore.rows && state.explore.rows.length > 0, 'preview rows');
    assert.equal(typeof (state.explore.rows[0] as { data: { id: unknown } }).data.id, 'string');
  });

  it('creates a source connection for charges and finds it by name', async () => {
    const ref = await env.client.flowService.createSourceConnection({ name: names.source, baseConnectionId: state.connection!.id, resourcePath: 'charges' });
    state.sourceConnectionId = ref.id;
    const source = await env.client.flowService.getSourceConnection(ref.id);
    assert.equal(source.baseConnectionId, state.connection!.id);
    assert.equal(source.params.resourcePath, 'charges');
    assert.equal(source.data.format, 'json');
    assert.deepEqual(
      (await env.client.flowService.findSourceConnectionsByName(names.source)).map((s) => s.id),
      [ref.id],
    );
  });

  it('reads the tenant id once and then from its cache', async () => {
    await env.control.clearRequests();
    state.tenantId = await env.client.schemaRegistry.getTenantId();
    assert.equal(state.tenantId, env.emulator.options.tenantId);
    assert.equal(await env.client.schemaRegistry.getTenantId(), state.tenantId);
    assert.equal((await env.control.requests({ path: `${REGISTRY}/stats` })).length, 1);
  });

  it('creates a class, a field group and a schema, and finds each by its title', async () => {
    const registry = env.client.schemaRegistry;
    state.klass = await registry.createClass({ title: names.klass, description: 'Stripe charge records' });
    assert.match(state.klass.$id, /\/classes\//);
    state.fieldGroup = await registry.createFieldGroup({
      title: names.fieldGroup,
      intendedToExtend: [state.klass.$id],
      definitions: {
        stripe: { properties: { [`_${state.tenantId}`]: { type: 'object', properties: { charges_data: xdmFieldFromExplore(state.explore!.schema.properties!.data!) } } } },
      },
    });
    assert.match(state.fieldGroup.$id, /\/mixins\//, 'field groups keep the legacy mixins segment');
    state.schema = await registry.createSchema({ title: names.schema, description: 'Stripe charges', classId: state.klass.$id, fieldGroupIds: [state.fieldGroup.$id] });
    assert.equal(state.schema['meta:class'], state.klass.$id);

    assert.deepEqual(
      (await registry.findClassesByTitle(names.klass)).map((r) => r.$id),
      [state.klass.$id],
    );
    assert.deepEqual(
      (await registry.findFieldGroupsByTitle(names.fieldGroup)).map((r) => r.$id),
      [state.fieldGroup.$id],
    );
    assert.deepEqual(
      (await registry.findSchemasByTitle(names.schema)).map((r) => r.$id),
      [state.schema.$id],
    );
    assert.deepEqual(await registry.findSchemasByTitle('no such schema'), []);
  });

  it('reads the schema raw (with allOf) and resolved (with properties)', async () => {
    const raw = await env.client.schemaRegistry.getSchema(state.schema!.$id);
    assert.ok(Array.isArray(raw.allOf));
    assert.equal(raw.properties, undefined);
    const full = await env.client.schemaRegistry.getSchema(state.schema!.$id, { full: true });
    const tenantFields = full.properties?.[`_${state.tenantId}`]?.properties;
    assert.ok(tenantFields?.charges_data, 'the resolved view merges the field group');
    assert.equal((await env.client.schemaRegistry.getClass(state.klass!.$id)).$id, state.klass!.$id);
    assert.equal((await env.client.schemaRegistry.getFieldGroup(state.fieldGroup!.$id)).$id, state.fieldGroup!.$id);
  });

  it('creates a dataset and reads it back by id and by name', async () => {
    state.datasetId = await env.client.catalog.createDataset({ name: names.dataset, schemaId: state.schema!.$id });
    assert.match(state.datasetId, /^[0-9a-f]{24}$/);
    const dataset = await env.client.catalog.getDataset(state.datasetId);
    assert.equal(dataset.id, state.datasetId);
    assert.equal(dataset.name, names.dataset);
    assert.equal(dataset.schemaRef?.id, state.schema!.$id);
    assert.deepEqual(
      (await env.client.catalog.findDatasetsByName(names.dataset)).map((d) => d.id),
      [state.datasetId],
    );
  });

  it('creates a target connection into the dataset', async () => {
    const ref = await env.client.flowService.createTargetConnection({
      name: names.target,
      schemaId: state.schema!.$id,
      schemaVersion: xdmFullContentType(1),
      datasetId: state.datasetId!,
    });
    state.targetConnectionId = ref.id;
    const target = await env.client.flowService.getTargetConnection(ref.id);
    assert.equal(target.params.dataSetId, state.datasetId);
    assert.equal(target.data.format, 'parquet_xdm');
    assert.deepEqual(
      (await env.client.flowService.findTargetConnectionsByName(names.target)).map((t) => t.id),
      [ref.id],
    );
  });

  it('creates a mapping set (HTTP 200), reads version 0 and finds it by name', async () => {
    state.mappings = exploreLeafPaths(state.explore!.schema.properties!.data!, 'data').map((source) => ({
      source,
      destination: `_${state.tenantId}.charges_data.${source.slice('data.'.length)}`,
    }));
    await env.control.clearRequests();
    const ref = await env.client.dataPrep.createMappingSet({ name: names.mappingSet, schemaId: state.schema!.$id, mappings: state.mappings });
    assert.equal(ref.version, 0);
    assert.equal((await env.control.requests({ method: 'POST', path: '/data/foundation/conversion/mappingSets' }))[0]?.status, 200);
    state.mappingSetId = ref.id;
    const set = await env.client.dataPrep.getMappingSet(ref.id, 0);
    assert.equal(set.mappings.length, state.mappings.length);
    assert.equal(set.outputSchema?.schemaRef?.id, state.schema!.$id);
    assert.deepEqual(
      (await env.client.dataPrep.findMappingSetsByName(names.mappingSet)).map((s) => s.id),
      [ref.id],
    );
  });

  it('creates a flow, which starts enabled, and reads its schedule as numbers', async () => {
    state.startTime = (await env.control.now()) + 60;
    state.flow = await env.client.flowService.createFlow({
      name: names.flow,
      sourceConnectionId: state.sourceConnectionId!,
      targetConnectionId: state.targetConnectionId!,
      mappingId: state.mappingSetId!,
      mappingVersion: 0,
      schedule: { startTime: state.startTime, frequency: 'minute', interval: 15 },
    });
    const flow = await env.client.flowService.getFlow(state.flow.id);
    assert.equal(flow.state, 'enabled');
    assert.deepEqual(flow.schedule, { startTime: state.startTime, frequency: 'minute', interval: 15 });
    const [transformation] = flow.transformations;
    assert.ok(transformation, 'the flow has its mapping transformation');
    assert.equal(transformation.params.mappingId, state.mappingSetId);
    assert.deepEqual(
      (await env.client.flowService.findFlowsByName(names.flow)).map((f) => f.id),
      [state.flow.id],
    );
  });

  it('disables and enables the flow, each time with a new etag', async () => {
    const disabled = await env.client.flowService.disableFlow(state.flow!.id);
    assert.notEqual(disabled.etag, state.flow!.etag);
    assert.equal((await env.client.flowService.getFlow(state.flow!.id)).state, 'disabled');
    const enabled = await env.client.flowService.enableFlow(state.flow!.id);
    assert.notEqual(enabled.etag, disabled.etag);
    assert.equal((await env.client.flowService.getFlow(state.flow!.id)).state, 'enabled');
    state.flow = enabled;
  });

  it('refuses to enable an enabled flow with a final PlatformRejectedError 1422-400', async () => {
    const error = await caught(() => env.client.flowService.enableFlow(state.flow!.id));
    assert.ok(error instanceof PlatformRejectedError);
    assert.equal(error.platformCode, '1422-400');
    assert.equal(error.retryable, false);
  });

  it('renames the flow and the connection with their current etags', async () => {
    const renamedFlow = await env.client.flowService.updateFlow(state.flow!.id, state.flow!.etag, [{ op: 'replace', path: '/description', value: 'renamed' }]);
    assert.notEqual(renamedFlow.etag, state.flow!.etag);
    state.flow = renamedFlow;
    assert.equal((await env.client.flowService.getFlow(state.flow.id)).description, 'renamed');

    const renamedConnection = await env.client.flowService.updateConnection(state.connection!.id, state.connection!.etag, [{ op: 'replace', path: '/description', value: 'renamed account' }]);
    state.connection = renamedConnection;
    assert.equal((await env.client.flowService.getConnection(state.connection.id)).description, 'renamed account');
  });

  it('lists the runs the schedule produced once the clock moves on, across continuation pages', async () => {
    await env.control.advanceClock(3600);
    const runs = await env.client.flowService.listRuns(state.flow!.id);
    // Runs at start, +15, +30 and +45 minutes.
    assert.equal(runs.length, 4);
    const firstRun = runs[0]!;
    const thirdRun = runs[2]!;
    assert.ok(runs.every((r) => r.flowId === state.flow!.id));
    assert.ok(
      runs.every((r) => r.status === 'success' || r.status === 'partialSuccess'),
      runs.map((r) => r.status).join(),
    );
    assert.ok(runs.every((r) => typeof r.etag === 'string'));

    await env.control.clearRequests();
    const paged = await env.client.flowService.listAll<{ id: string }>('/runs', { property: [`flowId==${state.flow!.id}`] }, { pageSize: 3 });
    assert.deepEqual(
      paged.map((r) => r.id),
      runs.map((r) => r.id),
    );
    assert.equal((await env.control.requests({ method: 'GET', path: '/data/foundation/flowservice/runs' })).length, 2, 'two pages of at most three');

    const since = thirdRun.metrics!.durationSummary!.startedAtUTC!;
    assert.deepEqual(
      (await env.client.flowService.listRuns(state.flow!.id, { since })).map((r) => r.id),
      runs.slice(2).map((r) => r.id),
    );
    assert.deepEqual(
      (await env.client.flowService.listRuns(state.flow!.id, { limit: 1 })).map((r) => r.id),
      [firstRun.id],
    );

    const run = await env.client.flowService.getRun(firstRun.id);
    assert.equal(run.id, firstRun.id);
    assert.ok((run.metrics?.recordSummary?.outputRecordCount ?? 0) > 0);
  });

  it('lists the batches the runs wrote into the dataset', async () => {
    const batches = await env.client.catalog.listBatches(state.datasetId!);
    assert.equal(batches.length, 4);
    assert.ok(batches.every((b) => b.relatedObjects?.some((o) => o.type === 'dataSet' && o.id === state.datasetId)));
  });

  it('updates the mapping set to version 1 and keeps version 0 readable', async () => {
    const ref = await env.client.dataPrep.updateMappingSet(state.mappingSetId!, { name: names.mappingSet, schemaId: state.schema!.$id, mappings: state.mappings!.slice(0, 5) });
    assert.deepEqual(ref, { id: state.mappingSetId, version: 1 });
    assert.equal((await env.client.dataPrep.getMappingSet(state.mappingSetId!)).mappings.length, 5);
    assert.equal((await env.client.dataPrep.getMappingSet(state.mappingSetId!, 0)).mappings.length, state.mappings!.length);
  });

  it('deletes everything in reverse order, after which reads are PlatformNotFoundError', async () => {
    const { flowService, catalog, schemaRegistry } = env.client;
    await flowService.deleteFlow(state.flow!.id);
    await flowService.deleteSourceConnection(state.sourceConnectionId!);
    await flowService.deleteTargetConnection(state.targetConnectionId!);
    await flowService.deleteConnection(state.connection!.id);
    await catalog.deleteDataset(state.datasetId!);
    await schemaRegistry.deleteSchema(state.schema!.$id);
    await schemaRegistry.deleteFieldGroup(state.fieldGroup!.$id);
    await schemaRegistry.deleteClass(state.klass!.$id);

    const reads: [string, () => Promise<unknown>][] = [
      ['flow', () => flowService.getFlow(state.flow!.id)],
      ['source connection', () => flowService.getSourceConnection(state.sourceConnectionId!)],
      ['target connection', () => flowService.getTargetConnection(state.targetConnectionId!)],
      ['connection', () => flowService.getConnection(state.connection!.id)],
      ['dataset', () => catalog.getDataset(state.datasetId!)],
      ['schema', () => schemaRegistry.getSchema(state.schema!.$id)],
    ];
    for (const [what, read] of reads) {
      const error = await caught(read);
      assert.ok(error instanceof PlatformNotFoundError, `${what}: ${String(error)}`);
      assert.equal(error.retryable, false);
    }
    assert.deepEqual(await flowService.findConnectionsByName(names.connection), []);
  });
});
