import { newDatasetId, newHex } from '../../ids.js';
import type { SandboxPartition } from '../../state/store.js';
import { behaviorOfClass } from '../schema-registry/xdm-resources.js';
import { findSchema, schemaVersionMatches } from '../schema-registry/xdm-fields.js';
import { catalogFailure } from './catalog-errors.js';

/**
 * Catalog datasets (PLATFORM-API.md §9): what a create/replace body must hold and the stored
 * dataset object (the value of `GET /dataSets/{id}`'s single key).
 */

/** Attributes Catalog assigns; a body may not set them. */
export const DATASET_READ_ONLY = [
  'imsOrg',
  'sandboxId',
  'version',
  'created',
  'updated',
  'createdClient',
  'createdUser',
  'updatedUser',
  'files',
  'viewId',
  'basePath',
  'lastBatchId',
  'lastBatchStatus',
  'lastSuccessfulBatch',
  'lastFailedBatch',
] as const;

/** Attributes a client may set (the spec's `dataSetRequest`, minus read-only `basePath`). */
const WRITABLE = ['name', 'description', 'schemaRef', 'tags', 'enableErrorDiagnostics', 'observableSchema', 'fileDescription', 'dataSourceId'] as const;

export interface DatasetWriter {
  partition: SandboxPartition;
  orgId: string;
  clientId: string;
  nowMs: number;
}

/**
 * Checks a dataset body and returns its writable attributes. `name` is required (the spec marks
 * nothing required, but every documented request sends one and the UI cannot show a nameless
 * dataset); `schemaRef.id` must be a schema of this org and sandbox and `schemaRef.contentType`
 * must name its major version. Unknown attributes are ignored; read-only ones are refused.
 */
export function readDatasetBody(partition: SandboxPartition, body: unknown): Record<string, unknown> {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw catalogFailure('invalidBody', 'The request body must be a JSON object describing the dataset.');
  }
  const input = body as Record<string, any>;
  for (const key of DATASET_READ_ONLY) {
    if (input[key] !== undefined) throw catalogFailure('invalidField', `'${key}' is assigned by Catalog and cannot be set.`);
  }
  if (input.name === undefined || input.name === null || (typeof input.name === 'string' && input.name.trim() === '')) {
    throw catalogFailure('missingField', "'name' is required.");
  }
  if (typeof input.name !== 'string') throw catalogFailure('invalidField', "'name' must be a string.");
  if (input.description !== undefined && typeof input.description !== 'string') throw catalogFailure('invalidField', "'description' must be a string.");
  if (input.enableErrorDiagnostics !== undefined && typeof input.enableErrorDiagnostics !== 'boolean') {
    throw catalogFailure('invalidField', "'enableErrorDiagnostics' must be a boolean.");
  }
  for (const key of ['observableSchema', 'fileDescription'] as const) {
    if (input[key] !== undefined && (typeof input[key] !== 'object' || input[key] === null || Array.isArray(input[key]))) {
      throw catalogFailure('invalidField', `'${key}' must be an object.`);
    }
  }
  if (input.dataSourceId !== undefined && !Number.isInteger(input.dataSourceId)) throw catalogFailure('invalidField', "'dataSourceId' must be an integer.");
  checkTags(input.tags);
  checkSchemaRef(partition, input.schemaRef, input.schema);
  const out: Record<string, unknown> = {};
  for (const key of WRITABLE) if (input[key] !== undefined) out[key] = structuredClone(input[key]);
  return out;
}

function checkTags(tags: unknown): void {
  if (tags === undefined) return;
  const valid = typeof tags === 'object' && tags !== null && !Array.isArray(tags) && Object.values(tags).every((values) => Array.isArray(values) && values.every((v) => typeof v === 'string'));
  if (!valid) throw catalogFailure('invalidField', '\'tags\' must be an object whose values are arrays of strings, e.g. {"unifiedProfile": ["enabled:true"]}.');
}

function checkSchemaRef(partition: SandboxPartition, schemaRef: unknown, legacySchema: unknown): void {
  if (schemaRef === undefined || schemaRef === null) {
    const hint = legacySchema !== undefined ? " The deprecated 'schema' attribute is not accepted; send schemaRef {id, contentType}." : '';
    throw catalogFailure('missingField', `'schemaRef' is required.${hint}`);
  }
  if (typeof schemaRef !== 'object' || Array.isArray(schemaRef)) throw catalogFailure('invalidField', "'schemaRef' must be an object {id, contentType}.");
  const { id, contentType } = schemaRef as Record<string, unknown>;
  if (id === undefined || id === null || id === '') throw catalogFailure('missingField', "'schemaRef.id' is required.");
  if (typeof id !== 'string') throw catalogFailure('invalidField', "'schemaRef.id' must be a string.");
  if (contentType === undefined || contentType === null || contentType === '') throw catalogFailure('missingField', "'schemaRef.contentType' is required.");
  if (typeof contentType !== 'string') throw catalogFailure('invalidField', "'schemaRef.contentType' must be a string.");
  const schema = findSchema(partition, id);
  if (!schema || schema.wire.$id !== id) {
    throw catalogFailure('schemaNotFound', `'schemaRef.id': schema ${id} does not exist in this organization and sandbox. Use the schema's $id.`);
  }
  if (!schemaVersionMatches(schema, contentType)) {
    throw catalogFailure('schemaVersion', `'schemaRef.contentType' ${contentType} does not name the schema's version ${schema.wire.version}.`);
  }
}

