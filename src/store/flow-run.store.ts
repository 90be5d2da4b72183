import { randomUUID } from 'node:crypto';
import { decodeCursor, encodeCursor, type Page } from './cursor.js';
import type { FlowRun, Prisma } from './generated/client.js';
import type { Db } from './db.js';

export type { FlowRun } from './generated/client.js';

/** A run as read from the Platform, in Flowgate's terms. */
export interface SyncedRun {
  platformId: string;
  status: string;
  startedAt: Date | null;
  completedAt: Date | null;
  recordsRead: number;
  recordsWritten: number;
  recordsFailed: number;
  inputBytes: number;
  outputBytes: number;
  errors: { code: string; message: string; recordCount?: number }[];
  etag: string | null;
}

/** Queries on `flow_runs`. */
export class FlowRunStore {
  constructor(private readonly db: Db) {}

  /** Inserts or updates a run; returns it when anything changed, null when it was already up to date. */
  async upsert(dataflowId: string, run: SyncedRun): Promise<FlowRun | null> {
    const existing = await this.db.flowRun.findUnique({ where: { platformId: run.platformId } });
    const data = {
      status: run.status,
      startedAt: run.startedAt,
      completedAt: run.completedAt,
      recordsRead: run.recordsRead,
      recordsWritten: run.recordsWritten,
      recordsFailed: run.recordsFailed,
      inputBytes: BigInt(run.inputBytes),
      outputBytes: BigInt(run.outputBytes),
      errors: run.errors as unknown as Prisma.InputJsonValue,
      etag: run.etag,
    };
    if (!existing) return this.db.flowRun.create({ data: { id: randomUUID(), dataflowId, platformId: run.platformId, ...data } });
    const unchanged = existing.status === run.status && existing.recordsWritten === run.recordsWritten && existing.completedAt?.getTime() === run.completedAt?.getTime() && existing.etag === run.etag;
    if (unchanged) return null;
    return this.db.flowRun.update({ where: { id: existing.id }, data });
  }

  async find(id: string): Promise<FlowRun | null> {
    return this.db.flowRun.findUnique({ where: { id } });
  }

  /** Newest first by start time (when the run ran, not when the sync first saw it). */
  async list(dataflowId: string, first: number, after?: string | null, status?: string | null): Promise<Page<FlowRun>> {
    const where: Prisma.FlowRunWhereInput = { dataflowId, ...(status ? { status } : {}) };
    const position = after ? decodeCursor(after) : null;
    const pageWhere: Prisma.FlowRunWhereInput = position ? { AND: [where, { OR: [{ startedAt: { lt: position.at } }, { startedAt: position.at, id: { lt: position.id } }] }] } : where;
    const [rows, totalCount] = await Promise.all([this.db.flowRun.findMany({ where: pageWhere, orderBy: [{ startedAt: 'desc' }, { id: 'desc' }], take: first + 1 }), this.db.flowRun.count({ where })]);
    return { rows: rows.slice(0, first), hasNextPage: rows.length > first, totalCount };
  }

  async latest(dataflowId: string): Promise<FlowRun | null> {
    return this.db.flowRun.findFirst({ where: { dataflowId }, orderBy: [{ startedAt: 'desc' }, { createdAt: 'desc' }] });
  }

  /**
   * Where the next sync of a dataflow's runs starts: the oldest run still in progress (it may
   * have finished since), else the newest run we know (later ones may have started). Null: all.
   */
  async syncFrom(dataflowId: string): Promise<Date | null> {
    const open = await this.db.flowRun.findFirst({ where: { dataflowId, status: 'IN_PROGRESS' }, orderBy: { startedAt: 'asc' }, select: { startedAt: true } });
    if (open?.startedAt) return open.startedAt;
    const newest = await this.db.flowRun.findFirst({ where: { dataflowId }, orderBy: { startedAt: 'desc' }, select: { startedAt: true } });
    return newest?.startedAt ?? null;
  }
}

/** Cursor of `list`: the run's start time (the sync always sets it) and id. */
export function flowRunCursor(run: FlowRun): string {
  return encodeCursor({ at: run.startedAt ?? run.createdAt, id: run.id });
}
