import type { Queue } from 'bullmq';
import type { WebhookEvent } from '../../domain/webhook-events.js';
import type { Logger } from '../../logging/logger.js';
import type { Sql } from '../../store/db.js';
import type { Store } from '../../store/store.js';
import { deliverWebhookJob, type WebhookJobData } from '../queues.js';

export interface WebhookDispatcherOptions {
  store: Store;
  queue: Queue<WebhookJobData>;
  logger: Logger;
  /** Attempts per delivery before it is FAILED (WEBHOOK_MAX_ATTEMPTS). */
  maxAttempts: number;
}

/**
 * Turns events into deliveries: records one per webhook that wants the event (PostgreSQL, in the
 * caller's transaction when it has one), then enqueues their jobs under the delivery ids. A job
 * Redis lost is enqueued again by the reconciler, so every recorded delivery is attempted at
 * least once; receivers de-duplicate on the delivery id.
 */
export class WebhookDispatcher {
  constructor(private readonly options: WebhookDispatcherOptions) {}

  /** Records deliveries of these events (nothing is sent until `enqueue`, after the caller commits). */
  record(events: readonly WebhookEvent[], sql?: Sql): Promise<string[]> {
    return this.options.store.webhooks.recordDeliveries(events, sql);
  }

  /** Enqueues deliveries; failures are logged, not thrown (the reconciler enqueues them later). */
  async enqueue(deliveryIds: readonly string[]): Promise<void> {
    if (deliveryIds.length === 0) return;
    try {
      await this.options.queue.addBulk(
        deliveryIds.map((deliveryId) => ({
          name: deliverWebhookJob.name,
          data: deliverWebhookJob.data({ deliveryId }),
          opts: { jobId: deliveryId, attempts: this.options.maxAttempts, backoff: { type: 'webhook' }, removeOnComplete: true, removeOnFail: true },
        })),
      );
    } catch (error) {
      this.options.logger.warn({ deliveries: deliveryIds.length, err: (error as Error).message }, 'could not enqueue webhook deliveries; the reconciler will');
    }
  }

  /**
   * PostgreSQL is the source of truth: a PENDING delivery untouched for `graceMs` whose job Redis
   * does not hold (the enqueue failed, Redis was flushed) is enqueued again under its id.
   * Returns how many were.
   */
  async reconcile(graceMs = 15_000, batchSize = 500): Promise<number> {
    const candidates = await this.options.store.webhooks.pendingSince(new Date(Date.now() - graceMs), batchSize);
    const orphans: string[] = [];
    for (const id of candidates) if (!(await this.options.queue.getJob(id))) orphans.push(id);
    await this.enqueue(orphans);
    if (orphans.length > 0) this.options.logger.info({ requeued: orphans.length }, 're-enqueued webhook deliveries that had no job');
    return orphans.length;
  }

  /** Records and enqueues at once (an event outside any transaction); a failure is logged, never thrown at the work it reports on. */
  async emit(events: readonly WebhookEvent[]): Promise<string[]> {
    try {
      const ids = await this.record(events);
      await this.enqueue(ids);
      return ids;
    } catch (error) {
      this.options.logger.warn({ events: events.map((e) => e.key), err: (error as Error).message }, 'could not record webhook deliveries');
      return [];
    }
  }
}
