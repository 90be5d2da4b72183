import { specOf } from '../../domain/resource-specs.js';
import { platformName } from '../../platform/deterministic-names.js';
import type { OperationHandler } from '../operation-handler.js';
import { callOptions, createdSnapshot, createOrAdopt, readyDependency, snapshotOf } from './handler-support.js';

/** `schemaRef.contentType` of a dataset: the raw XDM media type with the schema's major version. */
export function datasetContentType(schemaVersion: unknown): string {
  const text = typeof schemaVersion === 'string' || typeof schemaVersion === 'number' ? String(schemaVersion) : '';
  const major = /^(\d+)/.exec(text)?.[1] ?? '1';
  return `application/vnd.adobe.xed+json;version=${major}`;
}

/** CREATE_DATASET: a Catalog dataset for the XDM schema, created once (found by its tagged name). */
export const createDataset: OperationHandler<'CREATE_DATASET'> = async (ctx) => {
  const { catalog } = ctx.deps.platform;
  const schema = await readyDependency(ctx, ctx.resource.schemaId, 'XDM_SCHEMA');
  const name = platformName(ctx.resource.name, ctx.resource.id);
  const options = callOptions(ctx);
  const id = await createOrAdopt(ctx, {
    name,
    find: async () => (await catalog.findDatasetsByName(name, options)).map((d) => d.id),
    create: () =>
      catalog.createDataset(
        {
          name,
          description: ctx.resource.description ?? undefined,
          schemaId: schema.platformId,
          contentType: datasetContentType(specOf('XDM_SCHEMA', schema.spec).version),
        },
        options,
      ),
  });
  // Catalog answers a create with the id only: its version (the etag) is read after the operation
  // finished, so nothing waiting for the dataset waits for that read.
  return {
    resource: { platformId: id, etag: null, snapshot: createdSnapshot({ id }, { name, schemaRef: { id: schema.platformId } }), state: 'READY' },
    action: 'CREATED',
    message: 'dataset created',
    observeLater: async () => {
      const dataset = await catalog.getDataset(id, options);
      return { etag: dataset.version ?? null, snapshot: snapshotOf(dataset) };
    },
  };
};
