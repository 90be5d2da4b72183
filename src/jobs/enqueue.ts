import type { Queue } from 'bullmq';
import type { Logger } from '../logging/logger.js';
import { OPERATION_JOB_OPTIONS, operationJob, type OperationJobData } from './queues.js';

/**
 * Puts an operation on the queue under its own id, so a double submit or a reconciler pass
 * cannot run it twice. Failures are logged, not thrown: the operation is already committed in
 * PostgreSQL and the reconciler enqueues it later.
 */
export async function enqueueOperation(queue: Queue<OperationJobData>, operationId: string, logger: Logger): Promise<boolean> {
  try {
    await queue.add(operationJob.name, operationJob.data({ operationId }), { ...OPERATION_JOB_OPTIONS, jobId: operationId });
    return true;
  } catch (error) {
    logger.warn({ operationId, err: (error as Error).message }, 'could not enqueue operation; the reconciler will retry');
    return false;
  }
}
