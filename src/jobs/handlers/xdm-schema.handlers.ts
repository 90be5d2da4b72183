import type { OperationInput } from '../../domain/operations.js';
import { specOf, type ResourceSpecOf } from '../../domain/resource-specs.js';
import type { StripeResourcePath } from '../../domain/resource-types.js';
import { exploreSchemaProblem, xdmFromExplore, type ExploreNode } from '../../domain/xdm-from-explore.js';
import { PreconditionError } from '../../errors/app-errors.js';
import { platformName } from '../../platform/deterministic-names.js';
import { RECORD_BEHAVIOR_ID, type XdmField, type XdmResource, type XdmResourceSummary } from '../../platform/schema-registry.client.js';
import type { HandlerContext, OperationHandler } from '../operation-handler.js';
import { adoptOrCreate, callOptions, createOrAdopt, deleteIgnoringMissing, readyDependency, snapshotOf } from './handler-support.js';

/**
 * Registry titles of the three resources one Flowgate schema consists of. Titles are unique per
 * sandbox across classes, field groups and schemas, and each carries its own tag (`<id>.class`,
 * `<id>.fieldgroup`, `<id>`), so even a name cut to fit keeps the three apart and findable.
 */
export function registryTitles(name: string, resourceId: string): { klass: string; fieldGroup: string; schema: string } {
  return {
    klass: platformName(`${name} class`, `${resourceId}.class`),
    fieldGroup: platformName(`${name} fields`, `${resourceId}.fieldgroup`),
    schema: platformName(name, resourceId),
  };
}

/**
 * CREATE_XDM_SCHEMA: a record class, a field group mirroring the explored Stripe record under
 * `_{tenant}.{resource}_data`, and the schema of both — each created exactly once (found by its
 * title on a retry or after a lost answer). If a later step fails for good, what earlier steps
 * created is deleted again, last first.
 */
export const createXdmSchema: OperationHandler<'CREATE_XDM_SCHEMA'> = async (ctx) => {
  const { platform } = ctx.deps;
  const registry = platform.schemaRegistry;
  const options = callOptions(ctx);
  const resource = ctx.resource.stripeResource as StripeResourcePath;
  const tenantId = await ctx.deps.tenantId();
  const exploreSchema = await exploredSchema(ctx, resource);
  const mirror = xdmFromExplore(exploreSchema, { tenantId, resource });
  await ctx.progress(0.1, `${mirror.fields.length} fields read from ${resource}; creating the class`);

  const titles = registryTitles(ctx.resource.name, ctx.resource.id);
  const description = ctx.resource.description ?? `Stripe ${resource} records (Flowgate)`;
  const undo: { what: string; run: () => Promise<void> }[] = [];
  try {
    // A class made for several schemas (an onboarding's) is used as it is, and never removed here.
    const sharedClassId = ctx.input.classId;
    const klass = sharedClassId
      ? { $id: sharedClassId }
      : await createOrAdopt<{ $id: string }>(ctx, {
          name: titles.klass,
          find: () => registry.findClassesByTitle(titles.klass, options),
          create: () => registry.createClass({ title: titles.klass, description, behaviorId: RECORD_BEHAVIOR_ID }, options),
        });
    if (!sharedClassId) undo.push({ what: `class ${klass.$id}`, run: () => deleteIgnoringMissing(() => registry.deleteClass(klass.$id, options)) });
    await ctx.progress(0.4, sharedClassId ? 'shared class given; creating the field group' : 'class created; creating the field group');

    // The field group and the schema under one fence (named by the schema): a second run of the
    // step waits for both of the first run's creates, and there is no lock round trip between
    // them (the schema's create is on an onboarding's longest chain).
    const { fieldGroup, created } = await ctx.fence.hold(titles.schema, async ({ passedBefore }) => {
      const lookFirst = ctx.isRetry || passedBefore;
      const group = await adoptOrCreate<{ $id: string }>(lookFirst, {
        find: () => registry.findFieldGroupsByTitle(titles.fieldGroup, options),
        create: () =>
          registry.createFieldGroup(
            {
              title: titles.fieldGroup,
              description: `The fields of a Stripe ${resource} record`,
              intendedToExtend: [klass.$id],
              definitions: { [resource]: { properties: mirror.tenantProperties as Record<string, XdmField> } },
            },
            options,
          ),
      });
      undo.push({ what: `field group ${group.$id}`, run: () => deleteIgnoringMissing(() => registry.deleteFieldGroup(group.$id, options)) });
      await ctx.progress(0.7, 'field group created; creating the schema');
      const schema = await adoptOrCreate<XdmResource | XdmResourceSummary>(lookFirst, {
        find: () => registry.findSchemasByTitle(titles.schema, options),
        create: () => registry.createSchema({ title: titles.schema, description, classId: klass.$id, fieldGroupIds: [group.$id] }, options),
      });
      return { fieldGroup: group, created: schema };
    });
    // The create answers with the schema (version, eTag); only one found by title is read whole.
    const schema = 'meta:registryMetadata' in created ? created : await registry.getSchema(created.$id, {}, options);

    const spec: ResourceSpecOf<'XDM_SCHEMA'> = {
      ...specOf('XDM_SCHEMA', ctx.resource.spec),
      version: schema.version,
      tenantNamespace: mirror.tenantNamespace,
      fields: mirror.fields,
      classId: klass.$id,
      ...(sharedClassId ? { classShared: true } : {}),
      fieldGroupId: fieldGroup.$id,
      ...(mirror.renamed.length > 0 ? { renamedFields: mirror.renamed } : {}),
    };
    return {
      resource: {
        platformId: schema.$id,
        etag: schema['meta:registryMetadata']?.eTag ?? null,
        snapshot: snapshotOf(schema),
        state: 'READY',
        spec,
      },
      action: 'CREATED',
      message: mirror.renamed.length > 0 ? `schema created (${mirror.renamed.length} field name(s) changed to fit XDM)` : 'schema created',
    };
  } catch (error) {
    // A retryable failure leaves everything for the next attempt to adopt; a final one cleans up.
    if ((error as { retryable?: unknown }).retryable === false) await rollBack(ctx, undo);
    throw error;
  }
};

/** The explore schema the operation carries, or the one the Platform infers through the source connection's base connection. */
async function exploredSchema(ctx: HandlerContext<OperationInput<'CREATE_XDM_SCHEMA'>>, resource: StripeResourcePath): Promise<ExploreNode> {
  const given = ctx.input.exploreSchemaJson;
  if (given !== undefined) return JSON.parse(given) as ExploreNode;
  const source = await readyDependency(ctx, ctx.resource.sourceConnectionId, 'SOURCE_CONNECTION');
  const connection = await readyDependency(ctx, source.connectionId, 'CONNECTION');
  const explored = await ctx.deps.platform.flowService.explore(connection.platformId, resource, {}, callOptions(ctx));
  const problem = exploreSchemaProblem(explored.schema);
  if (problem) throw new PreconditionError(`the Platform's explore schema of ${resource} cannot be mirrored: ${problem.path} ${problem.message}`.trim(), 'input.sourceConnectionId');
  return explored.schema;
}

async function rollBack(ctx: HandlerContext, undo: { what: string; run: () => Promise<void> }[]): Promise<void> {
  for (const step of [...undo].reverse()) {
    try {
      await step.run();
    } catch (error) {
      ctx.deps.logger.warn({ operationId: ctx.operation.id, err: (error as Error).message }, `could not delete ${step.what} after a failed schema create`);
    }
  }
}
