import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { spawnFlowgate, type ChildFlowgate } from './support/child-process.js';
import { TestStack } from './support/stack.js';

/** The credential every request sends unless it names its own (the stack's admin key, set in `before`). */
let defaultCredential: Record<string, string> = {};

/** A POST to the gateway; returns status, headers and the parsed body. */
async function post(url: string, body: unknown, headers: Record<string, string> = {}): Promise<{ status: number; headers: Headers; body: any }> {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...defaultCredential, ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  const text = await response.text();
  return { status: response.status, headers: response.headers, body: text ? JSON.parse(text) : undefined };
}

/** `{ __type(name: "Query") { ofType { … { name } } } }` nested to the given depth. */
function queryOfDepth(depth: number): string {
  const ofTypes = depth - 2;
  return `{ __type(name: "Query") { ${'ofType { '.repeat(ofTypes)}name${' }'.repeat(ofTypes)} } }`;
}

/** A query costing 100 × (3 + 2 × runs): dataflows(first: 100) each with runs(first: $runs). */
const COSTLY = 'query($runs: Int) { dataflows(first: 100) { edges { node { runs(first: $runs) { totalCount } } } } }';

const EXPLORE_UNKNOWN = '{ explore(connectionId: "00000000-0000-4000-8000-000000000000", resource: CHARGES) { connectionId } }';
const BAD_CREATE = 'mutation { createConnection(input: { name: "", accessToken: "sk_test_x" }) { id } }';

/** A caller of its own (an operator key named `name`): rate limits count per caller. */
let callerHeaders: (name: string) => Promise<Record<string, string>> = async () => ({});

function firstError(body: any): { message: string; extensions: Record<string, any> } {
  const errors = Array.isArray(body) ? body[0]?.errors : body?.errors;
  assert.ok(errors?.length, `expected errors, got ${JSON.stringify(body)}`);
  return errors[0];
}

