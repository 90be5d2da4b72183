import { inTraceContext } from '../../observability/tracing.js';
import type { Queue } from 'bullmq';
import type pg from 'pg';
import { deterministicId } from '../../domain/deterministic-id.js';
import { generateFieldMappings, type ExploreNode } from '../../domain/mapping-generation.js';
import { decide, type Ledger, type UndoToAdd } from '../../domain/onboarding-decide.js';
import { isInlineStep, TERMINAL_ONBOARDING, type ForwardKind, type StepKind } from '../../domain/onboarding.js';
import { onboardingResourceName, sharedClassTitle, STEP_OPERATIONS, XDM_CLASS_STEP } from '../../domain/onboarding-plan.js';
import type { OperationErrorInfo } from '../../domain/operation-error.js';
import type { OperationType } from '../../domain/operations.js';
import { specOf } from '../../domain/resource-specs.js';
import type { StripeResourcePath } from '../../domain/resource-types.js';
import { exploreSchemaProblem } from '../../domain/xdm-from-explore.js';
import { publicErrorOf } from '../../errors/public-errors.js';
import type { Logger } from '../../logging/logger.js';
import { platformName } from '../../platform/deterministic-names.js';
import type { PlatformClient } from '../../platform/platform-client.js';
import type { PlatformCallOptions } from '../../platform/platform-http.js';
import { RECORD_BEHAVIOR_ID } from '../../platform/schema-registry.client.js';
import type { EventBus } from '../../pubsub/event-bus.js';
import { onboardingEvent, topics } from '../../pubsub/events.js';
import type { LeftBehind, OnboardingRow, OnboardingState, OnboardingStatus, StepRow } from '../../store/onboarding-rows.js';
import type { InlineStepRow, StepStart } from '../../store/onboarding.store.js';
import { newResource, type NewResource, type StepOperation } from '../../store/operation-ledger.js';
import type { Store } from '../../store/store.js';
import { enqueueOperation } from '../enqueue.js';
import { createOrAdopt, deleteIgnoringMissing } from '../handlers/handler-support.js';
import { requeueIfOrphaned } from '../reconciler.js';
import { onboardingStepJob, type OnboardingJobData, type OperationJobData } from '../queues.js';
import { onboardingFinishedEvent } from '../webhooks/event-payloads.js';
import type { WebhookDispatcher } from '../webhooks/webhook-dispatcher.js';

export interface OrchestratorOptions {
  store: Store;
  operationsQueue: Queue<OperationJobData>;
  onboardingQueue: Queue<OnboardingJobData>;
  bus: EventBus;
  platform: PlatformClient;
  logger: Logger;
  /** Steps running at once across every onboarding of this deployment (one AEP org). */
  concurrency: number;
  /**
   * A step's RUNNING operation without a job is enqueued again only once its heartbeat is this
   * old (the worker lock time): it may still run in a live worker after Redis lost its job. Default 30 s.
   */
  runningStaleMs?: number;
  /** Where a finished onboarding is announced to webhooks (ONBOARDING_FINISHED); none: not announced. */
  webhooks?: WebhookDispatcher;
}

/** What an inline step's failure is recorded as when the error was unexpected. */
const UNEXPECTED: OperationErrorInfo = { code: 'INTERNAL_SERVER_ERROR', message: 'An internal error occurred; the operation will be retried.', retryable: true };

interface StartedWork {
  operations: string[];
  /** Inline steps started, with the attempt each is on (its job id). */
  inline: { key: string; attempt: number }[];
}

/** The next move of an unfinished onboarding, as `decide` chose it. */
interface Decision {
  status: OnboardingStatus;
  started: StartedWork;
  error?: OperationErrorInfo | null;
  leftBehind?: LeftBehind[];
}

const isInline = isInlineStep;

/**
 * Drives onboardings. `advance()` is the whole state machine: under a row lock on the
 * onboarding it folds finished operations into the step ledger, decides the next steps (or the
 * rollback, or the end), records them, commits, and only then enqueues their jobs and publishes
 * the new state. It is idempotent and safe to call at any time from any process — after a step
 * finished, from the periodic sweep, or after a crash — which is what makes the saga resumable.
 * Every query is the OnboardingStore's; the steps' resources and operations are recorded through
 * the OperationLedger, checked against their operations' contracts.
 */
