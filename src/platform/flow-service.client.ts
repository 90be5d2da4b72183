import { ServiceClient, type ServiceClientOptions } from './service-client.js';
import type { ExploreNode } from '../domain/xdm-from-explore.js';
import type { PlatformCallOptions, QueryParams } from './platform-http.js';

/** Flow Service base path on the Platform host. */
export const FLOW_SERVICE_PATH = '/data/foundation/flowservice';

/** Stripe source connection spec (auth spec `OAuth2 Refresh Code`). */
export const STRIPE_CONNECTION_SPEC_ID = 'cc2c31d6-7b8c-4581-b49f-5c8698aa3ab3';
/** Data lake target connection spec: the only target the Stripe flow spec accepts. */
export const DATA_LAKE_CONNECTION_SPEC_ID = 'c604ff05-7f1a-43c0-8e18-33bf874cb11c';
/** `RestStorageToAEP`, the generic REST flow spec the Stripe source uses. */
export const REST_FLOW_SPEC_ID = '6499120c-0b15-42dc-936e-847ea3c24d72';
/** Version of all three specs. */
export const SPEC_VERSION = '1.0';
/** The Stripe connection spec's auth spec name. */
export const STRIPE_AUTH_SPEC_NAME = 'OAuth2 Refresh Code';

/** The six Stripe resources the connector reads. */
export type StripeResourcePath = 'charges' | 'subscriptions' | 'refunds' | 'balance_transactions' | 'customers' | 'prices';

/** What creates, updates and actions answer: the id and the new etag (a string that contains its quotes). */
export interface EtaggedRef {
  id: string;
  etag: string;
}

export interface SpecRef {
  id: string;
  version?: string;
}

/** Bookkeeping every Flow Service resource carries. Timestamps are epoch milliseconds. */
export interface FlowServiceResource {
  id: string;
  createdAt: number;
  updatedAt: number;
  createdBy?: string;
  updatedBy?: string;
  createdClient?: string;
  updatedClient?: string;
  sandboxId?: string;
  sandboxName?: string;
  imsOrgId?: string;
  name?: string;
  description?: string;
  /** Quoted etag; send it back as `If-Match` unchanged. */
  etag: string;
  /** Mirrors `etag`. */
  version?: string;
}

export type ConnectionState = 'enabled' | 'disabled';

/** A base connection ("account"). Secrets in `auth.params` come back masked. */
export interface BaseConnection extends FlowServiceResource {
  name: string;
  connectionSpec: SpecRef;
  state: ConnectionState;
  auth: { specName: string; params: Record<string, unknown> };
}

export type SourceConnectionState = 'inProgress' | 'updating' | 'enabling' | 'disabling' | 'enabled' | 'disabled';

export interface SourceConnection extends FlowServiceResource {
  name: string;
  baseConnectionId: string;
  connectionSpec: SpecRef;
  state: SourceConnectionState;
  data: { format: string };
  params: { resourcePath?: StripeResourcePath; [key: string]: unknown };
}

export interface TargetConnection extends FlowServiceResource {
  connectionSpec: SpecRef;
  state: ConnectionState;
  data: { format: string; schema: { id: string; version: string } };
  params: { dataSetId: string; [key: string]: unknown };
}

export type FlowFrequency = 'once' | 'minute' | 'hour' | 'day' | 'week';

/** A schedule as Flowgate sends it. `startTime` is epoch **seconds**. */
export interface FlowScheduleInput {
  startTime: number;
  frequency: FlowFrequency;
  /** Units of `frequency` between runs; absent for `once`, ≥ 15 for `minute`, ≥ 1 otherwise. */
  interval?: number;
  /** Whether the first run reads history; not allowed with `once`. */
  backfill?: boolean;
}

export type FlowState = 'enabled' | 'disabled';

export interface FlowTransformation {
  name: string;
  params: { mappingId: string; mappingVersion: string | number; [key: string]: unknown };
}

