import { Queue, type ConnectionOptions } from 'bullmq';

/** Queue of operations: one job per operation, the job id is the operation id. */
export const OPERATIONS_QUEUE = 'operations';
/** Queue of periodic maintenance: run sync, reconciliation. */
export const MAINTENANCE_QUEUE = 'maintenance';

/** Payload of an operation job: ids only (never secrets, never class instances). */
export interface OperationJobData {
  operationId: string;
}

/** Queue of onboarding sagas: `advance` a saga, or run one of its inline (read-only) `step`s. */
export const ONBOARDINGS_QUEUE = 'onboardings';

export interface OnboardingJobData {
  onboardingId: string;
  stepKey?: string;
}

export type MaintenanceJobName = 'sync-runs' | 'reconcile' | 'sweep-onboardings';

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

/** Exponential backoff with full jitter, capped: 0.5 s, 1 s, 2 s … up to 30 s. */
export function jitteredBackoff(attemptsMade: number, random: () => number = Math.random): number {
  const ceiling = Math.min(30_000, 500 * 2 ** Math.max(0, attemptsMade - 1));
  return Math.round(ceiling / 2 + (random() * ceiling) / 2);
}

export function createOnboardingQueue(options: QueueOptions): Queue<OnboardingJobData> {
  return new Queue<OnboardingJobData>(ONBOARDINGS_QUEUE, { connection: options.connection, prefix: options.prefix });
}
