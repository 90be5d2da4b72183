import { ServiceClient, type ServiceClientOptions } from './service-client.js';
import type { PlatformCallOptions, QueryParams } from './platform-http.js';

/** Schema Registry base path on the Platform host. */
export const SCHEMA_REGISTRY_PATH = '/data/foundation/schemaregistry';

/** The behaviour of record-style classes (one row per entity, as Stripe objects are). */
export const RECORD_BEHAVIOR_ID = 'https://ns.adobe.com/xdm/data/record';

/** Lookup media types; the number is the resource's **major** version (the registry serves its latest minor). */
export const xdmAccept = {
  /** As stored: `allOf`/`$ref` kept. */
  raw: (majorVersion = 1) => `application/vnd.adobe.xed+json; version=${majorVersion}`,
  /** References resolved into one `properties` tree. */
  full: (majorVersion = 1) => `application/vnd.adobe.xed-full+json; version=${majorVersion}`,
  /** Listing of ids and titles. */
  idList: 'application/vnd.adobe.xed-id+json',
} as const;

/**
 * The schema reference string other services take (`data.schema.version` of a target connection,
 * `contentType` of a mapping set or dataset): `application/vnd.adobe.xed-full+json;version=1`.
 */
export function xdmFullContentType(majorVersion = 1): string {
  return `application/vnd.adobe.xed-full+json;version=${majorVersion}`;
}

/** An XDM field definition. */
export interface XdmField {
  type?: 'object' | 'array' | 'string' | 'integer' | 'number' | 'boolean';
  title?: string;
  description?: string;
  properties?: Record<string, XdmField>;
  items?: XdmField;
  minimum?: number;
  maximum?: number;
  format?: string;
  [key: string]: unknown;
}

/** A named definition of a class or field group; custom fields sit under `properties._{tenantId}`. */
export interface XdmDefinition {
  properties: Record<string, XdmField>;
  [key: string]: unknown;
}

/** A tenant class, field group or schema as the registry returns it. */
export interface XdmResource {
  $id: string;
  'meta:altId': string;
  'meta:resourceType'?: 'classes' | 'mixins' | 'schemas';
  title: string;
  description?: string;
  /** `major.minor`; the minor goes up on every update. */
  version: string;
  type?: 'object';
  allOf?: { $ref: string }[];
  definitions?: Record<string, XdmDefinition>;
  /** Present with the `full` view: the merged field tree. */
  properties?: Record<string, XdmField>;
  'meta:class'?: string;
  'meta:extends'?: string[];
  'meta:intendedToExtend'?: string[];
  'meta:registryMetadata'?: { eTag?: string; 'repo:createdDate'?: number; 'repo:lastModifiedDate'?: number; [key: string]: unknown };
  [key: string]: unknown;
}

/** What a listing shows per resource. */
export interface XdmResourceSummary {
  $id: string;
  'meta:altId': string;
  version: string;
  title: string;
}

type TenantSegment = 'classes' | 'fieldgroups' | 'schemas';

/** Options of `SchemaRegistryClient` (the registry serves title lookups of up to 500). */
export type SchemaRegistryClientOptions = ServiceClientOptions;

const MAX_PAGES = 1000;

/**
 * Typed Schema Registry calls on the tenant container: tenant id, classes, field groups and
 * schemas. Path parameters are the URL-encoded `$id`; GETs send the `Accept` the registry needs.
 */
export class SchemaRegistryClient extends ServiceClient {
  /** The tenant id, fetched once: it belongs to the org, not to a sandbox. */
  private tenantId: Promise<string> | null = null;

  constructor(options: SchemaRegistryClientOptions) {
    super(options, SCHEMA_REGISTRY_PATH);
  }

  /** The org's tenant id (no leading underscore); custom fields live under `_{tenantId}`. Cached. */
  getTenantId(options?: PlatformCallOptions): Promise<string> {
    if (!this.tenantId) {
      this.tenantId = this.fetchTenantId(options).catch((error: unknown) => {
        // A failed lookup must not be cached: the next caller tries again.
        this.tenantId = null;
        throw error;
      });
    }
    return this.tenantId;
  }

