import type { AlertChange } from '../../domain/dataflow-health.js';
import type { WebhookEvent } from '../../domain/webhook-events.js';
import type { OnboardingRow } from '../../store/onboarding-rows.js';
import type { Operation } from '../../store/rows.js';
import type { Alert } from '../../store/watchdog.store.js';

/**
 * The events webhooks receive, built from what changed: public fields and ids only (never an
 * operation's input, an idempotency key or a secret). Keys make each event recorded once per
 * webhook, however often it is emitted.
 */

/** An alert opened, updated or resolved. */
export function alertWebhookEvent(change: AlertChange, alert: Alert, dataflowName: string | null): WebhookEvent {
  return {
    type: change,
    // An alert is updated any number of times; each update is its own event.
    key: change === 'ALERT_UPDATED' ? `${change}:${alert.id}:${alert.updates}` : `${change}:${alert.id}`,
    sandbox: alert.sandbox,
    data: {
      alert: {
        id: alert.id,
        status: alert.status,
        health: alert.health,
        severity: alert.severity,
        reasons: alert.reasons,
        openedAt: alert.createdAt.toISOString(),
        updatedAt: alert.updatedAt.toISOString(),
        resolvedAt: alert.resolvedAt?.toISOString() ?? null,
      },
      dataflow: { id: alert.dataflowId, name: dataflowName },
    },
  };
}

/** An operation failed for good (no retry left, or not retryable). */
export function operationFailedEvent(operation: Operation): WebhookEvent {
  return {
    type: 'OPERATION_FAILED',
    key: `OPERATION_FAILED:${operation.id}:${operation.attempts}`,
    sandbox: operation.sandbox,
    data: {
      operation: {
        id: operation.id,
        type: operation.type,
        status: operation.status,
        resourceType: operation.resourceType,
        resourceId: operation.resourceId,
        attempts: operation.attempts,
        requestedBy: operation.requestedBy,
        error: operation.error,
        finishedAt: operation.finishedAt?.toISOString() ?? null,
      },
    },
  };
}

/** An onboarding reached its end: SUCCEEDED, FAILED, ROLLED_BACK or CANCELLED. */
export function onboardingFinishedEvent(onboarding: OnboardingRow): WebhookEvent {
  const finishedAt = new Date(onboarding.finished_at ?? onboarding.updated_at).toISOString();
  return {
    type: 'ONBOARDING_FINISHED',
    // A retried onboarding finishes again: a new event.
    key: `ONBOARDING_FINISHED:${onboarding.id}:${onboarding.status}:${finishedAt}`,
    sandbox: onboarding.sandbox,
    data: {
      onboarding: {
        id: onboarding.id,
        name: onboarding.name,
        status: onboarding.status,
        resources: onboarding.resources,
        error: onboarding.error,
        leftBehind: onboarding.left_behind,
        requestedBy: onboarding.requested_by,
        finishedAt,
      },
    },
  };
}
