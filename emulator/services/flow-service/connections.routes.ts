import type { FastifyInstance } from 'fastify';
import type { EmulatorContext, PlatformCall } from '../../context.js';
import { catalogueError } from '../../errors/error-bodies.js';
import { FLOW_SERVICE_ERRORS as FLOW, SOURCES_ERRORS as SOURCES } from '../../errors/error-catalogue.js';
import { familyErrors } from '../../http/family-errors.js';
import { listFlowItems } from '../../http/flow-listing.js';
import { queryBoolean } from '../../http/query-values.js';
import { applyPatch, parseFlowPatch } from '../../http/json-patch.js';
import type { ConnectionRecord } from '../../state/store.js';
import { isStripeResourcePath, STRIPE_RESOURCE_PATHS } from '../../stripe/stripe-resources.js';
import { checkIfMatch, invalidField, readObject, readString, requireObjectBody } from './request-checks.js';
import { FLOW_SERVICE_BASE, newResourceMeta, touchResource } from './resource-meta.js';
import { CONNECTION_SPECS, SPEC_VERSION, STRIPE_CONNECTION_SPEC, STRIPE_CONNECTION_SPEC_ID } from './specs.data.js';
import { maskAuthParams } from './stripe-credentials.js';

const PREVIEW_ROWS = 5;

