import assert from 'node:assert/strict';
import { inspect } from 'node:util';
import { after, before, beforeEach, describe, it } from 'node:test';
import { platformName } from '../../src/platform/deterministic-names.js';
import { ImsTokenProvider } from '../../src/platform/ims-token-provider.js';
import { PlatformConflictError, PlatformError, PlatformNetworkError, PlatformNotFoundError, PlatformRejectedError, PlatformUnavailableError } from '../../src/platform/platform-errors.js';
import { PlatformHttp } from '../../src/platform/platform-http.js';
import { CapturingLogger } from './support/capturing-logger.js';
import { caught, FLOW, startPlatformTestEnv, type PlatformTestEnv } from './support/platform-test-env.js';

const SECRET_STRIPE_KEY = 'sk_test_SECRETSECRET123';

/** Every way an error could be shown: message, stack, JSON (logs, job records), util.inspect (console). */
function renderings(error: unknown): string[] {
  return [String((error as Error).message), String((error as Error).stack), JSON.stringify(error), inspect(error, { depth: 10 })];
}

describe('Platform client error mapping', () => {
  let env: PlatformTestEnv;
  let logger: CapturingLogger;

  before(async () => {
    logger = new CapturingLogger();
    env = await startPlatformTestEnv({ logger });
  });
  after(() => env.stop());
  beforeEach(async () => {
    await env.control.clearFaults();
    await env.control.clearRequests();
  });

  describe('a Flow Service 400', () => {
    it('is a final PlatformRejectedError with the code without the FLOW- prefix, the title and the field, after one call', async () => {
      const tokens = new ImsTokenProvider({ imsUrl: env.emulator.url, clientId: env.options.clientId, clientSecret: env.options.clientSecret });
      const http = new PlatformHttp({ platformUrl: env.emulator.url, clientId: env.options.clientId, orgId: env.options.orgId, sandbox: env.options.sandbox, tokens });
      try {
        const error = await caught(() =>
          http.post(`${FLOW}/connections`, {
            body: { name: 'not stripe', connectionSpec: { id: '00000000-0000-0000-0000-000000000000', version: '1.0' }, auth: { specName: 'x', params: {} } },
          }),
        );
        assert.ok(error instanceof PlatformRejectedError, String(error));
        assert.equal(error.code, 'PLATFORM_REJECTED');
        assert.equal(error.retryable, false);
        assert.equal(error.status, 400);
        assert.equal(error.platformCode, '1413-400');
        assert.equal(error.title, 'Invalid request');
        assert.equal(error.field, 'connectionSpec.id');
        assert.match(error.message, /^POST \/data\/foundation\/flowservice\/connections 400 1413-400: /);
        assert.equal((await env.control.requests({ method: 'POST', path: `${FLOW}/connections` })).length, 1);
      } finally {
        await http.close();
        await tokens.close();
      }
    });
  });

  describe('errors of the other services', () => {
    it('keep their service prefix: XDM- for the Schema Registry', async () => {
      const error = await caught(() => env.client.schemaRegistry.getSchema('https://ns.adobe.com/flowgatelocal/schemas/0000'));
      assert.ok(error instanceof PlatformNotFoundError, String(error));
      assert.equal(error.platformCode, 'XDM-1012-404');
    });

    it('keep their service prefix: CAT- for Catalog', async () => {
      const error = await caught(() => env.client.catalog.createDataset({ name: 'orphan', schemaId: 'https://ns.adobe.com/flowgatelocal/schemas/0000' }));
      assert.ok(error instanceof PlatformRejectedError, String(error));
      assert.match(String(error.platformCode), /^CAT-\d+-400$/);
    });

    it('keep their service prefix: MAPPER- for Data Prep', async () => {
      const error = await caught(() => env.client.dataPrep.createMappingSet({ schemaId: 'https://ns.adobe.com/flowgatelocal/schemas/0000', mappings: [{ source: 'data.id', destination: '_x.id' }] }));
      assert.ok(error instanceof PlatformRejectedError, String(error));
      assert.equal(error.platformCode, 'MAPPER-1002-400');
    });
  });

  describe('a resource that does not exist', () => {
    it('is a final PlatformNotFoundError with the Flow Service code', async () => {
      const error = await caught(() => env.client.flowService.getConnection('00000000-0000-4000-8000-00000000abcd'));
      assert.ok(error instanceof PlatformNotFoundError, String(error));
      assert.equal(error.code, 'PLATFORM_NOT_FOUND');
      assert.equal(error.status, 404);
      assert.equal(error.platformCode, '1101-404');
      assert.equal(error.retryable, false);
      assert.equal((await env.control.requests({ method: 'GET', path: `${FLOW}/connections/` })).length, 1);
    });
  });

  describe('an update with a stale etag', () => {
    it('is a PlatformConflictError that carries the current etag', async () => {
      const { flowService } = env.client;
      const created = await flowService.createConnection({ name: 'etag holder', accessToken: 'sk_test_51FlowgateErrors000001' });
      const updated = await flowService.updateConnection(created.id, created.etag, [{ op: 'replace', path: '/name', value: 'etag holder 2' }]);
      const error = await caught(() => flowService.updateConnection(created.id, created.etag, [{ op: 'replace', path: '/name', value: 'lost update' }]));
      assert.ok(error instanceof PlatformConflictError, String(error));
      assert.equal(error.code, 'PLATFORM_ETAG_CONFLICT');
      assert.equal(error.status, 412);
      assert.equal(error.platformCode, '1404-412');
      assert.equal(error.retryable, false);
      assert.equal(error.currentEtag, updated.etag);
      assert.equal((await flowService.getConnection(created.id)).name, 'etag holder 2');
    });
  });

  describe('secrets', () => {
    it('never appear in a rejected update that carried the Stripe key', async () => {
      const { flowService } = env.client;
      const created = await flowService.createConnection({ name: 'secret holder', accessToken: SECRET_STRIPE_KEY });
      await flowService.updateConnection(created.id, created.etag, [{ op: 'replace', path: '/description', value: 'moved on' }]);
      const error = await caught(() => flowService.updateConnection(created.id, created.etag, [{ op: 'replace', path: '/auth/params', value: { accessToken: SECRET_STRIPE_KEY } }]));
      assert.ok(error instanceof PlatformConflictError);
      for (const text of renderings(error)) assert.ok(!text.includes(SECRET_STRIPE_KEY), text);
    });

    it('never appear when a create with the Stripe key fails with a 500 or a lost connection', async () => {
      const { flowService } = env.client;
      await env.control.addFault({ method: 'POST', path: `${FLOW}/connections`, status: 500, count: 1 });
      const unavailable = await caught(() => flowService.createConnection({ name: platformName('secret', 'op-s1'), accessToken: SECRET_STRIPE_KEY }));
      assert.ok(unavailable instanceof PlatformUnavailableError);
      await env.control.addFault({ method: 'POST', path: `${FLOW}/connections`, mode: 'reset', count: 1 });
      const lost = await caught(() => flowService.createConnection({ name: platformName('secret', 'op-s2'), accessToken: SECRET_STRIPE_KEY }));
      assert.ok(lost instanceof PlatformNetworkError);
      for (const error of [unavailable, lost]) {
        for (const text of renderings(error)) assert.ok(!text.includes(SECRET_STRIPE_KEY), text);
      }
    });

    it('never appear in what the client logged, nor do the client secret and access tokens', async () => {
      const token = await env.client.tokens.getToken();
      const everything = logger.text();
      for (const secret of [SECRET_STRIPE_KEY, env.options.clientSecret, token]) assert.ok(!everything.includes(secret));
      assert.ok(logger.lines.length > 0, 'the client did log (retries, token issue)');
    });

    it('are scrubbed from a Platform detail that echoes them', async () => {
      const error = new PlatformRejectedError({
        status: 400,
        call: { method: 'POST', path: '/x', requestId: 'r' },
        parsed: { fromGateway: false, platformCode: '1100-400', detail: `Stripe said: invalid key ${SECRET_STRIPE_KEY}; Authorization: Bearer eyJhbGciOi.eyJ0eXBlIjoi.c2lnbmF0dXJl` },
      });
      for (const text of renderings(error)) {
        assert.ok(!text.includes(SECRET_STRIPE_KEY), text);
        assert.ok(!text.includes('eyJhbGciOi'), text);
      }
      assert.match(error.message, /Stripe said: invalid key \[redacted\]/);
    });
  });

  describe('every error', () => {
    it('is a PlatformError with a literal code and a retryable flag', async () => {
      const error = await caught(() => env.client.flowService.getFlow('00000000-0000-4000-8000-00000000abcd'));
      assert.ok(error instanceof PlatformError);
      assert.deepEqual({ code: error.code, retryable: error.retryable, name: error.name }, { code: 'PLATFORM_NOT_FOUND', retryable: false, name: 'PlatformNotFoundError' });
      assert.equal(JSON.parse(JSON.stringify(error)).code, 'PLATFORM_NOT_FOUND');
    });
  });
});

