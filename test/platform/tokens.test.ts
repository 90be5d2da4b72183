import assert from 'node:assert/strict';
import { inspect } from 'node:util';
import { after, before, beforeEach, describe, it } from 'node:test';
import { ImsTokenProvider } from '../../src/platform/ims-token-provider.js';
import { ImsAuthError, PlatformAuthError } from '../../src/platform/platform-errors.js';
import { PlatformHttp } from '../../src/platform/platform-http.js';
import { CapturingLogger } from './support/capturing-logger.js';
import { caught, FAST_RETRY, FLOW, startPlatformTestEnv, type PlatformTestEnv } from './support/platform-test-env.js';

const IMS = '/ims/token/v3';
const STRIPE_KEY = 'sk_test_51FlowgateTokens000001';

describe('IMS tokens', () => {
  let env: PlatformTestEnv;
  let connectionId: string;

  before(async () => {
    env = await startPlatformTestEnv();
    connectionId = (await env.client.flowService.createConnection({ name: 'token target', accessToken: STRIPE_KEY })).id;
  });
  after(() => env.stop());
  beforeEach(async () => {
    await env.control.clearFaults();
    await env.control.clearRequests();
  });

  const imsCalls = async () => (await env.control.requests({ method: 'POST', path: IMS })).length;

  describe('when many calls start at once with no token cached', () => {
    it('shares one token request between them', async () => {
      const client = env.newClient();
      const results = await Promise.all(Array.from({ length: 10 }, () => client.flowService.getConnection(connectionId)));
      assert.equal(results.length, 10);
      assert.equal(await imsCalls(), 1);
    });
  });

  describe('when the Platform stops accepting the token (it expired)', () => {
    it('refreshes it once and succeeds; IMS is called exactly twice overall', async () => {
      const client = env.newClient();
      await client.flowService.getConnection(connectionId);
      await env.control.expireTokens();
      assert.equal((await client.flowService.getConnection(connectionId)).id, connectionId);
      assert.equal(await imsCalls(), 2);
      const gets = await env.control.requests({ method: 'GET', path: `${FLOW}/connections/` });
      assert.deepEqual(
        gets.map((r) => r.status),
        [200, 401, 200],
      );
    });

    it('refreshes once even when several calls hit the expiry together', async () => {
      const client = env.newClient();
      await client.flowService.getConnection(connectionId);
      await env.control.expireTokens();
      await Promise.all(Array.from({ length: 5 }, () => client.flowService.getConnection(connectionId)));
      assert.equal(await imsCalls(), 2);
    });
  });

  describe('when a refreshed token is refused as well', () => {
    it('fails with a final PlatformAuthError after exactly one refresh', async () => {
      let issued = 0;
      const invalidated: string[] = [];
      // A token source whose tokens the emulator never issued: every one is refused.
      const http = new PlatformHttp({
        platformUrl: env.emulator.url,
        clientId: env.options.clientId,
        orgId: env.options.orgId,
        sandbox: env.options.sandbox,
        retry: FAST_RETRY,
        tokens: { getToken: async () => `not-a-real-token-${++issued}`, invalidate: (token) => void invalidated.push(token) },
      });
      try {
        const error = await caught(() => http.get(`${FLOW}/connections/${connectionId}`));
        assert.ok(error instanceof PlatformAuthError, String(error));
        assert.equal(error.retryable, false);
        assert.equal(error.status, 401);
        assert.equal(error.platformCode, '401013');
        assert.deepEqual(invalidated, ['not-a-real-token-1']);
        assert.equal(issued, 2);
        assert.equal((await env.control.requests({ method: 'GET', path: `${FLOW}/connections/` })).length, 2);
      } finally {
        await http.close();
      }
    });
  });

  describe('when the gateway refuses the API key', () => {
    it('fails with a final PlatformAuthError 403003 without refreshing the token', async () => {
      const tokens = new ImsTokenProvider({ imsUrl: env.emulator.url, clientId: env.options.clientId, clientSecret: env.options.clientSecret });
      const http = new PlatformHttp({ platformUrl: env.emulator.url, clientId: 'someone-else', orgId: env.options.orgId, sandbox: env.options.sandbox, tokens });
      try {
        const error = await caught(() => http.get(`${FLOW}/connections/${connectionId}`));
        assert.ok(error instanceof PlatformAuthError, String(error));
        assert.equal(error.status, 403);
        assert.equal(error.platformCode, '403003');
        assert.equal(await imsCalls(), 1);
      } finally {
        await http.close();
        await tokens.close();
      }
    });
  });

  describe('when the client secret is wrong', () => {
    it('fails with a final ImsAuthError that does not contain the secret', async () => {
      const secret = 'wrong-secret-SECRETSECRET456';
      const logger = new CapturingLogger();
      const client = env.newClient({ clientSecret: secret, logger });
      const error = await caught(() => client.flowService.getConnection(connectionId));
      assert.ok(error instanceof ImsAuthError, String(error));
      assert.equal(error.retryable, false);
      assert.equal(error.status, 401);
      assert.equal(error.imsError, 'invalid_client');
      assert.equal(await imsCalls(), 1, 'bad credentials are not retried');
      for (const text of [error.message, String(error.stack), JSON.stringify(error), inspect(error, { depth: 5 }), logger.text()]) {
        assert.ok(!text.includes(secret), `secret leaked into: ${text}`);
      }
    });
  });

  describe('when IMS is briefly unavailable', () => {
    it('retries the token request and succeeds', async () => {
      const client = env.newClient();
      await env.control.addFault({ method: 'POST', path: IMS, status: 503, count: 1 });
      assert.equal((await client.flowService.getConnection(connectionId)).id, connectionId);
      assert.deepEqual(
        (await env.control.requests({ method: 'POST', path: IMS })).map((r) => r.status),
        [503, 200],
      );
    });

    it('fails with a retryable ImsAuthError once the attempts are used up', async () => {
      const client = env.newClient();
      await env.control.addFault({ method: 'POST', path: IMS, status: 503 });
      const error = await caught(() => client.flowService.getConnection(connectionId));
      assert.ok(error instanceof ImsAuthError, String(error));
      assert.equal(error.retryable, true);
      assert.equal(await imsCalls(), 4);
    });
  });

  describe('when the cached token nears its expiry', () => {
    it('fetches a new one once less than max(60 s, 10 % of its lifetime) remains, and not before', async () => {
      let nowMs = 1_000_000_000_000;
      const tokens = new ImsTokenProvider({ imsUrl: env.emulator.url, clientId: env.options.clientId, clientSecret: env.options.clientSecret, now: () => nowMs });
      try {
        const lifetimeMs = env.emulator.options.tokenTtlSeconds * 1000;
        const refreshAtMs = nowMs + lifetimeMs - Math.max(60_000, lifetimeMs * 0.1);
        const first = await tokens.getToken();
        nowMs = refreshAtMs - 1;
        assert.equal(await tokens.getToken(), first);
        assert.equal(await imsCalls(), 1);
        nowMs = refreshAtMs;
        // Due for refresh but still valid: served at once, the new one fetched beside it.
        assert.equal(await tokens.getToken(), first);
        const second = await tokens.refresh();
        assert.notEqual(second, first);
        assert.equal(await tokens.getToken(), second);
        assert.equal(await imsCalls(), 2);
      } finally {
        await tokens.close();
      }
    });

    it('does not hold calls up while IMS hangs on the early refresh, and uses the new token once it arrives', async () => {
      let nowMs = 1_000_000_000_000;
      const tokens = new ImsTokenProvider({ imsUrl: env.emulator.url, clientId: env.options.clientId, clientSecret: env.options.clientSecret, now: () => nowMs });
      try {
        const first = await tokens.getToken();
        nowMs += env.emulator.options.tokenTtlSeconds * 1000 - 30_000;
        await env.control.addFault({ method: 'POST', path: IMS, latencyMs: 1_500, count: 1 });
        const calls = Promise.all(Array.from({ length: 5 }, () => tokens.getToken()));
        const newToken = tokens.refresh();
        // The calls are served before IMS answers (it takes 1.5 s): nobody waited for it.
        const winner = await Promise.race([calls.then(() => 'calls served'), newToken.then(() => 'IMS answered')]);
        assert.equal(winner, 'calls served');
        assert.deepEqual(await calls, Array(5).fill(first));
        const second = await newToken;
        assert.notEqual(second, first);
        assert.equal(await tokens.getToken(), second);
        assert.equal(await imsCalls(), 2, 'one token request for the five calls');
      } finally {
        await tokens.close();
      }
    });

    it('keeps serving the old token while it is still valid if the early refresh fails', async () => {
      let nowMs = 1_000_000_000_000;
      const tokens = new ImsTokenProvider({ imsUrl: env.emulator.url, clientId: env.options.clientId, clientSecret: env.options.clientSecret, now: () => nowMs, retry: { maxAttempts: 1 } });
      try {
        const first = await tokens.getToken();
        nowMs += env.emulator.options.tokenTtlSeconds * 1000 - 30_000;
        await env.control.addFault({ method: 'POST', path: IMS, status: 503, count: 1 });
        assert.equal(await tokens.getToken(), first);
      } finally {
        await tokens.close();
      }
    });
  });

  describe('invalidate', () => {
    it('ignores a token that is no longer the cached one', async () => {
      const tokens = new ImsTokenProvider({ imsUrl: env.emulator.url, clientId: env.options.clientId, clientSecret: env.options.clientSecret });
      try {
        const first = await tokens.getToken();
        tokens.invalidate(first);
        const second = await tokens.getToken();
        tokens.invalidate(first);
        assert.equal(await tokens.getToken(), second);
        assert.equal(await imsCalls(), 2);
      } finally {
        await tokens.close();
      }
    });
  });
});
