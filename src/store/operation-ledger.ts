import { randomUUID } from 'node:crypto';
import type pg from 'pg';
import { failedAction, type AuditAction } from '../domain/audit-actions.js';
import type { OperationErrorInfo } from '../domain/operation-error.js';
import { OPERATIONS, parseOperationInput, TERMINAL_OPERATION_STATUSES, type OperationType } from '../domain/operations.js';
import { checkSpec } from '../domain/resource-specs.js';
import type { PlatformResourceType, ResourceState, ResourceType } from '../domain/resource-types.js';
import { auditView, diffFields, redactSecrets } from './audit-values.js';
import type { Sql, StatementText } from './db.js';
import { StatementBatcher } from './statement-batcher.js';
import { silentStoreObserver, type StoreObserver } from './store-observer.js';
import {
  operationFromRow,
  RESOURCE_SUMMARY_COLUMNS,
  resourceFromRow,
  sealedSecretFromRow,
  type Operation,
  type OperationColumns,
  type Resource,
  type ResourceColumns,
  type SealedSecretRow,
  type SecretColumns,
} from './rows.js';

/**
 * The one writer of `operations`, `resources` and `audit_events` (and of a secret sealed with
 * its operation): every change to them — a mutation recording its operation, an onboarding
 * starting its steps, a worker starting and finishing one, a cascade delete, an API key's audit
 * event — goes through here, as single SQL statements (data-modifying CTEs), so an operation, its
 * resource and its audit event exist together or not at all. Operation inputs are checked
 * against their contracts and resource specs against their schemas on the way in.
 *
 * Hand-written SQL over node-postgres rather than Prisma: these statements run for every
 * mutation and every job, and Prisma's per-query cost (≈ 0.6 ms of CPU against ≈ 0.14 ms for the
 * same statement through node-postgres, measured here) capped end-to-end throughput.
 *
 * The three writes every operation makes — its record, its start and its end — are group-committed
 * (see StatementBatcher): those of concurrent mutations and jobs that arrive while an earlier
 * statement of their kind runs go together in one statement, each operation's rows still written
 * together or not at all. PostgreSQL's CPU per operation fell from ≈ 1.4–1.8 ms to ≈ 0.6–0.8 ms in
 * `npm run bench` (one plan, one commit and one log flush for many operations).
 */

/** A resource row to insert together with its operation (state PENDING). */
export type NewResource = Pick<
  Resource,
  'id' | 'sandbox' | 'name' | 'description' | 'spec' | 'stripeResource' | 'connectionId' | 'sourceConnectionId' | 'targetConnectionId' | 'schemaId' | 'datasetId' | 'mappingId'
> & {
  type: PlatformResourceType;
};

/** A new resource row: the given columns, every link and optional column left empty. */
export function newResource(fields: Pick<NewResource, 'id' | 'type' | 'sandbox' | 'name'> & Partial<NewResource>): NewResource {
  return {
    description: null,
    spec: {},
    stripeResource: null,
    connectionId: null,
    sourceConnectionId: null,
    targetConnectionId: null,
    schemaId: null,
    datasetId: null,
    mappingId: null,
    ...fields,
  };
}

export interface NewOperation {
  id: string;
  type: OperationType;
  resourceId: string;
  sandbox: string;
  /** Checked against the type's contract before anything is written. */
  input: unknown;
  requestedBy: string;
  requestId: string | null;
  idempotencyKey: string | null;
  inputHash: string | null;
  /** Default `queued`. */
  message?: string;
}

/** A sealed secret to store with its resource. */
export type NewSecret = Omit<SealedSecretRow, 'resourceId'>;

/**
 * An operation an onboarding step starts, with what happens to its resource row: `upsert` inserts
 * it (or, after a crash or a failed attempt, resets a FAILED/PENDING one), `reset` puts a FAILED
 * row back to PENDING, `none` leaves it (undo steps act on rows that exist).
 */
export interface StepOperation {
  operation: NewOperation;
  resource: { write: 'upsert'; row: NewResource } | { write: 'reset' } | { write: 'none' };
  /**
   * Recorded RUNNING on its first attempt (as `start` would leave it) for the process recording it
   * to run at once, without a job: the reconciler and the sweep leave it alone while its heartbeat
   * is fresh, and enqueue it once the heartbeat stops (the process died). Default: QUEUED.
   */
  claim?: boolean;
}

/** A RUNNING operation with what running it needs: its resource and, when its input names one, its sealed secret. */
export interface StartedOperation {
  operation: Operation;
  resource: Resource | null;
  secret: SealedSecretRow | null;
  /**
   * The resources its resource refers to (connection, source and target connection, schema,
   * dataset, mapping), read with it: the handler needs them before its first Platform call, and a
   * read of its own was a round trip more on an onboarding's critical path. Their snapshots are
   * not read (null).
   */
  dependencies: Resource[];
}

/**
 * The resources a resource row (the JSON of a resources row, `res.j`) refers to, as a JSON array:
 * one column of a statement that starts an operation. Without their Platform snapshots (null),
 * which no handler reads of a dependency: a schema's or a mapping set's is most of its row, and
 * was read, sent and parsed at every start of what depends on it (an onboarding's critical path).
 */
/** The statuses an operation does not leave (but by `requeue`, for `retryOperation`), as an SQL list. */
const FINAL_STATUSES = `(${TERMINAL_OPERATION_STATUSES.map((status) => `'${status}'`).join(', ')})`;

