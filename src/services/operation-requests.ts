import { createHash, createHmac, randomUUID } from 'node:crypto';
import type { Queue } from 'bullmq';
import { OPERATIONS, type OperationInputRequest, type OperationType } from '../domain/operations.js';
import { IdempotencyKeyReusedError } from '../errors/app-errors.js';
import { enqueueOperation } from '../jobs/enqueue.js';
import type { OperationJobData } from '../jobs/queues.js';
import type { Logger } from '../logging/logger.js';
import { message, type EventBus } from '../pubsub/event-bus.js';
import { operationEvent, topics } from '../pubsub/events.js';
import { newResource, type NewResource } from '../store/operation-ledger.js';
import type { Operation } from '../store/rows.js';
import type { Store } from '../store/store.js';

/** Who asks, for which sandbox, under which request id (for audit correlation). */
export interface RequestContext {
  actor: string;
  requestId: string;
  sandbox: string;
}

/** The columns of a resource to create together with the operation (create mutations); id, type and sandbox come from the request. */
export type NewResourceFields = Partial<Omit<NewResource, 'id' | 'type' | 'sandbox' | 'name'>> & { name: string };

/** A change to record: its type's contract (domain/operations.ts) types the input. */
export interface OperationRequest<T extends OperationType> {
  type: T;
  /** The resource acted on; for creates, a new id. */
  resourceId: string;
  /** For creates: the row to insert (state PENDING). */
  create?: NewResourceFields;
  /** A secret to seal and attach to the resource; its id goes into the input as `secretId`. */
  secret?: string;
  /** What the worker needs (ids, field values; never secrets). */
  input: OperationInputRequest<T>;
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

  /**
   * Records the operation (with its new resource and sealed secret, in one statement, the input
   * checked against the type's contract) and enqueues it. An idempotency key already used with
   * the same request answers with that operation; with another request, IDEMPOTENCY_KEY_REUSED.
   */
  async submit<T extends OperationType>(ctx: RequestContext, request: OperationRequest<T>): Promise<Operation> {
    const { store } = this.options;
    const key = request.idempotencyKey ?? null;
    // The fingerprint only matters when a key can bring the same request back.
    const inputHash = key ? this.fingerprint(request) : null;
    if (key) {
      const existing = await store.operations.byIdempotencyKey(ctx.actor, key);
      if (existing) return this.sameOrRefuse(existing, inputHash);
    }

    const secret = request.secret === undefined ? null : store.secrets.seal(request.resourceId, request.secret);
    const c = request.create;
    let operation: Operation;
    try {
      operation = await store.ledger.record(
        {
          id: randomUUID(),
          type: request.type,
          resourceId: request.resourceId,
          sandbox: ctx.sandbox,
          input: secret ? { ...request.input, secretId: secret.id } : request.input,
          requestedBy: ctx.actor,
          requestId: ctx.requestId,
          idempotencyKey: key,
          inputHash,
        },
        c ? newResource({ ...c, id: request.resourceId, type: OPERATIONS[request.type].resourceType, sandbox: ctx.sandbox }) : null,
        secret ? { id: secret.id, keyId: secret.keyId, ciphertext: secret.ciphertext } : null,
      );
    } catch (error) {
      // Two requests with the same key raced; the loser answers with the winner's operation.
      if (key && (error as { code?: string }).code === '23505') {
        const existing = await store.operations.byIdempotencyKey(ctx.actor, key);
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
    // Null: a concurrent retry got there first; the operation as it is now is the answer.
    const updated = (await store.ledger.requeue(operation.id, `retry requested by ${ctx.actor}`)) ?? (await store.operations.find(operation.id)) ?? operation;
    await enqueueOperation(this.options.queue, updated.id, this.options.logger);
    this.options.bus.announce(message(topics.operation(updated.id), operationEvent(updated)));
    return updated;
  }

  private sameOrRefuse(existing: Operation, inputHash: string | null): Operation {
    if (existing.inputHash !== inputHash) throw new IdempotencyKeyReusedError(existing.id);
    return existing;
  }

  /** What makes two requests "the same": type, target, input — and the secret, keyed so the hash reveals nothing. */
  private fingerprint(request: OperationRequest<OperationType>): string {
    const secret = request.secret === undefined ? null : createHmac('sha256', this.options.fingerprintKey).update(request.secret).digest('hex');
    // For creates the target id is new on every call, so it is left out.
    const target = request.create ? { create: request.create } : { resourceId: request.resourceId };
    return createHash('sha256')
      .update(stableJson({ type: request.type, target, input: request.input, secret }))
      .digest('hex');
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
