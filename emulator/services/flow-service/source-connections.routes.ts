import type { FastifyInstance } from 'fastify';
import type { EmulatorContext, PlatformCall } from '../../context.js';
import { catalogueError } from '../../errors/error-bodies.js';
import { FLOW_SERVICE_ERRORS as FLOW, SOURCES_ERRORS as SOURCES } from '../../errors/error-catalogue.js';
import { familyErrors } from '../../http/family-errors.js';
import { listFlowItems } from '../../http/flow-listing.js';
import { applyPatch, parseFlowPatch } from '../../http/json-patch.js';
import type { WireRecord } from '../../state/store.js';
import { isStripeResourcePath, STRIPE_RESOURCE_PATHS } from '../../stripe/stripe-resources.js';
import { checkIfMatch, invalidField, readObject, readString, requireObjectBody } from './request-checks.js';
import { FLOW_SERVICE_BASE, newResourceMeta, touchResource } from './resource-meta.js';
import { SPEC_VERSION, STRIPE_CONNECTION_SPEC_ID } from './specs.data.js';

/** Source connections: which Stripe resource of which base connection a flow reads. */
export function registerSourceConnectionRoutes(app: FastifyInstance, ctx: EmulatorContext): void {
  const base = `${FLOW_SERVICE_BASE}/sourceConnections`;

  app.post(base, async (request, reply) => {
    const call = request.platform!;
    const body = requireObjectBody(request.body);
    const name = readString(body, 'name', 'name', true);
    const description = readString(body, 'description', 'description', false);
    const connectionSpec = readObject(body, 'connectionSpec', 'connectionSpec', true);
    const specId = readString(connectionSpec, 'id', 'connectionSpec.id', true);
    const specVersion = readString(connectionSpec, 'version', 'connectionSpec.version', false);
    if (specId !== STRIPE_CONNECTION_SPEC_ID || (specVersion !== undefined && specVersion !== SPEC_VERSION)) {
      throw catalogueError(FLOW.invalidSpecId, { specId }, { field: 'connectionSpec.id' });
    }
    const baseConnectionId = readString(body, 'baseConnectionId', 'baseConnectionId', true);
    const baseConnection = call.partition.connections.get(baseConnectionId);
    if (!baseConnection) throw unknownReference('baseConnectionId', baseConnectionId);
    if (baseConnection.wire.connectionSpec.id !== specId) {
      throw catalogueError(FLOW.invalidSpecId, `The connection spec '${specId}' does not match the base connection's spec '${baseConnection.wire.connectionSpec.id}'.`, { field: 'connectionSpec.id' });
    }
    const data = readObject(body, 'data', 'data', true);
    const format = readString(data, 'format', 'data.format', true);
    if (format !== 'json') throw catalogueError(SOURCES.unsupportedSourceFormat, `The source format '${format}' is not supported by Stripe. Use json.`, { field: 'data.format' });
    const params = readStripeParams(body);

    const nowMs = ctx.clock.nowMs();
    const wire: Record<string, any> = {
      ...newResourceMeta(call, nowMs),
      name,
      ...(description !== undefined ? { description } : {}),
      baseConnectionId,
      state: 'enabled',
      data: { format },
      connectionSpec: { id: specId, version: SPEC_VERSION },
      params,
      providerRefId: baseConnectionId,
      inheritedAttributes: { baseConnection: { id: baseConnectionId, connectionSpec: { id: specId, version: SPEC_VERSION } } },
    };
    call.partition.sourceConnections.set(wire.id, { wire });
    reply.code(201).header('location', `${base}/${wire.id}`);
    return { id: wire.id, etag: wire.etag };
  });

  app.get(base, async (request) => {
    const items = [...request.platform!.partition.sourceConnections.values()].map((c) => c.wire);
    return listFlowItems(items, request.query as Record<string, unknown>, { selfPath: '/sourceConnections' });
  });

  app.get(`${base}/:id`, async (request) => ({ items: [findSourceConnection(ctx, request.platform!, (request.params as { id: string }).id).wire] }));

  app.patch(`${base}/:id`, async (request) => {
    const call = request.platform!;
    const source = findSourceConnection(ctx, call, (request.params as { id: string }).id);
    checkIfMatch(request, source.wire.etag, true);
    const operations = parseFlowPatch(request.body, ['/name', '/description', '/params', '/params/resourcePath']);
    const patched = applyPatch({ name: source.wire.name, description: source.wire.description, params: source.wire.params }, operations);
    if (typeof patched.name !== 'string' || patched.name.trim() === '') throw invalidField('name', 'must be a non-empty string');
    if (patched.description !== undefined && typeof patched.description !== 'string') throw invalidField('description', 'must be a string');
    const params = readStripeParams(patched);
    source.wire.name = patched.name;
    if (patched.description === undefined) delete source.wire.description;
    else source.wire.description = patched.description;
    source.wire.params = params;
    touchResource(source.wire, call, ctx.clock.nowMs());
    // The spec answers a source-connection PATCH with the list envelope, unlike connections and flows.
    return { items: [source.wire] };
  });

  app.delete(`${base}/:id`, async (request, reply) => {
    const call = request.platform!;
    const source = findSourceConnection(ctx, call, (request.params as { id: string }).id);
    // If-Match is optional on deletes; when sent, a stale etag is refused like on PATCH.
    checkIfMatch(request, source.wire.etag, false);
    const usedBy = [...call.partition.flows.values()].filter((f) => f.wire.sourceConnectionIds.includes(source.wire.id)).map((f) => f.wire.id);
    if (usedBy.length > 0) {
      throw catalogueError(FLOW.activeFlowsReferenceId, `Flows ${usedBy.join(', ')} use this source connection. Delete them first.`);
    }
    call.partition.sourceConnections.delete(source.wire.id);
    reply.code(204);
  });
}

export function findSourceConnection(ctx: EmulatorContext, call: PlatformCall, id: string): WireRecord {
  const source = call.partition.sourceConnections.get(id);
  if (!source) throw familyErrors.notFound('flow', 'Source connection', id, ctx.clock.nowMs());
  return source;
}

/** A request that points at an id that does not exist in this org and sandbox. */
export function unknownReference(field: string, id: string): Error {
  return catalogueError(FLOW.entityIdUnresolvable, `The ${field} '${id}' does not exist in this organization and sandbox.`, { field });
}

function readStripeParams(body: Record<string, unknown>): { resourcePath: string } {
  const params = readObject(body, 'params', 'params', true);
  for (const key of Object.keys(params)) if (key !== 'resourcePath') throw invalidField(`params.${key}`, 'is not a parameter of the Stripe source spec');
  const resourcePath = readString(params, 'resourcePath', 'params.resourcePath', true);
  if (!isStripeResourcePath(resourcePath)) {
    throw catalogueError(SOURCES.invalidParamValue, `'${resourcePath}' is not a valid value for params.resourcePath. Use one of ${STRIPE_RESOURCE_PATHS.join(', ')}.`, {
      field: 'params.resourcePath',
    });
  }
  return { resourcePath };
}