const DEPENDENCIES_OF_RES = `(SELECT json_agg(row_to_json(d.*)) FROM (SELECT ${RESOURCE_SUMMARY_COLUMNS}, NULL::jsonb AS snapshot FROM resources
    WHERE id IN ((res.j->>'connection_id')::uuid, (res.j->>'source_connection_id')::uuid, (res.j->>'target_connection_id')::uuid,
                 (res.j->>'schema_id')::uuid, (res.j->>'dataset_id')::uuid, (res.j->>'mapping_id')::uuid)) d)`;

/** The resource columns a successful operation may set; anything left out stays. */
export interface ResourceChanges {
  platformId?: string | null;
  etag?: string | null;
  /** null or undefined keeps the stored snapshot. */
  snapshot?: unknown;
  state?: ResourceState;
  name?: string;
  description?: string | null;
  /** Checked against the resource type's spec schema. */
  spec?: unknown;
  deletedAt?: Date | null;
}

/** How an operation ended: its one way out of RUNNING (see `finish`). */
export type OperationOutcome =
  | { status: 'SUCCEEDED'; changes: ResourceChanges; /** The audit action, e.g. CREATED, UPDATED, ENABLED. */ action: AuditAction; message: string }
  | {
      status: 'FAILED';
      error: OperationErrorInfo;
      /** The resource changed on the Platform (a 412 the worker looked into): its fresh etag and snapshot are kept. */ conflict: { etag: string | null; snapshot: unknown } | null;
    };

/** An audit event written on its own (API-key management); resource changes write theirs in `finish`. */
export interface NewAuditEvent {
  sandbox: string;
  actor: string;
  action: AuditAction;
  resourceType: ResourceType;
  resourceId: string;
  platformId?: string | null;
  etagBefore?: string | null;
  etagAfter?: string | null;
  before?: Record<string, unknown> | null;
  after?: Record<string, unknown> | null;
  operationId?: string | null;
  requestId?: string | null;
}

/**
 * Which resource columns `finish` writes: all of them (a success: the handler's outcome), only
 * the etag and snapshot (a conflict: the Platform's fresh state), only the state (a failed
 * create), or none. A failure writes only its own columns, so it cannot undo a concurrent
 * success on the same resource (two racing updates: the loser must not restore what it read).
 */
export type ResourceWrite = 'all' | 'etag-and-snapshot' | 'state' | 'none';

/** What `finish` writes: the resource after the operation, which columns, and the audit event. Pure. */
export function finishedState(
  operation: Operation,
  before: Resource,
  outcome: OperationOutcome,
): { after: Resource; write: ResourceWrite; action: AuditAction; auditBefore: Record<string, unknown> | null } {
  switch (outcome.status) {
    case 'SUCCEEDED': {
      const c = outcome.changes;
      const keep = <K extends keyof ResourceChanges & keyof Resource>(key: K): Resource[K] => (c[key] === undefined ? before[key] : (c[key] as Resource[K]));
      const after: Resource = {
        ...before,
        name: keep('name'),
        description: keep('description'),
        state: keep('state'),
        platformId: keep('platformId'),
        etag: keep('etag'),
        spec: c.spec === undefined ? before.spec : checkSpec(before.type as PlatformResourceType, c.spec),
        snapshot: c.snapshot === undefined || c.snapshot === null ? before.snapshot : c.snapshot,
        deletedAt: keep('deletedAt'),
      };
      // The first creation has nothing to compare with: its audit event shows only the result.
      const firstCreation = before.platformId === null && before.state === 'PENDING';
      return { after, write: 'all', action: outcome.action, auditBefore: firstCreation ? null : auditView(before) };
    }
    case 'FAILED': {
      if (outcome.conflict) {
        const after = { ...before, etag: outcome.conflict.etag ?? before.etag, snapshot: outcome.conflict.snapshot ?? before.snapshot };
        return { after, write: 'etag-and-snapshot', action: 'CONFLICT_DETECTED', auditBefore: auditView(before) };
      }
      const createFailed = OPERATIONS[operation.type as OperationType]?.effect === 'create' && before.state === 'PENDING';
      return {
        after: createFailed ? { ...before, state: 'FAILED' } : before,
        write: createFailed ? 'state' : 'none',
        action: failedAction(operation.type as OperationType),
        auditBefore: auditView(before),
      };
    }
  }
}

/** Thrown when an operation to finish has no row (it was never recorded). */
export class OperationNotFoundError extends Error {
  constructor(readonly operationId: string) {
    super(`operation ${operationId} does not exist`);
    this.name = 'OperationNotFoundError';
  }
}

/** One operation's end as the batched finish statement reads it (a row of its jsonb_to_recordset). */
/** What the finishing statement answers per operation: `already` when it was finished before (left as it was). */
interface FinishedColumns {
  operation: OperationColumns;
  resource: ResourceColumns | null;
  already: boolean;
}

/** An operation's end as recorded (see `OperationLedger.finish`). */
export interface FinishedOperation {
  operation: Operation;
  resource: Resource | null;
  action: AuditAction | null;
  /** It was finished already (by another run of it): nothing was written, `operation` is as that run left it. */
  alreadyFinished: boolean;
}

interface FinishRow {
  /** Its place in the statement: audit events are inserted in the order the ends were submitted. */
  position: number;
  resource_id: string;
  name: string;
  description: string | null;
  state: ResourceState;
  platform_id: string | null;
  etag: string | null;
  spec: unknown;
  /** Null keeps the stored snapshot. */
  snapshot: unknown;
  deleted_at: Date | null;
  write: ResourceWrite;
  operation_id: string;
  status: 'SUCCEEDED' | 'FAILED';
  message: string;
  error: OperationErrorInfo | null;
  audit_id: string;
  sandbox: string;
  actor: string;
  action: AuditAction;
  resource_type: string;
  etag_before: string | null;
  changes: unknown;
  before: Record<string, unknown> | null;
  after: Record<string, unknown>;
  request_id: string | null;
}

