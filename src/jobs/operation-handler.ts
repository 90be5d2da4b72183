import type { Logger } from '../logging/logger.js';
import type { PlatformClient } from '../platform/platform-client.js';
import type { EventBus } from '../pubsub/event-bus.js';
import type { Prisma, ResourceState } from '../store/generated/client.js';
import type { Operation } from '../store/operation.store.js';
import type { Resource } from '../store/resource.store.js';
import type { Store } from '../store/store.js';

/** What job processors need; built once in the worker's composition root. */
export interface WorkerDeps {
  store: Store;
  platform: PlatformClient;
  bus: EventBus;
  logger: Logger;
  /** The Schema Registry tenant id (configured, or read once from `/stats`). */
  tenantId(): Promise<string>;
  /** Called after an operation finished (SUCCEEDED or FAILED): onboardings advance their saga here. */
  afterOperation?: (operation: Operation) => Promise<void>;
}

/** Everything one handler run gets. */
export interface HandlerContext {
  operation: Operation;
  resource: Resource;
  deps: WorkerDeps;
  /** True when an earlier attempt ran: the Platform may already hold what this attempt is about to write. */
  isRetry: boolean;
  /** Reports progress (0..1) to subscribers. */
  progress(fraction: number, message: string): Promise<void>;
  /** Decrypts the secret this operation carries (its `input.secretId`), right before the Platform call that needs it. */
  secret(): Promise<string>;
}

/** What a handler changed: the resource row update and the audit action; the processor commits both with the operation. */
export interface HandlerOutcome {
  resource: {
    platformId?: string | null;
    etag?: string | null;
    snapshot?: Prisma.InputJsonValue | null;
    state?: ResourceState;
    name?: string;
    description?: string | null;
    spec?: Prisma.InputJsonValue;
    deletedAt?: Date | null;
  };
  /** e.g. CREATED, UPDATED, DELETED, ENABLED, DISABLED. */
  action: string;
  message: string;
}

export type OperationHandler = (ctx: HandlerContext) => Promise<HandlerOutcome>;

/**
 * A Platform 412 the handler already investigated: the resource changed behind our back. The
 * processor stores the fresh snapshot and etag, records a CONFLICT_DETECTED audit event, and
 * fails the operation with CONFLICT.
 */
export class PlatformChangedConflict extends Error {
  readonly code = 'CONFLICT' as const;
  readonly retryable = false;
  constructor(
    message: string,
    readonly currentEtag: string | null,
    readonly snapshot: Prisma.InputJsonValue | null,
  ) {
    super(message);
  }
}
