import assert from 'node:assert/strict';
import { createHash, generateKeyPairSync, randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { exportJWK, SignJWT, type JWK } from 'jose';
import { createClient, type Client } from 'graphql-ws';
import WebSocket from 'ws';
import { spawnFlowgate } from './support/child-process.js';
import { TestStack } from './support/stack.js';

const JWT_SECRET = 'a-shared-secret-of-at-least-32-bytes!!';
const ISSUER = 'https://idp.example.test/';
const AUDIENCE = 'flowgate-api';
const KEY = 'sk_test_51SecurityAuthKey0001';
const CREATE = 'mutation($input: CreateConnectionInput!) { createConnection(input: $input) { id resourceId requestedBy } }';

/** Rows a refused request must not have added. */
async function writtenRows(stack: TestStack): Promise<Record<string, number>> {
  const row = await stack.sqlRow<Record<string, string>>(
    'SELECT (SELECT count(*) FROM operations) AS operations, (SELECT count(*) FROM resources) AS resources, (SELECT count(*) FROM audit_events) AS audit, (SELECT count(*) FROM api_keys) AS keys',
  );
  return Object.fromEntries(Object.entries(row).map(([k, v]) => [k, Number(v)]));
}

/** A raw POST, to see the HTTP status and headers. */
async function post(url: string, query: string, variables: Record<string, unknown>, headers: Record<string, string>) {
  const response = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify({ query, variables }) });
  return { status: response.status, wwwAuthenticate: response.headers.get('www-authenticate'), body: await response.json() };
}

function hs256(claims: Record<string, unknown>, options: { secret?: string; issuer?: string; audience?: string; expiresIn?: string | number } = {}) {
  let jwt = new SignJWT(claims)
    .setProtectedHeader({ alg: 'HS256' })
    .setSubject(typeof claims.sub === 'string' ? claims.sub : 'user-1')
    .setIssuedAt();
  jwt = jwt
    .setIssuer(options.issuer ?? ISSUER)
    .setAudience(options.audience ?? AUDIENCE)
    .setExpirationTime(options.expiresIn ?? '5m');
  return jwt.sign(new TextEncoder().encode(options.secret ?? JWT_SECRET));
}

/** Resolves with the close code once the client's socket closes. */
function closeCode(client: Client): Promise<number> {
  return new Promise((resolve) => client.on('closed', (event) => resolve((event as { code: number }).code)));
}

/** Starts a subscription and resolves with its first error (the socket closing counts). */
function subscriptionError(client: Client, query: string, variables: Record<string, unknown> = {}): Promise<any> {
  return new Promise((resolve) => {
    client.subscribe({ query, variables }, { next: (value) => value.errors && resolve(value.errors), error: (error) => resolve(error), complete: () => resolve(null) });
  });
}