export interface Flow extends FlowServiceResource {
  name: string;
  flowSpec: SpecRef;
  state: FlowState;
  sourceConnectionIds: string[];
  targetConnectionIds: string[];
  /** As the Platform echoes it: values may be strings (`"1710267858"`, `"15"`, `"true"`). */
  scheduleParams: Record<string, string | number | boolean>;
  /** `scheduleParams` read into numbers and booleans by the client. */
  schedule: FlowScheduleInput;
  transformations: FlowTransformation[];
  inheritedAttributes?: Record<string, unknown>;
  lastOperation?: Record<string, unknown>;
  lastRunDetails?: { id: string; state: 'success' | 'partialSuccess' | 'failed'; startedAtUTC?: number; completedAtUTC?: number };
  labels?: string[];
  runs?: string;
}

/** Run status, normalised to lower camel case (`Failed` in some docs is `failed`). */
export type FlowRunStatus = 'scheduled' | 'inProgress' | 'success' | 'partialSuccess' | 'failed' | 'unknown';

export interface FlowRunError {
  code: string;
  message: string;
  recordCount?: number;
}

export interface FlowRun {
  id: string;
  flowId: string;
  createdAt: number;
  updatedAt: number;
  /** The docs call it `etag`, the spec `eTag`; the client fills `etag` from either. */
  etag?: string;
  /** `metrics.statusSummary.status`, normalised. */
  status: FlowRunStatus;
  metrics?: {
    durationSummary?: { startedAtUTC?: number; completedAtUTC?: number };
    sizeSummary?: { inputBytes?: number; outputBytes?: number };
    recordSummary?: { inputRecordCount?: number; outputRecordCount?: number; failedRecordCount?: number };
    fileSummary?: Record<string, unknown>;
    statusSummary?: { status?: string; errors?: FlowRunError[] };
  };
  params?: Record<string, unknown>;
  activities?: Record<string, unknown>[];
  [key: string]: unknown;
}

/** One JSON Patch operation of a Flow Service PATCH. */
export interface PatchOperation {
  op: 'add' | 'replace' | 'remove';
  path: string;
  value?: unknown;
}

/** A node of the schema `explore` infers (the domain's type: its rules read it). */
export type ExploreSchemaNode = ExploreNode;

export interface ExploreResult {
  /** The record sits under a top-level `data` object, hence `data.` in mapping sources. */
  schema: ExploreSchemaNode;
  /** With `preview: true`: sample records as the connector reads them (`{data: {...}}`). */
  rows?: Record<string, unknown>[];
}

/** A delete may carry the etag it expects (`If-Match`): the Platform answers 412 when the resource changed since. */
export interface DeleteOptions extends PlatformCallOptions {
  ifMatch?: string;
}

export interface ListRunsOptions extends PlatformCallOptions {
  /** Only runs that started at or after this time (epoch ms). */
  since?: number;
  /** At most this many runs (default: all). */
  limit?: number;
}

/** Options of `FlowServiceClient` (Flow Service serves pages of up to 1000). */
export type FlowServiceClientOptions = ServiceClientOptions;

/** A guard against a server whose continuation links never end. */
const MAX_PAGES = 1000;

/**
 * Typed Flow Service calls for the Stripe → data lake flow: base, source and target
 * connections, flows and their runs. Single-resource GETs unwrap the `{items: [...]}` envelope;
 * list calls follow `_links.next.href` to the end.
 */
export class FlowServiceClient extends ServiceClient {
  constructor(options: FlowServiceClientOptions) {
    super(options, FLOW_SERVICE_PATH);
  }

  // ---- base connections -------------------------------------------------------------------

  /** Creates a Stripe base connection with its API key (sent once; the Platform never returns it). */
  async createConnection(input: { name: string; description?: string; accessToken: string }, options?: PlatformCallOptions): Promise<EtaggedRef> {
    return this.create(
      '/connections',
      {
        name: input.name,
        ...(input.description !== undefined ? { description: input.description } : {}),
        connectionSpec: { id: STRIPE_CONNECTION_SPEC_ID, version: SPEC_VERSION },
        auth: { specName: STRIPE_AUTH_SPEC_NAME, params: { accessToken: input.accessToken } },
      },
      options,
    );
  }

