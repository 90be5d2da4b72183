import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { checkContract } from '../support/contract-check.js';
import { FLOW, sourceParams, startTestEmulator, type TestEmulator } from '../support/emulator-client.js';
import { STRIPE_SPEC, VALID_STRIPE_KEY } from '../support/stripe-setup.js';

const ETAG_SHAPE = /^"[0-9a-f]{8}-0000-0200-0000-[0-9a-f]{8}0000"$/;
const connectionBody = (overrides: Record<string, unknown> = {}) => ({
  name: 'Stripe base connection',
  description: 'Authenticated base connection for Stripe',
  connectionSpec: { id: STRIPE_SPEC, version: '1.0' },
  auth: { specName: 'OAuth2 Refresh Code', params: { accessToken: VALID_STRIPE_KEY } },
  ...overrides,
});

describe('Flow Service base connections', () => {
  let t: TestEmulator;
  before(async () => {
    t = await startTestEmulator();
  });
  after(() => t.stop());

  describe('POST /connections', () => {
    it('creates a connection: 201, Location, id and a quoted etag', async () => {
      const response = await t.client.post(`${FLOW}/connections`, connectionBody());
      assert.equal(response.status, 201);
      assert.match(response.body.id, /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
      assert.match(response.body.etag, ETAG_SHAPE);
      assert.equal(response.headers.get('location'), `${FLOW}/connections/${response.body.id}`);
    });

    it('encodes the update time in the etag’s last group (epoch seconds, hex)', async () => {
      await t.client.control('POST', '/clock', { now: 1_800_000_000 });
      const response = await t.client.post(`${FLOW}/connections`, connectionBody());
      assert.ok(response.body.etag.endsWith(`${(1_800_000_000).toString(16)}0000"`));
      await t.client.control('POST', '/reset');
    });

    const invalid: [string, Record<string, unknown>, string, string][] = [
      ['without connectionSpec', { connectionSpec: undefined }, 'FLOW-1304-400', 'connectionSpec'],
      ['with an unknown connection spec id', { connectionSpec: { id: '00000000-0000-0000-0000-000000000000', version: '1.0' } }, 'FLOW-1413-400', 'connectionSpec.id'],
      ['with the data lake spec (a target, no base connection)', { connectionSpec: { id: 'c604ff05-7f1a-43c0-8e18-33bf874cb11c', version: '1.0' } }, 'FLOW-1413-400', 'connectionSpec.id'],
      ['without a name', { name: undefined }, 'FLOW-1304-400', 'name'],
      ['with a blank name', { name: '   ' }, 'FLOW-1304-400', 'name'],
      ['with a numeric name', { name: 42 }, 'FLOW-1312-400', 'name'],
      ['without auth', { auth: undefined }, 'FLOW-1304-400', 'auth'],
      ['with another auth spec', { auth: { specName: 'Basic Authentication', params: { accessToken: 'x' } } }, 'FLOW-1415-400', 'auth.specName'],
      ['without an access token', { auth: { specName: 'OAuth2 Refresh Code', params: {} } }, 'FLOW-1312-400', 'auth.params.accessToken'],
      ['with an unknown auth param', { auth: { specName: 'OAuth2 Refresh Code', params: { accessToken: 'sk_test_x', password: 'y' } } }, 'FLOW-1312-400', 'auth.params.password'],
    ];
    for (const [name, overrides, code, field] of invalid) {
      it(`answers 400 ${code} naming ${field} when sent ${name}, and creates nothing`, async () => {
        const before = (await t.client.get(`${FLOW}/connections`, { query: { count: 'true' } })).body.count;
        const response = await t.client.post(`${FLOW}/connections`, JSON.parse(JSON.stringify(connectionBody(overrides))));
        assert.equal(response.status, 400);
        assert.equal(response.body.type, `https://ns.adobe.com/aep/errors/${code}`);
        assert.equal(response.body.status, 400);
        assert.equal(response.body.field, field);
        assert.match(response.body.report['detailed-message'], new RegExp(field.split('.').pop()!));
        const after = (await t.client.get(`${FLOW}/connections`, { query: { count: 'true' } })).body.count;
        assert.equal(after, before);
      });
    }
  });

  describe('GET /connections/{id}', () => {
    it('returns the list envelope with one item whose version mirrors the etag, without the secret', async () => {
      const created = await t.client.post(`${FLOW}/connections`, connectionBody());
      const response = await t.client.get(`${FLOW}/connections/${created.body.id}`);
      assert.equal(response.status, 200);
      assert.equal(response.body.items.length, 1);
      const item = response.body.items[0];
      assert.equal(item.id, created.body.id);
      assert.equal(item.etag, created.body.etag);
      assert.equal(item.version, item.etag);
      assert.equal(item.state, 'enabled');
      assert.equal(item.sandboxName, 'prod');
      assert.equal(item.imsOrgId, 'FLOWGATE0000000000000000@AdobeOrg');
      assert.deepEqual(item.connectionSpec, { id: STRIPE_SPEC, version: '1.0' });
      assert.equal(item.auth.specName, 'OAuth2 Refresh Code');
      assert.ok(!response.text.includes(VALID_STRIPE_KEY), 'the access token must never be returned');
      assert.equal(typeof item.createdAt, 'number');
      assert.ok(item.createdAt > 1e12, 'createdAt is epoch milliseconds');
    });

    it('answers 404 1101-404 for an id that does not exist', async () => {
      const response = await t.client.get(`${FLOW}/connections/6b5b1d9c-0000-4000-8000-000000000000`);
      assert.equal(response.status, 404);
      assert.equal(response.body.type, 'https://ns.adobe.com/aep/errors/FLOW-1101-404');
    });
  });

  describe('PATCH /connections/{id}', () => {
    it('updates name, description and the whole auth params with If-Match, returning a new etag', async () => {
      const created = await t.client.post(`${FLOW}/connections`, connectionBody());
      const response = await t.client.patch(
        `${FLOW}/connections/${created.body.id}`,
        [
          { op: 'replace', path: '/auth/params', value: { accessToken: 'sk_test_rotatedKey000001' } },
          { op: 'replace', path: '/name', value: 'Renamed' },
          { op: 'add', path: '/description', value: 'new words' },
        ],
        { headers: { 'if-match': created.body.etag } },
      );
      assert.equal(response.status, 200);
      assert.equal(response.body.id, created.body.id);
      assert.notEqual(response.body.etag, created.body.etag);
      const item = (await t.client.get(`${FLOW}/connections/${created.body.id}`)).body.items[0];
      assert.equal(item.name, 'Renamed');
      assert.equal(item.description, 'new words');
      assert.equal(item.etag, response.body.etag);
    });

    it('accepts If-Match without the quotes, and the trailing-slash path of the spec', async () => {
      const created = await t.client.post(`${FLOW}/connections`, connectionBody());
      const unquoted = created.body.etag.replace(/"/g, '');
      const response = await t.client.patch(`${FLOW}/connections/${created.body.id}/`, [{ op: 'REPLACE', path: '/name', value: 'x' }], { headers: { 'if-match': unquoted } });
      assert.equal(response.status, 200);
    });

    it('answers 400 1403-400 without If-Match and leaves the connection unchanged', async () => {
      const created = await t.client.post(`${FLOW}/connections`, connectionBody());
      const response = await t.client.patch(`${FLOW}/connections/${created.body.id}`, [{ op: 'replace', path: '/name', value: 'x' }]);
      assert.equal(response.status, 400);
      assert.equal(response.body.type, 'https://ns.adobe.com/aep/errors/FLOW-1403-400');
      assert.equal(response.body.title, 'Header is missing');
      assert.equal((await t.client.get(`${FLOW}/connections/${created.body.id}`)).body.items[0].name, 'Stripe base connection');
    });

    it('answers 412 1404-412 with a stale etag, naming both versions', async () => {
      const created = await t.client.post(`${FLOW}/connections`, connectionBody());
      const first = await t.client.patch(`${FLOW}/connections/${created.body.id}`, [{ op: 'replace', path: '/name', value: 'one' }], { headers: { 'if-match': created.body.etag } });
      assert.equal(first.status, 200);
      const stale = await t.client.patch(`${FLOW}/connections/${created.body.id}`, [{ op: 'replace', path: '/name', value: 'two' }], { headers: { 'if-match': created.body.etag } });
      assert.equal(stale.status, 412);
      assert.equal(stale.body.type, 'https://ns.adobe.com/aep/errors/FLOW-1404-412');
      assert.equal(stale.body.errorMessage, `Supplied version=[${created.body.etag}] does not match the current version on entity=[${first.body.etag}]`);
      assert.equal((await t.client.get(`${FLOW}/connections/${created.body.id}`)).body.items[0].name, 'one');
    });

    const badPatches: [string, unknown, string][] = [
      ['an empty array', [], 'FLOW-1405-400'],
      ['a single object instead of an array', { op: 'replace', path: '/name', value: 'x' }, 'FLOW-1455-400'],
      ['a move operation', [{ op: 'move', from: '/name', path: '/description' }], 'FLOW-1434-400'],
      ['an unknown path', [{ op: 'replace', path: '/state', value: 'disabled' }], 'FLOW-1365-400'],
      ['a replace without value', [{ op: 'replace', path: '/name' }], 'FLOW-1455-400'],
      ['a change of the connection spec', [{ op: 'replace', path: '/connectionSpec/id', value: 'x' }], 'FLOW-1414-400'],
    ];
    for (const [name, body, code] of badPatches) {
      it(`answers 400 ${code} for ${name}`, async () => {
        const created = await t.client.post(`${FLOW}/connections`, connectionBody());
        const response = await t.client.patch(`${FLOW}/connections/${created.body.id}`, body, { headers: { 'if-match': created.body.etag } });
        assert.equal(response.status, 400);
        assert.equal(response.body.type, `https://ns.adobe.com/aep/errors/${code}`);
      });
    }
  });

  describe('GET /connections/{id}/test', () => {
    it('says true for a Stripe secret key and false for anything else', async () => {
      const good = await t.client.post(`${FLOW}/connections`, connectionBody());
      const bad = await t.client.post(`${FLOW}/connections`, connectionBody({ auth: { specName: 'OAuth2 Refresh Code', params: { accessToken: 'not-a-stripe-key' } } }));
      assert.deepEqual((await t.client.get(`${FLOW}/connections/${good.body.id}/test`)).body, { result: true });
      assert.deepEqual((await t.client.get(`${FLOW}/connections/${bad.body.id}/test`)).body, { result: false });
    });
  });

  describe('GET /connections/{id}/explore', () => {
    let connectionId: string;
    before(async () => {
      connectionId = (await t.client.post(`${FLOW}/connections`, connectionBody())).body.id;
    });
    const explore = (query: Record<string, string>) => t.client.get(`${FLOW}/connections/${connectionId}/explore`, { query });

    for (const resource of ['charges', 'subscriptions', 'refunds', 'balance_transactions', 'customers', 'prices']) {
      it(`returns the hierarchical schema of ${resource}, record wrapped under data`, async () => {
        const response = await explore({ objectType: 'rest', object: 'json', fileType: 'json', preview: 'false', sourceParams: sourceParams(resource) });
        assert.equal(response.status, 200);
        assert.equal(response.body.format, 'hierarchical');
        assert.equal(response.body.schema.type, 'object');
        const data = response.body.schema.properties.data;
        assert.equal(data.type, 'object');
        assert.deepEqual(data.properties.id, { type: 'string' });
        assert.deepEqual(data.properties.created, { type: 'integer', minimum: -9007199254740992, maximum: 9007199254740991 });
        assert.equal(response.body.data, undefined);
      });
    }

    it('accepts the tutorial’s URL-encoded sourceParams', async () => {
      const response = await t.client.get(`${FLOW}/connections/${connectionId}/explore?objectType=rest&object=json&fileType=json&preview=false&sourceParams=eyJyZXNvdXJjZVBhdGgiOiJjaGFyZ2VzIn0%3D`);
      assert.equal(response.status, 200);
      assert.equal(response.body.schema.properties.data.properties.object.type, 'string');
    });

    it('represents nulls of the sample as {} and the same seed gives the same schema', async () => {
      const a = await explore({ objectType: 'rest', object: 'json', fileType: 'json', sourceParams: sourceParams('charges') });
      const b = await explore({ objectType: 'REST', object: 'json', fileType: 'json', sourceParams: sourceParams('charges') });
      assert.deepEqual(a.body, b.body);
      assert.deepEqual(a.body.schema.properties.data.properties.balance_transaction, {});
    });

    it('with preview=true adds sample rows that are records under data', async () => {
      const response = await explore({ objectType: 'rest', object: 'json', fileType: 'json', preview: 'true', sourceParams: sourceParams('customers') });
      assert.equal(response.status, 200);
      assert.ok(Array.isArray(response.body.data) && response.body.data.length > 0);
      for (const row of response.body.data) assert.match(row.data.id, /^cus_/);
    });

    it('with objectType=root lists the six resources in the spec’s listing shape', async () => {
      const response = await explore({ objectType: 'root' });
      assert.equal(response.status, 200);
      assert.deepEqual(
        response.body.map((e: { name: string }) => e.name),
        ['charges', 'subscriptions', 'refunds', 'balance_transactions', 'customers', 'prices'],
      );
    });

    const bad: [string, Record<string, string>, string][] = [
      ['no objectType', { sourceParams: sourceParams('charges') }, 'FLOW-1334-400'],
      ['an unknown objectType', { objectType: 'folder', sourceParams: sourceParams('charges') }, 'FLOW-1358-400'],
      ['no sourceParams', { objectType: 'rest' }, 'FLOW-1337-400'],
      ['sourceParams that are not base64 JSON', { objectType: 'rest', sourceParams: '%%%not-base64' }, 'FLOW-1389-400'],
      ['an unsupported resourcePath', { objectType: 'rest', sourceParams: sourceParams('invoices') }, 'FLOW-1312-400'],
      ['a non-JSON fileType', { objectType: 'rest', fileType: 'delimited', sourceParams: sourceParams('charges') }, 'FLOW-1312-400'],
    ];
    for (const [name, query, code] of bad) {
      it(`answers 400 ${code} for ${name}`, async () => {
        const response = await explore(query);
        assert.equal(response.status, 400);
        assert.equal(response.body.type, `https://ns.adobe.com/aep/errors/${code}`);
      });
    }

    it('fails when Stripe rejects the connection’s key', async () => {
      const bad = await t.client.post(`${FLOW}/connections`, connectionBody({ auth: { specName: 'OAuth2 Refresh Code', params: { accessToken: 'pk_test_publishableKey1' } } }));
      const response = await t.client.get(`${FLOW}/connections/${bad.body.id}/explore`, { query: { objectType: 'rest', sourceParams: sourceParams('charges') } });
      assert.equal(response.status, 400);
      assert.equal(response.body.type, 'https://ns.adobe.com/aep/errors/FLOW-1100-400');
    });
  });

  describe('DELETE /connections/{id}', () => {
    it('refuses a stale If-Match with 412 and keeps the connection; a current one deletes it', async () => {
      const created = await t.client.post(`${FLOW}/connections`, connectionBody());
      const stale = await t.client.delete(`${FLOW}/connections/${created.body.id}`, { headers: { 'if-match': '"00000000-0000-0200-0000-000000000000"' } });
      assert.equal(stale.status, 412);
      assert.equal(stale.body.type, 'https://ns.adobe.com/aep/errors/FLOW-1404-412');
      assert.equal((await t.client.get(`${FLOW}/connections/${created.body.id}`)).status, 200);
      assert.equal((await t.client.delete(`${FLOW}/connections/${created.body.id}`, { headers: { 'if-match': created.body.etag } })).status, 204);
    });

    it('answers 204 with an empty body, then 404', async () => {
      const created = await t.client.post(`${FLOW}/connections`, connectionBody());
      const response = await t.client.delete(`${FLOW}/connections/${created.body.id}`);
      assert.equal(response.status, 204);
      assert.equal(response.text, '');
      assert.equal((await t.client.get(`${FLOW}/connections/${created.body.id}`)).status, 404);
    });
  });

  it('every exchange conformed to the published contract', async (ctx) => {
    await checkContract(t.exchanges, (m) => ctx.skip(m));
  });
});
