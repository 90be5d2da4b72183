import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Client } from 'pg';
import type { EmulatorStateOptions } from '../../emulator/index.js';
import { dropDatabase, withDatabase } from '../support/local-services.js';
import { checkContract } from './support/contract-check.js';
import { CATALOG, FLOW, REGISTRY, startTestEmulator, type TestEmulator } from './support/emulator-client.js';
import { buildStripeChain, flowBody, VALID_STRIPE_KEY, type StripeChain } from './support/stripe-setup.js';

/**
 * Issue 12, part 3: an emulator given a state keeps every resource, run, dataset record, issued
 * token and its clock across a restart, in a file or in a PostgreSQL schema; a reset wipes it.
 */
const NOW = 1_900_000_000;
const PG_ADMIN_URL = process.env.TEST_PG_URL ?? 'postgresql://postgres@127.0.0.1:5432/postgres';

for (const backend of ['file', 'postgres'] as const) {
  describe(`the emulator's state kept in a ${backend}`, () => {
    let dir: string;
    let database: string;
    let state: EmulatorStateOptions;
    let t: TestEmulator;
    let chain: StripeChain;
    let flowId: string;
    let token: string;
    /** Every exchange of every emulator this suite started (each restart brings a new client). */
    const exchanges: TestEmulator['exchanges'] = [];

    before(async () => {
      dir = mkdtempSync(path.join(tmpdir(), 'emulator-state-'));
      database = `fg_emu_${randomBytes(5).toString('hex')}`;
      const key = randomBytes(32);
      if (backend === 'file') state = { kind: 'file', path: path.join(dir, 'state.json'), key };
      else {
        const admin = new Client({ connectionString: PG_ADMIN_URL });
        await admin.connect();
        await admin.query(`CREATE DATABASE "${database}"`);
        await admin.end();
        state = { kind: 'postgres', url: withDatabase(PG_ADMIN_URL, database), key };
      }
      t = await startTestEmulator({ state });
      await t.client.control('POST', '/clock', { now: NOW });
      chain = await buildStripeChain(t.client);
      const flow = await t.client.post(`${FLOW}/flows`, flowBody(chain, { startTime: NOW + 60, frequency: 'hour', interval: 1 }));
      flowId = flow.body.id;
      await t.client.control('POST', '/clock', { advanceSeconds: 60 + 3600 + 30 });
      token = await t.client.token();
    });
    after(async () => {
      await t?.stop();
      rmSync(dir, { recursive: true, force: true });
      if (backend === 'postgres') await dropDatabase(PG_ADMIN_URL, database);
    });

    /** Stops the emulator and starts another on the same state, the client keeping its token. */
    async function restart(): Promise<void> {
      exchanges.push(...t.exchanges);
      await t.stop();
      t = await startTestEmulator({ state });
    }

    it('keeps resources, runs, dataset records and the clock across a restart, and a token issued before still works', async () => {
      const before = {
        resources: (await t.client.control('GET', '/resources')).body,
        clock: (await t.client.control('GET', '/clock')).body,
        flow: (await t.client.get(`${FLOW}/flows/${flowId}`)).body.items[0],
        runs: (await t.client.get(`${FLOW}/runs`, { query: { property: `flowId==${flowId}` } })).body.items,
        records: (await t.client.control('GET', `/datasets/${chain.datasetId}/records`)).body,
        schema: (await t.client.get(`${REGISTRY}/tenant/schemas/${encodeURIComponent(chain.schemaId)}`, { headers: { accept: 'application/vnd.adobe.xed-full+json; version=1' } })).body,
        dataset: (await t.client.get(`${CATALOG}/dataSets/${chain.datasetId}`)).body,
      };
      assert.equal(before.runs.length, 2);
      assert.ok(before.records.count > 0);
      await restart();
      const headers = { authorization: `Bearer ${token}` };
      assert.deepEqual((await t.client.control('GET', '/resources')).body, before.resources);
      assert.deepEqual((await t.client.control('GET', '/clock')).body, before.clock);
      assert.deepEqual((await t.client.get(`${FLOW}/flows/${flowId}`, { headers })).body.items[0], before.flow);
      assert.deepEqual((await t.client.get(`${FLOW}/runs`, { headers, query: { property: `flowId==${flowId}` } })).body.items, before.runs);
      assert.deepEqual((await t.client.control('GET', `/datasets/${chain.datasetId}/records`)).body, before.records);
      assert.deepEqual(
        (await t.client.get(`${REGISTRY}/tenant/schemas/${encodeURIComponent(chain.schemaId)}`, { headers: { ...headers, accept: 'application/vnd.adobe.xed-full+json; version=1' } })).body,
        before.schema,
      );
      assert.deepEqual((await t.client.get(`${CATALOG}/dataSets/${chain.datasetId}`, { headers })).body, before.dataset);
    });

    it('goes on after a restart: the flow runs on its grid, a run in progress completes, and every resource can be changed and deleted', async () => {
      await t.client.control('POST', '/clock', { advanceSeconds: 3600 - 30 + 1 });
      await restart();
      await t.client.control('POST', '/clock', { advanceSeconds: 120 });
      const runs = (await t.client.get(`${FLOW}/runs`, { query: { property: `flowId==${flowId}`, orderby: 'createdAt' } })).body.items;
      assert.equal(runs.length, 3);
      assert.deepEqual(
        runs.map((r: any) => r.metrics.durationSummary.startedAtUTC),
        [0, 1, 2].map((k) => (NOW + 60 + k * 3600) * 1000),
      );
      assert.ok(runs.every((r: any) => r.metrics.statusSummary.status !== 'inProgress'));
      const flow = (await t.client.get(`${FLOW}/flows/${flowId}`)).body.items[0];
      assert.equal(flow.lastRunDetails.id, runs[2].id);
      const patched = await t.client.patch(`${FLOW}/flows/${flowId}`, [{ op: 'replace', path: '/name', value: 'renamed' }], { headers: { 'if-match': flow.etag } });
      assert.equal(patched.status, 200, patched.text);
      assert.equal((await t.client.post(`${FLOW}/flows/${flowId}/action?op=disable`, undefined)).status, 200);
      assert.equal((await t.client.delete(`${FLOW}/flows/${flowId}`)).status, 204);
      assert.equal((await t.client.delete(`${FLOW}/connections/${chain.connectionId}`)).status, 204);
    });

    it('never holds the Stripe key in clear', async () => {
      const text = backend === 'file' ? readFileSync(state.kind === 'file' ? state.path : '', 'utf8') : await dumpSchema(state.kind === 'postgres' ? state.url : '');
      assert.ok(text.length > 0);
      assert.ok(!text.includes(VALID_STRIPE_KEY), 'the Stripe key is sealed');
      assert.ok(!text.includes(token), 'tokens are kept as hashes');
    });

    it('is wiped by POST /__emulator/reset, also across a restart', async () => {
      await t.client.control('POST', '/reset');
      await restart();
      const resources = (await t.client.control('GET', '/resources')).body;
      assert.deepEqual(resources.partitions, []);
      assert.equal((await t.client.control('GET', '/clock')).body.controlled, false);
    });

    it('every exchange conformed to the published contract', async (ctx) => {
      await checkContract([...exchanges, ...t.exchanges], (m) => ctx.skip(m));
    });
  });
}

async function dumpSchema(url: string): Promise<string> {
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    const { rows } = await client.query<{ key: string; value: string }>('SELECT key, value FROM aep_emulator.entries');
    return rows.map((r) => `${r.key} ${r.value}`).join('\n');
  } finally {
    await client.end();
  }
}
