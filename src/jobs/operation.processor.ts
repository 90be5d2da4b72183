import { UnrecoverableError, type Job } from 'bullmq';
import { isOperationType, type OperationType } from '../domain/operation-types.js';
import { channels, type ResourceChangeMessage } from '../pubsub/event-bus.js';
import { serializeOperation } from '../schema/mappers.js';
import type { Prisma } from '../store/generated/client.js';
import type { OperationHotPath } from '../store/operation-hot-path.js';
import type { Operation } from '../store/operation.store.js';
import type { Resource } from '../store/resource.store.js';
import { REDACTED } from '../platform/secret-redaction.js';
import { toOperationErrorInfo } from './operation-error-info.js';
import { PlatformChangedConflict, type HandlerOutcome, type OperationHandler, type WorkerDeps } from './operation-handler.js';
import type { OperationJobData } from './queues.js';

/**
 * An error whose message and stack no longer contain `secret` (a Platform or library error may
 * echo a request value). Same class and fields, so retry decisions do not change.
 */
function scrubSecret(error: unknown, secret: string): unknown {
  if (!(error instanceof Error) || secret.length === 0) return error;
  const scrub = (text: string | undefined) => text?.split(secret).join(REDACTED);
  if (error.message.includes(secret)) error.message = scrub(error.message)!;
  if (error.stack?.includes(secret)) error.stack = scrub(error.stack);
  return error;
}

/** An operation this delivery moved to RUNNING, with its resource and sealed secret. */
type ClaimedOperation = NonNullable<Awaited<ReturnType<OperationHotPath['start']>>>;

/** Minimum time between two progress reports of one operation. */
export const PROGRESS_INTERVAL_MS = 200;

/** The audit-visible view of a resource: what an auditor compares before and after. */
export function auditView(resource: Resource): Record<string, unknown> {
  return {
    name: resource.name,
    description: resource.description,
    state: resource.state,
    platformId: resource.platformId,
    etag: resource.etag,
    spec: resource.spec,
  };
}

export interface OperationProcessorOptions {
  /**
   * How often a RUNNING operation's `updated_at` is renewed while its handler works. The
   * reconciler re-enqueues a RUNNING operation without a job only once this heartbeat is older
   * than the worker lock time, so it must be well below it: a third of it. Default 10 s.
   */
  heartbeatMs?: number;
}

/**
 * Runs one operation job: marks it RUNNING, calls the handler for its type, then commits the
 * resource change, the operation's outcome and the audit event in one transaction and publishes
 * progress. Retryable failures go back to BullMQ (RETRYING); final ones — or the last attempt —
 * fail the operation (FAILED) and stop the job. While the handler runs, the operation's row is
 * heartbeated: the proof, kept in PostgreSQL, that it is not abandoned even if Redis forgot its job.
 */
export class OperationProcessor {
  private readonly heartbeatMs: number;

  constructor(
    private readonly deps: WorkerDeps,
    private readonly handlers: Partial<Record<OperationType, OperationHandler>>,
    options: OperationProcessorOptions = {},
  ) {
    this.heartbeatMs = options.heartbeatMs ?? 10_000;
  }

  async process(job: Job<OperationJobData>): Promise<void> {
    const { store, logger } = this.deps;
    const operationId = job.data.operationId;
    const claimed = await store.hot.start(operationId, 'running');
    if (!claimed) return; // finished (or cancelled) by an earlier delivery of this job
    const heartbeat = setInterval(() => {
      store.hot.heartbeat(operationId).catch((error: unknown) => logger.warn({ operationId, err: (error as Error).message }, 'could not renew the heartbeat of a running operation'));
    }, this.heartbeatMs);
    try {
      await this.run(job, claimed);
    } finally {
      clearInterval(heartbeat);
    }
  }

  /** Runs the handler of a claimed (RUNNING) operation and records its outcome. */
  private async run(job: Job<OperationJobData>, claimed: ClaimedOperation): Promise<void> {
    const { store, logger } = this.deps;
    const operationId = job.data.operationId;
    const { operation: started, resource, secret } = claimed;
    let lastProgressAt = Date.now();
    /** The plaintext secret once the handler asked for it: scrubbed from whatever an error carries onwards. */
    let opened: string | null = null;
    // Not awaited: the Platform call need not wait for Redis to confirm the news. Later publishes
    // of this operation are issued after it on the same connection, so subscribers see them in order.
    void this.publishOperation(started);

    const handler = isOperationType(started.type) ? this.handlers[started.type] : undefined;
    if (!resource || !handler) {
      await this.fail(started, resource, { code: 'INTERNAL_SERVER_ERROR', message: 'the operation refers to an unknown resource or type', retryable: false });
      throw new UnrecoverableError('unknown resource or operation type');
    }
    try {
      const outcome = await handler({
        operation: started,
        resource,
        deps: this.deps,
        // An earlier attempt — of this operation, or of the onboarding step it belongs to — may have written.
        isRetry: started.attempts > 1 || (started.input as { adoptExisting?: boolean } | null)?.adoptExisting === true,
        secret: async () => {
          if (!secret) throw new Error(`operation ${operationId} carries no secret`);
          opened = store.secrets.openSealed(secret);
          return opened;
        },
        progress: async (fraction, message) => {
          // Reported at most every PROGRESS_INTERVAL_MS: a step that follows the previous one within
          // milliseconds tells a UI nothing, and each report is a write and a publish.
          const now = Date.now();
          if (now - lastProgressAt < PROGRESS_INTERVAL_MS) return;
          lastProgressAt = now;
          const updated = await store.hot.progress(operationId, Math.max(0, Math.min(0.99, fraction)), message);
          if (updated) await this.publishOperation(updated);
        },
      });
      await this.succeed(started, resource, outcome);
      await this.notifyFinished(started);
    } catch (caught) {
      const error = opened === null ? caught : scrubSecret(caught, opened);
      const info = toOperationErrorInfo(error);
      const lastAttempt = job.attemptsMade + 1 >= (job.opts.attempts ?? 1);
      if (info.retryable && !lastAttempt) {
        logger.warn({ operationId, type: started.type, attempt: job.attemptsMade + 1, err: info.message }, 'operation attempt failed; retrying');
        const retrying = await store.hot.retrying(operationId, info);
        await this.publishOperation(retrying);
        throw error;
      }
      if (info.code === 'INTERNAL_SERVER_ERROR') logger.error({ operationId, type: started.type, err: error }, 'operation failed with an unexpected error');
      else logger.info({ operationId, type: started.type, code: info.code, platformCode: info.platformCode }, 'operation failed');
      await this.fail(started, resource, { ...info, retryable: false }, error instanceof PlatformChangedConflict ? error : null);
      await this.notifyFinished(started);
      throw new UnrecoverableError(info.message);
    }
  }

