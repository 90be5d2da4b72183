import { PrismaPg } from '@prisma/adapter-pg';
import pg from 'pg';
import { PrismaClient } from './generated/client.js';

export type { PrismaClient } from './generated/client.js';
export * as db from './generated/client.js';

export interface Database {
  prisma: PrismaClient;
  /** The same connections, for the few hot-path statements written in SQL. */
  pool: pg.Pool;
}

/** Prisma over node-postgres (no native engine needed), sharing one pool with hand-written SQL. */
export function createDatabase(databaseUrl: string, options: { poolSize?: number; onIdleError?: (error: Error) => void } = {}): Database {
  const pool = new pg.Pool({ connectionString: databaseUrl, max: options.poolSize ?? 10 });
  // An idle connection the server closed (restart, failover) is reported here; without a
  // listener node-postgres would crash the process. The pool replaces the connection itself.
  pool.on('error', (error) => options.onIdleError?.(error));
  const prisma = new PrismaClient({ adapter: new PrismaPg(pool) });
  return { prisma, pool };
}