/** One new operation, with its new resource and sealed secret when it has them, as the batched record statement reads it. */
interface RecordRow {
  /** Its place in the statement: rows are inserted in the order the operations were submitted. */
  position: number;
  id: string;
  type: OperationType;
  resource_type: ResourceType;
  resource_id: string;
  sandbox: string;
  input: unknown;
  requested_by: string;
  request_id: string | null;
  idempotency_key: string | null;
  input_hash: string | null;
  /** Whether the resource row is inserted with it (the columns below). */
  new_resource: boolean;
  name: string | null;
  description: string | null;
  spec: unknown;
  stripe_resource: string | null;
  connection_id: string | null;
  source_connection_id: string | null;
  target_connection_id: string | null;
  schema_id: string | null;
  dataset_id: string | null;
  mapping_id: string | null;
  secret_id: string | null;
  key_id: string | null;
  ciphertext: string | null;
}

/** How the ledger groups the starts and ends of concurrent operations into statements (see StatementBatcher). */
export interface OperationLedgerOptions {
  /** The most records, starts or ends in one statement. Default 64. */
  maxBatch?: number;
  /** Statements of each kind (records, starts, ends) running at once. Default 6. */
  maxInFlight?: number;
}

export class OperationLedger {
  private readonly records: StatementBatcher<RecordRow, OperationColumns>;
  private readonly starts: StatementBatcher<{ operationId: string; message: string }, StartedOperation | null>;
  private readonly finishes: StatementBatcher<FinishRow, FinishedColumns>;

  constructor(
    private readonly pool: pg.Pool,
    private readonly observer: StoreObserver = silentStoreObserver,
    options: OperationLedgerOptions = {},
  ) {
    // New operations of concurrent mutations, and starts and ends of concurrent jobs, are group-committed: one statement, one commit and one
    // log flush for the ones that arrive while the previous statement runs (PostgreSQL's CPU per
    // operation was dominated by per-statement and per-commit costs).
    const batching = { maxItems: options.maxBatch, maxInFlight: options.maxInFlight };
    this.records = new StatementBatcher({ ...batching, run: (rows) => this.recordBatch(rows) });
    this.starts = new StatementBatcher({ ...batching, run: (items) => this.startRows(items) });
    this.finishes = new StatementBatcher({ ...batching, run: (rows, lane) => this.finishBatch(rows, lane) });
  }

  /** A named (prepared once per connection) statement. */
  private named<R extends pg.QueryResultRow = OperationColumns>(name: string, text: string, values: unknown[], sql: Sql = this.pool): Promise<pg.QueryResult<R>> {
    return sql.query<R>({ name, text, values });
  }

  /**
   * A batched statement that reads existing rows, planned at every execution. A named statement's
   * plan is kept for the connection's life: planned while the tables were nearly empty (a fresh
   * deployment, the bench), the batch's `id = ANY(…)` became a whole-table read that stayed as
   * the tables grew (measured: PostgreSQL's CPU per operation 3–3.9 ms instead of 0.6–0.8). The
   * planning is shared by the batch's operations.
   */
  private planned<R extends pg.QueryResultRow>(label: string, text: string, values: unknown[]): Promise<pg.QueryResult<R>> {
    // Unnamed, so the label travels as a leading comment: pg_stat_activity shows it, and traces
    // name the statement's span after it (see statementLabel in observability/tracing-sdk.ts).
    return this.pool.query<R>({ text: `/* ${label} */ ${text}`, values });
  }

  /**
   * Records a new operation — in the same statement its new resource and sealed secret — after
   * checking its input against its contract and the resource's spec against its schema.
   */
  async record(operation: NewOperation, resource: NewResource | null, secret: NewSecret | null): Promise<Operation> {
    const input = parseOperationInput(operation.type, operation.input);
    const row: RecordRow = {
      position: 0,
      id: operation.id,
      type: operation.type,
      resource_type: OPERATIONS[operation.type].resourceType,
      resource_id: operation.resourceId,
      sandbox: operation.sandbox,
      input,
      requested_by: operation.requestedBy,
      request_id: operation.requestId,
      idempotency_key: operation.idempotencyKey,
      input_hash: operation.inputHash,
      new_resource: resource !== null,
      ...newResourceColumns(resource),
      secret_id: secret?.id ?? null,
      key_id: secret?.keyId ?? null,
      ciphertext: secret?.ciphertext ?? null,
    };
    if (resource && resource.id !== operation.resourceId) throw new RangeError(`the new resource ${resource.id} is not the operation's resource ${operation.resourceId}`);
    const recorded = await this.records.submit(row, [operation.id.toLowerCase()]);
    this.observer.operationsRecorded([operation.type]);
    return operationFromRow(recorded);
  }

