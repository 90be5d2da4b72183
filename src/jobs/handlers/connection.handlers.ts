import { resourceLabel } from '../../domain/resource-types.js';
import { platformName } from '../../platform/deterministic-names.js';
import type { PatchOperation } from '../../platform/flow-service.client.js';
import type { OperationHandler } from '../operation-handler.js';
import { callOptions, createdSnapshot, createOrAdopt, deleteIgnoringMissing, deleteWithIfMatch, snapshotOf, writeWithIfMatch } from './handler-support.js';

const stateOf = (connection: object) => ('state' in connection && connection.state === 'disabled' ? ('DISABLED' as const) : ('ENABLED' as const));

/** CREATE_CONNECTION: the Stripe base connection, with the access token decrypted only here. */
export const createConnection: OperationHandler<'CREATE_CONNECTION'> = async (ctx) => {
  const { platform } = ctx.deps;
  const name = platformName(ctx.resource.name, ctx.resource.id);
  const options = callOptions(ctx);
  const created = await createOrAdopt(ctx, {
    name,
    find: () => platform.flowService.findConnectionsByName(name, options),
    create: async () => {
      const accessToken = await ctx.secret();
      return platform.flowService.createConnection({ name, description: ctx.resource.description ?? undefined, accessToken }, options);
    },
  });
  // The create's answer carries the id and etag: no read-back (a found one is the whole object).
  return {
    resource: {
      platformId: created.id,
      etag: created.etag,
      snapshot: createdSnapshot(created, { name, description: ctx.resource.description ?? undefined, state: 'enabled' }),
      state: stateOf(created),
    },
    action: 'CREATED',
    message: 'connection created',
  };
};

/** UPDATE_CONNECTION: a JSON Patch with If-Match = the etag the caller saw. */
export const updateConnection: OperationHandler<'UPDATE_CONNECTION'> = async (ctx) => {
  const { platform } = ctx.deps;
  const { changes, ifMatch, rotatesAccessToken } = ctx.input;
  const options = callOptions(ctx);
  const platformId = ctx.resource.platformId!;
  const name = changes.name ?? ctx.resource.name;
  const description = 'description' in changes ? changes.description : ctx.resource.description;

  const ops: PatchOperation[] = [];
  if (changes.name !== undefined) ops.push({ op: 'replace', path: '/name', value: platformName(name, ctx.resource.id) });
  if ('description' in changes) ops.push(description ? { op: 'add', path: '/description', value: description } : { op: 'remove', path: '/description' });
  if (rotatesAccessToken) ops.push({ op: 'replace', path: '/auth/params', value: { accessToken: await ctx.secret() } });

  await writeWithIfMatch(
    ctx,
    ifMatch,
    () => platform.flowService.updateConnection(platformId, ifMatch ?? '', ops, options),
    () => platform.flowService.getConnection(platformId, options),
    // A retry whose first PATCH landed but whose answer was lost sees its own change: not a conflict.
    (current) => current.name === platformName(name, ctx.resource.id) && (current.description ?? null) === (description ?? null),
  );
  const connection = await platform.flowService.getConnection(platformId, options);
  if (rotatesAccessToken) ctx.deps.logger.info({ resourceId: ctx.resource.id }, 'connection access token rotated');
  return {
    resource: { name, description: description ?? null, etag: connection.etag, snapshot: snapshotOf(connection), state: stateOf(connection) },
    action: 'UPDATED',
    message: 'connection updated',
  };
};

/**
 * DELETE_CONNECTION: with `cascade`, first the dataflows that read from it (and its source
 * connections), each recorded as its own audit event; then the base connection.
 */
export const deleteConnection: OperationHandler<'DELETE_CONNECTION'> = async (ctx) => {
  const { platform, store } = ctx.deps;
  const options = callOptions(ctx);
  if (ctx.input.cascade) {
    const dataflows = await store.resources.dependents(ctx.resource.id, 'DATAFLOW', 'connectionId');
    const sources = await store.resources.dependents(ctx.resource.id, 'SOURCE_CONNECTION', 'connectionId');
    const dependents = [...dataflows, ...sources];
    for (const [index, dependent] of dependents.entries()) {
      if (dependent.platformId) {
        const id = dependent.platformId;
        const ifMatch = dependent.etag ?? undefined;
        await deleteIgnoringMissing(() =>
          dependent.type === 'DATAFLOW' ? platform.flowService.deleteFlow(id, { ...options, ifMatch }) : platform.flowService.deleteSourceConnection(id, { ...options, ifMatch }),
        );
      }
      await store.ledger.recordCascadeDelete(dependent, ctx.operation);
      await ctx.progress((index + 1) / (dependents.length + 1), `deleted ${resourceLabel(dependent.type)} ${dependent.id}`);
    }
  }
  if (ctx.resource.platformId) {
    const id = ctx.resource.platformId;
    await deleteWithIfMatch(
      ctx,
      () => platform.flowService.deleteConnection(id, { ...options, ifMatch: ctx.resource.etag ?? undefined }),
      () => platform.flowService.getConnection(id, options),
    );
  } else {
    // Never heard back from the create: whatever carries its deterministic name is the one it made.
    for (const found of await platform.flowService.findConnectionsByName(platformName(ctx.resource.name, ctx.resource.id), options)) {
      await deleteIgnoringMissing(() => platform.flowService.deleteConnection(found.id, options));
    }
  }
  return { resource: { state: 'DELETED', deletedAt: new Date() }, action: 'DELETED', message: 'connection deleted' };
};
