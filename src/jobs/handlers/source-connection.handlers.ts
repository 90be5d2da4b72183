import type { StripeResourcePath } from '../../domain/resource-types.js';
import { platformName } from '../../platform/deterministic-names.js';
import type { OperationHandler } from '../operation-handler.js';
import { callOptions, createdSnapshot, createOrAdopt, readyDependency } from './handler-support.js';

const stateOf = (source: object) => ('state' in source && source.state === 'disabled' ? ('DISABLED' as const) : ('ENABLED' as const));

/** CREATE_SOURCE_CONNECTION: a JSON source connection for one Stripe resource, created once. */
export const createSourceConnection: OperationHandler<'CREATE_SOURCE_CONNECTION'> = async (ctx) => {
  const { platform } = ctx.deps;
  const connection = await readyDependency(ctx, ctx.resource.connectionId, 'CONNECTION');
  const name = platformName(ctx.resource.name, ctx.resource.id);
  const options = callOptions(ctx);
  const created = await createOrAdopt(ctx, {
    name,
    find: () => platform.flowService.findSourceConnectionsByName(name, options),
    create: () =>
      platform.flowService.createSourceConnection(
        {
          name,
          description: ctx.resource.description ?? undefined,
          baseConnectionId: connection.platformId,
          resourcePath: ctx.resource.stripeResource as StripeResourcePath,
        },
        options,
      ),
  });
  return {
    resource: {
      platformId: created.id,
      etag: created.etag,
      snapshot: createdSnapshot(created, { name, baseConnectionId: connection.platformId, params: { resourcePath: ctx.resource.stripeResource } }),
      state: stateOf(created),
    },
    action: 'CREATED',
    message: 'source connection created',
  };
};