  /**
   * Records a batch of new operations in one statement, each with its new resource and sealed
   * secret when it has them (see `record`). The secret references a resource row this very
   * statement may insert: data-modifying CTEs always run, and foreign keys are checked at the end
   * of the statement.
   */
  private async recordBatch(rows: readonly RecordRow[]): Promise<(OperationColumns | Error)[]> {
    // Named statements are parsed and planned once per connection (the planner's time showed in PostgreSQL's CPU).
    const result = await this.named(
      'fg_record',
      `WITH x AS (
         SELECT * FROM jsonb_to_recordset($1::jsonb) AS x(position int, id uuid, type text, resource_type text, resource_id uuid, sandbox text, input jsonb, requested_by text, request_id text,
           idempotency_key text, input_hash text, new_resource boolean, name text, description text, spec jsonb, stripe_resource text, connection_id uuid, source_connection_id uuid,
           target_connection_id uuid, schema_id uuid, dataset_id uuid, mapping_id uuid, secret_id uuid, key_id text, ciphertext text)),
       r AS (
         INSERT INTO resources (id, type, sandbox, name, description, state, spec, stripe_resource, connection_id, source_connection_id, target_connection_id, schema_id, dataset_id, mapping_id, updated_at)
         SELECT resource_id, resource_type::"ResourceType", sandbox, name, description, 'PENDING', spec, stripe_resource, connection_id, source_connection_id, target_connection_id, schema_id, dataset_id, mapping_id, now()
         FROM x WHERE new_resource ORDER BY position),
       s AS (INSERT INTO secrets (id, resource_id, key_id, ciphertext) SELECT secret_id, resource_id, key_id, ciphertext FROM x WHERE secret_id IS NOT NULL ORDER BY position)
      INSERT INTO operations (id, type, status, resource_type, resource_id, sandbox, input, requested_by, request_id, idempotency_key, input_hash, message, updated_at)
      SELECT id, type, 'QUEUED', resource_type::"ResourceType", resource_id, sandbox, input, requested_by, request_id, idempotency_key, input_hash, 'queued', now() FROM x ORDER BY position
      RETURNING *`,
      [JSON.stringify(rows.map((row, position) => ({ ...row, position })))],
    );
    const recorded = new Map(result.rows.map((row) => [row.id.toLowerCase(), row]));
    return rows.map((row) => recorded.get(row.id.toLowerCase()) ?? new OperationNotFoundError(row.id));
  }

  /**
   * Records the operations an onboarding pass starts, with their resource rows, in one statement
   * (inside the pass's transaction). Ids are deterministic, so a pass repeated after a crash
   * inserts nothing twice: an existing operation is kept, a created resource row is kept.
   */
  async recordStepOperations(client: pg.PoolClient, steps: StepOperation[]): Promise<StartedOperation[]> {
    if (steps.length === 0) return [];
    const rows = steps.map(({ operation, resource, claim }) => {
      const row = resource.write === 'upsert' ? resource.row : null;
      return {
        id: operation.id,
        type: operation.type,
        resource_type: OPERATIONS[operation.type].resourceType,
        resource_id: operation.resourceId,
        sandbox: operation.sandbox,
        input: parseOperationInput(operation.type, operation.input),
        requested_by: operation.requestedBy,
        request_id: operation.requestId,
        message: claim === true ? 'running' : (operation.message ?? 'queued'),
        claim: claim === true,
        resource_write: resource.write,
        ...newResourceColumns(row),
      };
    });
    // The claimed operations come back as `start` returns them. The resource a CTE wrote is only
    // visible through its RETURNING (every part of a statement reads the same snapshot), so each
    // is taken from there, or else as it was.
    const result = await this.named<StartedColumns>(
      'fg_record_steps',
      `WITH x AS (
         SELECT * FROM jsonb_to_recordset($1::jsonb) AS x(id uuid, type text, resource_type text, resource_id uuid, sandbox text, input jsonb, requested_by text, request_id text, message text, claim boolean,
           resource_write text, name text, description text, spec jsonb, stripe_resource text, connection_id uuid, source_connection_id uuid, target_connection_id uuid, schema_id uuid, dataset_id uuid, mapping_id uuid)),
       upserted AS (
         INSERT INTO resources (id, type, sandbox, name, description, state, spec, stripe_resource, connection_id, source_connection_id, target_connection_id, schema_id, dataset_id, mapping_id, updated_at)
         SELECT resource_id, resource_type::"ResourceType", sandbox, name, description, 'PENDING', spec, stripe_resource, connection_id, source_connection_id, target_connection_id, schema_id, dataset_id, mapping_id, now()
         FROM x WHERE resource_write = 'upsert'
         ON CONFLICT (id) DO UPDATE SET state = 'PENDING', spec = EXCLUDED.spec, updated_at = now() WHERE resources.state IN ('FAILED', 'PENDING')
         RETURNING *),
       reset AS (
         UPDATE resources SET state = 'PENDING', updated_at = now() FROM x
         WHERE x.resource_write = 'reset' AND resources.id = x.resource_id AND resources.state = 'FAILED'
         RETURNING resources.*),
       recorded AS (
         INSERT INTO operations (id, type, status, attempts, resource_type, resource_id, sandbox, input, requested_by, request_id, message, updated_at)
         SELECT id, type, (CASE WHEN claim THEN 'RUNNING' ELSE 'QUEUED' END)::"OperationStatus", CASE WHEN claim THEN 1 ELSE 0 END,
                resource_type::"ResourceType", resource_id, sandbox, input, requested_by, request_id, message, now() FROM x
         ON CONFLICT (id) DO NOTHING
         RETURNING *)
       SELECT to_jsonb(o.*) - 'input' AS operation, res.j AS resource, row_to_json(s.*) AS secret, ${DEPENDENCIES_OF_RES} AS dependencies
       FROM recorded o LEFT JOIN upserted u ON u.id = o.resource_id LEFT JOIN reset rs ON rs.id = o.resource_id LEFT JOIN resources r ON r.id = o.resource_id
       CROSS JOIN LATERAL (SELECT COALESCE(to_jsonb(u.*) - 'spec', to_jsonb(rs.*), to_jsonb(r.*)) AS j) res
       LEFT JOIN secrets s ON s.id = (o.input->>'secretId')::uuid
       WHERE o.status = 'RUNNING'`,
      [JSON.stringify(rows)],
      client,
    );
    this.observer.operationsRecorded(steps.map((s) => s.operation.type));
    // The operation's input, and the spec of a resource this statement wrote (the only row the
    // answer sends without its `spec` key), come back as they were sent, not through the answer: a
    // mapping step's field mappings (≈ 18 KB for charges) went in once and came back twice, in the
    // pass that starts the target connections.
    const sent = new Map(rows.map((row) => [row.id.toLowerCase(), row]));
    return result.rows.map((row) => {
      const step = sent.get(String(row.operation.id).toLowerCase())!;
      return startedFromRow({
        ...row,
        operation: { ...row.operation, input: step.input },
        resource: row.resource && !Object.hasOwn(row.resource, 'spec') ? { ...row.resource, spec: step.spec } : row.resource,
      });
    });
  }

