import { createHash, createHmac, randomUUID } from 'node:crypto';
import type { Queue } from 'bullmq';
import { OPERATION_RESOURCE, type OperationType } from '../domain/operation-types.js';
import { IdempotencyKeyReusedError } from '../errors/app-errors.js';
import { enqueueOperation } from '../jobs/enqueue.js';
import type { OperationJobData } from '../jobs/queues.js';
import type { Logger } from '../logging/logger.js';
import { channels, type EventBus } from '../pubsub/event-bus.js';
import { serializeOperation } from '../schema/mappers.js';
import { Prisma, type ResourceType } from '../store/generated/client.js';
import type { Operation } from '../store/operation.store.js';
import type { Store } from '../store/store.js';

/** Who asks, for which sandbox, under which request id (for audit correlation). */
export interface RequestContext {
  actor: string;
  requestId: string;
  sandbox: string;
}

/** A resource row to create together with the operation (create mutations). */
export interface NewResource {
  name: string;
  description?: string | null;
  spec?: Record<string, unknown>;
  stripeResource?: string | null;
  connectionId?: string | null;
  sourceConnectionId?: string | null;
  targetConnectionId?: string | null;
  schemaId?: string | null;
  datasetId?: string | null;
  mappingId?: string | null;
}

export interface OperationRequest {
  type: OperationType;
  /** The resource acted on; for creates, a new id. */
  resourceId: string;
  /** For creates: the row to insert (state PENDING). */
  create?: NewResource;
  /** A secret to seal and attach to the resource; its id is put in `input.secretId`. */
  secret?: string;
  /** What the worker needs (ids, field values; never secrets). */
  input?: Record<string, unknown>;
  idempotencyKey?: string | null;
}

export interface OperationRequestsOptions {
  store: Store;
  queue: Queue<OperationJobData>;
  bus: EventBus;
  logger: Logger;
  /** Keys the hash of secrets inside idempotency fingerprints (so the hash reveals nothing). */
  fingerprintKey: Buffer;
}

/**
 * The one way a mutation changes anything: record the operation (and the new resource, its
 * secret and the idempotency key) in one transaction, then enqueue it under its own id.
 * PostgreSQL is the source of truth; if Redis is down the reconciler enqueues it later.
 */
export class OperationRequests {
  constructor(private readonly options: OperationRequestsOptions) {}

  newId(): string {
    return randomUUID();
  }

  async submit(ctx: RequestContext, request: OperationRequest): Promise<Operation> {
    const { store } = this.options;
    const key = request.idempotencyKey ?? null;
    // The fingerprint only matters when a key can bring the same request back.
    const inputHash = key ? this.fingerprint(request) : null;
    if (key) {
      const existing = await store.prisma.operation.findUnique({ where: { requestedBy_idempotencyKey: { requestedBy: ctx.actor, idempotencyKey: key } } });
      if (existing) return this.sameOrRefuse(existing, inputHash);
    }

    const operationId = randomUUID();
    const resourceType: ResourceType = OPERATION_RESOURCE[request.type];
    const input: Record<string, unknown> = { ...(request.input ?? {}) };
    const secret = request.secret === undefined ? null : store.secrets.seal(request.resourceId, request.secret);
    if (secret) input.secretId = secret.id;
    const c = request.create;
    let operation: Operation;
    try {
      // One statement: the operation, its new resource and its sealed secret exist together or not at all.
      operation = await store.hot.record(
        {
          id: operationId,
          type: request.type,
          resourceType,
          resourceId: request.resourceId,
          sandbox: ctx.sandbox,
          input,
          requestedBy: ctx.actor,
          requestId: ctx.requestId,
          idempotencyKey: key,
          inputHash,
        },
        c
          ? {
              id: request.resourceId,
              type: resourceType,
              sandbox: ctx.sandbox,
              name: c.name,
              description: c.description ?? null,
              spec: c.spec ?? {},
              stripeResource: c.stripeResource ?? null,
              connectionId: c.connectionId ?? null,
              sourceConnectionId: c.sourceConnectionId ?? null,
              targetConnectionId: c.targetConnectionId ?? null,
              schemaId: c.schemaId ?? null,
              datasetId: c.datasetId ?? null,
              mappingId: c.mappingId ?? null,
            }
          : null,
        secret,
      );
    } catch (error) {
      // Two requests with the same key raced; the loser answers with the winner's operation.
      if (key && (error as { code?: string }).code === '23505') {
        const existing = await store.prisma.operation.findUnique({ where: { requestedBy_idempotencyKey: { requestedBy: ctx.actor, idempotencyKey: key } } });
        if (existing) return this.sameOrRefuse(existing, inputHash);
      }
      throw error;
    }

    // No QUEUED message is published: nobody can be subscribed to an id that did not exist.
    await enqueueOperation(this.options.queue, operation.id, this.options.logger);
    return operation;
  }

  /** Puts a FAILED or CANCELLED operation back on the queue; its resource keeps its id. */
  async retry(ctx: RequestContext, operation: Operation): Promise<Operation> {
    const { store } = this.options;
    const updated = await store.transaction(async (tx) => {
      const result = await tx.operation.updateMany({
        where: { id: operation.id, status: { in: ['FAILED', 'CANCELLED'] } },
        data: { status: 'QUEUED', progress: 0, message: `retry requested by ${ctx.actor}`, error: Prisma.DbNull, finishedAt: null },
      });
      if (result.count === 1 && operation.type.startsWith('CREATE_')) {
        await tx.resource.updateMany({ where: { id: operation.resourceId, state: 'FAILED' }, data: { state: 'PENDING' } });
      }
      return tx.operation.findUniqueOrThrow({ where: { id: operation.id } });
    });
    await enqueueOperation(this.options.queue, updated.id, this.options.logger);
    await this.options.bus.publish(channels.operation(updated.id), serializeOperation(updated)).catch(() => undefined);
    return updated;
  }

  private sameOrRefuse(existing: Operation, inputHash: string | null): Operation {
    if (existing.inputHash !== inputHash) throw new IdempotencyKeyReusedError(existing.id);
    return existing;
  }

  /** What makes two requests "the same": type, target, input — and the secret, keyed so the hash reveals nothing. */
  private fingerprint(request: OperationRequest): string {
    const secret = request.secret === undefined ? null : createHmac('sha256', this.options.fingerprintKey).update(request.secret).digest('hex');
    // For creates the target id is new on every call, so it is left out.
    const target = request.create ? { create: request.create } : { resourceId: request.resourceId };
    return createHash('sha256').update(stableJson({ type: request.type, target, input: request.input ?? {}, secret })).digest('hex');
  }
}

function stableJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(stableJson).join(',')}]`;
  if (value && typeof value === 'object') {
    return `{${Object.keys(value)
      .sort()
      .filter((k) => (value as Record<string, unknown>)[k] !== undefined)
      .map((k) => `${JSON.stringify(k)}:${stableJson((value as Record<string, unknown>)[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(value);
}
