import { randomBytes, randomUUID } from 'node:crypto';
import { PassThrough } from 'node:stream';
import { Redis } from 'ioredis';
import { Client } from 'pg';
import { createClient, type Client as WsClient } from 'graphql-ws';
import WebSocket from 'ws';
import { primaryOrgId, startEmulator, type EmulatorOptions, type RunningEmulator } from '../../../emulator/index.js';
import { startProcess, type RunningProcess, type Roles } from '../../../src/app/run.js';
import { generateApiKey } from '../../../src/auth/api-key-format.js';
import type { Role } from '../../../src/auth/caller.js';
import { loadConfig, type AppConfig } from '../../../src/config/config.js';
import { createLogger } from '../../../src/logging/logger.js';
import { ensureDatabase } from '../../../src/store/migrations.js';
import { deleteKeys, dropDatabase as dropDatabaseOn, forEachRedisNode, withDatabase } from '../../support/local-services.js';

export const PG_ADMIN_URL = process.env.TEST_PG_URL ?? 'postgresql://postgres@127.0.0.1:5432/postgres';
export const REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
/**
 * Set by `npm test` for its cluster pass (scripts/test-on-cluster.ts): the nodes of a local
 * Redis Cluster every TestStack then uses (REDIS_CLUSTER_NODES) instead of the single Redis.
 */
export const REDIS_CLUSTER_NODES = process.env.TEST_REDIS_CLUSTER_NODES ?? '';

export interface GraphQLResult<T = any> {
  data?: T;
  errors?: { message: string; extensions?: Record<string, any>; path?: (string | number)[] }[];
}

export interface StackOptions {
  roles?: Roles;
  emulator?: EmulatorOptions;
  /** Use an emulator that is already running (e.g. shared by several stacks). */
  sharedEmulator?: RunningEmulator;
  /** Reuse another stack's database and Redis namespace (a second gateway or worker of the same deployment). */
  shareWith?: TestStack;
  env?: Record<string, string>;
  /** The PostgreSQL server to create the database on (default: the shared one, `PG_ADMIN_URL`). */
  pgAdminUrl?: string;
  /**
   * A named database, created if missing and kept when the stack stops (benchmarks that load
   * millions of rows once and measure them again later). Default: a fresh one, dropped at stop.
   */
  keptDatabase?: string;
}

/**
 * A Flowgate deployment for one test file, on the real services: a fresh PostgreSQL database,
 * its own Redis namespace (queue prefix and event channels), an in-process emulator, and the
 * gateway and/or worker. Every log line is captured so tests can scan it for secrets.
 */
export class TestStack {
  readonly logLines: string[] = [];
  private wsClients: WsClient[] = [];
  /** An admin API key (`apikey:test-admin…`), sent by `gql`, `data` and `wsClient` unless told otherwise. */
  adminKey = '';
  /** The admin key's name, as audit events and operations record it (`apikey:<name>`). */
  adminKeyName = '';

  private constructor(
    readonly config: AppConfig,
    readonly process: RunningProcess,
    readonly emulator: RunningEmulator,
    readonly databaseName: string,
    private readonly pgAdminUrl: string,
    private readonly ownsEmulator: boolean,
    private readonly ownsNamespace: boolean,
    logStream: PassThrough,
    private readonly dropsDatabase = true,
  ) {
    logStream.on('data', (chunk: Buffer) => this.logLines.push(...chunk.toString('utf8').split('\n').filter(Boolean)));
  }

  static async start(options: StackOptions = {}): Promise<TestStack> {
    const emulator = options.sharedEmulator ?? options.shareWith?.emulator ?? (await startEmulator({ port: 0, ...options.emulator }));
    const databaseName = options.shareWith?.databaseName ?? options.keptDatabase ?? `fg_test_${randomBytes(6).toString('hex')}`;
    const pgAdminUrl = options.pgAdminUrl ?? options.shareWith?.pgAdminUrl ?? PG_ADMIN_URL;
    const databaseUrl = withDatabase(pgAdminUrl, databaseName);
    const env: Record<string, string> = {
      DATABASE_URL: databaseUrl,
      REDIS_URL: REDIS_URL,
      ...(REDIS_CLUSTER_NODES ? { REDIS_CLUSTER_NODES } : {}),
      PORT: '0',
      QUEUE_PREFIX: options.shareWith?.config.queuePrefix.replace(/[{}]/g, '') ?? `fgtest-${randomBytes(4).toString('hex')}`,
      LOG_LEVEL: 'info',
      AEP_PLATFORM_URL: emulator.url,
      AEP_IMS_URL: emulator.url,
      AEP_CLIENT_ID: emulator.options.clientId,
      AEP_CLIENT_SECRET: emulator.options.clientSecret,
      AEP_ORG_ID: primaryOrgId(emulator.options),
      AEP_SANDBOX: 'prod',
      AEP_SANDBOXES: emulator.options.sandboxes.join(','),
      AEP_TENANT: emulator.options.tenantId,
      FLOWGATE_SECRET_KEY: options.shareWith?.config.secretKey?.key.toString('hex') ?? randomBytes(32).toString('hex'),
      RUN_SYNC_INTERVAL_SECONDS: '3600',
      // Tests run the watchdog themselves (watchdogPass), at the emulator's clock.
      WATCHDOG_INTERVAL_SECONDS: '3600',
      WORKER_CONCURRENCY: '10',
      // Tests that exercise rate limits set their own low values.
      RATE_LIMIT_MUTATIONS_PER_MINUTE: '1000000',
      RATE_LIMIT_EXPLORE_PER_MINUTE: '1000000',
      // Many stacks and processes share this machine (and other suites run beside): metrics only
      // where a test asks for them, on a port the system picks (METRICS_PORT=any).
      METRICS_PORT: '0',
      ...options.env,
    };
    const config = loadConfig(env);
    await ensureDatabase(databaseUrl);
    const logStream = new PassThrough();
    const logger = createLogger({ level: 'info', destination: logStream });
    const running = await startProcess(options.roles ?? { gateway: true, worker: true }, config, logger);
    const stack = new TestStack(config, running, emulator, databaseName, pgAdminUrl, !options.sharedEmulator && !options.shareWith, !options.shareWith, logStream, !options.keptDatabase);
    // A database used before already holds `test-admin`.
    stack.adminKeyName = options.shareWith || options.keptDatabase ? `test-admin-${randomBytes(3).toString('hex')}` : 'test-admin';
    stack.adminKey = await stack.createKey(stack.adminKeyName, 'admin');
    return stack;
  }

