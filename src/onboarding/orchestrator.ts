import type { Queue } from 'bullmq';
import type pg from 'pg';
import { generateFieldMappings, type ExploreNode } from '../domain/mapping-generation.js';
import type { OperationErrorInfo } from '../domain/operation-error.js';
import { OPERATION_RESOURCE, type OperationType, type StripeResourcePath } from '../domain/operation-types.js';
import { exploreSchemaProblem } from '../domain/xdm-from-explore.js';
import { enqueueOperation } from '../jobs/enqueue.js';
import { requeueIfOrphaned } from '../jobs/reconciler.js';
import { toOperationErrorInfo } from '../jobs/operation-error-info.js';
import type { OnboardingJobData, OperationJobData } from '../jobs/queues.js';
import type { Logger } from '../logging/logger.js';
import type { PlatformClient } from '../platform/platform-client.js';
import { channels, type EventBus } from '../pubsub/event-bus.js';
import { isUuid } from '../store/resource.store.js';
import { deterministicId } from './deterministic-id.js';
import { TERMINAL_ONBOARDING, type LeftBehind, type OnboardingRow, type OnboardingState, type OnboardingStatus, type StepRow } from './onboarding-rows.js';
import { onboardingResourceName, planUndo, STEP_OPERATIONS, type ForwardKind } from './step-plan.js';

export interface OrchestratorOptions {
  pool: pg.Pool;
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
}

/** Steps the orchestrator runs itself (Platform reads), not as core operations. */
const INLINE_KINDS = new Set(['TEST_CONNECTION', 'EXPLORE']);

interface StartedWork {
  operations: string[];
  /** Inline steps started, with the attempt each is on (its job id). */
  inline: { key: string; attempt: number }[];
}

