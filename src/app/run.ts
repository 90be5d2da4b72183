import { ApiKeyService } from '../auth/api-key.service.js';
import { Authenticator } from '../auth/authenticator.js';
import { ensureFirstAdminKey } from '../auth/bootstrap-key.js';
import { JwtVerifier } from '../auth/jwt-verifier.js';
import { startEmulator, type RunningEmulator } from '../../emulator/index.js';
import { ConfigError, loadConfig, type AppConfig } from '../config/config.js';
import { embeddedSecretKey } from '../config/embedded-secret-key.js';
import { startGateway, type RunningGateway } from '../gateway/gateway.js';
import { ReadinessCheck } from '../gateway/readiness.js';
import { CallerRateLimiter } from '../graphql/rate-limits.js';
import { HANDLERS } from '../jobs/handlers/index.js';
import type { WorkerDeps } from '../jobs/operation-handler.js';
import { syncFlowRuns } from '../jobs/sync-runs.job.js';
import { createLogger, type Logger } from '../logging/logger.js';
import { applyMigrations, ensureDatabase } from '../store/migrations.js';
import { startWorker, type RunningWorker } from '../worker/worker.js';
import { bullConnection, buildProcessDeps, type ProcessDeps } from './process.js';

/** The schema of Flowgate's database where the embedded emulator keeps its state. */
export const EMULATOR_STATE_SCHEMA = 'aep_emulator';

export interface Roles {
  gateway: boolean;
  worker: boolean;
}

export interface RunningProcess {
  deps: ProcessDeps;
  gateway: RunningGateway | null;
  worker: RunningWorker | null;
  emulator: RunningEmulator | null;
  /** The admin key created on a fresh embedded start (printed once), else null. */
  firstAdminKey: string | null;
  /** Graceful: stop taking requests, finish in-flight jobs, close connections. */
  stop(): Promise<void>;
}

/**
 * Starts the roles asked for, in order: configuration, the embedded emulator (when no AEP
 * credentials are configured and it is not already running), migrations, then gateway/worker.
 */
export interface StartOptions {
  /** Where a fresh embedded start prints its first admin key; default stdout (never the logger). */
  printFirstKey?: (text: string) => void;
}

export async function startProcess(roles: Roles, config: AppConfig, logger: Logger, options: StartOptions = {}): Promise<RunningProcess> {
  if (await ensureDatabase(config.databaseUrl)) logger.info('database created');
  let emulator: RunningEmulator | null = null;
  if (config.platform.mode === 'embedded' && !(await isServing(config.platform.platformUrl))) {
    // The local Platform keeps its state beside Flowgate's own records (schema aep_emulator of the
    // same database), so a restart finds every resource Flowgate knows; its secrets are sealed
    // under Flowgate's secret key.
    const secretKey = config.secretKey ?? embeddedSecretKey(logger)!;
    emulator = await startEmulator({ port: config.platform.emulatorPort, state: { kind: 'postgres', url: config.databaseUrl, schema: EMULATOR_STATE_SCHEMA, key: secretKey.key } });
    logger.info({ url: emulator.url, state: `schema ${EMULATOR_STATE_SCHEMA}` }, 'embedded AEP emulator started (no AEP credentials configured)');
  }

  const migrations = await applyMigrations(config.databaseUrl);
  if (migrations.applied.length > 0) logger.info({ applied: migrations.applied }, 'database migrations applied');

  const deps = buildProcessDeps(config, logger);
  const workerDeps: WorkerDeps = {
    store: deps.store,
    platform: deps.platform,
    bus: deps.bus,
    logger,
    tenantId: deps.tenantId,
    // A step of an onboarding finished: the saga moves on at once, in this worker.
    afterOperation: async (_operation, input) => {
      if (input.onboardingId) await deps.orchestrator.advance(input.onboardingId);
    },
  };

  const apiKeys = new ApiKeyService({ store: deps.store, bus: deps.bus, logger });
  const authenticator = new Authenticator({ apiKeys: deps.store.apiKeys, jwt: config.auth.jwt ? new JwtVerifier(config.auth.jwt) : null, logger });
  const gateway = roles.gateway
    ? await startGateway({
        services: { store: deps.store, requests: deps.requests, explore: deps.explore, onboardings: deps.onboardings, bus: deps.bus, logger, tenantId: config.platform.tenant, apiKeys, authenticator },
        sandbox: config.platform.sandbox,
        port: config.port,
        readiness: new ReadinessCheck({ store: deps.store, redis: deps.redis, platform: deps.platform }),
        introspection: config.graphql.introspection,
        limits: config.graphql,
        rateLimiter: new CallerRateLimiter({ redis: deps.redis, keyPrefix: config.queuePrefix, limits: config.rateLimits, logger }),
        authenticator,
        bus: deps.bus,
        socketRecheckSeconds: config.auth.socketRecheckSeconds,
      })
    : null;
  // The quick start: a fresh embedded deployment has no keys, so nobody could call it yet.
  const firstAdminKey =
    gateway && config.platform.mode === 'embedded'
      ? await ensureFirstAdminKey({ store: deps.store, apiKeys, sandbox: config.platform.sandbox, graphqlUrl: `http://localhost:${gateway.port}/graphql`, write: options.printFirstKey })
      : null;

  const worker = roles.worker
    ? await startWorker({
        deps: workerDeps,
        handlers: HANDLERS,
        connection: bullConnection(config.redisUrl),
        prefix: config.queuePrefix,
        concurrency: config.workerConcurrency,
        lockSeconds: config.workerLockSeconds,
        maintenanceCheckMs: config.maintenanceCheckSeconds * 1000,
        operationsQueue: deps.operationsQueue,
        maintenanceQueue: deps.maintenanceQueue,
        syncRuns: () => syncFlowRuns(workerDeps),
        orchestrator: deps.orchestrator,
        runSyncIntervalMs: config.runSyncIntervalSeconds * 1000,
      })
    : null;

  return {
    deps,
    gateway,
    worker,
    emulator,
    firstAdminKey,
    stop: async () => {
      await gateway?.stop();
      await worker?.stop();
      await deps.close();
      await emulator?.stop();
    },
  };
}

/** Entry point shared by `npm start`, `start:gateway` and `start:worker`. */
export async function main(roles: Roles): Promise<void> {
  let config: AppConfig;
  try {
    config = loadConfig(process.env);
  } catch (error) {
    if (error instanceof ConfigError) {
      console.error(error.message);
      process.exit(2);
    }
    throw error;
  }
  const logger = createLogger({ level: config.logLevel, base: { role: [roles.gateway && 'gateway', roles.worker && 'worker'].filter(Boolean).join('+') } });
  const running = await startProcess(roles, config, logger);
  if (running.gateway) logger.info({ url: running.gateway.url }, `GraphQL API on ${running.gateway.url} (subscriptions: ws on the same URL)`);
  if (running.worker) logger.info({ concurrency: config.workerConcurrency }, 'worker processing operations');

  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'shutting down: finishing in-flight work');
    try {
      await running.stop();
      process.exit(0);
    } catch (error) {
      logger.error({ err: error }, 'shutdown failed');
      process.exit(1);
    }
  };
  process.on('SIGINT', () => void shutdown('SIGINT'));
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
}

async function isServing(baseUrl: string): Promise<boolean> {
  try {
    const response = await fetch(`${baseUrl}/__emulator`, { signal: AbortSignal.timeout(500) });
    return response.ok;
  } catch {
    return false;
  }
}
