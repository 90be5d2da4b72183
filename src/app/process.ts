import { Redis } from 'ioredis';
import type { AppConfig } from '../config/config.js';
import { embeddedSecretKey } from '../config/embedded-secret-key.js';
import { createMaintenanceQueue, createOnboardingQueue, createOperationsQueue, createWebhooksQueue } from '../jobs/queues.js';
import { OnboardingOrchestrator } from '../jobs/onboarding/orchestrator.js';
import { WebhookDispatcher } from '../jobs/webhooks/webhook-dispatcher.js';
import { WebhookSender } from '../jobs/webhooks/webhook-sender.js';
import type { Logger } from '../logging/logger.js';
import { RedisCallBudget } from '../platform/call-budget.js';
import { createPlatformClient, type PlatformClient } from '../platform/platform-client.js';
import { EventBus } from '../pubsub/event-bus.js';
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
  /** Commands and publishing. */
  redis: Redis;
  /** The process's one subscriber connection. */
  redisSubscriber: Redis;
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
  close(): Promise<void>;
}

/** BullMQ wants its own connection settings (no per-request retry limit for blocking commands). */
export function bullConnection(redisUrl: string) {
  const url = new URL(redisUrl);
  return {
    host: url.hostname,
    port: Number(url.port || 6379),
    ...(url.password ? { password: decodeURIComponent(url.password) } : {}),
    ...(url.username ? { username: decodeURIComponent(url.username) } : {}),
    db: url.pathname.length > 1 ? Number(url.pathname.slice(1)) : 0,
    maxRetriesPerRequest: null,
  };
}

export function buildProcessDeps(config: AppConfig, logger: Logger): ProcessDeps {
  const secretKey = config.secretKey ?? embeddedSecretKey(logger)!;
  const database = createDatabase(config.databaseUrl, {
    poolSize: config.databasePoolSize,
    connectTimeoutMs: config.databaseConnectTimeoutMs,
    onIdleError: (error) => logger.warn({ err: error.message }, 'an idle database connection was closed; it will be replaced'),
  });
  const store = new Store(database, new SecretBox(secretKey, config.previousSecretKeys), { auditExactCountLimit: config.audit.exactCountLimit });
  // Auto-pipelining sends the publishes and reads issued in one tick as one write.
  const redis = new Redis(config.redisUrl, { maxRetriesPerRequest: 3, enableAutoPipelining: true });
  const redisSubscriber = new Redis(config.redisUrl, { maxRetriesPerRequest: null });
  // While Redis restarts, each reconnection attempt reports an error; ioredis reconnects (and
  // re-subscribes) by itself. Without listeners they would go to stderr as "unhandled".
  redis.on('error', (error: Error) => logger.warn({ err: error.message }, 'Redis connection error; reconnecting'));
  redisSubscriber.on('error', (error: Error) => logger.warn({ err: error.message }, 'Redis subscriber connection error; reconnecting'));
  const bus = new EventBus({ publisher: redis, subscriber: redisSubscriber, prefix: `${config.queuePrefix}:events:`, logger });
  const platform = createPlatformClient({
    platformUrl: config.platform.platformUrl,
    imsUrl: config.platform.imsUrl,
    clientId: config.platform.clientId,
    clientSecret: config.platform.clientSecret,
    orgId: config.platform.orgId,
    sandbox: config.platform.sandbox,
    // One allowance per org and sandbox for every gateway and worker process sharing this Redis.
    budget: new RedisCallBudget({ redis, callsPerSecond: config.platformCallsPerSecond, orgId: config.platform.orgId, prefix: config.queuePrefix, logger }),
    logger: {
      debug: (o: object, m?: string) => logger.debug(o, m),
      info: (o: object, m?: string) => logger.info(o, m),
      warn: (o: object, m?: string) => logger.warn(o, m),
      error: (o: object, m?: string) => logger.error(o, m),
    },
  });
  // Producers only add jobs (no blocking commands), so their connection can auto-pipeline too.
  const queueOptions = { connection: { ...bullConnection(config.redisUrl), enableAutoPipelining: true }, prefix: config.queuePrefix };
  const operationsQueue = createOperationsQueue(queueOptions);
  const maintenanceQueue = createMaintenanceQueue(queueOptions);
  const onboardingQueue = createOnboardingQueue(queueOptions);
  const webhooksQueue = createWebhooksQueue(queueOptions);
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
    close: async () => {
      await Promise.allSettled([operationsQueue.close(), maintenanceQueue.close(), onboardingQueue.close(), webhooksQueue.close(), bus.close()]);
      await Promise.allSettled([redis.quit(), redisSubscriber.quit(), store.close(), platform.close()]);
    },
  };
}
