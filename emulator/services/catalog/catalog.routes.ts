import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { EmulatorContext, PlatformCall } from '../../context.js';
import { queryBoolean } from '../../http/query-values.js';
import { JsonPatchError, applyJsonPatch, parseJsonPatch } from '../schema-registry/json-patch-rfc6902.js';
import type { BatchRecord } from './batches.js';
import { catalogFailure } from './catalog-errors.js';
import { integerParam, listCatalogObjects, projectProperties } from './catalog-listing.js';
import { DATASET_READ_ONLY, newDataset, readDatasetBody, updateDataset, writableAttributes, type DatasetWriter } from './datasets.js';

/**
 * Catalog (`/data/foundation/catalog`): datasets (create, read, list, PATCH, PUT, DELETE), the
 * batches the run engine records and the last batches per dataset. Error codes: see `catalog-errors.ts`.
 *
 * Deleting a dataset removes it and its ingested records; its batches stay readable with status
 * `deleted` (a value of the spec's batch status enum), so run history still resolves.
 */
export const CATALOG_BASE = '/data/foundation/catalog';

/** Simple `attr=value` filters Catalog's spec lists for each list endpoint. */
const DATASET_FILTERS = ['name', 'description', 'version', 'created', 'updated', 'createdClient', 'createdUser', 'updatedUser', 'enableErrorDiagnostics'] as const;
const LAST_BATCH_FILTERS = ['lastBatchId', 'lastBatchStatus', 'lastSuccessfulBatchId', 'lastFailedBatchId', 'created', 'updated'] as const;
const BATCH_FILTERS = ['status', 'version', 'created', 'updated', 'createdClient', 'createdUser', 'updatedUser', 'recordCount', 'failedRecordCount', 'size', 'started', 'completed'] as const;