export class OnboardingOrchestrator {
  /** Advances running in this process, per onboarding, and whether another pass was asked for meanwhile. */
  private readonly inFlight = new Map<string, { again: boolean; recorded: boolean; done: Promise<void> }>();
  /** Steps running across the deployment as a pass read them with its lock (less the ones it folded), per locked row. */
  private readonly runningAtLock = new WeakMap<OnboardingRow, number>();
  /** Onboardings (advanced in this process) with ready steps that found the step budget used up, oldest first. */
  private readonly waitingForBudget = new Set<string>();

  constructor(private readonly options: OrchestratorOptions) {}

  /** `stepRecorded`: the caller has just recorded a step's outcome, so the new state is saved and published even if nothing else moves. */
  async advance(onboardingId: string, stepRecorded = false): Promise<void> {
    // The steps of one level (one per Stripe resource) finish within milliseconds of each other,
    // and each used to advance on its own: the advances queued on the row lock, so the last
    // resource's next step started only after all the others' advances (measured: 5–17 ms of
    // lock wait per level, on the critical path). A call arriving while this process is already
    // advancing the onboarding now asks for one more pass instead, which starts after the current
    // one committed and so sees the caller's committed change; every waiting caller resolves with it.
    const running = this.inFlight.get(onboardingId);
    if (running) {
      running.again = true;
      running.recorded ||= stepRecorded;
      return running.done;
    }
    const entry = { again: false, recorded: stepRecorded, done: Promise.resolve() };
    entry.done = (async () => {
      // A further pass starts as soon as the previous one committed; its jobs go out while the
      // next pass runs (each pass published its state before the next could start).
      let announced: Promise<void> = Promise.resolve();
      try {
        do {
          do {
            const recorded = entry.recorded;
            entry.again = false;
            entry.recorded = false;
            announced = (await this.advanceOnce(onboardingId, recorded, announced)).announced;
          } while (entry.again);
          await announced;
        } while (entry.again);
      } finally {
        this.inFlight.delete(onboardingId);
      }
    })();
    this.inFlight.set(onboardingId, entry);
    return entry.done;
  }

  /**
   * One pass of the state machine (see the class comment). Resolves once it committed, with
   * `announced`: its jobs enqueued after `previous` (the earlier pass's); its state was
   * published once it was committed, before the next pass could start.
   */
  private async advanceOnce(onboardingId: string, stepRecorded: boolean, previous: Promise<void>): Promise<{ announced: Promise<void> }> {
    let started: StartedWork = { operations: [], inline: [] };
    let state: OnboardingState | null = null;
    let traceParent: string | null = null;
    const passed = await this.options.store.onboardings.pass(
      onboardingId,
      async (client, locked) => {
        const { onboarding, steps } = locked;
        traceParent = onboarding.trace_parent;
        const runningBefore = steps.filter((s) => s.status === 'RUNNING').length;
        const changed = await this.foldFinishedOperations(client, steps);
        this.runningAtLock.set(onboarding, locked.runningSteps - (runningBefore - steps.filter((s) => s.status === 'RUNNING').length));
        const next = TERMINAL_ONBOARDING.includes(onboarding.status) ? null : await this.decide(client, onboarding, steps);
        if (next) started = next.started;
        if (changed || next || stepRecorded) {
          const updated = await this.saveOnboarding(client, onboarding, steps, next?.status ?? onboarding.status, next?.error, next?.leftBehind);
          state = { onboarding: updated, steps };
        }
        // Published after the commit but before the next pass may start (the store holds the
        // onboarding's pass lock until then): subscribers hear states in version order, and a
        // state they hear is already what a query returns.
      },
      async () => {
        if (state) await this.publish(state);
      },
    );
    if (passed === null) return { announced: previous };
    // After the commit, so a job never runs ahead of the ledger that explains it.
    // All at once: the queue connection pipelines them into one round trip, where one after
    // another delayed the last of six jobs (an explore, on the critical path) by five round trips.
    const announce = async () => {
      // Inline steps first: after the connection test, the explores lead the longest chains
      // (explore → schema → dataset → …) while the source connections are not needed until the mappings.
      // In the onboarding's own trace context, whichever job or sweep runs this pass: every step
      // is a child of the onboarding's span.
      await inTraceContext({ traceparent: traceParent ?? undefined }, () =>
        Promise.all([
          ...started.inline.map(({ key, attempt }) => this.enqueueInline(onboardingId, key, attempt)),
          ...started.operations.map((operationId) => enqueueOperation(this.options.operationsQueue, operationId, this.options.logger)),
        ]),
      );
      await previous;
      const finished: OnboardingState | null = state;
      if (finished && TERMINAL_ONBOARDING.includes(finished.onboarding.status)) await this.options.webhooks?.emit([onboardingFinishedEvent(finished.onboarding)]);
      if (state && this.waitingForBudget.size > 0) {
        void this.wakeWaiting().catch((error) => this.options.logger.warn({ err: (error as Error).message }, 'could not hand free step slots to waiting onboardings'));
      }
    };
    return { announced: announce() };
  }

