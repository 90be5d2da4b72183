import type pg from 'pg';
import { isUuid } from '../domain/ids.js';
import type { OperationStatus } from '../domain/operations.js';
import { encodeCursor, type Page, type PageWindow } from './cursor.js';
import { ListFilter, newestFirst } from './keyset-page.js';
import { operationFromRow, type Operation, type OperationColumns } from './rows.js';

export type { Operation } from './rows.js';

export interface OperationFilter {
  sandbox: string;
  status?: OperationStatus | null;
  type?: string | null;
  resourceId?: string | null;
}

/** Reads of `operations` (writes belong to the OperationLedger). */
export class OperationStore {
  constructor(private readonly pool: pg.Pool) {}

  /** One operation, in a sandbox when one is given; null also for an id that is not a UUID. */
  async find(id: string, sandbox?: string): Promise<Operation | null> {
    if (!isUuid(id)) return null;
    const result = await this.pool.query<OperationColumns>({ name: 'fg_operation', text: 'SELECT * FROM operations WHERE id = $1::uuid', values: [id] });
    const operation = result.rows[0] ? operationFromRow(result.rows[0]) : null;
    return operation && (sandbox === undefined || operation.sandbox === sandbox) ? operation : null;
  }

  /** The operation a caller submitted under an idempotency key, if any. */
  async byIdempotencyKey(requestedBy: string, key: string): Promise<Operation | null> {
    const result = await this.pool.query<OperationColumns>({
      name: 'fg_operation_by_key',
      text: 'SELECT * FROM operations WHERE requested_by = $1 AND idempotency_key = $2',
      values: [requestedBy, key],
    });
    return result.rows[0] ? operationFromRow(result.rows[0]) : null;
  }

  /** One page of a sandbox's operations, newest first. */
  list(filter: OperationFilter, window: PageWindow): Promise<Page<Operation>> {
    const where = new ListFilter().where('sandbox = ?', filter.sandbox).whereEqual(filter, { status: '"OperationStatus"', type: 'text', resourceId: 'uuid' });
    return newestFirst(this.pool, 'operations', where, window, operationFromRow);
  }

  /**
   * Operations that should have a job but may have lost it (Redis restart or flush, enqueue
   * failure), oldest first: QUEUED and RETRYING ones untouched since `cutoff`, RUNNING ones whose
   * heartbeat is older than `runningCutoff` (a RUNNING operation's worker renews `updated_at`
   * while it works).
   */
  async unfinishedOlderThan(cutoff: Date, limit: number, runningCutoff: Date = cutoff): Promise<Operation[]> {
    const result = await this.pool.query<OperationColumns>({
      name: 'fg_unfinished',
      text: `SELECT * FROM operations
             WHERE (status IN ('QUEUED', 'RETRYING') AND updated_at < $1) OR (status = 'RUNNING' AND updated_at < $3)
             ORDER BY created_at ASC LIMIT $2`,
      values: [cutoff, limit, runningCutoff],
    });
    return result.rows.map(operationFromRow);
  }

  /** An operation's status and how long ago its row was last written (for RUNNING: its last heartbeat), on PostgreSQL's clock. */
  async liveness(id: string): Promise<{ status: string; idleMs: number } | null> {
    const result = await this.pool.query<{ status: string; idle_ms: number }>({
      name: 'fg_operation_liveness',
      text: `SELECT status, (extract(epoch FROM clock_timestamp() - updated_at) * 1000)::float8 AS idle_ms FROM operations WHERE id = $1::uuid`,
      values: [id],
    });
    const row = result.rows[0];
    return row ? { status: row.status, idleMs: row.idle_ms } : null;
  }
}

export function operationCursor(operation: Operation): string {
  return encodeCursor({ at: operation.createdAt, id: operation.id });
}
