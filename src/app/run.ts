import { AdminSessions } from '../auth/admin-sessions.js';
import { ApiKeyService } from '../auth/api-key.service.js';
import { Authenticator } from '../auth/authenticator.js';
import { ensureFirstAdminKey } from '../auth/bootstrap-key.js';
import { JwtVerifier } from '../auth/jwt-verifier.js';
import { startEmulator, type RunningEmulator } from '../../emulator/index.js';
import { ConfigError, loadConfig, type AppConfig } from '../config/config.js';
import { embeddedSecretKey } from '../config/embedded-secret-key.js';
import { startGateway, type RunningGateway } from '../gateway/gateway.js';
import { CallerRateLimiter } from '../graphql/rate-limits.js';
import { HANDLERS } from '../jobs/handlers/index.js';
import type { WorkerDeps } from '../jobs/operation-handler.js';
import { syncFlowRuns } from '../jobs/sync-runs.job.js';
import { runWatchdogPass } from '../jobs/watchdog.job.js';
import { deliverWebhook, settleAttempt } from '../jobs/webhooks/deliver-webhook.job.js';
import { createLogger, type Logger } from '../logging/logger.js';
import { startMetricsServer, type RunningMetricsServer } from '../observability/metrics-server.js';
import type { RunningTracing } from '../observability/tracing-sdk.js';
import { WebhookService } from '../services/webhook.service.js';
import { startWorker, type RunningWorker } from '../worker/worker.js';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { startingResponder } from '../gateway/starting-responder.js';
import { waitForDatabase, waitForRedis, type StartupState } from './dependencies.js';
import { buildProcessDeps, type ProcessDeps } from './process.js';
import { startAuditKeeper } from './audit-keeper.js';
import type { Operation } from '../store/rows.js';

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
  /** `GET /metrics` on METRICS_PORT; null when METRICS_PORT is 0. */
  metricsServer: RunningMetricsServer | null;
  /** The admin key created on a fresh embedded start (printed once), else null. */
  firstAdminKey: string | null;
  /** Graceful: stop taking requests, finish in-flight jobs, close connections. */
  stop(): Promise<void>;
}

export interface StartOptions {
  /** Where a fresh embedded start prints its first admin key; default stdout (never the logger). */
  printFirstKey?: (text: string) => void;
  /** Stops waiting for PostgreSQL or Redis (a shutdown signal before the process started). */
  signal?: AbortSignal;
}

/**
 * Starts the roles asked for, in order: the gateway's port (503 while starting), PostgreSQL
 * (created and migrated) and Redis once reachable, the embedded emulator (when no AEP
 * credentials are configured and it is not already running), then gateway/worker.
 */
