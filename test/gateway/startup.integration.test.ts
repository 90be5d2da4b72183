import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { freePort, withDatabase } from '../support/local-services.js';
import { TcpProxy } from '../support/tcp-proxy.js';
import { launchFlowgate, type LaunchedFlowgate } from './support/child-process.js';
import { PrivateRedis } from './support/private-redis.js';
import { PG_ADMIN_URL, TestStack } from './support/stack.js';

/**
 * A process started before PostgreSQL or Redis (a reboot, an orchestrator starting everything at
 * once) waits for them with a clear log line, answers on its port meanwhile (503, `/readyz`
 * naming what it waits for), and serves as soon as they are there — without a restart.
 */
describe('starting before PostgreSQL or Redis is reachable', () => {
  let stack: TestStack;
  const processes: LaunchedFlowgate[] = [];
  before(async () => {
    // The stack owns the database (migrated, with an admin key) and the emulator; it runs no roles itself.
    stack = await TestStack.start({ roles: { gateway: false, worker: false } });
  });
  after(async () => {
    await Promise.all(processes.map((p) => p.stop('SIGKILL')));
    await stack.stop();
  });

  const launch = (role: 'gateway' | 'worker', env: Record<string, string>) => {
    const launched = launchFlowgate(role, stack, { STARTUP_RETRY_SECONDS: '0.2', ...env });
    processes.push(launched);
    return launched;
  };
  const get = async (port: number, path: string, init: RequestInit = {}) => {
    const response = await fetch(`http://127.0.0.1:${port}${path}`, init);
    return { status: response.status, retryAfter: response.headers.get('retry-after'), body: (await response.json()) as Record<string, any> };
  };
  /** `/readyz` once the dependency that is up has been reached (both are tried at once). */
  const readyzWithout = async (port: number, reached: string) => {
    let ready = await get(port, '/readyz');
    for (let i = 0; i < 100 && (ready.body.waitingFor as string[]).includes(reached); i++) {
      await new Promise((r) => setTimeout(r, 100));
      ready = await get(port, '/readyz');
    }
    return ready;
  };
  const whoami = (port: number) =>
    get(port, '/graphql', { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${stack.adminKey}` }, body: JSON.stringify({ query: '{ whoami { id } }' }) });

  describe('when PostgreSQL is down', () => {
    it('waits with a clear log line, answers 503 naming the database, then serves once PostgreSQL is back', async () => {
      const proxy = new TcpProxy(await freePort(), { host: '127.0.0.1', port: 5432 });
      const port = await freePort();
      const gateway = launch('gateway', { PORT: String(port), DATABASE_URL: withDatabase(PG_ADMIN_URL, stack.databaseName).replace(':5432/', `:${proxy.port}/`) });

      await gateway.waitForLine(/PostgreSQL is unreachable; waiting for it/);
      assert.deepEqual(await get(port, '/healthz'), { status: 200, retryAfter: null, body: { status: 'starting' } });
      const ready = await readyzWithout(port, 'redis');
      assert.equal(ready.status, 503);
      assert.deepEqual(ready.body.waitingFor, ['database']);
      const early = await whoami(port);
      assert.equal(early.status, 503);
      assert.equal(early.retryAfter, '2');
      assert.equal(early.body.errors[0].extensions.code, 'UNAVAILABLE');
      assert.match(early.body.errors[0].message, /starting: waiting for database/);
      // In the GraphQL-over-HTTP media type when the client prefers it, as every other refusal.
      const negotiated = await fetch(`http://127.0.0.1:${port}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', accept: 'application/graphql-response+json, application/json;q=0.9' },
        body: JSON.stringify({ query: '{ whoami { id } }' }),
      });
      assert.equal(negotiated.status, 503);
      assert.equal(negotiated.headers.get('content-type'), 'application/graphql-response+json; charset=utf-8');

      await proxy.open();
      try {
        await gateway.ready;
        assert.ok(gateway.output.some((l) => l.includes('PostgreSQL is reachable; starting')));
        const served = await whoami(port);
        assert.equal(served.status, 200);
        assert.equal(served.body.data.whoami.id, `apikey:${stack.adminKeyName}`);
      } finally {
        await gateway.stop();
        await proxy.cut();
      }
    });

    it('keeps a worker waiting too, until it can take jobs', async () => {
      const proxy = new TcpProxy(await freePort(), { host: '127.0.0.1', port: 5432 });
      const worker = launch('worker', { DATABASE_URL: withDatabase(PG_ADMIN_URL, stack.databaseName).replace(':5432/', `:${proxy.port}/`) });
      await worker.waitForLine(/PostgreSQL is unreachable; waiting for it/);
      assert.equal(worker.child.exitCode, null, 'the worker keeps running');
      await proxy.open();
      try {
        await worker.ready;
      } finally {
        await worker.stop();
        await proxy.cut();
      }
    });
  });

  describe('when Redis is down', () => {
    it('waits with a clear log line, answers 503 naming Redis, then serves once Redis is back', async () => {
      const redis = await PrivateRedis.reserve();
      const port = await freePort();
      const gateway = launch('gateway', { PORT: String(port), REDIS_URL: redis.url });
      try {
        await gateway.waitForLine(/Redis is unreachable; waiting for it/);
        // The database is reached (and migrated) concurrently: once it is, Redis alone is missing.
        const ready = await readyzWithout(port, 'database');
        assert.equal(ready.status, 503);
        assert.deepEqual(ready.body.waitingFor, ['redis']);
        assert.equal((await whoami(port)).status, 503);

        await redis.launch();
        await gateway.ready;
        const served = await whoami(port);
        assert.equal(served.status, 200);
        assert.equal(served.body.data.whoami.id, `apikey:${stack.adminKeyName}`);
        assert.equal((await get(port, '/readyz')).body.ready, true);
      } finally {
        await gateway.stop();
        await redis.stop();
      }
    });
  });
});