  /** The base connection; `PlatformNotFoundError` when it does not exist. */
  getConnection(id: string, options?: PlatformCallOptions): Promise<BaseConnection> {
    return this.getOne<BaseConnection>(`/connections/${encodeURIComponent(id)}`, options);
  }

  /** Base connections named exactly `name` (how a lost create is reconciled). */
  findConnectionsByName(name: string, options?: PlatformCallOptions): Promise<BaseConnection[]> {
    return this.findByName<BaseConnection>('/connections', name, options);
  }

  /** Applies JSON Patch `ops` (`/name`, `/description`, `/auth/params`) if `etag` is still current. */
  updateConnection(id: string, etag: string, ops: PatchOperation[], options?: PlatformCallOptions): Promise<EtaggedRef> {
    return this.patch(`/connections/${encodeURIComponent(id)}`, etag, ops, options);
  }

  /** Deletes the base connection (`1418-400` while a flow uses it). */
  async deleteConnection(id: string, options?: DeleteOptions): Promise<void> {
    await this.http.delete(`${FLOW_SERVICE_PATH}/connections/${encodeURIComponent(id)}`, options);
  }

  /** Whether the Platform can reach Stripe with the connection's key. */
  async testConnection(id: string, options?: PlatformCallOptions): Promise<boolean> {
    const response = await this.http.get<{ result?: unknown }>(`${FLOW_SERVICE_PATH}/connections/${encodeURIComponent(id)}/test`, options);
    if (typeof response.body?.result !== 'boolean') throw this.protocolError('GET', '/connections/{id}/test', response.requestId, 'no boolean `result`');
    return response.body.result;
  }

  /** The schema (and with `preview`, sample rows) the connector infers for a Stripe resource. */
  async explore(id: string, resourcePath: StripeResourcePath, exploreOptions: { preview?: boolean } = {}, options?: PlatformCallOptions): Promise<ExploreResult> {
    const response = await this.http.get<{ schema?: ExploreSchemaNode; data?: Record<string, unknown>[] }>(`${FLOW_SERVICE_PATH}/connections/${encodeURIComponent(id)}/explore`, {
      ...options,
      query: {
        objectType: 'rest',
        object: 'json',
        fileType: 'json',
        preview: exploreOptions.preview === true,
        sourceParams: Buffer.from(JSON.stringify({ resourcePath })).toString('base64'),
      },
    });
    const schema = response.body?.schema;
    if (typeof schema !== 'object' || schema === null) throw this.protocolError('GET', '/connections/{id}/explore', response.requestId, 'no `schema`');
    return Array.isArray(response.body.data) ? { schema, rows: response.body.data } : { schema };
  }

  // ---- source connections -----------------------------------------------------------------

  /** A source connection reading one Stripe resource through a base connection. */
  createSourceConnection(input: { name: string; description?: string; baseConnectionId: string; resourcePath: StripeResourcePath }, options?: PlatformCallOptions): Promise<EtaggedRef> {
    return this.create(
      '/sourceConnections',
      {
        name: input.name,
        ...(input.description !== undefined ? { description: input.description } : {}),
        baseConnectionId: input.baseConnectionId,
        connectionSpec: { id: STRIPE_CONNECTION_SPEC_ID, version: SPEC_VERSION },
        data: { format: 'json' },
        params: { resourcePath: input.resourcePath },
      },
      options,
    );
  }

  getSourceConnection(id: string, options?: PlatformCallOptions): Promise<SourceConnection> {
    return this.getOne<SourceConnection>(`/sourceConnections/${encodeURIComponent(id)}`, options);
  }

  findSourceConnectionsByName(name: string, options?: PlatformCallOptions): Promise<SourceConnection[]> {
    return this.findByName<SourceConnection>('/sourceConnections', name, options);
  }