export async function startProcess(roles: Roles, config: AppConfig, logger: Logger, options: StartOptions = {}): Promise<RunningProcess> {
  // A gateway answers on its port at once (503 while it waits), so probes and early clients get
  // an answer; the process then waits for PostgreSQL (created and migrated) and Redis instead of
  // exiting without them.
  const state: StartupState = { database: 'waiting', redis: 'waiting' };
  const waitingFor = () => [state.database === 'waiting' && 'database', state.redis === 'waiting' && 'redis'].filter((d): d is string => typeof d === 'string');
  const starting = roles.gateway ? await listenWhileStarting(config, waitingFor) : null;
  if (starting) logger.info({ port: (starting.address() as AddressInfo).port }, 'listening while starting: answering 503 until PostgreSQL and Redis are reachable');
  try {
    await Promise.all([waitForDatabase({ config, logger, state, signal: options.signal }), waitForRedis({ config, logger, state, signal: options.signal })]);
  } catch (error) {
    starting?.close();
    throw error;
  }

  let emulator: RunningEmulator | null = null;
  if (config.platform.mode === 'embedded' && !(await isServing(config.platform.platformUrl))) {
    // The local Platform keeps its state beside Flowgate's own records (schema aep_emulator of the
    // same database, which is why it starts once the database is there), so a restart finds every
    // resource Flowgate knows; its secrets are sealed under Flowgate's secret key.
    const secretKey = config.secretKey ?? embeddedSecretKey(logger)!;
    emulator = await startEmulator({ port: config.platform.emulatorPort, state: { kind: 'postgres', url: config.databaseUrl, schema: EMULATOR_STATE_SCHEMA, key: secretKey.key } }).catch(
      (error: unknown) => {
        starting?.close();
        throw error;
      },
    );
    logger.info({ url: emulator.url, state: `schema ${EMULATOR_STATE_SCHEMA}` }, 'embedded AEP emulator started (no AEP credentials configured)');
  }

  const deps = buildProcessDeps(config, logger);
  const metricsServer =
    config.metrics.port === null || !deps.metrics
      ? null
      : await startMetricsServer({ metrics: deps.metrics, port: config.metrics.port, host: config.metrics.host }).catch(async (error: unknown) => {
          starting?.close();
          await deps.close();
          await emulator?.stop();
          throw error;
        });
  if (metricsServer) logger.info({ port: metricsServer.port, url: metricsServer.url }, `Prometheus metrics on port ${metricsServer.port} (GET /metrics)`);
  const workerDeps: WorkerDeps = {
    store: deps.store,
    platform: deps.platform,
    bus: deps.bus,
    logger,
    tenantId: deps.tenantId,
    webhooks: deps.webhooks,
    // A step of an onboarding finished: the saga moves on at once, in this worker.
    afterOperation: async (operation, input) => {
      if (input.onboardingId) await deps.orchestrator.advance(input.onboardingId, false, stepEnd(operation));
    },
    stepEndRecording: (onboardingId, operation, recording) => deps.orchestrator.recordingEnd(onboardingId, stepEnd(operation), recording),
  };

  const apiKeys = new ApiKeyService({ store: deps.store, bus: deps.bus, logger });
  const authenticator = new Authenticator({ apiKeys: deps.store.apiKeys, jwt: config.auth.jwt ? new JwtVerifier(config.auth.jwt) : null, logger });
  const gateway = roles.gateway
    ? await startGateway({
        services: {
          store: deps.store,
          requests: deps.requests,
          explore: deps.explore,
          onboardings: deps.onboardings,
          bus: deps.bus,
          logger,
          tenantId: config.platform.tenant,
          apiKeys,
          authenticator,
          webhookService: new WebhookService({ store: deps.store, dispatcher: deps.webhooks, allowPrivateNetworks: config.webhooks.allowPrivateNetworks }),
        },
        sandbox: config.platform.sandbox,
        knownSandboxes: () => config.platform.sandboxes,
        port: config.port,
        httpServer: starting ?? undefined,
        requestTimeoutSeconds: config.requestTimeoutSeconds,
        readiness: deps.readiness,
        metrics: deps.metrics ?? undefined,
        queueDashboard: {
          queues: [deps.operationsQueue, deps.onboardingQueue, deps.webhooksQueue, deps.maintenanceQueue],
          sessions: new AdminSessions({ redis: deps.redis, keyPrefix: config.redisNamespace, authenticator, apiKeys: deps.store.apiKeys, ttlSeconds: config.admin.sessionSeconds }),
          sessionSeconds: config.admin.sessionSeconds,
          logger,
        },
        introspection: config.graphql.introspection,
        limits: config.graphql,
        rateLimiter: new CallerRateLimiter({ redis: deps.redis, keyPrefix: config.redisNamespace, limits: config.rateLimits, logger }),
        authenticator,
        bus: deps.bus,
        socketRecheckSeconds: config.auth.socketRecheckSeconds,
        corsOrigins: config.cors.origins,
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
        connection: deps.redisConnections.bullmq('worker'),
        prefix: config.queuePrefix,
        concurrency: config.workerConcurrency,
        lockSeconds: config.workerLockSeconds,
        maintenanceCheckMs: config.maintenanceCheckSeconds * 1000,
        operationsQueue: deps.operationsQueue,
        maintenanceQueue: deps.maintenanceQueue,
        syncRuns: () => syncFlowRuns(workerDeps),
        orchestrator: deps.orchestrator,
        runSyncIntervalMs: config.runSyncIntervalSeconds * 1000,
        watchDataflows: async () => {
          const pass = await runWatchdogPass({ store: deps.store, bus: deps.bus, logger, webhooks: deps.webhooks, policy: config.watchdog.policy });
          deps.metrics?.watchdogPass(pass);
          return pass;
        },
        watchdogIntervalMs: config.watchdog.intervalSeconds * 1000,
        verifyAuditChain: async () => {
          const report = await deps.store.auditChain.verify();
          if (!report.ok) logger.error({ firstBrokenEventId: report.firstBrokenEventId, reason: report.reason }, 'the audit hash chain does not verify');
          return { ok: report.ok, checkedEvents: report.checkedEvents };
        },
        auditVerifyIntervalMs: config.auditVerifyIntervalSeconds * 1000,
        deliverWebhook: async (deliveryId, lastAttempt) => {
          const outcome = await deliverWebhook({ store: deps.store, sender: deps.webhookSender, logger }, deliveryId, lastAttempt);
          deps.metrics?.webhookAttempt(outcome);
          settleAttempt(outcome, deliveryId);
        },
        reconcileWebhooks: async (graceMs) => {
          const requeued = await deps.webhooks.reconcile(graceMs);
          deps.metrics?.requeued('webhook_delivery', requeued);
          return requeued;
        },
        metrics: deps.metrics ?? undefined,
        watchErrors: (worker, name) => deps.redisConnections.watch(worker, name),
        webhookConcurrency: config.webhooks.concurrency,
      })
    : null;

  const auditKeeper = startAuditKeeper({
    sealer: deps.store.auditSealer,
    archive: deps.store.auditArchive,
    vacuum: deps.store.auditVacuum,
    logger,
    sealIntervalMs: config.audit.sealIntervalMs,
    retentionDays: config.audit.retentionDays,
  });

  return {
    deps,
    gateway,
    worker,
    emulator,
    metricsServer,
    firstAdminKey,
    stop: async () => {
      await gateway?.stop();
      await worker?.stop();
      await auditKeeper.stop();
      await metricsServer?.stop();
      await deps.close();
      await emulator?.stop();
    },
  };
}

