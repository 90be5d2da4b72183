import type { Queue } from 'bullmq';
import type { Logger } from '../logging/logger.js';
import { jitteredBackoff, OPERATION_JOB_OPTIONS, operationJob, type OperationJobData } from './queues.js';

/**
 * How long a request waits for Redis to take a job. The work is already committed in PostgreSQL
 * and the reconciler (or the onboarding sweep) enqueues whatever Redis did not take, so a
 * mutation is acknowledged after this rather than hanging until Redis is back: BullMQ's
 * connection queues commands while Redis is unreachable and would otherwise wait for it.
 */
export const ENQUEUE_WAIT_MS = 1000;

/**
 * Runs `add` and waits for it at most `ENQUEUE_WAIT_MS`. An add that outlasts the wait goes on in
 * the background (it lands when Redis is back; job ids make a late add harmless).
 */
export async function addWithin(add: () => Promise<unknown>, what: Record<string, unknown>, logger: Logger, fallback: string): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const adding = add().then(
    () => true,
    (error: unknown) => {
      logger.warn({ ...what, err: (error as Error).message }, `Redis did not take the job; ${fallback}`);
      return false;
    },
  );
  const waited = new Promise<'waited'>((resolve) => {
    timer = setTimeout(() => resolve('waited'), ENQUEUE_WAIT_MS);
  });
  try {
    const outcome = await Promise.race([adding, waited]);
    if (outcome !== 'waited') return outcome;
    logger.warn({ ...what, waitedMs: ENQUEUE_WAIT_MS }, `Redis did not take the job in time; ${fallback}`);
    return false;
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Puts an operation on the queue under its own id, so a double submit or a reconciler pass
 * cannot run it twice. Failures are logged, not thrown: the operation is already committed in
 * PostgreSQL and the reconciler enqueues it later.
 */
export function enqueueOperation(queue: Queue<OperationJobData>, operationId: string, logger: Logger): Promise<boolean> {
  return addWithin(
    () => queue.add(operationJob.name, operationJob.data({ operationId }), { ...OPERATION_JOB_OPTIONS, jobId: operationId }),
    { operationId },
    logger,
    'the reconciler will enqueue the operation',
  );
}

/**
 * Puts an operation whose first attempt ran without a job (an onboarding step run by the worker
 * that started it) and failed retryably on the queue for its other attempts, after the backoff
 * a job's retry would wait. Failures are logged: the operation is RETRYING without a job, which
 * the reconciler and the onboarding sweep enqueue.
 */
export function enqueueOperationRetry(queue: Queue<OperationJobData>, operationId: string, logger: Logger): Promise<boolean> {
  return addWithin(
    () =>
      queue.add(operationJob.name, operationJob.data({ operationId }), {
        ...OPERATION_JOB_OPTIONS,
        jobId: operationId,
        attempts: OPERATION_JOB_OPTIONS.attempts - 1,
        delay: jitteredBackoff(1),
      }),
    { operationId },
    logger,
    'the reconciler will enqueue the operation',
  );
}