  /**
   * Runs an inline step (connection test, explore, the shared class and its undo), records its
   * outcome, then advances. `redelivered`: an earlier delivery of this job may have run it.
   */
  async runInlineStep(onboardingId: string, key: string, finalAttempt: boolean, redelivered = false): Promise<void> {
    const { platform, store } = this.options;
    const step = await store.onboardings.inlineStep(onboardingId, key);
    if (!step || step.status !== 'RUNNING') return;
    const options = { sandbox: step.connection_sandbox, requestId: `${onboardingId}:${key}` };
    let result: Record<string, unknown> | null = null;
    let platformId: string | null = null;
    let failure: OperationErrorInfo | null = null;
    try {
      if (!step.connection_platform_id) throw new Error('the base connection has no platform id');
      if (step.kind === 'CREATE_XDM_CLASS') {
        const mayExist = redelivered || step.attempts > 1 || step.result?.createSent === true;
        if (!mayExist) await store.onboardings.markCreateSent(onboardingId, key);
        platformId = await createSharedClass(platform, step, options, mayExist);
        result = { classId: platformId };
      } else if (step.kind === 'UNDO_CREATE_XDM_CLASS') {
        result = { removed: await removeSharedClass(platform, step, options) };
      } else if (step.kind === 'TEST_CONNECTION') {
        const ok = await platform.flowService.testConnection(step.connection_platform_id, options);
        if (!ok) failure = { code: 'PLATFORM_REJECTED', message: 'the Platform could not reach Stripe with this access token (connection test failed)', field: 'input.accessToken', retryable: false };
        else result = { result: true };
      } else {
        const explored = await platform.flowService.explore(step.connection_platform_id, step.stripe_resource as StripeResourcePath, {}, options);
        const problem = exploreSchemaProblem(explored.schema);
        if (problem) failure = { code: 'PLATFORM_REJECTED', message: `the explored ${step.stripe_resource} schema cannot be mirrored in XDM: ${problem.path} ${problem.message}`, retryable: false };
        else result = { schema: explored.schema };
      }
    } catch (error) {
      const info = publicErrorOf(error) ?? UNEXPECTED;
      if (info.retryable && !finalAttempt) throw error; // BullMQ tries again with backoff
      failure = { ...info, retryable: false };
    }
    await store.onboardings.recordInlineOutcome(onboardingId, key, failure ? { status: 'FAILED', result: null, error: failure } : { status: 'SUCCEEDED', result, error: null, platformId });
    await this.advance(onboardingId, true);
  }

  /**
   * Repairs what a crash or a lost Redis can leave: inline steps RUNNING without a job (they
   * only read, so running one twice is harmless), unfinished operations of RUNNING steps without
   * a job (never enqueued, dropped by BullMQ after stalling twice, or flushed: the core
   * reconciler would take 15 s or more; a RUNNING one only once its heartbeat stopped); then
   * advances every unfinished onboarding.
   */
  async sweep(): Promise<number> {
    const { store, onboardingQueue, operationsQueue, logger } = this.options;
    const open = await store.onboardings.unfinishedIds();
    for (const step of await store.onboardings.stepsRunningLongerThan(2)) {
      if (isInline(step.kind)) {
        if (!(await onboardingQueue.getJob(inlineJobId(step.onboardingId, step.key, step.attempts)))) await this.enqueueInline(step.onboardingId, step.key, step.attempts);
      } else if (step.operationId && ['QUEUED', 'RUNNING', 'RETRYING'].includes(step.operationStatus ?? '')) {
        await requeueIfOrphaned({ queue: operationsQueue, store, logger, runningStaleMs: this.options.runningStaleMs ?? 30_000 }, step.operationId);
      }
    }
    for (const id of open) {
      await this.advance(id).catch((error) => logger.warn({ onboardingId: id, err: (error as Error).message }, 'could not advance onboarding'));
    }
    return open.length;
  }

