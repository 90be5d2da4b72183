import { UnrecoverableError, Worker, type ConnectionOptions, type Job, type Queue } from 'bullmq';
import { hostname } from 'node:os';
import type { OnboardingOrchestrator } from '../jobs/onboarding/orchestrator.js';
import type { OperationHandlers, WorkerDeps } from '../jobs/operation-handler.js';
import { OperationProcessor } from '../jobs/operation.processor.js';
import {
  advanceOnboardingJob,
  jitteredBackoff,
  MAINTENANCE_QUEUE,
  ONBOARDINGS_QUEUE,
  onboardingStepJob,
  OPERATIONS_QUEUE,
  type MaintenanceJobName,
  type OnboardingJobData,
  type OperationJobData,
  deliverWebhookJob,
  webhookBackoff,
  WEBHOOKS_QUEUE,
  type WebhookJobData,
} from '../jobs/queues.js';
import { reconcileOperations } from '../jobs/reconciler.js';
import type { FlowgateMetrics } from '../observability/metrics.js';
import { inJobSpan } from '../observability/tracing.js';
import { CREATE_FENCE_KEPT_MS } from '../store/create-fence.js';
import { upsertMaintenanceSchedulers, watchMaintenanceSchedulers, type MaintenanceSchedule } from './maintenance-schedulers.js';

export interface WorkerOptions {
  deps: WorkerDeps;
  handlers: OperationHandlers;
  connection: ConnectionOptions;
  prefix: string;
  concurrency: number;
  operationsQueue: Queue<OperationJobData>;
  maintenanceQueue: Queue;
  /** Syncs flow runs of enabled dataflows (the maintenance `sync-runs` job). */
  syncRuns: () => Promise<unknown>;
  /** One pass of the dataflow watchdog (the maintenance `watch-dataflows` job). */
  watchDataflows: () => Promise<unknown>;
  /** How often the watchdog passes run. */
  watchdogIntervalMs: number;
  /** Verifies the audit hash chain (the maintenance `verify-audit-chain` job; its verdict goes to the metrics). */
  verifyAuditChain: () => Promise<unknown>;
  /** How often the audit chain is verified. */
  auditVerifyIntervalMs: number;
  /** One attempt of a webhook delivery; throws to have it retried (see `settleAttempt`). */
  deliverWebhook: (deliveryId: string, lastAttempt: boolean) => Promise<void>;
  /** Re-enqueues webhook deliveries whose job Redis lost (with each reconciliation). */
  reconcileWebhooks: (graceMs?: number) => Promise<unknown>;
  /** Webhook deliveries this worker sends at once. */
  webhookConcurrency: number;
  orchestrator: OnboardingOrchestrator;
  /** How often unfinished onboardings are swept (crash repair). Default 2 s. */
  onboardingSweepIntervalMs?: number;
  runSyncIntervalMs: number;
  reconcileIntervalMs?: number;
  /**
   * Seconds a job's lock lasts, and how often jobs whose lock expired are looked for: a job held
   * by a crashed worker runs again (on any worker) within about twice this. Default 30.
   */
  lockSeconds?: number;
  /**
   * How often this worker checks that Redis still holds the maintenance schedulers; when a
   * flush or an empty restart took them, it re-creates them and re-enqueues unfinished work at
   * once (see `watchMaintenanceSchedulers`). Default 5000.
   */
  maintenanceCheckMs?: number;
  /** Counts the reconciler's re-enqueues; none: not counted. */
  metrics?: FlowgateMetrics;
  /**
   * Logs the errors each BullMQ worker emits under its name (`RedisConnections.watch`: Redis
   * outages once each, anything else as an error).
   */
  watchErrors: (worker: Worker, name: string) => void;
}

export interface RunningWorker {
  /** Waits for in-flight jobs to finish, then closes. */
  stop(): Promise<void>;
}

/**
 * The worker: processes operation jobs, webhook deliveries, and the periodic maintenance jobs
 * (run sync, reconciliation, onboarding sweep, dataflow watchdog). Schedulers are upserted idempotently, so any number of
 * workers can start, and re-created by any worker that finds them gone from Redis.
 */
