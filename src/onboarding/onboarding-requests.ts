import { createHash, createHmac, randomUUID } from 'node:crypto';
import type { Queue } from 'bullmq';
import type pg from 'pg';
import type { StripeResourcePath } from '../domain/operation-types.js';
import type { FlowSchedule } from '../domain/schedule-rules.js';
import { IdempotencyKeyReusedError } from '../errors/app-errors.js';
import type { OnboardingJobData } from '../jobs/queues.js';
import type { Logger } from '../logging/logger.js';
import type { RequestContext } from '../services/operation-requests.js';
import type { SecretStore } from '../store/secret.store.js';
import type { OnboardingRow } from './onboarding-rows.js';
import { planSteps, type PlannedStep } from './step-plan.js';

export interface NewOnboarding {
  name: string;
  description: string | null;
  accessToken: string;
  resources: StripeResourcePath[];
  /** startTime null: the flows start 60 s after they are created. */
  schedule: Omit<FlowSchedule, 'startTime'> & { startTime: number | null };
  rollbackOnFailure: boolean;
  existingDataset: { id: string; schemaId: string } | null;
  idempotencyKey: string | null;
}

export interface OnboardingRequestsOptions {
  pool: pg.Pool;
  secrets: SecretStore;
  queue: Queue<OnboardingJobData>;
  logger: Logger;
  fingerprintKey: Buffer;
}

/**
 * Records an onboarding — the row, its base connection resource and sealed token, and the whole
 * step ledger — in one transaction, then asks a worker to start it. The same idempotency key
 * with the same input gives back the same onboarding.
 */
export class OnboardingRequests {
  constructor(private readonly options: OnboardingRequestsOptions) {}

  async submit(ctx: RequestContext, request: NewOnboarding): Promise<{ onboardingId: string; steps: PlannedStep[] }> {
    const { pool } = this.options;
    const inputHash = request.idempotencyKey ? this.fingerprint(request) : null;
    if (request.idempotencyKey) {
      const existing = await this.byKey(ctx.actor, request.idempotencyKey);
      if (existing) return this.sameOrRefuse(existing, inputHash);
    }
    const onboardingId = randomUUID();
    const steps = planSteps({ onboardingId, name: request.name, resources: request.resources, existingDataset: request.existingDataset });
    const connection = steps.find((s) => s.kind === 'CREATE_CONNECTION')!;
    const secret = this.options.secrets.seal(connection.resourceId!, request.accessToken);

    const client = await pool.connect();
    try {
      await client.query('BEGIN');
      await client.query(
        `INSERT INTO onboardings (id, sandbox, name, description, status, resources, schedule, rollback_on_failure, existing_dataset_id, connection_id, requested_by, request_id, idempotency_key, input_hash, updated_at)
         VALUES ($1, $2, $3, $4, 'QUEUED', $5, $6::jsonb, $7, $8, $9, $10, $11, $12, $13, now())`,
        [onboardingId, ctx.sandbox, request.name, request.description, request.resources, JSON.stringify(request.schedule), request.rollbackOnFailure, request.existingDataset?.id ?? null, connection.resourceId, ctx.actor, ctx.requestId, request.idempotencyKey, inputHash],
      );
      await client.query(
        `INSERT INTO resources (id, type, sandbox, name, description, state, spec, updated_at) VALUES ($1, 'CONNECTION', $2, $3, $4, 'PENDING', '{}'::jsonb, now())`,
        [connection.resourceId, ctx.sandbox, connection.name, request.description],
      );
      await client.query('INSERT INTO secrets (id, resource_id, key_id, ciphertext) VALUES ($1, $2, $3, $4)', [secret.id, connection.resourceId, secret.keyId, secret.ciphertext]);
      // The whole ledger in one statement: a round trip per step (23 for three resources) was
      // most of the mutation's time, before anything could start.
      await client.query(
        `INSERT INTO onboarding_steps (id, onboarding_id, key, kind, position, stripe_resource, depends_on, weight, status, resource_type, resource_id, updated_at)
         SELECT s.id, $1, s.key, s.kind, s.position, s.resource, ARRAY(SELECT jsonb_array_elements_text(s.depends_on)), s.weight, 'PENDING', s.resource_type::"ResourceType", s.resource_id, now()
         FROM jsonb_to_recordset($2::jsonb) AS s(id uuid, key text, kind text, position int, resource text, depends_on jsonb, weight float8, resource_type text, resource_id uuid)`,
        [
          onboardingId,
          JSON.stringify(
            steps.map((step, position) => ({ id: randomUUID(), key: step.key, kind: step.kind, position, resource: step.resource, depends_on: step.dependsOn, weight: step.weight, resource_type: step.resourceType, resource_id: step.resourceId })),
          ),
        ],
      );
      await client.query('COMMIT');
    } catch (error) {
      await client.query('ROLLBACK').catch(() => undefined);
      if (request.idempotencyKey && (error as { code?: string }).code === '23505') {
        const existing = await this.byKey(ctx.actor, request.idempotencyKey);
        if (existing) return this.sameOrRefuse(existing, inputHash);
      }
      throw error;
    } finally {
      client.release();
    }
    await this.kick(onboardingId);
    return { onboardingId, steps };
  }

  /** Asks a worker to advance the saga (after start, retry or cancel). Failure is logged: the sweep picks it up. */
  async kick(onboardingId: string): Promise<void> {
    await this.options.queue.add('advance', { onboardingId }, { jobId: `${onboardingId}.advance.${Date.now()}`, removeOnComplete: true, removeOnFail: true }).catch((error) => {
      this.options.logger.warn({ onboardingId, err: (error as Error).message }, 'could not enqueue the onboarding; the sweep will start it');
    });
  }

  private async byKey(actor: string, key: string): Promise<OnboardingRow | null> {
    return (await this.options.pool.query<OnboardingRow>('SELECT * FROM onboardings WHERE requested_by = $1 AND idempotency_key = $2', [actor, key])).rows[0] ?? null;
  }

  private sameOrRefuse(existing: OnboardingRow, inputHash: string | null): { onboardingId: string; steps: PlannedStep[] } {
    if (existing.input_hash !== inputHash) throw new IdempotencyKeyReusedError(existing.id);
    return { onboardingId: existing.id, steps: [] };
  }

  private fingerprint(request: NewOnboarding): string {
    const token = createHmac('sha256', this.options.fingerprintKey).update(request.accessToken).digest('hex');
    const { accessToken: _secret, idempotencyKey: _key, ...rest } = request;
    return createHash('sha256').update(JSON.stringify({ ...rest, token })).digest('hex');
  }
}