describe('caller authentication and roles', () => {
  let stack: TestStack;
  let connectionId: string;
  before(async () => {
    stack = await TestStack.start({
      env: { AUTH_JWT_SECRET: JWT_SECRET, AUTH_JWT_ISSUER: ISSUER, AUTH_JWT_AUDIENCE: AUDIENCE, AUTH_SOCKET_RECHECK_SECONDS: '0.5' },
    });
    const created = (await stack.data(CREATE, { input: { name: 'security base', accessToken: KEY } })).createConnection;
    assert.equal((await stack.waitForOperation(created.id)).status, 'SUCCEEDED');
    connectionId = created.resourceId;
  });
  after(() => stack.stop());

  describe('a request over HTTP without a valid credential', () => {
    const cases: [string, () => Promise<Record<string, string>>][] = [
      ['no credential', async () => stack.auth(null)],
      ['a garbage bearer token', async () => stack.auth('garbage')],
      ['a non-bearer Authorization scheme', async () => ({ authorization: `Basic ${Buffer.from('admin:admin').toString('base64')}` })],
      ['a well-formed key that was never issued', async () => stack.auth(`fgk_${randomBytes(8).toString('hex')}_${randomBytes(32).toString('base64url')}`)],
      ['an issued key with a wrong secret', async () => stack.auth(stack.adminKey.slice(0, -4) + (stack.adminKey.endsWith('AAAA') ? 'BBBB' : 'AAAA'))],
      ['an expired key', async () => stack.auth(await stack.createKey(`expired-${randomBytes(3).toString('hex')}`, 'admin', { expiresAt: new Date(Date.now() - 1000) }))],
      [
        'a revoked key',
        async () => {
          const name = `revoked-${randomBytes(3).toString('hex')}`;
          const key = await stack.createKey(name, 'admin');
          assert.equal((await stack.data('{ whoami { id } }', {}, stack.auth(key))).whoami.id, `apikey:${name}`, 'the key worked before');
          await stack.data('mutation($name: String) { revokeApiKey(name: $name) { revokedAt } }', { name });
          return stack.auth(key);
        },
      ],
    ];
    for (const [label, headers] of cases) {
      it(`with ${label}: HTTP 401 UNAUTHENTICATED with WWW-Authenticate: Bearer, and nothing written`, async () => {
        const h = await headers();
        const rowsBefore = await writtenRows(stack);
        const result = await post(stack.url, CREATE, { input: { name: 'must not exist', accessToken: KEY } }, h);
        assert.equal(result.status, 401);
        assert.match(result.wwwAuthenticate ?? '', /^Bearer/);
        assert.equal(result.body.errors[0].extensions.code, 'UNAUTHENTICATED');
        assert.equal(result.body.data, undefined);
        assert.deepEqual(await writtenRows(stack), rowsBefore);
      });
    }

    it('leaves /healthz open and /readyz answering the verdict without details', async () => {
      const base = stack.url.replace('/graphql', '');
      assert.equal((await fetch(`${base}/healthz`)).status, 200);
      assert.deepEqual(await (await fetch(`${base}/readyz`)).json(), { ready: true });
      assert.deepEqual(await (await fetch(`${base}/readyz`, { headers: stack.auth('garbage') })).json(), { ready: true });
    });

    it('serves a browser the static landing page without a credential, but runs no GET query without one', async () => {
      const page = await fetch(stack.url, { headers: { accept: 'text/html' } });
      assert.equal(page.status, 200);
      assert.match(page.headers.get('content-type') ?? '', /text\/html/);
      const query = await fetch(`${stack.url}?query=${encodeURIComponent('{ whoami { id } }')}`, { headers: { accept: 'text/html', 'apollo-require-preflight': 'true' } });
      assert.equal(query.status, 401);
      const json = await fetch(`${stack.url}?query=${encodeURIComponent('{ whoami { id } }')}`, { headers: { accept: 'application/json', 'apollo-require-preflight': 'true' } });
      assert.equal(json.status, 401);
    });

    it('accepts the key in x-api-key as well', async () => {
      const result = await post(stack.url, '{ whoami { id } }', {}, { authorization: '', 'x-api-key': stack.adminKey });
      assert.equal(result.status, 200);
      assert.equal(result.body.data.whoami.id, `apikey:${stack.adminKeyName}`);
    });
  });

  describe('API keys', () => {
    it('whoami says who the key is, its role, its sandboxes and the sandbox of the request', async () => {
      const { whoami } = await stack.data('{ whoami { id kind role sandboxes sandbox expiresAt } }');
      assert.deepEqual(whoami, { id: `apikey:${stack.adminKeyName}`, kind: 'API_KEY', role: 'ADMIN', sandboxes: [], sandbox: 'prod', expiresAt: null });
    });

    it('createApiKey shows the key once; it works, apiKeys never shows it, and only its hash is stored', async () => {
      const expiresAt = new Date(Date.now() + 86_400_000).toISOString();
      const created = (
        await stack.data('mutation($input: CreateApiKeyInput!) { createApiKey(input: $input) { key apiKey { id name prefix role sandboxes expiresAt createdBy revokedAt } } }', {
          input: { name: 'frontend-team', role: 'VIEWER', sandboxes: ['prod'], expiresAt },
        })
      ).createApiKey;
      assert.match(created.key, /^fgk_[0-9a-f]{16}_[A-Za-z0-9_-]{43}$/);
      assert.equal(created.apiKey.prefix, created.key.slice(0, 20));
      assert.deepEqual(
        { ...created.apiKey, id: undefined, prefix: undefined },
        { id: undefined, prefix: undefined, name: 'frontend-team', role: 'VIEWER', sandboxes: ['prod'], expiresAt, createdBy: `apikey:${stack.adminKeyName}`, revokedAt: null },
      );
      assert.equal((await stack.data('{ whoami { id role } }', {}, stack.auth(created.key))).whoami.role, 'VIEWER');

      const listed = await stack.gql('{ apiKeys { id name prefix role sandboxes expiresAt createdAt createdBy lastUsedAt revokedAt } }');
      const text = JSON.stringify(listed);
      const secret = created.key.slice(21);
      assert.ok(listed.data.apiKeys.some((k: any) => k.name === 'frontend-team'));
      assert.ok(!text.includes(secret), 'the list does not contain the secret');
      const typeFields = (await stack.data('{ __type(name: "ApiKey") { fields { name } } }')).__type.fields.map((f: any) => f.name);
      assert.ok(!typeFields.some((f: string) => /secret|hash|key$/i.test(f)), `ApiKey exposes no secret: ${typeFields}`);

      const rows = await stack.sql<any>('SELECT * FROM api_keys WHERE name = $1', ['frontend-team']);
      assert.equal(rows.length, 1);
      assert.ok(!JSON.stringify(rows).includes(secret), 'the table does not hold the secret');
      assert.equal(rows[0].secret_hash, createHash('sha256').update(secret).digest('hex'));
      assert.ok(!stack.logLines.some((l) => l.includes(secret)), 'no log line holds the secret');
    });

    it('records use in lastUsedAt', async () => {
      const key = await stack.createKey('used-once', 'viewer');
      await stack.data('{ whoami { id } }', {}, stack.auth(key));
      const deadline = Date.now() + 3000;
      let row: any;
      do {
        [row] = await stack.sql<any>("SELECT last_used_at FROM api_keys WHERE name = 'used-once'");
      } while (!row.last_used_at && Date.now() < deadline && (await new Promise((r) => setTimeout(r, 50))) === undefined);
      assert.ok(row.last_used_at, 'last_used_at was set');
    });

    it('refuses a second active key of the same name, and allows it again once the first is revoked', async () => {
      const create = 'mutation { createApiKey(input: { name: "dup", role: OPERATOR }) { key } }';
      assert.equal((await stack.gql(create)).errors, undefined);
      const second = await stack.gql(create);
      assert.equal(second.errors?.[0]?.extensions?.code, 'BAD_USER_INPUT');
      assert.equal(second.errors?.[0].extensions?.field, 'input.name');
      const revoked = (await stack.data('mutation { revokeApiKey(name: "dup") { name revokedAt } }')).revokeApiKey;
      assert.ok(revoked.revokedAt);
      assert.equal((await stack.gql(create)).errors, undefined);
      const missing = await stack.gql('mutation { revokeApiKey(name: "never-existed") { name } }');
      assert.equal(missing.errors?.[0]?.extensions?.code, 'NOT_FOUND');
    });

    it('writes audit events naming the admin who created and revoked a key, without its secret', async () => {
      const created = (await stack.data('mutation { createApiKey(input: { name: "audited-key", role: AUDITOR }) { key apiKey { id } } }')).createApiKey;
      await stack.data('mutation($id: ID) { revokeApiKey(id: $id) { id } }', { id: created.apiKey.id });
      const events = (
        await stack.data('query($id: ID) { auditEvents(filter: { resourceId: $id }) { edges { node { actor action resourceType after } } } }', { id: created.apiKey.id })
      ).auditEvents.edges.map((e: any) => e.node);
      assert.deepEqual(
        events.map((e: any) => [e.actor, e.action, e.resourceType]),
        [
          [`apikey:${stack.adminKeyName}`, 'REVOKED', 'API_KEY'],
          [`apikey:${stack.adminKeyName}`, 'CREATED', 'API_KEY'],
        ],
      );
      assert.equal(events[1].after.name, 'audited-key');
      assert.ok(!JSON.stringify(events).includes(created.key.slice(21)));
    });
  });

  describe('JWT bearer tokens (HS256 shared secret)', () => {
    it('accepts a valid token: the caller is jwt:<sub> with the role and sandboxes of its claims', async () => {
      const token = await hs256({ sub: 'user-1', flowgate_role: 'operator', flowgate_sandboxes: ['prod', 'dev'] });
      const { whoami } = await stack.data('{ whoami { id kind role sandboxes } }', {}, stack.auth(token));
      assert.deepEqual(whoami, { id: 'jwt:user-1', kind: 'JWT', role: 'OPERATOR', sandboxes: ['prod', 'dev'] });
      const op = (await stack.data(CREATE, { input: { name: 'by a jwt', accessToken: KEY } }, stack.auth(token))).createConnection;
      assert.equal(op.requestedBy, 'jwt:user-1');
      await stack.waitForOperation(op.id);
    });

    const unsigned = () => {
      const enc = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url');
      const now = Math.floor(Date.now() / 1000);
      return `${enc({ alg: 'none', typ: 'JWT' })}.${enc({ sub: 'mallory', iss: ISSUER, aud: AUDIENCE, exp: now + 300, flowgate_role: 'admin' })}.`;
    };
    const refused: [string, () => Promise<string> | string, RegExp][] = [
      ['an expired token', () => hs256({ sub: 'u', flowgate_role: 'admin' }, { expiresIn: Math.floor(Date.now() / 1000) - 120 }), /expired/],
      ['a token of another issuer', () => hs256({ sub: 'u', flowgate_role: 'admin' }, { issuer: 'https://evil.example/' }), /iss/],
      ['a token for another audience', () => hs256({ sub: 'u', flowgate_role: 'admin' }, { audience: 'someone-else' }), /aud/],
      ['a token signed with another secret', () => hs256({ sub: 'u', flowgate_role: 'admin' }, { secret: 'another-secret-that-is-32-bytes-long!!' }), /signature/],
      ['an unsigned token (alg none)', unsigned, /algorithm|malformed|rejected/],
      ['a token without the role claim', () => hs256({ sub: 'u' }), /flowgate_role/],
      ['a token with an unknown role', () => hs256({ sub: 'u', flowgate_role: 'root' }), /flowgate_role/],
    ];
    for (const [label, token, reason] of refused) {
      it(`refuses ${label} with 401 UNAUTHENTICATED, and nothing written`, async () => {
        const rowsBefore = await writtenRows(stack);
        const result = await post(stack.url, CREATE, { input: { name: 'must not exist', accessToken: KEY } }, stack.auth(await token()));
        assert.equal(result.status, 401);
        assert.equal(result.body.errors[0].extensions.code, 'UNAUTHENTICATED');
        assert.match(result.body.errors[0].message, reason);
        assert.deepEqual(await writtenRows(stack), rowsBefore);
      });
    }
  });

  describe('roles', () => {
    const roles = ['viewer', 'operator', 'admin', 'auditor'] as const;
    /** An API key per role, made by `before`. */
    const keys = {} as Record<(typeof roles)[number], string>;
    before(async () => {
      for (const role of roles) keys[role] = await stack.createKey(`role-${role}`, role);
    });

    const matrix: [string, string, Record<string, unknown>, [string, ...string[]]][] = [
      ['query connections', '{ connections { totalCount } }', {}, ['viewer', 'operator', 'admin']],
      ['query auditEvents', '{ auditEvents(first: 1) { totalCount } }', {}, ['viewer', 'operator', 'admin', 'auditor']],
      ['query whoami', '{ whoami { role } }', {}, ['viewer', 'operator', 'admin', 'auditor']],
      ['query apiKeys', '{ apiKeys { name } }', {}, ['admin']],
      ['mutation createApiKey', 'mutation($n: String!) { createApiKey(input: { name: $n, role: VIEWER }) { apiKey { name } } }', { n: '' }, ['admin']],
      ['mutation createConnection', CREATE, { input: { name: 'role matrix', accessToken: KEY } }, ['operator', 'admin']],
    ];
    for (const [label, query, variables, allowed] of matrix) {
      for (const role of roles) {
        const ok = allowed.includes(role);
        it(`${label} as ${role}: ${ok ? 'allowed' : 'FORBIDDEN naming the roles allowed, nothing written'}`, async () => {
          const vars = 'n' in variables ? { n: `k-${role}-${randomBytes(3).toString('hex')}` } : variables;
          const rowsBefore = await writtenRows(stack);
          const result = await post(stack.url, query, vars, stack.auth(keys[role]));
          if (ok) {
            assert.equal(result.status, 200);
            assert.equal(result.body.errors, undefined, JSON.stringify(result.body.errors));
            if (result.body.data.createConnection) await stack.waitForOperation(result.body.data.createConnection.id);
          } else {
            assert.equal(result.status, 403);
            assert.equal(result.body.errors[0].extensions.code, 'FORBIDDEN');
            assert.deepEqual(result.body.errors[0].extensions.requiredRoles, allowed);
            assert.match(result.body.errors[0].message, new RegExp(allowed[0]));
            assert.equal(result.body.data, undefined);
            assert.deepEqual(await writtenRows(stack), rowsBefore);
          }
        });
      }
    }

    it('hides no field from the check behind a fragment: a viewer cannot mutate through a spread', async () => {
      const result = await post(
        stack.url,
        'mutation { ...M } fragment M on Mutation { createConnection(input: { name: "via fragment", accessToken: "sk_test_51ViaFragment0001" }) { id } }',
        {},
        stack.auth(keys.viewer),
      );
      assert.equal(result.status, 403);
      assert.equal(result.body.errors[0].extensions.code, 'FORBIDDEN');
    });

    it('deleteConnection(cascade: true) is for admins; operators may delete without cascade', async () => {
      const make = async (name: string) => {
        const op = (await stack.data(CREATE, { input: { name, accessToken: KEY } })).createConnection;
        await stack.waitForOperation(op.id);
        return op.resourceId as string;
      };
      const [first, second] = [await make('delete me'), await make('cascade me')];
      const del = 'mutation($id: ID!, $cascade: Boolean!) { deleteConnection(id: $id, cascade: $cascade) { id } }';
      const literal = await post(stack.url, `mutation { deleteConnection(id: "${first}", cascade: true) { id } }`, {}, stack.auth(keys.operator));
      assert.equal(literal.status, 403);
      assert.deepEqual(literal.body.errors[0].extensions.requiredRoles, ['admin']);
      assert.match(literal.body.errors[0].message, /cascade: true.*admin/);
      const viaVariable = await post(stack.url, del, { id: first, cascade: true }, stack.auth(keys.operator));
      assert.equal(viaVariable.status, 403, 'a variable cannot smuggle it past the check');
      const plain = await stack.data(del, { id: first, cascade: false }, stack.auth(keys.operator));
      assert.equal((await stack.waitForOperation(plain.deleteConnection.id)).status, 'SUCCEEDED');
      const cascaded = await stack.data(del, { id: second, cascade: true }, stack.auth(keys.admin));
      assert.equal((await stack.waitForOperation(cascaded.deleteConnection.id)).status, 'SUCCEEDED');
    });

    it('subscriptions: a viewer may subscribe, an auditor gets FORBIDDEN', async () => {
      const watch = 'subscription($id: ID!) { resourceChanged(type: CONNECTION, id: $id) { resourceId } }';
      const viewer = stack.wsClient({ authorization: `Bearer ${keys.viewer}` });
      const first = await stack.collect(watch, { id: connectionId }, () => true, 10_000, viewer);
      assert.equal(first[0].resourceChanged.resourceId, connectionId);
      const auditor = stack.wsClient({ authorization: `Bearer ${keys.auditor}` });
      const errors = await subscriptionError(auditor, watch, { id: connectionId });
      assert.equal(errors[0].extensions.code, 'FORBIDDEN');
      assert.deepEqual(errors[0].extensions.requiredRoles, ['viewer', 'operator', 'admin']);
    });
  });

  describe('sandbox scope', () => {
    let devKey: string;
    let devConnection: string;
    before(async () => {
      devKey = await stack.createKey('dev-operator', 'operator', { sandboxes: ['dev'] });
      const op = (await stack.data(CREATE, { input: { name: 'in dev', accessToken: KEY } }, { 'x-sandbox-name': 'dev' })).createConnection;
      assert.equal((await stack.waitForOperation(op.id, 30_000, { 'x-sandbox-name': 'dev' })).status, 'SUCCEEDED');
      devConnection = op.resourceId;
    });

    it('an admin picks the sandbox with x-sandbox-name; the resource lives, and is listed, only there', async () => {
      const inDev = (await stack.data('query($id: ID!) { connection(id: $id) { sandbox state } }', { id: devConnection }, { 'x-sandbox-name': 'dev' })).connection;
      assert.deepEqual(inDev, { sandbox: 'dev', state: 'ENABLED' });
      assert.equal((await stack.data('query($id: ID!) { connection(id: $id) { id } }', { id: devConnection })).connection, null);
      const prodNames = (await stack.data('{ connections(first: 100) { edges { node { id } } } }')).connections.edges.map((e: any) => e.node.id);
      assert.ok(!prodNames.includes(devConnection));
      // Its Platform calls went to the dev sandbox too: the emulator holds exactly it there.
      const partitions = (await stack.control('GET', '/resources')).partitions as { sandboxName: string; connections: number }[];
      assert.equal(partitions.find((p) => p.sandboxName === 'dev')?.connections, 1);
    });

    it('a key bound to dev acts in dev by default and does not see prod resources (null / NOT_FOUND, not FORBIDDEN)', async () => {
      const auth = stack.auth(devKey);
      assert.equal((await stack.data('{ whoami { sandbox } }', {}, auth)).whoami.sandbox, 'dev');
      assert.equal((await stack.data('query($id: ID!) { connection(id: $id) { id } }', { id: connectionId }, auth)).connection, null);
      assert.equal((await stack.data('query($id: ID!) { connection(id: $id) { id } }', { id: devConnection }, auth)).connection.id, devConnection);
      const listed = (await stack.data('{ connections(first: 100) { edges { node { id } } } }', {}, auth)).connections.edges.map((e: any) => e.node.id);
      assert.ok(listed.includes(devConnection) && !listed.includes(connectionId));
      const rowsBefore = await writtenRows(stack);
      const update = await stack.gql('mutation($id: ID!) { updateConnection(id: $id, input: { name: "taken over" }) { id } }', { id: connectionId }, auth);
      assert.equal(update.errors?.[0]?.extensions?.code, 'NOT_FOUND');
      assert.deepEqual(await writtenRows(stack), rowsBefore);
      const watched = await subscriptionError(stack.wsClient({ authorization: `Bearer ${devKey}` }), 'subscription($id: ID!) { resourceChanged(type: CONNECTION, id: $id) { resourceId } }', {
        id: connectionId,
      });
      assert.equal(watched[0].extensions.code, 'NOT_FOUND');
    });

    it('a key bound to dev cannot choose prod: FORBIDDEN naming the sandbox, over HTTP and WebSocket', async () => {
      const result = await post(stack.url, '{ connections { totalCount } }', {}, { ...stack.auth(devKey), 'x-sandbox-name': 'prod' });
      assert.equal(result.status, 403);
      assert.equal(result.body.errors[0].extensions.code, 'FORBIDDEN');
      assert.equal(result.body.errors[0].extensions.sandbox, 'prod');
      assert.match(result.body.errors[0].message, /prod/);
      const client = stack.wsClient({ authorization: `Bearer ${devKey}`, sandbox: 'prod' });
      const closed = closeCode(client);
      await subscriptionError(client, '{ whoami { id } }');
      assert.equal(await closed, 4403);
    });
  });

  describe('WebSocket', () => {
    it('closes a connection without a credential, or with an unknown one, with 4401 Unauthorized (final for graphql-ws clients)', async () => {
      for (const params of [{ authorization: '' }, { authorization: 'Bearer garbage' }, { apiKey: `fgk_${'0'.repeat(16)}_${'A'.repeat(43)}`, authorization: '' }]) {
        const client = stack.wsClient(params);
        const closed = closeCode(client);
        await subscriptionError(client, '{ whoami { id } }');
        assert.equal(await closed, 4401, JSON.stringify(params));
      }
    });

    it('accepts the key as { apiKey } in connection_init, and subscriptions work', async () => {
      const client = stack.wsClient({ authorization: '', apiKey: stack.adminKey });
      const [message] = await stack.collect('{ whoami { id } }', {}, () => true, 5000, client);
      assert.equal(message.whoami.id, `apikey:${stack.adminKeyName}`);
    });

    it('closes a socket with 4401 once its key expires (periodic re-check)', async () => {
      const key = await stack.createKey('short-lived', 'viewer', { expiresAt: new Date(Date.now() + 1500) });
      const client = stack.wsClient({ authorization: `Bearer ${key}` });
      const closed = closeCode(client);
      const started = Date.now();
      void subscriptionError(client, 'subscription($id: ID!) { resourceChanged(type: CONNECTION, id: $id) { resourceId } }', { id: connectionId });
      assert.equal(await closed, 4401);
      const elapsed = Date.now() - started;
      assert.ok(elapsed >= 1000 && elapsed < 4000, `closed after ${elapsed} ms`);
    });

    it('closes a socket held by another gateway process within a second or two of its key being revoked', async () => {
      const gatewayB = await spawnFlowgate('gateway', stack);
      try {
        const key = await stack.createKey('revoked-while-open', 'viewer');
        const client = createClient({ url: gatewayB.url!.replace(/^http/, 'ws'), webSocketImpl: WebSocket, retryAttempts: 0, lazy: false, connectionParams: { authorization: `Bearer ${key}` } });
        await new Promise<void>((resolve) => client.on('connected', () => resolve()));
        const closed = closeCode(client);
        const watching = stack
          .collect('subscription($id: ID!) { resourceChanged(type: CONNECTION, id: $id) { resourceId } }', { id: connectionId }, () => false, 10_000, client)
          .catch(() => undefined);
        await new Promise((r) => setTimeout(r, 200));
        const started = Date.now();
        await stack.data('mutation { revokeApiKey(name: "revoked-while-open") { id } }');
        assert.equal(await closed, 4401);
        const elapsed = Date.now() - started;
        assert.ok(elapsed < 2000, `closed after ${elapsed} ms`);
        await watching;
        await client.dispose();
      } finally {
        assert.equal(await gatewayB.stop(), 0);
      }
    });
  });
});