/**
 * Tags Catalog adds to every dataset it creates (catalog.yaml `datasetPatchRequestV2.tags`): the
 * Query Service table name and the data lake's table format (the spec's example value).
 */
export const SYSTEM_TAGS = { table: 'adobe/pqs/table', format: 'adobe/siphon/table/format' } as const;

/** The Query Service table name of a dataset: its name in lower case, other characters as `_`. */
export function tableNameOf(name: string): string {
  const base = name
    .toLowerCase()
    .replace(/[^a-z0-9_]+/g, '_')
    .replace(/^_+|_+$/g, '');
  return base === '' ? 'dataset' : base;
}

/** A new dataset object from checked attributes. */
export function newDataset(writer: DatasetWriter, attributes: Record<string, unknown>, requestDataSource: boolean): { id: string; wire: Record<string, any> } {
  const id = newDatasetId();
  const user = `${writer.clientId}@AdobeID`;
  const wire: Record<string, any> = {
    version: '1.0.0',
    imsOrg: writer.orgId,
    sandboxId: writer.partition.sandboxId,
    ...attributes,
    tags: withSystemTags(attributes.tags, tableNameOf(String(attributes.name))),
    // Catalog's documented dataset objects carry their classification (catalog.yaml
    // `datasetPatchRequestV2.classification`): the schema's behaviour, managed by the customer.
    classification: { dataBehavior: dataBehaviorOf(writer.partition, attributes.schemaRef), managedBy: 'CUSTOMER' },
    created: writer.nowMs,
    updated: writer.nowMs,
    createdClient: writer.clientId,
    createdUser: user,
    updatedUser: user,
    viewId: newHex(24),
    files: `@/dataSetFiles?dataSetId=${id}`,
    observableSchema: attributes.observableSchema ?? {},
  };
  // `?requestDataSource=true` asks Catalog to create a data source for the dataset.
  if (requestDataSource && wire.dataSourceId === undefined) wire.dataSourceId = Number.parseInt(newHex(6), 16);
  return { id, wire };
}

/** The client's tags plus Catalog's own (which a client may not remove: they name the dataset's table). */
function withSystemTags(tags: unknown, tableName: string, existing?: Record<string, string[]>): Record<string, string[]> {
  const out: Record<string, string[]> = { ...((tags as Record<string, string[]> | undefined) ?? {}) };
  out[SYSTEM_TAGS.table] = existing?.[SYSTEM_TAGS.table] ?? [tableName];
  out[SYSTEM_TAGS.format] = existing?.[SYSTEM_TAGS.format] ?? ['parquet'];
  return out;
}

/** `record`, `time-series` or `adhoc`: the behaviour of the dataset schema's class. */
function dataBehaviorOf(partition: SandboxPartition, schemaRef: unknown): string {
  const schemaId = (schemaRef as { id?: unknown } | undefined)?.id;
  const schema = typeof schemaId === 'string' ? findSchema(partition, schemaId) : undefined;
  const classId = schema?.wire['meta:class'];
  const behavior = typeof classId === 'string' ? behaviorOfClass(partition, classId) : undefined;
  return behavior?.split('/').pop() ?? 'record';
}

/** Replaces a dataset's writable attributes, keeping what Catalog owns, and bumps its patch version. */
export function updateDataset(wire: Record<string, any>, attributes: Record<string, unknown>, writer: Pick<DatasetWriter, 'clientId' | 'nowMs'>): void {
  const systemTags = wire.tags as Record<string, string[]> | undefined;
  for (const key of WRITABLE) delete wire[key];
  Object.assign(wire, attributes);
  wire.tags = withSystemTags(attributes.tags, tableNameOf(String(wire.name)), systemTags);
  wire.observableSchema ??= {};
  wire.updated = writer.nowMs;
  wire.updatedUser = `${writer.clientId}@AdobeID`;
  const [major = '1', minor = '0', patch = '0'] = String(wire.version).split('.');
  wire.version = `${major}.${minor}.${Number(patch) + 1}`;
}

/** The writable attributes of a stored dataset (what a PATCH starts from). */
export function writableAttributes(wire: Record<string, any>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const key of WRITABLE) if (wire[key] !== undefined) out[key] = structuredClone(wire[key]);
  return out;
}
