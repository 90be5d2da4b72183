import type { AppConfig } from '../config/config.js';
import { embeddedSecretKey } from '../config/embedded-secret-key.js';
import { ReadinessCheck } from '../gateway/readiness.js';
import { createMaintenanceQueue, createOnboardingQueue, createOperationsQueue, createWebhooksQueue } from '../jobs/queues.js';
import { OnboardingOrchestrator } from '../jobs/onboarding/orchestrator.js';
import { WebhookDispatcher } from '../jobs/webhooks/webhook-dispatcher.js';
import { WebhookSender } from '../jobs/webhooks/webhook-sender.js';
import type { Logger } from '../logging/logger.js';
import { FlowgateMetrics } from '../observability/metrics.js';
import { RedisCallBudget } from '../platform/call-budget.js';
import { createPlatformClient, type PlatformClient } from '../platform/platform-client.js';
import { EventBus, eventChannelPrefix } from '../pubsub/event-bus.js';
import { RedisConnections, type RedisClient } from '../redis/redis-connections.js';
import { ExploreService } from '../services/explore.service.js';
import { OnboardingRequests } from '../services/onboarding-requests.js';
import { OperationRequests } from '../services/operation-requests.js';
import { createDatabase } from '../store/prisma.js';
import { SecretBox } from '../store/secret-box.js';
import { Store } from '../store/store.js';

/** The singletons a Flowgate process (gateway, worker or both) is built from. */
export interface ProcessDeps {
  config: AppConfig;
  logger: Logger;
  store: Store;
  /** Opens every Redis connection of the process (single Redis or cluster); closes them on `close()`. */
  redisConnections: RedisConnections;
  /** Commands and publishing. */
  redis: RedisClient;
  /** The process's one subscriber connection. */
  redisSubscriber: RedisClient;
  bus: EventBus;
  platform: PlatformClient;
  operationsQueue: ReturnType<typeof createOperationsQueue>;
  maintenanceQueue: ReturnType<typeof createMaintenanceQueue>;
  onboardingQueue: ReturnType<typeof createOnboardingQueue>;
  webhooksQueue: ReturnType<typeof createWebhooksQueue>;
  /** Records and enqueues webhook deliveries (alerts, failed operations, finished onboardings, tests). */
  webhooks: WebhookDispatcher;
  /** Posts webhook deliveries, under the SSRF rules (worker). */
  webhookSender: WebhookSender;
  orchestrator: OnboardingOrchestrator;
  onboardings: OnboardingRequests;
  requests: OperationRequests;
  explore: ExploreService;
  tenantId: () => Promise<string>;
  /** This process's Prometheus metrics, served on METRICS_PORT; null when METRICS_PORT is 0 (nothing is counted then). */
  metrics: FlowgateMetrics | null;
  /** Whether PostgreSQL, Redis and the Platform token are usable (`/readyz`, the readiness gauges). */
  readiness: ReadinessCheck;
  close(): Promise<void>;
}

