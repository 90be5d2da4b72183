import { ValidationError } from '../errors/app-errors.js';
import type { Page } from './cursor.js';
import type { ResourceType } from '../domain/resource-types.js';
import type { Db } from './db.js';
import type { AuditEvent, Prisma } from './generated/client.js';

export type { AuditEvent } from './generated/client.js';

export interface AuditFilter {
  resourceType?: ResourceType | null;
  resourceId?: string | null;
  actor?: string | null;
  action?: string | null;
  since?: Date | null;
  until?: Date | null;
  /** Only events of resources in this sandbox. */
  sandbox: string;
}

/**
 * Reads of the append-only audit trail (the table's triggers refuse UPDATE and DELETE; events are
 * written by the OperationLedger, with the change they record).
 */
export class AuditStore {
  constructor(private readonly db: Db) {}

  /** Newest first, keyset-paginated on the append sequence. */
  async list(filter: AuditFilter, first: number, after?: string | null): Promise<Page<AuditEvent>> {
    if (filter.since && filter.until && filter.since > filter.until) throw new ValidationError('filter.since', 'must not be after filter.until');
    const where: Prisma.AuditEventWhereInput = {
      sandbox: filter.sandbox,
      ...(filter.resourceId ? { resourceId: filter.resourceId } : {}),
      ...(filter.resourceType ? { resourceType: filter.resourceType } : {}),
      ...(filter.actor ? { actor: filter.actor } : {}),
      ...(filter.action ? { action: filter.action } : {}),
      ...(filter.since || filter.until ? { at: { ...(filter.since ? { gte: filter.since } : {}), ...(filter.until ? { lte: filter.until } : {}) } } : {}),
    };
    const seq = after ? decodeSeq(after) : null;
    const pageWhere: Prisma.AuditEventWhereInput = seq !== null ? { AND: [where, { seq: { lt: seq } }] } : where;
    const [rows, totalCount] = await Promise.all([this.db.auditEvent.findMany({ where: pageWhere, orderBy: { seq: 'desc' }, take: first + 1 }), this.db.auditEvent.count({ where })]);
    return { rows: rows.slice(0, first), hasNextPage: rows.length > first, totalCount };
  }
}

export function auditCursor(event: AuditEvent): string {
  return Buffer.from(`a:${event.seq.toString()}`).toString('base64url');
}

function decodeSeq(cursor: string): bigint {
  const text = Buffer.from(cursor, 'base64url').toString('utf8');
  if (!/^a:\d{1,19}$/.test(text)) throw new ValidationError('after', 'is not a cursor this API issued');
  return BigInt(text.slice(2));
}
