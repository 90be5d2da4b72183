import { Arg, Ctx, FieldResolver, ID, Resolver, Root, Subscription } from 'type-graphql';
import { NotFoundError } from '../errors/app-errors.js';
import type { GatewayContext } from '../graphql/context.js';
import { currentThenLive, subscribeWith } from '../graphql/live-query.js';
import { resourceChangeEvent, topics, type ResourceChangeEvent } from '../pubsub/events.js';
import { ResourceType } from '../schema/enums.js';
import { toResource } from '../schema/mappers.js';
import { PlatformResource } from '../schema/platform-resource.type.js';
import { ResourceChange } from '../schema/resource-change.type.js';

@Resolver(() => ResourceChange)
export class ResourceChangeResolver {
  @FieldResolver(() => PlatformResource, { nullable: true, description: 'The resource as it is now.' })
  async resource(@Root() change: ResourceChange, @Ctx() ctx: GatewayContext): Promise<PlatformResource | null> {
    const row = await ctx.store.resources.find(change.resourceId, ctx.sandbox);
    return row ? toResource(row) : null;
  }

  @Subscription(() => ResourceChange, {
    description: 'The resource now, then every change to it.',
    subscribe: subscribeWith<{ type: ResourceType; id: string }>(async ({ type, id }, ctx) => {
      return currentThenLive<ResourceChangeEvent>({
        subscribe: () => ctx.bus.subscribeWithGaps(topics.resource(type, id)),
        loadCurrent: async () => {
          const row = await ctx.store.resources.find(id, ctx.sandbox);
          if (!row || row.type !== type) throw new NotFoundError(type, id, 'id');
          return resourceChangeEvent(row, 'CURRENT', null, row.updatedAt);
        },
        // A re-read carries no action; it is news only if the resource itself changed.
        isSame: (current, last) => current.state === last.state && current.etag === last.etag && current.platformId === last.platformId,
      });
    }),
  })
  resourceChanged(
    @Root() message: ResourceChangeEvent,
    @Arg('type', () => ResourceType, { description: 'The kind of resource (must match the id).' }) _type: ResourceType,
    @Arg('id', () => ID, { description: 'The resource’s id.' }) _id: string,
  ): ResourceChange {
    return Object.assign(new ResourceChange(), {
      resourceType: message.resourceType,
      resourceId: message.resourceId,
      state: message.state,
      etag: message.etag,
      platformId: message.platformId,
      action: message.action,
      operationId: message.operationId,
      at: new Date(message.at),
    });
  }
}