  // ---- the state machine -------------------------------------------------------------------

  /** Marks RUNNING operation-backed steps whose operation finished. Returns whether anything changed. */
  private async foldFinishedOperations(client: pg.PoolClient, steps: StepRow[]): Promise<boolean> {
    const waiting = steps.filter((s) => s.status === 'RUNNING' && s.operation_id);
    const folded = await this.options.store.onboardings.foldFinishedOperations(
      client,
      waiting.map((s) => s.id),
    );
    for (const row of folded)
      Object.assign(
        waiting.find((s) => s.id === row.id)!,
        row,
      );
    return folded.length > 0;
  }

  /**
   * Carries out the next move `decide` chooses for an unfinished onboarding (from the ledger held
   * under the row lock); null when nothing changes.
   */
  private async decide(client: pg.PoolClient, onboarding: OnboardingRow, steps: StepRow[]): Promise<Decision | null> {
    const started: StartedWork = { operations: [], inline: [] };
    let decision = decide(ledgerOf(onboarding, steps));
    let error: OperationErrorInfo | null | undefined;
    if (decision.action === 'roll-back') {
      // A failure begins the rollback (a cancel began it already, with its own error).
      if (onboarding.status !== 'ROLLING_BACK') error = decision.error;
      await this.beginRollback(client, onboarding, steps, decision.undo, decision.cancel);
      onboarding.status = 'ROLLING_BACK';
      if (error !== undefined) onboarding.error = error;
      // Nothing made, nothing to undo: rolled back at once.
      decision = decision.undo.length === 0 ? { action: 'end-rollback', status: 'ROLLED_BACK', leftBehind: [] } : decide(ledgerOf(onboarding, steps));
    }
    const withError = error !== undefined ? { error } : {};
    switch (decision.action) {
      case 'none':
        return error !== undefined ? { status: onboarding.status, started, ...withError } : null;
      case 'succeed':
        return { status: 'SUCCEEDED', started, error: null };
      case 'fail':
        return { status: 'FAILED', started, error: decision.error };
      case 'end-rollback':
        return { status: decision.status, started, leftBehind: decision.leftBehind, ...withError };
      case 'roll-back':
        throw new Error(`onboarding ${onboarding.id}: the rollback was planned twice`);
      case 'start': {
        await this.startReady(client, onboarding, steps, decision.keys, started);
        // During a rollback every pass is saved (progress and current step move with the undos).
        if (decision.status === 'ROLLING_BACK' || error !== undefined) return { status: decision.status, started, ...withError };
        const count = started.operations.length + started.inline.length;
        const status = count > 0 || onboarding.status === 'QUEUED' || steps.some((x) => x.undoes === null && x.status === 'RUNNING') ? 'RUNNING' : onboarding.status;
        return status === onboarding.status && count === 0 ? null : { status, started };
      }
    }
  }

  /** Records the undo steps of a rollback (listed after the forward steps) and cancels the forward steps that never ran. */
  private async beginRollback(client: pg.PoolClient, onboarding: OnboardingRow, steps: StepRow[], undo: UndoToAdd[], cancel: string[]): Promise<void> {
    const { onboardings } = this.options.store;
    const forward = steps.filter((s) => s.undoes === null);
    const inserted = await onboardings.insertSteps(
      client,
      onboarding.id,
      undo.map((u, index) => ({
        id: deterministicId(onboarding.id, u.key),
        key: u.key,
        kind: u.kind,
        position: forward.length + index,
        resource: u.resource,
        dependsOn: u.dependsOn,
        weight: 1,
        resourceType: forward.find((s) => s.key === u.undoes)!.resource_type,
        resourceId: u.resourceId,
        undoes: u.undoes,
      })),
    );
    steps.push(...inserted.sort((x, y) => x.position - y.position));
    // Forward steps that never ran will not: they are cancelled, not failed.
    const notRun = forward.filter((s) => cancel.includes(s.key));
    await onboardings.cancelSteps(
      client,
      notRun.map((s) => s.id),
    );
    for (const s of notRun) s.status = 'CANCELLED';
  }

