import { ServiceClient, type ServiceClientOptions } from './service-client.js';
import type { PlatformCallOptions } from './platform-http.js';
import { xdmFullContentType } from './schema-registry.client.js';

/** Data Prep base path on the Platform host (the spec's prose says `conversation`; the API is `conversion`). */
export const DATA_PREP_PATH = '/data/foundation/conversion';

/** Where a mapping's value comes from. */
export type MappingSourceType = 'ATTRIBUTE' | 'EXPRESSION' | 'STATIC';

/** One mapping as Flowgate writes it. */
export interface MappingInput {
  /** A source path (`data.amount`), an expression or a constant, per `sourceType`. */
  source: string;
  /** An XDM path of the output schema, e.g. `_tenant.charges_data.amount`. */
  destination: string;
  /** Default `ATTRIBUTE`. */
  sourceType?: MappingSourceType;
}

/** A mapping set body (create and update). */
export interface MappingSetInput {
  name?: string;
  /** `$id` of the XDM schema the mappings write. */
  schemaId: string;
  /** The schema's content type with its major version; default `application/vnd.adobe.xed-full+json;version=1`. */
  schemaVersion?: string;
  mappings: MappingInput[];
}

/** A mapping as Data Prep stores it: both naming styles, `sourceType` as stored (`text/x.schema-path` for ATTRIBUTE). */
export interface StoredMapping {
  id: string;
  sourceType: string;
  source: string;
  destination: string;
  sourceAttribute?: string;
  destinationXdmPath?: string;
  identity?: boolean;
  primaryIdentity?: boolean;
  version?: number;
  name?: string;
  description?: string;
  [key: string]: unknown;
}

/** A mapping set version. Dates are epoch ms. */
export interface MappingSet {
  id: string;
  /** Starts at 0; every PUT adds one. Flows pin a version. */
  version: number;
  name?: string;
  createdDate?: number;
  modifiedDate?: number;
  createdBy?: string;
  modifiedBy?: string;
  status?: 'DRAFT' | 'PUBLISHED';
  outputSchema?: { schemaRef?: { id: string; contentType: string }; [key: string]: unknown };
  mappings: StoredMapping[];
  [key: string]: unknown;
}

/** What a create or update answers. */
export interface MappingSetRef {
  id: string;
  version: number;
}

/** Options of `DataPrepClient`. */
export type DataPrepClientOptions = ServiceClientOptions;

const MAX_PAGES = 10_000;

/** Typed Data Prep calls: mapping sets in the current dialect (`outputSchema.schemaRef`), and their versions. */
export class DataPrepClient extends ServiceClient {
  constructor(options: DataPrepClientOptions) {
    super(options, DATA_PREP_PATH);
  }

  /** Creates a mapping set (version 0). Data Prep answers 200, not 201. */
  async createMappingSet(input: MappingSetInput, options?: PlatformCallOptions): Promise<MappingSetRef> {
    const response = await this.http.post<Partial<MappingSetRef>>(`${DATA_PREP_PATH}/mappingSets`, { ...options, body: mappingSetBody(input) });
    return this.ref(response.body, 'POST', '/mappingSets', response.requestId);
  }

  /** A version of the mapping set (default: the latest). `PlatformNotFoundError` when there is none. */
  async getMappingSet(id: string, version?: number, options?: PlatformCallOptions): Promise<MappingSet> {
    const response = await this.http.get<MappingSet>(`${DATA_PREP_PATH}/mappingSets/${encodeURIComponent(id)}`, {
      ...options,
      query: version === undefined ? undefined : { version },
    });
    return this.checkSet(response.body, 'GET', '/mappingSets/{id}', response.requestId);
  }

  /** Mapping sets (their latest versions) named exactly `name`. */
  async findMappingSetsByName(name: string, options?: PlatformCallOptions): Promise<MappingSet[]> {
    const found: MappingSet[] = [];
    for (let page = 0; page < MAX_PAGES; page++) {
      const response = await this.http.get<{ data?: MappingSet[] }>(`${DATA_PREP_PATH}/mappingSets`, {
        ...options,
        query: { name, limit: this.pageSize, start: page * this.pageSize },
      });
      const data = response.body?.data;
      if (!Array.isArray(data)) throw this.protocolError('GET', '/mappingSets', response.requestId, 'no `data` array');
      found.push(...data.filter((set) => set.name === name));
      if (data.length < this.pageSize) break;
    }
    return found;
  }

  /** Replaces the mapping set with a new version (previous versions stay readable); returns the new version. */
  async updateMappingSet(id: string, input: MappingSetInput, options?: PlatformCallOptions): Promise<MappingSetRef> {
    const response = await this.http.put<Partial<MappingSetRef>>(`${DATA_PREP_PATH}/mappingSets/${encodeURIComponent(id)}`, { ...options, body: mappingSetBody(input) });
    return this.ref(response.body, 'PUT', '/mappingSets/{id}', response.requestId);
  }

  private ref(body: Partial<MappingSetRef> | undefined, method: string, path: string, requestId: string): MappingSetRef {
    if (typeof body?.id !== 'string' || typeof body.version !== 'number') throw this.protocolError(method, path, requestId, 'no `id` and numeric `version`');
    return { id: body.id, version: body.version };
  }

  private checkSet(body: MappingSet | undefined, method: string, path: string, requestId: string): MappingSet {
    if (typeof body?.id !== 'string' || typeof body.version !== 'number' || !Array.isArray(body.mappings)) {
      throw this.protocolError(method, path, requestId, 'not a mapping set');
    }
    return body;
  }
}

function mappingSetBody(input: MappingSetInput): Record<string, unknown> {
  return {
    ...(input.name !== undefined ? { name: input.name } : {}),
    outputSchema: { schemaRef: { id: input.schemaId, contentType: input.schemaVersion ?? xdmFullContentType(1) } },
    mappings: input.mappings.map((m) => ({ sourceType: m.sourceType ?? 'ATTRIBUTE', source: m.source, destination: m.destination })),
  };
}
