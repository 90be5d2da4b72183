import type pg from 'pg';
import { isUuid } from '../domain/ids.js';
import type { OperationErrorInfo } from '../domain/operation-error.js';
import type { RequestedSchedule } from '../domain/schedule-rules.js';
import { encodeCursor, type Page, type PageWindow } from './cursor.js';
import { inTransaction, Rollback, transactionOn, withLiterals, type Sql, type StatementText } from './db.js';
import { ListFilter, newestFirst } from './keyset-page.js';
import type { LeftBehind, OnboardingRow, OnboardingState, OnboardingStatus, StepRow, StepStatus } from './onboarding-rows.js';
import { FLUSH_LATER_IF, type NewResource, type NewSecret, type OperationLedger } from './operation-ledger.js';
import { RESOURCE_SUMMARY_COLUMNS, resourceSummaryFromRow, type Columns, type ResourceSummary } from './rows.js';
import { silentStoreObserver, type StoreObserver } from './store-observer.js';

/** Class of the two-key advisory lock a pass holds per onboarding (the other key: its id's hash). */
const ONBOARDING_PASS_LOCK = 0x4f4e42;

/** A new onboarding: its row and its whole step ledger (written by `create`). */
export interface NewOnboarding {
  id: string;
  sandbox: string;
  name: string;
  description: string | null;
  resources: string[];
  schedule: RequestedSchedule;
  rollbackOnFailure: boolean;
  existingDatasetId: string | null;
  requestedBy: string;
  requestId: string | null;
  /** The W3C `traceparent` of the onboarding's span, when traced: its steps join that trace. */
  traceParent: string | null;
  idempotencyKey: string | null;
  inputHash: string | null;
  /** The base connection it creates (a resources row, with its sealed access token). */
  connection: { resource: NewResource; secret: NewSecret };
  steps: NewStep[];
}

export interface NewStep {
  id: string;
  key: string;
  kind: string;
  position: number;
  resource: string | null;
  dependsOn: string[];
  weight: number;
  resourceType: string | null;
  resourceId: string | null;
  /** For undo steps: the key of the step they undo. */
  undoes?: string | null;
}

/** A step a pass starts: RUNNING on this attempt, carried out by this operation (none for inline steps). */
export interface StepStart {
  stepId: string;
  attempt: number;
  operationId: string | null;
  /**
   * The process starting it sends its create at once (the shared class run where it was started):
   * noted with the start, as `markCreateSent` would note it, so any later run looks first for what
   * it may have made.
   */
  createSent?: boolean;
}

/** What a pass of the saga reads under the onboarding's row lock. */
export interface LockedLedger {
  onboarding: OnboardingRow;
  /** The ledger, with the ends of step operations already folded in. */
  steps: StepRow[];
  /** Steps whose operation's end this pass folded into the ledger (they are no longer RUNNING). */
  folded: number;
  /** Steps RUNNING across the deployment (every onboarding), for the step budget. */
  runningSteps: number;
}

/** What a step whose operation was cancelled records as its error. */
const CANCELLED_STEP_ERROR = JSON.stringify({ code: 'CANCELLED', message: 'the operation was cancelled', retryable: false } satisfies OperationErrorInfo);

/** A RUNNING step the sweep looks at: is its job still there? */
export interface RunningStep {
  onboardingId: string;
  key: string;
  kind: string;
  attempts: number;
  operationId: string | null;
  operationStatus: string | null;
}

/** An inline step with what running it needs: the base connection, the onboarding's name, and what an undo removes. */
export type InlineStepRow = StepRow & { connection_platform_id: string | null; connection_sandbox: string; onboarding_name: string; undoes_platform_id: string | null };

/**
 * Every query on `onboardings` and `onboarding_steps` (the step ledger): what the saga
 * (jobs/onboarding) reads and records, in SQL over node-postgres. The resource and operation rows
 * an onboarding writes go through the OperationLedger.
 */
export class OnboardingStore {
  constructor(
    private readonly pool: pg.Pool,
    private readonly ledger: OperationLedger,
    private readonly observer: StoreObserver = silentStoreObserver,
  ) {}

