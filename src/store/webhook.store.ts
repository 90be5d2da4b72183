import { randomUUID } from 'node:crypto';
import type pg from 'pg';
import { isUuid } from '../domain/ids.js';
import type { DeliveryEventType, DeliveryStatus, WebhookEvent } from '../domain/webhook-events.js';
import { encodeCursor, type Page, type PageWindow } from './cursor.js';
import type { Sql } from './db.js';
import { ListFilter, newestFirst } from './keyset-page.js';
import { fromColumns, type Columns } from './rows.js';

/** A `webhooks` row, without its sealed secret. */
export interface Webhook {
  id: string;
  sandbox: string;
  url: string;
  events: string[];
  description: string | null;
  enabled: boolean;
  secretVersion: number;
  secretRotatedAt: Date | null;
  createdAt: Date;
  createdBy: string;
  updatedAt: Date;
  deletedAt: Date | null;
}

/** A webhook's signing secret as stored: sealed, with the key id and the version it was sealed for. */
export interface SealedWebhookSecret {
  webhookId: string;
  version: number;
  keyId: string;
  ciphertext: string;
}

/** A `webhook_deliveries` row. */
export interface WebhookDelivery {
  id: string;
  webhookId: string;
  event: DeliveryEventType;
  eventKey: string;
  /** The exact bytes every attempt sends. */
  body: string;
  status: DeliveryStatus;
  attempts: number;
  lastStatusCode: number | null;
  lastError: string | null;
  createdAt: Date;
  updatedAt: Date;
  finishedAt: Date | null;
}

/** A `webhook_attempts` row. */
export interface WebhookAttempt {
  deliveryId: string;
  number: number;
  at: Date;
  statusCode: number | null;
  latencyMs: number;
  error: string | null;
}

/** A webhook to store: its sealed secret comes with it. */
export type NewWebhook = Pick<Webhook, 'id' | 'sandbox' | 'url' | 'events' | 'description' | 'enabled' | 'createdBy'> & { secret: { keyId: string; ciphertext: string } };

export interface WebhookChanges {
  url?: string;
  events?: string[];
  description?: string | null;
  enabled?: boolean;
}

/** What a delivery attempt needs: the delivery, its webhook and the webhook's sealed secret. */
export interface ClaimedDelivery {
  delivery: WebhookDelivery;
  webhook: Webhook;
  secret: SealedWebhookSecret;
}

/**
 * `webhooks`, `webhook_deliveries` and `webhook_attempts` (their one writer). Deliveries are
 * recorded in PostgreSQL before their jobs exist, so a delivery Redis forgot is sent later by
 * the reconciler: at least once. Each event is recorded once per webhook (unique event key).
 */
export class WebhookStore {
  constructor(private readonly pool: pg.Pool) {}

  async create(sql: Sql, w: NewWebhook): Promise<Webhook> {
    const result = await sql.query<WebhookColumns>(
      `INSERT INTO webhooks (id, sandbox, url, events, description, enabled, secret_key_id, secret_ciphertext, secret_version, created_by, created_at, updated_at)
       VALUES ($1::uuid, $2, $3, $4, $5, $6, $7, $8, 1, $9, now(), now()) RETURNING *`,
      [w.id, w.sandbox, w.url, w.events, w.description, w.enabled, w.secret.keyId, w.secret.ciphertext, w.createdBy],
    );
    return webhookFromRow(result.rows[0]!);
  }

  /** A webhook of a sandbox that is not deleted, or null. */
  async find(id: string, sandbox: string, sql: Sql = this.pool): Promise<Webhook | null> {
    if (!isUuid(id)) return null;
    const result = await sql.query<WebhookColumns>('SELECT * FROM webhooks WHERE id = $1::uuid AND sandbox = $2 AND deleted_at IS NULL', [id, sandbox]);
    return result.rows[0] ? webhookFromRow(result.rows[0]) : null;
  }