/**
 * Drives onboardings. `advance()` is the whole state machine: under a row lock on the
 * onboarding it folds finished operations into the step ledger, decides the next steps (or the
 * rollback, or the end), records them, commits, and only then enqueues their jobs and publishes
 * the new state. It is idempotent and safe to call at any time from any process — after a step
 * finished, from the periodic sweep, or after a crash — which is what makes the saga resumable.
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
      // A further pass starts as soon as the previous one committed; its jobs and state go out
      // while the next pass runs (states in pass order).
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
   * `announced`: its jobs enqueued and, after `previous` (the earlier pass's), its state published.
   */
  private async advanceOnce(onboardingId: string, stepRecorded: boolean, previous: Promise<void>): Promise<{ announced: Promise<void> }> {
    const client = await this.options.pool.connect();
    let started: StartedWork = { operations: [], inline: [] };
    let state: OnboardingState | null = null;
    try {
      // BEGIN, the row lock, the ledger and the deployment's running-step count in one round trip
      // instead of four: a pass holds the lock throughout, the other steps of a level wait for it,
      // and each round trip cost about 0.8 ms here. The simple query protocol that allows several
      // statements takes no parameters, so the id is checked to be a UUID before it is written in.
      if (!isUuid(onboardingId)) throw new Error(`not an onboarding id: ${JSON.stringify(onboardingId)}`);
      const [, locked, ledger, running] = (await client.query(
        `BEGIN;
         SELECT * FROM onboardings WHERE id = '${onboardingId}' FOR UPDATE;
         SELECT * FROM onboarding_steps WHERE onboarding_id = '${onboardingId}' ORDER BY position, key;
         SELECT count(*)::int AS n FROM onboarding_steps WHERE status = 'RUNNING'`,
      )) as unknown as [pg.QueryResult, pg.QueryResult<OnboardingRow>, pg.QueryResult<StepRow>, pg.QueryResult<{ n: number }>];
      const onboarding = locked.rows[0];
      if (!onboarding) {
        await client.query('ROLLBACK');
        return { announced: previous };
      }
      const steps = ledger.rows;
      const runningBefore = steps.filter((s) => s.status === 'RUNNING').length;
      const changed = await this.foldFinishedOperations(client, steps);
      this.runningAtLock.set(onboarding, running.rows[0].n - (runningBefore - steps.filter((s) => s.status === 'RUNNING').length));
      const next = TERMINAL_ONBOARDING.includes(onboarding.status) ? null : await this.decide(client, onboarding, steps);
      if (next) started = next.started;
      if (changed || next || stepRecorded) {
        const updated = await this.saveOnboarding(client, onboarding, steps, next?.status ?? onboarding.status, next?.error, next?.leftBehind);
        state = { onboarding: updated, steps };
      }
      await client.query('COMMIT');
    } catch (error) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw error;
    } finally {
      client.release();
    }
    // After the commit, so a job never runs ahead of the ledger that explains it.
    // All at once: the queue connection pipelines them into one round trip, where one after
    // another delayed the last of six jobs (an explore, on the critical path) by five round trips.
    const announce = async () => {
      // Inline steps first: after the connection test, the explores lead the longest chains
      // (explore → schema → dataset → …) while the source connections are not needed until the mappings.
      await Promise.all([
        ...started.inline.map(({ key, attempt }) => this.enqueueInline(onboardingId, key, attempt)),
        ...started.operations.map((operationId) => enqueueOperation(this.options.operationsQueue, operationId, this.options.logger)),
      ]);
      await previous;
      if (state) await this.publish(state);
      if (state && this.waitingForBudget.size > 0) {
        void this.wakeWaiting().catch((error) => this.options.logger.warn({ err: (error as Error).message }, 'could not hand free step slots to waiting onboardings'));
      }
    };
    return { announced: announce() };
  }

  /** Runs an inline step (connection test, explore), records its outcome, then advances. */
  async runInlineStep(onboardingId: string, key: string, finalAttempt: boolean): Promise<void> {
    const { pool, platform } = this.options;
    // The step and its onboarding's base connection in one round trip (this is on the critical path).
    const row = (
      await pool.query<StepRow & { connection_platform_id: string | null; connection_sandbox: string }>(
        `SELECT s.*, c.platform_id AS connection_platform_id, c.sandbox AS connection_sandbox
         FROM onboarding_steps s JOIN onboardings o ON o.id = s.onboarding_id JOIN resources c ON c.id = o.connection_id
         WHERE s.onboarding_id = $1 AND s.key = $2`,
        [onboardingId, key],
      )
    ).rows[0];
    if (!row || row.status !== 'RUNNING') return;
    const step: StepRow = row;
    const connection = { platform_id: row.connection_platform_id, sandbox: row.connection_sandbox };
    const options = { sandbox: connection.sandbox, requestId: `${onboardingId}:${key}` };
    let result: Record<string, unknown> | null = null;
    let failure: OperationErrorInfo | null = null;
    try {
      if (!connection.platform_id) throw new Error('the base connection has no platform id');
      if (step.kind === 'TEST_CONNECTION') {
        const ok = await platform.flowService.testConnection(connection.platform_id, options);
        if (!ok) failure = { code: 'PLATFORM_REJECTED', message: 'the Platform could not reach Stripe with this access token (connection test failed)', field: 'input.accessToken', retryable: false };
        else result = { result: true };
      } else {
        const explored = await platform.flowService.explore(connection.platform_id, step.stripe_resource as StripeResourcePath, {}, options);
        const problem = exploreSchemaProblem(explored.schema);
        if (problem) failure = { code: 'PLATFORM_REJECTED', message: `the explored ${step.stripe_resource} schema cannot be mirrored in XDM: ${problem.path} ${problem.message}`, retryable: false };
        else result = { schema: explored.schema };
      }
    } catch (error) {
      const info = toOperationErrorInfo(error);
      if (info.retryable && !finalAttempt) throw error; // BullMQ tries again with backoff
      failure = { ...info, retryable: false };
    }
    await pool.query(
      `UPDATE onboarding_steps SET status = $3, result = $4::jsonb, error = $5::jsonb, finished_at = now(), updated_at = now()
       WHERE onboarding_id = $1 AND key = $2 AND status = 'RUNNING'`,
      [onboardingId, key, failure ? 'FAILED' : 'SUCCEEDED', result === null ? null : JSON.stringify(result), failure === null ? null : JSON.stringify(failure)],
    );
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
    const { pool, onboardingQueue, operationsQueue, logger } = this.options;
    const open = (await pool.query<{ id: string }>(`SELECT id FROM onboardings WHERE status NOT IN ('SUCCEEDED', 'FAILED', 'ROLLED_BACK', 'CANCELLED')`)).rows;
    const running = (
      await pool.query<{ onboarding_id: string; key: string; kind: string; attempts: number; operation_id: string | null; op_status: string | null }>(
        `SELECT s.onboarding_id, s.key, s.kind, s.attempts, s.operation_id, o.status AS op_status
         FROM onboarding_steps s LEFT JOIN operations o ON o.id = s.operation_id
         WHERE s.status = 'RUNNING' AND s.updated_at < now() - interval '2 seconds'`,
      )
    ).rows;
    for (const step of running) {
      if (INLINE_KINDS.has(step.kind)) {
        if (!(await onboardingQueue.getJob(inlineJobId(step.onboarding_id, step.key, step.attempts)))) await this.enqueueInline(step.onboarding_id, step.key, step.attempts);
      } else if (step.operation_id && ['QUEUED', 'RUNNING', 'RETRYING'].includes(step.op_status ?? '')) {
        await requeueIfOrphaned({ queue: operationsQueue, pool, logger, runningStaleMs: this.options.runningStaleMs ?? 30_000 }, step.operation_id);
      }
    }
    for (const { id } of open) {
      await this.advance(id).catch((error) => logger.warn({ onboardingId: id, err: (error as Error).message }, 'could not advance onboarding'));
    }
    return open.length;
  }

  // ---- the state machine -------------------------------------------------------------------

  /** Marks RUNNING operation-backed steps whose operation finished. Returns whether anything changed. */
  private async foldFinishedOperations(client: pg.PoolClient, steps: StepRow[]): Promise<boolean> {
    const waiting = steps.filter((s) => s.status === 'RUNNING' && s.operation_id);
    if (waiting.length === 0) return false;
    // One statement (under the row lock) for every step whose operation finished, instead of a read and an update per step.
    const folded = (
      await client.query<StepRow>(
        `UPDATE onboarding_steps s
         SET status = (CASE WHEN o.status = 'SUCCEEDED' THEN 'SUCCEEDED' ELSE 'FAILED' END)::"StepStatus", platform_id = r.platform_id,
             error = CASE WHEN o.status = 'SUCCEEDED' THEN NULL ELSE COALESCE(o.error, $2::jsonb) END, finished_at = clock_timestamp(), updated_at = now()
         FROM operations o JOIN resources r ON r.id = o.resource_id
         WHERE s.id = ANY($1::uuid[]) AND o.id = s.operation_id AND o.status IN ('SUCCEEDED', 'FAILED', 'CANCELLED')
         RETURNING s.*`,
        [waiting.map((s) => s.id), JSON.stringify({ code: 'CANCELLED', message: 'the operation was cancelled', retryable: false })],
      )
    ).rows;
    for (const row of folded) Object.assign(waiting.find((s) => s.id === row.id)!, row);
    return folded.length > 0;
  }

  /** Chooses the next move of an unfinished onboarding; null when nothing changes. */
  private async decide(
    client: pg.PoolClient,
    onboarding: OnboardingRow,
    steps: StepRow[],
  ): Promise<{ status: OnboardingStatus; started: StartedWork; error?: OperationErrorInfo | null; leftBehind?: LeftBehind[] } | null> {
    const forward = steps.filter((s) => s.undoes === null);
    const started: StartedWork = { operations: [], inline: [] };

    if (onboarding.status === 'ROLLING_BACK') return this.decideRollback(client, onboarding, steps, started);

    const failed = forward.find((s) => s.status === 'FAILED');
    const running = forward.filter((s) => s.status === 'RUNNING');
    if (failed) {
      // Let steps in flight finish first: their resources must be known before undoing anything.
      if (running.length > 0) return null;
      // The onboarding's error names the step that failed; the step keeps the operation's own.
      const error = failed.error ? { ...failed.error, message: `step ${failed.key} failed: ${failed.error.message}` } : null;
      if (onboarding.rollback_on_failure) {
        const status: OnboardingStatus = 'ROLLING_BACK';
        onboarding.status = status;
        onboarding.error = error;
        return { ...(await this.decideRollback(client, onboarding, steps, started)), error };
      }
      return { status: 'FAILED', started, error };
    }
    if (forward.every((s) => s.status === 'SUCCEEDED' || s.status === 'SKIPPED')) return { status: 'SUCCEEDED', started, error: null };

    await this.startReady(client, onboarding, steps, forward, started);
    const status: OnboardingStatus = onboarding.status === 'QUEUED' || started.operations.length + started.inline.length > 0 || running.length > 0 ? 'RUNNING' : onboarding.status;
    return status === onboarding.status && started.operations.length + started.inline.length === 0 ? null : { status, started };
  }

  /** Plans the undo steps once, starts the ready ones, and ends the rollback when all finished. */
  private async decideRollback(client: pg.PoolClient, onboarding: OnboardingRow, steps: StepRow[], started: StartedWork) {
    const forward = steps.filter((s) => s.undoes === null);
    if (forward.some((s) => s.status === 'RUNNING')) return { status: 'ROLLING_BACK' as OnboardingStatus, started };
    let undo = steps.filter((s) => s.undoes !== null);
    if (undo.length === 0) {
      const planned = planUndo(
        forward.map((s) => ({
          key: s.key,
          kind: s.kind as ForwardKind,
          dependsOn: s.depends_on,
          resource: s.stripe_resource as StripeResourcePath | null,
          resourceId: s.resource_id,
          // A failed create may still have left something (a lost answer): its undo looks it up by name.
          created: (s.status === 'SUCCEEDED' || s.status === 'FAILED') && s.resource_id !== null,
        })),
      );
      // Listed after the forward steps, last created first (the order they will mostly run in).
      for (const [index, u] of [...planned].reverse().entries()) {
        const row = await client.query<StepRow>(
          `INSERT INTO onboarding_steps (id, onboarding_id, key, kind, position, stripe_resource, depends_on, weight, status, resource_type, resource_id, undoes, updated_at)
           VALUES ($1, $2, $3, $4, $5, $6, $7, 1, 'PENDING', $8::"ResourceType", $9, $10, now())
           ON CONFLICT (onboarding_id, key) DO NOTHING RETURNING *`,
          [deterministicId(onboarding.id, u.key), onboarding.id, u.key, u.kind, forward.length + index, u.resource, u.dependsOn, forward.find((s) => s.key === u.undoes)!.resource_type, u.resourceId, u.undoes],
        );
        if (row.rows[0]) steps.push(row.rows[0]);
      }
      // Forward steps that never ran will not: they are cancelled, not failed.
      for (const s of forward.filter((x) => x.status === 'PENDING')) {
        await client.query(`UPDATE onboarding_steps SET status = 'CANCELLED', updated_at = now() WHERE id = $1`, [s.id]);
        s.status = 'CANCELLED';
      }
      undo = steps.filter((s) => s.undoes !== null);
    }
    const done = (s: StepRow) => s.status === 'SUCCEEDED' || s.status === 'FAILED';
    if (undo.every(done)) {
      const leftBehind: LeftBehind[] = undo
        .filter((s) => s.status === 'FAILED')
        .map((s) => ({ resourceType: s.resource_type ?? 'UNKNOWN', resourceId: s.resource_id ?? '', platformId: forward.find((f) => f.key === s.undoes)?.platform_id ?? null, reason: s.error?.message ?? 'the undo failed' }));
      // Resources the Platform has no delete for stay by design; any other leftover means the rollback failed.
      const byDesign = (l: LeftBehind) => l.resourceType === 'MAPPING' && /no delete/.test(l.reason);
      const status: OnboardingStatus = leftBehind.every(byDesign) ? 'ROLLED_BACK' : 'FAILED';
      return { status, started, leftBehind };
    }
    await this.startReady(client, onboarding, steps, undo, started, done);
    return { status: 'ROLLING_BACK' as OnboardingStatus, started };
  }

  /** Starts the candidates whose dependencies are satisfied, within the deployment-wide step budget. */
  private async startReady(client: pg.PoolClient, onboarding: OnboardingRow, all: StepRow[], candidates: StepRow[], started: StartedWork, satisfied: (s: StepRow) => boolean = (s) => s.status === 'SUCCEEDED'): Promise<void> {
    const ready = candidates.filter((s) => s.status === 'PENDING' && s.depends_on.every((key) => { const dep = all.find((x) => x.key === key); return !dep || satisfied(dep); }));
    this.waitingForBudget.delete(onboarding.id);
    if (ready.length === 0) return;
    const busy = this.runningAtLock.get(onboarding) ?? (await client.query<{ n: number }>(`SELECT count(*)::int AS n FROM onboarding_steps WHERE status = 'RUNNING'`)).rows[0].n;
    let budget = Math.max(0, this.options.concurrency - busy);
    for (const step of ready) {
      if (budget <= 0) break;
      budget--;
      const attempt = step.attempts + 1;
      if (INLINE_KINDS.has(step.kind)) {
        // clock_timestamp(), not now(): now() is when this transaction began, which can precede a dependency's recorded finish.
        await client.query(`UPDATE onboarding_steps SET status = 'RUNNING', attempts = $2, started_at = clock_timestamp(), error = NULL, updated_at = now() WHERE id = $1`, [step.id, attempt]);
        Object.assign(step, { status: 'RUNNING', attempts: attempt });
        started.inline.push({ key: step.key, attempt });
        continue;
      }
      const operationId = await this.startOperation(client, onboarding, all, step, attempt);
      if (operationId === null) continue; // failed while preparing (recorded on the step)
      Object.assign(step, { status: 'RUNNING', attempts: attempt, operation_id: operationId });
      started.operations.push(operationId);
    }
    if (ready.some((s) => s.status === 'PENDING')) this.waitingForBudget.add(onboarding.id);
  }

  /**
   * Hands free step slots to onboardings that found none. Without it they waited for the next
   * sweep (every 2 s) even when slots freed a moment later: 20 onboardings started at once
   * finished in waves 2 s apart (measured: p50 5.2 s, all done after 9.3 s). Called after a pass
   * that changed something (a step finished or started); the sweep still covers other processes.
   */
  private async wakeWaiting(): Promise<void> {
    const busy = (await this.options.pool.query<{ n: number }>(`SELECT count(*)::int AS n FROM onboarding_steps WHERE status = 'RUNNING'`)).rows[0].n;
    let free = this.options.concurrency - busy;
    for (const id of this.waitingForBudget) {
      if (free-- <= 0) break;
      this.waitingForBudget.delete(id);
      void this.advance(id).catch((error) => this.options.logger.warn({ onboardingId: id, err: (error as Error).message }, 'could not advance onboarding'));
    }
  }

  /**
   * Records the resource row (deterministic id) and the core operation of a step, with ids that
   * are the same if this runs twice, so a crash between commit and enqueue repeats nothing.
   */
  private async startOperation(client: pg.PoolClient, onboarding: OnboardingRow, all: StepRow[], step: StepRow, attempt: number): Promise<string | null> {
    const byKey = (key: string) => all.find((s) => s.key === key);
    const r = step.stripe_resource;
    const resourceOf = async (key: string) => (await client.query('SELECT * FROM resources WHERE id = $1', [byKey(key)?.resource_id])).rows[0];
    let type: OperationType;
    const input: Record<string, unknown> = { onboardingId: onboarding.id, stepKey: step.key, ...(attempt > 1 ? { adoptExisting: true } : {}) };
    const row: Record<string, unknown> = {};

    if (step.undoes) {
      type = STEP_OPERATIONS[step.kind.replace(/^UNDO_/, '') as ForwardKind]!.undo;
      if (type === 'DELETE_CONNECTION') input.cascade = false;
    } else {
      const kind = step.kind as ForwardKind;
      type = STEP_OPERATIONS[kind]!.operation;
      const name = onboardingResourceName(onboarding.name, kind, r);
      switch (kind) {
        case 'CREATE_CONNECTION': {
          const secret = (await client.query<{ id: string }>('SELECT id FROM secrets WHERE resource_id = $1 ORDER BY created_at DESC LIMIT 1', [step.resource_id])).rows[0];
          input.secretId = secret?.id;
          break;
        }
        case 'CREATE_SOURCE_CONNECTION':
          Object.assign(row, { name, connection_id: onboarding.connection_id, stripe_resource: r });
          break;
        case 'CREATE_XDM_SCHEMA':
          Object.assign(row, { name, stripe_resource: r, description: `Stripe ${r} records, onboarded by Flowgate` });
          input.exploreSchemaJson = JSON.stringify((byKey(`${r}:explore`)?.result as { schema: unknown }).schema);
          break;
        case 'CREATE_DATASET':
          Object.assign(row, { name, schema_id: byKey(`${r}:xdm-schema`)!.resource_id });
          break;
        case 'CREATE_TARGET_CONNECTION': {
          const datasetId = byKey(`${r}:dataset`)?.resource_id ?? onboarding.existing_dataset_id;
          const dataset = (await client.query('SELECT schema_id FROM resources WHERE id = $1', [datasetId])).rows[0];
          Object.assign(row, { name, dataset_id: datasetId, schema_id: dataset?.schema_id ?? null });
          break;
        }
        case 'CREATE_MAPPING': {
          const schema = byKey(`${r}:xdm-schema`) ? await resourceOf(`${r}:xdm-schema`) : (await client.query('SELECT s.* FROM resources d JOIN resources s ON s.id = d.schema_id WHERE d.id = $1', [onboarding.existing_dataset_id])).rows[0];
          const explored = (byKey(`${r}:explore`)?.result as { schema: ExploreNode }).schema;
          const spec = schema?.spec ?? {};
          const tenantId = String(spec.tenantNamespace ?? '').replace(/^_/, '');
          const fieldMappings = generateFieldMappings({ exploreSchema: explored, schemaFields: spec.fields ?? [], tenantId, resource: r! });
          if (fieldMappings.length === 0) {
            await this.failStep(client, step, attempt, { code: 'PRECONDITION_FAILED', message: `no attribute of the explored ${r} schema has a field in schema ${schema?.id}`, retryable: false });
            return null;
          }
          Object.assign(row, { name, schema_id: schema.id, source_connection_id: byKey(`${r}:source-connection`)!.resource_id, stripe_resource: r, spec: { fieldMappings, generated: false, version: null } });
          break;
        }
        case 'CREATE_DATAFLOW': {
          const mapping = await resourceOf(`${r}:mapping`);
          const target = await resourceOf(`${r}:target-connection`);
          Object.assign(row, {
            name,
            stripe_resource: r,
            connection_id: onboarding.connection_id,
            source_connection_id: byKey(`${r}:source-connection`)!.resource_id,
            target_connection_id: target.id,
            mapping_id: mapping.id,
            schema_id: target.schema_id,
            spec: { schedule: onboarding.schedule, mappingVersion: typeof mapping.spec?.version === 'number' ? mapping.spec.version : 0 },
          });
          break;
        }
        default:
          break;
      }
    }

    // One statement writes the step's resource row, its operation and the step: this runs under
    // the onboarding's row lock for every step started (six at once after the connection test),
    // and a round trip per write kept the lock, and every step's start, waiting (no foreign key
    // joins these three tables, so the order of the writes within the statement does not matter).
    const operationId = deterministicId(onboarding.id, step.key, 'operation', String(attempt));
    const params: unknown[] = [operationId, type, OPERATION_RESOURCE[type], step.resource_id, onboarding.sandbox, JSON.stringify(input), onboarding.requested_by, onboarding.request_id, `onboarding ${onboarding.id}: ${step.key}`, step.id, attempt];
    let resourceWrite = '';
    if (Object.keys(row).length > 0) {
      // The row exists after a crash or from an earlier attempt: a FAILED one is reset, a created one is kept.
      params.push(step.resource_type, row.name, row.description ?? null, JSON.stringify(row.spec ?? {}), row.stripe_resource ?? null, row.connection_id ?? null, row.source_connection_id ?? null, row.target_connection_id ?? null, row.schema_id ?? null, row.dataset_id ?? null, row.mapping_id ?? null);
      resourceWrite = `r AS (
         INSERT INTO resources (id, type, sandbox, name, description, state, spec, stripe_resource, connection_id, source_connection_id, target_connection_id, schema_id, dataset_id, mapping_id, updated_at)
         VALUES ($4, $12::"ResourceType", $5, $13, $14, 'PENDING', $15::jsonb, $16, $17, $18, $19, $20, $21, $22, now())
         ON CONFLICT (id) DO UPDATE SET state = 'PENDING', spec = EXCLUDED.spec, updated_at = now() WHERE resources.state IN ('FAILED', 'PENDING')), `;
    } else if (!step.undoes) {
      resourceWrite = `r AS (UPDATE resources SET state = 'PENDING', updated_at = now() WHERE id = $4 AND state = 'FAILED'), `;
    }
    await client.query(
      `WITH ${resourceWrite}o AS (
         INSERT INTO operations (id, type, status, resource_type, resource_id, sandbox, input, requested_by, request_id, message, updated_at)
         VALUES ($1, $2, 'QUEUED', $3::"ResourceType", $4, $5, $6::jsonb, $7, $8, $9, now())
         ON CONFLICT (id) DO NOTHING)
       UPDATE onboarding_steps SET status = 'RUNNING', attempts = $11, operation_id = $1, started_at = clock_timestamp(), error = NULL, updated_at = now() WHERE id = $10`,
      params,
    );
    return operationId;
  }

  private async failStep(client: pg.PoolClient, step: StepRow, attempt: number, error: OperationErrorInfo): Promise<void> {
    await client.query(`UPDATE onboarding_steps SET status = 'FAILED', attempts = $2, error = $3::jsonb, started_at = now(), finished_at = now(), updated_at = now() WHERE id = $1`, [step.id, attempt, JSON.stringify(error)]);
    Object.assign(step, { status: 'FAILED', attempts: attempt, error });
  }

  private async saveOnboarding(client: pg.PoolClient, onboarding: OnboardingRow, steps: StepRow[], status: OnboardingStatus, error?: OperationErrorInfo | null, leftBehind?: LeftBehind[]): Promise<OnboardingRow> {
    const forward = steps.filter((s) => s.undoes === null);
    const total = forward.reduce((sum, s) => sum + s.weight, 0);
    const done = forward.filter((s) => s.status === 'SUCCEEDED').reduce((sum, s) => sum + s.weight, 0);
    const progress = status === 'SUCCEEDED' ? 1 : total === 0 ? 0 : Math.min(0.99, done / total);
    const current = steps.find((s) => s.status === 'RUNNING')?.key ?? null;
    const terminal = TERMINAL_ONBOARDING.includes(status);
    const result = await client.query<OnboardingRow>(
      `UPDATE onboardings SET status = $2::"OnboardingStatus", progress = $3, current_step = $4,
              error = CASE WHEN $5::boolean THEN $6::jsonb ELSE error END,
              left_behind = COALESCE($7::jsonb, left_behind),
              finished_at = CASE WHEN $8::boolean THEN COALESCE(finished_at, now()) ELSE NULL END, updated_at = now()
       WHERE id = $1 RETURNING *`,
      [onboarding.id, status, progress, current, error !== undefined, error === undefined || error === null ? null : JSON.stringify(error), leftBehind ? JSON.stringify(leftBehind) : null, terminal],
    );
    return result.rows[0];
  }

  private async enqueueInline(onboardingId: string, key: string, attempts?: number): Promise<void> {
    const attempt = attempts ?? (await this.options.pool.query<{ attempts: number }>('SELECT attempts FROM onboarding_steps WHERE onboarding_id = $1 AND key = $2', [onboardingId, key])).rows[0]?.attempts ?? 1;
    try {
      await this.options.onboardingQueue.add('step', { onboardingId, stepKey: key }, { jobId: inlineJobId(onboardingId, key, attempt), attempts: 5, backoff: { type: 'jittered' }, removeOnComplete: true, removeOnFail: true });
    } catch (error) {
      this.options.logger.warn({ onboardingId, key, err: (error as Error).message }, 'could not enqueue an onboarding step; the sweep will');
    }
  }

  private async publish(state: OnboardingState): Promise<void> {
    // Without the steps' results: subscribers never see them, and the explored schemas in them
    // were a third of every message (23 KB for three resources), published after every pass.
    const message: OnboardingState = { onboarding: state.onboarding, steps: state.steps.map((step) => ({ ...step, result: null })) };
    await this.options.bus.publish(channels.onboarding(state.onboarding.id), message).catch((error) => {
      this.options.logger.warn({ onboardingId: state.onboarding.id, err: (error as Error).message }, 'could not publish onboarding progress');
    });
  }
}

/** Job id of an inline step's attempt: one job per attempt, so a retried step gets a fresh job. */
export function inlineJobId(onboardingId: string, key: string, attempt: number): string {
  return `${onboardingId}.${key.replace(/:/g, '.')}.${attempt}`;
}
