import { addWithin } from '../jobs/enqueue.js';
import { createHash, createHmac, randomUUID } from 'node:crypto';
import type { Queue } from 'bullmq';
import { planSteps, type PlannedStep } from '../domain/onboarding-plan.js';
import type { StripeResourcePath } from '../domain/resource-types.js';
import type { RequestedSchedule } from '../domain/schedule-rules.js';
import { IdempotencyKeyReusedError } from '../errors/app-errors.js';
import { advanceOnboardingJob, type OnboardingJobData } from '../jobs/queues.js';
import { onboardingFinishedEvent } from '../jobs/webhooks/event-payloads.js';
import type { WebhookDispatcher } from '../jobs/webhooks/webhook-dispatcher.js';
import type { Logger } from '../logging/logger.js';
import type { OnboardingRow } from '../store/onboarding-rows.js';
import { newResource } from '../store/operation-ledger.js';
import type { Store } from '../store/store.js';
import type { RequestContext } from './operation-requests.js';

/** A validated `onboardStripe` request. */
export interface NewOnboardingRequest {
  name: string;
  description: string | null;
  accessToken: string;
  resources: StripeResourcePath[];
  /** startTime null: the flows start 60 s after they are created. */
  schedule: RequestedSchedule;
  rollbackOnFailure: boolean;
  existingDataset: { id: string; schemaId: string } | null;
  idempotencyKey: string | null;
}

export interface OnboardingRequestsOptions {
  store: Store;
  queue: Queue<OnboardingJobData>;
  logger: Logger;
  /** Keys the hash of the access token inside idempotency fingerprints (so the hash reveals nothing). */
  fingerprintKey: Buffer;
  /** Where an onboarding cancelled without rollback is announced (ONBOARDING_FINISHED); the saga announces the other endings. */
  webhooks?: WebhookDispatcher;
}

/**
 * Records an onboarding — the row, its base connection resource and sealed token, and the whole
 * step ledger — in one transaction, then asks a worker to start it. The same idempotency key
 * with the same input gives back the same onboarding.
 */
export class OnboardingRequests {
  constructor(private readonly options: OnboardingRequestsOptions) {}

  async submit(ctx: RequestContext, request: NewOnboardingRequest): Promise<{ onboardingId: string; steps: PlannedStep[] }> {
    const { store } = this.options;
    const inputHash = request.idempotencyKey ? this.fingerprint(request) : null;
    if (request.idempotencyKey) {
      const existing = await store.onboardings.byIdempotencyKey(ctx.actor, request.idempotencyKey);
      if (existing) return this.sameOrRefuse(existing, inputHash);
    }
    const onboardingId = randomUUID();
    const steps = planSteps({ onboardingId, name: request.name, resources: request.resources, existingDataset: request.existingDataset });
    const connection = steps.find((s) => s.kind === 'CREATE_CONNECTION')!;
    const secret = store.secrets.seal(connection.resourceId!, request.accessToken);
    try {
      await store.onboardings.create({
        id: onboardingId,
        sandbox: ctx.sandbox,
        name: request.name,
        description: request.description,
        resources: request.resources,
        schedule: request.schedule,
        rollbackOnFailure: request.rollbackOnFailure,
        existingDatasetId: request.existingDataset?.id ?? null,
        requestedBy: ctx.actor,
        requestId: ctx.requestId,
        idempotencyKey: request.idempotencyKey,
        inputHash,
        connection: {
          resource: newResource({ id: connection.resourceId!, type: 'CONNECTION', sandbox: ctx.sandbox, name: connection.name!, description: request.description }),
          secret: { id: secret.id, keyId: secret.keyId, ciphertext: secret.ciphertext },
        },
        steps: steps.map((step, position) => ({
          id: randomUUID(),
          key: step.key,
          kind: step.kind,
          position,
          resource: step.resource,
          dependsOn: step.dependsOn,
          weight: step.weight,
          resourceType: step.resourceType,
          resourceId: step.resourceId,
        })),
      });
    } catch (error) {
      // Two requests with the same key raced; the loser answers with the winner's onboarding.
      if (request.idempotencyKey && (error as { code?: string }).code === '23505') {
        const existing = await store.onboardings.byIdempotencyKey(ctx.actor, request.idempotencyKey);
        if (existing) return this.sameOrRefuse(existing, inputHash);
      }
      throw error;
    }
    await this.kick(onboardingId);
    return { onboardingId, steps };
  }

  /** Asks a worker to advance the saga (after start, retry or cancel). Failure is logged: the sweep picks it up. */
  async kick(onboardingId: string): Promise<void> {
    await addWithin(
      () =>
        this.options.queue.add(advanceOnboardingJob.name, advanceOnboardingJob.data({ onboardingId }), { jobId: `${onboardingId}.advance.${Date.now()}`, removeOnComplete: true, removeOnFail: true }),
      { onboardingId },
      this.options.logger,
      'the onboarding sweep will start it',
    );
  }

  /** Announces an onboarding that ended outside the saga (cancelled without rollback) to webhooks. */
  async announceFinished(onboarding: OnboardingRow): Promise<void> {
    await this.options.webhooks?.emit([onboardingFinishedEvent(onboarding)]);
  }

  private sameOrRefuse(existing: OnboardingRow, inputHash: string | null): { onboardingId: string; steps: PlannedStep[] } {
    if (existing.input_hash !== inputHash) throw new IdempotencyKeyReusedError(existing.id);
    return { onboardingId: existing.id, steps: [] };
  }

  private fingerprint(request: NewOnboardingRequest): string {
    const token = createHmac('sha256', this.options.fingerprintKey).update(request.accessToken).digest('hex');
    const { accessToken: _secret, idempotencyKey: _key, ...rest } = request;
    return createHash('sha256')
      .update(JSON.stringify({ ...rest, token }))
      .digest('hex');
  }
}
