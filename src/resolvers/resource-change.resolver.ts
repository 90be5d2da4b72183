import { Arg, Ctx, Field, FieldResolver, ID, ObjectType, Resolver, Root, Subscription } from 'type-graphql';
import { NotFoundError } from '../errors/app-errors.js';
import type { GatewayContext } from '../graphql/context.js';
import { currentThenLive } from '../graphql/live-query.js';
import { channels, type ResourceChangeMessage } from '../pubsub/event-bus.js';
import { ResourceState, ResourceType } from '../schema/enums.js';
import { toResource } from '../schema/mappers.js';
import { PlatformResource } from '../schema/platform-resource.type.js';

@ObjectType({ description: 'A resource changed: created, updated, enabled, deleted, failed, or found changed on the Platform.' })
export class ResourceChange {
  @Field(() => ResourceType)
  resourceType!: ResourceType;

  @Field(() => ID)
  resourceId!: string;

  @Field(() => ResourceState)
  state!: ResourceState;

  @Field(() => String, { nullable: true })
  etag!: string | null;

  @Field(() => String, { nullable: true })
  platformId!: string | null;

  @Field(() => String, { description: 'What happened, e.g. CREATED, UPDATED, CONFLICT_DETECTED; CURRENT for the first message.' })
  action!: string;

  @Field(() => ID, { nullable: true })
  operationId!: string | null;

  @Field(() => Date)
  at!: Date;
}

@Resolver(() => ResourceChange)
export class ResourceChangeResolver {
  @FieldResolver(() => PlatformResource, { nullable: true, description: 'The resource as it is now.' })
  resource(@Root() change: ResourceChange, @Ctx() ctx: GatewayContext): Promise<PlatformResource | null> {
    return loadResource(ctx, change.resourceId);
  }

  @Subscription(() => ResourceChange, {
    description: 'The resource now, then every change to it.',
    subscribe: async ({ args, context }) => {
      const ctx = context as GatewayContext;
      const type = String(args.type);
      const id = String(args.id);
      return currentThenLive<ResourceChangeMessage>(
        () => ctx.bus.subscribe<ResourceChangeMessage>(channels.resource(type, id)),
        async () => {
          const row = await ctx.store.resources.find(id, ctx.sandbox);
          if (!row || row.type !== type) throw new NotFoundError(type, id, 'id');
          return { resourceType: row.type, resourceId: row.id, state: row.state, etag: row.etag, platformId: row.platformId, action: 'CURRENT', operationId: null, at: row.updatedAt.toISOString() };
        },
      );
    },
  })
  resourceChanged(
    @Root() message: ResourceChangeMessage,
    @Arg('type', () => ResourceType) _type: ResourceType,
    @Arg('id', () => ID) _id: string,
  ): ResourceChange {
    return Object.assign(new ResourceChange(), {
      resourceType: message.resourceType as ResourceType,
      resourceId: message.resourceId,
      state: message.state as ResourceState,
      etag: message.etag,
      platformId: message.platformId,
      action: message.action,
      operationId: message.operationId,
      at: new Date(message.at),
    });
  }
}

/** Resolves `resource` on change messages and operations to the current row. */
export async function loadResource(ctx: GatewayContext, id: string): Promise<PlatformResource | null> {
  const row = await ctx.store.resources.find(id, ctx.sandbox);
  return row ? toResource(row) : null;
}

