import type pg from 'pg';
import type { StoreObserver } from './store-observer.js';

/** The hash the first event links to (the chain's genesis). */
export const GENESIS_HASH = Buffer.alloc(32);

/** What `verify` found. */
export interface AuditChainReport {
  ok: boolean;
  /** Live events examined (up to and including the first broken one). */
  checkedEvents: number;
  firstBrokenEventId: string | null;
  /** Chain position of the first broken event. */
  firstBrokenSeq: bigint | null;
  firstBrokenAt: Date | null;
  /** Why the link is broken; null when the chain is intact. */
  reason: string | null;
  /** Hex of the chain head's hash (anchor it elsewhere to detect a rewrite of the whole tail). */
  headHash: string;
  /** Chain position of the head (the newest sealed event). */
  headSeq: bigint;
  /** Events not linked into the chain yet, and when the oldest of them was written. */
  unsealedEvents: number;
  oldestUnsealedAt: Date | null;
  /** Events of detached months, stepped over with the hashes the archive recorded. */
  archivedEvents: number;
}

export interface AuditChainVerifierOptions {
  pool: pg.Pool;
  /** Told each verification's verdict (metrics). */
  observer?: Pick<StoreObserver, 'auditChainVerified'>;
  /** Chain positions per range query; default 100,000. */
  chunkSize?: number;
  /** Range queries at once, each on its own connection (PostgreSQL computes the hashes); default 2. */
  parallelism?: number;
}

/** A row a range query reports: the first or last of its range, or one that does not check out. */
interface NotableRow {
  chain_seq: string;
  id: string;
  at: Date;
  prev_hash: Buffer;
  hash: Buffer;
  /** The event is in the table. */
  present: boolean;
  /** The chain row's hash follows from its link and the event's content (for version 2, through its digest). */
  link_ok: boolean;
  prev_pos: string | null;
  prev_chain_hash: Buffer | null;
  /** Events of the range found in the table (the same on every row of a range). */
  present_count: string;
}

interface Segment {
  first: bigint;
  last: bigint;
  prevHash: Buffer;
  hash: Buffer;
}

interface Broken {
  id: string | null;
  seq: bigint;
  at: Date | null;
  reason: string;
}

/**
 * Whether a chain row `c` links to its event `e` (false when the event is missing), for either
 * digest version: version 3 hashes the content with the link in one sha256; version 2 rows (sealed
 * before the audit_digest_v3 migration) hash the digest, and the digest is the content's. The
 * expression is `flowgate_audit_link_ok`'s, written out so that PostgreSQL evaluates it inline.
 */
const LINK_OK = `coalesce(CASE WHEN c.version = 3 THEN c.hash = sha256(c.prev_hash || convert_to(flowgate_audit_content_v3(e), 'UTF8'))
                         ELSE c.hash = sha256(c.prev_hash || c.digest) AND flowgate_audit_digest(e) = c.digest END, false)`;

/**
 * Where the events of a range of chain positions lie: their lowest and highest `seq` and `at`, and
 * how many chain rows the range holds. (count(*) also keeps PostgreSQL from answering min/max
 * through the `event_at` index, which would walk the chain from its start.)
 */
const SPAN_QUERY = `SELECT min(event_seq)::text AS low_seq, max(event_seq)::text AS high_seq, min(event_at) AS low_at, max(event_at) AS high_at, count(*)::text AS n
  FROM audit_chain WHERE chain_seq BETWEEN $1::bigint AND $2::bigint`;

interface Span {
  low_seq: string | null;
  high_seq: string | null;
  low_at: Date | null;
  high_at: Date | null;
  n: string;
}

/**
 * The rows of one range of chain positions that need a look from outside the range: its first
 * and last rows, and any that does not check out — its link does not follow from its prev_hash and
 * its event's content, its event is gone, or it does not follow the row before it (position and
 * hash). Everything else is verified inside PostgreSQL with the sealer's own serialization, so the
 * two cannot disagree. $3–$4 are the range's events' seq span, $5–$6 the whole months their `at`
 * lies in (SPAN_QUERY), $7 its number of chain rows.
 *
 * Shaped for CPU per event (measured on one core over 1M events; the content and its sha256 are
 * about 2 µs of it): the chain is read in position order and compared with the row before by a
 * window over that order (no sort); the events are read through their `seq` index between the
 * span's lowest and highest `seq`, in the month(s) of its `at` (planned for these values, so a
 * range within one month reads one partition's `seq` index in order; whole months, because with
 * the exact times PostgreSQL read the `at` index and sorted), and merge-joined on `seq` after a
 * sort of the narrow chain rows — chain order is `seq` order but for events committed late. A
 * hash join built its table from the wide event rows instead (about 1 µs more per event), and
 * counting the present events in a second pass cost more again: the count is the range's size less
 * the missing events, which are all among the rows reported.
 */