describe('Platform client calls per sandbox', () => {
  let env: PlatformTestEnv;
  before(async () => {
    env = await startPlatformTestEnv();
  });
  after(() => env.stop());

  it('sends the sandbox a call names, and the default otherwise', async () => {
    const { flowService } = env.client;
    const name = platformName('dev account', 'op-dev');
    const created = await flowService.createConnection({ name, accessToken: 'sk_test_51FlowgateSandbox00001' }, { sandbox: 'dev' });
    assert.deepEqual(
      (await flowService.findConnectionsByName(name, { sandbox: 'dev' })).map((c) => c.id),
      [created.id],
    );
    assert.deepEqual(await flowService.findConnectionsByName(name), []);
    const log = await env.control.requests({ path: `${FLOW}/connections` });
    assert.deepEqual(
      log.map((r) => r.sandbox),
      ['dev', 'dev', 'prod'],
    );
  });
});

describe('Platform client lookups by name', () => {
  let env: PlatformTestEnv;
  before(async () => {
    env = await startPlatformTestEnv();
  });
  after(() => env.stop());

  it('find exactly the named resource, even when the name holds a comma, spaces, & + # % and ==', async () => {
    const { flowService } = env.client;
    const tricky = platformName('Acme, Inc. & Co + 50% #1 a==b', 'op-tricky');
    const wanted = await flowService.createConnection({ name: tricky, accessToken: 'sk_test_51FlowgateNames000001' });
    // `name==Acme, Inc…` means "Acme" OR " Inc…" on the Platform: a naive lookup would find this one.
    await flowService.createConnection({ name: 'Acme', accessToken: 'sk_test_51FlowgateNames000001' });
    assert.deepEqual(
      (await flowService.findConnectionsByName(tricky)).map((c) => c.id),
      [wanted.id],
    );
    const plain = platformName('Acme Inc & Co + 50% #1 a==b', 'op-plain');
    const plainRef = await flowService.createConnection({ name: plain, accessToken: 'sk_test_51FlowgateNames000001' });
    assert.deepEqual(
      (await flowService.findConnectionsByName(plain)).map((c) => c.id),
      [plainRef.id],
    );
  });

  it('follow continuation pages when many resources match', async () => {
    const { flowService } = env.client;
    const name = platformName('many', 'op-many');
    const ids = [];
    for (let i = 0; i < 5; i++) ids.push((await flowService.createConnection({ name, accessToken: 'sk_test_51FlowgateNames000001' })).id);
    const all = await flowService.listAll<{ id: string }>('/connections', { property: [`name==${name}`] }, { pageSize: 2 });
    assert.deepEqual(all.map((c) => c.id).sort(), [...ids].sort());
    assert.equal((await flowService.findConnectionsByName(name)).length, 5);
  });

  it('find datasets whose names hold Catalog wildcards literally', async () => {
    const { catalog, schemaRegistry } = env.client;
    const klass = await schemaRegistry.createClass({ title: 'lookup class', description: 'd' });
    const schema = await schemaRegistry.createSchema({ title: 'lookup schema', description: 'd', classId: klass.$id });
    const starred = await catalog.createDataset({ name: 'charges * all', schemaId: schema.$id });
    await catalog.createDataset({ name: 'charges - all', schemaId: schema.$id });
    assert.deepEqual(
      (await catalog.findDatasetsByName('charges * all')).map((d) => d.id),
      [starred],
    );
  });
});
