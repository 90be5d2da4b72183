import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import { checkContract } from './support/contract-check.js';
import { CATALOG, CONVERSION, FLOW, REGISTRY, sourceParams, startTestEmulator, type TestEmulator } from './support/emulator-client.js';
import { DATA_LAKE_SPEC, RECORD_BEHAVIOR, REST_FLOW_SPEC, STRIPE_SPEC, VALID_STRIPE_KEY, XDM_FULL_V1 } from './support/stripe-setup.js';

/**
 * Issue 12, part 2, on the emulator's side: ingestion validates every record against the
 * dataset's XDM schema, so a wrong mapping fails as it would on the Platform; XDM maps; and the
 * records a test adds to a Stripe account.
 */
const NOW = 1_900_000_000;
const T = '_flowgatelocal';
const DATE_TIME = `iif(data.created == null, null, dformat(data.created * 1000, "yyyy-MM-dd'T'HH:mm:ss'Z'"))`;

describe('ingestion into the XDM schema of the dataset', () => {
  let t: TestEmulator;
  let connectionId: string;
  let sourceId: string;
  before(async () => {
    t = await startTestEmulator();
  });
  after(() => t.stop());
  beforeEach(async () => {
    await t.client.control('POST', '/reset');
    await t.client.control('POST', '/clock', { now: NOW });
    const connection = await t.client.post(`${FLOW}/connections`, {
      name: 'Stripe',
      connectionSpec: { id: STRIPE_SPEC, version: '1.0' },
      auth: { specName: 'OAuth2 Refresh Code', params: { accessToken: VALID_STRIPE_KEY } },
    });
    connectionId = connection.body.id;
    const source = await t.client.post(`${FLOW}/sourceConnections`, {
      name: 'charges',
      baseConnectionId: connectionId,
      connectionSpec: { id: STRIPE_SPEC, version: '1.0' },
      data: { format: 'json' },
      params: { resourcePath: 'charges' },
    });
    sourceId = source.body.id;
  });

  /** A schema whose tenant object holds `charges` (id, created, metadata …), a dataset and target for it, and a flow with `mappings`. */
  async function flowWith(fields: Record<string, unknown>, mappings: Record<string, unknown>[], required?: string[]) {
    const klass = await t.client.post(`${REGISTRY}/tenant/classes`, { type: 'object', title: `c ${Math.random()}`, description: 'd', allOf: [{ $ref: RECORD_BEHAVIOR }] });
    const fieldGroup = await t.client.post(`${REGISTRY}/tenant/fieldgroups`, {
      type: 'object',
      title: `f ${Math.random()}`,
      description: 'd',
      'meta:intendedToExtend': [klass.body.$id],
      definitions: { d: { properties: { [T]: { type: 'object', properties: { charges: { type: 'object', properties: fields, ...(required ? { required } : {}) } } } } } },
      allOf: [{ $ref: '#/definitions/d' }],
    });
    assert.equal(fieldGroup.status, 201, fieldGroup.text);
    const schema = await t.client.post(`${REGISTRY}/tenant/schemas`, {
      type: 'object',
      title: `s ${Math.random()}`,
      description: 'd',
      allOf: [{ $ref: klass.body.$id }, { $ref: fieldGroup.body.$id }],
    });
    const dataset = await t.client.post(`${CATALOG}/dataSets`, { name: 'charges', schemaRef: { id: schema.body.$id, contentType: 'application/vnd.adobe.xed+json;version=1' } });
    const datasetId = (dataset.body[0] as string).replace('@/dataSets/', '');
    const target = await t.client.post(`${FLOW}/targetConnections`, {
      name: 'target',
      connectionSpec: { id: DATA_LAKE_SPEC, version: '1.0' },
      data: { format: 'parquet_xdm', schema: { id: schema.body.$id, version: XDM_FULL_V1 } },
      params: { dataSetId: datasetId },
    });
    const set = await t.client.post(`${CONVERSION}/mappingSets`, { outputSchema: { schemaRef: { id: schema.body.$id, contentType: XDM_FULL_V1 } }, mappings });
    assert.equal(set.status, 200, set.text);
    const flow = await t.client.post(`${FLOW}/flows`, {
      name: 'charges',
      flowSpec: { id: REST_FLOW_SPEC, version: '1.0' },
      sourceConnectionIds: [sourceId],
      targetConnectionIds: [target.body.id],
      transformations: [{ name: 'Mapping', params: { mappingId: set.body.id, mappingVersion: 0 } }],
      scheduleParams: { startTime: NOW + 60, frequency: 'once' },
    });
    assert.equal(flow.status, 201, flow.text);
    return { flowId: flow.body.id as string, datasetId };
  }

  async function runOf(flowId: string) {
    await t.client.control('POST', '/clock', { advanceSeconds: 60 + 600 });
    return (await t.client.get(`${FLOW}/runs`, { query: { property: `flowId==${flowId}` } })).body.items[0];
  }

  it('writes a Unix timestamp through dformat into a date-time field, metadata into a map, and every record succeeds', async () => {
    const { flowId, datasetId } = await flowWith(
      { id: { type: 'string' }, created: { type: 'string', format: 'date-time' }, metadata: { type: 'object', 'meta:xdmType': 'map', additionalProperties: { type: 'string' } } },
      [
        { sourceType: 'ATTRIBUTE', source: 'data.id', destination: `${T}.charges.id` },
        { sourceType: 'EXPRESSION', source: DATE_TIME, destination: `${T}.charges.created` },
        { sourceType: 'ATTRIBUTE', source: 'data.metadata', destination: `${T}.charges.metadata` },
      ],
    );
    const run = await runOf(flowId);
    assert.equal(run.metrics.statusSummary.status, 'success');
    assert.ok(run.metrics.recordSummary.outputRecordCount > 0);
    const records = (await t.client.control('GET', `/datasets/${datasetId}/records`)).body.records;
    for (const { record } of records) {
      const created = Date.parse(record[T].charges.created) / 1000;
      assert.match(record[T].charges.created, /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/);
      assert.ok(created >= NOW + 60 - 86400 && created < NOW + 60, 'the run read its day');
      assert.deepEqual(record[T].charges.metadata, {});
    }
  });

  it('fails every record of a mapping that copies the Unix timestamp into the date-time field (MAPPER-3700-400)', async () => {
    const { flowId, datasetId } = await flowWith({ id: { type: 'string' }, created: { type: 'string', format: 'date-time' } }, [
      { sourceType: 'ATTRIBUTE', source: 'data.id', destination: `${T}.charges.id` },
      { sourceType: 'ATTRIBUTE', source: 'data.created', destination: `${T}.charges.created` },
    ]);
    const run = await runOf(flowId);
    assert.equal(run.metrics.statusSummary.status, 'failed');
    assert.equal(run.metrics.recordSummary.outputRecordCount, 0);
    assert.equal(run.metrics.recordSummary.failedRecordCount, run.metrics.recordSummary.inputRecordCount);
    const [summary, error] = run.metrics.statusSummary.errors;
    assert.equal(summary.code, 'INGEST-1212-400');
    assert.equal(error.code, 'MAPPER-3700-400');
    assert.match(error.message, /'data\.created' to destination '_flowgatelocal\.charges\.created' failed: expected date-time, found integer/);
    assert.equal((await t.client.control('GET', `/datasets/${datasetId}/records`)).body.count, 0);
  });

  it("fails every record that lacks a field the dataset's schema requires (INGEST-1555-400)", async () => {
    const { flowId } = await flowWith(
      { id: { type: 'string' }, receipt_note: { type: 'string' } },
      [{ sourceType: 'ATTRIBUTE', source: 'data.id', destination: `${T}.charges.id` }],
      ['id', 'receipt_note'],
    );
    const run = await runOf(flowId);
    assert.equal(run.metrics.statusSummary.status, 'failed');
    const error = run.metrics.statusSummary.errors.find((e: { code: string }) => e.code === 'INGEST-1555-400');
    assert.ok(error, JSON.stringify(run.metrics.statusSummary.errors));
    assert.match(error.message, /_flowgatelocal\.charges\.receipt_note: the field is required/);
    assert.equal(error.recordCount, run.metrics.recordSummary.inputRecordCount);
  });

  describe('XDM map fields ("Define XDM fields in the Schema Registry API": maps)', () => {
    it('refuses a map with properties or with values of another type than string or integer', async () => {
      for (const field of [
        { type: 'object', 'meta:xdmType': 'map', properties: { a: { type: 'string' } }, additionalProperties: { type: 'string' } },
        { type: 'object', 'meta:xdmType': 'map', additionalProperties: { type: 'boolean' } },
      ]) {
        const klass = await t.client.post(`${REGISTRY}/tenant/classes`, { type: 'object', title: `c ${Math.random()}`, description: 'd', allOf: [{ $ref: RECORD_BEHAVIOR }] });
        const response = await t.client.post(`${REGISTRY}/tenant/fieldgroups`, {
          type: 'object',
          title: `f ${Math.random()}`,
          description: 'd',
          'meta:intendedToExtend': [klass.body.$id],
          definitions: { d: { properties: { [T]: { type: 'object', properties: { m: field } } } } },
          allOf: [{ $ref: '#/definitions/d' }],
        });
        assert.equal(response.status, 400, response.text);
        assert.match(response.body.detail ?? response.body.title, /map field/i);
      }
    });
  });

  describe('records added to a Stripe account (control API)', () => {
    it('are read by runs and explore, and listed back with the generated ones of the window', async () => {
      const added = await t.client.control('POST', `/connections/${connectionId}/stripe/charges`, {
        records: [{ id: 'ch_added_1', object: 'charge', created: NOW - 60, amount: 5, currency: 'usd', surprise: { nested: 'yes' } }],
      });
      assert.equal(added.status, 201, added.text);
      assert.deepEqual(added.body, { added: 1, total: 1 });
      const explore = await t.client.get(`${FLOW}/connections/${connectionId}/explore`, { query: { objectType: 'rest', object: 'json', fileType: 'json', sourceParams: sourceParams('charges') } });
      assert.deepEqual(explore.body.schema.properties.data.properties.surprise, { type: 'object', properties: { nested: { type: 'string' } } });
      const listed = await t.client.control('GET', `/connections/${connectionId}/stripe/charges?from=${NOW - 3600}&to=${NOW}`);
      assert.equal(listed.status, 200);
      assert.ok(listed.body.records.some((r: { id: string }) => r.id === 'ch_added_1'));
      assert.ok(listed.body.count > 1, 'the generated charges of the hour are listed too');
      const sorted = listed.body.records.map((r: { created: number }) => r.created);
      assert.deepEqual(
        sorted,
        [...sorted].sort((a, b) => a - b),
      );
    });

    it('refuses records without an id or created, an unknown resource and an unknown connection', async () => {
      const bad = await t.client.control('POST', `/connections/${connectionId}/stripe/charges`, { records: [{ object: 'charge' }] });
      assert.equal(bad.status, 400);
      assert.deepEqual(bad.body.problems, ['records[0].id must be a non-empty string', 'records[0].created must be epoch seconds']);
      assert.equal((await t.client.control('POST', `/connections/${connectionId}/stripe/invoices`, { records: [{ id: 'x', created: 1 }] })).status, 400);
      assert.equal((await t.client.control('POST', '/connections/nope/stripe/charges', { records: [{ id: 'x', created: 1 }] })).status, 404);
    });

    it('are forgotten by a reset', async () => {
      await t.client.control('POST', `/connections/${connectionId}/stripe/charges`, { records: [{ id: 'ch_added_2', created: NOW - 60 }] });
      await t.client.control('POST', '/reset');
      assert.deepEqual(t.emulator.context.accounts.snapshot(), {});
    });
  });

  it('every exchange conformed to the published contract', async (ctx) => {
    await checkContract(t.exchanges, (m) => ctx.skip(m));
  });
});