const RANGE_QUERY = `
  WITH c AS (
         SELECT chain_seq, event_id, event_at, event_seq, version, digest, prev_hash, hash,
                lag(chain_seq) OVER w AS prev_pos, lag(hash) OVER w AS prev_chain_hash, lead(chain_seq) OVER w AS next_pos
         FROM audit_chain WHERE chain_seq BETWEEN $1::bigint AND $2::bigint WINDOW w AS (ORDER BY chain_seq))
  SELECT c.chain_seq::text, c.event_id AS id, c.event_at AS at, c.prev_hash, c.hash, e.id IS NOT NULL AS present, ${LINK_OK} AS link_ok,
         c.prev_pos::text, c.prev_chain_hash, ($7::bigint - count(*) FILTER (WHERE e.id IS NULL) OVER ())::text AS present_count
  FROM c LEFT JOIN audit_events e
    -- Only seq is a merge key; id and at must match too (IS TRUE keeps them out of the merge keys).
    ON e.seq = c.event_seq AND (e.id = c.event_id AND e.at = c.event_at) IS TRUE
   AND e.seq BETWEEN $3::bigint AND $4::bigint AND e.at >= $5::timestamptz AND e.at < $6::timestamptz
  WHERE c.prev_pos IS NULL OR c.next_pos IS NULL OR c.prev_pos <> c.chain_seq - 1 OR c.prev_hash IS DISTINCT FROM c.prev_chain_hash OR e.id IS NULL OR NOT ${LINK_OK}
  ORDER BY c.chain_seq LIMIT 10000`;

/**
 * Whether a present event whose link does not check out was changed — its content no longer has
 * the digest the chain recorded — rather than its chain row rewritten (version 2: the row's hash
 * does not follow from its digest; version 3: the content still has the recorded digest).
 */
const DIAGNOSE_QUERY = `
  SELECT CASE WHEN c.version = 3 THEN NOT coalesce(sha256(flowgate_audit_content_v3_bytes(e)) = c.digest, false)
              ELSE c.hash = sha256(c.prev_hash || c.digest) END AS event_changed
  FROM audit_chain c LEFT JOIN audit_events e ON e.id = c.event_id AND e.at = c.event_at WHERE c.chain_seq = $1::bigint`;

/**
 * Verifies the audit hash chain the sealer builds (`audit_chain`, one row per event): walks chain
 * positions 1..head in ranges, several at once on separate connections that share one exported
 * REPEATABLE READ snapshot, and stitches the ranges together — stepping over detached months with
 * the segments the archive recorded. Reports the first broken link (an event changed or removed,
 * a chain row rewritten, removed or inserted), chain rows past the head (linked behind the
 * sealer's back), a missing newest event, and the events not in the chain yet.
 */
export class AuditChainVerifier {
  private readonly chunkSize: bigint;
  private readonly parallelism: number;

  constructor(private readonly options: AuditChainVerifierOptions) {
    this.chunkSize = BigInt(options.chunkSize ?? 100_000);
    this.parallelism = options.parallelism ?? 2;
  }

  async verify(): Promise<AuditChainReport> {
    const report = await this.verifyChain();
    this.options.observer?.auditChainVerified(report.ok);
    return report;
  }