export async function startWorker(options: WorkerOptions): Promise<RunningWorker> {
  const logger = options.deps.logger;
  const lockMs = (options.lockSeconds ?? 30) * 1000;
  // A third of the lock time: a RUNNING operation whose heartbeat is older than the lock time is
  // taken for abandoned, so two heartbeats may be late before that happens.
  const processor = new OperationProcessor(options.deps, options.handlers, { heartbeatMs: Math.max(100, Math.floor(lockMs / 3)) });
  // Onboarding steps run in the worker whose pass started them, when it has a free slot: the
  // hand-over through the queue was most of the time between a step's answer and its dependant's call.
  options.orchestrator.runStepsHere({
    slots: options.concurrency,
    runOperation: (started, recorded) => processor.runStarted(started, { number: 1, last: false }, recorded),
    isFinal: (error) => error instanceof UnrecoverableError,
  });
  const reconcile = async (graceMs?: number) => {
    const requeued = await reconcileOperations({ store: options.deps.store, queue: options.operationsQueue, logger, graceMs, runningStaleMs: lockMs });
    options.metrics?.requeued('operation', requeued);
    return requeued;
  };
  // `name` is recorded on each job it takes (BullMQ's processedBy): which process holds a job.
  const common = { connection: options.connection, prefix: options.prefix, lockDuration: lockMs, stalledInterval: lockMs, name: `${hostname()}:${process.pid}` };
  /** A worker on `queue` with the shared settings; `backoff`: the delay before a failed job's next attempt. */
  const startQueueWorker = <T>(queue: string, concurrency: number, run: (job: Job<T>) => Promise<unknown>, backoff?: (attemptsMade: number) => number): Worker<T> => {
    const worker = new Worker<T>(queue, run, { ...common, concurrency, ...(backoff ? { settings: { backoffStrategy: (attemptsMade: number) => backoff(attemptsMade) } } : {}) });
    options.watchErrors(worker as Worker, `${queue} worker`);
    return worker;
  };

  const operations = startQueueWorker<OperationJobData>(
    OPERATIONS_QUEUE,
    options.concurrency,
    (job) => inJobSpan('operation', job.data, jobAttributes(job), () => processor.process(job)),
    jitteredBackoff,
  );

  const maintenance = startQueueWorker(MAINTENANCE_QUEUE, 1, async (job) => {
    switch (job.name as MaintenanceJobName) {
      case 'sync-runs':
        return options.syncRuns();
      case 'reconcile':
        return Promise.all([reconcile(), options.reconcileWebhooks(), options.deps.store.createFence.prune(new Date(Date.now() - CREATE_FENCE_KEPT_MS))]);
      case 'sweep-onboardings':
        return options.orchestrator.sweep();
      case 'watch-dataflows':
        return options.watchDataflows();
      case 'verify-audit-chain':
        return options.verifyAuditChain();
    }
  });

  const onboardings = startQueueWorker<OnboardingJobData>(
    ONBOARDINGS_QUEUE,
    options.concurrency,
    async (job) => {
      if (job.name === onboardingStepJob.name) {
        const { onboardingId, stepKey } = onboardingStepJob.parse(job.data, job.id);
        return inJobSpan(`onboarding step ${stepKey}`, job.data, { ...jobAttributes(job), 'flowgate.onboarding.id': onboardingId, 'flowgate.step.key': stepKey }, () =>
          options.orchestrator.runInlineStep(onboardingId, stepKey, job.attemptsMade + 1 >= (job.opts.attempts ?? 1), job.attemptsMade > 0),
        );
      }
      const { onboardingId } = advanceOnboardingJob.parse(job.data, job.id);
      return inJobSpan('onboarding pass', job.data, { ...jobAttributes(job), 'flowgate.onboarding.id': onboardingId }, () => options.orchestrator.advance(onboardingId));
    },
    jitteredBackoff,
  );

  const webhooks = startQueueWorker<WebhookJobData>(
    WEBHOOKS_QUEUE,
    options.webhookConcurrency,
    (job) =>
      inJobSpan('webhook delivery', job.data, jobAttributes(job), () => options.deliverWebhook(deliverWebhookJob.parse(job.data, job.id).deliveryId, job.attemptsMade + 1 >= (job.opts.attempts ?? 1))),
    webhookBackoff,
  );

  const schedules: MaintenanceSchedule[] = [
    { name: 'sync-runs', everyMs: options.runSyncIntervalMs },
    { name: 'sweep-onboardings', everyMs: options.onboardingSweepIntervalMs ?? 2000 },
    { name: 'reconcile', everyMs: options.reconcileIntervalMs ?? 10_000 },
    { name: 'watch-dataflows', everyMs: options.watchdogIntervalMs },
    { name: 'verify-audit-chain', everyMs: options.auditVerifyIntervalMs },
  ];
  await upsertMaintenanceSchedulers(options.maintenanceQueue, schedules);
  // A pass right away: after a Redis restart, nothing waits for the first interval.
  await reconcile(0).catch((error) => logger.warn({ err: (error as Error).message }, 'initial reconciliation failed'));
  const watchdog = watchMaintenanceSchedulers({
    queue: options.maintenanceQueue,
    schedules,
    intervalMs: options.maintenanceCheckMs ?? 5000,
    logger,
    recover: async () => {
      const requeued = await reconcile(0);
      const onboardings = await options.orchestrator.sweep();
      const deliveries = await options.reconcileWebhooks(0);
      logger.info({ requeued, onboardings, deliveries }, 'recovered from the loss of Redis data');
    },
  });

  return {
    stop: async () => {
      await watchdog.stop();
      await Promise.all([operations.close(), maintenance.close(), onboardings.close(), webhooks.close(), options.orchestrator.stopRunningStepsHere()]);
    },
  };
}

/** What a job span records about its job (its queue, id and attempt). */
function jobAttributes(job: Job): Record<string, string | number> {
  return { 'messaging.system': 'bullmq', 'messaging.destination.name': job.queueName, 'messaging.message.id': job.id ?? '', 'flowgate.job.attempt': job.attemptsMade + 1 };
}
