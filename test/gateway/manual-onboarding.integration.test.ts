import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { emulatorCounts, flowServiceResource, platformGet } from './support/platform-reads.js';
import { OPERATION_FIELDS, TestStack } from './support/stack.js';

const KEY = 'sk_test_51ManualOnboardingKey01';
const NOW = 1_900_000_000;
const WATCH = `subscription($id: ID!) { operationUpdated(id: $id) { id status progress resourceId error { code message } } }`;

/**
 * The whole onboarding a user does by hand, through GraphQL over HTTP (mutations) and
 * WebSocket (each operation watched until SUCCEEDED): connection → source connection → XDM
 * schema → dataset → target connection → mapping → dataflow. Then the emulator must hold exactly
 * those resources, with the ids and etags Flowgate stored, wired to each other.
 */
describe('manual Stripe onboarding through the GraphQL API', () => {
  let stack: TestStack;
  const ids: Record<string, string> = {};
  before(async () => {
    stack = await TestStack.start();
    await stack.control('POST', '/clock', { now: NOW });
  });
  after(() => stack.stop());

  /** Sends a create mutation, then watches its operation over WebSocket until it finishes. */
  const createAndWatch = async (field: string, inputType: string, input: Record<string, unknown>) => {
    const result = await stack.gql(`mutation($input: ${inputType}!) { ${field}(input: $input) { ${OPERATION_FIELDS} } }`, { input });
    assert.equal(result.errors, undefined, JSON.stringify(result.errors));
    const operation = result.data[field];
    const messages = await stack.collect(WATCH, { id: operation.id }, (m) => ['SUCCEEDED', 'FAILED'].includes(m.operationUpdated.status), 60_000);
    const last = messages.at(-1).operationUpdated;
    assert.equal(last.status, 'SUCCEEDED', `${field}: ${JSON.stringify(last.error)}`);
    assert.equal(last.progress, 1);
    return operation.resourceId as string;
  };

  it('creates every resource, each operation watched over WebSocket until SUCCEEDED', async () => {
    ids.connection = await createAndWatch('createConnection', 'CreateConnectionInput', { name: 'Acme Stripe', accessToken: KEY });
    ids.source = await createAndWatch('createSourceConnection', 'CreateSourceConnectionInput', { connectionId: ids.connection, resource: 'CHARGES' });
    ids.schema = await createAndWatch('createXdmSchema', 'CreateXdmSchemaInput', { name: 'Acme charges', sourceConnectionId: ids.source });
    ids.dataset = await createAndWatch('createDataset', 'CreateDatasetInput', { name: 'Acme charges dataset', schemaId: ids.schema });
    ids.target = await createAndWatch('createTargetConnection', 'CreateTargetConnectionInput', { datasetId: ids.dataset });
    ids.mapping = await createAndWatch('createMapping', 'CreateMappingInput', { schemaId: ids.schema, sourceConnectionId: ids.source });
    ids.dataflow = await createAndWatch('createDataflow', 'CreateDataflowInput', {
      name: 'Acme charges hourly',
      sourceConnectionId: ids.source,
      targetConnectionId: ids.target,
      mappingId: ids.mapping,
      schedule: { frequency: 'HOUR', interval: 1, startTime: new Date((NOW + 120) * 1000).toISOString() },
    });
  });

  it('leaves exactly those resources on the Platform, with the ids and etags Flowgate stored, wired together', async () => {
    const counts = await emulatorCounts(stack);
    assert.deepEqual(
      {
        connections: counts.connections,
        sourceConnections: counts.sourceConnections,
        targetConnections: counts.targetConnections,
        flows: counts.flows,
        mappingSets: counts.mappingSets,
        datasets: counts.datasets,
        schemas: counts.schemas,
      },
      { connections: 1, sourceConnections: 1, targetConnections: 1, flows: 1, mappingSets: 1, datasets: 1, schemas: 1 },
    );
    const { dataflow } = await stack.data(
      `query($id: ID!) { dataflow(id: $id) {
        platformId etag state
        sourceConnection { platformId etag connection { platformId etag } }
        targetConnection { platformId etag dataset { platformId schema { platformId } } }
        mapping { platformId version fieldMappings { source destination } }
      } }`,
      { id: ids.dataflow },
    );
    assert.equal(dataflow.state, 'ENABLED');
    const flow = await flowServiceResource(stack, 'flows', dataflow.platformId);
    assert.equal(flow.etag, dataflow.etag);
    assert.deepEqual(flow.sourceConnectionIds, [dataflow.sourceConnection.platformId]);
    assert.deepEqual(flow.targetConnectionIds, [dataflow.targetConnection.platformId]);
    assert.equal(flow.transformations[0].params.mappingId, dataflow.mapping.platformId);
    const source = await flowServiceResource(stack, 'sourceConnections', dataflow.sourceConnection.platformId);
    assert.equal(source.etag, dataflow.sourceConnection.etag);
    assert.equal(source.baseConnectionId, dataflow.sourceConnection.connection.platformId);
    const connection = await flowServiceResource(stack, 'connections', dataflow.sourceConnection.connection.platformId);
    assert.equal(connection.etag, dataflow.sourceConnection.connection.etag);
    const target = await flowServiceResource(stack, 'targetConnections', dataflow.targetConnection.platformId);
    assert.equal(target.params.dataSetId, dataflow.targetConnection.dataset.platformId);
    assert.equal(target.data.schema.id, dataflow.targetConnection.dataset.schema.platformId);
    const mappingSet = await platformGet(stack, `/data/foundation/conversion/mappingSets/${dataflow.mapping.platformId}`);
    assert.equal(mappingSet.body.mappings.length, dataflow.mapping.fieldMappings.length);
    assert.ok(dataflow.mapping.fieldMappings.some((m: { source: string; destination: string }) => m.source === 'data.amount' && m.destination === '_flowgatelocal.charges_data.amount'));
  });

  it('ingests charges once the emulator clock passes the start time, and the runs show up in the API', async () => {
    await stack.control('POST', '/clock', { advanceSeconds: 120 + 3600 + 600 });
    await stack.syncRuns();
    const { dataflow } = await stack.data(
      `query($id: ID!) { dataflow(id: $id) { lastRun { status recordsRead recordsWritten recordsFailed } runs { totalCount } targetConnection { dataset { platformId } } } }`,
      { id: ids.dataflow },
    );
    assert.equal(dataflow.runs.totalCount, 2);
    const records = await stack.control('GET', `/datasets/${dataflow.targetConnection.dataset.platformId}/records`);
    const { flowRuns } = await stack.data(`query($id: ID!) { flowRuns(dataflowId: $id) { edges { node { recordsWritten } } } }`, { id: ids.dataflow });
    assert.equal(
      records.count,
      flowRuns.edges.reduce((n: number, e: any) => n + e.node.recordsWritten, 0),
    );
    assert.ok(records.count > 0);
  });

  describe('updateConnection', () => {
    it('renames the connection and rotates its key on the Platform, with a new etag', async () => {
      const { connection: before } = await stack.data('query($id: ID!) { connection(id: $id) { etag } }', { id: ids.connection });
      const result = await stack.data(
        `mutation($id: ID!, $etag: String) { updateConnection(id: $id, input: { name: "Acme Stripe (EU)", accessToken: "sk_test_51RotatedManualKey01" }, expectedEtag: $etag) { id } }`,
        { id: ids.connection, etag: before.etag },
      );
      const done = await stack.waitForOperation(result.updateConnection.id);
      assert.equal(done.status, 'SUCCEEDED', JSON.stringify(done.error));
      const { connection } = await stack.data('query($id: ID!) { connection(id: $id) { name etag platformId } }', { id: ids.connection });
      assert.equal(connection.name, 'Acme Stripe (EU)');
      assert.notEqual(connection.etag, before.etag);
      const onPlatform = await flowServiceResource(stack, 'connections', connection.platformId);
      assert.equal(onPlatform.etag, connection.etag);
      assert.match(onPlatform.name, /^Acme Stripe \(EU\) \[fg:/);
    });

    it('fails fast with CONFLICT and the current etag when expectedEtag is stale', async () => {
      const result = await stack.gql(`mutation($id: ID!) { updateConnection(id: $id, input: { name: "x" }, expectedEtag: "\\"stale\\"") { id } }`, { id: ids.connection });
      assert.equal(result.errors?.[0]?.extensions?.code, 'CONFLICT');
      const { connection } = await stack.data('query($id: ID!) { connection(id: $id) { etag } }', { id: ids.connection });
      assert.equal(result.errors?.[0].extensions?.currentEtag, connection.etag);
    });

    it('refuses an update that changes nothing, naming input', async () => {
      const result = await stack.gql(`mutation($id: ID!) { updateConnection(id: $id, input: {}) { id } }`, { id: ids.connection });
      assert.equal(result.errors?.[0]?.extensions?.code, 'BAD_USER_INPUT');
      assert.equal(result.errors?.[0].extensions?.field, 'input');
    });
  });

  describe('deleteConnection', () => {
    it('is refused while a dataflow uses the connection', async () => {
      const result = await stack.gql(`mutation($id: ID!) { deleteConnection(id: $id) { id } }`, { id: ids.connection });
      assert.equal(result.errors?.[0]?.extensions?.code, 'PRECONDITION_FAILED');
      assert.equal(result.errors?.[0].extensions?.field, 'cascade');
    });

    it('with cascade deletes the dataflow and source connection first, then the connection, on the Platform too', async () => {
      const result = await stack.data(`mutation($id: ID!) { deleteConnection(id: $id, cascade: true) { id } }`, { id: ids.connection });
      const done = await stack.waitForOperation(result.deleteConnection.id);
      assert.equal(done.status, 'SUCCEEDED', JSON.stringify(done.error));
      const counts = await emulatorCounts(stack);
      assert.equal(counts.connections, 0);
      assert.equal(counts.flows, 0);
      assert.equal(counts.sourceConnections, 0);
      const { dataflow, connection } = await stack.data('query($d: ID!, $c: ID!) { dataflow(id: $d) { state } connection(id: $c) { state } }', { d: ids.dataflow, c: ids.connection });
      assert.equal(dataflow.state, 'DELETED');
      assert.equal(connection.state, 'DELETED');
      const { dataflows } = await stack.data('{ dataflows { totalCount } }');
      assert.equal(dataflows.totalCount, 0, 'deleted dataflows are not listed');
    });
  });

  describe('auditEvents', () => {
    it('lists every change newest first, filters by resource, type, action and actor, and pages', async () => {
      const all = (await stack.data('{ auditEvents(first: 100) { totalCount edges { node { id at action resourceType resourceId actor } } } }')).auditEvents;
      const times = all.edges.map((e: any) => Date.parse(e.node.at));
      assert.deepEqual(
        times,
        [...times].sort((a, b) => b - a),
      );
      const actions = all.edges.map((e: any) => `${e.node.resourceType}:${e.node.action}`);
      for (const expected of [
        'CONNECTION:CREATED',
        'SOURCE_CONNECTION:CREATED',
        'XDM_SCHEMA:CREATED',
        'DATASET:CREATED',
        'TARGET_CONNECTION:CREATED',
        'MAPPING:CREATED',
        'DATAFLOW:CREATED',
        'CONNECTION:UPDATED',
        'DATAFLOW:DELETED',
        'CONNECTION:DELETED',
      ]) {
        assert.ok(actions.includes(expected), `${expected} in ${actions.join(', ')}`);
      }
      const connectionEvents = (
        await stack.data('query($id: ID!) { auditEvents(filter: { resourceId: $id }) { edges { node { action resourceId changes { field before after } etagBefore etagAfter } } } }', {
          id: ids.connection,
        })
      ).auditEvents.edges.map((e: any) => e.node);
      assert.deepEqual(
        connectionEvents.map((e: any) => e.action),
        ['DELETED', 'UPDATED', 'CREATED'],
      );
      const update = connectionEvents[1];
      assert.ok(update.changes.some((c: any) => c.field === 'name' && c.before === 'Acme Stripe' && c.after === 'Acme Stripe (EU)'));
      assert.notEqual(update.etagBefore, update.etagAfter);
      const byType = (await stack.data('{ auditEvents(filter: { resourceType: DATASET }) { totalCount edges { node { resourceType } } } }')).auditEvents;
      assert.equal(byType.totalCount, 1);
      const byAction = (await stack.data('{ auditEvents(filter: { action: DELETED }) { totalCount } }')).auditEvents;
      assert.equal(byAction.totalCount, 3);
      const page1 = (await stack.data('{ auditEvents(first: 4) { pageInfo { hasNextPage endCursor } edges { node { id } } } }')).auditEvents;
      const page2 = (await stack.data('query($after: String) { auditEvents(first: 4, after: $after) { edges { node { id } } } }', { after: page1.pageInfo.endCursor })).auditEvents;
      assert.equal(page1.pageInfo.hasNextPage, true);
      const seen = new Set(page1.edges.map((e: any) => e.node.id));
      for (const e of page2.edges) assert.ok(!seen.has(e.node.id), 'pages do not overlap');
      assert.deepEqual(
        page1.edges.concat(page2.edges).map((e: any) => e.node.id),
        all.edges.slice(0, 8).map((e: any) => e.node.id),
      );
    });

    it('records who asked: the authenticated caller of a request, and filters by it and by time', async () => {
      const before = new Date();
      const alice = await stack.createKey('alice', 'operator');
      const result = await stack.data('mutation { createConnection(input: { name: "audited", accessToken: "sk_test_51AuditedActorKey01" }) { id resourceId requestedBy } }', {}, stack.auth(alice));
      assert.equal(result.createConnection.requestedBy, 'apikey:alice');
      // A header naming someone else is not trusted: the caller is who the key says.
      const forged = await stack.data(
        'mutation { createConnection(input: { name: "audited 2", accessToken: "sk_test_51AuditedActorKey02" }) { id requestedBy } }',
        {},
        { ...stack.auth(alice), 'x-flowgate-actor': 'mallory' },
      );
      assert.equal(forged.createConnection.requestedBy, 'apikey:alice');
      await stack.waitForOperation(result.createConnection.id);
      await stack.waitForOperation(forged.createConnection.id);
      const events = (
        await stack.data('query($since: DateTime, $id: ID) { auditEvents(filter: { actor: "apikey:alice", since: $since, resourceId: $id }) { totalCount edges { node { actor action } } } }', {
          since: before.toISOString(),
          id: result.createConnection.resourceId,
        })
      ).auditEvents;
      assert.equal(events.totalCount, 1);
      assert.deepEqual(events.edges[0].node, { actor: 'apikey:alice', action: 'CREATED' });
      const none = (await stack.data('query($until: DateTime) { auditEvents(filter: { actor: "apikey:alice", until: $until }) { totalCount } }', { until: before.toISOString() })).auditEvents;
      assert.equal(none.totalCount, 0);
      const wrong = await stack.gql('{ auditEvents(filter: { since: "2030-01-01T00:00:00Z", until: "2020-01-01T00:00:00Z" }) { totalCount } }');
      assert.equal(wrong.errors?.[0]?.extensions?.field, 'filter.since');
    });

    it('cannot be changed behind the API: the database refuses UPDATE and DELETE on audit events', async () => {
      await assert.rejects(stack.sql("UPDATE audit_events SET actor = 'mallory'"), /append-only/);
      await assert.rejects(stack.sql('DELETE FROM audit_events'), /append-only/);
    });
  });
});