  async load(id: string, sandbox?: string): Promise<OnboardingState | null> {
    if (!isUuid(id)) return null;
    // Both reads in one snapshot: read one after the other, a step recorded in between would be
    // shown under the version before it, and a subscriber would then take the message that
    // really has that version for news and see the step go back. (The id is checked to be a
    // UUID above: the simple protocol that allows several statements takes no parameters.)
    const state = await inTransaction<OnboardingState | null>(
      this.pool,
      async (_client, [, read, steps]) => {
        const onboarding = (read as pg.QueryResult<OnboardingRow>).rows[0];
        return onboarding ? { onboarding, steps: (steps as pg.QueryResult<StepRow>).rows } : null;
      },
      `BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY;
       SELECT * FROM onboardings WHERE id = '${id}';
       SELECT * FROM onboarding_steps WHERE onboarding_id = '${id}' ORDER BY position, key`,
    );
    if (!state || (sandbox !== undefined && state.onboarding.sandbox !== sandbox)) return null;
    return state;
  }

  /** One page of a sandbox's onboardings with their steps, newest first. */
  async list(filter: { sandbox: string; status?: OnboardingStatus | null }, window: PageWindow): Promise<Page<OnboardingState>> {
    const where = new ListFilter().where('sandbox = ?', filter.sandbox).whereGiven('status = ?::"OnboardingStatus"', filter.status);
    const page = await newestFirst(this.pool, 'onboardings', where, window, (row: OnboardingRow) => row);
    const steps =
      page.rows.length === 0 ? [] : (await this.pool.query<StepRow>('SELECT * FROM onboarding_steps WHERE onboarding_id = ANY($1::uuid[]) ORDER BY position, key', [page.rows.map((o) => o.id)])).rows;
    return { ...page, rows: page.rows.map((onboarding) => ({ onboarding, steps: steps.filter((s) => s.onboarding_id === onboarding.id) })) };
  }

  /**
   * The onboarding that made a resource (through the operation one of its steps recorded), in a
   * sandbox; null for resources made one by one. Walks the two indexed links operation → step.
   */
  async madeResource(resourceId: string, sandbox: string): Promise<OnboardingState | null> {
    const result = await this.pool.query<{ onboarding_id: string }>({
      name: 'fg_onboarding_of_resource',
      text: `SELECT s.onboarding_id FROM operations op JOIN onboarding_steps s ON s.operation_id = op.id
             WHERE op.resource_id = $1::uuid AND op.sandbox = $2 ORDER BY op.created_at ASC LIMIT 1`,
      values: [resourceId, sandbox],
    });
    const row = result.rows[0];
    return row ? this.load(row.onboarding_id, sandbox) : null;
  }

  /** The onboarding a caller submitted under an idempotency key, if any. */
  async byIdempotencyKey(requestedBy: string, key: string): Promise<OnboardingRow | null> {
    return (await this.pool.query<OnboardingRow>('SELECT * FROM onboardings WHERE requested_by = $1 AND idempotency_key = $2', [requestedBy, key])).rows[0] ?? null;
  }

  /**
   * Records an onboarding — its row, its base connection and sealed token, and the whole step
   * ledger — in one round trip: the three statements as one text, with their values written in
   * (see `withLiterals`), which PostgreSQL runs as one transaction (all of it or none). Five round
   * trips (BEGIN, the three, COMMIT) were on every onboarding's way to its first Platform call.
   */
  async create(onboarding: NewOnboarding): Promise<void> {
    const row: StatementText = {
      text: `INSERT INTO onboardings (id, sandbox, name, description, status, resources, schedule, rollback_on_failure, existing_dataset_id, connection_id, requested_by, request_id, idempotency_key, input_hash, trace_parent, updated_at)
         VALUES ($1::uuid, $2, $3, $4, 'QUEUED', $5::text[], $6::jsonb, $7::boolean, $8::uuid, $9::uuid, $10, $11, $12, $13, $14, now())`,
      values: [
        onboarding.id,
        onboarding.sandbox,
        onboarding.name,
        onboarding.description,
        onboarding.resources,
        JSON.stringify(onboarding.schedule),
        onboarding.rollbackOnFailure,
        onboarding.existingDatasetId,
        onboarding.connection.resource.id,
        onboarding.requestedBy,
        onboarding.requestId,
        onboarding.idempotencyKey,
        onboarding.inputHash,
        onboarding.traceParent,
      ],
    };
    const connection = this.ledger.pendingResourceInsert(onboarding.connection.resource, onboarding.connection.secret);
    // The whole ledger in one statement: a round trip per step (23 for three resources) was
    // most of the mutation's time, before anything could start.
    const steps = stepsInsert(onboarding.id, onboarding.steps);
    await this.pool.query([row, connection, steps].map(withLiterals).join(';\n'));
  }

