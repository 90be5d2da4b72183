import { createHash } from 'node:crypto';
import type pg from 'pg';
import type { AuditAction } from '../domain/audit-actions.js';
import { isUuid } from '../domain/ids.js';
import type { ResourceType } from '../domain/resource-types.js';
import { ValidationError } from '../errors/app-errors.js';
import type { AuditContent } from './audit-content.js';
import type { Page, PageWindow } from './cursor.js';
import { ListFilter } from './keyset-page.js';
import { fromColumns, type Columns } from './rows.js';

/** One audit event as stored: its hashed content, with the sequences as bigints, and its chain link. */
export interface AuditEvent extends Omit<AuditContent, 'seq' | 'resourceType'> {
  seq: bigint;
  resourceType: ResourceType;
  /** Position in the hash chain; null until the sealer linked the event. */
  chainSeq: bigint | null;
  prevHash: Buffer | null;
  hash: Buffer | null;
}

/** The JSON columns, stored as the JSON text PostgreSQL printed for jsonb (see the audit_digest_v3 migration). */
type JsonTextColumns = { changes: string; before: string | null; after: string | null };

/** The columns of `audit_events` with the event's chain link, as node-postgres returns them (bigints and JSON as text). */
export type AuditEventColumns = Omit<Columns<Omit<AuditEvent, 'seq' | 'chainSeq'>>, keyof JsonTextColumns> & JsonTextColumns & { seq: string; chain_seq: string | null };

export function auditEventFromRow(row: AuditEventColumns): AuditEvent {
  return {
    ...fromColumns<Omit<AuditEvent, 'seq' | 'chainSeq'>>(row),
    seq: BigInt(row.seq),
    chainSeq: row.chain_seq === null ? null : BigInt(row.chain_seq),
    changes: JSON.parse(row.changes),
    before: row.before === null ? null : JSON.parse(row.before),
    after: row.after === null ? null : JSON.parse(row.after),
  };
}

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

/** A page of the audit trail; `totalCount` is exact up to the store's limit, an estimate above it. */
export interface AuditPage extends Page<AuditEvent> {
  totalCountIsEstimate: boolean;
}

export interface AuditStoreOptions {
  pool: pg.Pool;
  /** Up to this many matching events `totalCount` is exact; above, an estimate. Default 10,000. */
  exactCountLimit?: number;
}

/** The event columns every read selects (node-postgres returns the bigint `seq` as a string). */
const COLUMNS = `id, seq, at, sandbox, actor, action, resource_type, resource_id, platform_id, etag_before, etag_after, changes, before, after, operation_id, request_id`;

/** Events (a subquery `p` selecting COLUMNS) with their place in the hash chain, when sealed. */
const withChain = (events: string, order: string) =>
  `SELECT p.*, c.chain_seq::text AS chain_seq, c.prev_hash, c.hash FROM (${events}) p LEFT JOIN audit_chain c ON c.event_id = p.id ORDER BY ${order}`;

/**
 * Reads of the append-only audit trail (events are written by the OperationLedger, with the change
 * they record, and linked into the hash chain — `audit_chain` — by the AuditSealer).
 *
 * The list is newest first by (at, seq), keyset-paginated. Every filter combination has an index
 * whose leading columns are its equality filters followed by (at, seq) (see the audit_at_scale
 * migration), so a page — forward or backward, with or without since/until — reads the page's
 * rows and one more, whatever the number of matches. `totalCount` costs a count only when asked
 * for, and stops counting at `exactCountLimit`.
 */
export class AuditStore {
  readonly exactCountLimit: number;

  constructor(private readonly options: AuditStoreOptions) {
    this.exactCountLimit = options.exactCountLimit ?? 10_000;
  }

  /** One event in a sandbox, or null (also for an id that is not a UUID). */
  async find(id: string, sandbox: string): Promise<AuditEvent | null> {
    if (!isUuid(id)) return null;
    const { rows } = await this.options.pool.query<AuditEventColumns>({
      name: 'fg_audit_find',
      text: withChain(`SELECT ${COLUMNS} FROM audit_events WHERE id = $1::uuid AND sandbox = $2`, 'p.at'),
      values: [id, sandbox],
    });
    return rows[0] ? auditEventFromRow(rows[0]) : null;
  }