  /**
   * Starts the steps `decide` found ready, within the deployment-wide step budget: their
   * operations (and resource rows) recorded in one statement, the steps marked RUNNING in another.
   */
  private async startReady(client: pg.PoolClient, onboarding: OnboardingRow, all: StepRow[], keys: string[], started: StartedWork): Promise<void> {
    const { onboardings, ledger } = this.options.store;
    const ready = keys.map((key) => all.find((s) => s.key === key)!);
    this.waitingForBudget.delete(onboarding.id);
    if (ready.length === 0) return;
    const busy = this.runningAtLock.get(onboarding) ?? (await onboardings.runningStepCount(client));
    let budget = Math.max(0, this.options.concurrency - busy);
    const starts: StepStart[] = [];
    const operations: StepOperation[] = [];
    for (const step of ready) {
      if (budget <= 0) break;
      budget--;
      const attempt = step.attempts + 1;
      if (isInline(step.kind)) {
        starts.push({ stepId: step.id, attempt, operationId: null });
        Object.assign(step, { status: 'RUNNING', attempts: attempt });
        started.inline.push({ key: step.key, attempt });
        continue;
      }
      const operation = await this.stepOperation(client, onboarding, all, step, attempt);
      if (operation === null) continue; // failed while preparing (recorded on the step)
      operations.push(operation);
      starts.push({ stepId: step.id, attempt, operationId: operation.operation.id });
      Object.assign(step, { status: 'RUNNING', attempts: attempt, operation_id: operation.operation.id });
      started.operations.push(operation.operation.id);
    }
    // Two statements for every step this pass starts, under the onboarding's row lock (a
    // statement per step kept the lock, and every step's start, waiting).
    await ledger.recordStepOperations(client, operations);
    await onboardings.markStepsRunning(client, starts);
    if (ready.some((s) => s.status === 'PENDING')) this.waitingForBudget.add(onboarding.id);
  }

  /**
   * Hands free step slots to onboardings that found none. Without it they waited for the next
   * sweep (every 2 s) even when slots freed a moment later: 20 onboardings started at once
   * finished in waves 2 s apart (measured: p50 5.2 s, all done after 9.3 s). Called after a pass
   * that changed something (a step finished or started); the sweep still covers other processes.
   */
  private async wakeWaiting(): Promise<void> {
    const busy = await this.options.store.onboardings.runningStepCount();
    let free = this.options.concurrency - busy;
    for (const id of this.waitingForBudget) {
      if (free-- <= 0) break;
      this.waitingForBudget.delete(id);
      void this.advance(id).catch((error) => this.options.logger.warn({ onboardingId: id, err: (error as Error).message }, 'could not advance onboarding'));
    }
  }

