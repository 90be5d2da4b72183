import type pg from 'pg';

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
  /** The chain row's hash follows from its prev_hash and digest. */
  hash_ok: boolean;
  /** The event is in the table. */
  present: boolean;
  /** The event's content has the digest the chain recorded. */
  content_ok: boolean;
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
 * The rows of one range of chain positions that need a look from outside the range: its first
 * and last rows, and any that does not check out — its hash does not follow from its link and
 * digest, its event is gone or its content has another digest, or it does not follow the row
 * before it (position and hash). Everything else is verified inside PostgreSQL with the sealer's
 * own digest function, so the two cannot disagree on the serialization. The events are joined by
 * their time range (a hash join), not looked up one by one.
 */
const RANGE_QUERY = `
  WITH c AS MATERIALIZED (SELECT chain_seq, event_id, event_at, digest, prev_hash, hash FROM audit_chain WHERE chain_seq BETWEEN $1::bigint AND $2::bigint),
       span AS (SELECT min(event_at) AS low, max(event_at) AS high FROM c),
       checked AS MATERIALIZED (
         SELECT c.chain_seq, c.event_id, c.event_at, c.prev_hash, c.hash,
                c.hash = sha256(c.prev_hash || c.digest) AS hash_ok,
                e.id IS NOT NULL AS present,
                coalesce(flowgate_audit_digest(e) = c.digest, false) AS content_ok
         FROM c LEFT JOIN audit_events e ON e.id = c.event_id AND e.at = c.event_at AND e.at BETWEEN (SELECT low FROM span) AND (SELECT high FROM span)),
       linked AS (
         SELECT *, lag(chain_seq) OVER w AS prev_pos, lag(hash) OVER w AS prev_chain_hash, lead(chain_seq) OVER w AS next_pos
         FROM checked WINDOW w AS (ORDER BY chain_seq))
  SELECT chain_seq::text, event_id AS id, event_at AS at, prev_hash, hash, hash_ok, present, content_ok, prev_pos::text, prev_chain_hash,
         (SELECT count(*) FROM checked WHERE present)::text AS present_count
  FROM linked
  WHERE NOT (hash_ok AND present AND content_ok) OR prev_pos IS NULL OR next_pos IS NULL OR prev_pos <> chain_seq - 1 OR prev_hash IS DISTINCT FROM prev_chain_hash
  ORDER BY linked.chain_seq LIMIT 10000`;

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

        const broken = walk(notable, segments, headSeq, head.hash);
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
        // A range's rows are sorted by chain position in memory rather than on disk.
        await client.query("SET LOCAL work_mem = '64MB'");
        while (next < ranges.length) {
          const index = next++;
          const [first, last] = ranges[index]!;
          found[index] = (await client.query<NotableRow>({ name: 'fg_audit_verify_range', text: RANGE_QUERY, values: [first.toString(), last.toString()] })).rows;
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
 */
function walk(rows: NotableRow[], segments: Segment[], headSeq: bigint, headHash: Buffer): Broken | null {
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
    if (!row.hash_ok) return broken("the chain's hash at this position does not follow from its link and digest (the chain was rewritten)");
    if (!row.present) return broken(`the event at chain position ${pos} was removed from the table`);
    if (!row.content_ok) return broken('event content does not match its hash (the event was changed after it was written)');
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
