import { Queue, UnrecoverableError, type ConnectionOptions } from 'bullmq';
import { z } from 'zod';
import { flowgateId } from '../domain/ids.js';
import { traceCarrier, type TraceCarrier } from '../observability/tracing.js';

/**
 * The queues and the jobs on them. Each job's payload is a zod schema shared by producer and
 * worker: checked when a job is added and when it is taken, ids only (never secrets, never class
 * instances: BullMQ stores JSON). PostgreSQL holds everything else.
 */

/** A job name with its payload schema. */
export interface JobDefinition<T> {
  name: string;
  /** The payload, checked (a programming error when it does not match), with the active trace context. */
  data(payload: T): T & TraceCarrier;
  /** A payload as a worker took it; a job that does not match fails at once, without retries. */
  parse(data: unknown, jobId?: string): T & TraceCarrier;
}

/** Every payload may carry the W3C trace context of whoever enqueued it (see observability/tracing.ts). */
const TRACE_FIELDS = { traceparent: z.string().max(100).optional(), tracestate: z.string().max(512).optional() };

function defineJob<S extends z.ZodObject>(name: string, schema: S): JobDefinition<z.infer<S>> {
  const carried = schema.extend(TRACE_FIELDS);
  return {
    name,
    data: (payload) => ({ ...schema.parse(payload), ...traceCarrier() }),
    parse: (data, jobId) => {
      const result = carried.safeParse(data);
      if (!result.success) throw new UnrecoverableError(`job ${jobId ?? '?'} (${name}) does not match its payload schema: ${result.error.issues[0]?.message ?? 'invalid'}`);
      return result.data as z.infer<S> & TraceCarrier;
    },
  };
}

/** Queue of operations: one job per operation, the job id is the operation id. */
export const OPERATIONS_QUEUE = 'operations';
/** Queue of periodic maintenance: run sync, reconciliation, the onboarding sweep, the dataflow watchdog, the audit chain check. */
export const MAINTENANCE_QUEUE = 'maintenance';
/** Queue of onboarding sagas: `advance` a saga, or run one of its inline (read-only) `step`s. */
export const ONBOARDINGS_QUEUE = 'onboardings';
/** Queue of webhook deliveries: one job per delivery, the job id is the delivery id. */
export const WEBHOOKS_QUEUE = 'webhooks';

export const operationJob = defineJob('operation', z.strictObject({ operationId: flowgateId }));
export type OperationJobData = ReturnType<typeof operationJob.parse>;

export const advanceOnboardingJob = defineJob('advance', z.strictObject({ onboardingId: flowgateId }));
export const onboardingStepJob = defineJob('step', z.strictObject({ onboardingId: flowgateId, stepKey: z.string().min(1) }));
export type OnboardingJobData = ReturnType<typeof advanceOnboardingJob.parse> | ReturnType<typeof onboardingStepJob.parse>;

export const deliverWebhookJob = defineJob('deliver', z.strictObject({ deliveryId: flowgateId }));
export type WebhookJobData = ReturnType<typeof deliverWebhookJob.parse>;

export type MaintenanceJobName = 'sync-runs' | 'reconcile' | 'sweep-onboardings' | 'watch-dataflows' | 'verify-audit-chain';

export interface QueueOptions {
  connection: ConnectionOptions;
  /** BullMQ key prefix, e.g. `{flowgate}`: the braces are a Redis Cluster hash tag. */
  prefix: string;
}

/** Job options every operation job gets. Retries back off exponentially; the processor adds jitter. */
export const OPERATION_JOB_OPTIONS = {
  attempts: 8,
  backoff: { type: 'jittered' },
  // Completed and failed jobs are removed: PostgreSQL keeps the history, and a retried
  // operation can be enqueued again under its own id.
  removeOnComplete: true,
  removeOnFail: true,
} as const;

export function createOperationsQueue(options: QueueOptions): Queue<OperationJobData> {
  return new Queue<OperationJobData>(OPERATIONS_QUEUE, { connection: options.connection, prefix: options.prefix });
}

export function createMaintenanceQueue(options: QueueOptions): Queue {
  return new Queue(MAINTENANCE_QUEUE, { connection: options.connection, prefix: options.prefix });
}

export function createOnboardingQueue(options: QueueOptions): Queue<OnboardingJobData> {
  return new Queue<OnboardingJobData>(ONBOARDINGS_QUEUE, { connection: options.connection, prefix: options.prefix });
}

export function createWebhooksQueue(options: QueueOptions): Queue<WebhookJobData> {
  return new Queue<WebhookJobData>(WEBHOOKS_QUEUE, { connection: options.connection, prefix: options.prefix });
}

/**
 * Between two attempts of a webhook delivery: exponential with jitter, 1 s, 2 s, 4 s … capped
 * at 10 minutes (a receiver that is down for a deploy gets its events once it is back).
 */
export function webhookBackoff(attemptsMade: number, random: () => number = Math.random): number {
  const ceiling = Math.min(600_000, 1000 * 2 ** Math.max(0, attemptsMade - 1));
  return Math.round(ceiling / 2 + (random() * ceiling) / 2);
}

/** Exponential backoff with full jitter, capped: 0.5 s, 1 s, 2 s … up to 30 s. */
export function jitteredBackoff(attemptsMade: number, random: () => number = Math.random): number {
  const ceiling = Math.min(30_000, 500 * 2 ** Math.max(0, attemptsMade - 1));
  return Math.round(ceiling / 2 + (random() * ceiling) / 2);
}