  /** The statement that inserts a PENDING resource with its sealed secret (an onboarding's base connection, recorded with the onboarding). */
  pendingResourceInsert(resource: NewResource, secret: NewSecret | null): StatementText {
    checkSpec(resource.type, resource.spec);
    return {
      text: `WITH r AS (
         INSERT INTO resources (id, type, sandbox, name, description, state, spec, stripe_resource, connection_id, source_connection_id, target_connection_id, schema_id, dataset_id, mapping_id, updated_at)
         VALUES ($1::uuid, $2::"ResourceType", $3, $4, $5, 'PENDING', $6::jsonb, $7, $8::uuid, $9::uuid, $10::uuid, $11::uuid, $12::uuid, $13::uuid, now()) RETURNING id)
       INSERT INTO secrets (id, resource_id, key_id, ciphertext) SELECT $14::uuid, r.id, $15, $16 FROM r WHERE $14::uuid IS NOT NULL`,
      values: [...resourceValues(resource), secret?.id ?? null, secret?.keyId ?? null, secret?.ciphertext ?? null],
    };
  }

  /**
   * Moves a non-terminal operation to RUNNING (counting the attempt) and returns it with its
   * resource and, when its input names one, its sealed secret; null when it is already terminal
   * (an earlier delivery finished it).
   */
  async start(operationId: string, message: string): Promise<StartedOperation | null> {
    return this.starts.submit({ operationId, message }, [operationId]);
  }

  /** Starts a batch of operations in one statement (see `start`); null for each that is terminal. */
  private async startRows(starts: readonly { operationId: string; message: string }[]): Promise<(StartedOperation | null)[]> {
    const result = await this.planned<StartedColumns>(
      'fg_start_batch',
      `WITH x AS (SELECT * FROM unnest($1::uuid[], $2::text[]) AS x(id, message)),
       o AS (
         UPDATE operations SET status = 'RUNNING', attempts = attempts + 1, message = x.message, error = NULL, updated_at = now()
         FROM x WHERE operations.id = ANY($1::uuid[]) AND operations.id = x.id AND operations.status NOT IN ${FINAL_STATUSES}
         RETURNING operations.*)
       SELECT row_to_json(o.*) AS operation, res.j AS resource, row_to_json(s.*) AS secret, ${DEPENDENCIES_OF_RES} AS dependencies
       FROM o LEFT JOIN LATERAL (SELECT row_to_json(r.*) AS j FROM resources r WHERE r.id = o.resource_id) res ON true
       LEFT JOIN secrets s ON s.id = (o.input->>'secretId')::uuid`,
      [starts.map((s) => s.operationId), starts.map((s) => s.message)],
    );
    const started = new Map(result.rows.map((row) => [row.operation.id.toLowerCase(), row]));
    return starts.map((s) => {
      const row = started.get(s.operationId.toLowerCase());
      return row ? startedFromRow(row) : null;
    });
  }

  /** Updates progress of a RUNNING operation; null when it is not running any more. */
  async progress(operationId: string, progress: number, message: string): Promise<Operation | null> {
    const result = await this.named('fg_progress', `UPDATE operations SET progress = $2, message = $3, updated_at = now() WHERE id = $1::uuid AND status = 'RUNNING' RETURNING *`, [
      operationId,
      progress,
      message,
    ]);
    return result.rows[0] ? operationFromRow(result.rows[0]) : null;
  }

  /**
   * Records what a read after a create saw (the etag and snapshot its answer lacked), when the
   * resource still has no etag: a later change (an update's etag) is never overwritten. Not an
   * audited change: the create's audit event already recorded the resource.
   */
  async recordObservation(resourceId: string, observed: { etag: string | null; snapshot: unknown }): Promise<boolean> {
    const result = await this.named('fg_observe', `UPDATE resources SET etag = $2, snapshot = $3::jsonb WHERE id = $1::uuid AND etag IS NULL AND deleted_at IS NULL`, [
      resourceId,
      observed.etag,
      JSON.stringify(observed.snapshot ?? null),
    ]);
    return (result.rowCount ?? 0) > 0;
  }

  /**
   * Marks a RUNNING operation as still being worked on: its `updated_at` is the liveness signal
   * the reconciler reads (Redis may forget the job; PostgreSQL keeps this). False when the
   * operation is not RUNNING any more.
   */
  async heartbeat(operationId: string): Promise<boolean> {
    const result = await this.named('fg_heartbeat', `UPDATE operations SET updated_at = now() WHERE id = $1::uuid AND status = 'RUNNING'`, [operationId]);
    return (result.rowCount ?? 0) > 0;
  }

