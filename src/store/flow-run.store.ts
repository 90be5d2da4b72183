import { randomUUID } from 'node:crypto';
import { decodeCursor, encodeCursor, type CursorPosition, type Page, type PageWindow } from './cursor.js';
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
  async list(dataflowId: string, window: PageWindow, status?: string | null): Promise<Page<FlowRun>> {
    const where: Prisma.FlowRunWhereInput = { dataflowId, ...(status ? { status } : {}) };
    const after = window.after ? decodeCursor(window.after, 'after') : null;
    const before = window.before ? decodeCursor(window.before, 'before') : null;
    const older = (p: CursorPosition, orEqual = false): Prisma.FlowRunWhereInput => ({ OR: [{ startedAt: { lt: p.at } }, { startedAt: p.at, id: orEqual ? { lte: p.id } : { lt: p.id } }] });
    const newer = (p: CursorPosition, orEqual = false): Prisma.FlowRunWhereInput => ({ OR: [{ startedAt: { gt: p.at } }, { startedAt: p.at, id: orEqual ? { gte: p.id } : { gt: p.id } }] });
    const range = [where, ...(after ? [older(after)] : []), ...(before ? [newer(before)] : [])];
    const beyond = window.backward ? (before ? older(before, true) : null) : after ? newer(after, true) : null;
    const direction = window.backward ? 'asc' : 'desc';
    const [rows, totalCount, beyondCount] = await Promise.all([
      this.db.flowRun.findMany({ where: { AND: range }, orderBy: [{ startedAt: direction }, { id: direction }], take: window.size + 1 }),
      window.count ? this.db.flowRun.count({ where }) : 0,
      beyond ? this.db.flowRun.count({ where: { AND: [where, beyond] }, take: 1 }) : Promise.resolve(0),
    ]);
    const more = rows.length > window.size;
    const page = rows.slice(0, window.size);
    if (window.backward) page.reverse();
    return { rows: page, hasNextPage: window.backward ? beyondCount > 0 : more, hasPreviousPage: window.backward ? more : beyondCount > 0, totalCount };
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