  /**
   * Runs one pass of the saga in a transaction that holds the onboarding's row lock, and commits
   * it; null (nothing run) when the onboarding does not exist. The pass begins with BEGIN, the
   * lock, the ledger and the deployment's running-step count in one round trip instead of four (a
   * pass holds the lock throughout, the other steps of a level wait for it, and each round trip
   * cost about 0.8 ms here).
   *
   * When `work` answers `flushLater`, the commit does not wait for the disk (see
   * `OperationLedger.finish`): for a pass that starts nothing and ends nothing, whose record is
   * derived from commits already made, so that if PostgreSQL itself crashed before the log
   * reached the disk the next pass would record it again. It still takes the row lock, and each
   * wait for the disk under that lock held up the next pass, and the outcome of a step waiting
   * to be recorded.
   *
   * When `work` answers a `progress` statement (see `progressUpdate`), it goes in the commit's
   * round trip, just before the COMMIT, and `afterCommit` gets the row it returned: the pass's
   * last write and its commit were two round trips under the row lock, on the hand-over from a
   * step's end to its dependants' start.
   *
   * `whileCommitting` is called as soon as the COMMIT is sent (see `transactionOn`), before
   * `afterCommit`, with a promise that resolves once the pass is committed (and, unless
   * `flushLater`, on disk).
   */
  async pass<T extends { flushLater: boolean; progress: StatementText | null }>(
    onboardingId: string,
    work: (client: pg.PoolClient, locked: LockedLedger) => Promise<T>,
    afterCommit?: (result: T, saved: OnboardingRow | null) => Promise<void>,
    whileCommitting?: (result: T, committed: Promise<void>) => void,
  ): Promise<T | null> {
    // The simple query protocol that allows several statements takes no parameters, so the id
    // is checked to be a UUID before it is written in.
    if (!isUuid(onboardingId)) throw new Error(`not an onboarding id: ${JSON.stringify(onboardingId)}`);
    // A session lock per onboarding, held from before the row lock until `afterCommit` is done:
    // the next pass (on any worker) starts only once this one's state is published, so states
    // are published in the order they were committed, and only once they are committed (a
    // subscriber that reads the onboarding after a message sees at least that state).
    const lockKey = `${ONBOARDING_PASS_LOCK}, hashtext('${onboardingId}')`;
    const client = await this.pool.connect();
    let unlocked = false;
    let saved: Promise<OnboardingRow | null> = Promise.resolve(null);
    try {
      const result = await transactionOn<T | null>(
        client,
        async (_client, [, , locked, folded, ledger, running]) => {
          const onboarding = (locked as pg.QueryResult<OnboardingRow>).rows[0];
          const finished = (folded as pg.QueryResult<Pick<StepRow, 'kind' | 'status' | 'started_at' | 'finished_at'>>).rows;
          this.observer.stepsFinished(finished);
          if (!onboarding) return new Rollback(null);
          return work(client, { onboarding, steps: (ledger as pg.QueryResult<StepRow>).rows, folded: finished.length, runningSteps: (running as pg.QueryResult<{ n: number }>).rows[0]!.n });
        },
        // The ends of step operations are folded into the ledger (RUNNING steps whose operation
        // finished) in the same round trip, before the ledger is read: one statement under the row
        // lock instead of a read and an update per step, and no round trip of its own.
        `SELECT pg_advisory_lock(${lockKey});
         BEGIN;
         SELECT o.*, (SELECT id FROM secrets WHERE resource_id = o.connection_id ORDER BY created_at DESC LIMIT 1) AS connection_secret_id FROM onboardings o WHERE o.id = '${onboardingId}' FOR UPDATE OF o;
         UPDATE onboarding_steps s
         SET status = (CASE WHEN o.status = 'SUCCEEDED' THEN 'SUCCEEDED' ELSE 'FAILED' END)::"StepStatus", platform_id = r.platform_id,
             error = CASE WHEN o.status = 'SUCCEEDED' THEN NULL ELSE COALESCE(o.error, '${CANCELLED_STEP_ERROR}'::jsonb) END, finished_at = clock_timestamp(), updated_at = now()
         FROM operations o JOIN resources r ON r.id = o.resource_id
         WHERE s.onboarding_id = '${onboardingId}' AND s.status = 'RUNNING' AND o.id = s.operation_id AND o.status IN ('SUCCEEDED', 'FAILED', 'CANCELLED')
         RETURNING s.kind, s.status, s.started_at, s.finished_at;
         SELECT * FROM onboarding_steps WHERE onboarding_id = '${onboardingId}' ORDER BY position, key;
         SELECT count(*)::int AS n FROM onboarding_steps WHERE status = 'RUNNING'`,
        (result) => [result?.progress ? withLiterals(result.progress) : null, result?.flushLater ? 'SET LOCAL synchronous_commit TO OFF' : null, 'COMMIT'].filter((text) => text !== null).join('; '),
        (result, committed) => {
          if (result === null) return;
          // (A failed commit fails the pass: transactionOn throws it, and `saved` is not read.)
          if (result.progress)
            saved = committed.then(
              (results) => (results[0]!.rows[0] as OnboardingRow | undefined) ?? null,
              () => null,
            );
          whileCommitting?.(
            result,
            committed.then(() => undefined),
          );
        },
      );
      if (result !== null && afterCommit) await afterCommit(result, await saved);
      return result;
    } finally {
      unlocked = await client.query(`SELECT pg_advisory_unlock(${lockKey})`).then(
        () => true,
        () => false,
      );
      // A connection that could not unlock is closed, which drops its session lock.
      client.release(unlocked ? undefined : true);
    }
  }

