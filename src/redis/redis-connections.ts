import type { ConnectionOptions } from 'bullmq';
import { Cluster, Redis, type ClusterOptions, type RedisOptions } from 'ioredis';
import type { Logger } from '../logging/logger.js';

/** A Redis Cluster seed node (REDIS_CLUSTER_NODES). */
export interface RedisNode {
  host: string;
  port: number;
}

/** A connection to the single Redis or to a Redis Cluster: the commands Flowgate uses work on both. */
export type RedisClient = Redis | Cluster;

/** Where Redis is: REDIS_URL, or REDIS_CLUSTER_NODES (then REDIS_URL only lends its credentials). */
export interface RedisTarget {
  redisUrl: string;
  redisClusterNodes: RedisNode[] | null;
}

/**
 * Thrown when the Redis at REDIS_URL is a Redis Cluster node and REDIS_CLUSTER_NODES is not set
 * (or the other way round): every keyed command would be answered MOVED. Not retryable: the
 * configuration has to change.
 */
export class RedisModeMismatchError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RedisModeMismatchError';
  }
}

/** What a connection is for; each role has its own retry policy. */
export type RedisRole =
  /** Commands and publishing: a request fails after 3 reconnection attempts instead of waiting forever. */
  | 'commands'
  /** The process's one subscriber: waits for the connection however long it takes. */
  | 'subscriber'
  /** BullMQ (queues, workers, schedulers): blocking commands, so no per-request retry limit. */
  | 'queues'
  /** A command-line tool: gives up after one attempt. */
  | 'cli';

const MAX_RETRIES: Record<RedisRole, number | null> = { commands: 3, subscriber: null, queues: null, cli: 1 };

/**
 * Between two reconnection attempts: 50 ms more each time, at most 2 s — ioredis's default for a
 * single Redis, used for clusters and BullMQ's connections too.
 */
export function reconnectDelay(attempt: number): number {
  return Math.min(attempt * 50, 2000);
}

export interface RedisConnectionsOptions {
  target: RedisTarget;
  /** Where connection errors are reported (once per outage: see `RedisOutageLog`); each connection reconnects by itself. */
  logger: Logger;
  /** Clock for the outage's duration, epoch ms; default `Date.now`. */
  now?: () => number;
}

/** Network failures and closed connections: Redis is unreachable, and the connection retries by itself. */
const CONNECTION_FAILURE = /ECONNREFUSED|ECONNRESET|ETIMEDOUT|EPIPE|EHOSTUNREACH|ENETUNREACH|ENOTFOUND|EAI_AGAIN|Connection is closed|unreachable|None of startup nodes|ClusterAllFailed/;

/** Whether an error says Redis cannot be reached (as opposed to a command or script that failed). */
export function isRedisConnectionFailure(error: Error & { code?: unknown }): boolean {
  return CONNECTION_FAILURE.test(typeof error.code === 'string' ? `${error.code} ${error.message}` : error.message);
}

/**
 * The job BullMQ could not finish (or move) because its key was gone — what a worker emits when
 * Redis lost its data while the job ran: `Missing key for job <id>. <command>`. Null for any other error.
 */
export function lostJobOf(error: Error): { jobId: string; command: string } | null {
  const match = /^Missing key for job (\S+)\. (\w+)/.exec(error.message);
  return match ? { jobId: match[1]!, command: match[2]! } : null;
}

/**
 * Redis outages in the log, once each: while Redis is unreachable every connection of a process
 * (ours, and those BullMQ opens for each queue and worker) fails again at each reconnection
 * attempt. The first failure logs one warning; the rest are counted; the first connection that is
 * ready again ends the outage with one line saying how long it lasted and how many failures it hid.
 */
export class RedisOutageLog {
  private outage: { since: number; failures: number; connections: Set<string> } | null = null;

  constructor(
    private readonly logger: Logger,
    private readonly now: () => number = Date.now,
  ) {}

  /** A connection (`name`) failed to reach Redis. */
  failed(name: string, error: Error): void {
    if (this.outage) {
      this.outage.failures++;
      this.outage.connections.add(name);
      return;
    }
    this.outage = { since: this.now(), failures: 1, connections: new Set([name]) };
    this.logger.warn({ err: error.message, connection: name }, 'Redis is unreachable; every connection keeps reconnecting (their failures are counted, not logged, until it is back)');
  }