  async deleteSourceConnection(id: string, options?: DeleteOptions): Promise<void> {
    await this.http.delete(`${FLOW_SERVICE_PATH}/sourceConnections/${encodeURIComponent(id)}`, options);
  }

  // ---- target connections -----------------------------------------------------------------

  /**
   * A data lake target connection writing `parquet_xdm` into `datasetId` with schema
   * `schemaId`. `schemaVersion` is the content type with its major version, e.g.
   * `application/vnd.adobe.xed-full+json;version=1`.
   */
  createTargetConnection(input: { name: string; description?: string; schemaId: string; schemaVersion: string; datasetId: string }, options?: PlatformCallOptions): Promise<EtaggedRef> {
    return this.create(
      '/targetConnections',
      {
        name: input.name,
        ...(input.description !== undefined ? { description: input.description } : {}),
        connectionSpec: { id: DATA_LAKE_CONNECTION_SPEC_ID, version: SPEC_VERSION },
        data: { format: 'parquet_xdm', schema: { id: input.schemaId, version: input.schemaVersion } },
        params: { dataSetId: input.datasetId },
      },
      options,
    );
  }

  getTargetConnection(id: string, options?: PlatformCallOptions): Promise<TargetConnection> {
    return this.getOne<TargetConnection>(`/targetConnections/${encodeURIComponent(id)}`, options);
  }

  findTargetConnectionsByName(name: string, options?: PlatformCallOptions): Promise<TargetConnection[]> {
    return this.findByName<TargetConnection>('/targetConnections', name, options);
  }

  async deleteTargetConnection(id: string, options?: DeleteOptions): Promise<void> {
    await this.http.delete(`${FLOW_SERVICE_PATH}/targetConnections/${encodeURIComponent(id)}`, options);
  }

  // ---- flows --------------------------------------------------------------------------------

  /** A Stripe → data lake flow with one mapping set version and a schedule. New flows are enabled. */
  createFlow(
    input: {
      name: string;
      description?: string;
      sourceConnectionId: string;
      targetConnectionId: string;
      mappingId: string;
      mappingVersion: number;
      schedule: FlowScheduleInput;
    },
    options?: PlatformCallOptions,
  ): Promise<EtaggedRef> {
    const { startTime, frequency, interval, backfill } = input.schedule;
    return this.create(
      '/flows',
      {
        name: input.name,
        ...(input.description !== undefined ? { description: input.description } : {}),
        flowSpec: { id: REST_FLOW_SPEC_ID, version: SPEC_VERSION },
        sourceConnectionIds: [input.sourceConnectionId],
        targetConnectionIds: [input.targetConnectionId],
        transformations: [{ name: 'Mapping', params: { mappingId: input.mappingId, mappingVersion: input.mappingVersion } }],
        scheduleParams: {
          startTime,
          frequency,
          ...(interval !== undefined ? { interval } : {}),
          ...(backfill !== undefined ? { backfill } : {}),
        },
      },
      options,
    );
  }

  async getFlow(id: string, options?: PlatformCallOptions): Promise<Flow> {
    return withSchedule(await this.getOne<Omit<Flow, 'schedule'>>(`/flows/${encodeURIComponent(id)}`, options));
  }

  /**
   * Every flow of the sandbox, in pages of 1000 (the Platform's largest): what the run sync
   * compares with Flowgate's records, a handful of calls however many flows there are.
   */
  async listFlows(options?: PlatformCallOptions): Promise<Flow[]> {
    return (await this.listAll<Omit<Flow, 'schedule'>>('/flows', {}, { ...options, pageSize: 1000 })).map(withSchedule);
  }

  async findFlowsByName(name: string, options?: PlatformCallOptions): Promise<Flow[]> {
    return (await this.findByName<Omit<Flow, 'schedule'>>('/flows', name, options)).map(withSchedule);
  }

