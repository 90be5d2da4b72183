import type { AlertEvent } from '../pubsub/events.js';
import type { Alert as AlertRow, StoredHealth } from '../store/watchdog.store.js';
import type { Webhook as WebhookRow, WebhookAttempt as AttemptRow, WebhookDelivery as DeliveryRow } from '../store/webhook.store.js';
import type { HealthReasonCode, WebhookEventType } from './enums.js';
import { Alert, DataflowHealth, HealthReason } from './watchdog.type.js';
import { Webhook, WebhookAttempt, WebhookDelivery } from './webhook.type.js';

/** Stored health, alerts (rows or event-bus payloads), webhooks and deliveries as GraphQL types. */

const reasons = (list: { code: string; message: string }[]): HealthReason[] => list.map((r) => Object.assign(new HealthReason(), { code: r.code as HealthReasonCode, message: r.message }));

export function toDataflowHealth(row: StoredHealth): DataflowHealth {
  return Object.assign(new DataflowHealth(), {
    status: row.status,
    since: row.since,
    expectedNextRunAt: row.expectedNextRunAt,
    lastRunAt: row.lastRunAt,
    consecutiveFailures: row.consecutiveFailures,
    consecutiveEmptyRuns: row.consecutiveEmptyRuns,
    emptyRunsMayBeNormal: row.emptyRunsMayBeNormal,
    reasons: reasons(row.reasons),
    updatedAt: row.updatedAt,
  });
}

export function toAlert(row: AlertRow | AlertEvent['alert']): Alert {
  const date = (v: Date | string) => (v instanceof Date ? v : new Date(v));
  return Object.assign(new Alert(), {
    id: row.id,
    dataflowId: row.dataflowId,
    status: row.status,
    health: row.health,
    severity: row.severity,
    reasons: reasons(row.reasons),
    updates: row.updates,
    sandbox: row.sandbox,
    openedAt: date(row.createdAt),
    updatedAt: date(row.updatedAt),
    resolvedAt: row.resolvedAt === null ? null : date(row.resolvedAt),
  });
}

export function toWebhook(row: WebhookRow): Webhook {
  return Object.assign(new Webhook(), {
    id: row.id,
    url: row.url,
    events: row.events as WebhookEventType[],
    sandbox: row.sandbox,
    description: row.description,
    enabled: row.enabled,
    secretVersion: row.secretVersion,
    secretRotatedAt: row.secretRotatedAt,
    createdAt: row.createdAt,
    createdBy: row.createdBy,
    updatedAt: row.updatedAt,
  });
}

export function toWebhookDelivery(row: DeliveryRow): WebhookDelivery {
  return Object.assign(new WebhookDelivery(), {
    id: row.id,
    webhookId: row.webhookId,
    event: row.event,
    status: row.status,
    body: row.body,
    attemptCount: row.attempts,
    lastStatusCode: row.lastStatusCode,
    lastError: row.lastError,
    createdAt: row.createdAt,
    finishedAt: row.finishedAt,
  });
}

export function toWebhookAttempt(row: AttemptRow): WebhookAttempt {
  return Object.assign(new WebhookAttempt(), { number: row.number, at: row.at, statusCode: row.statusCode, latencyMs: row.latencyMs, error: row.error });
}