  /** Marks an attempt as failed-but-retrying; null when the operation is finished already (by another run of it). */
  async retrying(operationId: string, error: OperationErrorInfo): Promise<Operation | null> {
    // Not an operation another run has finished meanwhile: RETRYING would open it again.
    const result = await this.named(
      'fg_retrying',
      `UPDATE operations SET status = 'RETRYING', message = $2, error = $3::jsonb, updated_at = now() WHERE id = $1::uuid AND status NOT IN ${FINAL_STATUSES} RETURNING *`,
      [operationId, error.message, JSON.stringify(error)],
    );
    if (!result.rows[0]) return null;
    const retrying = operationFromRow(result.rows[0]);
    this.observer.operationRetrying(retrying.type, error.code);
    return retrying;
  }

  /**
   * Ends an operation, successful or not, in one statement: the resource as the outcome leaves it
   * (see `finishedState`), the operation's final status, and its audit event (CREATED, UPDATED…,
   * `<TYPE>_FAILED` or CONFLICT_DETECTED). The one way out of RUNNING.
   *
   * Only once: an operation already SUCCEEDED, FAILED or CANCELLED is left as it is — its resource
   * too, and no audit event is written — and comes back with `alreadyFinished` (another run of it,
   * a job delivered again while its first run still worked, finished it first; an auditor would
   * otherwise read CREATED twice, and the later run's outcome would overwrite the first's).
   *
   * `flushLater`: the commit does not wait for its write-ahead log to reach the disk (PostgreSQL's
   * `synchronous_commit` off, for this statement only), for an end whose consequences wait for a
   * commit that does (an onboarding pass that starts a step): the log is flushed in order, so that
   * commit flushes this one too, and PostgreSQL's WAL writer does within a fraction of a second
   * anyway. Until then a crash of PostgreSQL itself (not of a worker) may lose it; the operation is
   * then RUNNING again with its heartbeat stopped, and runs again, adopting what it made by its
   * deterministic name.
   */
  async finish(operation: Operation, before: Resource | null, outcome: OperationOutcome, options: { flushLater?: boolean } = {}): Promise<FinishedOperation> {
    const finished = await this.finishRows(operation, before, outcome, options.flushLater === true);
    if (!finished.alreadyFinished) this.observer.operationFinished(finished.operation);
    return finished;
  }

  private async finishRows(operation: Operation, before: Resource | null, outcome: OperationOutcome, flushLater: boolean): Promise<FinishedOperation> {
    const succeeded = outcome.status === 'SUCCEEDED';
    const message = succeeded ? outcome.message : outcome.error.message;
    const error = succeeded ? null : JSON.stringify(outcome.error);
    if (!before) {
      // An operation whose resource row is gone: only the operation can be finished.
      const result = await this.named<FinishedColumns>(
        'fg_finish_alone',
        `WITH o AS (
           UPDATE operations SET status = $2::"OperationStatus", message = $3, progress = CASE WHEN $2 = 'SUCCEEDED' THEN 1 ELSE progress END, error = $4::jsonb, finished_at = now(), updated_at = now()
           WHERE id = $1::uuid AND status NOT IN ${FINAL_STATUSES} RETURNING *)
         SELECT row_to_json(o.*) AS operation, NULL::json AS resource, false AS already FROM o
         UNION ALL
         SELECT row_to_json(op.*), NULL, true FROM operations op WHERE op.id = $1::uuid AND NOT EXISTS (SELECT 1 FROM o)`,
        [operation.id, outcome.status, message, error],
      );
      const row = result.rows[0];
      if (!row) throw new OperationNotFoundError(operation.id);
      return { operation: operationFromRow(row.operation), resource: null, action: null, alreadyFinished: row.already };
    }
    const { after, write, action, auditBefore } = finishedState(operation, before, outcome);
    const beforeView = auditBefore ? redactSecrets(auditBefore) : null;
    const afterView = redactSecrets(auditView(after));
    const row: FinishRow = {
      position: 0,
      resource_id: after.id,
      name: after.name,
      description: after.description,
      state: after.state,
      platform_id: after.platformId,
      etag: after.etag,
      spec: after.spec ?? {},
      // Null keeps the stored snapshot (most of a row's bytes) without sending it back.
      snapshot: after.snapshot === before.snapshot || after.snapshot === null || after.snapshot === undefined ? null : after.snapshot,
      deleted_at: after.deletedAt,
      write,
      operation_id: operation.id,
      status: outcome.status,
      message,
      error: succeeded ? null : outcome.error,
      audit_id: randomUUID(),
      sandbox: after.sandbox,
      actor: operation.requestedBy,
      action,
      resource_type: after.type,
      etag_before: before.etag,
      changes: diffFields(beforeView, afterView),
      before: beforeView,
      after: afterView,
      request_id: operation.requestId,
    };
    // Two ends of one operation, or of two operations on one resource, never share a statement.
    const finished = await this.finishes.submit(row, [operation.id.toLowerCase(), after.id.toLowerCase()], flushLater ? 'flush-later' : 'sync');
    if (finished.already) return { operation: operationFromRow(finished.operation), resource: before, action: null, alreadyFinished: true };
    return { operation: operationFromRow(finished.operation), resource: finished.resource ? resourceFromRow(finished.resource) : before, action, alreadyFinished: false };
  }

