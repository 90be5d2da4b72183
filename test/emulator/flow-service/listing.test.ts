import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { checkContract } from '../support/contract-check.js';
import { FLOW, startTestEmulator, type TestEmulator } from '../support/emulator-client.js';
import { STRIPE_SPEC } from '../support/stripe-setup.js';

describe('Flow Service list parameters', () => {
  let t: TestEmulator;
  const names = ['delta', 'alpha', 'echo', 'charlie', 'bravo', 'foxtrot', 'golf'];
  before(async () => {
    t = await startTestEmulator();
    await t.client.control('POST', '/clock', { now: 1_800_000_000 });
    for (const name of names) {
      await t.client.control('POST', '/clock', { advanceSeconds: 10 });
      const created = await t.client.post(`${FLOW}/connections`, {
        name,
        description: name.length > 5 ? 'long name' : 'short name',
        connectionSpec: { id: STRIPE_SPEC, version: '1.0' },
        auth: { specName: 'OAuth2 Refresh Code', params: { accessToken: 'sk_test_listinglisting' } },
      });
      assert.equal(created.status, 201);
    }
  });
  after(() => t.stop());
  const list = (query: Record<string, string | string[]>) => t.client.get(`${FLOW}/connections`, { query });
  const namesOf = (body: any) => body.items.map((i: { name: string }) => i.name);

  it('orders by a field ascending by default, with + or - as prefix', async () => {
    assert.deepEqual(namesOf((await list({ orderby: 'name' })).body), [...names].sort());
    assert.deepEqual(namesOf((await list({ orderby: '+name' })).body), [...names].sort());
    assert.deepEqual(namesOf((await list({ orderby: '-name' })).body), [...names].sort().reverse());
    assert.deepEqual(namesOf((await list({ orderby: '-createdAt' })).body), [...names].reverse());
  });

  it('pages with limit and a continuationToken carried in _links.next.href', async () => {
    const seen: string[] = [];
    let query: Record<string, string | string[]> = { limit: '3', orderby: 'name' };
    for (let page = 0; page < 5; page++) {
      const response = await list(query);
      assert.equal(response.status, 200);
      seen.push(...namesOf(response.body));
      const next = response.body._links?.next?.href;
      if (!next) break;
      assert.match(next, /^\/connections\?continuationToken=/);
      const params = new URL(next, 'http://x').searchParams;
      query = { continuationToken: params.get('continuationToken')! };
    }
    assert.deepEqual(seen, [...names].sort());
  });

  it('answers 1453-400 for a forged continuation token', async () => {
    const response = await list({ continuationToken: 'forged' });
    assert.equal(response.status, 400);
    assert.equal(response.body.type, 'https://ns.adobe.com/aep/errors/FLOW-1453-400');
  });

  it('filters with ==, comma as OR, !=, >, < and ~ (case-insensitive regex), ANDing several filters', async () => {
    assert.deepEqual(namesOf((await list({ property: 'name==alpha' })).body), ['alpha']);
    assert.deepEqual(namesOf((await list({ property: 'name==alpha,bravo', orderby: 'name' })).body), ['alpha', 'bravo']);
    assert.equal((await list({ property: 'name!=alpha' })).body.items.length, names.length - 1);
    const t3 = 1_800_000_030_000;
    assert.deepEqual(namesOf((await list({ property: `createdAt>${t3}`, orderby: 'createdAt' })).body), names.slice(3));
    assert.deepEqual(namesOf((await list({ property: `createdAt<${t3}`, orderby: 'createdAt' })).body), names.slice(0, 2));
    assert.deepEqual(namesOf((await list({ property: 'name~^[A-C]', orderby: 'name' })).body), ['alpha', 'bravo', 'charlie']);
    assert.deepEqual(namesOf((await list({ property: ['description==long name', 'name~o'], orderby: 'name' })).body), ['foxtrot']);
    assert.equal((await list({ property: `connectionSpec.id==${STRIPE_SPEC}` })).body.items.length, names.length);
  });

  it('count=true returns only the count, and limit with count is 1401-400', async () => {
    assert.deepEqual((await list({ count: 'true', property: 'description==short name' })).body, { count: 5 });
    const both = await list({ count: 'true', limit: '2' });
    assert.equal(both.status, 400);
    assert.equal(both.body.type, 'https://ns.adobe.com/aep/errors/FLOW-1401-400');
  });

  for (const [name, query, code] of [
    ['a filter without an operator', { property: 'name' }, 'FLOW-1450-400'],
    ['several values for >', { property: 'createdAt>1,2' }, 'FLOW-1443-400'],
    ['an invalid regex', { property: 'name~[' }, 'FLOW-1452-400'],
    ['an orderby of only a sign', { orderby: '-' }, 'FLOW-1432-400'],
    ['an orderby on a strange field', { orderby: 'name;drop' }, 'FLOW-1433-400'],
    ['a zero limit', { limit: '0' }, 'FLOW-1453-400'],
    ['a huge limit', { limit: '100000' }, 'FLOW-1453-400'],
  ] as const) {
    it(`answers 400 ${code} for ${name}`, async () => {
      const response = await list(query);
      assert.equal(response.status, 400);
      assert.equal(response.body.type, `https://ns.adobe.com/aep/errors/${code}`);
    });
  }

  it('every exchange conformed to the published contract', async (ctx) => {
    await checkContract(t.exchanges, (m) => ctx.skip(m));
  });
});
