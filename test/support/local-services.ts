import { createServer } from 'node:net';
import { Cluster, Redis } from 'ioredis';
import { Client } from 'pg';
import type { RedisTarget } from '../../src/redis/redis-connections.js';

/**
 * Setting up and clearing away throwaway deployments on the local PostgreSQL and Redis: used by
 * the test stack, the CLI and migration tests, and `npm run demo`.
 */

/** `url` with its database replaced. */
export function withDatabase(url: string, database: string): string {
  const u = new URL(url);
  u.pathname = `/${database}`;
  return u.toString();
}

/** Drops `name` on the server of `serverUrl`, closing its open connections. */
export async function dropDatabase(serverUrl: string, name: string): Promise<void> {
  const client = new Client({ connectionString: withDatabase(serverUrl, 'postgres') });
  await client.connect();
  try {
    await client.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
  } finally {
    await client.end();
  }
}

/**
 * Deletes every Redis key matching `pattern` (SCAN, not KEYS, so a busy Redis is not blocked) on
 * a single Redis (`redisUrl`) or on every primary of a cluster.
 */
export async function deleteKeys(target: string | RedisTarget, pattern: string): Promise<void> {
  await forEachRedisNode(target, async (redis) => {
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', pattern, 'COUNT', 500);
      cursor = next;
      // One key per DEL: keys of one scan may hash to different slots.
      for (const key of keys) await redis.del(key);
    } while (cursor !== '0');
  });
}

/**
 * Runs `fn` on a plain connection to the single Redis, or to each primary of the cluster in
 * turn (SCAN and the like only see one node's keys).
 */
export async function forEachRedisNode(target: string | RedisTarget, fn: (node: Redis) => Promise<void>): Promise<void> {
  const t = typeof target === 'string' ? { redisUrl: target, redisClusterNodes: null } : target;
  if (t.redisClusterNodes === null) {
    const redis = new Redis(t.redisUrl);
    try {
      await fn(redis);
    } finally {
      redis.disconnect();
    }
    return;
  }
  const cluster = new Cluster(t.redisClusterNodes, { lazyConnect: true });
  try {
    await cluster.connect();
    for (const node of cluster.nodes('master')) await fn(node);
  } finally {
    cluster.disconnect();
  }
}

/** A TCP port free on 127.0.0.1 right now. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}
