import type pg from 'pg';
import type { StoreObserver } from './store-observer.js';

/** The hash the first event links to (the chain's genesis). */
export const GENESIS_HASH = Buffer.alloc(32);

/** What `verify` found. */
export interface AuditChainReport {
  ok: boolean;
  /** Events examined (up to and including the first broken one). */
  checkedEvents: number;
  firstBrokenEventId: string | null;
  firstBrokenSeq: bigint | null;
  firstBrokenAt: Date | null;
  /** Why the link is broken; null when the chain is intact. */
  reason: string | null;
  /** Hex of the chain head's hash (anchor it elsewhere to detect a rewrite of the whole tail). */
  headHash: string;
  headSeq: bigint;
}

export interface AuditChainVerifierOptions {
  pool: pg.Pool;
  /** Told each verification's verdict (metrics). */
  observer?: Pick<StoreObserver, 'auditChainVerified'>;
  /** Events read per query; default 5000. */
  batchSize?: number;
}

interface ChainRow {
  id: string;
  seq: string;
  at: Date;
  prev_hash: Buffer | null;
  hash: Buffer | null;
  recomputed: Buffer | null;
}

/**
 * Verifies the audit hash chain that the `audit_events_chain` trigger builds. It recomputes
 * every hash in PostgreSQL with the trigger's own function (`flowgate_audit_hash`), so the two
 * cannot disagree on the serialization, reading in keyset batches of `seq` inside one
 * REPEATABLE READ snapshot (events committed meanwhile are not half-seen).
 */
export class AuditChainVerifier {
  private readonly batchSize: number;

  constructor(private readonly options: AuditChainVerifierOptions) {
    this.batchSize = options.batchSize ?? 5000;
  }

  async verify(): Promise<AuditChainReport> {
    const report = await this.walk();
    this.options.observer?.auditChainVerified(report.ok);
    return report;
  }

  private async walk(): Promise<AuditChainReport> {
    const client = await this.options.pool.connect();
    try {
      await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
      try {
        const head = (await client.query<{ seq: string; hash: Buffer; event_id: string | null }>('SELECT seq, hash, event_id FROM audit_chain_head WHERE id')).rows[0];
        if (!head) throw new Error('audit_chain_head has no row: the audit_chain migration did not run');
        const headSeq = BigInt(head.seq);
        const report = (broken: { id: string | null; seq: bigint | null; at: Date | null; reason: string } | null, checkedEvents: number): AuditChainReport => ({
          ok: broken === null,
          checkedEvents,
          firstBrokenEventId: broken?.id ?? null,
          firstBrokenSeq: broken?.seq ?? null,
          firstBrokenAt: broken?.at ?? null,
          reason: broken?.reason ?? null,
          headHash: head.hash.toString('hex'),
          headSeq,
        });

        let expectedPrev: Buffer = GENESIS_HASH;
        let lastSeq = 0n;
        let lastHash: Buffer = GENESIS_HASH;
        let checked = 0;
        for (;;) {
          const { rows } = await client.query<ChainRow>({
            name: 'fg_audit_verify',
            text: `SELECT a.id, a.seq::text AS seq, a.at, a.prev_hash, a.hash, flowgate_audit_hash(a.prev_hash, a) AS recomputed
                   FROM audit_events a WHERE a.seq > $1::bigint ORDER BY a.seq LIMIT $2`,
            values: [lastSeq.toString(), this.batchSize],
          });
          for (const row of rows) {
            checked++;
            const seq = BigInt(row.seq);
            const at = { id: row.id, seq, at: row.at };
            if (seq > headSeq) return report({ ...at, reason: `event is past the chain head (seq ${headSeq}): it was inserted without the chain trigger` }, checked);
            if (!row.prev_hash || !row.prev_hash.equals(expectedPrev)) {
              return report(
                {
                  ...at,
                  reason:
                    checked === 1
                      ? 'event does not link to the start of the chain (earlier events were removed or forged)'
                      : 'event does not link to the event before it (an event between them was removed or inserted, or the previous one was rewritten)',
                },
                checked,
              );
            }
            if (!row.hash || !row.recomputed || !row.recomputed.equals(row.hash)) {
              return report({ ...at, reason: 'event content does not match its hash (the event was changed after it was written)' }, checked);
            }
            expectedPrev = row.hash;
            lastHash = row.hash;
            lastSeq = seq;
          }
          if (rows.length < this.batchSize) break;
        }
        if (lastSeq !== headSeq || !lastHash.equals(head.hash)) {
          return report(
            { id: head.event_id, seq: headSeq, at: null, reason: `the chain head names event seq ${headSeq}, but the chain ends at seq ${lastSeq}: the newest events were removed` },
            checked,
          );
        }
        return report(null, checked);
      } finally {
        await client.query('ROLLBACK');
      }
    } finally {
      client.release();
    }
  }
}