  /**
   * Creates an API key straight in the database (no audit event, so tests that count events
   * are not disturbed) and returns the key.
   */
  async createKey(name: string, role: Role, options: { sandboxes?: string[]; expiresAt?: Date | null } = {}): Promise<string> {
    const generated = generateApiKey();
    await this.process.deps.store.apiKeys.create({
      name,
      role,
      sandboxes: options.sandboxes ?? [],
      expiresAt: options.expiresAt ?? null,
      createdBy: 'test',
      keyId: generated.keyId,
      secretHash: generated.secretHash,
    });
    return generated.key;
  }

  /** Headers that send this credential instead of the admin key (`null`: no credential at all). */
  auth(credential: string | null): Record<string, string> {
    return { authorization: credential === null ? '' : `Bearer ${credential}` };
  }

  get url(): string {
    if (!this.process.gateway) throw new Error('this stack runs no gateway');
    return this.process.gateway.url;
  }

  get wsUrl(): string {
    return this.url.replace(/^http/, 'ws');
  }

  /** One GraphQL request over HTTP. */
  async gql<T = any>(query: string, variables: Record<string, unknown> = {}, headers: Record<string, string> = {}): Promise<GraphQLResult<T>> {
    const response = await fetch(this.url, {
      method: 'POST',
      headers: withoutEmpty({ 'content-type': 'application/json', authorization: `Bearer ${this.adminKey}`, ...headers }),
      body: JSON.stringify({ query, variables }),
    });
    return (await response.json()) as GraphQLResult<T>;
  }

  /** Like `gql`, but fails the test on any GraphQL error and returns `data`. */
  async data<T = any>(query: string, variables: Record<string, unknown> = {}, headers: Record<string, string> = {}): Promise<T> {
    const result = await this.gql<T>(query, variables, headers);
    if (result.errors?.length) throw new Error(`GraphQL errors: ${JSON.stringify(result.errors)}`);
    return result.data as T;
  }

  /** A graphql-ws client (sending the admin key unless `connectionParams` says otherwise); closed with the stack. */
  wsClient(connectionParams: Record<string, unknown> = {}, url = this.wsUrl): WsClient {
    const params = { authorization: `Bearer ${this.adminKey}`, ...connectionParams };
    const client = createClient({ url, webSocketImpl: WebSocket, connectionParams: params, lazy: true, retryAttempts: 0 });
    this.wsClients.push(client);
    return client;
  }

