import type { Queue } from 'bullmq';
import type pg from 'pg';
import { generateFieldMappings, type ExploreNode } from '../domain/mapping-generation.js';
import type { OperationErrorInfo } from '../domain/operation-error.js';
import { OPERATION_RESOURCE, type OperationType, type StripeResourcePath } from '../domain/operation-types.js';
import { exploreSchemaProblem } from '../domain/xdm-from-explore.js';
import { enqueueOperation } from '../jobs/enqueue.js';
import { toOperationErrorInfo } from '../jobs/operation-error-info.js';
import type { OnboardingJobData, OperationJobData } from '../jobs/queues.js';
import type { Logger } from '../logging/logger.js';
import type { PlatformClient } from '../platform/platform-client.js';
import { channels, type EventBus } from '../pubsub/event-bus.js';
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
}

/** Steps the orchestrator runs itself (Platform reads), not as core operations. */
const INLINE_KINDS = new Set(['TEST_CONNECTION', 'EXPLORE']);

interface StartedWork {
  operations: string[];
  inline: string[];
}

/**
 * Drives onboardings. `advance()` is the whole state machine: under a row lock on the
 * onboarding it folds finished operations into the step ledger, decides the next steps (or the
 * rollback, or the end), records them, commits, and only then enqueues their jobs and publishes
 * the new state. It is idempotent and safe to call at any time from any process — after a step
 * finished, from the periodic sweep, or after a crash — which is what makes the saga resumable.
 */
export class OnboardingOrchestrator {
  constructor(private readonly options: OrchestratorOptions) {}