describe("JWT bearer tokens when the identity provider's key set cannot be fetched", () => {
  let idp: Server;
  let stack: TestStack;
  before(async () => {
    // The identity provider is down: every connection to its JWKS URL is dropped.
    idp = createServer((req) => req.socket.destroy());
    await new Promise<void>((resolve) => idp.listen(0, '127.0.0.1', resolve));
    stack = await TestStack.start({
      roles: { gateway: true, worker: false },
      env: { AUTH_JWKS_URL: `http://127.0.0.1:${(idp.address() as AddressInfo).port}/.well-known/jwks.json`, AUTH_JWT_ISSUER: ISSUER, AUTH_JWT_AUDIENCE: AUDIENCE },
    });
  });
  after(async () => {
    await stack.stop();
    idp.close();
  });

  it('answers 503 UNAVAILABLE (try again), not 401, writes nothing, and API keys keep working', async () => {
    const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const token = await new SignJWT({ flowgate_role: 'operator' })
      .setProtectedHeader({ alg: 'ES256', kid: 'k' })
      .setSubject('u')
      .setIssuer(ISSUER)
      .setAudience(AUDIENCE)
      .setExpirationTime('5m')
      .sign(privateKey);
    const before = await writtenRows(stack);
    const result = await post(stack.url, CREATE, { input: { name: 'idp down', accessToken: KEY } }, stack.auth(token));
    assert.equal(result.status, 503);
    assert.equal(result.body.errors[0].extensions.code, 'UNAVAILABLE');
    assert.deepEqual(await writtenRows(stack), before);
    assert.ok(
      stack.logLines.some((line) => /JWKS could not be fetched/.test(line)),
      'the cause is logged',
    );
    assert.equal((await stack.data('{ whoami { id } }')).whoami.id, `apikey:${stack.adminKeyName}`);
  });

  it('tells the client when to try again (Retry-After, retryable) and closes a WebSocket with 1013 Try Again Later, not 4401 Unauthorized', async () => {
    const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const token = await new SignJWT({ flowgate_role: 'operator' })
      .setProtectedHeader({ alg: 'ES256', kid: 'k' })
      .setSubject('u')
      .setIssuer(ISSUER)
      .setAudience(AUDIENCE)
      .setExpirationTime('5m')
      .sign(privateKey);
    const response = await fetch(stack.url, { method: 'POST', headers: { 'content-type': 'application/json', ...stack.auth(token) }, body: JSON.stringify({ query: '{ whoami { id } }' }) });
    assert.equal(response.status, 503);
    assert.match(response.headers.get('retry-after') ?? '', /^\d+$/);
    const { errors } = await response.json();
    assert.equal(errors[0].extensions.code, 'UNAVAILABLE');
    assert.equal(errors[0].extensions.retryable, true);
    assert.equal(errors[0].extensions.requestId, response.headers.get('x-request-id'));
    const client = stack.wsClient({ authorization: `Bearer ${token}` });
    const closed = closeCode(client);
    await subscriptionError(client, '{ whoami { id } }');
    assert.equal(await closed, 1013);
  });
});

