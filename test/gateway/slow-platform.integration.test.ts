import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { platformGet } from './support/platform-reads.js';
import { OPERATION_FIELDS, TestStack } from './support/stack.js';

const CREATE = `mutation($input: CreateConnectionInput!) { createConnection(input: $input) { ${OPERATION_FIELDS} } }`;
const EXPLORE = 'query($c: ID!) { explore(connectionId: $c, resource: CHARGES) { connectionId } }';
const KEY = 'sk_test_51SlowPlatformSuite01';
const CONNECTIONS = '/data/foundation/flowservice/connections';

/**
 * The Platform answering slowly, then not at all within the client's time limit: the gateway
 * keeps answering (it never waits for the Platform, except `explore`, which REQUEST_TIMEOUT_SECONDS
 * bounds), and the workers' timeouts and retries bring every operation to its end, once.
 */
describe('a slow Platform', () => {
  let stack: TestStack;
  before(async () => {
    stack = await TestStack.start({ env: { REQUEST_TIMEOUT_SECONDS: '2' } });
  });
  after(() => stack.stop());
  /** Connections on the Platform carrying a resource's deterministic name (`<name> [fg:<id>]`). */
  const onPlatform = async (name: string) => {
    const { body } = await platformGet(stack, `${CONNECTIONS}?property=${encodeURIComponent(`name~^${name} \\[fg:`)}`);
    return (body as { items: unknown[] }).items.length;
  };

  it('keeps acknowledging mutations and answering queries while every Platform call takes 5 s, and the operations finish', async (t) => {
    const LIST = '{ connections(first: 20) { totalCount } operations(first: 20) { totalCount } }';
    /** Query latencies, sequential, for the README's figure (reported, not asserted: timing belongs in benchmarks). */
    const timeQueries = async (n: number) => {
      const ms: number[] = [];
      for (let i = 0; i < n; i++) {
        const started = performance.now();
        const result = await stack.gql(LIST);
        ms.push(performance.now() - started);
        assert.equal(result.errors, undefined);
      }
      return ms;
    };
    const normal = await timeQueries(50);
    await stack.control('POST', '/faults', { path: '/data/*', latencyMs: 5000 });
    try {
      const queued = await Promise.all(Array.from({ length: 10 }, (_, i) => stack.data(CREATE, { input: { name: `slow ${i}`, accessToken: KEY } })));
      assert.ok(queued.every((q) => q.createConnection.status === 'QUEUED'));
      // The gateway reads PostgreSQL only: lists keep answering while the workers wait on the Platform.
      for (let i = 0; i < 20; i++) {
        const result = await stack.gql(LIST);
        assert.equal(result.errors, undefined);
        assert.ok(result.data.connections.totalCount >= 10);
      }
      const slow = await timeQueries(50);
      const summary = (ms: number[]) => {
        const sorted = [...ms].sort((a, b) => a - b);
        return `p50 ${sorted[Math.floor(sorted.length / 2)]!.toFixed(1)} ms, p99 ${sorted[Math.ceil(sorted.length * 0.99) - 1]!.toFixed(1)} ms`;
      };
      t.diagnostic(`list queries: ${summary(normal)} before; ${summary(slow)} while 10 creates wait on a 5 s Platform`);
      const done = await Promise.all(queued.map((q) => stack.waitForOperation(q.createConnection.id, 90_000)));
      assert.deepEqual(
        done.map((d) => d.status),
        done.map(() => 'SUCCEEDED'),
      );
    } finally {
      await stack.control('DELETE', '/faults');
    }
  });

  it('answers an explore that outlasts REQUEST_TIMEOUT_SECONDS with 503 UNAVAILABLE and Retry-After, not a hang', async () => {
    const created = (await stack.data(CREATE, { input: { name: 'explored slowly', accessToken: KEY } })).createConnection;
    const connectionId = (await stack.waitForOperation(created.id)).resourceId;
    await stack.control('POST', '/faults', { path: `${CONNECTIONS}/*/explore`, latencyMs: 6000 });
    try {
      const response = await fetch(stack.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${stack.adminKey}` },
        body: JSON.stringify({ query: EXPLORE, variables: { c: connectionId } }),
      });
      assert.equal(response.status, 503);
      assert.equal(response.headers.get('retry-after'), '2');
      const body = (await response.json()) as { errors: { message: string; extensions: { code: string; requestId?: string } }[] };
      assert.equal(body.errors[0]?.extensions.code, 'UNAVAILABLE');
      assert.match(body.errors[0]?.message ?? '', /REQUEST_TIMEOUT_SECONDS/);
      assert.equal(body.errors[0]?.extensions.requestId, response.headers.get('x-request-id'));
      // The gateway is not stuck: the next request is served.
      assert.equal((await stack.gql('{ whoami { id } }')).errors, undefined);
    } finally {
      await stack.control('DELETE', '/faults');
    }
  });

  it('retries a create whose calls time out (10 s per attempt) and, once the Platform answers again, creates it exactly once', async () => {
    // Longer than the client's 10 s per-attempt limit: the write happens on the Platform after the client gave up.
    await stack.control('POST', '/faults', { method: 'POST', path: CONNECTIONS, latencyMs: 12_000, count: 1 });
    const queued = (await stack.data(CREATE, { input: { name: 'timed out once', accessToken: KEY } })).createConnection;
    const done = await stack.waitForOperation(queued.id, 120_000);
    assert.equal(done.status, 'SUCCEEDED');
    assert.ok(done.attempts >= 2, `attempts: ${done.attempts}`);
    assert.equal(await onPlatform('timed out once'), 1, 'one connection on the Platform, not one per attempt');
  });
});