  async advance(onboardingId: string): Promise<void> {
    const client = await this.options.pool.connect();
    let started: StartedWork = { operations: [], inline: [] };
    let state: OnboardingState | null = null;
    try {
      await client.query('BEGIN');
      const locked = await client.query<OnboardingRow>('SELECT * FROM onboardings WHERE id = $1 FOR UPDATE', [onboardingId]);
      const onboarding = locked.rows[0];
      if (!onboarding) {
        await client.query('ROLLBACK');
        return;
      }
      const steps = (await client.query<StepRow>('SELECT * FROM onboarding_steps WHERE onboarding_id = $1 ORDER BY position, key', [onboardingId])).rows;
      const changed = await this.foldFinishedOperations(client, steps);
      const next = TERMINAL_ONBOARDING.includes(onboarding.status) ? null : await this.decide(client, onboarding, steps);
      if (next) started = next.started;
      if (changed || next) {
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
    for (const operationId of started.operations) await enqueueOperation(this.options.operationsQueue, operationId, this.options.logger);
    for (const key of started.inline) await this.enqueueInline(onboardingId, key);
    if (state) await this.publish(state);
  }

  /** Runs an inline step (connection test, explore), records its outcome, then advances. */
  async runInlineStep(onboardingId: string, key: string, finalAttempt: boolean): Promise<void> {
    const { pool, platform } = this.options;
    const step = (await pool.query<StepRow>('SELECT * FROM onboarding_steps WHERE onboarding_id = $1 AND key = $2', [onboardingId, key])).rows[0];
    if (!step || step.status !== 'RUNNING') return;
    const onboarding = (await pool.query<OnboardingRow>('SELECT * FROM onboardings WHERE id = $1', [onboardingId])).rows[0];
    const connection = (await pool.query<{ platform_id: string | null; sandbox: string }>('SELECT platform_id, sandbox FROM resources WHERE id = $1', [onboarding.connection_id])).rows[0];
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
    await this.advance(onboardingId);
  }

  /**
   * Repairs what a crash can leave: inline steps RUNNING without a job, operations of RUNNING
   * steps still QUEUED without a job; then advances every unfinished onboarding.
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
      } else if (step.operation_id && step.op_status === 'QUEUED' && !(await operationsQueue.getJob(step.operation_id))) {
        await enqueueOperation(operationsQueue, step.operation_id, logger);
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
    const ops = (
      await client.query<{ id: string; status: string; error: OperationErrorInfo | null; platform_id: string | null }>(
        `SELECT o.id, o.status, o.error, r.platform_id FROM operations o JOIN resources r ON r.id = o.resource_id WHERE o.id = ANY($1::uuid[])`,
        [waiting.map((s) => s.operation_id)],
      )
    ).rows;
    let changed = false;
    for (const step of waiting) {
      const op = ops.find((o) => o.id === step.operation_id);
      if (!op || !['SUCCEEDED', 'FAILED', 'CANCELLED'].includes(op.status)) continue;
      const status = op.status === 'SUCCEEDED' ? 'SUCCEEDED' : 'FAILED';
      const error = status === 'FAILED' ? (op.error ?? { code: 'CANCELLED', message: 'the operation was cancelled', retryable: false }) : null;
      await client.query(
        `UPDATE onboarding_steps SET status = $2, platform_id = $3, error = $4::jsonb, finished_at = now(), updated_at = now() WHERE id = $1`,
        [step.id, status, op.platform_id, error === null ? null : JSON.stringify(error)],
      );
      Object.assign(step, { status, platform_id: op.platform_id, error, finished_at: new Date() });
      changed = true;
    }
    return changed;
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
      if (onboarding.rollback_on_failure) {
        const status: OnboardingStatus = 'ROLLING_BACK';
        onboarding.status = status;
        onboarding.error = failed.error;
        return { ...(await this.decideRollback(client, onboarding, steps, started)), error: failed.error };
      }
      return { status: 'FAILED', started, error: failed.error };
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
    if (ready.length === 0) return;
    const busy = (await client.query<{ n: number }>(`SELECT count(*)::int AS n FROM onboarding_steps WHERE status = 'RUNNING'`)).rows[0].n;
    let budget = Math.max(0, this.options.concurrency - busy);
    for (const step of ready) {
      if (budget <= 0) break;
      budget--;
      const attempt = step.attempts + 1;
      if (INLINE_KINDS.has(step.kind)) {
        await client.query(`UPDATE onboarding_steps SET status = 'RUNNING', attempts = $2, started_at = now(), error = NULL, updated_at = now() WHERE id = $1`, [step.id, attempt]);
        Object.assign(step, { status: 'RUNNING', attempts: attempt });
        started.inline.push(step.key);
        continue;
      }
      const operationId = await this.startOperation(client, onboarding, all, step, attempt);
      if (operationId === null) continue; // failed while preparing (recorded on the step)
      Object.assign(step, { status: 'RUNNING', attempts: attempt, operation_id: operationId });
      started.operations.push(operationId);
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

    if (Object.keys(row).length > 0) {
      // The row exists after a crash or from an earlier attempt: a FAILED one is reset, a created one is kept.
      await client.query(
        `INSERT INTO resources (id, type, sandbox, name, description, state, spec, stripe_resource, connection_id, source_connection_id, target_connection_id, schema_id, dataset_id, mapping_id, updated_at)
         VALUES ($1, $2::"ResourceType", $3, $4, $5, 'PENDING', $6::jsonb, $7, $8, $9, $10, $11, $12, $13, now())
         ON CONFLICT (id) DO UPDATE SET state = 'PENDING', spec = EXCLUDED.spec, updated_at = now() WHERE resources.state IN ('FAILED', 'PENDING')`,
        [
          step.resource_id,
          step.resource_type,
          onboarding.sandbox,
          row.name,
          row.description ?? null,
          JSON.stringify(row.spec ?? {}),
          row.stripe_resource ?? null,
          row.connection_id ?? null,
          row.source_connection_id ?? null,
          row.target_connection_id ?? null,
          row.schema_id ?? null,
          row.dataset_id ?? null,
          row.mapping_id ?? null,
        ],
      );
    } else if (!step.undoes) {
      await client.query(`UPDATE resources SET state = 'PENDING', updated_at = now() WHERE id = $1 AND state = 'FAILED'`, [step.resource_id]);
    }

    const operationId = deterministicId(onboarding.id, step.key, 'operation', String(attempt));
    await client.query(
      `INSERT INTO operations (id, type, status, resource_type, resource_id, sandbox, input, requested_by, request_id, message, updated_at)
       VALUES ($1, $2, 'QUEUED', $3::"ResourceType", $4, $5, $6::jsonb, $7, $8, $9, now())
       ON CONFLICT (id) DO NOTHING`,
      [operationId, type, OPERATION_RESOURCE[type], step.resource_id, onboarding.sandbox, JSON.stringify(input), onboarding.requested_by, onboarding.request_id, `onboarding ${onboarding.id}: ${step.key}`],
    );
    await client.query(`UPDATE onboarding_steps SET status = 'RUNNING', attempts = $2, operation_id = $3, started_at = now(), error = NULL, updated_at = now() WHERE id = $1`, [step.id, attempt, operationId]);
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
    await this.options.bus.publish(channels.onboarding(state.onboarding.id), state).catch((error) => {
      this.options.logger.warn({ onboardingId: state.onboarding.id, err: (error as Error).message }, 'could not publish onboarding progress');
    });
  }
}

/** Job id of an inline step's attempt: one job per attempt, so a retried step gets a fresh job. */
export function inlineJobId(onboardingId: string, key: string, attempt: number): string {
  return `${onboardingId}.${key.replace(/:/g, '.')}.${attempt}`;
}
