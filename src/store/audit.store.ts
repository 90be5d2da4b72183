import { randomUUID } from 'node:crypto';
import { ValidationError } from '../errors/app-errors.js';
import type { Page } from './cursor.js';
import type { AuditEvent, Prisma, ResourceType } from './generated/client.js';
import type { Db } from './store.js';

export type { AuditEvent } from './generated/client.js';

export interface FieldChange {
  field: string;
  before: unknown;
  after: unknown;
}

export interface NewAuditEvent {
  sandbox: string;
  actor: string;
  action: string;
  resourceType: ResourceType;
  resourceId: string;
  platformId?: string | null;
  etagBefore?: string | null;
  etagAfter?: string | null;
  before?: Record<string, unknown> | null;
  after?: Record<string, unknown> | null;
  operationId?: string | null;
  requestId?: string | null;
}

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

/** Keys whose values are secrets: never written into the audit trail, whatever their depth. */
const SECRET_KEYS = /^(accessToken|access_token|clientSecret|client_secret|secret|password|token|authorization)$/i;

/** A deep copy with secret values replaced by `[redacted]`. */
export function redactSecrets<T>(value: T): T {
  if (Array.isArray(value)) return value.map((v) => redactSecrets(v)) as T;
  if (value && typeof value === 'object' && !(value instanceof Date)) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, SECRET_KEYS.test(k) ? '[redacted]' : redactSecrets(v)])) as T;
  }
  return value;
}

/** Field-level differences between two flat-or-nested records, as dotted paths. */
export function diffFields(before: Record<string, unknown> | null | undefined, after: Record<string, unknown> | null | undefined, prefix = ''): FieldChange[] {
  const changes: FieldChange[] = [];
  const keys = new Set([...Object.keys(before ?? {}), ...Object.keys(after ?? {})]);
  for (const key of [...keys].sort()) {
    const a = before?.[key];
    const b = after?.[key];
    const path = prefix ? `${prefix}.${key}` : key;
    if (isPlainObject(a) && isPlainObject(b)) changes.push(...diffFields(a, b, path));
    else if (JSON.stringify(a) !== JSON.stringify(b)) changes.push({ field: path, before: a ?? null, after: b ?? null });
  }
  return changes;
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof Date);
}

/** The append-only audit trail (the table's triggers refuse UPDATE and DELETE). */
export class AuditStore {
  constructor(private readonly db: Db) {}

  /** Appends one event; call it inside the transaction that makes the change it records. */
  async append(event: NewAuditEvent, tx: Db = this.db): Promise<AuditEvent> {
    const before = event.before ? redactSecrets(event.before) : null;
    const after = event.after ? redactSecrets(event.after) : null;
    return tx.auditEvent.create({
      data: {
        id: randomUUID(),
        sandbox: event.sandbox,
        actor: event.actor,
        action: event.action,
        resourceType: event.resourceType,
        resourceId: event.resourceId,
        platformId: event.platformId ?? null,
        etagBefore: event.etagBefore ?? null,
        etagAfter: event.etagAfter ?? null,
        changes: diffFields(before, after) as unknown as Prisma.InputJsonValue,
        before: (before ?? undefined) as Prisma.InputJsonValue | undefined,
        after: (after ?? undefined) as Prisma.InputJsonValue | undefined,
        operationId: event.operationId ?? null,
        requestId: event.requestId ?? null,
      },
    });
  }

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
    const [rows, totalCount] = await Promise.all([
      this.db.auditEvent.findMany({ where: pageWhere, orderBy: { seq: 'desc' }, take: first + 1 }),
      this.db.auditEvent.count({ where }),
    ]);
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