  private async succeed(operation: Operation, before: Resource, outcome: HandlerOutcome): Promise<void> {
    const r = outcome.resource;
    const pick = <K extends keyof HandlerOutcome['resource']>(key: K, current: unknown) => (r[key] === undefined ? current : r[key]);
    const after = {
      name: pick('name', before.name) as string,
      description: pick('description', before.description) as string | null,
      state: pick('state', before.state) as string,
      platformId: pick('platformId', before.platformId) as string | null,
      etag: pick('etag', before.etag) as string | null,
      spec: pick('spec', before.spec),
      snapshot: r.snapshot ?? null,
      deletedAt: pick('deletedAt', before.deletedAt) as Date | null,
    };
    const firstCreation = before.platformId === null && before.state === 'PENDING';
    const { operation: done, resource } = await this.deps.store.hot.succeed(
      operation,
      before,
      after,
      {
        action: outcome.action,
        before: firstCreation ? null : auditView(before),
        after: { name: after.name, description: after.description, state: after.state, platformId: after.platformId, etag: after.etag, spec: after.spec },
      },
      outcome.message,
    );
    // Not awaited, like the RUNNING news: whoever waits for this operation (an onboarding's next
    // step) moves on at once; its own publishes go out after these on the same connection.
    void this.deps.bus
      .publishAll([
        { channel: channels.operation(done.id), payload: serializeOperation(done) },
        { channel: channels.resource(resource.type, resource.id), payload: this.resourceMessage(resource, outcome.action, operation.id) },
      ])
      .catch((error) => this.deps.logger.warn({ operationId: done.id, err: (error as Error).message }, 'could not publish operation progress'));
  }

  private async fail(operation: Operation, resource: Resource | null, info: ReturnType<typeof toOperationErrorInfo>, conflict: PlatformChangedConflict | null = null): Promise<void> {
    const { store } = this.deps;
    const { failed, after } = await store.transaction(async (tx) => {
      let after = resource;
      if (resource && conflict) {
        after = await tx.resource.update({
          where: { id: resource.id },
          data: { etag: conflict.currentEtag ?? resource.etag, ...(conflict.snapshot !== null ? { snapshot: conflict.snapshot } : {}) },
        });
      } else if (resource && operation.type.startsWith('CREATE_') && resource.state === 'PENDING') {
        after = await tx.resource.update({ where: { id: resource.id }, data: { state: 'FAILED' } });
      }
      const failed = await store.operations.finish(operation.id, { status: 'FAILED', message: info.message, error: info }, tx);
      if (resource) {
        await store.audit.append(
          {
            sandbox: resource.sandbox,
            actor: operation.requestedBy,
            action: conflict ? 'CONFLICT_DETECTED' : `${operation.type}_FAILED`,
            resourceType: resource.type,
            resourceId: resource.id,
            platformId: resource.platformId,
            etagBefore: resource.etag,
            etagAfter: after?.etag ?? resource.etag,
            before: auditView(resource),
            after: after ? auditView(after) : null,
            operationId: operation.id,
            requestId: operation.requestId,
          },
          tx,
        );
      }
      return { failed, after };
    });
    await this.publishOperation(failed);
    if (after && after !== resource) await this.publishResource(after, conflict ? 'CONFLICT_DETECTED' : 'FAILED', operation.id);
  }

  /** Lets whoever waits for this operation (an onboarding) move on; its own failure is only logged. */
  private async notifyFinished(operation: Operation): Promise<void> {
    if (!this.deps.afterOperation) return;
    await this.deps.afterOperation(operation).catch((error) => {
      this.deps.logger.warn({ operationId: operation.id, err: (error as Error).message }, 'follow-up of a finished operation failed; the sweep retries it');
    });
  }

  private async publishOperation(operation: Operation): Promise<void> {
    await this.deps.bus.publish(channels.operation(operation.id), serializeOperation(operation)).catch((error) => {
      this.deps.logger.warn({ operationId: operation.id, err: (error as Error).message }, 'could not publish operation progress');
    });
  }

  private async publishResource(resource: Resource, action: string, operationId: string): Promise<void> {
    await this.deps.bus.publish(channels.resource(resource.type, resource.id), this.resourceMessage(resource, action, operationId)).catch(() => undefined);
  }

  private resourceMessage(resource: Resource, action: string, operationId: string): ResourceChangeMessage {
    return {
      resourceType: resource.type,
      resourceId: resource.id,
      state: resource.state,
      etag: resource.etag,
      platformId: resource.platformId,
      action,
      operationId,
      at: new Date().toISOString(),
    };
  }
}
