import type pg from 'pg';
import { inTransaction } from './db.js';
import type { SecretBox } from './secret-box.js';
import { webhookSecretBinding } from './secret.store.js';
import type { WebhookStore } from './webhook.store.js';

/** Every sealed secret's key id: Stripe tokens (`secrets`) and webhook signing secrets. */
export const SECRET_KEY_COUNTS = `SELECT key_id, count(*)::text AS n FROM (SELECT key_id FROM secrets UNION ALL SELECT secret_key_id AS key_id FROM webhooks) k GROUP BY key_id ORDER BY key_id`;

/** Counts of one `rotateSecrets` run. */
export interface RotationReport {
  /** The key every secret is sealed with afterwards. */
  currentKeyId: string;
  /** Secrets that used the current key already. */
  alreadyCurrent: number;
  /** Secrets re-encrypted by this run. */
  rotated: number;
  /** Secrets re-encrypted meanwhile by someone else (another run), left as they were. */
  skipped: number;
  /** Secrets per key id before the run. */
  byKeyBefore: Record<string, number>;
}

/** Thrown before anything changes when some secrets use keys this process does not have. */
export class UnknownSecretKeyError extends Error {
  constructor(readonly unknown: Record<string, number>) {
    super(
      `refusing to rotate: ${Object.entries(unknown)
        .map(([id, n]) => `${n} secret(s) use key "${id}"`)
        .join(', ')}, which is neither FLOWGATE_SECRET_KEY_ID nor in FLOWGATE_PREVIOUS_SECRET_KEYS`,
    );
  }
}

export interface RotateSecretsOptions {
  pool: pg.Pool;
  box: SecretBox;
  /** Where webhook secrets are re-sealed (they live in `webhooks`). */
  webhooks: WebhookStore;
  /** Secrets re-encrypted per transaction; default 500. */
  batchSize?: number;
  /** Called after each batch. */
  onBatch?: (rotatedSoFar: number) => void;
}

/**
 * Re-encrypts every secret (Stripe tokens, webhook signing secrets) not sealed with the current key, in batches (one transaction each,
 * keyset order on id), keeping each secret's id so operations that refer to it still work.
 * Idempotent: a second run finds nothing to do. Refuses, before changing anything, when a
 * secret's key id is unknown; a secret that does not open with its key fails the run.
 */
export async function rotateSecrets(options: RotateSecretsOptions): Promise<RotationReport> {
  const { pool, box } = options;
  const batchSize = options.batchSize ?? 500;
  const counts = await pool.query<{ key_id: string; n: string }>(SECRET_KEY_COUNTS);
  const byKeyBefore = Object.fromEntries(counts.rows.map((r) => [r.key_id, Number(r.n)]));
  const unknown = Object.fromEntries(Object.entries(byKeyBefore).filter(([id]) => !box.hasKey(id)));
  if (Object.keys(unknown).length > 0) throw new UnknownSecretKeyError(unknown);

  const report: RotationReport = { currentKeyId: box.currentKeyId, alreadyCurrent: byKeyBefore[box.currentKeyId] ?? 0, rotated: 0, skipped: 0, byKeyBefore };
  let afterId = '00000000-0000-0000-0000-000000000000';
  for (;;) {
    const { rows } = await pool.query<{ id: string; resource_id: string; key_id: string; ciphertext: string }>(
      'SELECT id, resource_id, key_id, ciphertext FROM secrets WHERE key_id <> $1 AND id > $2::uuid ORDER BY id LIMIT $3',
      [box.currentKeyId, afterId, batchSize],
    );
    if (rows.length === 0) break;
    await inTransaction(pool, async (client) => {
      for (const row of rows) {
        let sealed;
        try {
          sealed = box.reseal({ keyId: row.key_id, ciphertext: row.ciphertext }, `${row.resource_id}:${row.id}`);
        } catch (error) {
          throw new Error(`secret ${row.id}: ${(error as Error).message}`);
        }
        // Guarded on the old key id: a concurrent run that got there first wins, and this one skips it.
        const updated = await client.query('UPDATE secrets SET key_id = $2, ciphertext = $3 WHERE id = $1::uuid AND key_id = $4', [row.id, sealed.keyId, sealed.ciphertext, row.key_id]);
        if (updated.rowCount === 1) report.rotated++;
        else report.skipped++;
      }
    });
    afterId = rows.at(-1)!.id; // the batch is not empty (checked above)
    options.onBatch?.(report.rotated);
  }
  // Webhook signing secrets, the same way (bound to their webhook and secret version).
  afterId = '00000000-0000-0000-0000-000000000000';
  for (;;) {
    const sealed = await options.webhooks.sealedSecretsNotUsing(box.currentKeyId, afterId, batchSize);
    if (sealed.length === 0) break;
    await inTransaction(pool, async (client) => {
      for (const secret of sealed) {
        let resealed;
        try {
          resealed = box.reseal({ keyId: secret.keyId, ciphertext: secret.ciphertext }, webhookSecretBinding(secret.webhookId, secret.version));
        } catch (error) {
          throw new Error(`webhook ${secret.webhookId}: ${(error as Error).message}`);
        }
        if (await options.webhooks.resealSecret(client, secret, resealed)) report.rotated++;
        else report.skipped++;
      }
    });
    afterId = sealed.at(-1)!.webhookId;
    options.onBatch?.(report.rotated);
  }
  return report;
}
