import type { Queue } from 'bullmq';
import type { Logger } from '../logging/logger.js';
import type { Store } from '../store/store.js';
import { enqueueOperation } from './enqueue.js';
import type { OperationJobData } from './queues.js';

export interface ReconcilerOptions {
  store: Store;
  queue: Queue<OperationJobData>;
  logger: Logger;
  /** QUEUED and RETRYING operations untouched for this long are checked. Default 15 s. */
  graceMs?: number;
  /**
   * A RUNNING operation counts as abandoned once its heartbeat is this old (the worker lock time,
   * WORKER_LOCK_SECONDS). Default 30 s.
   */
  runningStaleMs?: number;
  /** At most this many per pass. Default 500. */
  batchSize?: number;
}

/** What decides whether an unfinished operation without a job may be enqueued again. */
export interface OperationLiveness {
  status: string;
  /** Milliseconds since its row was last written (for RUNNING: since the last heartbeat). */
  idleMs: number;
}

/**
 * Whether an operation that has no job in Redis may be enqueued again — decided here for the
 * reconciler and the onboarding sweep alike. QUEUED and RETRYING ones may at once (the job id
 * is the operation id, so a job that reappears meanwhile dedupes). A RUNNING one may only once
 * its heartbeat is older than `runningStaleMs`: after Redis lost its job (flush, restart) it may
 * still be running in a live worker, and a second job would call the Platform twice at once.
 */
export function mayRequeueWithoutJob(operation: OperationLiveness, runningStaleMs: number): boolean {
  switch (operation.status) {
    case 'QUEUED':
    case 'RETRYING':
      return true;
    case 'RUNNING':
      return operation.idleMs >= runningStaleMs;
    default:
      return false;
  }
}

export interface RequeueOrphanOptions {
  queue: Queue<OperationJobData>;
  /** Reads the operation's status and heartbeat age (PostgreSQL's clock on both ends). */
  store: Store;
  logger: Logger;
  runningStaleMs: number;
}

/**
 * Enqueues an operation again if Redis holds no job for it and `mayRequeueWithoutJob` allows it.
 * The status is read after the job check on purpose: a status read before it may predate the
 * moment a worker took the job (and Redis then lost it). Returns whether it was enqueued.
 */
export async function requeueIfOrphaned(options: RequeueOrphanOptions, operationId: string): Promise<boolean> {
  if (await options.queue.getJob(operationId)) return false;
  const liveness = await options.store.operations.liveness(operationId);
  if (!liveness || !mayRequeueWithoutJob(liveness, options.runningStaleMs)) return false;
  return enqueueOperation(options.queue, operationId, options.logger);
}

/**
 * PostgreSQL is the source of truth: an operation that is QUEUED, RUNNING or RETRYING but has
 * no job in Redis (enqueue failed, Redis flushed or restarted empty) is enqueued again under its
 * own id — RUNNING ones only when their heartbeat stopped (see `mayRequeueWithoutJob`). A job that
 * does exist is left alone: BullMQ's stalled-job check recovers crashed workers.
 */
export async function reconcileOperations(options: ReconcilerOptions): Promise<number> {
  const now = Date.now();
  const runningStaleMs = options.runningStaleMs ?? 30_000;
  const cutoff = new Date(now - (options.graceMs ?? 15_000));
  // Fresh heartbeats are not even candidates: a busy deployment's RUNNING work would otherwise fill the batch.
  const runningCutoff = new Date(now - Math.max(options.graceMs ?? 15_000, runningStaleMs));
  const candidates = await options.store.operations.unfinishedOlderThan(cutoff, options.batchSize ?? 500, runningCutoff);
  const requeue = { queue: options.queue, store: options.store, logger: options.logger, runningStaleMs };
  let requeued = 0;
  for (const operation of candidates) {
    if (await requeueIfOrphaned(requeue, operation.id)) requeued++;
  }
  if (requeued > 0) options.logger.info({ requeued }, 're-enqueued operations that had no job');
  return requeued;
}