  /** A tenant class extending `behaviorId` (default record), with its own field `definitions`. */
  createClass(input: { title: string; description?: string; behaviorId?: string; definitions?: Record<string, XdmDefinition> }, options?: PlatformCallOptions): Promise<XdmResource> {
    const definitions = input.definitions ?? {};
    return this.create(
      'classes',
      {
        type: 'object',
        title: input.title,
        // The registry requires a description on classes and schemas.
        description: input.description ?? '',
        allOf: [{ $ref: input.behaviorId ?? RECORD_BEHAVIOR_ID }, ...Object.keys(definitions).map((name) => ({ $ref: `#/definitions/${name}` }))],
        ...(Object.keys(definitions).length > 0 ? { definitions } : {}),
      },
      options,
    );
  }

  /** A tenant field group for the classes in `intendedToExtend`. Its `$id` uses the legacy `/mixins/` segment. */
  createFieldGroup(input: { title: string; description?: string; intendedToExtend: string[]; definitions: Record<string, XdmDefinition> }, options?: PlatformCallOptions): Promise<XdmResource> {
    return this.create(
      'fieldgroups',
      {
        type: 'object',
        title: input.title,
        ...(input.description !== undefined ? { description: input.description } : {}),
        'meta:intendedToExtend': input.intendedToExtend,
        definitions: input.definitions,
        allOf: Object.keys(input.definitions).map((name) => ({ $ref: `#/definitions/${name}` })),
      },
      options,
    );
  }

  /** A schema of exactly one class and any number of field groups. */
  createSchema(input: { title: string; description?: string; classId: string; fieldGroupIds?: string[] }, options?: PlatformCallOptions): Promise<XdmResource> {
    return this.create(
      'schemas',
      {
        type: 'object',
        title: input.title,
        description: input.description ?? '',
        allOf: [{ $ref: input.classId }, ...(input.fieldGroupIds ?? []).map(($ref) => ({ $ref }))],
      },
      options,
    );
  }

  /** The schema, raw (`allOf` kept) or with `full: true` resolved into `properties`. */
  getSchema(id: string, lookup: { full?: boolean; majorVersion?: number } = {}, options?: PlatformCallOptions): Promise<XdmResource> {
    return this.getResource('schemas', id, lookup.full ? xdmAccept.full(lookup.majorVersion) : xdmAccept.raw(lookup.majorVersion), options);
  }

  getClass(id: string, lookup: { full?: boolean; majorVersion?: number } = {}, options?: PlatformCallOptions): Promise<XdmResource> {
    return this.getResource('classes', id, lookup.full ? xdmAccept.full(lookup.majorVersion) : xdmAccept.raw(lookup.majorVersion), options);
  }

  getFieldGroup(id: string, lookup: { full?: boolean; majorVersion?: number } = {}, options?: PlatformCallOptions): Promise<XdmResource> {
    return this.getResource('fieldgroups', id, lookup.full ? xdmAccept.full(lookup.majorVersion) : xdmAccept.raw(lookup.majorVersion), options);
  }

  /** Tenant schemas titled exactly `title` (titles are unique per sandbox, so at most one in practice). */
  findSchemasByTitle(title: string, options?: PlatformCallOptions): Promise<XdmResourceSummary[]> {
    return this.findByTitle('schemas', title, options);
  }

  findClassesByTitle(title: string, options?: PlatformCallOptions): Promise<XdmResourceSummary[]> {
    return this.findByTitle('classes', title, options);
  }

  findFieldGroupsByTitle(title: string, options?: PlatformCallOptions): Promise<XdmResourceSummary[]> {
    return this.findByTitle('fieldgroups', title, options);
  }

  /** Deletes a schema (refused while a dataset uses it). */
  async deleteSchema(id: string, options?: PlatformCallOptions): Promise<void> {
    await this.http.delete(this.resourcePath('schemas', id), options);
  }

