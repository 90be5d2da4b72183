import pg from 'pg';
import type { Prisma, PrismaClient } from './generated/client.js';

/** The Prisma client or a transaction of it: every Prisma-backed store method takes either. */
export type Db = PrismaClient | Prisma.TransactionClient;

/** Where a hand-written SQL statement runs: the pool, or one client inside a transaction. */
export type Sql = pg.Pool | pg.PoolClient;

/** A transaction's rollback on purpose: `inTransaction` resolves with `value` instead of throwing. */
export class Rollback<T> {
  constructor(readonly value: T) {}
}

/**
 * Runs `work` in one transaction on a client of the pool (BEGIN … COMMIT, ROLLBACK on error or
 * when `work` returns a `Rollback`). The client is passed to every statement that must be part of
 * it. `begin` replaces the plain BEGIN: a multi-statement text starting with BEGIN sends the
 * transaction's first reads in the same round trip; its results are given to `work`.
 */
export async function inTransaction<T>(pool: pg.Pool, work: (client: pg.PoolClient, begun: pg.QueryResult[]) => Promise<T | Rollback<T>>, begin = 'BEGIN'): Promise<T> {
  const client = await pool.connect();
  try {
    return await transactionOn(client, work, begin);
  } finally {
    client.release();
  }
}

/**
 * `inTransaction` on a client the caller holds (and releases), e.g. one holding a session lock.
 * `commit` gives the text that commits, given what `work` returned (e.g. a last write and a SET
 * LOCAL before the COMMIT, in the same round trip). `whileCommitting` is called as soon as the
 * commit is sent, with a promise of its outcome — the results of the commit text's statements, in
 * order: work that may start before the commit is known (and waits for `committed` where it must).
 */
export async function transactionOn<T>(
  client: pg.PoolClient,
  work: (client: pg.PoolClient, begun: pg.QueryResult[]) => Promise<T | Rollback<T>>,
  begin = 'BEGIN',
  commit: (result: T) => string = () => 'COMMIT',
  whileCommitting?: (result: T, committed: Promise<pg.QueryResult[]>) => void,
): Promise<T> {
  try {
    const begun = (await client.query(begin)) as pg.QueryResult | pg.QueryResult[];
    const result = await work(client, Array.isArray(begun) ? begun : [begun]);
    if (result instanceof Rollback) {
      await client.query('ROLLBACK');
      return result.value;
    }
    const committed = client.query(commit(result)).then((done) => (Array.isArray(done) ? done : [done]) as pg.QueryResult[]);
    whileCommitting?.(result, committed);
    await committed;
    return result;
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  }
}

/** A statement with its values, to be sent with others in one round trip (see `withLiterals`). */
export interface StatementText {
  text: string;
  values: unknown[];
}

/**
 * `statement` as one text with its values written in as literals (`$1` … replaced), for the simple
 * query protocol, which sends several statements in one round trip but takes no parameters.
 * Strings (and arrays of strings, as array literals) are escaped by node-postgres' `escapeLiteral`;
 * numbers, booleans and null are written as SQL; anything else (a JSON value: pass it stringified)
 * is refused. The text must hold no `$` other than its parameters.
 */
export function withLiterals(statement: StatementText): string {
  return statement.text.replace(/\$(\d+)(?!\d)/g, (_match, index: string) => {
    const position = Number(index);
    if (position < 1 || position > statement.values.length) throw new RangeError(`no value for $${position}`);
    const value = statement.values[position - 1];
    if (value === null || value === undefined) return 'NULL';
    if (typeof value === 'boolean') return value ? 'true' : 'false';
    if (typeof value === 'number') {
      if (!Number.isFinite(value)) throw new RangeError(`$${position} is not a finite number`);
      return String(value);
    }
    if (typeof value === 'string') return pg.escapeLiteral(value);
    if (Array.isArray(value) && value.every((item) => typeof item === 'string' || item === null)) {
      // An array literal: each element double-quoted, its backslashes and quotes escaped.
      return pg.escapeLiteral(`{${value.map((item: string | null) => (item === null ? 'NULL' : `"${item.replace(/[\\"]/g, (c) => `\\${c}`)}"`)).join(',')}}`);
    }
    throw new TypeError(`$${position}: cannot write a ${typeof value} as a literal`);
  });
}
