import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import { checkContract } from './support/contract-check.js';
import { FLOW, startTestEmulator, type TestEmulator } from './support/emulator-client.js';
import { buildStripeChain, flowBody, STRIPE_SPEC, VALID_STRIPE_KEY } from './support/stripe-setup.js';

const connection = { name: 'c', connectionSpec: { id: STRIPE_SPEC, version: '1.0' }, auth: { specName: 'OAuth2 Refresh Code', params: { accessToken: VALID_STRIPE_KEY } } };

describe('the control API under /__emulator', () => {
  let t: TestEmulator;
  before(async () => {
    t = await startTestEmulator();
  });
  after(() => t.stop());
  beforeEach(async () => {
    await t.client.control('POST', '/reset');
  });
  const count = async () => (await t.client.get(`${FLOW}/connections`, { query: { count: 'true' } })).body.count;

  describe('POST /__emulator/reset', () => {
    it('forgets every resource, fault and logged request, and returns the clock to real time', async () => {
      await t.client.post(`${FLOW}/connections`, connection);
      await t.client.control('POST', '/clock', { now: 2_000_000_000 });
      await t.client.control('POST', '/faults', { path: '/nowhere', status: 500 });
      const reset = await t.client.control('POST', '/reset');
      assert.equal(reset.status, 200);
      assert.equal(await count(), 0);
      assert.deepEqual((await t.client.control('GET', '/faults')).body.faults, []);
      const clock = (await t.client.control('GET', '/clock')).body;
      assert.equal(clock.controlled, false);
      assert.ok(Math.abs(clock.now - Math.floor(Date.now() / 1000)) < 5);
    });
  });

  describe('POST /__emulator/clock', () => {
    it('sets the time with now and moves it with advanceSeconds', async () => {
      assert.deepEqual((await t.client.control('POST', '/clock', { now: 1_700_000_000 })).body, { now: 1_700_000_000, runsProduced: 0 });
      assert.equal((await t.client.control('POST', '/clock', { advanceSeconds: 90 })).body.now, 1_700_000_090);
      const created = await t.client.post(`${FLOW}/connections`, connection);
      const item = (await t.client.get(`${FLOW}/connections/${created.body.id}`)).body.items[0];
      assert.equal(item.createdAt, 1_700_000_090_000);
    });

    for (const [name, body] of [
      ['both fields', { now: 1, advanceSeconds: 1 }],
      ['neither field', {}],
      ['a negative advance', { advanceSeconds: -5 }],
      ['milliseconds instead of seconds', { now: 1_700_000_000_000 }],
      ['a string', { now: 'tomorrow' }],
    ] as const) {
      it(`answers 400 for ${name}`, async () => {
        const response = await t.client.control('POST', '/clock', body);
        assert.equal(response.status, 400);
        assert.equal(typeof response.body.error, 'string');
      });
    }
  });

  describe('POST /__emulator/faults', () => {
    it('mode error with a status, count and Retry-After answers that many times, then stops', async () => {
      const rule = await t.client.control('POST', '/faults', { method: 'GET', path: `${FLOW}/connections`, status: 429, count: 2, retryAfterSeconds: 3 });
      assert.equal(rule.status, 201);
      for (let i = 0; i < 2; i++) {
        const response = await t.client.get(`${FLOW}/connections`);
        assert.equal(response.status, 429);
        assert.equal(response.headers.get('retry-after'), '3');
        assert.deepEqual(response.body, { error_code: '429050', message: 'Too many requests' });
      }
      assert.equal((await t.client.get(`${FLOW}/connections`)).status, 200);
      assert.deepEqual((await t.client.control('GET', '/faults')).body.faults, []);
    });

    it('a 503 from Flow Service carries its error body and * matches any path segment', async () => {
      await t.client.control('POST', '/faults', { path: `${FLOW}/connections/*`, status: 503 });
      const created = await t.client.post(`${FLOW}/connections`, connection);
      assert.equal(created.status, 201, 'the collection path does not match /connections/*');
      const response = await t.client.get(`${FLOW}/connections/${created.body.id}`);
      assert.equal(response.status, 503);
      assert.equal(response.body.type, 'https://ns.adobe.com/aep/errors/FLOW-1103-503');
    });

    it('mode reset destroys the connection without a response', async () => {
      await t.client.control('POST', '/faults', { method: 'GET', path: `${FLOW}/connections`, mode: 'reset', count: 1 });
      await assert.rejects(t.client.get(`${FLOW}/connections`));
      assert.equal((await t.client.get(`${FLOW}/connections`)).status, 200);
    });

    it('mode commit-then-drop performs the write but the client never hears back', async () => {
      await t.client.control('POST', '/faults', { method: 'POST', path: `${FLOW}/connections`, mode: 'commit-then-drop', count: 1 });
      await assert.rejects(t.client.post(`${FLOW}/connections`, connection));
      assert.equal(await count(), 1, 'the connection exists although the create looked failed');
      const log = (await t.client.control('GET', '/requests')).body.requests;
      const dropped = log.find((r: any) => r.method === 'POST' && r.path === `${FLOW}/connections`);
      assert.equal(dropped.status, 201);
      assert.equal(dropped.fault.mode, 'commit-then-drop');
    });

    it('latencyMs delays the answer', async () => {
      await t.client.control('POST', '/faults', { method: 'GET', path: `${FLOW}/connections`, latencyMs: 300, count: 1 });
      const started = performance.now();
      assert.equal((await t.client.get(`${FLOW}/connections`)).status, 200);
      assert.ok(performance.now() - started >= 290);
    });

    it('rate applies a fault to a share of the requests, the same share on every run', async () => {
      const statuses = async () => {
        await t.client.control('POST', '/reset');
        await t.client.control('POST', '/faults', { method: 'GET', path: `${FLOW}/connections`, status: 503, rate: 0.5 });
        const out: number[] = [];
        for (let i = 0; i < 40; i++) out.push((await t.client.get(`${FLOW}/connections`)).status);
        return out;
      };
      const first = await statuses();
      const failures = first.filter((s) => s === 503).length;
      assert.ok(failures > 5 && failures < 35, `${failures} of 40 failed`);
      // A new emulator with the same seed faults the same requests.
      const again = await startTestEmulator();
      try {
        await again.client.control('POST', '/faults', { method: 'GET', path: `${FLOW}/connections`, status: 503, rate: 0.5 });
        const second: number[] = [];
        for (let i = 0; i < 40; i++) second.push((await again.client.get(`${FLOW}/connections`)).status);
        assert.deepEqual(second, first);
      } finally {
        await again.stop();
      }
    });

    it('DELETE /__emulator/faults removes every rule; DELETE /faults/{id} one', async () => {
      const a = await t.client.control('POST', '/faults', { path: '/a', status: 500 });
      await t.client.control('POST', '/faults', { path: '/b', status: 500 });
      assert.equal((await t.client.control('DELETE', `/faults/${a.body.id}`)).status, 200);
      assert.equal((await t.client.control('GET', '/faults')).body.faults.length, 1);
      assert.deepEqual((await t.client.control('DELETE', '/faults')).body, { removed: 1 });
      assert.equal((await t.client.control('DELETE', '/faults/999')).status, 404);
    });

    for (const [name, body] of [
      ['no path', { status: 500 }],
      ['a status below 400', { path: '/x', status: 200 }],
      ['an unknown mode', { path: '/x', mode: 'explode' }],
      ['a rate above 1', { path: '/x', status: 500, rate: 2 }],
      ['an unknown field', { path: '/x', status: 500, colour: 'red' }],
    ] as const) {
      it(`refuses a rule with ${name}`, async () => {
        const response = await t.client.control('POST', '/faults', body);
        assert.equal(response.status, 400);
        assert.ok(response.body.problems.length > 0);
      });
    }
  });

  describe('POST /__emulator/stripe/accounts', () => {
    const HOUR = 3600;
    /** A charges flow on its own key, hourly from the next full hour; returns its runs after `hours` hours. */
    async function hourlyFlow(accessToken: string) {
      const start = (await t.client.control('POST', '/clock', { now: 1_900_000_000 })).body.now + 60;
      const chain = await buildStripeChain(t.client, { accessToken });
      const flow = await t.client.post(`${FLOW}/flows`, flowBody(chain, { startTime: start, frequency: 'hour', interval: 1, backfill: false }));
      assert.equal(flow.status, 201, flow.text);
      return {
        chain,
        runsAfter: async (hours: number) => {
          await t.client.control('POST', '/clock', { advanceSeconds: hours * HOUR });
          await t.client.control('POST', '/clock', { advanceSeconds: 300 }); // the last run completes
          const runs = (await t.client.get(`${FLOW}/runs`, { query: { property: `flowId==${flow.body.id}`, orderby: 'createdAt' } })).body.items;
          return runs.map((r: any) => ({ status: r.metrics.statusSummary.status, read: r.metrics.recordSummary.inputRecordCount, errors: r.metrics.statusSummary.errors }));
        },
      };
    }

    it('revoked: the key is rejected from then on — the connection test says false and runs fail with CONNECTOR-2001-500', async () => {
      const key = 'sk_test_RevokedLaterKey00001';
      const { chain, runsAfter } = await hourlyFlow(key);
      assert.ok((await runsAfter(2)).every((r: any) => ['success', 'partialSuccess'].includes(r.status)));
      assert.deepEqual((await t.client.control('POST', '/stripe/accounts', { accessToken: key, state: 'revoked' })).body, { state: 'revoked' });
      assert.equal((await t.client.get(`${FLOW}/connections/${chain.connectionId}/test`)).body.result, false);
      const after = (await runsAfter(2)).slice(-2);
      assert.deepEqual(
        after.map((r: any) => [r.status, r.errors[0]?.code]),
        [
          ['failed', 'CONNECTOR-2001-500'],
          ['failed', 'CONNECTOR-2001-500'],
        ],
      );
      assert.match(after[0].errors[0].message, /rejected the API key/);
      await t.client.control('POST', '/stripe/accounts', { accessToken: key, state: 'active' });
      assert.equal((await t.client.get(`${FLOW}/connections/${chain.connectionId}/test`)).body.result, true);
    });

    it('dormant: the key works and runs succeed, reading 0 records', async () => {
      const key = 'sk_test_DormantAccountKey0001';
      const { runsAfter } = await hourlyFlow(key);
      await t.client.control('POST', '/stripe/accounts', { accessToken: key, state: 'dormant' });
      const runs = await runsAfter(3);
      assert.ok(runs.length >= 3, `${runs.length} runs`);
      assert.deepEqual(new Set(runs.map((r: any) => `${r.status} ${r.read}`)), new Set(['success 0']));
    });

    it('refuses a body without a key or with an unknown state, naming both; reset forgets every change', async () => {
      const refused = await t.client.control('POST', '/stripe/accounts', { state: 'asleep' });
      assert.equal(refused.status, 400);
      assert.equal(refused.body.problems.length, 2);
      await t.client.control('POST', '/stripe/accounts', { accessToken: VALID_STRIPE_KEY, state: 'revoked' });
      await t.client.control('POST', '/reset');
      const created = await t.client.post(`${FLOW}/connections`, connection);
      assert.equal((await t.client.get(`${FLOW}/connections/${created.body.id}/test`)).body.result, true);
    });
  });

  describe('GET /__emulator/requests', () => {
    it('lists method, path, status and time, never secrets', async () => {
      await t.client.get(`${FLOW}/connections`);
      await fetch(`${t.emulator.url}/ims/token/v3?grant_type=client_credentials&client_id=flowgate-local&client_secret=flowgate-local-secret&scope=openid`, { method: 'POST' });
      const response = await t.client.control('GET', '/requests');
      assert.equal(response.status, 200);
      const entries = response.body.requests;
      const list = entries.find((r: any) => r.path === `${FLOW}/connections`);
      assert.equal(list.method, 'GET');
      assert.equal(list.status, 200);
      assert.ok(!Number.isNaN(Date.parse(list.time)));
      assert.ok(!response.text.includes('flowgate-local-secret'), 'the client secret in a query string is redacted');
      assert.ok(!response.text.includes((await t.client.token()).slice(-20)), 'tokens are not logged');
    });
  });

  it('every exchange conformed to the published contract', async (ctx) => {
    await checkContract(t.exchanges, (m) => ctx.skip(m));
  });
});
