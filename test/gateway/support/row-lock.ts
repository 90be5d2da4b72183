import { Client } from 'pg';
import type { TestStack } from './stack.js';

/**
 * A transaction of the test's own on the stack's database that takes row locks, so a process
 * about to write those rows blocks there — a way to stop a worker at an exact statement (e.g. the
 * commit of a step's result) and crash it while it waits. `open` connects and begins the
 * transaction ahead of time, so `lock` sends just its statement, at once.
 */
export class RowLock {
  private backendPid = 0;

  private constructor(
    private readonly client: Client,
    /** A second session, to look at the first from outside. */
    private readonly probe: Client,
  ) {}

  static async open(stack: TestStack): Promise<RowLock> {
    const client = new Client({ connectionString: stack.config.databaseUrl });
    const probe = new Client({ connectionString: stack.config.databaseUrl });
    await Promise.all([client.connect(), probe.connect()]);
    const lock = new RowLock(client, probe);
    // A SELECT without FROM returns exactly one row.
    lock.backendPid = (await client.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0]!.pid;
    await client.query('BEGIN');
    return lock;
  }

  /** Runs a locking statement (e.g. `SELECT 1 FROM t WHERE id = $1 FOR UPDATE`) in the transaction. Resolves with the number of rows locked. */
  async lock(sql: string, params: unknown[]): Promise<number> {
    return (await this.client.query(sql, params)).rowCount ?? 0;
  }

  /** Other database sessions waiting for a lock this transaction holds. */
  async waiters(): Promise<number> {
    const { rows } = await this.probe.query<{ n: number }>('SELECT count(*)::int AS n FROM pg_stat_activity WHERE $1 = ANY(pg_blocking_pids(pid))', [this.backendPid]);
    // count(*) without GROUP BY always returns one row.
    return rows[0]!.n;
  }

  /** A query on the probe session (to check what has been committed meanwhile). */
  async peek<T = Record<string, unknown>>(sql: string, params: unknown[] = []): Promise<T[]> {
    return (await this.probe.query(sql, params)).rows as T[];
  }

  /** Polls until `condition` holds (e.g. someone waits on the lock); throws after `timeoutMs`. */
  async until(condition: () => Promise<boolean>, what: string, timeoutMs = 15_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!(await condition())) {
      if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting until ${what}`);
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  }

  /** Rolls back (releasing every lock) and disconnects. */
  async release(): Promise<void> {
    await this.client.query('ROLLBACK').catch(() => undefined);
    await Promise.all([this.client.end().catch(() => undefined), this.probe.end().catch(() => undefined)]);
  }
}
