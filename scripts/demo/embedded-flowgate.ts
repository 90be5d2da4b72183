import { randomBytes } from 'node:crypto';
import { PassThrough } from 'node:stream';
import { Redis } from 'ioredis';
import { Client } from 'pg';
import { startProcess, type RunningProcess } from '../../src/app/run.js';
import { loadConfig } from '../../src/config/config.js';
import { createLogger } from '../../src/logging/logger.js';
import { deleteKeys, dropDatabase, freePort, withDatabase } from '../../test/support/local-services.js';

export interface EmbeddedFlowgateOptions {
  /** PostgreSQL server to create the throwaway database on. Default `DATABASE_URL`, else the local server. */
  databaseUrl?: string;
  /** Redis server. Default `REDIS_URL`, else the local one. */
  redisUrl?: string;
  /** Seconds between two run syncs of the worker. */
  runSyncIntervalSeconds: number;
}

export interface EmbeddedFlowgate {
  /** GraphQL over HTTP; WebSocket subscriptions on the same URL with `ws:`. */
  graphqlUrl: string;
  /** The admin API key the fresh embedded start created (the demo keeps it off the screen). */
  adminKey: string;
  /** Base URL of the embedded emulator (its control API is under `/__emulator`). */
  emulatorUrl: string;
  /** The last log lines of the process, for a failure report. */
  logTail(lines: number): string[];
  /** Stops gateway, worker and emulator, then drops the database and the Redis keys. */
  stop(): Promise<void>;
}

/**
 * `npm start` for a demo: gateway, worker and the embedded AEP emulator in this process, on a
 * database and a Redis key prefix of their own that are removed again on `stop()`. Only the
 * database server and Redis come from the environment; no AEP credentials are passed on, so
 * the emulator is always the Platform here.
 */
export async function startEmbeddedFlowgate(options: EmbeddedFlowgateOptions): Promise<EmbeddedFlowgate> {
  const suffix = randomBytes(4).toString('hex');
  const serverUrl = options.databaseUrl ?? process.env.DATABASE_URL ?? 'postgresql://postgres@127.0.0.1:5432/postgres';
  const databaseName = `flowgate_demo_${suffix}`;
  const databaseUrl = withDatabase(serverUrl, databaseName);
  const redisUrl = options.redisUrl ?? process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
  const config = loadConfig({
    DATABASE_URL: databaseUrl,
    REDIS_URL: redisUrl,
    PORT: '0',
    QUEUE_PREFIX: `flowgate-demo-${suffix}`,
    // A free port, so a Flowgate already running on 4010 is neither reused nor disturbed.
    EMULATOR_PORT: String(await freePort()),
    // A throwaway key: the database holding the sealed token is dropped at the end anyway.
    FLOWGATE_SECRET_KEY: randomBytes(32).toString('hex'),
    RUN_SYNC_INTERVAL_SECONDS: String(options.runSyncIntervalSeconds),
    LOG_LEVEL: 'info',
    // The demo is a throwaway deployment beside whatever runs here: no metrics port.
    METRICS_PORT: '0',
  });

  await checkServices(serverUrl, redisUrl);

  const logLines: string[] = [];
  const logStream = new PassThrough();
  logStream.on('data', (chunk: Buffer) => {
    logLines.push(...chunk.toString('utf8').split('\n').filter(Boolean));
    if (logLines.length > 500) logLines.splice(0, logLines.length - 500);
  });
  const logger = createLogger({ level: config.logLevel, destination: logStream });

  // startProcess creates the database (ensureDatabase) and applies the migrations.
  let running: RunningProcess | null = null;
  const cleanUp = async () => {
    await running?.stop();
    await dropDatabase(serverUrl, databaseName);
    await deleteKeys(redisUrl, `${config.queuePrefix}*`);
  };
  try {
    running = await startProcess({ gateway: true, worker: true }, config, logger, { printFirstKey: () => undefined });
  } catch (error) {
    await cleanUp().catch(() => undefined);
    throw error;
  }
  if (!running.gateway || !running.emulator || !running.firstAdminKey) {
    await cleanUp();
    throw new Error('the embedded process started without its gateway or emulator');
  }
  return {
    graphqlUrl: running.gateway.url,
    adminKey: running.firstAdminKey,
    emulatorUrl: running.emulator.url,
    logTail: (lines) => logLines.slice(-lines),
    stop: cleanUp,
  };
}

/** Fails fast, naming the variable to fix, when PostgreSQL or Redis cannot be reached. */
async function checkServices(serverUrl: string, redisUrl: string): Promise<void> {
  const postgres = new Client({ connectionString: withDatabase(serverUrl, 'postgres'), connectionTimeoutMillis: 3000 });
  try {
    await postgres.connect();
  } catch (error) {
    throw new Error(`cannot reach PostgreSQL at ${withoutPassword(serverUrl)} (set DATABASE_URL): ${(error as Error).message}`);
  } finally {
    await postgres.end().catch(() => undefined);
  }
  const redis = new Redis(redisUrl, { lazyConnect: true, connectTimeout: 3000, maxRetriesPerRequest: 0, retryStrategy: () => null });
  let cause: Error | null = null;
  redis.on('error', (error: Error) => (cause = error)); // reported below, with the socket's own reason
  try {
    await redis.connect();
    await redis.ping();
  } catch (error) {
    throw new Error(`cannot reach Redis at ${withoutPassword(redisUrl)} (set REDIS_URL): ${(cause ?? (error as Error)).message}`);
  } finally {
    redis.disconnect();
  }
}

function withoutPassword(url: string): string {
  const u = new URL(url);
  if (u.password) u.password = '***';
  return u.toString();
}
