import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createLogger } from '../../src/logging/logger.js';
import { RedisConnections, RedisModeMismatchError } from '../../src/redis/redis-connections.js';
import { LocalRedisCluster } from '../gateway/support/redis-cluster.js';
import { REDIS_URL } from '../gateway/support/stack.js';

const logger = createLogger({ level: 'silent' });

describe('Redis connections', () => {
  let cluster: LocalRedisCluster;
  before(async () => {
    cluster = await LocalRedisCluster.start(3);
  });
  after(async () => {
    await cluster?.stop();
  });

  const onCluster = () => new RedisConnections({ target: { redisUrl: 'redis://127.0.0.1:6379', redisClusterNodes: [{ host: '127.0.0.1', port: cluster.ports[1]! }] }, logger });

  it('finds a cluster from one seed node and serves every slot', async () => {
    await onCluster().probe();
  });

  it('refuses REDIS_CLUSTER_NODES naming a Redis that is not a cluster', async () => {
    const url = new URL(REDIS_URL);
    const connections = new RedisConnections({ target: { redisUrl: REDIS_URL, redisClusterNodes: [{ host: url.hostname, port: Number(url.port || 6379) }] }, logger });
    await assert.rejects(connections.probe(), (error: unknown) => error instanceof RedisModeMismatchError && /not in cluster mode/.test(error.message));
  });

  it('refuses REDIS_URL naming a cluster node, saying to set REDIS_CLUSTER_NODES', async () => {
    const connections = new RedisConnections({ target: { redisUrl: `redis://127.0.0.1:${cluster.ports[0]}`, redisClusterNodes: null }, logger });
    await assert.rejects(connections.probe(), (error: unknown) => error instanceof RedisModeMismatchError && /set REDIS_CLUSTER_NODES/.test(error.message));
  });

  // Runs last: it stops the cluster.
  it('fails commands within seconds once the whole cluster is unreachable, as on a single Redis (instead of queueing them until it is back)', async () => {
    const connections = onCluster();
    const commands = connections.open('commands', 'command');
    try {
      assert.equal(await commands.set('fg-connections-test', '1', 'EX', 10), 'OK');
      await cluster.stop();
      // Commands sent while the client notices, gives up on the nodes and keeps reconnecting:
      // each fails after at most 4 reconnection attempts (≤ 8 s at the 2 s cap), as
      // maxRetriesPerRequest: 3 makes them fail on a single Redis; none waits for the cluster.
      const attempt = (afterMs: number) =>
        new Promise((resolve) => setTimeout(resolve, afterMs)).then(() =>
          Promise.race([
            commands.get('fg-connections-test').then(
              () => 'answered',
              (error: Error) => (/unreachable|Connection is closed|None of startup nodes|Too many Cluster redirections/.test(error.message) ? 'failed' : error.message),
            ),
            new Promise<string>((resolve) => setTimeout(() => resolve('still waiting after 9 s'), 9000)),
          ]),
        );
      assert.deepEqual(await Promise.all([attempt(0), attempt(500), attempt(1500), attempt(3000)]), ['failed', 'failed', 'failed', 'failed']);
    } finally {
      await connections.close();
    }
  });
});
