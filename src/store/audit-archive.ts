import type pg from 'pg';
import type { AuditSealer } from './audit-sealer.js';

/** A month detached from the live table, as the archive records it. */
export interface ArchivedMonth {
  /** First day of the month (UTC), `YYYY-MM-01`. */
  month: string;
  /** Where its rows are now (`audit_archive.audit_events_YYYY_MM`), until an operator drops them. */
  tableName: string;
  /** Where its chain rows are now (`audit_archive.audit_chain_YYYY_MM`). */
  chainTableName: string;
  events: number;
  /** The month's newest event by chain position and its hash: the month's head. */
  headChainSeq: bigint | null;
  headHash: string | null;
}

/** What checking a detached month's rows against its recorded segments found. */
export interface ArchivedMonthReport {
  ok: boolean;
  month: string;
  checkedEvents: number;
  /** Why it does not verify; null when it does. */
  reason: string | null;
}

export interface AuditArchiveOptions {
  pool: pg.Pool;
  sealer: AuditSealer;
}

/** First day of the UTC month of `date`, as `YYYY-MM-01`. */
export function monthOf(date: Date): string {
  return `${date.getUTCFullYear()}-${String(date.getUTCMonth() + 1).padStart(2, '0')}-01`;
}

/**
 * The monthly partitions of `audit_events` and the archive: creating months ahead of time, and
 * detaching months that are past the retention period (each month's hash segments and head
 * are recorded first, so the live chain still verifies across the gap — see
 * `flowgate_audit_archive_month`).
 */
export class AuditArchive {
  constructor(private readonly options: AuditArchiveOptions) {}

  /** Creates the partitions of the months from `from` (default: this month) to `monthsAhead` after now. */
  async ensurePartitions(monthsAhead = 3, from = new Date()): Promise<void> {
    const now = new Date();
    const last = Date.UTC(now.getUTCFullYear(), now.getUTCMonth() + monthsAhead, 1);
    for (let m = new Date(Date.UTC(from.getUTCFullYear(), from.getUTCMonth(), 1)); m.getTime() <= last; m = new Date(Date.UTC(m.getUTCFullYear(), m.getUTCMonth() + 1, 1))) {
      await this.options.pool.query('SELECT flowgate_audit_partition($1::date)', [monthOf(m)]);
    }
  }

  /** The live monthly partitions, oldest first. */
  async liveMonths(): Promise<string[]> {
    const { rows } = await this.options.pool.query<{ name: string }>(
      `SELECT c.relname AS name FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid WHERE i.inhparent = 'audit_events'::regclass ORDER BY 1`,
    );
    return rows.flatMap(({ name }) => {
      const match = /^audit_events_(\d{4})_(\d{2})$/.exec(name);
      return match ? [`${match[1]}-${match[2]}-01`] : [];
    });
  }

  /**
   * Detaches one month to the archive after sealing what is committed; returns the events it
   * moved. A month still receiving events must not be archived (its late events would fail).
   */
  async archiveMonth(month: string): Promise<number> {
    await this.options.sealer.sealPending();
    const { rows } = await this.options.pool.query<{ n: string }>('SELECT flowgate_audit_archive_month($1::date)::text AS n', [month]);
    return Number(rows[0]!.n);
  }

  /** Detaches every month that ended more than `retentionDays` ago; returns the months archived. */
  async archiveExpired(retentionDays: number, now = new Date()): Promise<string[]> {
    const cutoff = now.getTime() - retentionDays * 86_400_000;
    const archived: string[] = [];
    for (const month of await this.liveMonths()) {
      const start = new Date(`${month}T00:00:00Z`);
      const end = Date.UTC(start.getUTCFullYear(), start.getUTCMonth() + 1, 1);
      if (end > cutoff) break;
      await this.archiveMonth(month);
      archived.push(month);
    }
    return archived;
  }

  async archivedMonths(): Promise<ArchivedMonth[]> {
    const { rows } = await this.options.pool.query<{ month: string; table_name: string; chain_table_name: string; events: string; head_chain_seq: string | null; head_hash: Buffer | null }>(
      `SELECT to_char(month, 'YYYY-MM-DD') AS month, table_name, chain_table_name, events::text, head_chain_seq::text, head_hash FROM audit_archived_months ORDER BY month`,
    );
    return rows.map((r) => ({
      month: r.month,
      tableName: r.table_name,
      chainTableName: r.chain_table_name,
      events: Number(r.events),
      headChainSeq: r.head_chain_seq === null ? null : BigInt(r.head_chain_seq),
      headHash: r.head_hash?.toString('hex') ?? null,
    }));
  }

