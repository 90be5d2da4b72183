import type { AuditAction } from '../domain/audit-actions.js';
import type { OperationInput, OperationType } from '../domain/operations.js';
import type { Logger } from '../logging/logger.js';
import type { PlatformClient } from '../platform/platform-client.js';
import type { EventBus } from '../pubsub/event-bus.js';
import type { CreateFence } from '../store/create-fence.js';
import type { ResourceChanges } from '../store/operation-ledger.js';
import type { Operation, Resource } from '../store/rows.js';
import type { Store } from '../store/store.js';
import type { WebhookDispatcher } from './webhooks/webhook-dispatcher.js';

/** What job processors need; built once in the worker's composition root. */
export interface WorkerDeps {
  store: Store;
  platform: PlatformClient;
  bus: EventBus;
  logger: Logger;
  /** The Schema Registry tenant id (configured, or read once from `/stats`). */
  tenantId: () => Promise<string>;
  /** Where a failed operation is announced to webhooks (OPERATION_FAILED); none: not announced. */
  webhooks?: WebhookDispatcher;
  /** Called after an operation finished (SUCCEEDED or FAILED): onboardings advance their saga here. */
  afterOperation?: (operation: Operation, input: { onboardingId?: string }) => Promise<void>;
  /**
   * Called as the end of an onboarding's step operation starts being recorded (`recording` settles
   * once it is): the onboarding's next pass in this process waits for it, so that the ends of one
   * level are folded by one pass (see `OnboardingOrchestrator.recordingEnd`).
   */
  stepEndRecording?: (onboardingId: string, operation: Operation, recording: Promise<unknown>) => void;
}

/** Everything one handler run gets: the operation, its resource, and its input as its contract parsed it. */
export interface HandlerContext<I = unknown> {
  operation: Operation;
  resource: Resource;
  input: I;
  deps: WorkerDeps;
  /** True when an earlier attempt ran: the Platform may already hold what this attempt is about to write. */
  isRetry: boolean;
  /** Held around each Platform create (`createOrAdopt`): two runs of this operation never both send one. */
  fence: CreateFence;
  /** The resources `resource` refers to, by id, as read when the operation started (`readyDependency` uses them instead of reading again); their `snapshot` is not read (null). */
  dependencies: ReadonlyMap<string, Resource>;
  /** Reports progress (0..1) to subscribers. */
  progress(fraction: number, message: string): Promise<void>;
  /** Decrypts the secret this operation carries (its `input.secretId`), right before the Platform call that needs it. */
  secret(): Promise<string>;
  /**
   * Awaited before each Platform call is sent (`callOptions` passes it on): for an onboarding step
   * started while its pass commits, until that start is on disk (see jobs/recorded-start.ts). None: calls go at once.
   */
  beforeSend?: () => Promise<void>;
}

/** What a handler changed: the resource's new columns and the audit action; the processor commits both with the operation. */
export interface HandlerOutcome {
  resource: ResourceChanges;
  /** e.g. CREATED, UPDATED, DELETED, ENABLED, DISABLED. */
  action: AuditAction;
  message: string;
  /**
   * What the create's answer did not say (Catalog answers a dataset create with its id only):
   * read after the operation finished, off the critical path of whatever waits for it, and
   * recorded if the resource still has no etag.
   */
  observeLater?: () => Promise<{ etag: string | null; snapshot: unknown }>;
}

/** Carries out one operation type on the Platform, given its parsed input. */
export type OperationHandler<T extends OperationType> = (ctx: HandlerContext<OperationInput<T>>) => Promise<HandlerOutcome>;

/** The handler of every operation type: the job registry, checked complete by the compiler. */
export type OperationHandlers = { [T in OperationType]: OperationHandler<T> };