  /**
   * The core operation (and resource row) a step starts, with ids that are the same if this runs
   * twice, so a crash between commit and enqueue repeats nothing. Null when the step fails while
   * being prepared (recorded on the step).
   */
  private async stepOperation(client: pg.PoolClient, onboarding: OnboardingRow, all: StepRow[], step: StepRow, attempt: number): Promise<StepOperation | null> {
    const { onboardings } = this.options.store;
    const byKey = (key: string) => all.find((s) => s.key === key);
    const r = step.stripe_resource as StripeResourcePath | null;
    const input: Record<string, unknown> = { onboardingId: onboarding.id, stepKey: step.key, ...(attempt > 1 ? { adoptExisting: true } : {}) };
    const operationId = deterministicId(onboarding.id, step.key, 'operation', String(attempt));
    const operation = (type: OperationType) => ({
      id: operationId,
      type,
      resourceId: step.resource_id!,
      sandbox: onboarding.sandbox,
      input,
      requestedBy: onboarding.requested_by,
      requestId: onboarding.request_id,
      idempotencyKey: null,
      inputHash: null,
      message: `onboarding ${onboarding.id}: ${step.key}`,
    });

    if (step.undoes) {
      const type = STEP_OPERATIONS[step.kind.replace(/^UNDO_/, '') as ForwardKind]!.undo;
      if (type === 'DELETE_CONNECTION') input.cascade = false;
      return { operation: operation(type), resource: { write: 'none' } };
    }

    const kind = step.kind as ForwardKind;
    const plan = STEP_OPERATIONS[kind]!;
    const upsert = (row: Partial<NewResource>): StepOperation => ({
      operation: operation(plan.operation),
      resource: {
        write: 'upsert',
        row: newResource({ id: step.resource_id!, type: plan.resourceType, sandbox: onboarding.sandbox, name: onboardingResourceName(onboarding.name, kind, r), stripeResource: r, ...row }),
      },
    });
    switch (kind) {
      case 'CREATE_CONNECTION':
        // The base connection's row was written with the onboarding; a failed attempt is reset.
        input.secretId = (await onboardings.latestSecretId(client, step.resource_id!)) ?? undefined;
        return { operation: operation(plan.operation), resource: { write: 'reset' } };
      case 'CREATE_SOURCE_CONNECTION':
        return upsert({ connectionId: onboarding.connection_id });
      case 'CREATE_XDM_SCHEMA':
        input.exploreSchemaJson = JSON.stringify((byKey(`${r}:explore`)?.result as { schema: unknown }).schema);
        input.classId = byKey(XDM_CLASS_STEP)?.platform_id ?? undefined;
        return upsert({ description: `Stripe ${r} records, onboarded by Flowgate` });
      case 'CREATE_DATASET':
        return upsert({ stripeResource: null, schemaId: byKey(`${r}:xdm-schema`)!.resource_id });
      case 'CREATE_TARGET_CONNECTION': {
        const datasetId = byKey(`${r}:dataset`)?.resource_id ?? onboarding.existing_dataset_id;
        const dataset = (await onboardings.resources(client, [datasetId])).get(datasetId ?? '');
        return upsert({ stripeResource: null, datasetId, schemaId: dataset?.schemaId ?? null });
      }
      case 'CREATE_MAPPING': {
        const ownSchemaId = byKey(`${r}:xdm-schema`)?.resource_id;
        const existingDataset = ownSchemaId ? undefined : (await onboardings.resources(client, [onboarding.existing_dataset_id])).get(onboarding.existing_dataset_id ?? '');
        const schemaId = ownSchemaId ?? existingDataset?.schemaId;
        const schema = (await onboardings.resources(client, [schemaId])).get(schemaId ?? '');
        const explored = (byKey(`${r}:explore`)?.result as { schema: ExploreNode }).schema;
        const spec = specOf('XDM_SCHEMA', schema?.spec);
        const tenantId = String(spec.tenantNamespace ?? '').replace(/^_/, '');
        const fieldMappings = generateFieldMappings({ exploreSchema: explored, schemaFields: spec.fields ?? [], tenantId, resource: r! });
        if (fieldMappings.length === 0) {
          const error: OperationErrorInfo = { code: 'PRECONDITION_FAILED', message: `no attribute of the explored ${r} schema has a field in schema ${schema?.id}`, retryable: false };
          await onboardings.failStep(client, step.id, attempt, error);
          Object.assign(step, { status: 'FAILED', attempts: attempt, error });
          return null;
        }
        return upsert({ schemaId: schema!.id, sourceConnectionId: byKey(`${r}:source-connection`)!.resource_id, spec: { fieldMappings, generated: false, version: null } });
      }
      case 'CREATE_DATAFLOW': {
        const rows = await onboardings.resources(client, [byKey(`${r}:mapping`)?.resource_id, byKey(`${r}:target-connection`)?.resource_id]);
        const mapping = rows.get(byKey(`${r}:mapping`)?.resource_id ?? '')!;
        const target = rows.get(byKey(`${r}:target-connection`)?.resource_id ?? '')!;
        const mappingVersion = specOf('MAPPING', mapping.spec).version;
        return upsert({
          connectionId: onboarding.connection_id,
          sourceConnectionId: byKey(`${r}:source-connection`)!.resource_id,
          targetConnectionId: target.id,
          mappingId: mapping.id,
          schemaId: target.schemaId,
          spec: { schedule: onboarding.schedule, mappingVersion: typeof mappingVersion === 'number' ? mappingVersion : 0 },
        });
      }
      case 'TEST_CONNECTION':
      case 'EXPLORE':
      case 'CREATE_XDM_CLASS':
        throw new Error(`step ${step.key} (${kind}) runs inline, not as an operation`);
    }
  }