  /** Steps RUNNING across the deployment. */
  async runningStepCount(sql: Sql = this.pool): Promise<number> {
    return (await sql.query<{ n: number }>(`SELECT count(*)::int AS n FROM onboarding_steps WHERE status = 'RUNNING'`)).rows[0]!.n;
  }

  /** A step that failed before it could start (e.g. nothing to map): FAILED on this attempt. */
  async failStep(client: pg.PoolClient, stepId: string, attempt: number, error: OperationErrorInfo): Promise<void> {
    await client.query(`UPDATE onboarding_steps SET status = 'FAILED', attempts = $2, error = $3::jsonb, started_at = now(), finished_at = now(), updated_at = now() WHERE id = $1`, [
      stepId,
      attempt,
      JSON.stringify(error),
    ]);
  }

  /** An inline step's outcome (connection test, explore); false when the step was not RUNNING any more (another delivery recorded it). */
  async recordInlineOutcome(
    onboardingId: string,
    key: string,
    outcome: { status: Extract<StepStatus, 'SUCCEEDED' | 'FAILED'>; result: Record<string, unknown> | null; error: OperationErrorInfo | null; platformId?: string | null },
  ): Promise<boolean> {
    // One statement that first takes the onboarding's row lock and bumps its version (the
    // uncorrelated EXISTS runs before any step row is locked: the same lock order as a pass), so
    // a pass never publishes a state that this outcome has already overtaken, and the state a
    // new subscriber reads is newer than any message still on its way. Its commit does not wait
    // for the disk: a pass that starts a step on it flushes it with its own commit (see
    // `OperationLedger.finish`); if PostgreSQL crashes first, the step is RUNNING again without a
    // runner, and the sweep runs it again.
    const result = await this.pool.query<Pick<StepRow, 'kind' | 'status' | 'started_at' | 'finished_at'>>(
      `WITH commit_mode AS (${FLUSH_LATER_IF('true')}),
       bumped AS (
         UPDATE onboardings SET version = version + 1
         WHERE id = $1 AND EXISTS (SELECT 1 FROM onboarding_steps WHERE onboarding_id = $1 AND key = $2 AND status = 'RUNNING')
         RETURNING id
       )
       UPDATE onboarding_steps SET status = $3, result = $4::jsonb, error = $5::jsonb, platform_id = COALESCE($6, platform_id), finished_at = now(), updated_at = now()
       WHERE onboarding_id = $1 AND key = $2 AND status = 'RUNNING' AND EXISTS (SELECT 1 FROM bumped) AND EXISTS (SELECT 1 FROM commit_mode)
       RETURNING kind, status, started_at, finished_at`,
      [onboardingId, key, outcome.status, outcome.result === null ? null : JSON.stringify(outcome.result), outcome.error === null ? null : JSON.stringify(outcome.error), outcome.platformId ?? null],
    );
    this.observer.stepsFinished(result.rows);
    return (result.rowCount ?? 0) > 0;
  }