  /**
   * Ends a batch of operations in one statement: per operation, its resource's columns as
   * `finishedState` decided, its final status and its audit event (in the order given). In the
   * `flush-later` lane, the commit does not wait for the log flush (see `finish`).
   */
  private async finishBatch(rows: readonly FinishRow[], lane: string): Promise<(FinishedColumns | Error)[]> {
    // The resource and the audit event are written from `o`'s RETURNING: only for the operations
    // this statement finished (see `finish`). Those it did not are read as they are (the snapshot
    // of an operation no CTE changed is its current row).
    const result = await this.planned<FinishedColumns>(
      'fg_finish_batch',
      `WITH x AS (
         SELECT * FROM jsonb_to_recordset($1::jsonb) AS x(position int, resource_id uuid, name text, description text, state text, platform_id text, etag text, spec jsonb, snapshot jsonb,
           deleted_at timestamptz, write text, operation_id uuid, status text, message text, error jsonb, audit_id uuid, sandbox text, actor text, action text, resource_type text,
           etag_before text, changes jsonb, before jsonb, after jsonb, request_id text)),
       o AS (
         UPDATE operations SET status = x.status::"OperationStatus", message = x.message, progress = CASE WHEN x.status = 'SUCCEEDED' THEN 1 ELSE operations.progress END,
                error = x.error, finished_at = now(), updated_at = now()
         FROM x WHERE operations.id = ANY($4::uuid[]) AND operations.id = x.operation_id AND operations.status NOT IN ${FINAL_STATUSES} RETURNING operations.*),
       r AS (
         UPDATE resources SET
                name = CASE WHEN x.write = 'all' THEN x.name ELSE resources.name END,
                description = CASE WHEN x.write = 'all' THEN x.description ELSE resources.description END,
                state = CASE WHEN x.write IN ('all', 'state') THEN x.state::"ResourceState" ELSE resources.state END,
                platform_id = CASE WHEN x.write = 'all' THEN x.platform_id ELSE resources.platform_id END,
                etag = CASE WHEN x.write IN ('all', 'etag-and-snapshot') THEN x.etag ELSE resources.etag END,
                spec = CASE WHEN x.write = 'all' THEN x.spec ELSE resources.spec END,
                snapshot = COALESCE(x.snapshot, resources.snapshot),
                deleted_at = CASE WHEN x.write = 'all' THEN x.deleted_at ELSE resources.deleted_at END,
                updated_at = now()
         FROM x JOIN o ON o.id = x.operation_id WHERE resources.id = ANY($3::uuid[]) AND resources.id = x.resource_id AND x.write <> 'none'
         RETURNING x.operation_id AS op, row_to_json(resources.*) AS j),
       a AS (
         INSERT INTO audit_events (id, sandbox, actor, action, resource_type, resource_id, platform_id, etag_before, etag_after, changes, before, after, operation_id, request_id)
         SELECT x.audit_id, x.sandbox, x.actor, x.action, x.resource_type::"ResourceType", x.resource_id, x.platform_id, x.etag_before, x.etag, x.changes, x.before, x.after, x.operation_id, x.request_id
         FROM x JOIN o ON o.id = x.operation_id ORDER BY x.position),
       commit_mode AS (${FLUSH_LATER_IF('$2')})
       SELECT row_to_json(o.*) AS operation, r.j AS resource, false AS already FROM o LEFT JOIN r ON r.op = o.id CROSS JOIN commit_mode
       UNION ALL
       SELECT row_to_json(op.*), NULL, true FROM operations op WHERE op.id = ANY($4::uuid[]) AND op.id NOT IN (SELECT id FROM o)`,
      // The ids again as arrays: the planner cannot see into the JSON (it guesses 100 rows) and chose
      // to read both tables whole; `id = ANY(…)` makes it look them up by their primary keys.
      [JSON.stringify(rows.map((row, position) => ({ ...row, position }))), lane === 'flush-later', rows.map((r) => r.resource_id), rows.map((r) => r.operation_id)],
    );
    const finished = new Map(result.rows.map((row) => [row.operation.id.toLowerCase(), row]));
    return rows.map((row) => finished.get(row.operation_id.toLowerCase()) ?? new OperationNotFoundError(row.operation_id));
  }

  /**
   * Puts a FAILED or CANCELLED operation back to QUEUED (a failed create's resource back to
   * PENDING) for `retryOperation`; null when it is not FAILED or CANCELLED any more.
   */
  async requeue(operationId: string, message: string): Promise<Operation | null> {
    const result = await this.named(
      'fg_requeue',
      `WITH o AS (
         UPDATE operations SET status = 'QUEUED', progress = 0, message = $2, error = NULL, finished_at = NULL, updated_at = now()
         WHERE id = $1::uuid AND status IN ('FAILED', 'CANCELLED') RETURNING *),
       r AS (
         UPDATE resources SET state = 'PENDING', updated_at = now() FROM o
         WHERE resources.id = o.resource_id AND o.type LIKE 'CREATE\\_%' AND resources.state = 'FAILED')
       SELECT * FROM o`,
      [operationId, message],
    );
    return result.rows[0] ? operationFromRow(result.rows[0]) : null;
  }

  /** Marks a resource DELETED with its audit event, as part of another resource's operation (a cascade delete). */
  async recordCascadeDelete(dependent: Resource, operation: Operation): Promise<Resource> {
    const after: Resource = { ...dependent, state: 'DELETED', deletedAt: new Date() };
    const beforeView = redactSecrets(auditView(dependent));
    const afterView = redactSecrets(auditView(after));
    const result = await this.named<ResourceColumns>(
      'fg_cascade_delete',
      `WITH r AS (UPDATE resources SET state = 'DELETED', deleted_at = $2, updated_at = now() WHERE id = $1::uuid RETURNING *),
       a AS (
         INSERT INTO audit_events (id, sandbox, actor, action, resource_type, resource_id, platform_id, etag_before, etag_after, changes, before, after, operation_id, request_id)
         SELECT $3::uuid, r.sandbox, $4, 'DELETED', r.type, r.id, r.platform_id, $5, NULL, $6::jsonb, $7::jsonb, $8::jsonb, $9::uuid, $10 FROM r)
       SELECT * FROM r`,
      [
        dependent.id,
        after.deletedAt,
        randomUUID(),
        operation.requestedBy,
        dependent.etag,
        JSON.stringify(diffFields(beforeView, afterView)),
        JSON.stringify(beforeView),
        JSON.stringify(afterView),
        operation.id,
        operation.requestId,
      ],
    );
    return resourceFromRow(result.rows[0]!);
  }