  /** Subscribes and collects messages until `until` says stop (or the timeout passes). */
  async collect<T = any>(query: string, variables: Record<string, unknown>, until: (message: T, all: T[]) => boolean, timeoutMs = 20_000, client = this.wsClient()): Promise<T[]> {
    const messages: T[] = [];
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        dispose();
        reject(new Error(`subscription did not finish in ${timeoutMs} ms; got ${JSON.stringify(messages)}`));
      }, timeoutMs);
      const dispose = client.subscribe<T>(
        { query, variables },
        {
          next: (value) => {
            if (value.errors) {
              clearTimeout(timer);
              dispose();
              reject(new Error(`subscription error: ${JSON.stringify(value.errors)}`));
              return;
            }
            messages.push(value.data as T);
            if (until(value.data as T, messages)) {
              clearTimeout(timer);
              dispose();
              resolve();
            }
          },
          error: (error) => {
            clearTimeout(timer);
            reject(error instanceof Error ? error : new Error(JSON.stringify(error)));
          },
          complete: () => {
            clearTimeout(timer);
            resolve();
          },
        },
      );
    });
    return messages;
  }

  /** Polls an operation until it reaches a terminal status. */
  async waitForOperation(id: string, timeoutMs = 30_000, headers: Record<string, string> = {}): Promise<any> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const { operation } = await this.data(`query($id: ID!) { operation(id: $id) { ${OPERATION_FIELDS} } }`, { id }, headers);
      if (operation && ['SUCCEEDED', 'FAILED', 'CANCELLED'].includes(operation.status)) return operation;
      if (Date.now() > deadline) throw new Error(`operation ${id} did not finish: ${JSON.stringify(operation)}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  /** Calls the emulator's control API. */
  async control(method: string, path: string, body?: unknown): Promise<any> {
    const response = await fetch(`${this.emulator.url}/__emulator${path}`, {
      method,
      headers: body === undefined ? {} : { 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await response.text();
    return text ? JSON.parse(text) : undefined;
  }

  /** Runs the run sync now (instead of waiting for its interval). */
  async syncRuns(): Promise<number> {
    const { syncFlowRuns } = await import('../../../src/jobs/sync-runs.job.js');
    const d = this.process.deps;
    return syncFlowRuns({ store: d.store, platform: d.platform, bus: d.bus, logger: d.logger, tenantId: d.tenantId });
  }

  /**
   * Runs one pass of the dataflow watchdog now, at the emulator's clock (the time runs are
   * produced on), instead of waiting for its interval.
   */
  async watchdogPass(): Promise<import('../../../src/jobs/watchdog.job.js').WatchdogPassResult> {
    const { runWatchdogPass } = await import('../../../src/jobs/watchdog.job.js');
    const { now } = (await this.control('GET', '/clock')) as { now: number };
    const d = this.process.deps;
    return runWatchdogPass({ store: d.store, bus: d.bus, logger: d.logger, webhooks: d.webhooks, policy: this.config.watchdog.policy }, new Date(now * 1000));
  }

  /** A SQL client on this stack's database (for assertions and scans). */
  async sql<T = Record<string, unknown>>(text: string, params: unknown[] = []): Promise<T[]> {
    const client = new Client({ connectionString: this.config.databaseUrl });
    await client.connect();
    try {
      return (await client.query(text, params)).rows as T[];
    } finally {
      await client.end();
    }
  }

  /** The first row of a query that must return one (a count, a row looked up by its id); fails when it returns none. */
  async sqlRow<T = Record<string, unknown>>(text: string, params: unknown[] = []): Promise<T> {
    const [row] = await this.sql<T>(text, params);
    if (row === undefined) throw new Error(`The query returned no row: ${text}`);
    return row;
  }

  /** Every Redis key of this stack's namespace (queues, rate-limit counters), with its value dumped as text. */
  async redisDump(): Promise<Map<string, string>> {
    const out = new Map<string, string>();
    await forEachRedisNode(this.config, async (redis) => {
      for (const pattern of [`${this.config.queuePrefix}*`, `${this.config.redisNamespace}:*`]) {
        let cursor = '0';
        do {
          const [next, keys] = await redis.scan(cursor, 'MATCH', pattern, 'COUNT', 500);
          cursor = next;
          for (const key of keys) out.set(key, await dumpKey(redis, key));
        } while (cursor !== '0');
      }
    });
    return out;
  }

  async stop(): Promise<void> {
    for (const client of this.wsClients) await client.dispose();
    await this.process.stop();
    if (this.ownsEmulator) await this.emulator.stop();
    if (this.ownsNamespace) {
      if (this.dropsDatabase) await dropDatabaseOn(this.pgAdminUrl, this.databaseName);
      await deleteKeys(this.config, `${this.config.queuePrefix}*`);
      await deleteKeys(this.config, `${this.config.redisNamespace}:*`);
    }
  }
}

/** Drops headers set to '' (how a test says "send no credential"). */
function withoutEmpty(headers: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(headers).filter(([, v]) => v !== ''));
}

export const OPERATION_FIELDS =
  'id type status attempts progress message resourceType resourceId requestedBy createdAt updatedAt finishedAt error { code message field platformStatus platformCode retryable }';

export { withDatabase };

/** Drops a test database on the local server. */
export function dropDatabase(name: string): Promise<void> {
  return dropDatabaseOn(PG_ADMIN_URL, name);
}

async function dumpKey(redis: Redis, key: string): Promise<string> {
  const type = await redis.type(key);
  switch (type) {
    case 'string':
      return (await redis.get(key)) ?? '';
    case 'hash':
      return JSON.stringify(await redis.hgetall(key));
    case 'list':
      return JSON.stringify(await redis.lrange(key, 0, -1));
    case 'set':
      return JSON.stringify(await redis.smembers(key));
    case 'zset':
      return JSON.stringify(await redis.zrange(key, 0, -1, 'WITHSCORES'));
    case 'stream':
      return JSON.stringify(await redis.xrange(key, '-', '+'));
    default:
      return '';
  }
}

/** A fresh idempotency-free unique name for test resources. */
export function uniqueName(prefix: string): string {
  return `${prefix} ${randomUUID().slice(0, 8)}`;
}