/** Registers the Catalog routes; every handler runs after the gateway checks (`request.platform` is set). */
export function registerCatalogRoutes(app: FastifyInstance, ctx: EmulatorContext): void {
  const base = CATALOG_BASE;
  const platform = (request: FastifyRequest): PlatformCall => request.platform!;
  const writerFor = (request: FastifyRequest): DatasetWriter => {
    const call = platform(request);
    return { partition: call.partition, orgId: call.orgId, clientId: call.clientId, nowMs: ctx.clock.nowMs() };
  };
  const datasetOf = (request: FastifyRequest) => {
    const id = (request.params as { id: string }).id;
    const dataset = platform(request).partition.datasets.get(id);
    if (!dataset) throw catalogFailure('notFound', `Dataset '${id}' was not found in this organization and sandbox.`);
    return { id, dataset };
  };
  const ref = (id: string) => [`@/dataSets/${id}`];

  app.post(`${base}/dataSets`, async (request, reply) => {
    const writer = writerFor(request);
    const attributes = readDatasetBody(writer.partition, request.body);
    const query = request.query as Record<string, unknown>;
    const { id, wire } = newDataset(writer, attributes, queryBoolean(query.requestDataSource) === true);
    writer.partition.datasets.set(id, { wire });
    reply.code(201).header('location', `${base}/dataSets/${id}`);
    return ref(id);
  });

  app.get(`${base}/dataSets`, async (request) => {
    const entries = [...platform(request).partition.datasets].map(([id, record]) => [id, record.wire] as [string, Record<string, unknown>]);
    return listCatalogObjects(entries, request.query as Record<string, unknown>, { simpleFilters: DATASET_FILTERS });
  });

  app.get(`${base}/dataSets/:id`, async (request) => {
    const { id, dataset } = datasetOf(request);
    const properties = (request.query as Record<string, unknown>).properties;
    const projection = typeof properties === 'string' && properties !== '' ? properties.split(',').map((p) => p.trim()) : undefined;
    return { [id]: projectProperties(dataset.wire, projection) };
  });

  app.patch(`${base}/dataSets/:id`, async (request) => {
    const { id, dataset } = datasetOf(request);
    const writer = writerFor(request);
    const current = writableAttributes(dataset.wire);
    let next: unknown;
    if (Array.isArray(request.body) || String(request.headers['content-type'] ?? '').startsWith('application/json-patch+json')) {
      try {
        const operations = parseJsonPatch(request.body);
        for (const operation of operations) {
          const attribute = operation.path.split('/')[1]?.replace(/~1/g, '/').replace(/~0/g, '~');
          if (attribute !== undefined && (DATASET_READ_ONLY as readonly string[]).includes(attribute)) {
            throw catalogFailure('invalidField', `'${attribute}' is assigned by Catalog and cannot be set.`);
          }
        }
        next = applyJsonPatch(current, operations);
      } catch (error) {
        if (error instanceof JsonPatchError) throw catalogFailure('invalidBody', error.message);
        throw error;
      }
    } else if (typeof request.body === 'object' && request.body !== null) {
      // Partial JSON: the attributes sent replace the stored ones; the rest stay.
      next = { ...current, ...(request.body as Record<string, unknown>) };
    } else {
      throw catalogFailure('invalidBody', 'The request body must be a JSON object of attributes or a JSON Patch array.');
    }
    updateDataset(dataset.wire, readDatasetBody(writer.partition, next), writer);
    return ref(id);
  });

  app.put(`${base}/dataSets/:id`, async (request) => {
    const { id, dataset } = datasetOf(request);
    const writer = writerFor(request);
    updateDataset(dataset.wire, readDatasetBody(writer.partition, request.body), writer);
    return ref(id);
  });

  app.delete(`${base}/dataSets/:id`, async (request) => {
    const { id } = datasetOf(request);
    const partition = platform(request).partition;
    partition.datasets.delete(id);
    partition.datasetRecords.delete(id);
    for (const record of partition.batches.values()) {
      const batch = record as BatchRecord;
      if (batch.datasetId === id && batch.wire.status !== 'deleted') {
        // A new object rather than a change in place: a finished batch is otherwise never
        // modified, and the state snapshot reuses what it serialised for it.
        batch.wire = { ...batch.wire, status: 'deleted', updated: ctx.clock.nowMs() };
      }
    }
    return ref(id);
  });

  app.get(`${base}/batches`, async (request) => {
    const query = request.query as Record<string, unknown>;
    const after = timestampParam(query.createdAfter, 'createdAfter');
    const before = timestampParam(query.createdBefore, 'createdBefore');
    const dataSet = typeof query.dataSet === 'string' && query.dataSet !== '' ? query.dataSet : undefined;
    const batchId = typeof query.batch === 'string' && query.batch !== '' ? query.batch : undefined;
    const entries = [...platform(request).partition.batches].map(([id, record]) => [id, record.wire] as [string, Record<string, unknown>]);
    return listCatalogObjects(entries, query, {
      simpleFilters: BATCH_FILTERS,
      extraFilter: (wire: Record<string, unknown>, id: string) => {
        const created = wire.created as number;
        const related = (wire.relatedObjects ?? []) as { type?: string; id?: string }[];
        return (
          (after === undefined || created > after) &&
          (before === undefined || created < before) &&
          (batchId === undefined || id === batchId) &&
          (dataSet === undefined || related.some((o) => o.type === 'dataSet' && o.id === dataSet))
        );
      },
    });
  });

  // catalog.yaml `GET /lastBatches`: per dataset that has batches, its last, last successful and
  // last failed batch, keyed by dataset id (the spec's `lastBatchesResponse`).
  app.get(`${base}/lastBatches`, async (request) => {
    const query = request.query as Record<string, unknown>;
    const partition = platform(request).partition;
    const wanted = typeof query.dataSetId === 'string' && query.dataSetId !== '' ? new Set(query.dataSetId.split(',').map((id) => id.trim())) : undefined;
    const entries: [string, Record<string, unknown>][] = [];
    for (const [id, record] of partition.datasets) {
      const dataset = record.wire as { lastBatchId?: string; lastBatchStatus?: string; lastSuccessfulBatch?: string; lastFailedBatch?: string };
      const last = typeof dataset.lastBatchId === 'string' ? partition.batches.get(dataset.lastBatchId) : undefined;
      if (!last || (wanted && !wanted.has(id))) continue;
      entries.push([
        id,
        {
          lastBatchId: dataset.lastBatchId,
          lastBatchStatus: dataset.lastBatchStatus,
          ...(dataset.lastSuccessfulBatch ? { lastSuccessfulBatchId: dataset.lastSuccessfulBatch } : {}),
          ...(dataset.lastFailedBatch ? { lastFailedBatchId: dataset.lastFailedBatch } : {}),
          imsOrg: partition.orgId,
          sandboxId: partition.sandboxId,
          created: last.wire.created as number,
          updated: last.wire.updated as number,
        },
      ]);
    }
    return listCatalogObjects(entries, query, { simpleFilters: LAST_BATCH_FILTERS });
  });

  app.get(`${base}/batches/:id`, async (request) => {
    const id = (request.params as { id: string }).id;
    const batch = platform(request).partition.batches.get(id);
    if (!batch) throw catalogFailure('notFound', `Batch '${id}' was not found in this organization and sandbox.`);
    return { [id]: structuredClone(batch.wire) };
  });
}

/** `createdAfter`/`createdBefore`: epoch milliseconds, exclusive. */
function timestampParam(raw: unknown, name: string): number | undefined {
  return raw === undefined ? undefined : integerParam(raw, name, 0, 0, Number.MAX_SAFE_INTEGER);
}
