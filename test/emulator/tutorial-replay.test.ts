import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { checkContract } from './support/contract-check.js';
import { CATALOG, FLOW, REGISTRY, startTestEmulator, type TestEmulator } from './support/emulator-client.js';
import { RECORD_BEHAVIOR, VALID_STRIPE_KEY, xdmFromExplore } from './support/stripe-setup.js';

const TUTORIAL = path.resolve(process.cwd(), '../shared/reference/stripe-tutorial.json');
const TENANT = 'flowgatelocal';

interface TutorialRequest {
  method: string;
  url: string;
  body: unknown;
}

/**
 * Replays Adobe's "ingest Stripe data with the Flow Service API" tutorial, request by request,
 * with our tenant and the ids the emulator hands out substituted, then its appendix.
 */
describe('the Stripe tutorial, replayed against the emulator', () => {
  let t: TestEmulator;
  let tutorial: { requests: TutorialRequest[]; exampleResponses: Record<string, any> } | null = null;
  const ids: Record<string, string> = {};
  const replacements: [string, string][] = [];

  before(async () => {
    t = await startTestEmulator();
    if (existsSync(TUTORIAL)) tutorial = JSON.parse(readFileSync(TUTORIAL, 'utf8'));
    // The tutorial's flow starts at 1710267858 (March 2024); put the emulator an hour before it.
    await t.client.control('POST', '/clock', { now: 1710267858 - 3600 });
  });
  after(() => t.stop());

  const substitute = (text: string) => {
    let out = text.replaceAll('{ACCESS_TOKEN}', VALID_STRIPE_KEY).replaceAll('{ORG_ID}', TENANT).replaceAll('exchangesandboxcharlie', TENANT);
    for (const [from, to] of replacements) out = out.replaceAll(from, to);
    return out;
  };
  const replay = async (index: number) => {
    const request = tutorial!.requests[index];
    assert.ok(request, `the tutorial has a request #${index + 1}`);
    const url = new URL(substitute(request.url));
    const body = request.body === null ? undefined : JSON.parse(substitute(JSON.stringify(request.body)));
    return t.client.request(request.method, `${url.pathname}${url.search}`, { body });
  };
  const needTutorial = (ctx: { skip: (m: string) => void }) => {
    if (tutorial) return true;
    if (process.env.CI === 'true') assert.fail(`${TUTORIAL} is missing; CI must replay the tutorial`);
    ctx.skip('../shared/reference/stripe-tutorial.json is not present');
    return false;
  };

  it('1. creates the base connection', async (ctx) => {
    if (!needTutorial(ctx)) return;
    const response = await replay(0);
    assert.equal(response.status, 201, response.text);
    assert.deepEqual(Object.keys(response.body).sort(), ['etag', 'id']);
    ids.connection = response.body.id;
    replacements.push([tutorial!.exampleResponses.createBaseConnection.id, response.body.id]);
  });

  it('2. explores charges and gets a schema with the tutorial’s structure', async (ctx) => {
    if (!needTutorial(ctx)) return;
    const response = await replay(1);
    assert.equal(response.status, 200, response.text);
    assert.equal(response.body.format, 'hierarchical');
    const ours = response.body.schema.properties.data.properties;
    const adobe = tutorial!.exampleResponses.explore_charges.schema.properties.data.properties;
    for (const key of ['id', 'amount', 'currency', 'outcome', 'payment_method_details', 'livemode', 'created', 'captured']) {
      assert.equal(ours[key].type, adobe[key].type, key);
    }
    ids.exploreSchema = JSON.stringify(response.body.schema);
  });

  it('3. creates the source connection', async (ctx) => {
    if (!needTutorial(ctx)) return;
    const response = await replay(2);
    assert.equal(response.status, 201, response.text);
    replacements.push([tutorial!.exampleResponses.createSourceConnection.id, response.body.id]);
  });

  it('(prerequisite) creates the target XDM schema and dataset through the Schema Registry and Catalog', async (ctx) => {
    if (!needTutorial(ctx)) return;
    const stats = await t.client.get(`${REGISTRY}/stats`, { headers: { accept: 'application/json' } });
    assert.equal(stats.status, 200, stats.text);
    assert.equal(stats.body.tenantId, TENANT);
    const klass = await t.client.post(`${REGISTRY}/tenant/classes`, { type: 'object', title: 'Stripe charges class', description: 'charges', allOf: [{ $ref: RECORD_BEHAVIOR }] });
    assert.equal(klass.status, 201, klass.text);
    assert.ok(ids.exploreSchema, 'step 2 explored the charges schema');
    const explore = JSON.parse(ids.exploreSchema);
    const fieldGroup = await t.client.post(`${REGISTRY}/tenant/fieldgroups`, {
      type: 'object',
      title: 'Stripe charges fields',
      description: 'charges',
      'meta:intendedToExtend': [klass.body.$id],
      definitions: { charges: { properties: { [`_${TENANT}`]: { type: 'object', properties: { charges_data: xdmFromExplore(explore.properties.data) } } } } },
      allOf: [{ $ref: '#/definitions/charges' }],
    });
    assert.equal(fieldGroup.status, 201, fieldGroup.text);
    const schema = await t.client.post(`${REGISTRY}/tenant/schemas`, {
      type: 'object',
      title: 'Stripe charges',
      description: 'charges',
      allOf: [{ $ref: klass.body.$id }, { $ref: fieldGroup.body.$id }],
    });
    assert.equal(schema.status, 201, schema.text);
    const dataset = await t.client.post(`${CATALOG}/dataSets?requestDataSource=true`, {
      name: 'Stripe charges',
      schemaRef: { id: schema.body.$id, contentType: 'application/vnd.adobe.xed+json;version=1' },
    });
    assert.equal(dataset.status, 201, dataset.text);
    const datasetId = dataset.body[0].replace('@/dataSets/', '');
    replacements.push([`https://ns.adobe.com/${TENANT}/schemas/5f76be8c4e4b847fdac13ca42aa6b596a89a5b91dea48b16`, schema.body.$id]);
    replacements.push(['65e622315f78042c9e8166e8', datasetId]);
    ids.dataset = datasetId;
  });

  it('4. creates the target connection', async (ctx) => {
    if (!needTutorial(ctx)) return;
    const response = await replay(3);
    assert.equal(response.status, 201, response.text);
    replacements.push([tutorial!.exampleResponses.createTargetConnection.id, response.body.id]);
  });

  it('5. creates the mapping set with its 36 charge mappings (HTTP 200)', async (ctx) => {
    if (!needTutorial(ctx)) return;
    const createMappingSet = tutorial!.requests[4];
    assert.ok(createMappingSet, 'the tutorial has a request #5');
    assert.equal((createMappingSet.body as { mappings: unknown[] }).mappings.length, 36);
    const response = await replay(4);
    assert.equal(response.status, 200, response.text);
    assert.equal(response.body.version, 0);
    assert.equal(typeof response.body.createdDate, 'number');
    replacements.push([tutorial!.exampleResponses.createMappingSet.id, response.body.id]);
  });

  it('6. creates the flow (start time as a string, minute/15)', async (ctx) => {
    if (!needTutorial(ctx)) return;
    const response = await replay(5);
    assert.equal(response.status, 201, response.text);
    ids.flow = response.body.id;
    ids.flowEtag = response.body.etag;
  });

  it('appendix: monitors the flow’s runs', async (ctx) => {
    if (!needTutorial(ctx)) return;
    await t.client.control('POST', '/clock', { advanceSeconds: 3600 + 3 * 900 });
    const response = await t.client.get(`${FLOW}/runs?property=flowId==${ids.flow}`);
    assert.equal(response.status, 200);
    assert.ok(response.body.items.length >= 3, `${response.body.items.length} runs`);
    const done = response.body.items.filter((r: any) => r.metrics.statusSummary.status !== 'inProgress');
    assert.ok(done.length >= 2);
    const records = await t.client.control('GET', `/datasets/${ids.dataset}/records`);
    assert.equal(
      records.body.count,
      done.reduce((n: number, r: any) => n + r.metrics.recordSummary.outputRecordCount, 0),
    );
    assert.ok(records.body.count > 0);
    assert.ok(records.body.records[0].record[`_${TENANT}`].charges_data.payment_method_details.card.last4);
  });

  it('appendix: updates the flow with If-Match', async (ctx) => {
    if (!needTutorial(ctx)) return;
    const current = (await t.client.get(`${FLOW}/flows/${ids.flow}`)).body.items[0];
    const response = await t.client.patch(
      `${FLOW}/flows/${ids.flow}`,
      [
        { op: 'replace', path: '/name', value: 'Stripe flow (updated)' },
        { op: 'replace', path: '/description', value: 'updated through the API' },
      ],
      { headers: { 'if-match': current.etag } },
    );
    assert.equal(response.status, 200, response.text);
    assert.notEqual(response.body.etag, current.etag);
  });

  it('appendix: updates the account (base connection) with If-Match', async (ctx) => {
    if (!needTutorial(ctx)) return;
    const current = (await t.client.get(`${FLOW}/connections/${ids.connection}`)).body.items[0];
    const response = await t.client.patch(
      `${FLOW}/connections/${ids.connection}`,
      [
        { op: 'replace', path: '/auth/params', value: { accessToken: 'sk_test_51RotatedAfterTutorial' } },
        { op: 'replace', path: '/name', value: 'Stripe base connection (updated)' },
        { op: 'add', path: '/description', value: 'rotated key' },
      ],
      { headers: { 'if-match': current.etag.replace(/"/g, '') } },
    );
    assert.equal(response.status, 200, response.text);
  });

  it('appendix: disables the flow, deletes it, then deletes the account', async (ctx) => {
    if (!needTutorial(ctx)) return;
    assert.equal((await t.client.post(`${FLOW}/flows/${ids.flow}/action?op=disable`, undefined)).status, 200);
    assert.equal((await t.client.get(`${FLOW}/flows/${ids.flow}`)).body.items[0].state, 'disabled');
    const refused = await t.client.delete(`${FLOW}/connections/${ids.connection}`);
    assert.equal(refused.status, 400, 'a flow still uses the account');
    assert.equal((await t.client.delete(`${FLOW}/flows/${ids.flow}`)).status, 204);
    assert.equal((await t.client.get(`${FLOW}/flows/${ids.flow}`)).status, 404);
    assert.equal((await t.client.delete(`${FLOW}/connections/${ids.connection}`)).status, 204);
  });

  it('every exchange conformed to the published contract', async (ctx) => {
    if (!needTutorial(ctx)) return;
    await checkContract(t.exchanges, (m) => ctx.skip(m));
  });
});
