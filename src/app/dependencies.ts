import type { AppConfig } from '../config/config.js';
import { isDatabaseUnavailable } from '../errors/database-unavailable.js';
import type { Logger } from '../logging/logger.js';
import { RedisConnections, RedisModeMismatchError } from '../redis/redis-connections.js';
import { applyMigrations, ensureDatabase } from '../store/migrations.js';

/** What a starting process waits for, and whether it has it yet (`/readyz` shows it while the process starts). */
export interface StartupState {
  database: 'waiting' | 'ready';
  redis: 'waiting' | 'ready';
}

export interface WaitOptions {
  config: AppConfig;
  logger: Logger;
  /** Updated as each dependency becomes reachable. */
  state: StartupState;
  /** Aborts the wait (the process is asked to stop before it started). */
  signal?: AbortSignal;
}

/** How often a dependency that stays unreachable is logged again (the first failure is logged at once). */
const REMIND_EVERY_MS = 30_000;

/**
 * Waits until PostgreSQL is reachable, then creates the database if it is missing and applies
 * the migrations. While it cannot be reached (refused, starting, cut), it logs one clear line,
 * then a reminder every 30 s, and tries again every STARTUP_RETRY_SECONDS — a process started
 * before its database (a reboot, an orchestrator starting everything at once) serves as soon as
 * the database is there, instead of exiting. Any other error (bad credentials, a broken
 * migration) is thrown: retrying would not help.
 */
export async function waitForDatabase(options: WaitOptions): Promise<void> {
  const { config, logger } = options;
  await retryUntilReachable(options, 'PostgreSQL', isDatabaseUnavailable, async () => {
    if (await ensureDatabase(config.databaseUrl)) logger.info('database created');
    const migrations = await applyMigrations(config.databaseUrl);
    if (migrations.applied.length > 0) logger.info({ applied: migrations.applied }, 'database migrations applied');
  });
  options.state.database = 'ready';
}

/**
 * Waits until Redis answers (a throwaway connection that does not retry on its own), with the
 * same logging and pace as `waitForDatabase`; on a cluster, until every slot is served. The
 * process's long-lived connections are only opened afterwards, so nothing starts
 * half-connected. A Redis that is not what the configuration says (REDIS_URL naming a cluster
 * node, whose answers would all be MOVED, or the other way round) fails at once with one clear
 * line: waiting would not help.
 */
export async function waitForRedis(options: WaitOptions): Promise<void> {
  const connections = new RedisConnections({ target: options.config, logger: options.logger });
  try {
    await retryUntilReachable(
      options,
      options.config.redisClusterNodes ? 'the Redis Cluster' : 'Redis',
      (error) => !(error instanceof RedisModeMismatchError),
      () => connections.probe(),
    );
  } catch (error) {
    if (error instanceof RedisModeMismatchError) options.logger.error({ err: error.message }, error.message);
    throw error;
  }
  options.state.redis = 'ready';
}

async function retryUntilReachable(options: WaitOptions, what: string, isUnreachable: (error: unknown) => boolean, attempt: () => Promise<void>): Promise<void> {
  const { logger, signal } = options;
  const retryMs = options.config.startupRetrySeconds * 1000;
  const since = Date.now();
  let lastLogged = 0;
  for (;;) {
    try {
      await attempt();
      if (lastLogged > 0) logger.info({ waitedSeconds: Math.round((Date.now() - since) / 1000) }, `${what} is reachable; starting`);
      return;
    } catch (error) {
      if (!isUnreachable(error)) throw error;
      const now = Date.now();
      if (lastLogged === 0 || now - lastLogged >= REMIND_EVERY_MS) {
        lastLogged = now;
        logger.warn(
          { err: describe(error), waitedSeconds: Math.round((now - since) / 1000), retrySeconds: options.config.startupRetrySeconds },
          `${what} is unreachable; waiting for it (retrying every ${options.config.startupRetrySeconds} s)`,
        );
      }
    }
    if (signal?.aborted) throw new Error(`stopped while waiting for ${what}`);
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, retryMs);
      signal?.addEventListener('abort', () => {
        clearTimeout(timer);
        resolve();
      });
    });
  }
}

/** A connection error's code and message, without stacks (the host and port are the operator's to see). */
function describe(error: unknown): string {
  const e = error as { code?: unknown; message?: unknown };
  return [typeof e.code === 'string' ? e.code : null, typeof e.message === 'string' ? e.message : String(error)].filter(Boolean).join(': ');
}
