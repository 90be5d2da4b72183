import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { checkContract } from './support/contract-check.js';
import { CATALOG, FLOW, startTestEmulator, type TestEmulator } from './support/emulator-client.js';

describe('malformed and hostile requests', () => {
  let t: TestEmulator;
  before(async () => {
    t = await startTestEmulator({ bodyLimitBytes: 64 * 1024 });
  });
  after(() => t.stop());

  it('malformed JSON gets 400 with the Platform’s generic error body', async () => {
    const response = await t.client.request('POST', `${FLOW}/connections`, { rawBody: '{"name": "x",' });
    assert.equal(response.status, 400);
    assert.equal(response.body.type, '/placeholder/type/uri');
    assert.equal(response.body.title, 'BadRequestError');
    assert.match(response.body.detail, /not valid JSON/);
  });

  it('a body without a JSON content type gets 400 "A valid content-type must be specified"', async () => {
    const response = await t.client.request('POST', `${FLOW}/connections`, { rawBody: 'name=x', headers: { 'content-type': 'text/plain' } });
    assert.equal(response.status, 400);
    assert.deepEqual(response.body, { type: '/placeholder/type/uri', status: 400, title: 'BadRequestError', detail: 'A valid content-type must be specified' });
  });

  it('an empty body on a create gets Flow Service’s 1405-400', async () => {
    const response = await t.client.request('POST', `${FLOW}/connections`, { rawBody: '' });
    assert.equal(response.status, 400);
    assert.equal(response.body.type, 'https://ns.adobe.com/aep/errors/FLOW-1405-400');
  });

  it('a body over the size limit gets 413 and the server keeps serving', async () => {
    const response = await t.client.request('POST', `${CATALOG}/dataSets`, { rawBody: JSON.stringify({ name: 'x'.repeat(70 * 1024) }) });
    assert.equal(response.status, 413);
    assert.equal(response.body.title, 'PayloadTooLargeError');
    assert.equal((await t.client.get(`${FLOW}/connections`)).status, 200);
  });

  it('a prototype-poisoning body is refused', async () => {
    const response = await t.client.request('POST', `${FLOW}/connections`, { rawBody: '{"__proto__": {"polluted": true}, "name": "x"}' });
    assert.equal(response.status, 400);
    assert.equal(({} as Record<string, unknown>).polluted, undefined);
  });

  it('an unknown route gets the gateway’s 404 body', async () => {
    const response = await t.client.get('/data/foundation/nonexistent/things');
    assert.equal(response.status, 404);
    assert.deepEqual(Object.keys(response.body).sort(), ['error_code', 'message']);
  });

  it('an unknown Flow Service path gets 404, after the auth checks', async () => {
    assert.equal((await t.client.get(`${FLOW}/widgets`)).status, 404);
    assert.equal((await t.client.get(`${FLOW}/widgets`, { anonymous: true })).status, 403);
  });

  it('a JSON array where an object is expected gets a 400 naming the body', async () => {
    const response = await t.client.post(`${FLOW}/connections`, [1, 2, 3]);
    assert.equal(response.status, 400);
    assert.equal(response.body.field, '(body)');
  });

  it('control characters and very long strings in names are stored verbatim or refused, never a 5xx', async () => {
    const weird = await t.client.post(`${FLOW}/connections`, {
      name: 'robert\u0000"); DROP TABLE flows;--\u202e',
      connectionSpec: { id: 'cc2c31d6-7b8c-4581-b49f-5c8698aa3ab3', version: '1.0' },
      auth: { specName: 'OAuth2 Refresh Code', params: { accessToken: 'sk_test_weirdweirdweird' } },
    });
    assert.equal(weird.status, 201);
    const read = await t.client.get(`${FLOW}/connections/${weird.body.id}`);
    assert.equal(read.body.items[0].name, 'robert\u0000"); DROP TABLE flows;--\u202e');
    const long = await t.client.post(`${FLOW}/connections`, {
      name: 'n'.repeat(5000),
      connectionSpec: { id: 'cc2c31d6-7b8c-4581-b49f-5c8698aa3ab3', version: '1.0' },
      auth: { specName: 'OAuth2 Refresh Code', params: { accessToken: 'sk_test_weirdweirdweird' } },
    });
    assert.equal(long.status, 400);
    assert.equal(long.body.field, 'name');
  });

  it('many concurrent requests with broken bodies do not take the server down', async () => {
    const responses = await Promise.all(Array.from({ length: 50 }, (_, i) => t.client.request('POST', `${FLOW}/flows`, { rawBody: i % 2 ? '{' : '[]' })));
    for (const r of responses) assert.ok(r.status >= 400 && r.status < 500, String(r.status));
    assert.equal((await t.client.get(`${FLOW}/flows`)).status, 200);
  });

  it('every exchange conformed to the published contract', async (ctx) => {
    await checkContract(t.exchanges, (m) => ctx.skip(m));
  });
});
