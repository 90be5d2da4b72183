import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import { checkContract } from '../support/contract-check.js';
import { CATALOG, FLOW, startTestEmulator, type TestEmulator } from '../support/emulator-client.js';
import { buildStripeChain, flowBody, REST_FLOW_SPEC, type StripeChain } from '../support/stripe-setup.js';

const NOW = 1_900_000_000; // a fixed emulator time (2030-03-17), epoch seconds

describe('Flow Service flows and runs', () => {
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

  const createFlow = (scheduleParams: Record<string, unknown>, overrides: Record<string, unknown> = {}) => t.client.post(`${FLOW}/flows`, { ...flowBody(chain, scheduleParams), ...overrides });
  const getFlow = async (id: string) => (await t.client.get(`${FLOW}/flows/${id}`)).body.items[0];
  const runsOf = async (flowId: string) => (await t.client.get(`${FLOW}/runs`, { query: { property: `flowId==${flowId}`, orderby: 'createdAt' } })).body.items;
  const advance = (seconds: number) => t.client.control('POST', '/clock', { advanceSeconds: seconds });

  describe('POST /flows', () => {
    it('creates an enabled flow and GET echoes the schedule and mapping version as strings', async () => {
      const response = await createFlow({ startTime: String(NOW + 60), frequency: 'minute', interval: 15 });
      assert.equal(response.status, 201);
      assert.equal(response.headers.get('location'), `${FLOW}/flows/${response.body.id}`);
      const flow = await getFlow(response.body.id);
      assert.equal(flow.state, 'enabled');
      assert.equal(flow.etag, response.body.etag);
      assert.deepEqual(flow.scheduleParams, { startTime: String(NOW + 60), frequency: 'minute', interval: '15' });
      assert.deepEqual(flow.transformations, [{ name: 'Mapping', params: { mappingId: chain.mappingSetId, mappingVersion: '0' } }]);
      assert.deepEqual(flow.flowSpec, { id: REST_FLOW_SPEC, version: '1.0' });
      assert.equal(flow.inheritedAttributes.sourceConnections[0].baseConnection.id, chain.connectionId);
      assert.equal(flow.runs, `/runs?property=flowId==${response.body.id}`);
      assert.equal(flow.lastOperation.operation, 'create');
    });

    const scheduleCases: [string, Record<string, unknown>, string, string][] = [
      ['a minute interval below 15', { startTime: NOW + 60, frequency: 'minute', interval: 14 }, 'FLOW-1362-400', 'scheduleParams.interval'],
      ['an hourly interval of 0', { startTime: NOW + 60, frequency: 'hour', interval: 0 }, 'FLOW-1362-400', 'scheduleParams.interval'],
      ['no interval for a daily flow', { startTime: NOW + 60, frequency: 'day' }, 'FLOW-1304-400', 'scheduleParams.interval'],
      ['a non-integer interval', { startTime: NOW + 60, frequency: 'day', interval: '1.5' }, 'FLOW-1363-400', 'scheduleParams.interval'],
      ['an interval with once', { startTime: NOW + 60, frequency: 'once', interval: 1 }, 'FLOW-1361-400', 'scheduleParams.interval'],
      ['backfill with once', { startTime: NOW + 60, frequency: 'once', backfill: true }, 'FLOW-1364-400', 'scheduleParams.backfill'],
      ['an unknown frequency', { startTime: NOW + 60, frequency: 'month', interval: 1 }, 'FLOW-1397-400', 'scheduleParams.frequency'],
      ['a start time in the past', { startTime: NOW - 3600, frequency: 'hour', interval: 1 }, 'FLOW-1360-400', 'scheduleParams.startTime'],
      ['a start time in milliseconds', { startTime: (NOW + 60) * 1000, frequency: 'hour', interval: 1 }, 'FLOW-1340-400', 'scheduleParams.startTime'],
      ['a start time that is not a number', { startTime: 'tomorrow', frequency: 'hour', interval: 1 }, 'FLOW-1340-400', 'scheduleParams.startTime'],
      ['no start time', { frequency: 'hour', interval: 1 }, 'FLOW-1304-400', 'scheduleParams.startTime'],
      ['a backfill that is not a boolean', { startTime: NOW + 60, frequency: 'hour', interval: 1, backfill: 'yes' }, 'FLOW-1312-400', 'scheduleParams.backfill'],
    ];
    for (const [name, schedule, code, field] of scheduleCases) {
      it(`refuses ${name} with 400 ${code} naming ${field}, creating nothing`, async () => {
        const response = await createFlow(schedule);
        assert.equal(response.status, 400, response.text);
        assert.equal(response.body.type, `https://ns.adobe.com/aep/errors/${code}`);
        assert.equal(response.body.field, field);
        assert.equal((await t.client.get(`${FLOW}/flows`, { query: { count: 'true' } })).body.count, 0);
      });
    }

    it('accepts the boundary values: minute/15, hour/1, once without interval', async () => {
      for (const schedule of [
        { startTime: NOW + 60, frequency: 'minute', interval: '15' },
        { startTime: NOW + 60, frequency: 'hour', interval: 1, backfill: false },
        { startTime: NOW + 60, frequency: 'once' },
      ]) {
        assert.equal((await createFlow(schedule)).status, 201, JSON.stringify(schedule));
      }
    });

    const bodyCases: [string, Record<string, unknown>, string][] = [
      ['a state', { state: 'enabled' }, 'FLOW-1410-400'],
      ['an unknown flow spec', { flowSpec: { id: '00000000-0000-4000-8000-000000000000', version: '1.0' } }, 'FLOW-1413-400'],
      ['a source connection of another sandbox or none', { sourceConnectionIds: ['00000000-0000-4000-8000-000000000000'] }, 'FLOW-1411-400'],
      ['two source connections', { sourceConnectionIds: ['a', 'b'] }, 'FLOW-1321-400'],
      ['a missing target connection', { targetConnectionIds: ['00000000-0000-4000-8000-000000000001'] }, 'FLOW-1411-400'],
      ['no transformations', { transformations: null }, 'FLOW-1370-400'],
      ['an unknown mapping set', { transformations: [{ name: 'Mapping', params: { mappingId: 'f'.repeat(32), mappingVersion: 0 } }] }, 'FLOW-1411-400'],
      ['a mapping version that does not exist', { transformations: [{ name: 'Mapping', params: { mappingId: 'MAPPING', mappingVersion: 7 } }] }, 'FLOW-1412-400'],
      ['a negative mapping version', { transformations: [{ name: 'Mapping', params: { mappingId: 'MAPPING', mappingVersion: -1 } }] }, 'FLOW-1412-400'],
    ];
    for (const [name, overrides, code] of bodyCases) {
      it(`refuses ${name} with 400 ${code}`, async () => {
        const body = JSON.parse(JSON.stringify(overrides).replace(/MAPPING/g, chain.mappingSetId));
        const response = await createFlow({ startTime: NOW + 60, frequency: 'hour', interval: 1 }, body);
        assert.equal(response.status, 400, response.text);
        assert.equal(response.body.type, `https://ns.adobe.com/aep/errors/${code}`);
      });
    }

    it('refuses a mapping whose schema is not the target dataset’s (1425-400)', async () => {
      const other = await buildStripeChain(t.client, { resource: 'refunds' });
      const response = await createFlow(
        { startTime: NOW + 60, frequency: 'hour', interval: 1 },
        { transformations: [{ name: 'Mapping', params: { mappingId: other.mappingSetId, mappingVersion: 0 } }] },
      );
      assert.equal(response.status, 400);
      assert.equal(response.body.type, 'https://ns.adobe.com/aep/errors/FLOW-1425-400');
    });

    it('refuses a mapping whose sources are not in the explored source schema (1419-400)', async () => {
      // A refunds source connection read through the charges mapping: charge-only fields do not exist in refunds.
      const refundsSource = await t.client.post(`${FLOW}/sourceConnections`, {
        name: 'refunds source',
        baseConnectionId: chain.connectionId,
        connectionSpec: { id: 'cc2c31d6-7b8c-4581-b49f-5c8698aa3ab3', version: '1.0' },
        data: { format: 'json' },
        params: { resourcePath: 'refunds' },
      });
      const response = await createFlow({ startTime: NOW + 60, frequency: 'hour', interval: 1 }, { sourceConnectionIds: [refundsSource.body.id] });
      assert.equal(response.status, 400);
      assert.equal(response.body.type, 'https://ns.adobe.com/aep/errors/FLOW-1419-400');
      assert.match(response.body.errorMessage, /is not in the refunds source schema/);
    });
  });

  describe('runs', () => {
    it('a 15-minute flow produces one run per interval on the emulator clock, each ingesting its window', async () => {
      const created = await createFlow({ startTime: NOW + 60, frequency: 'minute', interval: 15 });
      assert.deepEqual(await runsOf(created.body.id), []);
      await advance(60 + 3 * 900 + 120); // start, three intervals later, plus time for the last run to finish
      const runs = await runsOf(created.body.id);
      assert.equal(runs.length, 4);
      const starts = runs.map((r: any) => r.metrics.durationSummary.startedAtUTC);
      assert.deepEqual(
        starts,
        [0, 1, 2, 3].map((k) => (NOW + 60 + k * 900) * 1000),
      );
      for (const run of runs) {
        assert.equal(run.flowId, created.body.id);
        assert.match(run.etag, /^"[0-9a-f-]+"$/);
        const r = run.metrics.recordSummary;
        assert.equal(r.inputRecordCount, r.outputRecordCount + r.failedRecordCount);
        const expected = r.failedRecordCount === 0 ? 'success' : r.outputRecordCount === 0 ? 'failed' : 'partialSuccess';
        assert.equal(run.metrics.statusSummary.status, expected);
        assert.ok(run.metrics.durationSummary.completedAtUTC > run.metrics.durationSummary.startedAtUTC);
      }
      // The first run back-fills a day of history, later ones read 15 minutes.
      assert.ok(runs[0].metrics.recordSummary.inputRecordCount > runs[1].metrics.recordSummary.inputRecordCount);
    });

    it('run metrics add up to the records in the dataset and its batches', async () => {
      const created = await createFlow({ startTime: NOW + 60, frequency: 'hour', interval: 1 });
      await advance(60 + 5 * 3600 + 600);
      const runs = await runsOf(created.body.id);
      assert.equal(runs.length, 6);
      const written = runs.reduce((sum: number, r: any) => sum + r.metrics.recordSummary.outputRecordCount, 0);
      const records = await t.client.control('GET', `/datasets/${chain.datasetId}/records`);
      assert.equal(records.status, 200);
      assert.equal(records.body.count, written);
      assert.ok(written > 0);
      for (const row of records.body.records) assert.ok(row.record._flowgatelocal.charges_data.id.startsWith('ch_'));
      const batches = (await t.client.get(`${CATALOG}/batches`, { query: { dataSet: chain.datasetId } })).body;
      const batchIds = runs.flatMap((r: any) => r.targetInfo?.[0]?.reference?.ids ?? []);
      assert.equal(batchIds.length, runs.length);
      for (const id of batchIds) assert.ok(batches[id], `batch ${id} is listed for the dataset`);
    });

    it('a run in progress reports inProgress until its simulated duration has passed', async () => {
      const created = await createFlow({ startTime: NOW + 60, frequency: 'hour', interval: 1 });
      await advance(61);
      let [run] = await runsOf(created.body.id);
      assert.equal(run.metrics.statusSummary.status, 'inProgress');
      await advance(3000);
      [run] = await runsOf(created.body.id);
      assert.notEqual(run.metrics.statusSummary.status, 'inProgress');
      const flow = await getFlow(created.body.id);
      assert.equal(flow.lastRunDetails.id, run.id);
    });

    it('records the mapping cannot write fail with a reason and the run reports partial success', async () => {
      const created = await createFlow({ startTime: NOW + 60, frequency: 'day', interval: 1 });
      await advance(60 + 6 * 86400 + 3600);
      const runs = await runsOf(created.body.id);
      const failed = runs.filter((r: any) => r.metrics.recordSummary.failedRecordCount > 0);
      assert.ok(failed.length > 0, 'a week of charges contains expanded objects the string field cannot take');
      const run = failed[0];
      assert.equal(run.metrics.statusSummary.status, 'partialSuccess');
      // Adobe's failed-batch examples lead with the summary, then the row errors.
      const [summary, error] = run.metrics.statusSummary.errors;
      assert.equal(summary.code, 'INGEST-1212-400');
      assert.match(summary.message, /^Encountered \d+ errors in the data\. Successfully ingested \d+ rows\./);
      assert.equal(error.code, 'MAPPER-3700-400');
      assert.match(error.message, /customer|expected|type/i);
    });

    it('a once flow runs exactly once', async () => {
      const created = await createFlow({ startTime: NOW + 60, frequency: 'once' });
      await advance(7 * 86400);
      assert.equal((await runsOf(created.body.id)).length, 1);
    });

    it('a disabled flow does not run, and runs again on its grid after enabling', async () => {
      const created = await createFlow({ startTime: NOW + 60, frequency: 'hour', interval: 1 });
      const disabled = await t.client.post(`${FLOW}/flows/${created.body.id}/action?op=disable`, undefined);
      assert.equal(disabled.status, 200);
      assert.notEqual(disabled.body.etag, created.body.etag);
      assert.equal((await getFlow(created.body.id)).state, 'disabled');
      await advance(5 * 3600);
      assert.equal((await runsOf(created.body.id)).length, 0);
      const enabled = await t.client.post(`${FLOW}/flows/${created.body.id}/action?op=enable`, undefined);
      assert.equal(enabled.status, 200);
      await advance(3600);
      const runs = await runsOf(created.body.id);
      assert.equal(runs.length, 1);
      assert.equal((runs[0].metrics.durationSummary.startedAtUTC / 1000 - (NOW + 60)) % 3600, 0, 'the run lands on the schedule grid');
    });

    it('a flow whose Stripe key is rejected produces failed runs with the connector error', async () => {
      const badChain = await buildStripeChain(t.client, { resource: 'customers' });
      const patched = await t.client.patch(`${FLOW}/connections/${badChain.connectionId}`, [{ op: 'replace', path: '/auth/params', value: { accessToken: 'revoked-key' } }], {
        headers: { 'if-match': (await t.client.get(`${FLOW}/connections/${badChain.connectionId}`)).body.items[0].etag },
      });
      assert.equal(patched.status, 200);
      const created = await t.client.post(`${FLOW}/flows`, flowBody(badChain, { startTime: NOW + 60, frequency: 'hour', interval: 1 }));
      await advance(3600);
      const [run] = await runsOf(created.body.id);
      assert.equal(run.metrics.statusSummary.status, 'failed');
      assert.equal(run.metrics.statusSummary.errors[0].code, 'CONNECTOR-2001-500');
      assert.equal((await getFlow(created.body.id)).lastRunDetails.state, 'failed');
    });

    it('GET /runs/{id} returns the list envelope; an unknown run is 404', async () => {
      const created = await createFlow({ startTime: NOW + 60, frequency: 'hour', interval: 1 });
      await advance(3600);
      const [run] = await runsOf(created.body.id);
      const one = await t.client.get(`${FLOW}/runs/${run.id}`);
      assert.equal(one.status, 200);
      assert.equal(one.body.items[0].id, run.id);
      assert.equal((await t.client.get(`${FLOW}/runs/00000000-0000-4000-8000-000000000000`)).status, 404);
    });
  });

  describe('PATCH /flows/{id}', () => {
    it('updates name and schedule with If-Match; the etag changes and lastOperation records the ops', async () => {
      const created = await createFlow({ startTime: NOW + 600, frequency: 'hour', interval: 1 });
      const ops = [
        { op: 'replace', path: '/name', value: 'Renamed flow' },
        { op: 'replace', path: '/scheduleParams/frequency', value: 'day' },
        { op: 'replace', path: '/scheduleParams/interval', value: 2 },
      ];
      const response = await t.client.patch(`${FLOW}/flows/${created.body.id}`, ops, { headers: { 'if-match': created.body.etag } });
      assert.equal(response.status, 200, response.text);
      assert.notEqual(response.body.etag, created.body.etag);
      const flow = await getFlow(created.body.id);
      assert.equal(flow.name, 'Renamed flow');
      assert.deepEqual(flow.scheduleParams, { startTime: String(NOW + 600), frequency: 'day', interval: '2' });
      assert.equal(flow.lastOperation.operation, 'update');
      assert.deepEqual(
        flow.lastOperation.ops.map((o: any) => o.path),
        ops.map((o) => o.path),
      );
    });

    it('refuses a start time change after the start has passed (1366-400)', async () => {
      const created = await createFlow({ startTime: NOW + 60, frequency: 'hour', interval: 1 });
      await advance(120);
      const etag = (await getFlow(created.body.id)).etag;
      const response = await t.client.patch(`${FLOW}/flows/${created.body.id}`, [{ op: 'replace', path: '/scheduleParams/startTime', value: NOW + 7200 }], { headers: { 'if-match': etag } });
      assert.equal(response.status, 400);
      assert.equal(response.body.type, 'https://ns.adobe.com/aep/errors/FLOW-1366-400');
    });

    it('refuses an invalid new schedule and keeps the old one', async () => {
      const created = await createFlow({ startTime: NOW + 600, frequency: 'minute', interval: 30 });
      const response = await t.client.patch(`${FLOW}/flows/${created.body.id}`, [{ op: 'replace', path: '/scheduleParams/interval', value: 5 }], { headers: { 'if-match': created.body.etag } });
      assert.equal(response.status, 400);
      assert.equal(response.body.type, 'https://ns.adobe.com/aep/errors/FLOW-1362-400');
      assert.equal((await getFlow(created.body.id)).scheduleParams.interval, '30');
      assert.equal((await getFlow(created.body.id)).etag, created.body.etag);
    });

    it('answers 1403-400 without If-Match and 412 with a stale one', async () => {
      const created = await createFlow({ startTime: NOW + 600, frequency: 'hour', interval: 1 });
      const missing = await t.client.patch(`${FLOW}/flows/${created.body.id}`, [{ op: 'replace', path: '/name', value: 'x' }]);
      assert.equal(missing.status, 400);
      assert.equal(missing.body.type, 'https://ns.adobe.com/aep/errors/FLOW-1403-400');
      await t.client.patch(`${FLOW}/flows/${created.body.id}`, [{ op: 'replace', path: '/name', value: 'y' }], { headers: { 'if-match': created.body.etag } });
      const stale = await t.client.patch(`${FLOW}/flows/${created.body.id}`, [{ op: 'replace', path: '/name', value: 'z' }], { headers: { 'if-match': created.body.etag } });
      assert.equal(stale.status, 412);
    });

    it('points the flow at a new mapping version with replace /transformations/0', async () => {
      const created = await createFlow({ startTime: NOW + 600, frequency: 'hour', interval: 1 });
      const current = (await t.client.get(`/data/foundation/conversion/mappingSets/${chain.mappingSetId}`)).body;
      const put = await t.client.put(`/data/foundation/conversion/mappingSets/${chain.mappingSetId}`, {
        outputSchema: current.outputSchema,
        mappings: current.mappings.slice(0, 5).map((m: any) => ({ sourceType: 'ATTRIBUTE', source: m.source, destination: m.destination })),
      });
      assert.equal(put.status, 200, put.text);
      const response = await t.client.patch(
        `${FLOW}/flows/${created.body.id}`,
        [{ op: 'replace', path: '/transformations/0', value: { name: 'Mapping', params: { mappingId: chain.mappingSetId, mappingVersion: 1 } } }],
        { headers: { 'if-match': created.body.etag } },
      );
      assert.equal(response.status, 200, response.text);
      assert.equal((await getFlow(created.body.id)).transformations[0].params.mappingVersion, '1');
    });
  });

  describe('enable/disable action', () => {
    it('answers 1422-400 when the flow is already in the asked state, and for unknown ops', async () => {
      const created = await createFlow({ startTime: NOW + 600, frequency: 'hour', interval: 1 });
      const again = await t.client.post(`${FLOW}/flows/${created.body.id}/action?op=enable`, undefined);
      assert.equal(again.status, 400);
      assert.equal(again.body.type, 'https://ns.adobe.com/aep/errors/FLOW-1422-400');
      const unknown = await t.client.post(`${FLOW}/flows/${created.body.id}/action?op=explode`, undefined);
      assert.equal(unknown.status, 400);
      assert.equal((await t.client.post(`${FLOW}/flows/${created.body.id}/action?op=DISABLE`, undefined)).status, 200);
    });
  });

  describe('DELETE', () => {
    it('deleting a base connection used by a flow fails with 1418-400 until the flow is deleted', async () => {
      const created = await createFlow({ startTime: NOW + 600, frequency: 'hour', interval: 1 });
      const refused = await t.client.delete(`${FLOW}/connections/${chain.connectionId}`);
      assert.equal(refused.status, 400);
      assert.equal(refused.body.type, 'https://ns.adobe.com/aep/errors/FLOW-1418-400');
      const deleted = await t.client.delete(`${FLOW}/flows/${created.body.id}`);
      assert.equal(deleted.status, 204);
      assert.equal((await t.client.get(`${FLOW}/flows/${created.body.id}`)).status, 404);
      assert.equal((await t.client.delete(`${FLOW}/connections/${chain.connectionId}`)).status, 204);
    });
  });

  it('every exchange conformed to the published contract', async (ctx) => {
    await checkContract(t.exchanges, (m) => ctx.skip(m));
  });
});