  /** The webhooks of a sandbox that are not deleted, newest first. */
  async list(sandbox: string): Promise<Webhook[]> {
    const result = await this.pool.query<WebhookColumns>('SELECT * FROM webhooks WHERE sandbox = $1 AND deleted_at IS NULL ORDER BY created_at DESC, id DESC', [sandbox]);
    return result.rows.map(webhookFromRow);
  }

  async update(sql: Sql, id: string, changes: WebhookChanges): Promise<Webhook | null> {
    const result = await sql.query<WebhookColumns>(
      `UPDATE webhooks SET url = COALESCE($2, url), events = COALESCE($3, events), description = CASE WHEN $4 THEN $5 ELSE description END,
         enabled = COALESCE($6, enabled), updated_at = now()
       WHERE id = $1::uuid AND deleted_at IS NULL RETURNING *`,
      [id, changes.url ?? null, changes.events ?? null, changes.description !== undefined, changes.description ?? null, changes.enabled ?? null],
    );
    return result.rows[0] ? webhookFromRow(result.rows[0]) : null;
  }

  /** Replaces the secret if it is still at `version - 1` (two rotations racing: one wins). */
  async rotateSecret(sql: Sql, id: string, version: number, secret: { keyId: string; ciphertext: string }): Promise<Webhook | null> {
    const result = await sql.query<WebhookColumns>(
      `UPDATE webhooks SET secret_key_id = $3, secret_ciphertext = $4, secret_version = $2, secret_rotated_at = now(), updated_at = now()
       WHERE id = $1::uuid AND deleted_at IS NULL AND secret_version = $2 - 1 RETURNING *`,
      [id, version, secret.keyId, secret.ciphertext],
    );
    return result.rows[0] ? webhookFromRow(result.rows[0]) : null;
  }

  /** Deletes a webhook (the row stays for its deliveries and audit trail) and cancels what it had not delivered yet. */
  async delete(sql: Sql, id: string): Promise<Webhook | null> {
    const result = await sql.query<WebhookColumns>(
      `WITH w AS (UPDATE webhooks SET deleted_at = now(), enabled = false, updated_at = now() WHERE id = $1::uuid AND deleted_at IS NULL RETURNING *),
       c AS (UPDATE webhook_deliveries d SET status = 'CANCELLED', last_error = 'the webhook was deleted', finished_at = now(), updated_at = now()
             FROM w WHERE d.webhook_id = w.id AND d.status = 'PENDING')
       SELECT * FROM w`,
      [id],
    );
    return result.rows[0] ? webhookFromRow(result.rows[0]) : null;
  }

  /**
   * Records each event for every webhook of its sandbox that wants it (enabled, subscribed; or
   * the one webhook it names), in one statement, in the caller's transaction when given. The
   * body is fixed here: `{id: <delivery id>, event, eventId, createdAt, sandbox, data}`. An event
   * already recorded for a webhook (same key) is not recorded again. Returns the new delivery ids.
   */
  async recordDeliveries(events: readonly WebhookEvent[], sql: Sql = this.pool): Promise<string[]> {
    if (events.length === 0) return [];
    const createdAt = new Date().toISOString();
    const result = await sql.query<{ id: string }>({
      name: 'fg_webhook_record',
      text: `WITH e AS (SELECT * FROM jsonb_to_recordset($1::jsonb) AS e(position int, type text, key text, sandbox text, webhook_id uuid, body jsonb)),
             d AS (
               SELECT gen_random_uuid() AS id, w.id AS webhook_id, e.type, e.key, e.body, e.position
               FROM e JOIN webhooks w ON w.sandbox = e.sandbox AND w.deleted_at IS NULL AND w.enabled
                 AND (CASE WHEN e.webhook_id IS NULL THEN e.type = ANY(w.events) ELSE w.id = e.webhook_id END))
             INSERT INTO webhook_deliveries (id, webhook_id, event, event_key, body, created_at, updated_at)
             SELECT id, webhook_id, type, key, (jsonb_build_object('id', id) || body)::text, now(), now() FROM d ORDER BY position
             ON CONFLICT (webhook_id, event_key) DO NOTHING
             RETURNING id`,
      values: [
        JSON.stringify(
          events.map((event, position) => ({
            position,
            type: event.type,
            key: event.key,
            sandbox: event.sandbox,
            webhook_id: event.webhookId ?? null,
            body: { event: event.type, eventId: randomUUID(), createdAt, sandbox: event.sandbox, data: event.data },
          })),
        ),
      ],
    });
    return result.rows.map((r) => r.id);
  }

