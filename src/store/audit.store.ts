import type { AuditAction } from '../domain/audit-actions.js';
import { ValidationError } from '../errors/app-errors.js';
import type { Page, PageWindow } from './cursor.js';
import { isUuid } from '../domain/ids.js';
import type { ResourceType } from '../domain/resource-types.js';
import type { Db } from './db.js';
import type { AuditEvent, Prisma } from './generated/client.js';

export type { AuditEvent } from './generated/client.js';

export interface AuditFilter {
  resourceType?: ResourceType | null;
  resourceId?: string | null;
  actor?: string | null;
  action?: AuditAction | null;
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

  /** One event in a sandbox, or null (also for an id that is not a UUID). */
  async find(id: string, sandbox: string): Promise<AuditEvent | null> {
    if (!isUuid(id)) return null;
    return this.db.auditEvent.findFirst({ where: { id, sandbox } });
  }

  /** Newest first, keyset-paginated on the append sequence (forward from `after`, backward from `before`). */
  async list(filter: AuditFilter, window: PageWindow): Promise<Page<AuditEvent>> {
    if (filter.since && filter.until && filter.since > filter.until) throw new ValidationError('filter.since', 'must not be after filter.until');
    const where: Prisma.AuditEventWhereInput = {
      sandbox: filter.sandbox,
      ...(filter.resourceId ? { resourceId: filter.resourceId } : {}),
      ...(filter.resourceType ? { resourceType: filter.resourceType } : {}),
      ...(filter.actor ? { actor: filter.actor } : {}),
      ...(filter.action ? { action: filter.action } : {}),
      ...(filter.since || filter.until ? { at: { ...(filter.since ? { gte: filter.since } : {}), ...(filter.until ? { lte: filter.until } : {}) } } : {}),
    };
    const after = window.after ? decodeSeq(window.after, 'after') : null;
    const before = window.before ? decodeSeq(window.before, 'before') : null;
    const range: Prisma.AuditEventWhereInput[] = [where, ...(after !== null ? [{ seq: { lt: after } }] : []), ...(before !== null ? [{ seq: { gt: before } }] : [])];
    // Beyond the page on the side it did not read towards (the cursor's own event included).
    const beyond = window.backward ? (before !== null ? { seq: { lte: before } } : null) : after !== null ? { seq: { gte: after } } : null;
    const [rows, totalCount, beyondCount] = await Promise.all([
      this.db.auditEvent.findMany({ where: { AND: range }, orderBy: { seq: window.backward ? 'asc' : 'desc' }, take: window.size + 1 }),
      this.db.auditEvent.count({ where }),
      beyond ? this.db.auditEvent.count({ where: { AND: [where, beyond] }, take: 1 }) : Promise.resolve(0),
    ]);
    const more = rows.length > window.size;
    const page = rows.slice(0, window.size);
    if (window.backward) page.reverse();
    return { rows: page, hasNextPage: window.backward ? beyondCount > 0 : more, hasPreviousPage: window.backward ? more : beyondCount > 0, totalCount };
  }
}

export function auditCursor(event: AuditEvent): string {
  return Buffer.from(`a:${event.seq.toString()}`).toString('base64url');
}

function decodeSeq(cursor: string, field: string): bigint {
  const text = Buffer.from(cursor, 'base64url').toString('utf8');
  if (!/^a:\d{1,19}$/.test(text)) throw new ValidationError(field, 'is not a cursor this API issued');
  return BigInt(text.slice(2));
}
