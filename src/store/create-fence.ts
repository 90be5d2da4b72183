import type pg from 'pg';
import { FLUSH_LATER_IF } from './operation-ledger.js';

/**
 * How long a fence's row is kept: far longer than any run holds a create (a worker's lock time is
 * 30 s, a Platform call's timeout less), so no run that could still be at work loses it.
 */
export const CREATE_FENCE_KEPT_MS = 24 * 3_600_000;

/** Class of the two-key advisory lock a create holds per Platform name (the other key: the name's hash). */
const CREATE_FENCE_LOCK = 0x435246;

/** What a fenced create is told when it holds the fence. */
export interface FencePass {
  /**
   * An earlier run passed this fence before (its create was sent and has been answered, or its
   * process died): whatever it made carries the name, so look it up before creating.
   */
  passedBefore: boolean;
}

/**
 * One Platform create at a time per deterministic name, across every process: two runs of one
 * operation (BullMQ delivering a job again while its first run still works, after a late lock
 * renewal; an onboarding step taken over after a heartbeat gap) used to both find nothing by name
 * and both create, leaving a duplicate on the Platform.
 *
 * A run holds a session advisory lock on the name while it looks up and creates, so a second run
 * waits until the first one's create has been answered (or its connection closed with its process),
 * and a row per name (`platform_create_fences`), inserted under the lock, tells every run after the
 * first that one went before. The lock is held on a pooled connection only for the create's calls
 * (the schema step's two creates report their progress in between, the only PostgreSQL work done
 * under a fence). At most half the pool is held by creates at once (the others wait here, without a
 * connection): on a slow Platform, heartbeats, progress and the ends of operations still get
 * connections, so a lock holder never waits for a connection held by another lock holder.
 */
export class CreateFence {
  /** Creates holding a connection at once, at most. */
  private readonly share: number;
  private holding = 0;
  /** Creates waiting for one of the `share` connections, first come first served. */
  private readonly waiting: (() => void)[] = [];

  /** `connections`: how many creates hold a pooled connection at once; default half the pool's size (at least 1). */
  constructor(
    private readonly pool: pg.Pool,
    options: { connections?: number } = {},
  ) {
    this.share = Math.max(1, options.connections ?? Math.floor((pool.options.max ?? 10) / 2));
  }

  /** Runs `work` (a lookup and a create of the Platform resource called `name`) holding the fence of `name`. */
  async hold<T>(name: string, work: (pass: FencePass) => Promise<T>): Promise<T> {
    await this.enter();
    let client: pg.PoolClient;
    try {
      client = await this.pool.connect();
    } catch (error) {
      this.leave();
      throw error;
    }
    let locked = false;
    try {
      const passed = await this.lock(client, name);
      locked = true;
      return await work({ passedBefore: !passed });
    } finally {
      // Unlocked without waiting for it: the create's answer goes on to be recorded (on an
      // onboarding's critical path) while the unlock's round trip runs beside it. A second run of
      // the same create only waits that much longer; the connection and the slot are given back
      // once unlocked. A connection that could not unlock (or lock) is closed, which drops its session lock.
      void this.unlock(client, name, locked);
    }
  }

  /**
   * Takes the lock of `name` and inserts its row; true when this run is the first to pass. The
   * lock's wait ends when the holder unlocks; the row conflicts with one committed meanwhile (ON
   * CONFLICT looks at the latest committed row, not at the statement's snapshot). Its commit does
   * not wait for the disk: the row only matters while the run that wrote it is alive (a run after
   * a crash of PostgreSQL is a retry, which looks first anyway), and a wait for the disk here
   * would come before every create, on an onboarding's critical path.
   */
  private async lock(client: pg.PoolClient, name: string): Promise<boolean> {
    const passed = await client.query<{ first: boolean }>({
      name: 'fg_create_fence',
      text: `WITH l AS (SELECT pg_advisory_lock(${CREATE_FENCE_LOCK}, hashtext($1))),
             f AS (INSERT INTO platform_create_fences (name) SELECT $1 FROM l ON CONFLICT (name) DO NOTHING RETURNING name),
             commit_mode AS (${FLUSH_LATER_IF('true')})
             SELECT EXISTS (SELECT 1 FROM f) AS first FROM commit_mode`,
      values: [name],
    });
    return passed.rows[0]?.first === true;
  }

  /**
   * Deletes the rows written before `before`, oldest first, at most `limit` of them; returns how
   * many. A row only matters while the run that wrote it may still be at work (see `lock`): runs
   * that come later are retries, which look first anyway. Without this the table kept a row for
   * every name ever created.
   */
  async prune(before: Date, limit = 10_000): Promise<number> {
    const result = await this.pool.query(`DELETE FROM platform_create_fences WHERE name IN (SELECT name FROM platform_create_fences WHERE created_at < $1 ORDER BY created_at LIMIT $2)`, [
      before,
      limit,
    ]);
    return result.rowCount ?? 0;
  }

  private async unlock(client: pg.PoolClient, name: string, locked: boolean): Promise<void> {
    const unlocked =
      locked &&
      (await client.query(`SELECT pg_advisory_unlock(${CREATE_FENCE_LOCK}, hashtext($1))`, [name]).then(
        () => true,
        () => false,
      ));
    client.release(unlocked ? undefined : true);
    this.leave();
  }

  private async enter(): Promise<void> {
    if (this.holding < this.share) {
      this.holding++;
      return;
    }
    // The slot is handed over by `leave`, still counted.
    await new Promise<void>((resolve) => this.waiting.push(resolve));
  }

  private leave(): void {
    const next = this.waiting.shift();
    if (next) next();
    else this.holding--;
  }
}
