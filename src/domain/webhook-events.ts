import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * What webhooks deliver and how a body is signed. The scheme is Stripe's, so receivers already
 * know how to check it: `Flowgate-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of "t.body">`
 * with the webhook's secret as the key.
 */

/** Events a webhook can subscribe to. */
export const WEBHOOK_EVENT_TYPES = ['ALERT_OPENED', 'ALERT_UPDATED', 'ALERT_RESOLVED', 'ONBOARDING_FINISHED', 'OPERATION_FAILED'] as const;
export type WebhookEventType = (typeof WEBHOOK_EVENT_TYPES)[number];

/** What a delivery can carry: a subscribed event, or the ping `testWebhook` sends to one webhook. */
export const DELIVERY_EVENT_TYPES = [...WEBHOOK_EVENT_TYPES, 'WEBHOOK_TEST'] as const;
export type DeliveryEventType = (typeof DELIVERY_EVENT_TYPES)[number];

/** The statuses of a delivery. */
export const DELIVERY_STATUSES = ['PENDING', 'SUCCEEDED', 'FAILED', 'CANCELLED'] as const;
export type DeliveryStatus = (typeof DELIVERY_STATUSES)[number];

/** One event, before it is fanned out to the webhooks that want it. */
export interface WebhookEvent {
  type: DeliveryEventType;
  /**
   * Identifies the event for de-duplication on our side: the same key is recorded once per
   * webhook (`OPERATION_FAILED:<operation id>`, `ALERT_OPENED:<alert id>`…).
   */
  key: string;
  sandbox: string;
  /** What happened: ids and public fields only, never a secret. */
  data: Record<string, unknown>;
  /** Only this webhook (testWebhook); otherwise every webhook of the sandbox that subscribed. */
  webhookId?: string;
}

/** The header carrying the signature. */
export const SIGNATURE_HEADER = 'Flowgate-Signature';
/** The header carrying the delivery id (also the body's `id`): the same on every attempt. */
export const DELIVERY_HEADER = 'Flowgate-Delivery';
/** The header carrying the event type. */
export const EVENT_HEADER = 'Flowgate-Event';

/** The HMAC a signature carries: hex HMAC-SHA256 of `${t}.${body}` keyed with the secret. */
export function signatureOf(secret: string, timestamp: number, body: string): string {
  return createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex');
}

/**
 * The `Flowgate-Signature` value: `t=<timestamp>,v1=<signature>`, one `v1` per secret given
 * (the current one; more only while a rotated secret is still honoured).
 */
export function signatureHeader(secrets: readonly string[], timestamp: number, body: string): string {
  return [`t=${timestamp}`, ...secrets.map((secret) => `v1=${signatureOf(secret, timestamp, body)}`)].join(',');
}

/**
 * What a receiver does: true when one `v1` of the header is the HMAC of `t.body` with `secret`
 * and `t` is within `toleranceSeconds` of `nowSeconds` (an old, replayed body is refused).
 */
export function verifySignature(header: string, body: string, secret: string, nowSeconds: number, toleranceSeconds = 300): boolean {
  const parts = header.split(',').map((p) => p.trim().split('='));
  const t = Number(parts.find(([k]) => k === 't')?.[1]);
  if (!Number.isInteger(t) || Math.abs(nowSeconds - t) > toleranceSeconds) return false;
  const expected = Buffer.from(signatureOf(secret, t, body), 'hex');
  return parts.some(([k, v]) => k === 'v1' && v !== undefined && /^[0-9a-f]{64}$/.test(v) && timingSafeEqual(Buffer.from(v, 'hex'), expected));
}
