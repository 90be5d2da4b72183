import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { SignJWT } from 'jose';
import { createClient } from 'graphql-ws';
import WebSocket from 'ws';
import { TestStack } from './support/stack.js';

/**
 * What a browser app on its own origin meets: CORS (preflights, allowed and refused origins,
 * WebSocket upgrades), every refusal in GraphQL over HTTP's media type, the CSRF guard with GET
 * queries, and the WebSocket close codes a graphql-ws client acts on.
 */

const APP = 'https://app.example.test';
const DEV = 'http://localhost:5173';
const STRANGER = 'https://evil.example.test';
const GRAPHQL_RESPONSE = 'application/graphql-response+json';
const ACCEPT = `${GRAPHQL_RESPONSE}, application/json;q=0.9`;

async function unreachableIdpToken(): Promise<string> {
  const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  return new SignJWT({ flowgate_role: 'viewer' })
    .setProtectedHeader({ alg: 'ES256', kid: 'k' })
    .setSubject('u')
    .setIssuer('https://idp.example.test/')
    .setAudience('flowgate-api')
    .setExpirationTime('5m')
    .sign(privateKey);
}

describe('a browser app on another origin', () => {
  let stack: TestStack;
  let limitedKey: string;
  let prodKey: string;

  before(async () => {
    stack = await TestStack.start({
      roles: { gateway: true, worker: false },
      env: {
        CORS_ORIGINS: `${APP}, http://localhost:*`,
        GRAPHQL_MAX_REQUEST_BYTES: '20000',
        RATE_LIMIT_MUTATIONS_PER_MINUTE: '2',
        // An identity provider nobody answers at: a JWT is then 503 UNAVAILABLE.
        AUTH_JWKS_URL: 'http://127.0.0.1:9/jwks.json',
        AUTH_JWT_ISSUER: 'https://idp.example.test/',
        AUTH_JWT_AUDIENCE: 'flowgate-api',
      },
    });
    limitedKey = await stack.createKey('rate-limited', 'operator');
    prodKey = await stack.createKey('prod-only', 'viewer', { sandboxes: ['prod'] });
  });
  after(() => stack.stop());

  const post = (headers: Record<string, string>, body: string) => fetch(stack.url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body });

  describe('CORS', () => {
    it('answers an allowed origin’s preflight 204 without a credential, with the methods, headers and max age', async () => {
      for (const origin of [APP, DEV, 'http://localhost:3000']) {
        const response = await fetch(stack.url, {
          method: 'OPTIONS',
          headers: { origin, 'access-control-request-method': 'POST', 'access-control-request-headers': 'authorization, content-type, x-sandbox-name' },
        });
        assert.equal(response.status, 204, origin);
        assert.equal(response.headers.get('access-control-allow-origin'), origin);
        assert.match(response.headers.get('access-control-allow-methods') ?? '', /POST/);
        const allowed = (response.headers.get('access-control-allow-headers') ?? '').split(/,\s*/);
        for (const header of ['authorization', 'content-type', 'x-api-key', 'x-sandbox-name', 'x-request-id', 'apollo-require-preflight']) assert.ok(allowed.includes(header), header);
        assert.match(response.headers.get('access-control-max-age') ?? '', /^\d+$/);
        assert.equal(response.headers.get('access-control-allow-credentials'), null, 'credentials are headers, never cookies');
      }
    });

    it('gives a disallowed origin’s preflight no allow headers', async () => {
      for (const origin of [STRANGER, 'https://app.example.test.evil.test', 'http://localhost.evil.test:3000']) {
        const response = await fetch(stack.url, { method: 'OPTIONS', headers: { origin, 'access-control-request-method': 'POST' } });
        assert.equal(response.headers.get('access-control-allow-origin'), null, origin);
        assert.equal(response.headers.get('access-control-allow-headers'), null, origin);
      }
    });

    it('lets an allowed origin read a POST’s answer (and its request id), and not a disallowed one', async () => {
      const allowed = await post({ origin: APP, authorization: `Bearer ${stack.adminKey}` }, JSON.stringify({ query: '{ whoami { id } }' }));
      assert.equal(allowed.status, 200);
      assert.equal(allowed.headers.get('access-control-allow-origin'), APP);
      assert.match(allowed.headers.get('access-control-expose-headers') ?? '', /x-request-id/);
      const refused = await post({ origin: STRANGER, authorization: `Bearer ${stack.adminKey}` }, JSON.stringify({ query: '{ whoami { id } }' }));
      assert.equal(refused.headers.get('access-control-allow-origin'), null);
    });

    it('refuses a WebSocket upgrade from an origin outside the list, and accepts an allowed one', async () => {
      const open = (origin: string) =>
        new Promise<number | 'open'>((resolve) => {
          const socket = new WebSocket(stack.wsUrl, 'graphql-transport-ws', { origin });
          socket.on('open', () => (socket.close(), resolve('open')));
          socket.on('unexpected-response', (_req, res) => (resolve(res.statusCode ?? 0), socket.terminate()));
          socket.on('error', () => undefined);
        });
      assert.equal(await open(STRANGER), 403);
      assert.equal(await open(APP), 'open');
      assert.equal(await open(DEV), 'open');
    });
  });

  describe('refusals in the GraphQL-over-HTTP media type', () => {
    const expect = async (response: Response, status: number, code: string) => {
      assert.equal(response.status, status);
      assert.match(response.headers.get('content-type') ?? '', /^application\/graphql-response\+json/);
      const body = (await response.json()) as { errors: { message: string; extensions: { code: string } }[] };
      assert.equal(body.errors[0]!.extensions.code, code);
      assert.equal(typeof body.errors[0]!.message, 'string');
    };

    it('401 unauthenticated', async () => {
      await expect(await post({ accept: ACCEPT, authorization: 'Bearer nonsense' }, '{"query":"{ whoami { id } }"}'), 401, 'UNAUTHENTICATED');
      await expect(await post({ accept: ACCEPT }, '{"query":"{ whoami { id } }"}'), 401, 'UNAUTHENTICATED');
    });

    it('403 for a sandbox the key may not use', async () => {
      await expect(await post({ accept: ACCEPT, authorization: `Bearer ${prodKey}`, 'x-sandbox-name': 'dev' }, '{"query":"{ whoami { id } }"}'), 403, 'FORBIDDEN');
    });

    it('413 for a body over the limit', async () => {
      await expect(await post({ accept: ACCEPT, authorization: `Bearer ${stack.adminKey}` }, JSON.stringify({ query: `{ whoami { id } } # ${'x'.repeat(30_000)}` })), 413, 'PAYLOAD_TOO_LARGE');
    });

    it('400 for malformed JSON and for a batch over the limit', async () => {
      await expect(await post({ accept: ACCEPT, authorization: `Bearer ${stack.adminKey}` }, '{"query": '), 400, 'BAD_REQUEST');
      const batch = JSON.stringify(Array.from({ length: 11 }, () => ({ query: '{ whoami { id } }' })));
      await expect(await post({ accept: ACCEPT, authorization: `Bearer ${stack.adminKey}` }, batch), 400, 'QUERY_TOO_COMPLEX');
    });

    it('429 once a caller’s mutations per minute are used up', async () => {
      const mutation = JSON.stringify({ query: 'mutation { retryOperation(id: "00000000-0000-4000-8000-000000000000") { id } }' });
      let last: Response | null = null;
      for (let i = 0; i < 3; i++) last = await post({ accept: ACCEPT, authorization: `Bearer ${limitedKey}` }, mutation);
      await expect(last!, 429, 'RATE_LIMITED');
    });

    it('503 when the identity provider cannot be reached', async () => {
      await expect(await post({ accept: ACCEPT, authorization: `Bearer ${await unreachableIdpToken()}` }, '{"query":"{ whoami { id } }"}'), 503, 'UNAVAILABLE');
    });

    it('stays application/json for clients that do not ask for it', async () => {
      const response = await post({ authorization: 'Bearer nonsense' }, '{"query":"{ whoami { id } }"}');
      assert.equal(response.status, 401);
      assert.match(response.headers.get('content-type') ?? '', /^application\/json/);
    });
  });

  describe('the CSRF guard', () => {
    it('serves a GET query that carries a credential header (urql’s default)', async () => {
      for (const header of [{ authorization: `Bearer ${stack.adminKey}` }, { 'x-api-key': stack.adminKey }] as Record<string, string>[]) {
        const response = await fetch(`${stack.url}?query=${encodeURIComponent('{ whoami { id } }')}`, { headers: { accept: ACCEPT, ...header } });
        assert.equal(response.status, 200);
        assert.equal(((await response.json()) as { data: { whoami: { id: string } } }).data.whoami.id, `apikey:${stack.adminKeyName}`);
      }
    });

    it('still refuses a mutation over GET, and a simple cross-site POST', async () => {
      const mutation = await fetch(`${stack.url}?query=${encodeURIComponent('mutation { revokeApiKey(name: "nobody") { id } }')}`, { headers: { authorization: `Bearer ${stack.adminKey}` } });
      assert.equal(mutation.status, 405);
      const form = await fetch(stack.url, { method: 'POST', headers: { 'content-type': 'text/plain', origin: STRANGER }, body: '{"query":"{ whoami { id } }"}' });
      assert.ok(form.status === 400 || form.status === 401, `status ${form.status}`);
      assert.equal(form.headers.get('access-control-allow-origin'), null);
    });
  });

  describe('WebSocket credentials', () => {
    it('a default graphql-ws client reports a bad credential as an error on its first attempt (4401 is final: no retries)', async () => {
      // Default settings (retryAttempts 5 with backoff): a retried close code took ≈ 39 s to surface.
      const client = createClient({ url: stack.wsUrl, webSocketImpl: WebSocket, connectionParams: { authorization: 'Bearer nonsense' } });
      let attempts = 0;
      client.on('connecting', () => attempts++);
      try {
        const error = await new Promise<unknown>((resolve) => {
          client.subscribe({ query: '{ whoami { id } }' }, { next: () => undefined, error: resolve, complete: () => resolve(null) });
        });
        assert.equal((error as { code?: number }).code, 4401);
        assert.equal(attempts, 1);
      } finally {
        await client.dispose();
      }
    });

    it('closes with 4403 when the key may not use the sandbox it asks for', async () => {
      const client = createClient({ url: stack.wsUrl, webSocketImpl: WebSocket, retryAttempts: 0, connectionParams: { authorization: `Bearer ${prodKey}`, sandbox: 'dev' } });
      try {
        const error = await new Promise<unknown>((resolve) => {
          client.subscribe({ query: '{ whoami { id } }' }, { next: () => undefined, error: resolve, complete: () => resolve(null) });
        });
        assert.equal((error as { code?: number }).code, 4403);
      } finally {
        await client.dispose();
      }
    });
  });
});