export function buildProcessDeps(config: AppConfig, logger: Logger): ProcessDeps {
  // METRICS_PORT=0 turns metrics off entirely: no hook counts anything.
  const metrics = config.metrics.port === null ? null : new FlowgateMetrics();
  const secretKey = config.secretKey ?? embeddedSecretKey(logger)!;
  const database = createDatabase(config.databaseUrl, {
    poolSize: config.databasePoolSize,
    connectTimeoutMs: config.databaseConnectTimeoutMs,
    onIdleError: (error) => logger.warn({ err: error.message }, 'an idle database connection was closed; it will be replaced'),
  });
  const store = new Store(database, new SecretBox(secretKey, config.previousSecretKeys), { auditExactCountLimit: config.audit.exactCountLimit, observer: metrics?.storeObserver() });
  // While Redis restarts, each reconnection attempt reports an error (logged by the connections
  // module); ioredis reconnects (and re-subscribes) by itself.
  const redisConnections = new RedisConnections({ target: config, logger });
  const redis = redisConnections.open('commands', 'command');
  const redisSubscriber = redisConnections.open('subscriber', 'subscriber');
  const bus = new EventBus({
    publisher: redis,
    awaitedPublisher: redisConnections.open('commands', 'event publisher', { enableAutoPipelining: false }),
    subscriber: redisSubscriber,
    prefix: eventChannelPrefix(config.redisNamespace),
    pubSub: redisConnections.pubSub,
    logger,
  });
  const platform = createPlatformClient({
    platformUrl: config.platform.platformUrl,
    imsUrl: config.platform.imsUrl,
    clientId: config.platform.clientId,
    clientSecret: config.platform.clientSecret,
    orgId: config.platform.orgId,
    sandbox: config.platform.sandbox,
    // One allowance per org and sandbox for every gateway and worker process sharing this Redis,
    // asked on a connection of its own without auto-pipelining: every Platform call waits for it,
    // and on the shared connection it waited for the next tick and for the pipeline in flight
    // (an onboarding's state, published at the same moment).
    budget: new RedisCallBudget({
      redis: redisConnections.open('commands', 'call budget', { enableAutoPipelining: false }),
      callsPerSecond: config.platformCallsPerSecond,
      orgId: config.platform.orgId,
      prefix: config.queuePrefix,
      logger,
    }),
    logger: {
      debug: (o: object, m?: string) => logger.debug(o, m),
      info: (o: object, m?: string) => logger.info(o, m),
      warn: (o: object, m?: string) => logger.warn(o, m),
      error: (o: object, m?: string) => logger.error(o, m),
    },
    observer: metrics?.platformObserver(),
  });
  // Producers only add jobs (no blocking commands), so their connection can auto-pipeline too.
  const queueOptions = { connection: redisConnections.bullmq('queue producer', { enableAutoPipelining: true }), prefix: config.queuePrefix };
  const operationsQueue = createOperationsQueue(queueOptions);
  const maintenanceQueue = createMaintenanceQueue(queueOptions);
  const onboardingQueue = createOnboardingQueue(queueOptions);
  const webhooksQueue = createWebhooksQueue(queueOptions);
  // A Queue without an `error` listener prints every reconnection failure's stack to stderr.
  for (const queue of [operationsQueue, maintenanceQueue, onboardingQueue, webhooksQueue]) redisConnections.watch(queue, `${queue.name} queue`);
  const webhooks = new WebhookDispatcher({ store, queue: webhooksQueue, logger, maxAttempts: config.webhooks.maxAttempts });
  const webhookSender = new WebhookSender({
    allowPrivateNetworks: config.webhooks.allowPrivateNetworks,
    timeoutMs: config.webhooks.timeoutMs,
    maxResponseBytes: config.webhooks.maxResponseBytes,
  });
  const orchestrator = new OnboardingOrchestrator({
    store,
    operationsQueue,
    onboardingQueue,
    bus,
    platform,
    logger,
    concurrency: config.onboardingConcurrency,
    runningStaleMs: config.workerLockSeconds * 1000,
    webhooks,
  });
  const onboardings = new OnboardingRequests({ store, queue: onboardingQueue, logger, fingerprintKey: secretKey.key, webhooks });
  const requests = new OperationRequests({ store, queue: operationsQueue, bus, logger, fingerprintKey: secretKey.key });
  const explore = new ExploreService({ platform, ttlSeconds: config.exploreCacheSeconds });
  const readiness = new ReadinessCheck({ store, redis: () => redisConnections.verify(redis), platform });
  const queues = [operationsQueue, onboardingQueue, webhooksQueue, maintenanceQueue];
  metrics?.setScrapeSources({
    queueJobs: async () =>
      Object.fromEntries(await Promise.all(queues.map(async (queue) => [queue.name, queueStates(await queue.getJobCounts('waiting', 'prioritized', 'active', 'delayed', 'failed'))] as const))),
    onboardingsByStatus: () => store.metricsReads.onboardingsByStatus(),
    openAlerts: () => store.metricsReads.openAlerts(),
    auditEventsWritten: () => store.metricsReads.auditEventsWritten(),
    readiness: async () => {
      const report = await readiness.check();
      return { postgresql: report.checks.database.ok, redis: report.checks.redis.ok, platform_token: report.checks.platform.ok };
    },
  });

  let tenant: Promise<string> | null = config.platform.tenant ? Promise.resolve(config.platform.tenant) : null;
  const tenantId = () => {
    tenant ??= platform.schemaRegistry.getTenantId({ sandbox: config.platform.sandbox }).catch((error: unknown) => {
      tenant = null;
      throw error;
    });
    return tenant;
  };

  return {
    config,
    logger,
    store,
    redisConnections,
    redis,
    redisSubscriber,
    bus,
    platform,
    operationsQueue,
    maintenanceQueue,
    onboardingQueue,
    webhooksQueue,
    webhooks,
    webhookSender,
    orchestrator,
    onboardings,
    requests,
    explore,
    tenantId,
    metrics,
    readiness,
    close: async () => {
      await Promise.allSettled([operationsQueue.close(), maintenanceQueue.close(), onboardingQueue.close(), webhooksQueue.close(), bus.close()]);
      await Promise.allSettled([redisConnections.close(), store.close(), platform.close()]);
    },
  };
}

/** BullMQ's counts as the metric's states: prioritized jobs are waiting too (they only wait in another list). */
function queueStates(counts: Record<string, number>): Record<string, number> {
  return { waiting: (counts.waiting ?? 0) + (counts.prioritized ?? 0), active: counts.active ?? 0, delayed: counts.delayed ?? 0, failed: counts.failed ?? 0 };
}
