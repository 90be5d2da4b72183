import type pg from 'pg';

/**
 * The deployment-wide counts Prometheus gauges read when scraped: small aggregate queries on
 * indexed columns (onboardings by status, open alerts) and the audit chain head's one row.
 */
export class MetricsReads {
  constructor(private readonly pool: pg.Pool) {}

  async onboardingsByStatus(): Promise<Record<string, number>> {
    const rows = (await this.pool.query<{ status: string; n: number }>(`SELECT status::text AS status, count(*)::int AS n FROM onboardings GROUP BY status`)).rows;
    return Object.fromEntries(rows.map((r) => [r.status, r.n]));
  }

  async openAlerts(): Promise<{ health: string; severity: string; count: number }[]> {
    return (
      await this.pool.query<{ health: string; severity: string; count: number }>(
        `SELECT health::text AS health, severity::text AS severity, count(*)::int AS count FROM alerts WHERE status = 'OPEN' GROUP BY health, severity`,
      )
    ).rows;
  }

  /** Audit events written so far: the chain head's sequence number. */
  async auditEventsWritten(): Promise<number> {
    const row = (await this.pool.query<{ seq: string }>(`SELECT seq::text AS seq FROM audit_chain_head WHERE id`)).rows[0];
    return row ? Number(row.seq) : 0;
  }
}
