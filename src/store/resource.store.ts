import { NotFoundError } from '../errors/app-errors.js';
import { decodeCursor, encodeCursor, type Page } from './cursor.js';
import { createHash } from 'node:crypto';
import type pg from 'pg';
import type { Resource, ResourceState, ResourceType } from './generated/client.js';
import { resourceFromRow } from './sql-rows.js';
import type { Db } from './store.js';

export type { Resource } from './generated/client.js';

export interface ResourceFilter {
  type: ResourceType;
  sandbox: string;
  state?: ResourceState | null;
  stripeResource?: string | null;
  connectionId?: string | null;
  sourceConnectionId?: string | null;
  schemaId?: string | null;
  datasetId?: string | null;
  /** Deleted resources are left out unless asked for. */
  includeDeleted?: boolean;
}

/** Queries on `resources`. Every read is scoped by sandbox. */
export class ResourceStore {
  constructor(
    private readonly db: Db,
    /** Reads that every list and neighbour lookup makes go straight to node-postgres (see OperationHotPath on why). */
    private readonly pool: pg.Pool,
  ) {}

  async find(id: string, sandbox: string, tx?: Db): Promise<Resource | null> {
    if (!isUuid(id)) return null;
    if (tx) return tx.resource.findFirst({ where: { id, sandbox } });
    const result = await this.pool.query({ name: 'fg_resource', text: 'SELECT * FROM resources WHERE id = $1::uuid AND sandbox = $2', values: [id, sandbox] });
    return result.rows.length === 0 ? null : resourceFromRow(result.rows[0]);
  }

  /** The resource, or NotFoundError naming the input field that referenced it. */
  async get(id: string, sandbox: string, type: ResourceType, field?: string, tx?: Db): Promise<Resource> {
    const resource = await this.find(id, sandbox, tx);
    if (!resource || resource.type !== type) throw new NotFoundError(type, id, field);
    return resource;
  }

  async getById(id: string, tx: Db = this.db): Promise<Resource | null> {
    if (!isUuid(id)) return null;
    return tx.resource.findUnique({ where: { id } });
  }

  async list(filter: ResourceFilter, first: number, after?: string | null): Promise<Page<Resource>> {
    const conditions = ['type = $1::"ResourceType"', 'sandbox = $2'];
    const params: unknown[] = [filter.type, filter.sandbox];
    const add = (sql: string, value: unknown) => {
      params.push(value);
      conditions.push(sql.replace('?', `$${params.length}`));
    };
    if (filter.state) add('state = ?::"ResourceState"', filter.state);
    else if (!filter.includeDeleted) conditions.push(`state <> 'DELETED'`);
    if (filter.stripeResource) add('stripe_resource = ?', filter.stripeResource);
    if (filter.connectionId) add('connection_id = ?::uuid', filter.connectionId);
    if (filter.sourceConnectionId) add('source_connection_id = ?::uuid', filter.sourceConnectionId);
    if (filter.schemaId) add('schema_id = ?::uuid', filter.schemaId);
    if (filter.datasetId) add('dataset_id = ?::uuid', filter.datasetId);
    const where = conditions.join(' AND ');
    const countParams = [...params];
    const position = after ? decodeCursor(after) : null;
    let pageWhere = where;
    if (position) {
      params.push(position.at, position.id);
      pageWhere += ` AND (created_at, id) < ($${params.length - 1}::timestamptz, $${params.length}::uuid)`;
    }
    params.push(first + 1);
    // The statement text depends only on which filters are set, so it names a prepared statement.
    const shape = createHash('sha1').update(pageWhere).digest('hex').slice(0, 16);
    const [rows, count] = await Promise.all([
      this.pool.query({ name: `fg_list_${shape}`, text: `SELECT * FROM resources WHERE ${pageWhere} ORDER BY created_at DESC, id DESC LIMIT $${params.length}`, values: params }),
      this.pool.query({ name: `fg_count_${shape}`, text: `SELECT count(*)::int AS n FROM resources WHERE ${where}`, values: countParams }),
    ]);
    const mapped = rows.rows.map(resourceFromRow);
    return { rows: mapped.slice(0, first), hasNextPage: mapped.length > first, totalCount: count.rows[0].n };
  }

  /** Live (not deleted) resources pointing at `id` through one of the link columns. */
  async dependents(id: string, type: ResourceType, link: 'connectionId' | 'sourceConnectionId' | 'targetConnectionId' | 'schemaId' | 'datasetId' | 'mappingId', tx: Db = this.db): Promise<Resource[]> {
    return tx.resource.findMany({ where: { type, [link]: id, state: { notIn: ['DELETED', 'FAILED'] } }, orderBy: { createdAt: 'asc' } });
  }
}

export function resourceCursor(resource: Resource): string {
  return encodeCursor({ at: resource.createdAt, id: resource.id });
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
export function isUuid(value: string): boolean {
  return UUID.test(value);
}
