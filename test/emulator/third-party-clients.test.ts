import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import { checkContract } from './support/contract-check.js';
import { CATALOG, CONVERSION, FLOW, REGISTRY, sourceParams, startTestEmulator, type TestEmulator } from './support/emulator-client.js';
import { buildStripeChain, flowBody, REST_FLOW_SPEC, type StripeChain } from './support/stripe-setup.js';

/**
 * Issue 12, part 1: what a widely used third-party client (Python, following Adobe's docs and
 * specs) met that the emulator refused or shaped differently. Each case names where Adobe
 * documents the behaviour.
 */
const NOW = 1_900_000_000;

describe('the emulator as third-party clients see it', () => {
  let t: TestEmulator;
  let chain: StripeChain;
  before(async () => {
    t = await startTestEmulator();
  });
  after(() => t.stop());
  beforeEach(async () => {
    await t.client.control('POST', '/reset');
    await t.client.control('POST', '/clock', { now: NOW });
    chain = await buildStripeChain(t.client);
  });
  const createFlow = (scheduleParams: Record<string, unknown>) => t.client.post(`${FLOW}/flows`, flowBody(chain, scheduleParams));
  const getFlow = async (id: string) => (await t.client.get(`${FLOW}/flows/${id}`)).body.items[0];

  describe('1. boolean query values in any case (flow-service.yaml types `count` as boolean; PLATFORM-API.md §5.1 `preview`)', () => {
    it('takes count=False and count=TRUE on GET /flows and GET /runs', async () => {
      await createFlow({ startTime: NOW + 60, frequency: 'hour', interval: 1 });
      const counted = await t.client.get(`${FLOW}/flows`, { query: { count: 'TRUE' } });
      assert.equal(counted.status, 200, counted.text);
      assert.deepEqual(counted.body, { count: 1 });
      const listed = await t.client.get(`${FLOW}/flows`, { query: { count: 'False' } });
      assert.equal(listed.status, 200, listed.text);
      assert.equal(listed.body.items.length, 1);
      const runs = await t.client.get(`${FLOW}/runs`, { query: { count: 'False' } });
      assert.equal(runs.status, 200, runs.text);
      assert.deepEqual(runs.body.items, []);
    });

    it('takes preview=True on explore and answers sample rows', async () => {
      const explore = await t.client.get(`${FLOW}/connections/${chain.connectionId}/explore`, {
        query: { objectType: 'rest', object: 'json', fileType: 'json', preview: 'True', sourceParams: sourceParams('charges') },
      });
      assert.equal(explore.status, 200, explore.text);
      assert.ok(explore.body.data.length > 0);
      const without = await t.client.get(`${FLOW}/connections/${chain.connectionId}/explore`, {
        query: { objectType: 'rest', object: 'json', fileType: 'json', preview: 'False', sourceParams: sourceParams('charges') },
      });
      assert.equal(without.status, 200, without.text);
      assert.equal(without.body.data, undefined);
    });

    it('takes expandSchema=True on Data Prep and requestDataSource=True on Catalog', async () => {
      const set = await t.client.get(`${CONVERSION}/mappingSets/${chain.mappingSetId}`, { query: { expandSchema: 'True' } });
      assert.equal(set.status, 200, set.text);
      assert.equal(typeof set.body.outputSchema.jsonSchema, 'object');
      const created = await t.client.post(
        `${CATALOG}/dataSets`,
        { name: 'Py dataset', schemaRef: { id: chain.schemaId, contentType: 'application/vnd.adobe.xed+json;version=1' } },
        { query: { requestDataSource: 'True' } },
      );
      assert.equal(created.status, 201, created.text);
      const id = (created.body[0] as string).replace('@/dataSets/', '');
      assert.equal(typeof (await t.client.get(`${CATALOG}/dataSets/${id}`)).body[id].dataSourceId, 'number');
    });

    it('still refuses a value that is no boolean (1453-400 naming count)', async () => {
      const response = await t.client.get(`${FLOW}/flows`, { query: { count: 'yes' } });
      assert.equal(response.status, 400);
      assert.equal(response.body.type, 'https://ns.adobe.com/aep/errors/FLOW-1453-400');
    });
  });

  describe('2. Schema Registry Accept in the xdm family (schema-registry.yaml XDM-1006/1007 examples name `application/vnd.adobe.{xed|xdm}+json`)', () => {
    it('lists with application/vnd.adobe.xdm-id+json and application/vnd.adobe.xdm+json', async () => {
      for (const accept of ['application/vnd.adobe.xdm-id+json', 'application/vnd.adobe.xdm+json']) {
        const response = await t.client.get(`${REGISTRY}/tenant/schemas`, { headers: { accept } });
        assert.equal(response.status, 200, `${accept}: ${response.text}`);
        assert.ok(response.body.results.some((r: { $id: string }) => r.$id === chain.schemaId));
      }
    });

    it('looks up with application/vnd.adobe.xdm-full+json; version=1 and answers the resolved view, as xed-full does', async () => {
      const path = `${REGISTRY}/tenant/schemas/${encodeURIComponent(chain.schemaId)}`;
      const xdm = await t.client.get(path, { headers: { accept: 'application/vnd.adobe.xdm-full+json; version=1' } });
      const xed = await t.client.get(path, { headers: { accept: 'application/vnd.adobe.xed-full+json; version=1' } });
      assert.equal(xdm.status, 200, xdm.text);
      assert.deepEqual(xdm.body, xed.body);
      assert.equal(typeof xdm.body.properties._flowgatelocal, 'object');
    });

    it('still refuses an Accept outside both families (XDM-1007-400)', async () => {
      const response = await t.client.get(`${REGISTRY}/tenant/schemas/${encodeURIComponent(chain.schemaId)}`, { headers: { accept: 'application/vnd.adobe.xyz+json; version=1' } });
      assert.equal(response.status, 400);
      assert.equal(response.body.type, 'http://ns.adobe.com/aep/errors/XDM-1007-400');
    });
  });

  describe('3. continuation links (PLATFORM-API.md §12 and flow-service.yaml: `/connections?continuationToken=…`)', () => {
    beforeEach(async () => {
      for (const name of ['c2', 'c3', 'c4']) {
        await t.client.post(`${FLOW}/connections`, {
          name,
          connectionSpec: { id: 'cc2c31d6-7b8c-4581-b49f-5c8698aa3ab3', version: '1.0' },
          auth: { specName: 'OAuth2 Refresh Code', params: { accessToken: 'sk_test_paging0000000001' } },
        });
      }
    });
    const pageNames = (body: any): string[] => body.items.map((i: { name: string }) => i.name);

    it('puts only the continuation token in _links.next.href, and following the href as is walks every page', async () => {
      const seen: string[] = [];
      let response = await t.client.get(`${FLOW}/connections`, { query: { limit: '1', orderby: 'name', property: 'name!=nothing' } });
      for (let page = 0; page < 10; page++) {
        assert.equal(response.status, 200, response.text);
        seen.push(...pageNames(response.body));
        const href: string | undefined = response.body._links.next?.href;
        if (!href) break;
        assert.match(href, /^\/connections\?continuationToken=[A-Za-z0-9_-]+$/);
        response = await t.client.get(`${FLOW}${href}`);
      }
      assert.equal(seen.length, 4);
      assert.deepEqual(
        seen,
        [...seen].sort((a, b) => a.localeCompare(b)),
        'the order asked for on the first page holds on every page',
      );
    });

    it('takes the token as "everything after the =" and a limit sent again beside it, even twice', async () => {
      const first = await t.client.get(`${FLOW}/connections`, { query: { limit: '1', orderby: 'name' } });
      const href: string = first.body._links.next.href;
      const token = href.slice(href.indexOf('=') + 1);
      const second = await t.client.get(`${FLOW}/connections`, { query: { continuationToken: token, limit: '1' } });
      assert.equal(second.status, 200, second.text);
      assert.equal(second.body.items.length, 1);
      const twice = await t.client.get(`${FLOW}/connections?continuationToken=${token}&limit=1&limit=1`);
      assert.equal(twice.status, 200, twice.text);
      assert.deepEqual(pageNames(twice.body), pageNames(second.body));
    });

    it('refuses a token sent with different filters (1453-400), and two different limits', async () => {
      const first = await t.client.get(`${FLOW}/connections`, { query: { limit: '1', property: 'name!=a' } });
      const token = new URL(first.body._links.next.href, 'http://x').searchParams.get('continuationToken')!;
      const mismatched = await t.client.get(`${FLOW}/connections`, { query: { continuationToken: token, property: 'name!=b' } });
      assert.equal(mismatched.status, 400);
      assert.equal(mismatched.body.type, 'https://ns.adobe.com/aep/errors/FLOW-1453-400');
      const twoLimits = await t.client.get(`${FLOW}/connections?limit=1&limit=2`);
      assert.equal(twoLimits.status, 400);
    });
  });

  describe('4. datasets carry classification and system tags (catalog.yaml datasetPatchRequestV2: classification{dataBehavior, managedBy}, tags adobe/pqs/table, adobe/siphon/table/format)', () => {
    it('a new dataset of a record schema is classified record/CUSTOMER and tagged with its table name and format', async () => {
      const dataset = (await t.client.get(`${CATALOG}/dataSets/${chain.datasetId}`)).body[chain.datasetId];
      assert.deepEqual(dataset.classification, { dataBehavior: 'record', managedBy: 'CUSTOMER' });
      assert.equal(dataset.tags['adobe/pqs/table'].length, 1);
      assert.match(dataset.tags['adobe/pqs/table'][0], /^stripe_charges_[a-z0-9]+_dataset$/);
      assert.deepEqual(dataset.tags['adobe/siphon/table/format'], ['parquet']);
    });

    it('keeps its system tags when a client replaces the tags', async () => {
      const before = (await t.client.get(`${CATALOG}/dataSets/${chain.datasetId}`)).body[chain.datasetId];
      const patched = await t.client.patch(`${CATALOG}/dataSets/${chain.datasetId}`, { tags: { team: ['payments'] } });
      assert.equal(patched.status, 200, patched.text);
      const after = (await t.client.get(`${CATALOG}/dataSets/${chain.datasetId}`)).body[chain.datasetId];
      assert.deepEqual(after.tags, { team: ['payments'], 'adobe/pqs/table': before.tags['adobe/pqs/table'], 'adobe/siphon/table/format': ['parquet'] });
    });
  });

  describe('5. source flows say so (flow GET examples, e.g. help/sources/tutorials/api/filter.md: inheritedAttributes.properties.isSourceFlow; flow-service.yaml flow spec `attributes`)', () => {
    it('a Stripe flow carries inheritedAttributes.properties.isSourceFlow: true', async () => {
      const created = await createFlow({ startTime: NOW + 60, frequency: 'hour', interval: 1 });
      const flow = await getFlow(created.body.id);
      assert.deepEqual(flow.inheritedAttributes.properties, { isSourceFlow: true });
      const sourceFlows = await t.client.get(`${FLOW}/flows`, { query: { property: 'inheritedAttributes.properties.isSourceFlow==true' } });
      assert.deepEqual(
        sourceFlows.body.items.map((f: { id: string }) => f.id),
        [created.body.id],
      );
    });

    it('the RestStorageToAEP flow spec carries attributes with frequency batch', async () => {
      const spec = (await t.client.get(`${FLOW}/flowSpecs/${REST_FLOW_SPEC}`)).body.items[0];
      assert.equal(spec.attributes.isSourceFlow, true);
      assert.equal(spec.attributes.frequency, 'batch');
      assert.deepEqual(spec.attributes.notification, { category: 'sources', flowRun: { enabled: true } });
    });
  });

  describe('6. scheduleParams may carry other keys (flow-service.yaml ScheduleSpecDTO forbids none)', () => {
    it('accepts and echoes foldernameTemplate beside the schedule, and the schedule still applies', async () => {
      const created = await createFlow({ startTime: NOW + 60, frequency: 'hour', interval: 1, foldernameTemplate: '%Y/%m/%d' });
      assert.equal(created.status, 201, created.text);
      const flow = await getFlow(created.body.id);
      assert.deepEqual(flow.scheduleParams, { foldernameTemplate: '%Y/%m/%d', startTime: String(NOW + 60), frequency: 'hour', interval: '1' });
      await t.client.control('POST', '/clock', { advanceSeconds: 60 + 3600 + 600 });
      const runs = (await t.client.get(`${FLOW}/runs`, { query: { property: `flowId==${created.body.id}` } })).body.items;
      assert.equal(runs.length, 2);
    });
  });

  describe('7. GET /lastBatches (catalog.yaml listLastBatches)', () => {
    it('answers the last, last successful and last failed batch per dataset that has batches, keyed by dataset id', async () => {
      const empty = await t.client.get(`${CATALOG}/lastBatches`);
      assert.equal(empty.status, 200, empty.text);
      assert.deepEqual(empty.body, {});
      await createFlow({ startTime: NOW + 60, frequency: 'hour', interval: 1 });
      await t.client.control('POST', '/clock', { advanceSeconds: 60 + 2 * 3600 + 600 });
      const response = await t.client.get(`${CATALOG}/lastBatches`, { query: { dataSetId: chain.datasetId } });
      assert.equal(response.status, 200, response.text);
      assert.deepEqual(Object.keys(response.body), [chain.datasetId]);
      const last = response.body[chain.datasetId];
      const dataset = (await t.client.get(`${CATALOG}/dataSets/${chain.datasetId}`)).body[chain.datasetId];
      assert.equal(last.lastBatchId, dataset.lastBatchId);
      assert.equal(last.lastBatchStatus, dataset.lastBatchStatus);
      assert.equal(last.imsOrg, t.client.settings.orgId);
      const batch = (await t.client.get(`${CATALOG}/batches/${last.lastBatchId}`)).body[last.lastBatchId];
      assert.equal(last.created, batch.created);
      assert.equal(last.updated, batch.updated);
      assert.deepEqual(await (async () => (await t.client.get(`${CATALOG}/lastBatches`, { query: { dataSetId: 'f'.repeat(24) } })).body)(), {});
    });
  });

  describe('8. lastRunDetails shows what the run shows (flow-service.yaml FlowItemDTO.lastRunDetails; PLATFORM-API.md §7.1, §14.29)', () => {
    it("a flow's lastRunDetails.state is partialSuccess when its last run was", async () => {
      // A generated charge carries an expanded customer about 3% of the time; the test chain maps
      // customer to a string field, so a week of daily runs has some partial ones.
      const created = await createFlow({ startTime: NOW + 60, frequency: 'day', interval: 1 });
      for (let day = 0; day < 14; day++) {
        await t.client.control('POST', '/clock', { advanceSeconds: day === 0 ? 60 + 3600 : 86400 });
        const flow = await getFlow(created.body.id);
        const run = (await t.client.get(`${FLOW}/runs/${flow.lastRunDetails.id}`)).body.items[0];
        assert.equal(flow.lastRunDetails.state, run.metrics.statusSummary.status);
        if (flow.lastRunDetails.state === 'partialSuccess') return;
      }
      assert.fail('no partial run in two weeks of charges');
    });
  });

  describe('on-demand runs (help/sources/tutorials/api/on-demand-ingestion.md; flow-service.yaml POST /runs)', () => {
    it('a run requested for a once flow reads the window it names, then finishes like a scheduled run', async () => {
      const created = await createFlow({ startTime: NOW + 86400, frequency: 'once' });
      const response = await t.client.post(`${FLOW}/runs`, {
        flowId: created.body.id,
        params: { startTime: String(NOW), windowStartTime: String(NOW - 6 * 3600), windowEndTime: String(NOW), deltaColumn: { name: 'created' } },
      });
      assert.equal(response.status, 201, response.text);
      assert.equal(response.headers.get('location'), `${FLOW}/runs/${response.body.id}`);
      assert.deepEqual(response.body.items, [{ id: response.body.id, etag: response.body.etag }]);
      assert.match(response.body.etag, /^"[0-9a-f-]+"$/);

      let run = (await t.client.get(`${FLOW}/runs/${response.body.id}`)).body.items[0];
      assert.equal(run.flowId, created.body.id);
      assert.equal(run.metrics.statusSummary.status, 'inProgress');
      assert.deepEqual(run.params, { startTime: NOW, windowStartTime: NOW - 6 * 3600, windowEndTime: NOW });
      await t.client.control('POST', '/clock', { advanceSeconds: 3600 });
      run = (await t.client.get(`${FLOW}/runs/${response.body.id}`)).body.items[0];
      assert.ok(['success', 'partialSuccess'].includes(run.metrics.statusSummary.status), run.metrics.statusSummary.status);
      assert.ok(run.metrics.recordSummary.inputRecordCount > 0);
      const records = await t.client.control('GET', `/datasets/${chain.datasetId}/records`);
      assert.equal(records.body.count, run.metrics.recordSummary.outputRecordCount);
      for (const row of records.body.records) {
        const created = Date.parse(String(row.record._flowgatelocal.charges_data.created)) / 1000 || Number(row.record._flowgatelocal.charges_data.created);
        assert.ok(created >= NOW - 6 * 3600 && created < NOW, `record created ${created} lies in the window`);
      }
      assert.equal((await getFlow(created.body.id)).lastRunDetails.id, run.id);
    });

    it('a run with a later start time is scheduled until then', async () => {
      const created = await createFlow({ startTime: NOW + 86400, frequency: 'once' });
      const response = await t.client.post(`${FLOW}/runs`, { flowId: created.body.id, params: { startTime: NOW + 600, windowStartTime: NOW - 3600, windowEndTime: NOW } });
      assert.equal(response.status, 201, response.text);
      let run = (await t.client.get(`${FLOW}/runs/${response.body.id}`)).body.items[0];
      assert.equal(run.metrics.statusSummary.status, 'scheduled');
      assert.deepEqual(run.activities, []);
      await t.client.control('POST', '/clock', { advanceSeconds: 601 });
      run = (await t.client.get(`${FLOW}/runs/${response.body.id}`)).body.items[0];
      assert.equal(run.metrics.statusSummary.status, 'inProgress');
    });

    const refusals: [string, (flowId: string, hourlyId: string) => Record<string, unknown>, string, string][] = [
      ['an unknown flow', () => ({ flowId: '00000000-0000-4000-8000-000000000000', params: { windowStartTime: NOW - 60, windowEndTime: NOW } }), 'FLOW-1411-400', 'flowId'],
      ['a flow not scheduled once', (_id, hourly) => ({ flowId: hourly, params: { windowStartTime: NOW - 60, windowEndTime: NOW } }), 'FLOW-1386-400', 'flowId'],
      ['no window', (id) => ({ flowId: id, params: {} }), 'FLOW-1304-400', 'params.windowStartTime'],
      ['a window that ends before it starts', (id) => ({ flowId: id, params: { windowStartTime: NOW, windowEndTime: NOW - 60 } }), 'FLOW-1381-400', 'params.windowEndTime'],
      ['a time that is no number', (id) => ({ flowId: id, params: { windowStartTime: 'yesterday', windowEndTime: NOW } }), 'FLOW-1384-400', 'params.windowStartTime'],
    ];
    for (const [name, body, code, field] of refusals) {
      it(`refuses ${name} with 400 ${code} naming ${field}`, async () => {
        const once = await createFlow({ startTime: NOW + 86400, frequency: 'once' });
        const hourly = await createFlow({ startTime: NOW + 60, frequency: 'hour', interval: 1 });
        const response = await t.client.post(`${FLOW}/runs`, body(once.body.id, hourly.body.id));
        assert.equal(response.status, 400, response.text);
        assert.equal(response.body.type, `https://ns.adobe.com/aep/errors/${code}`);
        assert.equal(response.body.field, field);
        assert.deepEqual((await t.client.get(`${FLOW}/runs`)).body.items, []);
      });
    }

    it('refuses a delta column other than the one the first run named (1382-400)', async () => {
      const once = await createFlow({ startTime: NOW + 86400, frequency: 'once' });
      const params = (name: string) => ({ windowStartTime: NOW - 60, windowEndTime: NOW, deltaColumn: { name } });
      assert.equal((await t.client.post(`${FLOW}/runs`, { flowId: once.body.id, params: params('created') })).status, 201);
      const second = await t.client.post(`${FLOW}/runs`, { flowId: once.body.id, params: params('updated') });
      assert.equal(second.status, 400);
      assert.equal(second.body.type, 'https://ns.adobe.com/aep/errors/FLOW-1382-400');
    });
  });

  it('every exchange conformed to the published contract', async (ctx) => {
    await checkContract(t.exchanges, (m) => ctx.skip(m));
  });
});
