import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Redis } from 'ioredis';
import { PrivateRedis } from '../gateway/support/private-redis.js';
import { createConnection } from '../gateway/support/platform-reads.js';
import { LocalRedisCluster } from '../gateway/support/redis-cluster.js';
import { TestStack } from '../gateway/support/stack.js';

interface ListedClient {
  port: number;
  id: number;
  /** BullMQ names its connections `<prefix>:<queue name in base64>`; ours have none. */
  name: string;
  cmd: string;
}

/** A watcher of Redis servers: the clients each lists (CLIENT LIST), but the watcher's own connections. */
class ClientWatch {
  private constructor(private readonly servers: { port: number; client: Redis; self: number }[]) {}

  static async open(ports: number[]): Promise<ClientWatch> {
    return new ClientWatch(
      await Promise.all(
        ports.map(async (port) => {
          const client = new Redis({ host: '127.0.0.1', port });
          return { port, client, self: Number(await client.client('ID')) };
        }),
      ),
    );
  }

  async clients(): Promise<ListedClient[]> {
    const lists = await Promise.all(
      this.servers.map(async ({ port, client, self }) =>
        String(await client.client('LIST'))
          .split('\n')
          .filter(Boolean)
          .map((line) => Object.fromEntries(line.split(' ').map((pair) => pair.split('=') as [string, string])))
          .map((fields) => ({ port, id: Number(fields.id), name: fields.name ?? '', cmd: fields.cmd ?? '' }))
          .filter((listed) => listed.id !== self),
      ),
    );
    return lists.flat();
  }

  /** The clients still listed once a moment passed (one that sent QUIT is listed until the server closed its socket). */
  async leftAfterClose(): Promise<ListedClient[]> {
    let left = await this.clients();
    for (let i = 0; i < 40 && left.length > 0; i++) {
      await new Promise((resolve) => setTimeout(resolve, 50));
      left = await this.clients();
    }
    return left;
  }

  async close(): Promise<void> {
    await Promise.all(this.servers.map(({ client }) => client.quit()));
  }
}

/** Starts a gateway and worker on `env`'s Redis, runs an operation, stops them; returns the clients listed while running and after. */
async function startRunStop(watch: ClientWatch, env: Record<string, string>): Promise<{ running: ListedClient[]; left: ListedClient[] }> {
  const stack = await TestStack.start({ env });
  let running: ListedClient[] = [];
  try {
    await createConnection(stack, 'Counted connections');
    running = await watch.clients();
  } finally {
    await stack.stop();
  }
  return { running, left: await watch.leftAfterClose() };
}

const WEBHOOKS_WORKER = Buffer.from('webhooks').toString('base64url');

/**
 * Regression guard for "a Redis connection leak in the webhooks Worker" (a hung socket was seen
 * after the cluster pass of security-auth): every connection a gateway and worker open — BullMQ's
 * queues and workers (each worker has a blocking connection of its own), the event bus, the call
 * budget, rate limits — is closed when the process stops. Counted on Redis servers of this test's
 * own, so no other test's clients are listed.
 */
describe('Redis connections of a gateway and worker, after they stop', () => {
  describe('on a single Redis (private redis-server)', () => {
    let redis: PrivateRedis;
    let watch: ClientWatch;
    before(async () => {
      redis = await PrivateRedis.start();
      watch = await ClientWatch.open([redis.port]);
    });
    after(async () => {
      await watch?.close();
      await redis?.stop();
    });

    it('leaves no client connected once the process stopped, after an operation ran', async () => {
      const { running, left } = await startRunStop(watch, { REDIS_URL: redis.url });
      assert.ok(
        running.some((c) => c.name.endsWith(WEBHOOKS_WORKER)),
        `the webhooks worker was connected: ${JSON.stringify(running)}`,
      );
      assert.deepEqual(left, [], `of ${running.length} clients while running, these stayed connected`);
    });
  });

  describe('on a Redis Cluster (three private primaries)', () => {
    let cluster: LocalRedisCluster;
    let watch: ClientWatch;
    before(async () => {
      cluster = await LocalRedisCluster.start(3);
      watch = await ClientWatch.open(cluster.ports);
    });
    after(async () => {
      await watch?.close();
      await cluster?.stop();
    });

    it('leaves no client connected to any node once the process stopped, after an operation ran', async () => {
      const { running, left } = await startRunStop(watch, { REDIS_CLUSTER_NODES: cluster.nodes });
      assert.ok(
        running.some((c) => c.name.endsWith(WEBHOOKS_WORKER)),
        `the webhooks worker was connected: ${JSON.stringify(running)}`,
      );
      assert.deepEqual(left, [], `of ${running.length} clients while running, these stayed connected`);
    });
  });
});