  /** Newest first (forward from `after`, backward from `before`); counts the matches only when the window asks for it. */
  async list(filter: AuditFilter, window: PageWindow): Promise<AuditPage> {
    if (filter.since && filter.until && filter.since > filter.until) throw new ValidationError('filter.since', 'must not be after filter.until');
    const where = auditWhere(filter);
    const params = [...where.params];
    const position = (cursor: string, field: string) => {
      const { at, seq } = decodeAuditCursor(cursor, field);
      params.push(at, seq.toString());
      return `($${params.length - 1}::timestamptz, $${params.length}::bigint)`;
    };
    const conditions = [...where.conditions];
    if (window.after) conditions.push(`(at, seq) < ${position(window.after, 'after')}`);
    if (window.before) conditions.push(`(at, seq) > ${position(window.before, 'before')}`);
    params.push(window.size + 1);
    const order = window.backward ? 'ASC' : 'DESC';
    const text = withChain(`SELECT ${COLUMNS} FROM audit_events WHERE ${conditions.join(' AND ')} ORDER BY at ${order}, seq ${order} LIMIT $${params.length}`, `p.at ${order}, p.seq ${order}`);
    // Beyond the page on the side it did not read towards (the cursor's own event included).
    const beyond = window.backward ? window.before && { cursor: window.before, field: 'before', op: '<=' } : window.after && { cursor: window.after, field: 'after', op: '>=' };
    const [rows, count, beyondExists] = await Promise.all([
      this.options.pool.query<AuditEventColumns>({ name: statementName('page', text), text, values: params }),
      window.count ? this.count(where) : Promise.resolve({ n: 0, estimate: false }),
      beyond ? this.exists(where, beyond) : Promise.resolve(false),
    ]);
    const more = rows.rows.length > window.size;
    const page = rows.rows.slice(0, window.size).map(auditEventFromRow);
    if (window.backward) page.reverse();
    return {
      rows: page,
      hasNextPage: window.backward ? beyondExists : more,
      hasPreviousPage: window.backward ? more : beyondExists,
      totalCount: count.n,
      totalCountIsEstimate: count.estimate,
    };
  }

  /**
   * Counts the matches up to the limit (an index-only scan of at most limit + 1 entries); above
   * it, the planner's estimate from the table statistics, never less than the limit + 1.
   */
  private async count(where: ListFilter): Promise<{ n: number; estimate: boolean }> {
    const limit = this.exactCountLimit;
    const text = `SELECT count(*)::int AS n FROM (SELECT 1 FROM audit_events WHERE ${where.conditions.join(' AND ')} LIMIT ${limit + 1}) bounded`;
    const { rows } = await this.options.pool.query<{ n: number }>({ name: statementName('count', text), text, values: where.params });
    const n = rows[0]!.n;
    if (n <= limit) return { n, estimate: false };
    const explained = await this.options.pool.query<{ 'QUERY PLAN': [{ Plan: { 'Plan Rows': number } }] }>(
      `EXPLAIN (FORMAT JSON) SELECT 1 FROM audit_events WHERE ${where.conditions.join(' AND ')}`,
      where.params,
    );
    const estimated = Math.round(explained.rows[0]!['QUERY PLAN'][0].Plan['Plan Rows']);
    return { n: Math.max(limit + 1, estimated), estimate: true };
  }

  private async exists(where: ListFilter, beyond: { cursor: string; field: string; op: string }): Promise<boolean> {
    const { at, seq } = decodeAuditCursor(beyond.cursor, beyond.field);
    const params = [...where.params, at, seq.toString()];
    const text = `SELECT EXISTS (SELECT 1 FROM audit_events WHERE ${where.conditions.join(' AND ')} AND (at, seq) ${beyond.op} ($${params.length - 1}::timestamptz, $${params.length}::bigint)) AS found`;
    const { rows } = await this.options.pool.query<{ found: boolean }>({ name: statementName('beyond', text), text, values: params });
    return rows[0]!.found;
  }
}

/**
 * The WHERE clause of a filter. A resource id decides the resource type, so with a resourceId the
 * type is only re-checked (the resource's own index serves the page).
 */
export function auditWhere(filter: AuditFilter): ListFilter {
  return new ListFilter()
    .where('sandbox = ?', filter.sandbox)
    .whereGiven('resource_id = ?::uuid', filter.resourceId)
    .whereGiven('resource_type = ?::"ResourceType"', filter.resourceType)
    .whereGiven('actor = ?', filter.actor)
    .whereGiven('action = ?', filter.action)
    .whereGiven('at >= ?::timestamptz', filter.since)
    .whereGiven('at <= ?::timestamptz', filter.until);
}

/** Named statements, one per query shape: planned once per connection. */
function statementName(kind: string, text: string): string {
  return `fg_audit_${kind}_${createHash('sha1').update(text).digest('hex').slice(0, 16)}`;
}

/** The cursor of an event: its place in the list order (at, seq). */
export function auditCursor(event: Pick<AuditEvent, 'at' | 'seq'>): string {
  return Buffer.from(`a:${event.at.getTime()}:${event.seq.toString()}`).toString('base64url');
}

function decodeAuditCursor(cursor: string, field: string): { at: Date; seq: bigint } {
  const text = Buffer.from(cursor, 'base64url').toString('utf8');
  const match = /^a:(\d{1,15}):(\d{1,19})$/.exec(text);
  if (!match) throw new ValidationError(field, 'is not a cursor this API issued');
  return { at: new Date(Number(match[1])), seq: BigInt(match[2]!) };
}