  private async saveOnboarding(
    client: pg.PoolClient,
    onboarding: OnboardingRow,
    steps: StepRow[],
    status: OnboardingStatus,
    error?: OperationErrorInfo | null,
    leftBehind?: LeftBehind[],
  ): Promise<OnboardingRow> {
    const forward = steps.filter((s) => s.undoes === null);
    const total = forward.reduce((sum, s) => sum + s.weight, 0);
    const done = forward.filter((s) => s.status === 'SUCCEEDED').reduce((sum, s) => sum + s.weight, 0);
    const progress = status === 'SUCCEEDED' ? 1 : total === 0 ? 0 : Math.min(0.99, done / total);
    return this.options.store.onboardings.saveProgress(client, onboarding.id, {
      status,
      progress,
      currentStep: steps.find((s) => s.status === 'RUNNING')?.key ?? null,
      terminal: TERMINAL_ONBOARDING.includes(status),
      error,
      leftBehind,
    });
  }

  private async enqueueInline(onboardingId: string, key: string, attempts?: number): Promise<void> {
    const attempt = attempts ?? (await this.options.store.onboardings.stepAttempts(onboardingId, key)) ?? 1;
    try {
      await this.options.onboardingQueue.add(onboardingStepJob.name, onboardingStepJob.data({ onboardingId, stepKey: key }), {
        jobId: inlineJobId(onboardingId, key, attempt),
        attempts: 5,
        backoff: { type: 'jittered' },
        removeOnComplete: true,
        removeOnFail: true,
      });
    } catch (error) {
      this.options.logger.warn({ onboardingId, key, err: (error as Error).message }, 'could not enqueue an onboarding step; the sweep will');
    }
  }

  private async publish(state: OnboardingState): Promise<void> {
    await this.options.bus.publish(topics.onboarding(state.onboarding.id), onboardingEvent(state)).catch((error) => {
      this.options.logger.warn({ onboardingId: state.onboarding.id, err: (error as Error).message }, 'could not publish onboarding progress');
    });
  }
}

/**
 * The record class an onboarding's schemas share, made once: looked up by its tagged title first
 * when an earlier run of the step may have made it, and after an answer that may hide a success.
 */
async function createSharedClass(platform: PlatformClient, step: InlineStepRow, options: PlatformCallOptions, mayExist: boolean): Promise<string> {
  const registry = platform.schemaRegistry;
  const { name, tag } = sharedClassTitle(step.onboarding_name, step.onboarding_id);
  const title = platformName(name, tag);
  const klass = await createOrAdopt<{ $id: string }>(
    { isRetry: mayExist },
    {
      find: () => registry.findClassesByTitle(title, options),
      create: () => registry.createClass({ title, description: `Stripe records onboarded by Flowgate (${step.onboarding_name})`, behaviorId: RECORD_BEHAVIOR_ID }, options),
    },
  );
  return klass.$id;
}

/** Removes the shared class (after every schema on it was removed): the recorded one, or the one its lost create left. */
async function removeSharedClass(platform: PlatformClient, step: InlineStepRow, options: PlatformCallOptions): Promise<string[]> {
  const registry = platform.schemaRegistry;
  const { name, tag } = sharedClassTitle(step.onboarding_name, step.onboarding_id);
  const ids = step.undoes_platform_id ? [step.undoes_platform_id] : (await registry.findClassesByTitle(platformName(name, tag), options)).map((c) => c.$id);
  for (const id of ids) await deleteIgnoringMissing(() => registry.deleteClass(id, options));
  return ids;
}

/** The ledger as `decide` reads it. */
function ledgerOf(onboarding: OnboardingRow, steps: StepRow[]): Ledger {
  return {
    status: onboarding.status,
    rollbackOnFailure: onboarding.rollback_on_failure,
    steps: steps.map((s) => ({
      key: s.key,
      kind: s.kind as StepKind,
      status: s.status,
      dependsOn: s.depends_on,
      undoes: s.undoes,
      resource: s.stripe_resource as StripeResourcePath | null,
      resourceType: s.resource_type,
      resourceId: s.resource_id,
      platformId: s.platform_id,
      error: s.error,
    })),
  };
}

/** Job id of an inline step's attempt: one job per attempt, so a retried step gets a fresh job. */
export function inlineJobId(onboardingId: string, key: string, attempt: number): string {
  return `${onboardingId}.${key.replace(/:/g, '.')}.${attempt}`;
}
