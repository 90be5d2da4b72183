import type pg from 'pg';

/**
 * Keeps the audit partitions' visibility map current, so `totalCount` (which counts up to
 * AUDIT_EXACT_COUNT_LIMIT + 1 index entries) and the list's index scans read the indexes alone
 * instead of visiting a heap page per entry.
 *
 * Audit events are only ever inserted, and PostgreSQL marks a page all-visible only when VACUUM
 * passes over it. Autovacuum's insert trigger waits for 20 % of a table to be new (two million
 * events in a month of ten million), and some installations run without autovacuum, so the newest
 * events — the ones every first page counts — would stay invisible to index-only scans. Counting
 * 10,001 entries measured ≈ 140–220 ms with a heap fetch for each (the month's pages not cached),
 * 1.5 ms after a VACUUM.
 *
 * A VACUUM of an insert-only table only visits pages not yet marked, so a pass after every few
 * thousand events costs little (≈ 7 ms for a month of a million events already marked, without
 * parallel workers). SKIP_LOCKED: a partition another process is vacuuming (or attaching) is left
 * to that one.
 */
export class AuditVacuum {
  constructor(private readonly pool: pg.Pool) {}

  /**
   * Vacuums every live month of `audit_events` (their indexes included), without parallel
   * workers; `analyze` also refreshes the planner's statistics, which `totalCount`'s estimates
   * above the exact-count limit come from.
   */
  async run(options: { analyze?: boolean } = {}): Promise<void> {
    await this.pool.query(`VACUUM (SKIP_LOCKED, PARALLEL 0${options.analyze ? ', ANALYZE' : ''}) audit_events`);
  }
}
