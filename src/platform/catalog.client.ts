import { ServiceClient, type ServiceClientOptions } from './service-client.js';
import type { PlatformCallOptions, QueryParams } from './platform-http.js';

/** Catalog base path on the Platform host. */
export const CATALOG_PATH = '/data/foundation/catalog';

/** Default `schemaRef.contentType` of a dataset: the schema's major version 1. */
export const DEFAULT_DATASET_CONTENT_TYPE = 'application/vnd.adobe.xed+json;version=1';

/** A dataset as Catalog returns it, with its id (Catalog keys objects by id instead). Times are epoch ms. */
export interface Dataset {
  id: string;
  name: string;
  description?: string;
  version?: string;
  imsOrg?: string;
  sandboxId?: string;
  schemaRef?: { id: string; contentType: string };
  tags?: Record<string, string[]>;
  created?: number;
  updated?: number;
  createdClient?: string;
  createdUser?: string;
  updatedUser?: string;
  lastBatchId?: string;
  lastBatchStatus?: string;
  [key: string]: unknown;
}

/** Catalog's batch status enum (spec). */
export type BatchStatus =
  'processing' | 'success' | 'failure' | 'queued' | 'retrying' | 'stalled' | 'aborted' | 'abandoned' | 'inactive' | 'failed' | 'loading' | 'loaded' | 'staged' | 'active' | 'staging' | 'deleted';

/** A Catalog batch (one ingestion into a dataset), with its id. */
export interface Batch {
  id: string;
  status: BatchStatus;
  created?: number;
  updated?: number;
  started?: number;
  completed?: number;
  recordCount?: number;
  failedRecordCount?: number;
  relatedObjects?: { type: string; id: string }[];
  errors?: { code: string; description?: string; recordCount?: number }[];
  metrics?: Record<string, unknown>;
  [key: string]: unknown;
}

/** Options of `CatalogClient` (Catalog serves pages of up to 100). */
export type CatalogClientOptions = ServiceClientOptions;

const MAX_PAGES = 10_000;

/**
 * Typed Catalog calls: datasets and their batches. Creates answer `["@/dataSets/<id>"]`, reads
 * answer objects keyed by id; this client turns both into plain values with an `id`.
 */
export class CatalogClient extends ServiceClient {
  constructor(options: CatalogClientOptions) {
    super(options, CATALOG_PATH, 100);
  }

  /** Creates a dataset for schema `schemaId`; returns the new dataset's id. */
  async createDataset(input: { name: string; description?: string; schemaId: string; contentType?: string }, options?: PlatformCallOptions): Promise<string> {
    const response = await this.http.post<unknown>(`${CATALOG_PATH}/dataSets`, {
      ...options,
      body: {
        name: input.name,
        ...(input.description !== undefined ? { description: input.description } : {}),
        schemaRef: { id: input.schemaId, contentType: input.contentType ?? DEFAULT_DATASET_CONTENT_TYPE },
      },
    });
    const id = datasetIdOf(response.body);
    if (id === undefined) throw this.protocolError('POST', '/dataSets', response.requestId, 'no `@/dataSets/<id>` reference');
    return id;
  }

  /** The dataset; `PlatformNotFoundError` when it does not exist. */
  async getDataset(id: string, options?: PlatformCallOptions): Promise<Dataset> {
    const response = await this.http.get<Record<string, Omit<Dataset, 'id'>>>(`${CATALOG_PATH}/dataSets/${encodeURIComponent(id)}`, options);
    const value = response.body?.[id];
    if (typeof value !== 'object' || value === null) throw this.protocolError('GET', '/dataSets/{id}', response.requestId, 'no object keyed by the dataset id');
    return { ...value, id } as Dataset;
  }

  /**
   * Datasets named exactly `name`. Catalog reads `*` as a wildcard and `,` as OR in filters, so a
   * name with either is matched by listing every dataset; all matches are compared here.
   */
  async findDatasetsByName(name: string, options?: PlatformCallOptions): Promise<Dataset[]> {
    const query: QueryParams = /[*,]/.test(name) ? {} : { property: `name==${name}` };
    const datasets = await this.listKeyed<Omit<Dataset, 'id'>>('/dataSets', query, options);
    return datasets.filter((d) => d.name === name) as Dataset[];
  }

  /** Deletes the dataset and its data (Catalog answers 200, not 204). */
  async deleteDataset(id: string, options?: PlatformCallOptions): Promise<void> {
    await this.http.delete(`${CATALOG_PATH}/dataSets/${encodeURIComponent(id)}`, options);
  }

  /** Every batch written into the dataset, oldest first. */
  async listBatches(datasetId: string, options?: PlatformCallOptions): Promise<Batch[]> {
    return (await this.listKeyed<Omit<Batch, 'id'>>('/batches', { dataSet: datasetId, orderBy: 'asc:created' }, options)) as Batch[];
  }

  /** Pages through a keyed Catalog list with `limit`/`start` until a short page. */
  private async listKeyed<T>(path: string, query: QueryParams, options?: PlatformCallOptions): Promise<(T & { id: string })[]> {
    const out: (T & { id: string })[] = [];
    for (let page = 0; page < MAX_PAGES; page++) {
      const response = await this.http.get<Record<string, T>>(`${CATALOG_PATH}${path}`, { ...options, query: { ...query, limit: this.pageSize, start: page * this.pageSize } });
      const body = response.body;
      if (typeof body !== 'object' || body === null || Array.isArray(body)) throw this.protocolError('GET', path, response.requestId, 'not an object keyed by id');
      const entries = Object.entries(body);
      for (const [id, value] of entries) out.push({ ...value, id });
      if (entries.length < this.pageSize) break;
    }
    return out;
  }
}

/** The id in Catalog's `["@/dataSets/<id>"]` (the docs' prose also writes `@/datasets/`). */
export function datasetIdOf(body: unknown): string | undefined {
  const ref: unknown = Array.isArray(body) ? (body as unknown[])[0] : undefined;
  const match = typeof ref === 'string' ? /^@\/data[sS]ets\/([^/?#\s]+)$/.exec(ref) : null;
  return match?.[1];
}
