import { randomUUID } from 'node:crypto';
import type pg from 'pg';
import {
  RUN_WINDOW,
  type AlertChange,
  type AlertSeverity,
  type DataflowHealth,
  type HealthInput,
  type HealthReason,
  type HealthStatus,
  type OpenAlert,
  type ProblemStatus,
} from '../domain/dataflow-health.js';
import type { FlowRunStatus } from '../domain/flow-runs.js';
import { isUuid } from '../domain/ids.js';
import { specOf } from '../domain/resource-specs.js';
import type { ResourceState } from '../domain/resource-types.js';
import { fixStartTime, type FlowSchedule } from '../domain/schedule-rules.js';
import { encodeCursor, type Page, type PageWindow } from './cursor.js';
import type { Sql } from './db.js';
import { fromColumns, toColumns, type Columns } from './rows.js';
import { ListFilter, newestFirst } from './keyset-page.js';

/** A dataflow's stored health: as evaluated, plus since when it has had its status. */
export interface StoredHealth extends DataflowHealth {
  dataflowId: string;
  sandbox: string;
  /** When the dataflow entered this status. */
  since: Date;
  /** When the watchdog last wrote it (it writes only changes). */
  updatedAt: Date;
}

/** One problem episode of a dataflow. */
export interface Alert {
  id: string;
  dataflowId: string;
  sandbox: string;
  status: 'OPEN' | 'RESOLVED';
  /** The problem: LATE, FAILING, SILENT or DRIFTED. */
  health: ProblemStatus;
  severity: AlertSeverity;
  reasons: HealthReason[];
  updates: number;
  createdAt: Date;
  updatedAt: Date;
  resolvedAt: Date | null;
}

/** What one watchdog pass reads of one dataflow. */
export interface WatchedRow {
  dataflowId: string;
  sandbox: string;
  name: string;
  /** The health inputs; null when the dataflow is gone (deleted, or not live any more) but still has an open alert. */
  input: HealthInput | null;
  stored: DataflowHealth | null;
  openAlert: (OpenAlert & { id: string }) | null;
}

/** A health to write (only changed ones are). */
export interface HealthWrite {
  dataflowId: string;
  sandbox: string;
  health: DataflowHealth;
}

/** A change of an alert to write: `id` is the open alert's (a new one's for ALERT_OPENED). */
export interface AlertWrite {
  id: string;
  dataflowId: string;
  sandbox: string;
  change: AlertChange;
  health: ProblemStatus | null;
  severity: AlertSeverity | null;
  reasons: HealthReason[];
}

export interface AlertFilter {
  sandbox: string;
  status?: 'OPEN' | 'RESOLVED' | null;
  dataflowId?: string | null;
  health?: ProblemStatus | null;
  severity?: AlertSeverity | null;
}

/**
 * The dataflow watchdog's tables: `dataflow_health` and `alerts` (their one writer). `readPass`
 * is the one query a pass reads every dataflow with — its record, its newest runs, the Platform's
 * last view of its flow, whether an operation is under way, its stored health and open alert —
 * however many dataflows there are; writes are one statement per table, only for what changed.
 */
export class WatchdogStore {
  constructor(private readonly pool: pg.Pool) {}

  /** Every live dataflow (and every dataflow with an open alert) with what its health depends on. */
  async readPass(sql: Sql = this.pool): Promise<WatchedRow[]> {
    const result = await sql.query<PassColumns>({
      name: 'fg_watchdog_pass',
      // The runs subquery reads the covering index `flow_runs_watch_idx` only (no heap page per
      // run); the aggregates take its rows in its order (newest first) — sorting them again per
      // dataflow tripled the pass. The newest failed run's errors are read only where needed.
      text: `SELECT d.id, d.sandbox, d.name, d.state, d.etag, d.spec, d.stripe_resource, d.created_at, d.updated_at,
               (d.state IN ('ENABLED', 'DISABLED') AND d.platform_id IS NOT NULL) AS live,
               EXISTS (SELECT 1 FROM operations op WHERE op.resource_id = d.id AND op.status IN ('QUEUED', 'RUNNING', 'RETRYING')) AS busy,
               o.observed_at, o.found, o.state AS observed_state, o.etag AS observed_etag, o.schedule AS observed_schedule, o.mapping_version AS observed_mapping_version,
               r.statuses, r.reads, r.last_run_at,
               CASE WHEN r.newest_finished = 'FAILED'
                    THEN (SELECT fr.errors FROM flow_runs fr WHERE fr.dataflow_id = d.id AND fr.status = 'FAILED' ORDER BY fr.started_at DESC LIMIT 1) END AS newest_errors,
               h.status AS h_status, h.expected_next_run_at AS h_expected, h.last_run_at AS h_last_run, h.consecutive_failures AS h_failures,
               h.consecutive_empty_runs AS h_empty, h.empty_runs_may_be_normal AS h_quiet, h.reasons AS h_reasons,
               a.id AS alert_id, a.health AS alert_health, a.reasons AS alert_reasons
             FROM resources d
             LEFT JOIN dataflow_observations o ON o.dataflow_id = d.id
             LEFT JOIN dataflow_health h ON h.dataflow_id = d.id
             LEFT JOIN alerts a ON a.dataflow_id = d.id AND a.status = 'OPEN'
             LEFT JOIN LATERAL (
               SELECT array_agg(x.status) AS statuses, array_agg(x.records_read) AS reads, max(x.started_at) AS last_run_at,
                      (array_agg(x.status) FILTER (WHERE x.status <> 'IN_PROGRESS'))[1] AS newest_finished
               FROM (SELECT status, records_read, started_at FROM flow_runs WHERE dataflow_id = d.id ORDER BY started_at DESC LIMIT ${RUN_WINDOW}) x
             ) r ON true
             WHERE d.type = 'DATAFLOW' AND ((d.state IN ('ENABLED', 'DISABLED') AND d.platform_id IS NOT NULL) OR a.id IS NOT NULL)`,
      values: [],
    });
    return result.rows.map(watchedFromRow);
  }