  /** A connection is ready again: ends the outage, if there was one. */
  recovered(): void {
    const outage = this.outage;
    if (!outage) return;
    this.outage = null;
    this.logger.info({ downSeconds: Math.round((this.now() - outage.since) / 100) / 10, failures: outage.failures, connections: [...outage.connections].sort() }, 'Redis is reachable again');
  }
}

/**
 * The one place that opens Redis connections: a single Redis (ioredis `Redis`) or a Redis
 * Cluster (ioredis `Cluster`), with the same reconnection policy and the same logging. Every
 * part of Flowgate gets its connections here — the event bus, rate limits, BullMQ, the CLI —
 * so a deployment moves to a cluster by setting REDIS_CLUSTER_NODES and nothing else.
 *
 * On a cluster, the subscriber uses sharded pub/sub (SSUBSCRIBE: one connection per primary,
 * each channel on the shard that owns its slot), so a message travels to one shard instead of
 * being broadcast over the cluster bus to every node.
 */
export class RedisConnections {
  private readonly opened = new Set<RedisClient>();
  private readonly outages: RedisOutageLog;

  constructor(private readonly options: RedisConnectionsOptions) {
    this.outages = new RedisOutageLog(options.logger, options.now);
  }

  get isCluster(): boolean {
    return this.options.target.redisClusterNodes !== null;
  }

  /** Pub/sub flavour the event bus uses: sharded on a cluster, classic on a single Redis. */
  get pubSub(): 'sharded' | 'classic' {
    return this.isCluster ? 'sharded' : 'classic';
  }

  /**
   * A new connection for `role`, closed by `close()`. `name` appears in the logs of its errors.
   * `extra` adds ioredis options (e.g. `lazyConnect`).
   */
  open(role: RedisRole, name: string, extra: RedisOptions = {}): RedisClient {
    const client = this.create(role, extra);
    client.on('error', (error: Error) => this.outages.failed(name, error));
    client.on('ready', () => this.outages.recovered());
    this.opened.add(client);
    client.once('end', () => this.opened.delete(client));
    return client;
  }

  /**
   * Logs the errors a BullMQ queue or worker (`name`) emits: failures to reach Redis go to the
   * outage log (one line per outage, whichever connection fails), a job whose key Redis lost
   * while it ran (`lostJobOf`) as one info line, anything else as an error. A
   * Queue without an `error` listener prints each failure's stack to stderr instead, at every
   * reconnection attempt.
   */
  watch(emitter: { on(event: 'error', listener: (error: Error) => void): unknown }, name: string): void {
    emitter.on('error', (error: Error) => {
      const lost = lostJobOf(error);
      if (isRedisConnectionFailure(error)) {
        this.outages.failed(name, error);
      } else if (lost) {
        // Expected after Redis lost its data (an empty restart, a flush): not an error of ours.
        this.options.logger.info(
          { jobId: lost.jobId, command: lost.command, source: name },
          `${name}: the end of job ${lost.jobId} could not be recorded, its key is gone from Redis (flushed, or restarted empty); what it did is in PostgreSQL, and the reconciler re-enqueues unfinished work from there`,
        );
      } else {
        this.options.logger.error({ err: error.message, source: name }, `${name} error`);
      }
    });
  }

  /**
   * What BullMQ's `connection` option takes for `role`: on a single Redis, options (BullMQ
   * opens and closes its own connections); on a cluster, a Cluster instance (BullMQ cannot build
   * one from options). A Queue shares the instance it is given; a Worker duplicates it.
   */
  bullmq(name: string, extra: Pick<RedisOptions, 'enableAutoPipelining'> = {}): ConnectionOptions {
    if (!this.isCluster) return { ...singleOptions(this.options.target.redisUrl), ...extra, retryStrategy: reconnectDelay, maxRetriesPerRequest: null };
    return this.open('queues', name, { lazyConnect: true, ...extra });
  }

  /**
   * Checks, on a throwaway connection that does not retry, that Redis answers and is what the
   * configuration says (see `verify`). Used while a process starts, before its long-lived
   * connections are opened.
   */
  async probe(timeoutMs = 3000): Promise<void> {
    const { target } = this.options;
    const first = target.redisClusterNodes?.[0];
    const once: RedisOptions = { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null, connectTimeout: timeoutMs, enableOfflineQueue: false };
    // On a cluster, one seed node is enough to read the cluster's state.
    const probe = first ? new Redis({ ...credentials(target.redisUrl), host: first.host, port: first.port, ...once }) : new Redis(target.redisUrl, once);
    probe.on('error', () => undefined);
    try {
      await probe.connect();
      await this.verify(probe);
    } finally {
      probe.disconnect();
    }
  }