  /**
   * Checks a detached month's tables against what the archive recorded when it was detached:
   * every event's digest recomputed and its chain row's hash, each run of chain positions linked from its segment's
   * `prev_hash` to its segment's `hash`, and the month's event count and head.
   */
  async verifyArchivedMonth(month: string): Promise<ArchivedMonthReport> {
    const record = (await this.archivedMonths()).find((m) => m.month === month);
    if (!record) return { ok: false, month, checkedEvents: 0, reason: 'the month is not in the archive' };
    const quote = (name: string) =>
      name
        .split('.')
        .map((part) => `"${part.replace(/"/g, '""')}"`)
        .join('.');
    const { rows: segments } = await this.options.pool.query<{ first: string; last: string; prev_hash: Buffer; hash: Buffer }>(
      'SELECT first_chain_seq::text AS first, last_chain_seq::text AS last, prev_hash, hash FROM audit_archive_segments WHERE month = $1::date ORDER BY first_chain_seq',
      [month],
    );
    const { rows } = await this.options.pool.query<{ chain_seq: string; prev_hash: Buffer; hash: Buffer; ok: boolean }>(
      `SELECT c.chain_seq::text, c.prev_hash, c.hash,
              -- A month archived before the audit_digest_v3 migration has no version column: all version 2.
              flowgate_audit_link_ok(coalesce((to_jsonb(c) ->> 'version')::smallint, 2::smallint), c.prev_hash, c.digest, c.hash, ROW(e.*)::audit_events) AS ok
       FROM ${quote(record.chainTableName)} c LEFT JOIN ${quote(record.tableName)} e ON e.id = c.event_id ORDER BY c.chain_seq`,
    );
    const stored = Number((await this.options.pool.query<{ n: string }>(`SELECT count(*)::text AS n FROM ${quote(record.tableName)}`)).rows[0]!.n);
    const fail = (reason: string, checked: number): ArchivedMonthReport => ({ ok: false, month, checkedEvents: checked, reason });
    let segment = 0;
    let expectedPrev: Buffer | null = null;
    let expectedPos = 0n;
    for (const [index, row] of rows.entries()) {
      const pos = BigInt(row.chain_seq);
      if (!row.ok) return fail(`event at chain position ${pos} is missing or does not match its hash`, index + 1);
      if (expectedPrev === null || pos !== expectedPos) {
        // A new run: it must be the next recorded segment, starting where the segment says.
        const s = segments[segment];
        if (expectedPrev !== null) {
          const previous = segments[segment - 1]!;
          if (previous.last !== String(expectedPos - 1n) || !previous.hash.equals(expectedPrev))
            return fail(`the run ending at chain position ${expectedPos - 1n} does not end as recorded`, index + 1);
        }
        if (!s || s.first !== String(pos) || !s.prev_hash.equals(row.prev_hash)) return fail(`the run starting at chain position ${pos} is not the one recorded`, index + 1);
        segment++;
      } else if (!row.prev_hash.equals(expectedPrev)) {
        return fail(`event at chain position ${pos} does not link to the event before it`, index + 1);
      }
      expectedPrev = row.hash;
      expectedPos = pos + 1n;
    }
    const lastSegment = segments[segment - 1];
    if (segment !== segments.length || (lastSegment && (lastSegment.last !== String(expectedPos - 1n) || !expectedPrev || !lastSegment.hash.equals(expectedPrev)))) {
      return fail('events recorded in the archive are missing from the table', rows.length);
    }
    if (rows.length !== record.events || stored !== record.events)
      return fail(`the archive recorded ${record.events} events, the tables hold ${stored} events and ${rows.length} chain rows`, rows.length);
    if (record.headHash !== (expectedPrev?.toString('hex') ?? null)) return fail("the table's newest event is not the month's recorded head", rows.length);
    return { ok: true, month, checkedEvents: rows.length, reason: null };
  }
}
