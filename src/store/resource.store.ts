import { NotFoundError } from '../errors/app-errors.js';
import { decodeCursor, encodeCursor, type Page } from './cursor.js';
import type { Prisma, Resource, ResourceState, ResourceType } from './generated/client.js';
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
  constructor(private readonly db: Db) {}

  async find(id: string, sandbox: string, tx: Db = this.db): Promise<Resource | null> {
    if (!isUuid(id)) return null;
    return tx.resource.findFirst({ where: { id, sandbox } });
  }

  /** The resource, or NotFoundError naming the input field that referenced it. */
  async get(id: string, sandbox: string, type: ResourceType, field?: string, tx: Db = this.db): Promise<Resource> {
    const resource = await this.find(id, sandbox, tx);
    if (!resource || resource.type !== type) throw new NotFoundError(type, id, field);
    return resource;
  }

  async getById(id: string, tx: Db = this.db): Promise<Resource | null> {
    if (!isUuid(id)) return null;
    return tx.resource.findUnique({ where: { id } });
  }

  async list(filter: ResourceFilter, first: number, after?: string | null): Promise<Page<Resource>> {
    const where: Prisma.ResourceWhereInput = {
      type: filter.type,
      sandbox: filter.sandbox,
      ...(filter.state ? { state: filter.state } : filter.includeDeleted ? {} : { state: { not: 'DELETED' } }),
      ...(filter.stripeResource ? { stripeResource: filter.stripeResource } : {}),
      ...(filter.connectionId ? { connectionId: filter.connectionId } : {}),
      ...(filter.sourceConnectionId ? { sourceConnectionId: filter.sourceConnectionId } : {}),
      ...(filter.schemaId ? { schemaId: filter.schemaId } : {}),
      ...(filter.datasetId ? { datasetId: filter.datasetId } : {}),
    };
    const position = after ? decodeCursor(after) : null;
    const pageWhere: Prisma.ResourceWhereInput = position
      ? { AND: [where, { OR: [{ createdAt: { lt: position.at } }, { createdAt: position.at, id: { lt: position.id } }] }] }
      : where;
    const [rows, totalCount] = await Promise.all([
      this.db.resource.findMany({ where: pageWhere, orderBy: [{ createdAt: 'desc' }, { id: 'desc' }], take: first + 1 }),
      this.db.resource.count({ where }),
    ]);
    return { rows: rows.slice(0, first), hasNextPage: rows.length > first, totalCount };
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