  private async verifyChain(): Promise<AuditChainReport> {
    const client = await this.options.pool.connect();
    try {
      await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
      try {
        const [{ snapshot }] = (await client.query<{ snapshot: string }>('SELECT pg_export_snapshot() AS snapshot')).rows as [{ snapshot: string }];
        const head = (await client.query<{ seq: string; hash: Buffer; event_id: string | null }>('SELECT seq::text, hash, event_id FROM audit_chain_head WHERE id')).rows[0];
        if (!head) throw new Error('audit_chain_head has no row: the audit_chain migration did not run');
        const headSeq = BigInt(head.seq);
        const segments = (
          await client.query<{ first: string; last: string; prev_hash: Buffer; hash: Buffer }>(
            'SELECT first_chain_seq::text AS first, last_chain_seq::text AS last, prev_hash, hash FROM audit_archive_segments ORDER BY first_chain_seq',
          )
        ).rows.map((s) => ({ first: BigInt(s.first), last: BigInt(s.last), prevHash: s.prev_hash, hash: s.hash }));
        const total = Number((await client.query<{ n: string }>('SELECT count(*)::text AS n FROM audit_events')).rows[0]!.n);
        const pastHead = (
          await client.query<{ id: string; chain_seq: string; at: Date }>(
            'SELECT event_id AS id, chain_seq::text, event_at AS at FROM audit_chain WHERE chain_seq > $1::bigint ORDER BY chain_seq LIMIT 1',
            [head.seq],
          )
        ).rows[0];
        const notable = await this.notableRows(snapshot, headSeq);
        const present = sumPresent(notable);
        const unsealed = { n: Math.max(0, total - present), oldest: total > present ? await oldestUnsealed(client) : null };

        const archivedEvents = segments.reduce((n, s) => n + Number(s.last - s.first + 1n), 0);
        const archivedUpTo = (pos: bigint) => segments.reduce((n, s) => (s.first > pos ? n : n + Number((s.last < pos ? s.last : pos) - s.first + 1n)), 0);
        const report = (broken: Broken | null): AuditChainReport => ({
          ok: broken === null,
          checkedEvents: broken ? Number(broken.seq) - archivedUpTo(broken.seq) : Number(headSeq) - archivedEvents,
          firstBrokenEventId: broken?.id ?? null,
          firstBrokenSeq: broken?.seq ?? null,
          firstBrokenAt: broken?.at ?? null,
          reason: broken?.reason ?? null,
          headHash: head.hash.toString('hex'),
          headSeq,
          unsealedEvents: unsealed.n,
          oldestUnsealedAt: unsealed.oldest,
          archivedEvents,
        });

        // Only the first link that does not check out can be the one reported: tell why, once.
        const failing = notable.find((row) => row.present && !row.link_ok);
        const changed = failing && (await client.query<{ event_changed: boolean }>(DIAGNOSE_QUERY, [failing.chain_seq])).rows[0]!.event_changed;
        // Likewise the first event not found where its chain row says: still in the table under
        // its id (its seq or time rewritten, which the join goes by) is a changed event, not a removed one.
        const missing = notable.find((row) => !row.present);
        const moved = missing !== undefined && ((await client.query('SELECT 1 FROM audit_events WHERE id = $1 LIMIT 1', [missing.id])).rowCount ?? 0) > 0;
        const broken = walk(notable, segments, headSeq, head.hash, (row) => (row === failing ? changed! : row === missing ? moved : row.present));
        if (broken) return report(broken.seq === headSeq && broken.id === null ? { ...broken, id: head.event_id } : broken);
        if (pastHead) {
          return report({
            id: pastHead.id,
            seq: BigInt(pastHead.chain_seq),
            at: pastHead.at,
            reason: `event is past the chain head (position ${headSeq}): it was linked behind the sealer's back`,
          });
        }
        return report(null);
      } finally {
        await client.query('ROLLBACK');
      }
    } finally {
      client.release();
    }
  }

  /** Runs the range queries, `parallelism` at a time, in the exported snapshot; rows in chain order. */
  private async notableRows(snapshot: string, headSeq: bigint): Promise<NotableRow[]> {
    const ranges: [bigint, bigint][] = [];
    for (let first = 1n; first <= headSeq; first += this.chunkSize) ranges.push([first, first + this.chunkSize - 1n < headSeq ? first + this.chunkSize - 1n : headSeq]);
    const found: NotableRow[][] = ranges.map(() => []);
    let next = 0;
    const lane = async () => {
      if (next >= ranges.length) return;
      const client = await this.options.pool.connect();
      try {
        await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
        await client.query(`SET TRANSACTION SNAPSHOT '${snapshot.replace(/'/g, "''")}'`);
        // The chain rows of a range are sorted by event seq in memory rather than on disk.
        await client.query("SET LOCAL work_mem = '64MB'");
        // The merge join on seq (see RANGE_QUERY), planned for each range's span (its months).
        await client.query('SET LOCAL enable_hashjoin = off');
        await client.query('SET LOCAL enable_nestloop = off');
        await client.query('SET LOCAL plan_cache_mode = force_custom_plan');
        while (next < ranges.length) {
          const index = next++;
          const [first, last] = ranges[index]!;
          const span = (await client.query<Span>({ name: 'fg_audit_verify_span', text: SPAN_QUERY, values: [first.toString(), last.toString()] })).rows[0]!;
          found[index] = (
            await client.query<NotableRow>({
              name: 'fg_audit_verify_range',
              text: RANGE_QUERY,
              values: [first.toString(), last.toString(), span.low_seq, span.high_seq, monthStart(span.low_at, 0), monthStart(span.high_at, 1), span.n],
            })
          ).rows;
        }
        await client.query('ROLLBACK');
      } finally {
        client.release();
      }
    };
    await Promise.all(Array.from({ length: Math.min(this.parallelism, ranges.length) }, lane));
    return found.flat();
  }
}

