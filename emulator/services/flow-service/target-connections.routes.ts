import type { FastifyInstance } from 'fastify';
import type { EmulatorContext, PlatformCall } from '../../context.js';
import { catalogueError } from '../../errors/error-bodies.js';
import { FLOW_SERVICE_ERRORS as FLOW, SOURCES_ERRORS as SOURCES } from '../../errors/error-catalogue.js';
import { familyErrors } from '../../http/family-errors.js';
import { listFlowItems } from '../../http/flow-listing.js';
import { applyPatch, parseFlowPatch } from '../../http/json-patch.js';
import type { SandboxPartition, WireRecord } from '../../state/store.js';
import { findSchema, schemaVersionMatches } from '../schema-registry/xdm-fields.js';
import { checkIfMatch, invalidField, readObject, readString, requireObjectBody } from './request-checks.js';
import { FLOW_SERVICE_BASE, newResourceMeta, touchResource } from './resource-meta.js';
import { unknownReference } from './source-connections.routes.js';
import { DATA_LAKE_CONNECTION_SPEC_ID, SPEC_VERSION } from './specs.data.js';

/** Target connections: which dataset (and XDM schema) a flow writes into. */
export function registerTargetConnectionRoutes(app: FastifyInstance, ctx: EmulatorContext): void {
  const base = `${FLOW_SERVICE_BASE}/targetConnections`;

  app.post(base, async (request, reply) => {
    const call = request.platform!;
    const body = requireObjectBody(request.body);
    const name = readString(body, 'name', 'name', false);
    const description = readString(body, 'description', 'description', false);
    const connectionSpec = readObject(body, 'connectionSpec', 'connectionSpec', true);
    const specId = readString(connectionSpec, 'id', 'connectionSpec.id', true);
    const specVersion = readString(connectionSpec, 'version', 'connectionSpec.version', false);
    if (specId !== DATA_LAKE_CONNECTION_SPEC_ID) {
      throw catalogueError(SOURCES.invalidTargetSpec, { targetConnectionSpecId: specId }, { field: 'connectionSpec.id' });
    }
    if (specVersion !== undefined && specVersion !== SPEC_VERSION) throw catalogueError(FLOW.invalidSpecId, { specId: `${specId} version ${specVersion}` }, { field: 'connectionSpec.version' });
    const data = readTargetData(call.partition, body);
    const params = readTargetParams(call.partition, body, data.schema.id);

    const nowMs = ctx.clock.nowMs();
    const wire: Record<string, any> = {
      ...newResourceMeta(call, nowMs),
      ...(name !== undefined ? { name } : {}),
      ...(description !== undefined ? { description } : {}),
      state: 'enabled',
      data,
      params,
      connectionSpec: { id: specId, version: SPEC_VERSION },
    };
    call.partition.targetConnections.set(wire.id, { wire });
    reply.code(201).header('location', `${base}/${wire.id}`);
    return { id: wire.id, etag: wire.etag };
  });

  app.get(base, async (request) => {
    const items = [...request.platform!.partition.targetConnections.values()].map((c) => c.wire);
    return listFlowItems(items, request.query as Record<string, unknown>, { selfPath: '/targetConnections' });
  });

  app.get(`${base}/:id`, async (request) => ({ items: [findTargetConnection(ctx, request.platform!, (request.params as { id: string }).id).wire] }));

  app.patch(`${base}/:id`, async (request) => {
    const call = request.platform!;
    const target = findTargetConnection(ctx, call, (request.params as { id: string }).id);
    checkIfMatch(request, target.wire.etag, true);
    const operations = parseFlowPatch(request.body, ['/name', '/description']);
    const patched = applyPatch({ name: target.wire.name, description: target.wire.description }, operations);
    for (const field of ['name', 'description'] as const) {
      if (patched[field] !== undefined && typeof patched[field] !== 'string') throw invalidField(field, 'must be a string');
      if (patched[field] === undefined) delete target.wire[field];
      else target.wire[field] = patched[field];
    }
    touchResource(target.wire, call, ctx.clock.nowMs());
    return { items: [target.wire] };
  });

  app.delete(`${base}/:id`, async (request, reply) => {
    const call = request.platform!;
    const target = findTargetConnection(ctx, call, (request.params as { id: string }).id);
    // If-Match is optional on deletes; when sent, a stale etag is refused like on PATCH.
    checkIfMatch(request, target.wire.etag, false);
    const usedBy = [...call.partition.flows.values()].filter((f) => f.wire.targetConnectionIds.includes(target.wire.id)).map((f) => f.wire.id);
    if (usedBy.length > 0) {
      throw catalogueError(FLOW.activeFlowsReferenceId, `Flows ${usedBy.join(', ')} use this target connection. Delete them first.`);
    }
    call.partition.targetConnections.delete(target.wire.id);
    reply.code(204);
  });
}

export function findTargetConnection(ctx: EmulatorContext, call: PlatformCall, id: string): WireRecord {
  const target = call.partition.targetConnections.get(id);
  if (!target) throw familyErrors.notFound('flow', 'Target connection', id, ctx.clock.nowMs());
  return target;
}

function readTargetData(partition: SandboxPartition, body: Record<string, unknown>): { format: string; schema: { id: string; version: string } } {
  const data = readObject(body, 'data', 'data', true);
  const format = readString(data, 'format', 'data.format', true);
  if (format !== 'parquet_xdm') throw catalogueError(SOURCES.invalidParamValue, `'${format}' is not a valid value for data.format. The data lake takes parquet_xdm.`, { field: 'data.format' });
  const schemaRef = readObject(data, 'schema', 'data.schema', true);
  const schemaId = readString(schemaRef, 'id', 'data.schema.id', true);
  const version = readString(schemaRef, 'version', 'data.schema.version', true);
  const schema = findSchema(partition, schemaId);
  if (!schema) throw unknownReference('data.schema.id', schemaId);
  if (!schemaVersionMatches(schema, version)) {
    throw catalogueError(SOURCES.invalidParamValue, `'${version}' is not a valid value for data.schema.version: schema ${schemaId} is at version ${schema.wire.version}.`, {
      field: 'data.schema.version',
    });
  }
  return { format, schema: { id: schema.wire.$id, version } };
}

function readTargetParams(partition: SandboxPartition, body: Record<string, unknown>, schemaId: string): { dataSetId: string } {
  const params = readObject(body, 'params', 'params', false);
  const dataSetId = params?.dataSetId;
  if (dataSetId === undefined || dataSetId === null || dataSetId === '') throw catalogueError(SOURCES.dataSetIdMissing, undefined, { field: 'params.dataSetId' });
  if (typeof dataSetId !== 'string') throw invalidField('params.dataSetId', 'must be a string');
  const dataset = partition.datasets.get(dataSetId);
  if (!dataset) throw unknownReference('params.dataSetId', dataSetId);
  if (dataset.wire.schemaRef?.id !== schemaId) {
    throw catalogueError(FLOW.mappingSchemaMismatch, `Dataset ${dataSetId} uses schema ${dataset.wire.schemaRef?.id}, not ${schemaId}. The target schema and the dataset's schema must be the same.`, {
      field: 'params.dataSetId',
    });
  }
  return { dataSetId };
}