  /**
   * Notes on a RUNNING inline step that its create is about to be sent, so whichever run comes
   * next (after a crash, a lost answer) looks for what it may have made before making another.
   */
  async markCreateSent(onboardingId: string, key: string): Promise<void> {
    await this.pool.query(`UPDATE onboarding_steps SET result = '{"createSent": true}'::jsonb, updated_at = now() WHERE onboarding_id = $1 AND key = $2 AND status = 'RUNNING'`, [onboardingId, key]);
  }

  /**
   * Renews a RUNNING step's `updated_at` while this process runs it without a job: the sweep takes
   * a step RUNNING without a job for lost only once that is older than its threshold.
   */
  async touchRunningStep(onboardingId: string, key: string): Promise<boolean> {
    const result = await this.pool.query(`UPDATE onboarding_steps SET updated_at = now() WHERE onboarding_id = $1 AND key = $2 AND status = 'RUNNING'`, [onboardingId, key]);
    return (result.rowCount ?? 0) > 0;
  }

  /** An inline step with its onboarding's base connection (one round trip: this is on the critical path). */
  async inlineStep(onboardingId: string, key: string): Promise<InlineStepRow | null> {
    return (
      (
        await this.pool.query<InlineStepRow>(
          `SELECT s.*, c.platform_id AS connection_platform_id, c.sandbox AS connection_sandbox, o.name AS onboarding_name,
                  (SELECT u.platform_id FROM onboarding_steps u WHERE u.onboarding_id = s.onboarding_id AND u.key = s.undoes) AS undoes_platform_id
           FROM onboarding_steps s JOIN onboardings o ON o.id = s.onboarding_id JOIN resources c ON c.id = o.connection_id
           WHERE s.onboarding_id = $1 AND s.key = $2`,
          [onboardingId, key],
        )
      ).rows[0] ?? null
    );
  }

  /** How many times a step has started. */
  async stepAttempts(onboardingId: string, key: string): Promise<number | null> {
    return (await this.pool.query<{ attempts: number }>('SELECT attempts FROM onboarding_steps WHERE onboarding_id = $1 AND key = $2', [onboardingId, key])).rows[0]?.attempts ?? null;
  }

  /** Adds steps to a ledger (undo steps when a rollback starts); a step already there is kept. Returns the steps inserted. */
  async insertSteps(client: pg.PoolClient, onboardingId: string, steps: NewStep[]): Promise<StepRow[]> {
    if (steps.length === 0) return [];
    const { text, values } = stepsInsert(onboardingId, steps);
    return (await client.query<StepRow>(text, values)).rows;
  }

  /** Forward steps that will never run (a rollback started): CANCELLED, not failed. */
  async cancelSteps(client: pg.PoolClient, stepIds: string[]): Promise<void> {
    if (stepIds.length === 0) return;
    await client.query(`UPDATE onboarding_steps SET status = 'CANCELLED', updated_at = now() WHERE id = ANY($1::uuid[])`, [stepIds]);
  }

