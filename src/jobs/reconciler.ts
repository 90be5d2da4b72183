import type { Queue } from 'bullmq';
import type { Logger } from '../logging/logger.js';
import type { Store } from '../store/store.js';
import { enqueueOperation } from './enqueue.js';
import type { OperationJobData } from './queues.js';

export interface ReconcilerOptions {
  store: Store;
  queue: Queue<OperationJobData>;
  logger: Logger;
  /** Operations untouched for this long are checked. Default 15 s. */
  graceMs?: number;
  /** At most this many per pass. Default 500. */
  batchSize?: number;
}

/**
 * PostgreSQL is the source of truth: an operation that is QUEUED, RUNNING or RETRYING but has
 * no job in Redis (enqueue failed, Redis restarted empty) is enqueued again under its own id.
 * A job that does exist is left alone — BullMQ's stalled-job check recovers crashed workers.
 */
export async function reconcileOperations(options: ReconcilerOptions): Promise<number> {
  const cutoff = new Date(Date.now() - (options.graceMs ?? 15_000));
  const candidates = await options.store.operations.unfinishedOlderThan(cutoff, options.batchSize ?? 500);
  let requeued = 0;
  for (const operation of candidates) {
    const job = await options.queue.getJob(operation.id);
    if (job) continue;
    if (await enqueueOperation(options.queue, operation.id, options.logger)) requeued++;
  }
  if (requeued > 0) options.logger.info({ requeued }, 're-enqueued operations that had no job');
  return requeued;
}