  /** Writes changed healths in one statement; `since` moves only when the status changes. */
  async writeHealth(sql: Sql, writes: HealthWrite[]): Promise<void> {
    if (writes.length === 0) return;
    await sql.query({
      name: 'fg_watchdog_health',
      text: `INSERT INTO dataflow_health (dataflow_id, sandbox, status, since, expected_next_run_at, last_run_at, consecutive_failures, consecutive_empty_runs, empty_runs_may_be_normal, reasons, updated_at)
             SELECT x.dataflow_id, x.sandbox, x.status::"HealthStatus", now(), x.expected_next_run_at, x.last_run_at, x.consecutive_failures, x.consecutive_empty_runs, x.empty_runs_may_be_normal, x.reasons, now()
             FROM jsonb_to_recordset($1::jsonb) AS x(dataflow_id uuid, sandbox text, status text, expected_next_run_at timestamptz, last_run_at timestamptz,
               consecutive_failures int, consecutive_empty_runs int, empty_runs_may_be_normal boolean, reasons jsonb)
             ON CONFLICT (dataflow_id) DO UPDATE SET
               since = CASE WHEN dataflow_health.status = EXCLUDED.status THEN dataflow_health.since ELSE now() END,
               status = EXCLUDED.status, sandbox = EXCLUDED.sandbox, expected_next_run_at = EXCLUDED.expected_next_run_at, last_run_at = EXCLUDED.last_run_at,
               consecutive_failures = EXCLUDED.consecutive_failures, consecutive_empty_runs = EXCLUDED.consecutive_empty_runs,
               empty_runs_may_be_normal = EXCLUDED.empty_runs_may_be_normal, reasons = EXCLUDED.reasons, updated_at = now()`,
      values: [JSON.stringify(writes.map(({ dataflowId, sandbox, health }) => toColumns({ dataflowId, sandbox, ...health })))],
    });
  }

  /**
   * Opens, updates and resolves alerts in one statement; returns each alert as the change left
   * it, with the change. An update or resolution of an alert that is not open any more (another
   * pass got there first) writes and returns nothing.
   */
  async writeAlerts(sql: Sql, writes: AlertWrite[]): Promise<{ change: AlertChange; alert: Alert }[]> {
    if (writes.length === 0) return [];
    const result = await sql.query<Columns<Alert> & { change: AlertChange }>({
      name: 'fg_watchdog_alerts',
      text: `WITH x AS (SELECT * FROM jsonb_to_recordset($1::jsonb) AS x(id uuid, dataflow_id uuid, sandbox text, change text, health text, severity text, reasons jsonb)),
             opened AS (
               INSERT INTO alerts (id, dataflow_id, sandbox, status, health, severity, reasons, created_at, updated_at)
               SELECT id, dataflow_id, sandbox, 'OPEN', health::"HealthStatus", severity::"AlertSeverity", reasons, now(), now() FROM x WHERE change = 'ALERT_OPENED'
               ON CONFLICT DO NOTHING
               RETURNING *),
             updated AS (
               UPDATE alerts a SET health = x.health::"HealthStatus", severity = x.severity::"AlertSeverity", reasons = x.reasons, updates = a.updates + 1, updated_at = now()
               FROM x WHERE x.change = 'ALERT_UPDATED' AND a.id = x.id AND a.status = 'OPEN'
               RETURNING a.*),
             resolved AS (
               UPDATE alerts a SET status = 'RESOLVED', resolved_at = now(), updated_at = now()
               FROM x WHERE x.change = 'ALERT_RESOLVED' AND a.id = x.id AND a.status = 'OPEN'
               RETURNING a.*)
             SELECT 'ALERT_OPENED' AS change, * FROM opened
             UNION ALL SELECT 'ALERT_UPDATED', * FROM updated
             UNION ALL SELECT 'ALERT_RESOLVED', * FROM resolved`,
      values: [JSON.stringify(writes.map((write) => toColumns(write)))],
    });
    return result.rows.map(({ change, ...alert }) => ({ change, alert: alertFromRow(alert) }));
  }

