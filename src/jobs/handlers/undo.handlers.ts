import { specOf } from '../../domain/resource-specs.js';
import { CannotRemoveError } from '../../errors/app-errors.js';
import { platformName } from '../../platform/deterministic-names.js';
import type { FlowServiceClient } from '../../platform/flow-service.client.js';
import type { HandlerContext, HandlerOutcome, OperationHandler } from '../operation-handler.js';
import { callOptions, deleteIgnoringMissing, deleteWithIfMatch } from './handler-support.js';
import { registryTitles } from './xdm-schema.handlers.js';

/**
 * Deletes used by onboarding rollbacks. Each removes the Platform resource a create made — or,
 * when the create's answer was lost (no platform id stored), whatever carries its deterministic
 * name — and marks the row DELETED. A 404 means it is already gone.
 */

const deleted = (message: string): HandlerOutcome => ({ resource: { state: 'DELETED', deletedAt: new Date() }, action: 'DELETED', message });

/** The Platform ids to delete: the stored one, or those found by the resource's deterministic name. */
async function platformIds(ctx: HandlerContext, find: (name: string) => Promise<{ id: string }[]>): Promise<string[]> {
  if (ctx.resource.platformId) return [ctx.resource.platformId];
  return (await find(platformName(ctx.resource.name, ctx.resource.id))).map((r) => r.id);
}

/** The Flow Service calls that remove a source or a target connection. */
const connectionCalls = {
  source: (flows: FlowServiceClient) => ({ find: flows.findSourceConnectionsByName.bind(flows), get: flows.getSourceConnection.bind(flows), remove: flows.deleteSourceConnection.bind(flows) }),
  target: (flows: FlowServiceClient) => ({ find: flows.findTargetConnectionsByName.bind(flows), get: flows.getTargetConnection.bind(flows), remove: flows.deleteTargetConnection.bind(flows) }),
};

/** Deletes a source or target connection: the stored one with If-Match on its stored etag, any found by name without. */
function deleteConnection(kind: keyof typeof connectionCalls) {
  return async (ctx: HandlerContext): Promise<HandlerOutcome> => {
    const calls = connectionCalls[kind](ctx.deps.platform.flowService);
    const options = callOptions(ctx);
    for (const id of await platformIds(ctx, (name) => calls.find(name, options))) {
      const ifMatch = id === ctx.resource.platformId ? (ctx.resource.etag ?? undefined) : undefined;
      await deleteWithIfMatch(
        ctx,
        () => calls.remove(id, { ...options, ifMatch }),
        () => calls.get(id, options),
      );
    }
    return deleted(`${kind} connection deleted`);
  };
}

export const deleteSourceConnection: OperationHandler<'DELETE_SOURCE_CONNECTION'> = deleteConnection('source');
export const deleteTargetConnection: OperationHandler<'DELETE_TARGET_CONNECTION'> = deleteConnection('target');

export const deleteDataset: OperationHandler<'DELETE_DATASET'> = async (ctx) => {
  const catalog = ctx.deps.platform.catalog;
  const options = callOptions(ctx);
  for (const id of await platformIds(ctx, async (name) => (await catalog.findDatasetsByName(name, options)).map((d) => ({ id: d.id })))) {
    await deleteIgnoringMissing(() => catalog.deleteDataset(id, options));
  }
  return deleted('dataset deleted');
};

/** The schema, then its field group, then its class (each refers to the next) unless other schemas share it. */
export const deleteXdmSchema: OperationHandler<'DELETE_XDM_SCHEMA'> = async (ctx) => {
  const registry = ctx.deps.platform.schemaRegistry;
  const options = callOptions(ctx);
  const titles = registryTitles(ctx.resource.name, ctx.resource.id);
  const spec = specOf('XDM_SCHEMA', ctx.resource.spec);
  const ids = async (stored: string | null | undefined, find: () => Promise<{ $id: string }[]>) => (stored ? [stored] : (await find()).map((r) => r.$id));
  for (const id of await ids(ctx.resource.platformId, () => registry.findSchemasByTitle(titles.schema, options))) {
    await deleteIgnoringMissing(() => registry.deleteSchema(id, options));
  }
  for (const id of await ids(spec.fieldGroupId, () => registry.findFieldGroupsByTitle(titles.fieldGroup, options))) {
    await deleteIgnoringMissing(() => registry.deleteFieldGroup(id, options));
  }
  if (spec.classShared) return deleted('schema and field group deleted (the shared class stays)');
  for (const id of await ids(spec.classId, () => registry.findClassesByTitle(titles.klass, options))) {
    await deleteIgnoringMissing(() => registry.deleteClass(id, options));
  }
  return deleted('schema, field group and class deleted');
};

/**
 * Data Prep has no delete for mapping sets (neither Adobe's spec nor its docs offer one): the set
 * stays, unused. When the create never made one (none carries its name), there is nothing to leave.
 */
export const deleteMapping: OperationHandler<'DELETE_MAPPING'> = async (ctx) => {
  const [id] = await platformIds(ctx, (name) => ctx.deps.platform.dataPrep.findMappingSetsByName(name, callOptions(ctx)));
  if (id === undefined) return deleted('no mapping set was created');
  throw new CannotRemoveError(`mapping set ${id} cannot be deleted: the Data Prep API has no delete; it stays on the Platform, unused`, 'NO_DELETE_API');
};