  /**
   * The statement that saves the onboarding's status and progress after a pass (`error`/`leftBehind`
   * undefined: unchanged) and marks the steps it starts RUNNING, returning the onboarding's row: a
   * pass sends it with its commit (see `pass`). clock_timestamp() for a step's start, not now():
   * now() is when the pass's transaction began, which can precede a dependency's recorded finish.
   */
  progressUpdate(
    onboardingId: string,
    update: {
      status: OnboardingStatus;
      progress: number;
      currentStep: string | null;
      terminal: boolean;
      error?: OperationErrorInfo | null;
      leftBehind?: LeftBehind[];
      starts?: StepStart[];
    },
  ): StatementText {
    return {
      text: `WITH started AS (
         UPDATE onboarding_steps s SET status = 'RUNNING', attempts = x.attempt, operation_id = COALESCE(x.operation_id, s.operation_id), started_at = clock_timestamp(), error = NULL, updated_at = now(),
                result = CASE WHEN x.create_sent THEN '{"createSent": true}'::jsonb ELSE s.result END
         FROM jsonb_to_recordset($9::jsonb) AS x(step_id uuid, attempt int, operation_id uuid, create_sent boolean) WHERE s.id = x.step_id AND s.onboarding_id = $1)
       UPDATE onboardings SET status = $2::"OnboardingStatus", progress = $3, current_step = $4,
              error = CASE WHEN $5::boolean THEN $6::jsonb ELSE error END,
              left_behind = COALESCE($7::jsonb, left_behind),
              finished_at = CASE WHEN $8::boolean THEN COALESCE(finished_at, now()) ELSE NULL END, updated_at = now(),
              version = version + 1
       WHERE id = $1 RETURNING *`,
      values: [
        onboardingId,
        update.status,
        update.progress,
        update.currentStep,
        update.error !== undefined,
        update.error === undefined || update.error === null ? null : JSON.stringify(update.error),
        update.leftBehind ? JSON.stringify(update.leftBehind) : null,
        update.terminal,
        JSON.stringify((update.starts ?? []).map((s) => ({ step_id: s.stepId, attempt: s.attempt, operation_id: s.operationId, create_sent: s.createSent === true }))),
      ],
    };
  }

  /**
   * Resource rows by id (what a step's operation is built from), read inside the pass, without
   * their Platform snapshots (no step is built from one; a schema's is most of its row).
   */
  async resources(client: pg.PoolClient, ids: (string | null | undefined)[]): Promise<Map<string, ResourceSummary>> {
    const wanted = [...new Set(ids.filter((id): id is string => typeof id === 'string'))];
    if (wanted.length === 0) return new Map();
    const rows = (await client.query<Columns<ResourceSummary>>(`SELECT ${RESOURCE_SUMMARY_COLUMNS} FROM resources WHERE id = ANY($1::uuid[])`, [wanted])).rows;
    return new Map(rows.map((r) => [r.id, resourceSummaryFromRow(r)]));
  }

  /** Ids of every onboarding that has not finished. */
  async unfinishedIds(): Promise<string[]> {
    return (await this.pool.query<{ id: string }>(`SELECT id FROM onboardings WHERE status NOT IN ('SUCCEEDED', 'FAILED', 'ROLLED_BACK', 'CANCELLED')`)).rows.map((r) => r.id);
  }

  /** Steps RUNNING for more than `seconds` (their job may be lost), with their operation's status. */
  async stepsRunningLongerThan(seconds: number): Promise<RunningStep[]> {
    const rows = (
      await this.pool.query<{ onboarding_id: string; key: string; kind: string; attempts: number; operation_id: string | null; op_status: string | null }>(
        `SELECT s.onboarding_id, s.key, s.kind, s.attempts, s.operation_id, o.status AS op_status
         FROM onboarding_steps s LEFT JOIN operations o ON o.id = s.operation_id
         WHERE s.status = 'RUNNING' AND s.updated_at < now() - make_interval(secs => $1)`,
        [seconds],
      )
    ).rows;
    return rows.map((r) => ({ onboardingId: r.onboarding_id, key: r.key, kind: r.kind, attempts: r.attempts, operationId: r.operation_id, operationStatus: r.op_status }));
  }