  /** Stored healths of these dataflows, by dataflow id. */
  async healthOf(dataflowIds: readonly string[]): Promise<Map<string, StoredHealth>> {
    const ids = dataflowIds.filter(isUuid);
    if (ids.length === 0) return new Map();
    const result = await this.pool.query<Columns<StoredHealth>>({ name: 'fg_health_of', text: 'SELECT * FROM dataflow_health WHERE dataflow_id = ANY($1::uuid[])', values: [ids] });
    return new Map(result.rows.map((row) => [row.dataflow_id, fromColumns<StoredHealth>(row)]));
  }

  /** One alert in a sandbox, or null. */
  async findAlert(id: string, sandbox: string): Promise<Alert | null> {
    if (!isUuid(id)) return null;
    const result = await this.pool.query<Columns<Alert>>({ name: 'fg_alert', text: 'SELECT * FROM alerts WHERE id = $1::uuid AND sandbox = $2', values: [id, sandbox] });
    return result.rows[0] ? alertFromRow(result.rows[0]) : null;
  }

  /** A page of a sandbox's alerts, newest opened first. */
  listAlerts(filter: AlertFilter, window: PageWindow): Promise<Page<Alert>> {
    const where = new ListFilter().where('sandbox = ?', filter.sandbox).whereEqual(filter, { status: '"AlertStatus"', dataflowId: 'uuid', health: '"HealthStatus"', severity: '"AlertSeverity"' });
    return newestFirst(this.pool, 'alerts', where, window, alertFromRow);
  }
}

const alertFromRow = (row: Columns<Alert>): Alert => fromColumns<Alert>(row);

/** A new alert's id (the store's, so a pass can name it before it is written). */
export function newAlertId(): string {
  return randomUUID();
}

export function alertCursor(alert: Alert): string {
  return encodeCursor({ at: alert.createdAt, id: alert.id });
}

interface PassColumns {
  id: string;
  sandbox: string;
  name: string;
  state: ResourceState;
  etag: string | null;
  spec: unknown;
  stripe_resource: string | null;
  created_at: Date;
  updated_at: Date;
  live: boolean;
  busy: boolean;
  observed_at: Date | null;
  found: boolean | null;
  observed_state: string | null;
  observed_etag: string | null;
  observed_schedule: FlowSchedule | null;
  observed_mapping_version: number | null;
  statuses: FlowRunStatus[] | null;
  reads: number[] | null;
  last_run_at: Date | null;
  newest_errors: { code: string; message: string }[] | null;
  h_status: HealthStatus | null;
  h_expected: Date | null;
  h_last_run: Date | null;
  h_failures: number | null;
  h_empty: number | null;
  h_quiet: boolean | null;
  h_reasons: HealthReason[] | null;
  alert_id: string | null;
  alert_health: ProblemStatus | null;
  alert_reasons: HealthReason[] | null;
}

function watchedFromRow(r: PassColumns): WatchedRow {
  const spec = specOf('DATAFLOW', r.spec);
  const statuses = r.statuses ?? [];
  const newestFinished = statuses.findIndex((status) => status !== 'IN_PROGRESS');
  const input: HealthInput | null = r.live
    ? {
        dataflow: {
          state: r.state,
          etag: r.etag,
          // A live dataflow's flow exists, so its start time is fixed; the fallback never applies.
          schedule: fixStartTime(spec.schedule, Math.floor(r.created_at.getTime() / 1000)),
          mappingVersion: spec.mappingVersion ?? null,
          stripeResource: r.stripe_resource,
          changedAt: r.updated_at,
          operationInFlight: r.busy,
        },
        runs: statuses.map((status, i) => ({
          status,
          recordsRead: r.reads?.[i] ?? 0,
          // Only the newest finished run's errors are read (the credential check), and only when it failed.
          errors: i === newestFinished ? (r.newest_errors ?? []) : [],
        })),
        lastRunAt: r.last_run_at,
        platform:
          r.observed_at === null
            ? null
            : {
                observedAt: r.observed_at,
                found: r.found ?? false,
                state: r.observed_state === 'disabled' ? 'disabled' : r.observed_state === 'enabled' ? 'enabled' : null,
                etag: r.observed_etag,
                schedule: r.observed_schedule,
                mappingVersion: r.observed_mapping_version,
              },
      }
    : null;
  const stored: DataflowHealth | null =
    r.h_status === null
      ? null
      : {
          status: r.h_status,
          expectedNextRunAt: r.h_expected,
          lastRunAt: r.h_last_run,
          consecutiveFailures: r.h_failures ?? 0,
          consecutiveEmptyRuns: r.h_empty ?? 0,
          emptyRunsMayBeNormal: r.h_quiet ?? false,
          reasons: r.h_reasons ?? [],
        };
  const openAlert = r.alert_id === null ? null : { id: r.alert_id, status: r.alert_health!, reasonCodes: (r.alert_reasons ?? []).map((reason) => reason.code) };
  return { dataflowId: r.id, sandbox: r.sandbox, name: r.name, input, stored, openAlert };
}
