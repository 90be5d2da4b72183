import type { OperationErrorInfo } from '../domain/operation-error.js';
import { decodeCursor, encodeCursor, type Page } from './cursor.js';
import { Prisma, type Operation, type OperationStatus } from './generated/client.js';
import { isUuid } from './resource.store.js';
import type { Db } from './store.js';

export type { Operation } from './generated/client.js';

export const TERMINAL_STATUSES: readonly OperationStatus[] = ['SUCCEEDED', 'FAILED', 'CANCELLED'];

export interface OperationFilter {
  sandbox: string;
  status?: OperationStatus | null;
  type?: string | null;
  resourceId?: string | null;
}

/** Queries on `operations`. */
export class OperationStore {
  constructor(private readonly db: Db) {}

  async find(id: string, sandbox?: string, tx: Db = this.db): Promise<Operation | null> {
    if (!isUuid(id)) return null;
    const operation = await tx.operation.findUnique({ where: { id } });
    return operation && (sandbox === undefined || operation.sandbox === sandbox) ? operation : null;
  }

  async list(filter: OperationFilter, first: number, after?: string | null): Promise<Page<Operation>> {
    const where: Prisma.OperationWhereInput = {
      sandbox: filter.sandbox,
      ...(filter.status ? { status: filter.status } : {}),
      ...(filter.type ? { type: filter.type } : {}),
      ...(filter.resourceId ? { resourceId: filter.resourceId } : {}),
    };
    const position = after ? decodeCursor(after) : null;
    const pageWhere: Prisma.OperationWhereInput = position
      ? { AND: [where, { OR: [{ createdAt: { lt: position.at } }, { createdAt: position.at, id: { lt: position.id } }] }] }
      : where;
    const [rows, totalCount] = await Promise.all([
      this.db.operation.findMany({ where: pageWhere, orderBy: [{ createdAt: 'desc' }, { id: 'desc' }], take: first + 1 }),
      this.db.operation.count({ where }),
    ]);
    return { rows: rows.slice(0, first), hasNextPage: rows.length > first, totalCount };
  }

  /** Moves a non-terminal operation to RUNNING and counts the attempt; null if it is already terminal. */
  async start(id: string, message: string): Promise<Operation | null> {
    const result = await this.db.operation.updateMany({
      where: { id, status: { notIn: [...TERMINAL_STATUSES] } },
      data: { status: 'RUNNING', attempts: { increment: 1 }, message, error: Prisma.DbNull },
    });
    return result.count === 0 ? null : this.db.operation.findUnique({ where: { id } });
  }

  async progress(id: string, progress: number, message: string): Promise<Operation | null> {
    const result = await this.db.operation.updateMany({ where: { id, status: 'RUNNING' }, data: { progress, message } });
    return result.count === 0 ? null : this.db.operation.findUnique({ where: { id } });
  }

  async retrying(id: string, error: OperationErrorInfo): Promise<Operation> {
    return this.db.operation.update({ where: { id }, data: { status: 'RETRYING', message: error.message, error: error as unknown as Prisma.InputJsonValue } });
  }

  async finish(id: string, outcome: { status: 'SUCCEEDED' | 'FAILED' | 'CANCELLED'; message: string; error?: OperationErrorInfo | null }, tx: Db = this.db): Promise<Operation> {
    return tx.operation.update({
      where: { id },
      data: {
        status: outcome.status,
        message: outcome.message,
        progress: outcome.status === 'SUCCEEDED' ? 1 : undefined,
        error: outcome.error ? (outcome.error as unknown as Prisma.InputJsonValue) : Prisma.DbNull,
        finishedAt: new Date(),
      },
    });
  }

  /**
   * Operations that should have a job but may have lost it (Redis restart, enqueue failure):
   * QUEUED and RETRYING ones untouched since `cutoff`, RUNNING ones whose heartbeat is older
   * than `runningCutoff` (a RUNNING operation's worker renews `updated_at` while it works).
   */
  async unfinishedOlderThan(cutoff: Date, limit: number, runningCutoff: Date = cutoff): Promise<Operation[]> {
    return this.db.operation.findMany({
      where: {
        OR: [
          { status: { in: ['QUEUED', 'RETRYING'] }, updatedAt: { lt: cutoff } },
          { status: 'RUNNING', updatedAt: { lt: runningCutoff } },
        ],
      },
      orderBy: { createdAt: 'asc' },
      take: limit,
    });
  }
}

export function operationCursor(operation: Operation): string {
  return encodeCursor({ at: operation.createdAt, id: operation.id });
}