/** Base connections ("accounts"): create, read, list, update, delete, test and explore. */
export function registerConnectionRoutes(app: FastifyInstance, ctx: EmulatorContext): void {
  const base = `${FLOW_SERVICE_BASE}/connections`;

  app.post(base, async (request, reply) => {
    const call = request.platform!;
    const body = requireObjectBody(request.body);
    const connectionSpec = readObject(body, 'connectionSpec', 'connectionSpec', true);
    const specId = readString(connectionSpec, 'id', 'connectionSpec.id', true);
    const specVersion = readString(connectionSpec, 'version', 'connectionSpec.version', false);
    const spec = CONNECTION_SPECS.find((s) => s.id === specId);
    if (!spec || (specVersion !== undefined && specVersion !== SPEC_VERSION)) {
      throw catalogueError(FLOW.invalidSpecId, `connectionSpec.id '${specId}'${specVersion ? ` (version ${specVersion})` : ''} is not a valid connection spec.`, { field: 'connectionSpec.id' });
    }
    if (spec.id !== STRIPE_CONNECTION_SPEC_ID) {
      throw catalogueError(FLOW.invalidSpecId, `connectionSpec.id '${spec.id}' is the ${spec.name} spec, which does not take a base connection.`, { field: 'connectionSpec.id' });
    }
    const name = readString(body, 'name', 'name', true);
    const description = readString(body, 'description', 'description', false);
    const authParams = readStripeAuth(body);

    const nowMs = ctx.clock.nowMs();
    const wire: Record<string, any> = {
      ...newResourceMeta(call, nowMs),
      name,
      ...(description !== undefined ? { description } : {}),
      connectionSpec: { id: spec.id, version: SPEC_VERSION },
      state: 'enabled',
      auth: { specName: STRIPE_CONNECTION_SPEC.authSpec[0].name, params: maskAuthParams(authParams) },
    };
    call.partition.connections.set(wire.id, { wire, authParams });
    reply.code(201).header('location', `${base}/${wire.id}`);
    return { id: wire.id, etag: wire.etag };
  });

  app.get(base, async (request) => {
    const items = [...request.platform!.partition.connections.values()].map((c) => c.wire);
    return listFlowItems(items, request.query as Record<string, unknown>, { selfPath: '/connections' });
  });

  app.get(`${base}/:id`, async (request) => ({ items: [findConnection(ctx, request.platform!, (request.params as { id: string }).id).wire] }));

  app.patch(`${base}/:id`, async (request) => {
    const call = request.platform!;
    const connection = findConnection(ctx, call, (request.params as { id: string }).id);
    checkIfMatch(request, connection.wire.etag, true);
    if (Array.isArray(request.body) && request.body.some((op) => typeof op?.path === 'string' && op.path.startsWith('/connectionSpec'))) {
      throw catalogueError(FLOW.connectionSpecImmutable, 'The connection spec of a connection cannot be updated.', { field: 'connectionSpec' });
    }
    const operations = parseFlowPatch(request.body, ['/name', '/description', '/auth/params', '/auth/params/*']);
    // Patch a view that carries the real params so `/auth/params/accessToken` edits what is stored.
    const patched = applyPatch({ name: connection.wire.name, description: connection.wire.description, auth: { params: connection.authParams } }, operations);
    if (typeof patched.name !== 'string' || patched.name.trim() === '') throw invalidField('name', 'must be a non-empty string');
    if (patched.description !== undefined && typeof patched.description !== 'string') throw invalidField('description', 'must be a string');
    const authParams = validateStripeAuthParams(patched.auth?.params, 'auth.params');
    connection.authParams = authParams;
    connection.wire.name = patched.name;
    if (patched.description === undefined) delete connection.wire.description;
    else connection.wire.description = patched.description;
    connection.wire.auth = { specName: connection.wire.auth.specName, params: maskAuthParams(authParams) };
    touchResource(connection.wire, call, ctx.clock.nowMs());
    return { id: connection.wire.id, etag: connection.wire.etag };
  });

  app.delete(`${base}/:id`, async (request, reply) => {
    const call = request.platform!;
    const connection = findConnection(ctx, call, (request.params as { id: string }).id);
    // If-Match is optional on deletes; when sent, a stale etag is refused like on PATCH.
    checkIfMatch(request, connection.wire.etag, false);
    const usedBy = flowsUsingConnection(call, connection.wire.id);
    if (usedBy.length > 0) {
      throw catalogueError(FLOW.baseConnectionInUse, `The base connection is used by ${usedBy.length} flow(s) (${usedBy.join(', ')}). Delete those flows first.`);
    }
    call.partition.connections.delete(connection.wire.id);
    reply.code(204);
  });

  app.get(`${base}/:id/test`, async (request) => {
    const connection = findConnection(ctx, request.platform!, (request.params as { id: string }).id);
    return { result: ctx.accounts.accepts(connection.authParams.accessToken) };
  });

  app.get(`${base}/:id/explore`, async (request) => {
    const connection = findConnection(ctx, request.platform!, (request.params as { id: string }).id);
    const query = request.query as Record<string, string | undefined>;
    const objectType = query.objectType;
    if (objectType === undefined || objectType === '') {
      throw catalogueError(SOURCES.emptyQueryParam, "The query parameter 'objectType' is empty or missing.", { field: 'objectType' });
    }
    const kind = objectType.toLowerCase();
    if (!ctx.accounts.accepts(connection.authParams.accessToken)) throw stripeRejectedKey();
    if (kind === 'root') {
      // The listing form the spec documents: one entry per resource the connector can read.
      return STRIPE_RESOURCE_PATHS.map((path) => ({ type: 'table', name: path, path, canPreview: true, canFetchSchema: true }));
    }
    if (kind !== 'rest') {
      throw catalogueError(SOURCES.invalidObjectType, `The objectType '${objectType}' is not valid for this connection. Use rest (or root to list resources).`, { field: 'objectType' });
    }
    const fileType = query.fileType ?? query.FileType;
    if (fileType !== undefined && fileType.toLowerCase() !== 'json') {
      throw catalogueError(SOURCES.invalidParamValue, `The fileType '${fileType}' is not supported by Stripe. Use json.`, { field: 'fileType' });
    }
    const resourcePath = decodeSourceParams(query.sourceParams);
    const preview = queryBoolean(query.preview);
    if (preview === null) throw catalogueError(SOURCES.invalidParamValue, "The parameter 'preview' must be true or false (any case).", { field: 'preview' });
    // The account's schema: the generator's sample and any record added to the account.
    const response: Record<string, unknown> = { format: 'hierarchical', schema: ctx.accounts.exploreSchema(resourcePath, String(connection.authParams.accessToken)) };
    if (preview) response.data = ctx.stripe.preview(resourcePath, PREVIEW_ROWS).map((record) => ({ data: record }));
    return response;
  });
}

