import type pg from 'pg';
import { isUuid } from '../domain/ids.js';
import type { ResourceState, ResourceType } from '../domain/resource-types.js';
import { NotFoundError } from '../errors/app-errors.js';
import { encodeCursor, type Page, type PageWindow } from './cursor.js';
import { ListFilter, newestFirst } from './keyset-page.js';
import { RESOURCE_SUMMARY_COLUMNS, resourceFromRow, resourceSummaryFromRow, type Resource, type ResourceColumns, type ResourceSummary } from './rows.js';

export type { Resource } from './rows.js';

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

/** The columns that link a resource to its neighbours. */
export type ResourceLink = 'connectionId' | 'sourceConnectionId' | 'targetConnectionId' | 'schemaId' | 'datasetId' | 'mappingId';

const LINK_COLUMNS: Record<ResourceLink, string> = {
  connectionId: 'connection_id',
  sourceConnectionId: 'source_connection_id',
  targetConnectionId: 'target_connection_id',
  schemaId: 'schema_id',
  datasetId: 'dataset_id',
  mappingId: 'mapping_id',
};

/**
 * Reads of `resources` (writes belong to the OperationLedger). Reads a client makes are scoped by
 * sandbox; the worker reads by id alone. Straight SQL over node-postgres: these run on every
 * list and every neighbour a query selects.
 */
export class ResourceStore {
  constructor(private readonly pool: pg.Pool) {}

  /** One resource in a sandbox, or null (also for an id that is not a UUID). */
  async find(id: string, sandbox: string): Promise<Resource | null> {
    if (!isUuid(id)) return null;
    const result = await this.pool.query<ResourceColumns>({ name: 'fg_resource', text: 'SELECT * FROM resources WHERE id = $1::uuid AND sandbox = $2', values: [id, sandbox] });
    return result.rows[0] ? resourceFromRow(result.rows[0]) : null;
  }

  /** The resource, or NotFoundError naming the input field that referenced it. */
  async get(id: string, sandbox: string, type: ResourceType, field?: string): Promise<Resource> {
    const resource = await this.find(id, sandbox);
    if (!resource || resource.type !== type) throw new NotFoundError(type, id, field);
    return resource;
  }

  /** One resource in any sandbox (workers act on what an operation names). */
  async getById(id: string): Promise<Resource | null> {
    if (!isUuid(id)) return null;
    const result = await this.pool.query<ResourceColumns>({ name: 'fg_resource_by_id', text: 'SELECT * FROM resources WHERE id = $1::uuid', values: [id] });
    return result.rows[0] ? resourceFromRow(result.rows[0]) : null;
  }

  /** One page of a type's resources in a sandbox, newest first; deleted ones only when asked for (by state or `includeDeleted`). */
  list(filter: ResourceFilter, window: PageWindow): Promise<Page<ResourceSummary>> {
    const where = new ListFilter().where('type = ?::"ResourceType"', filter.type).where('sandbox = ?', filter.sandbox);
    if (filter.state) where.where('state = ?::"ResourceState"', filter.state);
    else if (!filter.includeDeleted) where.where(`state <> 'DELETED'`);
    where.whereEqual(filter, { stripeResource: 'text', connectionId: 'uuid', sourceConnectionId: 'uuid', schemaId: 'uuid', datasetId: 'uuid' });
    return newestFirst(this.pool, 'resources', where, window, resourceSummaryFromRow, RESOURCE_SUMMARY_COLUMNS);
  }

  /** Live (not deleted or failed) resources of `type` pointing at `id` through one of the link columns, oldest first. */
  async dependents(id: string, type: ResourceType, link: ResourceLink): Promise<Resource[]> {
    const result = await this.pool.query<ResourceColumns>({
      name: `fg_dependents_${link}`,
      text: `SELECT * FROM resources WHERE type = $1::"ResourceType" AND ${LINK_COLUMNS[link]} = $2::uuid AND state NOT IN ('DELETED', 'FAILED') ORDER BY created_at ASC`,
      values: [type, id],
    });
    return result.rows.map(resourceFromRow);
  }

  /** Dataflows that exist on the Platform and are not deleted (whose runs the sync reads), optionally only these ids. */
  async liveDataflows(ids?: string[]): Promise<{ id: string; platformId: string; sandbox: string }[]> {
    const result = await this.pool.query<{ id: string; platform_id: string; sandbox: string }>({
      name: 'fg_live_dataflows',
      text: `SELECT id, platform_id, sandbox FROM resources WHERE type = 'DATAFLOW' AND state IN ('ENABLED', 'DISABLED') AND platform_id IS NOT NULL AND ($1::uuid[] IS NULL OR id = ANY($1::uuid[]))`,
      values: [ids ?? null],
    });
    return result.rows.map((r) => ({ id: r.id, platformId: r.platform_id, sandbox: r.sandbox }));
  }
}

export function resourceCursor(resource: Pick<Resource, 'createdAt' | 'id'>): string {
  return encodeCursor({ at: resource.createdAt, id: resource.id });
}