  /** A PENDING delivery with its webhook and sealed secret; null when it is not pending any more (or unknown). */
  async claim(deliveryId: string): Promise<ClaimedDelivery | null> {
    if (!isUuid(deliveryId)) return null;
    const result = await this.pool.query<{ delivery: DeliveryColumns; webhook: WebhookColumns }>({
      name: 'fg_webhook_claim',
      text: `SELECT row_to_json(d.*) AS delivery, row_to_json(w.*) AS webhook FROM webhook_deliveries d JOIN webhooks w ON w.id = d.webhook_id WHERE d.id = $1::uuid AND d.status = 'PENDING'`,
      values: [deliveryId],
    });
    const row = result.rows[0];
    if (!row) return null;
    const webhook = row.webhook;
    return {
      delivery: deliveryFromRow(row.delivery),
      webhook: webhookFromRow(webhook),
      secret: { webhookId: webhook.id, version: webhook.secret_version, keyId: webhook.secret_key_id, ciphertext: webhook.secret_ciphertext },
    };
  }

  /**
   * Records one attempt of a PENDING delivery and where that leaves it (`PENDING`: to be retried),
   * in one statement. False when the delivery was not pending any more.
   */
  async recordAttempt(deliveryId: string, attempt: { statusCode: number | null; latencyMs: number; error: string | null }, status: DeliveryStatus): Promise<boolean> {
    const result = await this.pool.query({
      name: 'fg_webhook_attempt',
      text: `WITH d AS (
               UPDATE webhook_deliveries SET attempts = attempts + 1, status = $5::"WebhookDeliveryStatus", last_status_code = $2, last_error = $4, updated_at = now(),
                 finished_at = CASE WHEN $5 = 'PENDING' THEN NULL ELSE now() END
               WHERE id = $1::uuid AND status = 'PENDING' RETURNING id, attempts)
             INSERT INTO webhook_attempts (delivery_id, number, at, status_code, latency_ms, error) SELECT id, attempts, now(), $2, $3, $4 FROM d`,
      values: [deliveryId, attempt.statusCode, attempt.latencyMs, attempt.error, status],
    });
    return (result.rowCount ?? 0) > 0;
  }

  /** Ends a PENDING delivery without sending it (its webhook was disabled or deleted meanwhile). */
  async cancel(deliveryId: string, reason: string): Promise<void> {
    await this.pool.query(`UPDATE webhook_deliveries SET status = 'CANCELLED', last_error = $2, finished_at = now(), updated_at = now() WHERE id = $1::uuid AND status = 'PENDING'`, [
      deliveryId,
      reason,
    ]);
  }

  /** One delivery of a webhook, or null. */
  async findDelivery(id: string, webhookId: string): Promise<WebhookDelivery | null> {
    if (!isUuid(id)) return null;
    const result = await this.pool.query<DeliveryColumns>('SELECT * FROM webhook_deliveries WHERE id = $1::uuid AND webhook_id = $2::uuid', [id, webhookId]);
    return result.rows[0] ? deliveryFromRow(result.rows[0]) : null;
  }