describe('GraphQL hardening', () => {
  let stack: TestStack;

  before(async () => {
    stack = await TestStack.start({ roles: { gateway: true, worker: false }, env: { RATE_LIMIT_MUTATIONS_PER_MINUTE: '5', RATE_LIMIT_EXPLORE_PER_MINUTE: '3' } });
    defaultCredential = stack.auth(stack.adminKey);
    callerHeaders = async (name) => stack.auth(await stack.createKey(name, 'operator'));
  });
  after(() => stack.stop());

  describe('query limits', () => {
    it('runs a query 12 deep and refuses one 13 deep, naming GRAPHQL_MAX_DEPTH and the depth', async () => {
      const ok = await post(stack.url, { query: queryOfDepth(12) });
      assert.equal(ok.status, 200, JSON.stringify(ok.body));
      assert.equal(ok.body.errors, undefined);
      const refused = await post(stack.url, { query: queryOfDepth(13) });
      assert.equal(refused.status, 400);
      const error = firstError(refused.body);
      assert.equal(error.extensions.code, 'QUERY_TOO_COMPLEX');
      assert.deepEqual([error.extensions.limit, error.extensions.max, error.extensions.actual], ['GRAPHQL_MAX_DEPTH', 12, 13]);
      assert.match(error.message, /depth is 13, over the limit of 12 \(GRAPHQL_MAX_DEPTH\)/);
    });

    it('runs 15 aliases and refuses 16, naming GRAPHQL_MAX_ALIASES', async () => {
      const aliases = (n: number) => `{ ${Array.from({ length: n }, (_, i) => `a${i}: __typename`).join(' ')} }`;
      const ok = await post(stack.url, { query: aliases(15) });
      assert.equal(ok.body.errors, undefined, JSON.stringify(ok.body));
      const error = firstError((await post(stack.url, { query: aliases(16) })).body);
      assert.equal(error.extensions.code, 'QUERY_TOO_COMPLEX');
      assert.deepEqual([error.extensions.limit, error.extensions.max, error.extensions.actual], ['GRAPHQL_MAX_ALIASES', 15, 16]);
    });

    it('multiplies list cost by first: 4,900 runs, 5,100 is refused naming GRAPHQL_MAX_COST and the cost', async () => {
      const ok = await post(stack.url, { query: COSTLY, variables: { runs: 23 } });
      assert.equal(ok.body.errors, undefined, JSON.stringify(ok.body));
      const refused = await post(stack.url, { query: COSTLY, variables: { runs: 24 } });
      assert.equal(refused.status, 400);
      const error = firstError(refused.body);
      assert.equal(error.extensions.code, 'QUERY_TOO_COMPLEX');
      assert.deepEqual([error.extensions.limit, error.extensions.max, error.extensions.actual], ['GRAPHQL_MAX_COST', 5000, 5100]);
    });

    it('estimates a document again when a variable its cost depends on changes (@include), after answering it cheaply', async () => {
      const query = 'query($all: Boolean!, $after: String) { dataflows(first: 100, after: $after) { edges { node { name @include(if: $all) runs(first: 49) @include(if: $all) { totalCount } } } } }';
      // Cheap (100 × 3) with two values of a variable the cost does not depend on.
      for (const variables of [{ all: false }, { all: false, after: null }]) {
        const cheap = await post(stack.url, { query, variables });
        assert.equal(cheap.body.errors, undefined, JSON.stringify(cheap.body));
      }
      // 100 × (3 + 1 + 49 × 2) = 10,200 once the fields are included.
      const refused = await post(stack.url, { query, variables: { all: true } });
      assert.equal(refused.status, 400);
      assert.deepEqual([firstError(refused.body).extensions.limit, firstError(refused.body).extensions.actual], ['GRAPHQL_MAX_COST', 10_200]);
    });

    it('refuses a negative, a too large and a non-32-bit first with BAD_USER_INPUT naming first', async () => {
      const query = 'query($first: Int) { dataflows(first: $first) { totalCount } }';
      for (const first of [-1, 0, 101, 1_000_000, 2 ** 40]) {
        const response = await post(stack.url, { query, variables: { first } });
        assert.ok(response.status < 500);
        const error = firstError(response.body);
        assert.equal(error.extensions.code, 'BAD_USER_INPUT', `first=${first}: ${JSON.stringify(error)}`);
        assert.equal(error.extensions.field, 'first', `first=${first}`);
      }
    });

    it('parses 3,000 tokens and refuses 3,001, naming GRAPHQL_MAX_TOKENS', async () => {
      // 1 + 2 × 1,495 spreads + 2 braces + 7 for the fragment = 3,000 tokens (plus the extra fields).
      const fields = (extra: number) => `{ __typename ${'__typename '.repeat(extra)}${'...F '.repeat(1495)}} fragment F on Query { __typename }`;
      const ok = await post(stack.url, { query: fields(0) });
      assert.equal(ok.body.errors, undefined, JSON.stringify(ok.body).slice(0, 300));
      const refused = await post(stack.url, { query: fields(1) });
      assert.equal(refused.status, 400);
      const error = firstError(refused.body);
      assert.equal(error.extensions.code, 'QUERY_TOO_COMPLEX');
      assert.deepEqual([error.extensions.limit, error.extensions.max], ['GRAPHQL_MAX_TOKENS', 3000]);
    });

    it('answers a body just under GRAPHQL_MAX_REQUEST_BYTES and refuses a larger one with 413 and a GraphQL error', async () => {
      const padded = (bytes: number) => {
        const base = JSON.stringify({ query: '{ __typename }\n#' });
        return JSON.stringify({ query: `{ __typename }\n#${'x'.repeat(bytes - base.length)}` });
      };
      const under = padded(999_000);
      assert.equal(Buffer.byteLength(under), 999_000);
      const ok = await post(stack.url, under);
      assert.equal(ok.status, 200);
      assert.deepEqual(ok.body.data, { __typename: 'Query' });
      const over = await post(stack.url, padded(1_000_001));
      assert.equal(over.status, 413);
      assert.match(over.headers.get('content-type') ?? '', /application\/json/);
      const error = firstError(over.body);
      assert.equal(error.extensions.code, 'PAYLOAD_TOO_LARGE');
      assert.deepEqual([error.extensions.limit, error.extensions.max], ['GRAPHQL_MAX_REQUEST_BYTES', 1_000_000]);
    });

    it('answers a batch of 10 operations and refuses 11, naming GRAPHQL_MAX_BATCH', async () => {
      const batch = (n: number) => Array.from({ length: n }, (_, i) => ({ query: `query Q${i} { __typename }` }));
      const ok = await post(stack.url, batch(10));
      assert.equal(ok.status, 200);
      assert.equal(ok.body.length, 10);
      assert.ok(ok.body.every((r: any) => r.data.__typename === 'Query'));
      const refused = await post(stack.url, batch(11));
      assert.equal(refused.status, 400);
      const error = firstError(refused.body);
      assert.equal(error.extensions.code, 'QUERY_TOO_COMPLEX');
      assert.deepEqual([error.extensions.limit, error.extensions.max, error.extensions.actual], ['GRAPHQL_MAX_BATCH', 10, 11]);
    });

    it('applies the same limits to operations sent over WebSocket, answering with an error message', async () => {
      const client = stack.wsClient();
      const errors = await new Promise<any>((resolve, reject) => {
        client.subscribe(
          { query: queryOfDepth(13) },
          { next: (v) => reject(new Error(`unexpected ${JSON.stringify(v)}`)), error: resolve, complete: () => reject(new Error('completed without error')) },
        );
      });
      assert.ok(Array.isArray(errors), JSON.stringify(errors));
      assert.equal(errors[0].extensions.code, 'QUERY_TOO_COMPLEX');
      assert.equal(errors[0].extensions.limit, 'GRAPHQL_MAX_DEPTH');
      const costly = await new Promise<any>((resolve, reject) => {
        client.subscribe(
          { query: COSTLY, variables: { runs: 24 } },
          { next: () => reject(new Error('unexpected data')), error: resolve, complete: () => reject(new Error('completed without error')) },
        );
      });
      assert.equal(costly[0].extensions.limit, 'GRAPHQL_MAX_COST');
      // The socket still serves.
      const ok = await new Promise<any>((resolve, reject) => client.subscribe({ query: '{ __typename }' }, { next: resolve, error: reject, complete: () => undefined }));
      assert.deepEqual(ok.data, { __typename: 'Query' });
    });
  });

  describe('persisted queries', () => {
    it('answers an automatic persisted query by hash once the query was registered', async () => {
      const query = '{ __typename }';
      const { createHash } = await import('node:crypto');
      const sha256Hash = createHash('sha256').update(query).digest('hex');
      const extensions = { persistedQuery: { version: 1, sha256Hash } };
      const missing = await post(stack.url, { extensions });
      assert.equal(firstError(missing.body).extensions.code, 'PERSISTED_QUERY_NOT_FOUND');
      const registered = await post(stack.url, { query, extensions });
      assert.deepEqual(registered.body.data, { __typename: 'Query' });
      const byHash = await post(stack.url, { extensions });
      assert.deepEqual(byHash.body.data, { __typename: 'Query' });
    });
  });

  describe('introspection and suggestions', () => {
    it('are on outside production: __schema answers and errors suggest field names', async () => {
      const schema = await post(stack.url, { query: '{ __schema { queryType { name } } }' });
      assert.deepEqual(schema.body.data, { __schema: { queryType: { name: 'Query' } } });
      const typo = firstError((await post(stack.url, { query: '{ dataflowz { totalCount } }' })).body);
      assert.match(typo.message, /Did you mean "dataflow/);
    });

    it('let the standard introspection query of tools (GraphiQL, codegen) through every limit', async () => {
      const { getIntrospectionQuery } = await import('graphql');
      const response = await post(stack.url, { query: getIntrospectionQuery({ descriptions: true, inputValueDeprecation: true }) });
      assert.equal(response.status, 200);
      assert.equal(response.body.errors, undefined, JSON.stringify(response.body.errors));
      assert.ok(response.body.data.__schema.types.length > 50);
    });

    it("serve Apollo's landing page to a browser, with the page's own nonce-based CSP instead of the API's", async () => {
      const page = await fetch(stack.url, { headers: { accept: 'text/html' } });
      assert.equal(page.status, 200);
      assert.match(await page.text(), /<meta http-equiv="Content-Security-Policy"/);
      assert.equal(page.headers.get('content-security-policy'), null);
      assert.equal(page.headers.get('x-content-type-options'), 'nosniff');
    });

    it('are off with GRAPHQL_INTROSPECTION=false, over HTTP and WebSocket, and no suggestion reveals the schema', async () => {
      const closed = await TestStack.start({ roles: { gateway: true, worker: false }, sharedEmulator: stack.emulator, env: { GRAPHQL_INTROSPECTION: 'false' } });
      try {
        const schema = await post(closed.url, { query: '{ __schema { queryType { name } } }' }, closed.auth(closed.adminKey));
        assert.equal(schema.status, 400);
        assert.equal(firstError(schema.body).extensions.code, 'GRAPHQL_VALIDATION_FAILED');
        assert.match(firstError(schema.body).message, /introspection/i);
        const typo = firstError((await post(closed.url, { query: '{ dataflowz { totalCount } }' }, closed.auth(closed.adminKey))).body);
        assert.equal(typo.extensions.code, 'GRAPHQL_VALIDATION_FAILED');
        assert.match(typo.message, /Cannot query field "dataflowz"/);
        assert.doesNotMatch(typo.message, /Did you mean/);
        const enumTypo = firstError((await post(closed.url, { query: '{ dataflows(filter: { resource: CHARGE }) { totalCount } }' }, closed.auth(closed.adminKey))).body);
        assert.doesNotMatch(enumTypo.message, /Did you mean|CHARGES/);
        const overWs = await new Promise<any>((resolve, reject) => {
          closed
            .wsClient()
            .subscribe({ query: '{ __schema { types { name } } }' }, { next: () => reject(new Error('unexpected data')), error: resolve, complete: () => reject(new Error('completed')) });
        });
        assert.equal(overWs[0].extensions.code, 'GRAPHQL_VALIDATION_FAILED');
      } finally {
        await closed.stop();
      }
    });
  });

  describe('CSRF prevention', () => {
    it('serves a GET query carrying a credential header (a browser must preflight it), refuses GET mutations and text/plain or form POSTs', async () => {
      const search = `?query=${encodeURIComponent('{ __typename }')}`;
      const credentialedGet = await fetch(stack.url + search, { headers: defaultCredential });
      assert.equal(credentialedGet.status, 200);
      assert.deepEqual((await credentialedGet.json()).data, { __typename: 'Query' });
      const getMutation = await fetch(`${stack.url}?query=${encodeURIComponent('mutation { revokeApiKey(name: "x") { id } }')}`, { headers: defaultCredential });
      assert.equal(getMutation.status, 405);
      const textPlain = await fetch(stack.url, { method: 'POST', headers: { 'content-type': 'text/plain', ...defaultCredential }, body: JSON.stringify({ query: '{ __typename }' }) });
      assert.equal(textPlain.status, 400);
      assert.equal((await textPlain.json()).errors[0].extensions.code, 'BAD_REQUEST');
      const form = await fetch(stack.url, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', ...defaultCredential }, body: 'query=%7B__typename%7D' });
      assert.equal(form.status, 400);
      const preflighted = await fetch(stack.url + search, { headers: { 'apollo-require-preflight': 'true', ...defaultCredential } });
      assert.equal(preflighted.status, 200);
      assert.deepEqual((await preflighted.json()).data, { __typename: 'Query' });
    });
  });

  describe('error masking', () => {
    it('shows an unexpected failure as INTERNAL_SERVER_ERROR with the request id, never SQL or a stack; the log has both', async () => {
      const requestId = `masking-${randomUUID()}`;
      const query = '{ connections { totalCount edges { node { id } } } }';
      await stack.sql('ALTER TABLE resources RENAME TO resources_hidden');
      let response: Awaited<ReturnType<typeof post>>;
      let overWs: any;
      try {
        response = await post(stack.url, { query }, { 'x-request-id': requestId });
        overWs = await new Promise<any>((resolve, reject) => stack.wsClient().subscribe({ query }, { next: resolve, error: reject, complete: () => undefined }));
      } finally {
        await stack.sql('ALTER TABLE resources_hidden RENAME TO resources');
      }
      assert.ok(response.status < 500 || response.status === 500);
      const error = firstError(response.body);
      assert.equal(error.extensions.code, 'INTERNAL_SERVER_ERROR');
      assert.equal(error.message, 'Internal server error');
      assert.equal(error.extensions.requestId, requestId);
      assert.equal(response.headers.get('x-request-id'), requestId);
      const text = JSON.stringify(response.body);
      for (const leak of [/resources/i, /relation/i, /select/i, /stack/i, /at .*\.js/, /prisma/i, /postgres/i]) assert.doesNotMatch(text, leak);
      const logged = stack.logLines.filter((l) => l.includes(requestId));
      assert.ok(
        logged.some((l) => /unexpected error/.test(l)),
        'the log line carries the request id',
      );
      const wsError = overWs.errors[0];
      assert.equal(wsError.extensions.code, 'INTERNAL_SERVER_ERROR');
      assert.equal(wsError.message, 'Internal server error');
      assert.ok(wsError.extensions.requestId, 'a WebSocket operation has a request id too');
      assert.ok(stack.logLines.some((l) => l.includes(wsError.extensions.requestId) && /unexpected error/.test(l)));
      assert.doesNotMatch(JSON.stringify(overWs), /relation|resources|select/i);
      // Afterwards it serves again.
      assert.equal((await stack.data('{ connections { totalCount } }')).connections.totalCount, 0);
    });

    it('never echoes a submitted value in a variable coercion error, but names the field', async () => {
      const secret = `sk_live_${randomUUID()}`;
      const cases: [string, Record<string, unknown>][] = [
        ['mutation($i: CreateConnectionInput!) { createConnection(input: $i) { id } }', { i: { name: secret, accessToken: 42 } }],
        ['mutation($i: CreateConnectionInput!) { createConnection(input: $i) { id } }', { i: { name: 'n', accessToken: [secret] } }],
        ['mutation($i: CreateConnectionInput!) { createConnection(input: $i) { id } }', { i: { name: 'n', accessToken: 'x', [secret]: 1 } }],
        ['query($r: StripeResource!) { explore(connectionId: "00000000-0000-4000-8000-000000000000", resource: $r) { connectionId } }', { r: secret }],
        ['query($first: Int) { dataflows(first: $first) { totalCount } }', { first: secret }],
        ['query($d: DateTime) { auditEvents(filter: { since: $d }) { totalCount } }', { d: secret }],
      ];
      for (const [query, variables] of cases) {
        const response = await post(stack.url, { query, variables }, await callerHeaders(`coercion-${randomUUID().slice(0, 8)}`));
        assert.ok(response.status < 500);
        const error = firstError(response.body);
        assert.equal(error.extensions.code, 'BAD_USER_INPUT', JSON.stringify(error));
        assert.ok(error.extensions.field, `names the field: ${JSON.stringify(error)}`);
        assert.ok(!JSON.stringify(response.body).includes(secret.slice(8)), `no echo: ${JSON.stringify(response.body)}`);
      }
      const wrongToken = firstError((await post(stack.url, { query: cases[0]![0], variables: { i: { name: 'n', accessToken: 42 } } })).body);
      assert.equal(wrongToken.extensions.field, 'i.accessToken');
      assert.doesNotMatch(wrongToken.message, /42/);
    });
  });

  describe('rate limits', () => {
    it('refuses the 6th mutation of a caller in a minute with 429, RATE_LIMITED and Retry-After; other callers go on', async () => {
      const actor = await callerHeaders(`busy-${randomUUID().slice(0, 8)}`);
      for (let i = 0; i < 5; i++) {
        const response = await post(stack.url, { query: BAD_CREATE }, actor);
        assert.equal(firstError(response.body).extensions.code, 'BAD_USER_INPUT', `mutation ${i + 1} runs`);
      }
      const refused = await post(stack.url, { query: BAD_CREATE }, actor);
      assert.equal(refused.status, 429);
      const error = firstError(refused.body);
      assert.equal(error.extensions.code, 'RATE_LIMITED');
      assert.equal(error.extensions.limit, 'RATE_LIMIT_MUTATIONS_PER_MINUTE');
      assert.ok(error.extensions.retryAfterSeconds >= 1 && error.extensions.retryAfterSeconds <= 60, JSON.stringify(error));
      assert.equal(refused.headers.get('retry-after'), String(error.extensions.retryAfterSeconds));
      // Queries are not counted, and another caller has its own allowance.
      assert.equal((await post(stack.url, { query: '{ connections { totalCount } }' }, actor)).status, 200);
      const other = await post(stack.url, { query: BAD_CREATE }, await callerHeaders(`calm-${randomUUID().slice(0, 8)}`));
      assert.equal(firstError(other.body).extensions.code, 'BAD_USER_INPUT');
    });

    it('counts every aliased mutation field of a request', async () => {
      const actor = await callerHeaders(`aliases-${randomUUID().slice(0, 8)}`);
      const six = `mutation { ${Array.from({ length: 6 }, (_, i) => `m${i}: createConnection(input: { name: "", accessToken: "x" }) { id }`).join(' ')} }`;
      const refused = await post(stack.url, { query: six }, actor);
      assert.equal(refused.status, 429);
      assert.equal(firstError(refused.body).extensions.code, 'RATE_LIMITED');
    });

    it('refuses the 4th explore of a caller in a minute, over HTTP and over WebSocket', async () => {
      const caller = await callerHeaders(`explorer-${randomUUID().slice(0, 8)}`);
      for (let i = 0; i < 3; i++) assert.equal(firstError((await post(stack.url, { query: EXPLORE_UNKNOWN }, caller)).body).extensions.code, 'NOT_FOUND');
      const refused = await post(stack.url, { query: EXPLORE_UNKNOWN }, caller);
      assert.equal(refused.status, 429);
      assert.equal(firstError(refused.body).extensions.limit, 'RATE_LIMIT_EXPLORE_PER_MINUTE');
      const overWs = await new Promise<any>((resolve, reject) => {
        stack.wsClient(caller).subscribe({ query: EXPLORE_UNKNOWN }, { next: resolve, error: reject, complete: () => undefined });
      });
      assert.equal(overWs.errors[0].extensions.code, 'RATE_LIMITED');
      assert.ok(overWs.errors[0].extensions.retryAfterSeconds >= 1);
    });

    it('holds across gateway processes of one deployment (counted in Redis)', async () => {
      let child: ChildFlowgate | null = null;
      try {
        child = await spawnFlowgate('gateway', stack, { RATE_LIMIT_MUTATIONS_PER_MINUTE: '5', RATE_LIMIT_EXPLORE_PER_MINUTE: '3' });
        const actor = await callerHeaders(`shared-${randomUUID().slice(0, 8)}`);
        for (let i = 0; i < 3; i++) assert.equal(firstError((await post(stack.url, { query: BAD_CREATE }, actor)).body).extensions.code, 'BAD_USER_INPUT');
        for (let i = 0; i < 2; i++) assert.equal(firstError((await post(child.url!, { query: BAD_CREATE }, actor)).body).extensions.code, 'BAD_USER_INPUT');
        const refused = await post(child.url!, { query: BAD_CREATE }, actor);
        assert.equal(refused.status, 429);
        assert.equal(firstError(refused.body).extensions.code, 'RATE_LIMITED');
        assert.equal((await post(stack.url, { query: BAD_CREATE }, actor)).status, 429);
      } finally {
        await child?.stop();
      }
    });
  });

  describe('security headers', () => {
    it('sends helmet headers with a strict CSP and no x-powered-by, on /graphql and /healthz', async () => {
      const health = await fetch(stack.url.replace('/graphql', '/healthz'));
      assert.equal(health.status, 200);
      assert.deepEqual(await health.json(), { status: 'ok' });
      const api = await fetch(stack.url, { method: 'POST', headers: { 'content-type': 'application/json', ...defaultCredential }, body: JSON.stringify({ query: '{ __typename }' }) });
      for (const response of [health, api]) {
        assert.match(response.headers.get('content-security-policy') ?? '', /default-src 'none'/);
        assert.match(response.headers.get('content-security-policy') ?? '', /frame-ancestors 'none'/);
        assert.equal(response.headers.get('x-content-type-options'), 'nosniff');
        assert.equal(response.headers.get('x-frame-options'), 'SAMEORIGIN');
        assert.equal(response.headers.get('referrer-policy'), 'no-referrer');
        assert.ok(response.headers.get('strict-transport-security'));
        assert.equal(response.headers.get('x-powered-by'), null);
        assert.ok(response.headers.get('x-request-id'));
      }
    });
  });
});