  /**
   * Appends the audit events of one pass of the dataflow watchdog (alerts opened, updated,
   * resolved) in one statement, in the caller's transaction; in the order given.
   */
  async appendAudits(events: NewAuditEvent[], sql: Sql = this.pool): Promise<void> {
    if (events.length === 0) return;
    const rows = events.map((event, position) => {
      const before = event.before ? redactSecrets(event.before) : null;
      const after = event.after ? redactSecrets(event.after) : null;
      return {
        position,
        id: randomUUID(),
        sandbox: event.sandbox,
        actor: event.actor,
        action: event.action,
        resource_type: event.resourceType,
        resource_id: event.resourceId,
        platform_id: event.platformId ?? null,
        etag_before: event.etagBefore ?? null,
        etag_after: event.etagAfter ?? null,
        changes: diffFields(before, after),
        before,
        after,
        operation_id: event.operationId ?? null,
        request_id: event.requestId ?? null,
      };
    });
    await this.named(
      'fg_audits',
      `INSERT INTO audit_events (id, sandbox, actor, action, resource_type, resource_id, platform_id, etag_before, etag_after, changes, before, after, operation_id, request_id)
       SELECT id, sandbox, actor, action, resource_type::"ResourceType", resource_id, platform_id, etag_before, etag_after, changes, before, after, operation_id, request_id
       FROM jsonb_to_recordset($1::jsonb) AS x(position int, id uuid, sandbox text, actor text, action text, resource_type text, resource_id uuid, platform_id text,
         etag_before text, etag_after text, changes jsonb, before jsonb, after jsonb, operation_id uuid, request_id text)
       ORDER BY position`,
      [JSON.stringify(rows)],
      sql,
    );
  }

  /** Appends an audit event of something that is not an operation (API-key management), in the caller's transaction when given. */
  async appendAudit(event: NewAuditEvent, sql: Sql = this.pool): Promise<void> {
    const before = event.before ? redactSecrets(event.before) : null;
    const after = event.after ? redactSecrets(event.after) : null;
    await this.named(
      'fg_audit',
      `INSERT INTO audit_events (id, sandbox, actor, action, resource_type, resource_id, platform_id, etag_before, etag_after, changes, before, after, operation_id, request_id)
       VALUES ($1::uuid, $2, $3, $4, $5::"ResourceType", $6::uuid, $7, $8, $9, $10::jsonb, $11::jsonb, $12::jsonb, $13::uuid, $14)`,
      [
        randomUUID(),
        event.sandbox,
        event.actor,
        event.action,
        event.resourceType,
        event.resourceId,
        event.platformId ?? null,
        event.etagBefore ?? null,
        event.etagAfter ?? null,
        JSON.stringify(diffFields(before, after)),
        before === null ? null : JSON.stringify(before),
        after === null ? null : JSON.stringify(after),
        event.operationId ?? null,
        event.requestId ?? null,
      ],
      sql,
    );
  }
}

/**
 * A CTE body that turns `synchronous_commit` off for the statement's own transaction when the
 * boolean parameter `param` is true (a statement runs as its own transaction: SET LOCAL lasts
 * until its commit, which then does not wait for the log flush). The statement must read the CTE:
 * a plain SELECT in WITH that nothing reads is never run.
 */
export const FLUSH_LATER_IF = (param: string): string => `SELECT CASE WHEN ${param}::boolean THEN set_config('synchronous_commit', 'off', true) END AS mode`;

/** A new resource's column values, in the order the INSERTs above list them ($1 … $13). */
function resourceValues(r: NewResource): unknown[] {
  return [
    r.id,
    r.type,
    r.sandbox,
    r.name,
    r.description,
    JSON.stringify(checkSpec(r.type, r.spec)),
    r.stripeResource,
    r.connectionId,
    r.sourceConnectionId,
    r.targetConnectionId,
    r.schemaId,
    r.datasetId,
    r.mappingId,
  ];
}

/** A started operation as `start` and `recordStepOperations` read it (each table's row as JSON). */
interface StartedColumns {
  operation: OperationColumns;
  resource: ResourceColumns | null;
  secret: SecretColumns | null;
  dependencies: ResourceColumns[] | null;
}

function startedFromRow(row: StartedColumns): StartedOperation {
  return {
    operation: operationFromRow(row.operation),
    resource: row.resource ? resourceFromRow(row.resource) : null,
    secret: row.secret ? sealedSecretFromRow(row.secret) : null,
    dependencies: (row.dependencies ?? []).map(resourceFromRow),
  };
}

/** A new resource row's columns as the record statements take them (all null without one), its spec checked against its schema. */
function newResourceColumns(resource: NewResource | null) {
  return {
    name: resource?.name ?? null,
    description: resource?.description ?? null,
    spec: resource ? checkSpec(resource.type, resource.spec) : null,
    stripe_resource: resource?.stripeResource ?? null,
    connection_id: resource?.connectionId ?? null,
    source_connection_id: resource?.sourceConnectionId ?? null,
    target_connection_id: resource?.targetConnectionId ?? null,
    schema_id: resource?.schemaId ?? null,
    dataset_id: resource?.datasetId ?? null,
    mapping_id: resource?.mappingId ?? null,
  };
}