/** Entry point shared by `npm start`, `start:gateway` and `start:worker`. */
export async function main(roles: Roles, options: { tracing?: RunningTracing | null } = {}): Promise<void> {
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
  // Signals are handled from the start: one that arrives while the process still waits for
  // PostgreSQL or Redis stops the wait (and the process) at once.
  const starting = new AbortController();
  let running: RunningProcess | null = null;
  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, running ? 'shutting down: finishing in-flight work' : 'shutting down before the process started');
    starting.abort();
    try {
      // Bounded: closing BullMQ's workers and queues waits for Redis, forever while it is down.
      // What is left unfinished is not lost: PostgreSQL holds every operation, and once their
      // heartbeats stop, the reconciler and the onboarding sweep of another worker take them over.
      const timeoutSeconds = config.shutdownTimeoutSeconds;
      if (!(await settlesWithin(running?.stop(), timeoutSeconds * 1000))) {
        logger.warn(
          { timeoutSeconds },
          'shutdown did not finish within SHUTDOWN_TIMEOUT_SECONDS (Redis or PostgreSQL unreachable, or a job still running): exiting anyway; unfinished work is run again from PostgreSQL',
        );
      }
      // The last spans leave before the process does.
      await settlesWithin(
        options.tracing?.shutdown().catch(() => undefined),
        timeoutSeconds * 1000,
      );
      process.exit(0);
    } catch (error) {
      logger.error({ err: error }, 'shutdown failed');
      process.exit(1);
    }
  };
  process.on('SIGINT', () => void shutdown('SIGINT'));
  process.on('SIGTERM', () => void shutdown('SIGTERM'));

  try {
    running = await startProcess(roles, config, logger, { signal: starting.signal });
  } catch (error) {
    if (stopping) return;
    logger.fatal({ err: error }, 'the process could not start');
    process.exit(1);
  }
  if (running.gateway) logger.info({ url: running.gateway.url }, `GraphQL API on ${running.gateway.url} (subscriptions: ws on the same URL)`);
  if (running.worker) logger.info({ concurrency: config.workerConcurrency }, 'worker processing operations');
}

/** Whether `work` settles (resolves, or rejects: rethrown) within `ms`. */
async function settlesWithin(work: Promise<unknown> | undefined, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<false>((resolve) => (timer = setTimeout(() => resolve(false), ms)));
  try {
    return await Promise.race([Promise.resolve(work).then(() => true as const), timedOut]);
  } finally {
    clearTimeout(timer);
  }
}

/** Opens the gateway's port with the starting responder (see gateway/starting-responder.ts). */
async function listenWhileStarting(config: AppConfig, waitingFor: () => string[]): Promise<Server> {
  const server = createServer(startingResponder(waitingFor));
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(config.port, '0.0.0.0', () => {
      server.off('error', reject);
      resolve();
    });
  });
  return server;
}

async function isServing(baseUrl: string): Promise<boolean> {
  try {
    const response = await fetch(`${baseUrl}/__emulator`, { signal: AbortSignal.timeout(500) });
    return response.ok;
  } catch {
    return false;
  }
}

/** An onboarding step operation's end, as the orchestrator tracks it (its step key is in its input). */
function stepEnd(operation: Operation): { key: string; step: string } {
  const { stepKey } = operation.input as { stepKey?: unknown };
  return { key: operation.id, step: typeof stepKey === 'string' ? stepKey : operation.id };
}
