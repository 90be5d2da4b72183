import { generateFieldMappings, xdmFields } from '../../domain/mapping-generation.js';
import { specOf, type ResourceSpecOf } from '../../domain/resource-specs.js';
import type { StripeResourcePath } from '../../domain/resource-types.js';
import { PreconditionError } from '../../errors/app-errors.js';
import type { MappingSetRef } from '../../platform/data-prep.client.js';
import { platformName } from '../../platform/deterministic-names.js';
import { xdmFullContentType } from '../../platform/schema-registry.client.js';
import type { OperationHandler } from '../operation-handler.js';
import { callOptions, createdSnapshot, createOrAdopt, readyDependency } from './handler-support.js';
import { majorVersion } from './target-connection.handlers.js';

/**
 * CREATE_MAPPING: a Data Prep mapping set writing the schema. Generated mappings are computed
 * here (they need explore and the registry, which resolvers never wait for) and stored in `spec`.
 */
export const createMapping: OperationHandler<'CREATE_MAPPING'> = async (ctx) => {
  const { platform } = ctx.deps;
  const options = callOptions(ctx);
  const spec = specOf('MAPPING', ctx.resource.spec);
  const schema = await readyDependency(ctx, ctx.resource.schemaId, 'XDM_SCHEMA');
  // Given mappings (an onboarding's, generated from its explore) need only the schema's major
  // version, recorded when the schema was made; generating them needs the registry's fields.
  const recordedVersion = specOf('XDM_SCHEMA', schema.spec).version;
  const registrySchema = spec.generated || recordedVersion == null ? await platform.schemaRegistry.getSchema(schema.platformId, { full: true }, options) : null;
  const contentType = xdmFullContentType(majorVersion(registrySchema ? registrySchema.version : recordedVersion));

  let mappings = spec.fieldMappings ?? [];
  if (spec.generated) {
    const source = await readyDependency(ctx, ctx.resource.sourceConnectionId, 'SOURCE_CONNECTION');
    const connection = await readyDependency(ctx, source.connectionId, 'CONNECTION');
    const resource = source.stripeResource as StripeResourcePath;
    await ctx.progress(0.2, `exploring ${resource} to generate the field mappings`);
    const explored = await platform.flowService.explore(connection.platformId, resource, {}, options);
    const generated = generateFieldMappings({
      exploreSchema: explored.schema,
      // The registry's paths, plus the row's fields, which name the explore attribute each mirrors.
      schemaFields: [...(specOf('XDM_SCHEMA', schema.spec).fields ?? []), ...xdmFields(registrySchema?.properties ?? {})],
      tenantId: await ctx.deps.tenantId(),
      resource,
    });
    if (generated.length === 0) {
      throw new PreconditionError(`no explored ${resource} attribute has a destination in schema ${schema.id}; pass fieldMappings explicitly`, 'input.fieldMappings');
    }
    mappings = generated;
  }

  await ctx.progress(0.4, `creating the mapping set (${mappings.length} field mappings)`);
  const name = platformName(ctx.resource.name, ctx.resource.id);
  const created = await createOrAdopt<MappingSetRef>(ctx, {
    name,
    find: () => platform.dataPrep.findMappingSetsByName(name, options),
    create: () =>
      platform.dataPrep.createMappingSet(
        { name, schemaId: schema.platformId, schemaVersion: contentType, mappings: mappings.map((m) => ({ source: m.source, destination: m.destination, sourceType: m.sourceType })) },
        options,
      ),
  });
  const next: ResourceSpecOf<'MAPPING'> = { ...spec, fieldMappings: mappings, version: created.version };
  return {
    // Data Prep has no etag: the version is the mapping set's concurrency token (the create answers it).
    resource: {
      platformId: created.id,
      etag: String(created.version),
      snapshot: createdSnapshot(created, { name, outputSchema: { schemaRef: { id: schema.platformId, contentType } } }),
      state: 'READY',
      spec: next,
    },
    action: 'CREATED',
    message: `mapping set created with ${mappings.length} field mappings`,
  };
};
