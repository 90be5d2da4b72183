import { PrismaPg } from '@prisma/adapter-pg';
import pg from 'pg';
import { PrismaClient } from './generated/client.js';
import { poolTypes } from './timestamp-parser.js';

export type { PrismaClient } from './generated/client.js';
export * as db from './generated/client.js';

export interface Database {
  prisma: PrismaClient;
  /** The same connections, for the few hot-path statements written in SQL. */
  pool: pg.Pool;
}

export interface DatabaseOptions {
  /** Connections in the pool. Default 10. */
  poolSize?: number;
  /**
   * Milliseconds a query waits for a pooled connection (or for a new one to connect) before it
   * fails — as UNAVAILABLE, which the gateway answers 503 — instead of waiting forever while the
   * database is unreachable. Default 5000.
   */
  connectTimeoutMs?: number;
  onIdleError?: (error: Error) => void;
}

/** Prisma over node-postgres (no native engine needed), sharing one pool with hand-written SQL. */
export function createDatabase(databaseUrl: string, options: DatabaseOptions = {}): Database {
  // Prisma's adapter brings its own type parsers per query; `types` serves the hand-written SQL.
  const pool = new pg.Pool({ connectionString: databaseUrl, types: poolTypes, max: options.poolSize ?? 10, connectionTimeoutMillis: options.connectTimeoutMs ?? 5000 });
  // An idle connection the server closed (restart, failover) is reported here; without a
  // listener node-postgres would crash the process. The pool replaces the connection itself.
  pool.on('error', (error) => options.onIdleError?.(error));
  // A connection can also die while it is checked out but between queries: in a transaction,
  // or handed to a waiting `pool.connect()` in the same socket read that brought the server's
  // "terminating connection" message. node-postgres then emits 'error' on a client nobody
  // listens to, which crashes the process (seen with pg_terminate_backend under load). The
  // error also fails whatever next uses that client, so here it only needs a listener.
  pool.on('connect', (client) => client.on('error', () => undefined));
  const prisma = new PrismaClient({ adapter: new PrismaPg(pool) });
  return { prisma, pool };
}