/**
 * Stitches the ranges: each notable row must follow its predecessor — the row before it in its
 * range, or the last row of the range before — directly, or across archived segments that start
 * right after the predecessor and link hash to hash. Returns the first broken event, or null.
 * `eventChanged`: for a row that does not check out, whether its event was changed (rather than
 * its chain row rewritten, or the event removed).
 */
function walk(rows: NotableRow[], segments: Segment[], headSeq: bigint, headHash: Buffer, eventChanged: (row: NotableRow) => boolean): Broken | null {
  const byFirst = new Map(segments.map((s) => [s.first, s]));
  /** The hash after stepping over archived segments from `from` to just before `to`, or null when they do not cover the gap. */
  const across = (from: bigint, to: bigint, hash: Buffer): Buffer | null => {
    let pos = from;
    let current = hash;
    while (pos < to) {
      const segment = byFirst.get(pos);
      if (!segment || segment.last >= to || !segment.prevHash.equals(current)) return null;
      current = segment.hash;
      pos = segment.last + 1n;
    }
    return current;
  };
  let lastPos = 0n;
  let lastHash: Buffer = GENESIS_HASH;
  for (const row of rows) {
    const pos = BigInt(row.chain_seq);
    const broken = (reason: string): Broken => ({ id: row.id, seq: pos, at: row.at, reason });
    const predecessorPos = row.prev_pos === null ? lastPos : BigInt(row.prev_pos);
    const predecessorHash = row.prev_pos === null ? lastHash : (row.prev_chain_hash ?? Buffer.alloc(0));
    if (pos <= predecessorPos) return broken(`a second event at chain position ${pos} (the chain was forged)`);
    const expected = across(predecessorPos + 1n, pos, predecessorHash);
    if (!expected || !row.prev_hash.equals(expected)) {
      return broken(
        predecessorPos === 0n
          ? 'event does not link to the start of the chain (earlier events were removed or forged)'
          : 'event does not link to the event before it (an event between them was removed or inserted, or the previous one was rewritten)',
      );
    }
    if (!row.present) {
      return broken(
        eventChanged(row)
          ? 'event content does not match its hash (the event was changed after it was written: its seq or time no longer match its chain row)'
          : `the event at chain position ${pos} was removed from the table`,
      );
    }
    if (!row.link_ok) {
      return broken(
        eventChanged(row)
          ? 'event content does not match its hash (the event was changed after it was written)'
          : "the chain's hash at this position does not follow from its link and digest (the chain was rewritten)",
      );
    }
    lastPos = pos;
    lastHash = row.hash;
  }
  if (lastPos < headSeq) {
    const end = across(lastPos + 1n, headSeq + 1n, lastHash);
    if (!end || !end.equals(headHash)) {
      return { id: null, seq: headSeq, at: null, reason: `the chain head names position ${headSeq}, but the chain ends at position ${lastPos}: the newest events were removed` };
    }
    return null;
  }
  if (!lastHash.equals(headHash)) return { id: null, seq: headSeq, at: null, reason: 'the newest event is not the one the chain head names (it was rewritten)' };
  return null;
}

/** The start of the UTC month of `at`, `months` later (a month's partition starts there); null for null. */
function monthStart(at: Date | null, months: number): Date | null {
  return at === null ? null : new Date(Date.UTC(at.getUTCFullYear(), at.getUTCMonth() + months, 1));
}

/** Events found in the table across the ranges (each range reports its count on every row). */
function sumPresent(rows: NotableRow[]): number {
  // Each range reports its first row (the one without a predecessor in the range) exactly once.
  return rows.reduce((total, row) => (row.prev_pos === null ? total + Number(row.present_count) : total), 0);
}

/** When the oldest event not in the chain was written (they are rare once sealed: a full look is fine). */
async function oldestUnsealed(client: pg.PoolClient): Promise<Date | null> {
  const { rows } = await client.query<{ oldest: Date | null }>('SELECT min(e.at) AS oldest FROM audit_events e WHERE NOT EXISTS (SELECT 1 FROM audit_chain c WHERE c.event_id = e.id)');
  return rows[0]?.oldest ?? null;
}
