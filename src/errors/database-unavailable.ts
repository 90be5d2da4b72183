/**
 * Recognises errors that mean "the database cannot be reached right now" — as node-postgres,
 * its pool and Prisma's pg driver adapter raise them — as opposed to errors in a query or a bug.
 * The gateway answers the first kind 503 UNAVAILABLE (try again), the second 500-class
 * INTERNAL_SERVER_ERROR. Every caller that maps unknown errors asks this one function.
 */

/**
 * SQLSTATEs of a lost or refused connection: class 08 (connection exception), 57P01/57P02
 * (backend terminated by an administrator or a crash), 57P03 (server starting or shutting
 * down), 53300 (too many connections).
 */
function isConnectivitySqlState(code: string): boolean {
  return /^08[0-9A-Z]{3}$/.test(code) || code === '57P01' || code === '57P02' || code === '57P03' || code === '53300';
}

/** Node socket errors of a connection that could not be made or was cut (they carry `syscall`). */
const SOCKET_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND', 'EHOSTUNREACH', 'ENETUNREACH', 'EAI_AGAIN', 'ECONNABORTED']);

/**
 * Prisma's codes for the same: can't reach the server (P1001), timed out reaching it (P1002),
 * the server closed the connection (P1017), no connection from the pool in time (P2024).
 */
const PRISMA_CODES = new Set(['P1001', 'P1002', 'P1017', 'P2024']);

/** `kind`s of Prisma's driver-adapter errors (`DriverAdapterError.cause`) that mean the same. */
const ADAPTER_KINDS = new Set(['DatabaseNotReachable', 'ConnectionClosed', 'SocketTimeout', 'TooManyConnections']);

/**
 * node-postgres raises these as plain `Error`s without a code: the server closed the socket, a
 * checked-out client whose connection died, the pool could not connect within
 * `connectionTimeoutMillis`. Prisma's adapter passes them on unchanged.
 */
const PG_MESSAGES = [
  /^Connection terminated unexpectedly$/,
  /^Connection terminated$/,
  /^Connection terminated due to connection timeout$/,
  /^Client has encountered a connection error and is not queryable$/,
  /^timeout exceeded when trying to connect$/,
];

/** Whether one error object (not its causes) says the database is unreachable. */
function saysUnreachable(error: Record<string, unknown>): boolean {
  const code = error['code'];
  if (typeof code === 'string') {
    if (isConnectivitySqlState(code) || PRISMA_CODES.has(code)) return true;
    if (SOCKET_CODES.has(code) && typeof error['syscall'] === 'string') return true;
  }
  // A DriverAdapterError's cause: `{ kind, originalCode?, code? }`.
  const kind = error['kind'];
  if (typeof kind === 'string' && ADAPTER_KINDS.has(kind)) return true;
  const originalCode = error['originalCode'];
  if (typeof originalCode === 'string' && isConnectivitySqlState(originalCode)) return true;
  // PrismaClientInitializationError carries its code as `errorCode`.
  const errorCode = error['errorCode'];
  if (typeof errorCode === 'string' && PRISMA_CODES.has(errorCode)) return true;
  const message = error['message'];
  return typeof message === 'string' && PG_MESSAGES.some((pattern) => pattern.test(message));
}

/**
 * Whether `error` — or what it wraps: `cause`, Prisma's `meta.driverAdapterError` and its
 * `cause`, a GraphQLError's `originalError` — means the database is unreachable (connection
 * refused or cut, backend terminated, server starting or shutting down, no pooled connection
 * in time). False for everything else, including query errors such as constraint violations.
 */
export function isDatabaseUnavailable(error: unknown): boolean {
  const seen = new Set<unknown>();
  const pending: unknown[] = [error];
  while (pending.length > 0 && seen.size < 16) {
    const current = pending.pop();
    if (current === null || typeof current !== 'object' || seen.has(current)) continue;
    seen.add(current);
    const fields = current as Record<string, unknown>;
    if (saysUnreachable(fields)) return true;
    const meta = fields['meta'];
    pending.push(fields['cause'], fields['originalError'], meta && typeof meta === 'object' ? (meta as Record<string, unknown>)['driverAdapterError'] : undefined);
  }
  return false;
}
