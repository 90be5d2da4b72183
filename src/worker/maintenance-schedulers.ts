import type { Queue } from 'bullmq';
import type { MaintenanceJobName } from '../jobs/queues.js';
import type { Logger } from '../logging/logger.js';
import { startRepeatingPass, type RepeatingPass } from '../jobs/repeating-pass.js';

/** A repeating maintenance job: BullMQ runs it once per interval across the deployment. */
export interface MaintenanceSchedule {
  name: MaintenanceJobName;
  everyMs: number;
}

/** Creates (or updates) the repeating maintenance jobs. Idempotent: any number of workers may call it. */
export async function upsertMaintenanceSchedulers(queue: Queue, schedules: readonly MaintenanceSchedule[]): Promise<void> {
  for (const { name, everyMs } of schedules) {
    await queue.upsertJobScheduler(name, { every: everyMs }, { name, opts: { removeOnComplete: true, removeOnFail: 100 } });
  }
}

export interface MaintenanceWatchdogOptions {
  queue: Queue;
  schedules: readonly MaintenanceSchedule[];
  /** Time between two checks. */
  intervalMs: number;
  /** Re-enqueues at once what Redis forgot (a reconciliation without grace, an onboarding sweep). */
  recover: () => Promise<void>;
  logger: Logger;
}

export type MaintenanceWatchdog = RepeatingPass;

/**
 * Keeps maintenance alive whatever Redis forgets. The repeating jobs (reconcile, onboarding
 * sweep, run sync) live in Redis: a FLUSHALL, or a restart without persistence, deletes them
 * together with every queued job, and nothing would re-create them — acknowledged work stayed
 * QUEUED for good. So each worker process checks on an in-process timer that the schedulers
 * still exist; when one is missing it re-creates them all and runs a recovery pass at once.
 *
 * Why this shape rather than running maintenance itself from in-process timers: the BullMQ
 * schedulers stay the one driver of periodic work (one run per interval across the deployment,
 * not one per worker), while the check is a few reads per interval and per worker. Recovery runs
 * only after Redis actually lost its data; if several workers notice the same loss, each runs one
 * pass, which is safe — job ids are operation ids, onboardings advance under a row lock, and
 * operations RUNNING in a live worker are left to it (their heartbeat in PostgreSQL is fresh).
 */
export function watchMaintenanceSchedulers(options: MaintenanceWatchdogOptions): MaintenanceWatchdog {
  const { queue, schedules, logger } = options;

  const check = async (stopping: () => boolean) => {
    // While Redis is unreachable these reads wait for the reconnection (the queue's connection
    // retries without limit); the next check is scheduled only after this one ended.
    const found = await Promise.all(schedules.map((s) => queue.getJobScheduler(s.name)));
    const missing = schedules.filter((_, i) => !found[i]).map((s) => s.name);
    if (missing.length === 0 || stopping()) return;
    logger.warn({ missing }, 'Redis lost the maintenance schedulers (flushed, or restarted empty): re-creating them and re-enqueueing unfinished work');
    await upsertMaintenanceSchedulers(queue, schedules);
    await options.recover();
  };
  return startRepeatingPass({
    intervalMs: options.intervalMs,
    pass: check,
    onError: (error) => logger.warn({ err: error.message }, 'maintenance check failed; trying again'),
    // Bounded: a check waiting for an unreachable Redis must not hold up the shutdown.
    stopWaitMs: 5_000,
  });
}