  /** A page of a webhook's deliveries, newest first. */
  listDeliveries(webhookId: string, filter: { status?: DeliveryStatus | null }, window: PageWindow): Promise<Page<WebhookDelivery>> {
    const where = new ListFilter().where('webhook_id = ?::uuid', webhookId).whereGiven('status = ?::"WebhookDeliveryStatus"', filter.status);
    return newestFirst(this.pool, 'webhook_deliveries', where, window, deliveryFromRow);
  }

  /** The attempts of these deliveries, oldest first, by delivery id. */
  async attemptsOf(deliveryIds: readonly string[]): Promise<Map<string, WebhookAttempt[]>> {
    const out = new Map<string, WebhookAttempt[]>();
    if (deliveryIds.length === 0) return out;
    const result = await this.pool.query<AttemptColumns>('SELECT * FROM webhook_attempts WHERE delivery_id = ANY($1::uuid[]) ORDER BY delivery_id, number', [deliveryIds]);
    for (const row of result.rows) out.set(row.delivery_id, [...(out.get(row.delivery_id) ?? []), attemptFromRow(row)]);
    return out;
  }

  /** PENDING deliveries not touched since `cutoff`, oldest first (the reconciler's candidates). */
  async pendingSince(cutoff: Date, limit: number): Promise<string[]> {
    const result = await this.pool.query<{ id: string }>({
      name: 'fg_webhook_pending',
      text: `SELECT id FROM webhook_deliveries WHERE status = 'PENDING' AND updated_at < $1 ORDER BY updated_at LIMIT $2`,
      values: [cutoff, limit],
    });
    return result.rows.map((r) => r.id);
  }

  /**
   * Stores a secret re-sealed with another key (key rotation), guarded on the key and version it
   * was read with: a rotation of the secret meanwhile wins. False when it lost.
   */
  async resealSecret(sql: Sql, before: SealedWebhookSecret, after: { keyId: string; ciphertext: string }): Promise<boolean> {
    const result = await sql.query('UPDATE webhooks SET secret_key_id = $2, secret_ciphertext = $3 WHERE id = $1::uuid AND secret_key_id = $4 AND secret_version = $5', [
      before.webhookId,
      after.keyId,
      after.ciphertext,
      before.keyId,
      before.version,
    ]);
    return result.rowCount === 1;
  }

  /** Every sealed webhook secret whose key is not `currentKeyId`, after `afterId` (key rotation, in batches). */
  async sealedSecretsNotUsing(currentKeyId: string, afterId: string, limit: number): Promise<SealedWebhookSecret[]> {
    const result = await this.pool.query<{ id: string; secret_version: number; secret_key_id: string; secret_ciphertext: string }>(
      'SELECT id, secret_version, secret_key_id, secret_ciphertext FROM webhooks WHERE secret_key_id <> $1 AND id > $2::uuid ORDER BY id LIMIT $3',
      [currentKeyId, afterId, limit],
    );
    return result.rows.map((r) => ({ webhookId: r.id, version: r.secret_version, keyId: r.secret_key_id, ciphertext: r.secret_ciphertext }));
  }
}

export function deliveryCursor(delivery: WebhookDelivery): string {
  return encodeCursor({ at: delivery.createdAt, id: delivery.id });
}

/** A `webhooks` row: the webhook and its sealed secret. */
type WebhookColumns = Columns<Webhook> & { secret_key_id: string; secret_ciphertext: string };
type DeliveryColumns = Columns<WebhookDelivery>;
type AttemptColumns = Columns<WebhookAttempt>;

/** The webhook, without its sealed secret. */
function webhookFromRow({ secret_key_id: _keyId, secret_ciphertext: _ciphertext, ...webhook }: WebhookColumns): Webhook {
  return fromColumns<Webhook>(webhook);
}

const deliveryFromRow = (row: DeliveryColumns): WebhookDelivery => fromColumns<WebhookDelivery>(row);
const attemptFromRow = (row: AttemptColumns): WebhookAttempt => fromColumns<WebhookAttempt>(row);