  /** Applies JSON Patch `ops` (`/name`, `/scheduleParams/…`, `/transformations/0`…) if `etag` is still current. */
  updateFlow(id: string, etag: string, ops: PatchOperation[], options?: PlatformCallOptions): Promise<EtaggedRef> {
    return this.patch(`/flows/${encodeURIComponent(id)}`, etag, ops, options);
  }

  async deleteFlow(id: string, options?: DeleteOptions): Promise<void> {
    await this.http.delete(`${FLOW_SERVICE_PATH}/flows/${encodeURIComponent(id)}`, options);
  }

  /** Enables a disabled flow; `1422-400` when it is already enabled. */
  enableFlow(id: string, options?: PlatformCallOptions): Promise<EtaggedRef> {
    return this.action(id, 'enable', options);
  }

  /** Disables an enabled flow; `1422-400` when it is already disabled. */
  disableFlow(id: string, options?: PlatformCallOptions): Promise<EtaggedRef> {
    return this.action(id, 'disable', options);
  }

  // ---- runs -------------------------------------------------------------------------------

  /** The flow's runs, oldest first, across every page. */
  async listRuns(flowId: string, options: ListRunsOptions = {}): Promise<FlowRun[]> {
    const { since, limit, ...call } = options;
    const property = [`flowId==${flowId}`];
    if (since !== undefined) property.push(`metrics.durationSummary.startedAtUTC>=${Math.floor(since)}`);
    const runs = await this.listAll<Record<string, unknown>>('/runs', { property }, { ...call, maxItems: limit });
    return runs.map(normaliseRun);
  }

  async getRun(id: string, options?: PlatformCallOptions): Promise<FlowRun> {
    return normaliseRun(await this.getOne<Record<string, unknown>>(`/runs/${encodeURIComponent(id)}`, options));
  }

  // ---- generic --------------------------------------------------------------------------

  /**
   * Every item of a Flow Service list (`path` relative to the Flow Service base, e.g.
   * `/connections`), following `_links.next.href` continuation pages. `maxItems` stops early;
   * `pageSize` overrides the client's page size for this call.
   */
  async listAll<T>(path: string, query: QueryParams = {}, options: PlatformCallOptions & { maxItems?: number; pageSize?: number } = {}): Promise<T[]> {
    const { maxItems, pageSize: requestedPageSize, ...call } = options;
    const basePageSize = requestedPageSize ?? this.pageSize;
    const pageSize = maxItems !== undefined ? Math.max(1, Math.min(basePageSize, maxItems)) : basePageSize;
    const items: T[] = [];
    const seen = new Set<string>();
    let next: string | null = `${FLOW_SERVICE_PATH}${path}`;
    let nextQuery: QueryParams | undefined = { ...query, limit: pageSize };
    for (let page = 0; next !== null && page < MAX_PAGES; page++) {
      const response: { body: { items?: T[]; _links?: { next?: { href?: unknown } } } | undefined; requestId: string } = await this.http.get(next, { ...call, query: nextQuery });
      if (!Array.isArray(response.body?.items)) throw this.protocolError('GET', path, response.requestId, 'no `items` array');
      items.push(...response.body.items);
      if (maxItems !== undefined && items.length >= maxItems) return items.slice(0, maxItems);
      const href = response.body._links?.next?.href;
      next = typeof href === 'string' && href !== '' ? flowServicePathOf(href) : null;
      nextQuery = undefined;
      // A link that repeats would loop forever.
      if (next !== null && seen.has(next)) break;
      if (next !== null) seen.add(next);
    }
    return items;
  }

  private async create(path: string, body: Record<string, unknown>, options?: PlatformCallOptions): Promise<EtaggedRef> {
    const response = await this.http.post<Partial<EtaggedRef>>(`${FLOW_SERVICE_PATH}${path}`, { ...options, body });
    return this.etaggedRef(response.body, 'POST', path, response.requestId);
  }

