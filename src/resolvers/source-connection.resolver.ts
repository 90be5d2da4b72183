import { Arg, Args, ArgsType, Ctx, Field, FieldResolver, ID, InputType, Mutation, Query, Resolver, Root } from 'type-graphql';
import { NotFoundError, PreconditionError } from '../errors/app-errors.js';
import type { GatewayContext } from '../graphql/context.js';
import { idempotencyKey, optionalText, requiredName, uuidField } from '../services/input-rules.js';
import { ResourceState, StripeResource } from '../schema/enums.js';
import { toOperation, toResource } from '../schema/mappers.js';
import { Operation } from '../schema/operation.type.js';
import { Connection, Dataflow, SourceConnection, SourceConnectionPage } from '../schema/resource-types.js';
import type { ResourceType } from '../store/generated/enums.js';
import type { Resource } from '../store/resource.store.js';
import { findResource, linkedResources, listResources, PageArgs } from './resource-queries.js';

@InputType()
class CreateSourceConnectionInput {
  @Field(() => ID, { description: 'The Flowgate id of the base connection (it may still be PENDING).' })
  connectionId!: string;

  @Field(() => StripeResource)
  resource!: StripeResource;

  @Field(() => String, { nullable: true, description: 'Default: "<connection name> <resource>".' })
  name?: string | null;

  @Field(() => String, { nullable: true })
  description?: string | null;

  @Field(() => String, { nullable: true, description: 'Same key + same input returns the same operation.' })
  idempotencyKey?: string | null;
}

@InputType()
class SourceConnectionFilter {
  @Field(() => ID, { nullable: true })
  connectionId?: string | null;

  @Field(() => StripeResource, { nullable: true })
  resource?: StripeResource | null;

  @Field(() => ResourceState, { nullable: true, description: 'Only resources in this state (default: all but DELETED).' })
  state?: ResourceState | null;
}

@ArgsType()
class SourceConnectionsArgs extends PageArgs {
  @Field(() => SourceConnectionFilter, { nullable: true })
  filter?: SourceConnectionFilter | null;
}

@Resolver(() => SourceConnection)
export class SourceConnectionResolver {
  @Query(() => SourceConnection, { nullable: true })
  sourceConnection(@Arg('id', () => ID) id: string, @Ctx() ctx: GatewayContext): Promise<SourceConnection | null> {
    return findResource<SourceConnection>(ctx, 'SOURCE_CONNECTION', id);
  }

  @Query(() => SourceConnectionPage, { description: 'Source connections (one Stripe resource of a base connection each), newest first.' })
  sourceConnections(@Args(() => SourceConnectionsArgs) args: SourceConnectionsArgs, @Ctx() ctx: GatewayContext) {
    const filter = args.filter;
    return listResources(
      ctx,
      {
        type: 'SOURCE_CONNECTION',
        state: filter?.state ?? null,
        stripeResource: filter?.resource ?? null,
        connectionId: filter?.connectionId ? uuidField('filter.connectionId', filter.connectionId) : null,
      },
      args,
    );
  }

  @FieldResolver(() => Connection, { description: 'The base connection it reads through.' })
  connection(@Root() source: SourceConnection, @Ctx() ctx: GatewayContext): Promise<Connection> {
    return linkedResource<Connection>(ctx, 'CONNECTION', source.connectionId);
  }

  @FieldResolver(() => [Dataflow])
  dataflows(@Root() source: SourceConnection, @Ctx() ctx: GatewayContext): Promise<Dataflow[]> {
    return linkedResources<Dataflow>(ctx, 'DATAFLOW', 'sourceConnectionId', source.id);
  }

  @Mutation(() => Operation, { description: 'Creates a source connection reading one Stripe resource through a base connection.' })
  async createSourceConnection(
    @Arg('input', () => CreateSourceConnectionInput) input: CreateSourceConnectionInput,
    @Ctx() ctx: GatewayContext,
  ): Promise<Operation> {
    const name = input.name === undefined || input.name === null ? null : requiredName('input.name', input.name);
    const description = optionalText('input.description', input.description);
    const key = idempotencyKey('input.idempotencyKey', input.idempotencyKey);
    const connection = await usableDependency(ctx, input.connectionId, 'CONNECTION', 'input.connectionId');
    const operation = await ctx.requests.submit(ctx, {
      type: 'CREATE_SOURCE_CONNECTION',
      resourceId: ctx.requests.newId(),
      create: {
        name: name ?? `${connection.name} ${input.resource}`,
        description,
        stripeResource: input.resource,
        connectionId: connection.id,
      },
      idempotencyKey: key,
    });
    return toOperation(operation);
  }
}

/**
 * A resource a create depends on: it must exist in the caller's sandbox (NOT_FOUND naming
 * `field`) and must not be deleted or failed (PRECONDITION_FAILED). It may still be PENDING: the
 * worker waits for it.
 */
export async function usableDependency(ctx: GatewayContext, id: string, type: ResourceType, field: string): Promise<Resource> {
  const row = await ctx.store.resources.get(id, ctx.sandbox, type, field);
  if (row.state === 'DELETED' || row.state === 'DELETING') throw new NotFoundError(type, id, field);
  if (row.state === 'FAILED') throw new PreconditionError(`${type.toLowerCase().replace('_', ' ')} ${id} failed to be created; retry its create operation first`, field);
  return row;
}

/** The neighbour a non-null link points at (same sandbox); its absence is a broken invariant. */
export async function linkedResource<T>(ctx: GatewayContext, type: ResourceType, id: string): Promise<T> {
  const row = await ctx.store.resources.find(id, ctx.sandbox);
  if (!row || row.type !== type) throw new NotFoundError(type, id);
  return toResource(row) as T;
}