  /** Puts FAILED forward steps back to PENDING so the saga resumes; false unless the onboarding is FAILED without a rollback. */
  async resume(id: string): Promise<boolean> {
    return inTransaction(this.pool, async (client) => {
      const row = (await client.query<OnboardingRow>('SELECT * FROM onboardings WHERE id = $1 FOR UPDATE', [id])).rows[0];
      const undone = (await client.query<{ n: number }>('SELECT count(*)::int AS n FROM onboarding_steps WHERE onboarding_id = $1 AND undoes IS NOT NULL', [id])).rows[0]!.n;
      if (!row || row.status !== 'FAILED' || undone > 0) return new Rollback(false);
      await client.query(
        `UPDATE onboarding_steps SET status = 'PENDING', error = NULL, finished_at = NULL, updated_at = now() WHERE onboarding_id = $1 AND undoes IS NULL AND status IN ('FAILED', 'CANCELLED')`,
        [id],
      );
      await client.query(`UPDATE onboardings SET status = 'RETRYING', error = NULL, finished_at = NULL, updated_at = now(), version = version + 1 WHERE id = $1`, [id]);
      return true;
    });
  }

  /** Stops an unfinished onboarding: steps not started are cancelled; with rollback, what was made is undone. */
  async cancel(id: string, rollback: boolean): Promise<boolean> {
    return inTransaction(this.pool, async (client) => {
      const row = (await client.query<OnboardingRow>('SELECT * FROM onboardings WHERE id = $1 FOR UPDATE', [id])).rows[0];
      if (!row || ['SUCCEEDED', 'FAILED', 'ROLLED_BACK', 'CANCELLED', 'ROLLING_BACK'].includes(row.status)) return new Rollback(false);
      await client.query(`UPDATE onboarding_steps SET status = 'CANCELLED', updated_at = now() WHERE onboarding_id = $1 AND status = 'PENDING'`, [id]);
      await client.query(
        `UPDATE onboardings SET status = $2::"OnboardingStatus", error = $3::jsonb, finished_at = CASE WHEN $2 = 'CANCELLED' THEN now() ELSE NULL END, updated_at = now(),
                version = version + 1 WHERE id = $1`,
        [id, rollback ? 'ROLLING_BACK' : 'CANCELLED', JSON.stringify({ code: 'CANCELLED', message: 'cancelled by the user', retryable: false } satisfies OperationErrorInfo)],
      );
      return true;
    });
  }
}

export function onboardingCursor(state: { onboarding: Pick<OnboardingRow, 'created_at' | 'id'> }): string {
  return encodeCursor({ at: new Date(state.onboarding.created_at), id: state.onboarding.id });
}

/** Inserts steps into an onboarding's ledger (PENDING; those it holds already are kept), returning the rows inserted. */
function stepsInsert(onboardingId: string, steps: NewStep[]): StatementText {
  return {
    text: `INSERT INTO onboarding_steps (id, onboarding_id, key, kind, position, stripe_resource, depends_on, weight, status, resource_type, resource_id, undoes, updated_at)
       SELECT s.id, $1::uuid, s.key, s.kind, s.position, s.resource, ARRAY(SELECT jsonb_array_elements_text(s.depends_on)), s.weight, 'PENDING', s.resource_type::"ResourceType", s.resource_id, s.undoes, now()
       FROM jsonb_to_recordset($2::jsonb) AS s(id uuid, key text, kind text, position int, resource text, depends_on jsonb, weight float8, resource_type text, resource_id uuid, undoes text)
       ON CONFLICT (onboarding_id, key) DO NOTHING
       RETURNING *`,
    values: [
      onboardingId,
      JSON.stringify(
        steps.map((s) => ({
          id: s.id,
          key: s.key,
          kind: s.kind,
          position: s.position,
          resource: s.resource,
          depends_on: s.dependsOn,
          weight: s.weight,
          resource_type: s.resourceType,
          resource_id: s.resourceId,
          undoes: s.undoes ?? null,
        })),
      ),
    ],
  };
}