  /** Deletes a field group (refused while a schema uses it). */
  async deleteFieldGroup(id: string, options?: PlatformCallOptions): Promise<void> {
    await this.http.delete(this.resourcePath('fieldgroups', id), options);
  }

  /** Deletes a class (refused while a schema or field group uses it). */
  async deleteClass(id: string, options?: PlatformCallOptions): Promise<void> {
    await this.http.delete(this.resourcePath('classes', id), options);
  }

  private async fetchTenantId(options?: PlatformCallOptions): Promise<string> {
    const response = await this.http.get<{ tenantId?: unknown }>(`${SCHEMA_REGISTRY_PATH}/stats`, { ...options, accept: 'application/json' });
    const tenantId = response.body?.tenantId;
    if (typeof tenantId !== 'string' || tenantId === '') throw this.protocolError('GET', '/stats', response.requestId, 'no `tenantId`');
    return tenantId;
  }

  private async create(segment: TenantSegment, body: Record<string, unknown>, options?: PlatformCallOptions): Promise<XdmResource> {
    const response = await this.http.post<XdmResource>(`${SCHEMA_REGISTRY_PATH}/tenant/${segment}`, { ...options, body });
    return this.checkResource(response.body, 'POST', `/tenant/${segment}`, response.requestId);
  }

  private async getResource(segment: TenantSegment, id: string, accept: string, options?: PlatformCallOptions): Promise<XdmResource> {
    const response = await this.http.get<XdmResource>(this.resourcePath(segment, id), { ...options, accept });
    return this.checkResource(response.body, 'GET', `/tenant/${segment}/{id}`, response.requestId);
  }

  /**
   * Lists the tenant container with `property=title==…` and compares titles here too, following
   * the registry's paging (`orderby` + `start` = last value of the sort key, or `_links.next`).
   */
  private async findByTitle(segment: TenantSegment, title: string, options?: PlatformCallOptions): Promise<XdmResourceSummary[]> {
    const base = `${SCHEMA_REGISTRY_PATH}/tenant/${segment}`;
    const found: XdmResourceSummary[] = [];
    let query: QueryParams = { orderby: 'title', limit: this.pageSize, property: [`title==${title}`] };
    let path = base;
    for (let page = 0; page < MAX_PAGES; page++) {
      const response = await this.http.get<{ results?: XdmResourceSummary[]; _page?: { next?: unknown }; _links?: { next?: unknown } }>(path, {
        ...options,
        query,
        accept: xdmAccept.idList,
      });
      const results = response.body?.results;
      if (!Array.isArray(results)) throw this.protocolError('GET', `/tenant/${segment}`, response.requestId, 'no `results` array');
      found.push(...results.filter((r) => r.title === title));
      const link = response.body._links?.next;
      const href = typeof link === 'string' ? link : typeof link === 'object' && link !== null ? (link as { href?: unknown }).href : undefined;
      const nextStart = response.body._page?.next;
      if (typeof href === 'string' && href !== '') {
        path = registryPathOf(href);
        query = {};
      } else if ((typeof nextStart === 'string' && nextStart !== '') || typeof nextStart === 'number') {
        query = { ...query, start: String(nextStart) };
      } else {
        break;
      }
    }
    return found;
  }

  private resourcePath(segment: TenantSegment, id: string): string {
    return `${SCHEMA_REGISTRY_PATH}/tenant/${segment}/${encodeURIComponent(id)}`;
  }

  private checkResource(body: XdmResource | undefined, method: string, path: string, requestId: string): XdmResource {
    if (typeof body?.$id !== 'string') throw this.protocolError(method, path, requestId, 'no `$id`');
    return body;
  }
}

function registryPathOf(href: string): string {
  if (/^https?:\/\//i.test(href)) {
    const url = new URL(href);
    return `${url.pathname}${url.search}`;
  }
  return href.startsWith(SCHEMA_REGISTRY_PATH) ? href : `${SCHEMA_REGISTRY_PATH}${href.startsWith('/') ? '' : '/'}${href}`;
}