  private async patch(path: string, etag: string, ops: PatchOperation[], options?: PlatformCallOptions): Promise<EtaggedRef> {
    const response = await this.http.patch<Partial<EtaggedRef>>(`${FLOW_SERVICE_PATH}${path}`, { ...options, body: ops, ifMatch: etag });
    return this.etaggedRef(response.body, 'PATCH', path, response.requestId);
  }

  private async action(id: string, op: 'enable' | 'disable', options?: PlatformCallOptions): Promise<EtaggedRef> {
    const path = `/flows/${encodeURIComponent(id)}/action`;
    const response = await this.http.post<Partial<EtaggedRef>>(`${FLOW_SERVICE_PATH}${path}`, { ...options, query: { op } });
    return this.etaggedRef(response.body, 'POST', path, response.requestId);
  }

  private async getOne<T>(path: string, options?: PlatformCallOptions): Promise<T> {
    const response = await this.http.get<{ items?: T[] }>(`${FLOW_SERVICE_PATH}${path}`, options);
    const item = response.body?.items?.[0];
    if (item === undefined) throw this.protocolError('GET', path, response.requestId, 'no `items[0]`');
    return item;
  }

  /**
   * Exact-name lookup. `property=name==…` treats a comma as OR, so a name with a comma is looked
   * up by listing everything and comparing here; either way only exact matches are returned.
   */
  private async findByName<T extends { name?: string }>(path: string, name: string, options?: PlatformCallOptions): Promise<T[]> {
    const query: QueryParams = name.includes(',') ? {} : { property: [`name==${name}`] };
    const all = await this.listAll<T>(path, query, options);
    return all.filter((item) => item.name === name);
  }

  private etaggedRef(body: Partial<EtaggedRef> | undefined, method: string, path: string, requestId: string): EtaggedRef {
    if (typeof body?.id !== 'string' || typeof body.etag !== 'string') throw this.protocolError(method, path, requestId, 'no `id` and `etag`');
    return { id: body.id, etag: body.etag };
  }
}

/**
 * A continuation link as a path from the host root. Links come relative to the Flow Service base
 * (`/connections?continuationToken=…`), from the host root, or absolute.
 */
function flowServicePathOf(href: string): string {
  let path = href;
  if (/^https?:\/\//i.test(href)) {
    const url = new URL(href);
    path = `${url.pathname}${url.search}`;
  }
  return path.startsWith(FLOW_SERVICE_PATH) ? path : `${FLOW_SERVICE_PATH}${path.startsWith('/') ? '' : '/'}${path}`;
}

function withSchedule(flow: Omit<Flow, 'schedule'>): Flow {
  const raw = flow.scheduleParams ?? {};
  const num = (value: unknown): number | undefined => (value === undefined || value === '' ? undefined : Number(value));
  const interval = num(raw.interval);
  const backfill = raw.backfill === undefined ? undefined : raw.backfill === true || raw.backfill === 'true';
  const schedule: FlowScheduleInput = {
    startTime: Number(raw.startTime),
    frequency: raw.frequency as FlowFrequency,
    ...(interval !== undefined ? { interval } : {}),
    ...(backfill !== undefined ? { backfill } : {}),
  };
  return { ...flow, schedule };
}

const RUN_STATUSES: Record<string, FlowRunStatus> = {
  scheduled: 'scheduled',
  inprogress: 'inProgress',
  success: 'success',
  partialsuccess: 'partialSuccess',
  failed: 'failed',
};

/** Reads `status` from `metrics.statusSummary.status` (any case) and `etag` from `etag`/`eTag`. */
export function normaliseRun(raw: Record<string, unknown>): FlowRun {
  const metrics = raw.metrics as FlowRun['metrics'];
  const status =
    RUN_STATUSES[
      String(metrics?.statusSummary?.status ?? '')
        .replace(/[_\s-]/g, '')
        .toLowerCase()
    ] ?? 'unknown';
  const etag = typeof raw.etag === 'string' ? raw.etag : typeof raw.eTag === 'string' ? raw.eTag : undefined;
  return { ...raw, ...(etag !== undefined ? { etag } : {}), status } as FlowRun;
}
