import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { checkContract } from './support/contract-check.js';
import { FLOW, startTestEmulator, type TestEmulator } from './support/emulator-client.js';
import { buildStripeChain, flowBody, type StripeChain } from './support/stripe-setup.js';

/**
 * The gotchas of PLATFORM-API.md §14 that the emulator reproduces and no other suite pins down
 * by number. (Others are covered where the feature lives: etag shape and 1403/1404 in
 * connections.test.ts, schedule rules in flows.test.ts, Catalog shapes in catalog/, and so on;
 * README "Emulator" lists them.)
 */
describe('Platform gotchas (PLATFORM-API.md §14)', () => {
  let t: TestEmulator;
  let chain: StripeChain;
  let flowId: string;
  const NOW = 1_950_000_000;
  before(async () => {
    t = await startTestEmulator();
    await t.client.control('POST', '/clock', { now: NOW });
    chain = await buildStripeChain(t.client);
    flowId = (await t.client.post(`${FLOW}/flows`, flowBody(chain, { startTime: NOW + 60, frequency: 'minute', interval: 15 }))).body.id;
  });
  after(() => t.stop());
  const etagOf = async (path: string) => (await t.client.get(path)).body.items[0].etag as string;

  it('#1 every single-resource Flow Service GET answers the {items:[…]} envelope', async () => {
    for (const path of [
      `${FLOW}/connections/${chain.connectionId}`,
      `${FLOW}/sourceConnections/${chain.sourceConnectionId}`,
      `${FLOW}/targetConnections/${chain.targetConnectionId}`,
      `${FLOW}/flows/${flowId}`,
      `${FLOW}/connectionSpecs/cc2c31d6-7b8c-4581-b49f-5c8698aa3ab3`,
      `${FLOW}/flowSpecs/6499120c-0b15-42dc-936e-847ea3c24d72`,
    ]) {
      const response = await t.client.get(path);
      assert.equal(response.status, 200, path);
      assert.deepEqual(Object.keys(response.body), ['items'], path);
      assert.equal(response.body.items.length, 1, path);
    }
  });

  it('#3 If-Match is compared without quotes and without a weak W/ prefix', async () => {
    const path = `${FLOW}/flows/${flowId}`;
    const weak = `W/${await etagOf(path)}`;
    assert.equal((await t.client.patch(path, [{ op: 'replace', path: '/description', value: 'weak' }], { headers: { 'if-match': weak } })).status, 200);
  });

  it('#12 DELETE takes the spec’s trailing-slash form too', async () => {
    const extra = await buildStripeChain(t.client, { resource: 'prices' });
    assert.equal((await t.client.delete(`${FLOW}/sourceConnections/${extra.sourceConnectionId}/`)).status, 204);
  });

  it('#13 patch ops are case-insensitive and remove needs no value', async () => {
    const path = `${FLOW}/connections/${chain.connectionId}`;
    const added = await t.client.patch(path, [{ op: 'ADD', path: '/description', value: 'to be removed' }], { headers: { 'if-match': await etagOf(path) } });
    assert.equal(added.status, 200);
    const removed = await t.client.patch(path, [{ op: 'remove', path: '/description' }], { headers: { 'if-match': added.body.etag } });
    assert.equal(removed.status, 200);
    assert.equal((await t.client.get(path)).body.items[0].description, undefined);
  });

  it('#15 replacing /auth/params replaces the whole object: the new key is what the connection uses', async () => {
    const path = `${FLOW}/connections/${chain.connectionId}`;
    const patched = await t.client.patch(path, [{ op: 'replace', path: '/auth/params', value: { accessToken: 'not-a-stripe-key' } }], { headers: { 'if-match': await etagOf(path) } });
    assert.equal(patched.status, 200);
    assert.deepEqual((await t.client.get(`${path}/test`)).body, { result: false });
    const restored = await t.client.patch(path, [{ op: 'replace', path: '/auth/params', value: { accessToken: 'sk_test_51FlowgateEmulatorKey0001' } }], { headers: { 'if-match': patched.body.etag } });
    assert.equal(restored.status, 200);
    assert.deepEqual((await t.client.get(`${path}/test`)).body, { result: true });
  });

  it('#17 runs carry both etag (docs) and eTag (spec), and activities', async () => {
    await t.client.control('POST', '/clock', { advanceSeconds: 600 });
    const [run] = (await t.client.get(`${FLOW}/runs`, { query: { property: `flowId==${flowId}` } })).body.items;
    assert.ok(run, 'a run was produced');
    assert.equal(run.etag, run.eTag);
    assert.deepEqual(
      run.activities.map((a: { id: string }) => a.id),
      ['copyActivity', 'promotionActivity'],
    );
  });

  it('#20 with EMULATOR_MISSING_SANDBOX=default a Flow Service call without x-sandbox-name uses the first sandbox', async () => {
    const lenient = await startTestEmulator({ missingSandboxPolicy: 'default' });
    try {
      const response = await lenient.client.get(`${FLOW}/connections`, { headers: { 'x-sandbox-name': undefined } });
      assert.equal(response.status, 200);
      // Data Prep, Catalog and Schema Registry mark the header required whatever the policy.
      const catalog = await lenient.client.get('/data/foundation/catalog/dataSets', { headers: { 'x-sandbox-name': undefined } });
      assert.equal(catalog.status, 400);
    } finally {
      await lenient.stop();
    }
  });

  it('#21 the two catalogues reuse numbers: 1403 is a missing If-Match in one and “frequency to once after start” in the other', async () => {
    const path = `${FLOW}/flows/${flowId}`;
    const noHeader = await t.client.patch(path, [{ op: 'replace', path: '/name', value: 'x' }]);
    assert.equal(noHeader.body.type, 'https://ns.adobe.com/aep/errors/FLOW-1403-400');
    assert.equal(noHeader.body.title, 'Header is missing');
    const toOnce = await t.client.patch(path, [{ op: 'replace', path: '/scheduleParams', value: { startTime: NOW + 60, frequency: 'once' } }], { headers: { 'if-match': await etagOf(path) } });
    assert.equal(toOnce.status, 400);
    assert.equal(toOnce.body.type, 'https://ns.adobe.com/aep/errors/FLOW-1403-400');
    assert.equal(toOnce.body.title, 'Bad Request');
  });

  it('every exchange conformed to the published contract', async (ctx) => {
    await checkContract(t.exchanges, (m) => ctx.skip(m));
  });
});