  /**
   * Checks that `client` reaches what the configuration says: a single Redis for REDIS_URL, a
   * cluster serving every slot for REDIS_CLUSTER_NODES. Throws RedisModeMismatchError when they
   * disagree (not retryable: the configuration must change), anything else when Redis does not
   * answer or the cluster is down (retryable). `/readyz` runs it on the process's connection.
   */
  async verify(client: RedisClient): Promise<void> {
    const clusterEnabled = /^cluster_enabled:1/m.test(await client.info('cluster'));
    if (!this.isCluster) {
      if (clusterEnabled) {
        throw new RedisModeMismatchError(
          "REDIS_URL points at a Redis Cluster node: set REDIS_CLUSTER_NODES=host:port,… (the cluster's nodes) to use the cluster (a single-Redis connection is answered MOVED)",
        );
      }
      return;
    }
    if (!clusterEnabled) throw new RedisModeMismatchError('REDIS_CLUSTER_NODES names a Redis that is not in cluster mode (cluster_enabled:0): use REDIS_URL for a single Redis');
    const state = /^cluster_state:(\w+)/m.exec(String(await client.call('CLUSTER', 'INFO')))?.[1];
    if (state !== 'ok') throw new Error(`the Redis Cluster does not serve every slot (cluster_state:${state ?? 'unknown'})`);
  }

  /** Closes every connection opened here that is still open. */
  async close(): Promise<void> {
    const clients = [...this.opened];
    this.opened.clear();
    // A lazy connection never used has nothing to say goodbye to (QUIT would connect it first).
    await Promise.allSettled(
      clients.map(async (client) => {
        if (client.status === 'wait') client.disconnect();
        else await client.quit().catch(() => client.disconnect());
      }),
    );
  }

  private create(role: RedisRole, extra: RedisOptions): RedisClient {
    const { target } = this.options;
    const perConnection: RedisOptions = {
      maxRetriesPerRequest: MAX_RETRIES[role],
      retryStrategy: reconnectDelay,
      ...extra,
    };
    // Auto-pipelining sends the commands issued in one tick as one write: on for commands (and
    // for queue producers, which ask for it); a worker's blocking commands must not wait behind it.
    const { lazyConnect, enableAutoPipelining = role === 'commands', ...nodeOptions } = perConnection;
    if (target.redisClusterNodes === null) return new Redis(target.redisUrl, { ...perConnection, enableAutoPipelining });
    const maxRetries = MAX_RETRIES[role];
    const options: ClusterOptions = {
      clusterRetryStrategy(this: Cluster, attempt: number) {
        // A single Redis fails the commands waiting for it after `maxRetriesPerRequest`
        // reconnection attempts; a cluster would keep them in its offline queue for as long as
        // it is unreachable (a request waiting on a rate-limit check would hang), so it does the same.
        if (maxRetries !== null && attempt % (maxRetries + 1) === 0) {
          (this as unknown as { flushQueue(error: Error): void }).flushQueue(new Error(`the Redis Cluster is unreachable (${attempt} reconnection attempts)`));
        }
        return reconnectDelay(attempt);
      },
      enableAutoPipelining,
      shardedSubscribers: role === 'subscriber',
      lazyConnect: lazyConnect ?? false,
      redisOptions: { ...credentials(target.redisUrl), ...nodeOptions },
    };
    return new Cluster(
      target.redisClusterNodes.map((node) => ({ host: node.host, port: node.port })),
      options,
    );
  }
}

/** REDIS_URL as ioredis options: host, port, credentials, database. */
function singleOptions(redisUrl: string): RedisOptions {
  const url = new URL(redisUrl);
  return {
    host: url.hostname,
    port: Number(url.port || 6379),
    ...credentials(redisUrl),
    db: url.pathname.length > 1 ? Number(url.pathname.slice(1)) : 0,
    ...(url.protocol === 'rediss:' ? { tls: {} } : {}),
  };
}

/** The username and password of REDIS_URL, if any (a cluster's nodes share them). */
function credentials(redisUrl: string): Pick<RedisOptions, 'username' | 'password'> {
  const url = new URL(redisUrl);
  return {
    ...(url.password ? { password: decodeURIComponent(url.password) } : {}),
    ...(url.username ? { username: decodeURIComponent(url.username) } : {}),
  };
}
