import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { after, before, beforeEach, describe, it } from 'node:test';
import { platformName } from '../../src/platform/deterministic-names.js';
import { PlatformNetworkError, PlatformRejectedError, PlatformUnavailableError } from '../../src/platform/platform-errors.js';
import { CapturingLogger } from './support/capturing-logger.js';
import { caught, FLOW, startPlatformTestEnv, type PlatformTestEnv } from './support/platform-test-env.js';

const STRIPE_KEY = 'sk_test_51FlowgateRetries00001';

describe('Platform client retries', () => {
  let env: PlatformTestEnv;
  let connectionId: string;

  before(async () => {
    env = await startPlatformTestEnv();
    connectionId = (await env.client.flowService.createConnection({ name: 'retry target', accessToken: STRIPE_KEY })).id;
  });
  after(() => env.stop());
  beforeEach(async () => {
    await env.control.clearFaults();
    await env.control.clearRequests();
  });

  const connectionRequests = (method: string) => env.control.requests({ method, path: `${FLOW}/connections` });

  describe('when the Platform answers 429 with Retry-After: 1', () => {
    it('waits at least the second it was told before retrying, then succeeds', async () => {
      await env.control.addFault({ method: 'GET', path: `${FLOW}/connections/*`, status: 429, retryAfterSeconds: 1, count: 1 });
      const connection = await env.client.flowService.getConnection(connectionId);
      assert.equal(connection.id, connectionId);
      const log = await connectionRequests('GET');
      assert.deepEqual(
        log.map((r) => r.status),
        [429, 200],
      );
      const gapMs = Date.parse(log[1]!.time) - Date.parse(log[0]!.time);
      assert.ok(gapMs >= 950, `retried after ${gapMs} ms`);
    });

    it('retries even a POST, since a 429 proves nothing was written, and creates exactly one connection', async () => {
      const name = platformName('429 on create', 'op-429');
      await env.control.addFault({ method: 'POST', path: `${FLOW}/connections`, status: 429, count: 1 });
      const created = await env.client.flowService.createConnection({ name, accessToken: STRIPE_KEY });
      assert.deepEqual(
        (await connectionRequests('POST')).map((r) => r.status),
        [429, 201],
      );
      assert.deepEqual(
        (await env.client.flowService.findConnectionsByName(name)).map((c) => c.id),
        [created.id],
      );
    });
  });

  describe('when Retry-After is longer than the client may wait in-process', () => {
    it('fails at once with a retryable PlatformUnavailableError that carries the delay', async () => {
      const impatient = env.newClient({ retry: { maxRetryAfterMs: 500 } });
      await env.control.addFault({ method: 'GET', path: `${FLOW}/connections/*`, status: 429, retryAfterSeconds: 2, count: 1 });
      const error = await caught(() => impatient.flowService.getConnection(connectionId));
      assert.ok(error instanceof PlatformUnavailableError, String(error));
      assert.equal(error.retryable, true);
      assert.equal(error.status, 429);
      assert.equal(error.retryAfterMs, 2000);
      assert.equal(error.platformCode, '429050');
      assert.equal((await connectionRequests('GET')).length, 1);
    });
  });

  describe('when the Platform answers a burst of two 503s', () => {
    it('retries with backoff and succeeds on the third attempt', async () => {
      await env.control.addFault({ method: 'GET', path: `${FLOW}/connections/*`, status: 503, count: 2 });
      assert.equal((await env.client.flowService.getConnection(connectionId)).id, connectionId);
      assert.deepEqual(
        (await connectionRequests('GET')).map((r) => r.status),
        [503, 503, 200],
      );
    });
  });

  describe('when the Platform stays unavailable', () => {
    it('gives up after maxAttempts with a retryable PlatformUnavailableError', async () => {
      await env.control.addFault({ method: 'GET', path: `${FLOW}/connections/*`, status: 503 });
      const error = await caught(() => env.client.flowService.getConnection(connectionId));
      assert.ok(error instanceof PlatformUnavailableError, String(error));
      assert.equal(error.attempts, 4);
      assert.equal(error.platformCode, '1103-503');
      assert.equal(error.mayHaveCommitted, false);
      assert.equal((await connectionRequests('GET')).length, 4);
    });
  });

  describe('when a write gets a 500', () => {
    it('does not repeat the write and says it may have happened', async () => {
      await env.control.addFault({ method: 'POST', path: `${FLOW}/connections`, status: 500, count: 1 });
      const error = await caught(() => env.client.flowService.createConnection({ name: platformName('500 on create', 'op-500'), accessToken: STRIPE_KEY }));
      assert.ok(error instanceof PlatformUnavailableError, String(error));
      assert.equal(error.retryable, true);
      assert.equal(error.mayHaveCommitted, true);
      assert.equal((await connectionRequests('POST')).length, 1);
    });
  });

  describe('when the connection is reset during a GET', () => {
    it('retries the GET and succeeds', async () => {
      await env.control.addFault({ method: 'GET', path: `${FLOW}/connections/*`, mode: 'reset', count: 1 });
      assert.equal((await env.client.flowService.getConnection(connectionId)).id, connectionId);
      const log = await connectionRequests('GET');
      assert.equal(log.length, 2);
      assert.equal(log[0]!.fault?.mode, 'reset');
      assert.equal(log[1]!.status, 200);
    });
  });

  describe('when the connection is reset during a create', () => {
    it('fails with PlatformNetworkError{mayHaveCommitted: true} without repeating the POST; the lookup finds nothing to reconcile', async () => {
      const name = platformName('reset on create', 'op-reset');
      await env.control.addFault({ method: 'POST', path: `${FLOW}/connections`, mode: 'reset', count: 1 });
      const error = await caught(() => env.client.flowService.createConnection({ name, accessToken: STRIPE_KEY }));
      assert.ok(error instanceof PlatformNetworkError, String(error));
      assert.equal(error.mayHaveCommitted, true);
      assert.equal(error.retryable, true);
      assert.equal(error.failure, 'reset');
      assert.equal((await connectionRequests('POST')).length, 1);
      assert.deepEqual(await env.client.flowService.findConnectionsByName(name), []);
    });
  });

  describe('when the Platform commits a create and then drops the connection', () => {
    it('fails with PlatformNetworkError{mayHaveCommitted: true}, and the lookup by deterministic name finds exactly the one connection', async () => {
      const name = platformName('committed, answer lost', 'op-commit-drop');
      await env.control.addFault({ method: 'POST', path: `${FLOW}/connections`, mode: 'commit-then-drop', count: 1 });
      const error = await caught(() => env.client.flowService.createConnection({ name, accessToken: STRIPE_KEY }));
      assert.ok(error instanceof PlatformNetworkError, String(error));
      assert.equal(error.mayHaveCommitted, true);
      assert.equal((await connectionRequests('POST')).length, 1, 'the client did not repeat the POST');
      const found = await env.client.flowService.findConnectionsByName(name);
      assert.equal(found.length, 1);
      assert.equal(found[0]!.name, name);
    });
  });

  describe('when an attempt takes longer than the per-attempt timeout', () => {
    it('abandons the attempt and retries a GET', async () => {
      const logger = new CapturingLogger();
      const hasty = env.newClient({ timeouts: { requestMs: 250 }, logger });
      await env.control.addFault({ method: 'GET', path: `${FLOW}/connections/*`, latencyMs: 1500, count: 1 });
      assert.equal((await hasty.flowService.getConnection(connectionId)).id, connectionId);
      // The emulator does not log a request whose client went away, so the client's own log shows the retry.
      const retries = logger.lines.filter((l) => l.message === 'Platform call failed; retrying');
      assert.equal(retries.length, 1);
      assert.equal(retries[0]!.fields.reason, 'TIMEOUT');
      assert.deepEqual(
        (await connectionRequests('GET')).map((r) => r.status),
        [200],
      );
    });

    it('fails a POST after one attempt with a timeout that may have committed', async () => {
      const hasty = env.newClient({ timeouts: { requestMs: 250 } });
      const name = platformName('slow create', 'op-slow');
      await env.control.addFault({ method: 'POST', path: `${FLOW}/connections`, latencyMs: 1500, count: 1 });
      const error = await caught(() => hasty.flowService.createConnection({ name, accessToken: STRIPE_KEY }));
      assert.ok(error instanceof PlatformNetworkError, String(error));
      assert.equal(error.failure, 'timeout');
      assert.equal(error.mayHaveCommitted, true);
      assert.equal(error.attempts, 1);
    });
  });

  describe('when the caller cancels while the client waits to retry', () => {
    it('stops at once with the abort reason and does not retry', async () => {
      await env.control.addFault({ method: 'GET', path: `${FLOW}/connections/*`, status: 429, retryAfterSeconds: 5, count: 1 });
      const controller = new AbortController();
      setTimeout(() => controller.abort(new Error('worker shutting down')), 100);
      const started = Date.now();
      const error = await caught(() => env.client.flowService.getConnection(connectionId, { signal: controller.signal }));
      assert.equal((error as Error).message, 'worker shutting down');
      assert.ok(Date.now() - started < 2000);
      assert.equal((await connectionRequests('GET')).length, 1);
    });
  });

  describe('when the Platform rejects a request with a 400', () => {
    it('fails at once with a final PlatformRejectedError carrying the code and field, and makes one call', async () => {
      const error = await caught(() =>
        env.client.flowService.createFlow({
          name: 'bad schedule',
          sourceConnectionId: '00000000-0000-4000-8000-000000000001',
          targetConnectionId: '00000000-0000-4000-8000-000000000002',
          mappingId: 'f4aad280fdec4770b7e33066945919d8',
          mappingVersion: 0,
          schedule: { startTime: Math.floor(Date.now() / 1000) + 600, frequency: 'minute', interval: 15 },
        }),
      );
      assert.ok(error instanceof PlatformRejectedError, String(error));
      assert.equal(error.retryable, false);
      assert.equal(error.status, 400);
      assert.equal(error.platformCode, '1411-400');
      assert.equal(error.field, 'sourceConnectionIds[0]');
      assert.equal((await env.control.requests({ method: 'POST', path: `${FLOW}/flows` })).length, 1);
    });
  });
});

describe('Platform client when nothing listens at the Platform URL', () => {
  let env: PlatformTestEnv;
  let deadUrl: string;

  before(async () => {
    env = await startPlatformTestEnv();
    // A port that was free a moment ago: connecting is refused.
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as { port: number }).port;
    await new Promise<void>((resolve) => server.close(() => resolve()));
    deadUrl = `http://127.0.0.1:${port}`;
  });
  after(() => env.stop());

  it('retries even a POST, since a refused connection carried nothing, and then fails with mayHaveCommitted: false', async () => {
    const client = env.newClient({ platformUrl: deadUrl });
    const error = await caught(() => client.flowService.createConnection({ name: 'unreachable', accessToken: STRIPE_KEY }));
    assert.ok(error instanceof PlatformNetworkError, String(error));
    assert.equal(error.failure, 'connect');
    assert.equal(error.networkCode, 'ECONNREFUSED');
    assert.equal(error.mayHaveCommitted, false);
    assert.equal(error.attempts, 4);
  });
});