describe('JWT bearer tokens verified against a JWKS', () => {
  let jwks: Server;
  let stack: TestStack;
  const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const stranger = generateKeyPairSync('ec', { namedCurve: 'P-256' });

  before(async () => {
    const keys: JWK[] = [
      { ...(await exportJWK(rsa.publicKey)), kid: 'rsa-1', alg: 'RS256', use: 'sig' },
      { ...(await exportJWK(ec.publicKey)), kid: 'ec-1', alg: 'ES256', use: 'sig' },
    ];
    jwks = createServer((_req, res) => {
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ keys }));
    });
    await new Promise<void>((resolve) => jwks.listen(0, '127.0.0.1', resolve));
    stack = await TestStack.start({
      roles: { gateway: true, worker: false },
      env: { AUTH_JWKS_URL: `http://127.0.0.1:${(jwks.address() as AddressInfo).port}/.well-known/jwks.json`, AUTH_JWT_ISSUER: ISSUER, AUTH_JWT_AUDIENCE: AUDIENCE },
    });
  });
  after(async () => {
    await stack.stop();
    jwks.close();
  });

  const sign = (alg: 'RS256' | 'ES256', kid: string, key: Parameters<SignJWT['sign']>[0], claims: Record<string, unknown> = { flowgate_role: 'auditor' }) =>
    new SignJWT(claims).setProtectedHeader({ alg, kid }).setSubject('auditor-7').setIssuer(ISSUER).setAudience(AUDIENCE).setExpirationTime('5m').sign(key);

  for (const [alg, kid, key] of [
    ['RS256', 'rsa-1', rsa.privateKey],
    ['ES256', 'ec-1', ec.privateKey],
  ] as const) {
    it(`accepts a ${alg} token signed by a key of the set`, async () => {
      const token = await sign(alg, kid, key);
      const { whoami } = await stack.data('{ whoami { id kind role } }', {}, stack.auth(token));
      assert.deepEqual(whoami, { id: 'jwt:auditor-7', kind: 'JWT', role: 'AUDITOR' });
      const forbidden = await post(stack.url, '{ connections { totalCount } }', {}, stack.auth(token));
      assert.equal(forbidden.status, 403);
    });
  }

  it('refuses a token signed by a key outside the set, and an HS256 token (no shared secret configured)', async () => {
    for (const token of [await sign('ES256', 'ec-1', stranger.privateKey), await hs256({ sub: 'x', flowgate_role: 'admin' })]) {
      const result = await post(stack.url, '{ whoami { id } }', {}, stack.auth(token));
      assert.equal(result.status, 401);
      assert.equal(result.body.errors[0].extensions.code, 'UNAUTHENTICATED');
    }
  });

  it('re-checks the caller on every new operation of an open socket (here the periodic re-check is a minute away)', async () => {
    // This stack runs no worker: the operation stays QUEUED and its subscription keeps the socket open.
    const queued = (await stack.data(CREATE, { input: { name: 'held open', accessToken: KEY } })).createConnection;
    const key = await stack.createKey('expires-soon', 'viewer', { expiresAt: new Date(Date.now() + 1500) });
    const client = stack.wsClient({ authorization: `Bearer ${key}` });
    let closedAt = 0;
    const closed = closeCode(client).then((code) => ((closedAt = Date.now()), code));
    let established!: () => void;
    const firstMessage = new Promise<void>((resolve) => (established = resolve));
    const held = stack.collect('subscription($id: ID!) { operationUpdated(id: $id) { status } }', { id: queued.id }, () => (established(), false), 10_000, client).catch(() => undefined);
    await firstMessage;
    await new Promise((r) => setTimeout(r, 1700));
    assert.equal(closedAt, 0, 'the socket is still open once the key has expired');
    const asked = Date.now();
    const answer = await Promise.race([subscriptionError(client, '{ whoami { id } }'), new Promise((r) => setTimeout(() => r('no answer'), 3000))]);
    assert.notEqual(answer, null, 'the operation did not run');
    assert.equal(await Promise.race([closed, new Promise((r) => setTimeout(() => r('still open'), 3000))]), 4401);
    assert.ok(closedAt - asked < 1000, 'closed by the new operation, not by a later periodic check');
    await held;
  });

  it('still accepts API keys', async () => {
    assert.equal((await stack.data('{ whoami { kind } }')).whoami.kind, 'API_KEY');
  });
});
