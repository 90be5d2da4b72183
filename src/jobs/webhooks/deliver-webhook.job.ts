import { UnrecoverableError } from 'bullmq';
import { DELIVERY_HEADER, EVENT_HEADER, SIGNATURE_HEADER, signatureHeader, type DeliveryStatus } from '../../domain/webhook-events.js';
import type { Logger } from '../../logging/logger.js';
import type { Store } from '../../store/store.js';
import type { WebhookSender } from './webhook-sender.js';

export interface DeliveryDeps {
  store: Store;
  sender: WebhookSender;
  logger: Logger;
  /** Seconds since the epoch (the signature's `t`). */
  nowSeconds?: () => number;
}

/** Where one attempt leaves a delivery. */
export type AttemptOutcome = 'SUCCEEDED' | 'RETRY' | 'FAILED' | 'CANCELLED' | 'NOT_PENDING';

/**
 * One attempt of a webhook delivery (the `deliver` job): signs the recorded body with the
 * webhook's secret (opened only here, never logged), posts it, and records the attempt — its
 * status code, latency and error — with where it leaves the delivery. A 2xx succeeds; anything
 * else is retried with backoff until the last attempt, except what no retry can fix (a refused
 * address). A delivery whose webhook was disabled or deleted meanwhile is cancelled unsent.
 */
export async function deliverWebhook(deps: DeliveryDeps, deliveryId: string, lastAttempt: boolean): Promise<AttemptOutcome> {
  const { store, logger } = deps;
  const claimed = await store.webhooks.claim(deliveryId);
  if (!claimed) return 'NOT_PENDING';
  const { delivery, webhook } = claimed;
  if (webhook.deletedAt !== null || !webhook.enabled) {
    await store.webhooks.cancel(deliveryId, webhook.deletedAt !== null ? 'the webhook was deleted' : 'the webhook is disabled');
    return 'CANCELLED';
  }
  const host = new URL(webhook.url).host;
  let secret: string;
  try {
    secret = store.secrets.openWebhookSecret(claimed.secret);
  } catch (error) {
    await store.webhooks.recordAttempt(deliveryId, { statusCode: null, latencyMs: 0, error: `the signing secret cannot be opened: ${(error as Error).message}` }, 'FAILED');
    logger.error({ deliveryId, webhookId: webhook.id, err: (error as Error).message }, 'webhook delivery failed: its signing secret cannot be opened');
    return 'FAILED';
  }
  const timestamp = (deps.nowSeconds ?? (() => Math.floor(Date.now() / 1000)))();
  const result = await deps.sender.post(webhook.url, delivery.body, {
    'content-type': 'application/json',
    'user-agent': 'Flowgate-Webhooks/1',
    [SIGNATURE_HEADER]: signatureHeader([secret], timestamp, delivery.body),
    [DELIVERY_HEADER]: delivery.id,
    [EVENT_HEADER]: delivery.event,
  });
  const succeeded = result.error === null;
  const status: DeliveryStatus = succeeded ? 'SUCCEEDED' : result.final || lastAttempt ? 'FAILED' : 'PENDING';
  await store.webhooks.recordAttempt(deliveryId, result, status);
  const log = { deliveryId, webhookId: webhook.id, event: delivery.event, host, attempt: delivery.attempts + 1, statusCode: result.statusCode, latencyMs: result.latencyMs };
  if (succeeded) logger.info(log, 'webhook delivered');
  else logger.warn({ ...log, err: result.error, willRetry: status === 'PENDING' }, 'webhook attempt failed');
  return succeeded ? 'SUCCEEDED' : status === 'PENDING' ? 'RETRY' : 'FAILED';
}

/**
 * What the `deliver` job does with an attempt's outcome: returns when there is nothing more to
 * do, throws to have BullMQ retry with backoff, throws an UnrecoverableError when retrying cannot help.
 */
export function settleAttempt(outcome: AttemptOutcome, deliveryId: string): void {
  if (outcome === 'RETRY') throw new Error(`webhook delivery ${deliveryId} failed; retrying`);
  if (outcome === 'FAILED') throw new UnrecoverableError(`webhook delivery ${deliveryId} failed`);
}
