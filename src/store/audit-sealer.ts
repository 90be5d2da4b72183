import type pg from 'pg';

export interface AuditSealerOptions {
  pool: pg.Pool;
  /** Events linked per transaction; default 20,000 (a pass also looks at the last second of events, so larger batches catch up faster after a burst). */
  batchSize?: number;
}

/**
 * Links committed audit events into the hash chain (`flowgate_audit_seal`, see the
 * audit_at_scale migration): one `audit_chain` row per event, in `seq` order. Writers insert
 * events without touching any shared row; the sealer takes the chain head's row lock once per batch, so there is one serialisation point per batch
 * instead of one per event, and only sealers wait on it. Any number of processes may seal at once:
 * a sealer that finds the head locked leaves the work to the one holding it.
 */
export class AuditSealer {
  /** Events linked per transaction at most: a batch this full may have left more behind. */
  readonly batchSize: number;

  constructor(private readonly options: AuditSealerOptions) {
    this.batchSize = options.batchSize ?? 20_000;
  }

  /**
   * Seals one batch; returns how many events it linked (0: nothing to seal) or null when another
   * sealer holds the head at this moment.
   */
  async sealBatch(sweep = false): Promise<number | null> {
    const { rows } = await this.options.pool.query<{ sealed: number }>({ name: 'fg_audit_seal', text: 'SELECT flowgate_audit_seal($1, $2) AS sealed', values: [this.batchSize, sweep] });
    const sealed = rows[0]!.sealed;
    return sealed < 0 ? null : sealed;
  }

  /**
   * Seals until no committed event is left unsealed; waits for a concurrent sealer instead of
   * skipping. A `sweep` looks at every event, not only those of transactions that started since
   * the previous complete pass (events written with an explicit older `at`). Returns how many
   * events this call linked.
   */
  async sealPending(sweep = false): Promise<number> {
    let total = 0;
    for (;;) {
      const sealed = await this.sealBatch(sweep);
      if (sealed === null) {
        // Another sealer holds the head; it finishes its batch within milliseconds.
        await new Promise((resolve) => setTimeout(resolve, 5));
        continue;
      }
      total += sealed;
      if (sealed < this.batchSize) return total;
    }
  }
}