export function findConnection(ctx: EmulatorContext, call: PlatformCall, id: string): ConnectionRecord {
  const connection = call.partition.connections.get(id);
  if (!connection) throw familyErrors.notFound('flow', 'Connection', id, ctx.clock.nowMs());
  return connection;
}

function flowsUsingConnection(call: PlatformCall, connectionId: string): string[] {
  const sourceIds = new Set([...call.partition.sourceConnections.values()].filter((s) => s.wire.baseConnectionId === connectionId).map((s) => s.wire.id));
  return [...call.partition.flows.values()].filter((f) => f.wire.sourceConnectionIds.some((id: string) => sourceIds.has(id))).map((f) => f.wire.id);
}

function readStripeAuth(body: Record<string, unknown>): Record<string, unknown> {
  const auth = readObject(body, 'auth', 'auth', true);
  const specName = readString(auth, 'specName', 'auth.specName', true);
  if (specName !== STRIPE_CONNECTION_SPEC.authSpec[0].name) {
    throw catalogueError(FLOW.authSpecNotFound, `auth.specName '${specName}' is not an auth spec of connection spec Stripe. Use '${STRIPE_CONNECTION_SPEC.authSpec[0].name}'.`, {
      field: 'auth.specName',
    });
  }
  return validateStripeAuthParams(auth.params, 'auth.params');
}

function validateStripeAuthParams(params: unknown, field: string): Record<string, unknown> {
  if (params === undefined || params === null) throw invalidField(field, 'is required');
  if (typeof params !== 'object' || Array.isArray(params)) throw invalidField(field, 'must be an object');
  const p = params as Record<string, unknown>;
  for (const key of Object.keys(p)) {
    if (key !== 'accessToken') throw invalidField(`${field}.${key}`, 'is not a parameter of the Stripe auth spec');
  }
  if (typeof p.accessToken !== 'string' || p.accessToken.trim() === '') throw invalidField(`${field}.accessToken`, 'is required and must be a non-empty string');
  if (p.accessToken.length > 512) throw invalidField(`${field}.accessToken`, 'must be at most 512 characters');
  return { accessToken: p.accessToken };
}

function decodeSourceParams(raw: string | undefined): (typeof STRIPE_RESOURCE_PATHS)[number] {
  if (raw === undefined || raw === '') {
    throw catalogueError(SOURCES.exploreParamEmptyForObjectType, 'The parameter \'sourceParams\' is required for objectType rest: base64 of {"resourcePath": "..."}.', { field: 'sourceParams' });
  }
  let decoded: unknown;
  try {
    const text = Buffer.from(raw, 'base64').toString('utf8');
    if (!/^[A-Za-z0-9+/_-]+=*$/.test(raw.trim())) throw new Error('not base64');
    decoded = JSON.parse(text);
  } catch {
    throw catalogueError(SOURCES.invalidBase64, "The parameter 'sourceParams' is not valid base64-encoded JSON.", { field: 'sourceParams' });
  }
  const resourcePath = (decoded as { resourcePath?: unknown } | null)?.resourcePath;
  if (!isStripeResourcePath(resourcePath)) {
    throw catalogueError(SOURCES.invalidParamValue, `The resourcePath '${String(resourcePath)}' is not supported. Use one of ${STRIPE_RESOURCE_PATHS.join(', ')}.`, {
      field: 'sourceParams.resourcePath',
    });
  }
  return resourcePath;
}

function stripeRejectedKey(): Error {
  return catalogueError(FLOW.providerInvalidRequest, 'The request could not be processed. Error from flow provider: Stripe rejected the API key of this connection (invalid_api_key).');
}
