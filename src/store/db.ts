import type pg from 'pg';
import type { Prisma, PrismaClient } from './generated/client.js';

/** The Prisma client or a transaction of it: every Prisma-backed store method takes either. */
export type Db = PrismaClient | Prisma.TransactionClient;

/** Where a hand-written SQL statement runs: the pool, or one client inside a transaction. */
export type Sql = pg.Pool | pg.PoolClient;

/**
 * Runs `work` in one transaction on a client of the pool (BEGIN … COMMIT, ROLLBACK on error).
 * The client is passed to every statement that must be part of it.
 */
export async function inTransaction<T>(pool: pg.Pool, work: (client: pg.PoolClient) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    const result = await work(client);
    await client.query('COMMIT');
    return result;
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  } finally {
    client.release();
  }
}
