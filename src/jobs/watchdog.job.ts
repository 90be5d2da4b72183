import { alertTransition, evaluateHealth, healthChanged, type AlertChange, type WatchdogPolicy } from '../domain/dataflow-health.js';
import type { Logger } from '../logging/logger.js';
import { message } from '../pubsub/event-bus.js';
import type { EventBus } from '../pubsub/event-bus.js';
import { alertEvent, topics } from '../pubsub/events.js';
import { inTransaction, Rollback } from '../store/db.js';
import type { NewAuditEvent } from '../store/operation-ledger.js';
import type { Store } from '../store/store.js';
import { newAlertId, type Alert, type AlertWrite, type HealthWrite, type WatchedRow } from '../store/watchdog.store.js';
import { alertWebhookEvent } from './webhooks/event-payloads.js';
import type { WebhookDispatcher } from './webhooks/webhook-dispatcher.js';

export interface WatchdogDeps {
  store: Store;
  bus: EventBus;
  logger: Logger;
  webhooks: WebhookDispatcher;
  policy: WatchdogPolicy;
}

/** What one pass did. */
export interface WatchdogPassResult {
  /** Another pass held the lock: this one did nothing. */
  skipped: boolean;
  /** Dataflows evaluated. */
  dataflows: number;
  /** Healths written (only changed ones are). */
  healthWritten: number;
  opened: number;
  updated: number;
  resolved: number;
  /** Webhook deliveries recorded for the alert changes. */
  deliveries: number;
}

/** What a pass writes, decided from what it read. */
export interface WatchdogPlan {
  health: HealthWrite[];
  alerts: AlertWrite[];
}

/** The audit trail's name for the watchdog. */
export const WATCHDOG_ACTOR = 'system:watchdog';

/** Serialises passes across processes (an arbitrary constant, like the migrator's). */
const WATCHDOG_LOCK_KEY = 72_461_954;

/**
 * The decisions of one pass, apart from its effects: each dataflow's health (`evaluateHealth`),
 * written when it changed, and what that does to its alert (`alertTransition`). Pure; `newId`
 * names alerts about to be opened.
 */
export function planWatchdogPass(rows: readonly WatchedRow[], policy: WatchdogPolicy, now: Date, newId: () => string = newAlertId): WatchdogPlan {
  const plan: WatchdogPlan = { health: [], alerts: [] };
  for (const row of rows) {
    const health = row.input === null ? null : evaluateHealth(row.input, policy, now);
    if (health !== null && healthChanged(row.stored, health)) plan.health.push({ dataflowId: row.dataflowId, sandbox: row.sandbox, health });
    const transition = alertTransition(row.openAlert, health);
    if (transition === null) continue;
    const id = transition.change === 'ALERT_OPENED' ? newId() : row.openAlert!.id;
    plan.alerts.push(
      'status' in transition
        ? { id, dataflowId: row.dataflowId, sandbox: row.sandbox, change: transition.change, health: transition.status, severity: transition.severity, reasons: transition.reasons }
        : { id, dataflowId: row.dataflowId, sandbox: row.sandbox, change: transition.change, health: null, severity: null, reasons: transition.reasons },
    );
  }
  return plan;
}

/**
 * The repeating `watch-dataflows` job: evaluates every dataflow at `now` in one transaction — one
 * query reads them all, one statement per table writes what changed (health, alerts, their audit
 * events, webhook deliveries) — then, once committed, publishes each alert change (`alertRaised`)
 * and enqueues its deliveries. Passes are serialised by an advisory lock; one that finds it
 * taken does nothing (the other pass covers the same ground).
 */
export async function runWatchdogPass(deps: WatchdogDeps, now: Date = new Date()): Promise<WatchdogPassResult> {
  const { store } = deps;
  const outcome = await inTransaction<{ result: WatchdogPassResult; changed: { change: AlertChange; alert: Alert }[]; deliveryIds: string[] }>(
    store.pool,
    async (client, begun) => {
      if (!begun.some((r) => (r.rows[0] as { locked?: boolean } | undefined)?.locked === true)) return new Rollback({ result: { ...EMPTY, skipped: true }, changed: [], deliveryIds: [] });
      const rows = await store.watchdog.readPass(client);
      const plan = planWatchdogPass(rows, deps.policy, now);
      await store.watchdog.writeHealth(client, plan.health);
      const changed = await store.watchdog.writeAlerts(client, plan.alerts);
      const previous = new Map(rows.map((r) => [r.dataflowId, r]));
      await store.ledger.appendAudits(
        changed.map(({ change, alert }) => auditOf(change, alert, previous.get(alert.dataflowId) ?? null)),
        client,
      );
      const deliveryIds = await deps.webhooks.record(
        changed.map(({ change, alert }) => alertWebhookEvent(change, alert, previous.get(alert.dataflowId)?.name ?? null)),
        client,
      );
      const count = (change: AlertChange) => changed.filter((c) => c.change === change).length;
      return {
        result: {
          skipped: false,
          dataflows: rows.filter((r) => r.input !== null).length,
          healthWritten: plan.health.length,
          opened: count('ALERT_OPENED'),
          updated: count('ALERT_UPDATED'),
          resolved: count('ALERT_RESOLVED'),
          deliveries: deliveryIds.length,
        },
        changed,
        deliveryIds,
      };
    },
    // JIT compiling the pass query cost a third of its time (its estimated cost is high, its work
    // simple); off for this transaction only.
    `BEGIN; SET LOCAL jit = off; SELECT pg_try_advisory_xact_lock(${WATCHDOG_LOCK_KEY}) AS locked`,
  );
  // After the commit: nobody hears of an alert that might still roll back.
  deps.bus.announce(...outcome.changed.map(({ change, alert }) => message(topics.alerts(alert.sandbox), alertEvent(change, alert))));
  await deps.webhooks.enqueue(outcome.deliveryIds);
  const { result } = outcome;
  if (result.opened + result.updated + result.resolved > 0) deps.logger.info({ ...result }, 'dataflow watchdog: alerts changed');
  return result;
}

const EMPTY: WatchdogPassResult = { skipped: false, dataflows: 0, healthWritten: 0, opened: 0, updated: 0, resolved: 0, deliveries: 0 };

/** The audit event of an alert change: what the alert was and is (reason codes; the messages are on the alert). */
function auditOf(change: AlertChange, alert: Alert, before: WatchedRow | null): NewAuditEvent {
  const open = before?.openAlert ?? null;
  return {
    sandbox: alert.sandbox,
    actor: WATCHDOG_ACTOR,
    action: change,
    resourceType: 'ALERT',
    resourceId: alert.id,
    before: change === 'ALERT_OPENED' || open === null ? null : { dataflowId: alert.dataflowId, status: 'OPEN', health: open.status, reasons: [...open.reasonCodes] },
    after: { dataflowId: alert.dataflowId, status: alert.status, health: alert.health, severity: alert.severity, reasons: alert.reasons.map((r) => r.code) },
  };
}
