import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { createClient } from 'graphql-ws';
import WebSocket from 'ws';
import { GAP } from '../../src/pubsub/event-bus.js';
import { topics } from '../../src/pubsub/events.js';
import { ReadinessCheck } from '../../src/gateway/readiness.js';
import { createLogger } from '../../src/logging/logger.js';
import { RedisConnections, RedisModeMismatchError } from '../../src/redis/redis-connections.js';
import { LocalRedisCluster } from './support/redis-cluster.js';
import { TestStack } from './support/stack.js';

const STRIPE_KEY = 'sk_test_51RedisClusterKey000001';
const CREATE = 'mutation($input: CreateConnectionInput!) { createConnection(input: $input) { id status } }';

/**
 * A deployment on a 3-primary Redis Cluster of the test's own: a worker and two gateways, each
 * given a different node as its only seed. The queues' hash tag is chosen so that their slot
 * lives on the third node — neither the worker's nor the first gateway's seed.
 */
describe('on a Redis Cluster', () => {
  let cluster: LocalRedisCluster;
  let worker: TestStack;
  let gatewayA: TestStack;
  let gatewayB: TestStack;
  let queueOwner = 0;
  const seed = (index: number) => `127.0.0.1:${cluster.ports[index]}`;

  before(async () => {
    cluster = await LocalRedisCluster.start(3);
    // A namespace whose queue keys ({namespace}…) hash to the third node's slots.
    let namespace = '';
    do {
      namespace = `fgcluster-${randomBytes(4).toString('hex')}`;
      queueOwner = await cluster.ownerOf(`{${namespace}}`);
    } while (queueOwner !== cluster.ports[2]);
    worker = await TestStack.start({ roles: { gateway: false, worker: true }, env: { REDIS_CLUSTER_NODES: seed(0), QUEUE_PREFIX: namespace } });
    gatewayA = await TestStack.start({ shareWith: worker, roles: { gateway: true, worker: false }, env: { REDIS_CLUSTER_NODES: seed(1) } });
    gatewayB = await TestStack.start({ shareWith: worker, roles: { gateway: true, worker: false }, env: { REDIS_CLUSTER_NODES: seed(2) } });
  });
  after(async () => {
    try {
      await gatewayB?.stop();
      await gatewayA?.stop();
      await worker?.stop();
    } finally {
      await cluster?.stop();
    }
  });

  it('carries out an operation whose queue lives on a node that is neither the gateway’s nor the worker’s seed', async () => {
    assert.notEqual(queueOwner, cluster.ports[0]);
    assert.notEqual(queueOwner, cluster.ports[1]);
    const { createConnection } = await gatewayA.data(CREATE, { input: { name: 'cluster-queue', accessToken: STRIPE_KEY } });
    const finished = await gatewayA.waitForOperation(createConnection.id);
    assert.equal(finished.status, 'SUCCEEDED');
    const jobKeys = await cluster.onNode(queueOwner, (node) => node.keys(`{${worker.config.redisNamespace}}:*`));
    assert.ok(jobKeys.length > 0, 'the queue keys are on the node that owns their hash tag');
  });

  it('streams a worker’s progress to a subscriber of another gateway (sharded pub/sub)', async () => {
    const { createConnection } = await gatewayA.data(CREATE, { input: { name: 'cluster-events', accessToken: STRIPE_KEY } });
    const messages = await gatewayB.collect<{ operationUpdated: { status: string } }>('subscription($id: ID!) { operationUpdated(id: $id) { status } }', { id: createConnection.id }, (m) =>
      ['SUCCEEDED', 'FAILED'].includes(m.operationUpdated.status),
    );
    assert.equal(messages.at(-1)!.operationUpdated.status, 'SUCCEEDED');
  });

  it('subscribes each channel on the shard that owns its slot only (sharded pub/sub, not broadcast to every node)', async () => {
    const id = `sharded-${randomBytes(4).toString('hex')}`;
    const stream = await gatewayB.process.deps.bus.subscribe(topics.operation(id));
    try {
      const channel = `${worker.config.redisNamespace}:events:operation:${id}`;
      const owner = await cluster.ownerOf(channel);
      const counts = await Promise.all(cluster.ports.map((port) => cluster.onNode(port, async (node) => Number(((await node.call('PUBSUB', 'SHARDNUMSUB', channel)) as [string, number])[1]))));
      assert.deepEqual(
        counts,
        cluster.ports.map((port) => (port === owner ? 1 : 0)),
      );
    } finally {
      await stream.return!();
    }
  });

  it('closes a revoked key’s socket on the other gateway', async () => {
    const name = `revoked-${randomBytes(3).toString('hex')}`;
    const key = await gatewayA.createKey(name, 'viewer');
    const client = createClient({
      url: gatewayB.wsUrl,
      webSocketImpl: WebSocket,
      retryAttempts: 0,
      lazy: false,
      onNonLazyError: () => undefined,
      connectionParams: { authorization: `Bearer ${key}` },
    });
    await new Promise<void>((resolve) => client.on('connected', () => resolve()));
    const closed = new Promise<number>((resolve) => client.on('closed', (event) => resolve((event as { code: number }).code)));
    const started = Date.now();
    await gatewayA.data('mutation($name: String) { revokeApiKey(name: $name) { id } }', { name });
    assert.equal(await closed, 4401);
    assert.ok(Date.now() - started < 2000, `closed after ${Date.now() - started} ms`);
    await client.dispose();
  });

  it('reports a gap to subscribers when a shard’s subscriber connection drops, and delivers again once it is back', async () => {
    const bus = gatewayB.process.deps.bus;
    const topic = topics.operation(`gap-${randomBytes(4).toString('hex')}`);
    const stream = await bus.subscribeWithGaps(topic);
    const since = gatewayB.logLines.length;
    await cluster.killSubscribers(await cluster.ownerOf(`${worker.config.redisNamespace}:events:${topic.channel}`));
    const within = <T>(promise: Promise<T>, ms: number) => Promise.race([promise, new Promise<string>((r) => setTimeout(() => r(`nothing within ${ms} ms`), ms))]);
    assert.deepEqual(await within(stream.next(), 10_000), { value: GAP, done: false });
    assert.ok(gatewayB.logLines.slice(since).some((l) => l.includes('event subscriptions restored')));
    await worker.process.deps.bus.publish(topic, { id: 'after-the-gap' } as never);
    // The next message (a further reconnection would only add another GAP before it).
    const nextMessage = async () => {
      for (;;) {
        const item = await stream.next();
        if (item.value !== GAP) return item.value;
      }
    };
    assert.deepEqual(await within(nextMessage(), 5000), { id: 'after-the-gap' });
    await stream.return!();
  });

  describe('when REDIS_URL points at a cluster node and REDIS_CLUSTER_NODES is not set', () => {
    const nodeUrl = () => `redis://127.0.0.1:${cluster.ports[0]}`;

    it('refuses to start with a line that says to set REDIS_CLUSTER_NODES, instead of crashing on MOVED', async () => {
      await assert.rejects(
        TestStack.start({ shareWith: worker, roles: { gateway: true, worker: true }, env: { REDIS_URL: nodeUrl(), REDIS_CLUSTER_NODES: '' } }),
        (error: unknown) => error instanceof RedisModeMismatchError && /set REDIS_CLUSTER_NODES/.test(error.message),
      );
    });

    it('has /readyz report it on a running process', async () => {
      const connections = new RedisConnections({ target: { redisUrl: nodeUrl(), redisClusterNodes: null }, logger: createLogger({ level: 'silent' }) });
      const client = connections.open('commands', 'command');
      try {
        const deps = gatewayA.process.deps;
        const report = await new ReadinessCheck({ store: deps.store, redis: () => connections.verify(client), platform: deps.platform }).check();
        assert.equal(report.ready, false);
        assert.match(report.checks.redis.error!, /REDIS_URL points at a Redis Cluster node: set REDIS_CLUSTER_NODES/);
        assert.equal(report.checks.database.ok, true);
      } finally {
        await connections.close();
      }
    });
  });
});
