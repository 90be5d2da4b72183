import { specOf } from '../../domain/resource-specs.js';
import { platformName } from '../../platform/deterministic-names.js';
import { xdmFullContentType } from '../../platform/schema-registry.client.js';
import type { HandlerContext, OperationHandler } from '../operation-handler.js';
import { callOptions, createdSnapshot, createOrAdopt, readyDependencies } from './handler-support.js';

/**
 * The content type other services take for a registry schema: its **major** version, read from
 * the registry (`1.3` → `application/vnd.adobe.xed-full+json;version=1`).
 */
export async function schemaContentType(ctx: HandlerContext, schemaPlatformId: string): Promise<string> {
  const schema = await ctx.deps.platform.schemaRegistry.getSchema(schemaPlatformId, {}, callOptions(ctx));
  return xdmFullContentType(majorVersion(schema.version));
}

/** The major part of a registry version (`"1.3"` → 1); 1 when it cannot be read. */
export function majorVersion(version: unknown): number {
  const major = typeof version === 'number' ? Math.trunc(version) : typeof version === 'string' ? Number(version.split('.')[0]) : 1;
  return Number.isSafeInteger(major) && major > 0 ? major : 1;
}

/** CREATE_TARGET_CONNECTION: a data lake (`parquet_xdm`) target into the dataset, with the dataset's schema. */
export const createTargetConnection: OperationHandler<'CREATE_TARGET_CONNECTION'> = async (ctx) => {
  const { flowService } = ctx.deps.platform;
  const options = callOptions(ctx);
  const [dataset, schema] = await readyDependencies(ctx, [
    [ctx.resource.datasetId, 'DATASET'],
    [ctx.resource.schemaId, 'XDM_SCHEMA'],
  ]);
  // The schema's version was recorded when it was created: no registry read on the chain.
  const recordedVersion = specOf('XDM_SCHEMA', schema.spec).version;
  const schemaVersion = recordedVersion != null ? xdmFullContentType(majorVersion(recordedVersion)) : await schemaContentType(ctx, schema.platformId);
  await ctx.progress(0.3, 'dataset and schema found; creating the target connection');

  const name = platformName(ctx.resource.name, ctx.resource.id);
  const created = await createOrAdopt(ctx, {
    name,
    find: () => flowService.findTargetConnectionsByName(name, options),
    create: () => flowService.createTargetConnection({ name, description: ctx.resource.description ?? undefined, schemaId: schema.platformId, schemaVersion, datasetId: dataset.platformId }, options),
  });
  return {
    resource: {
      platformId: created.id,
      etag: created.etag,
      snapshot: createdSnapshot(created, { name, data: { format: 'parquet_xdm', schema: { id: schema.platformId, version: schemaVersion } }, params: { dataSetId: dataset.platformId } }),
      state: 'READY',
    },
    action: 'CREATED',
    message: 'target connection created',
  };
};
