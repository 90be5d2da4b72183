import type { GraphQLResolveInfo } from 'graphql';
import { Arg, Args, Ctx, Field, FieldResolver, ID, Info, InputType, Mutation, Query, Resolver, Root, Subscription } from 'type-graphql';
import { listWindow } from '../graphql/selection.js';
import { isOperationType } from '../domain/operations.js';
import { NotFoundError, PreconditionError, ValidationError } from '../errors/app-errors.js';
import type { GatewayContext } from '../graphql/context.js';
import { currentThenLive, subscribeWith } from '../graphql/live-query.js';
import { operationEvent, topics, type OperationEvent } from '../pubsub/events.js';
import { OperationStatus, OperationType } from '../schema/enums.js';
import { toOperation, toResource } from '../schema/mappers.js';
import { Operation, OperationPage } from '../schema/operation.type.js';
import { toPage } from '../schema/page.type.js';
import { PlatformResource } from '../schema/platform-resource.type.js';
import { operationCursor } from '../store/operation.store.js';
import { PageArgs } from './resource-resolver.js';

@InputType({ description: 'Narrows the list of operations.' })
class OperationFilter {
  @Field(() => OperationStatus, { description: 'Only operations in this status.', nullable: true }) status?: OperationStatus | null;
  @Field(() => OperationType, { description: 'Only operations of this type.', nullable: true }) type?: OperationType | null;
  @Field(() => ID, { nullable: true, description: 'Only operations on this resource.' }) resourceId?: string | null;
}

@Resolver(() => Operation)
export class OperationResolver {
  @Query(() => Operation, { nullable: true, description: 'One operation by id; null if it does not exist.' })
  async operation(@Arg('id', () => ID, { description: 'The operation’s id.' }) id: string, @Ctx() ctx: GatewayContext): Promise<Operation | null> {
    const row = await ctx.store.operations.find(id, ctx.sandbox);
    return row ? toOperation(row) : null;
  }

  @Query(() => OperationPage, { description: 'Operations, newest first.' })
  async operations(
    @Args(() => PageArgs) page: PageArgs,
    @Arg('filter', () => OperationFilter, { nullable: true, description: 'Narrows the list.' }) filter: OperationFilter | null,
    @Ctx() ctx: GatewayContext,
    @Info() info: GraphQLResolveInfo,
  ) {
    if (filter?.type && !isOperationType(filter.type)) throw new ValidationError('filter.type', 'is not an operation type');
    const operations = await ctx.store.operations.list(
      { sandbox: ctx.sandbox, status: filter?.status ?? null, type: filter?.type ?? null, resourceId: filter?.resourceId ?? null },
      listWindow(page, info),
    );
    return toPage(operations, toOperation, operationCursor);
  }

  @FieldResolver(() => PlatformResource, { nullable: true, description: 'The resource the operation acts on, as it is now.' })
  async resource(@Root() operation: Operation, @Ctx() ctx: GatewayContext): Promise<PlatformResource | null> {
    const row = await ctx.store.resources.find(operation.resourceId, ctx.sandbox);
    return row ? toResource(row) : null;
  }

  @Mutation(() => Operation, { description: 'Runs a FAILED or CANCELLED operation again, reusing what it already created.' })
  async retryOperation(@Arg('id', () => ID, { description: 'A FAILED or CANCELLED operation.' }) id: string, @Ctx() ctx: GatewayContext): Promise<Operation> {
    const row = await ctx.store.operations.find(id, ctx.sandbox);
    if (!row) throw new NotFoundError('Operation', id, 'id');
    if (row.status !== 'FAILED' && row.status !== 'CANCELLED') throw new PreconditionError(`operation ${id} is ${row.status}; only FAILED or CANCELLED operations can be retried`, 'id');
    return toOperation(await ctx.requests.retry(ctx, row));
  }

  @Subscription(() => Operation, {
    description: 'The operation now, then every change until it finishes.',
    subscribe: subscribeWith<{ id: string }>(async ({ id }, ctx) => {
      return currentThenLive<OperationEvent>({
        subscribe: () => ctx.bus.subscribeWithGaps(topics.operation(id)),
        loadCurrent: async () => {
          const row = await ctx.store.operations.find(id, ctx.sandbox);
          if (!row) throw new NotFoundError('Operation', id, 'id');
          return operationEvent(row);
        },
        isStale: (message, last) => Date.parse(message.updatedAt) < Date.parse(last.updatedAt),
        isSame: (current, last) => current.status === last.status && current.updatedAt === last.updatedAt,
      });
    }),
  })
  operationUpdated(@Root() payload: OperationEvent, @Arg('id', () => ID, { description: 'The operation to watch.' }) _id: string): Operation {
    return toOperation(payload);
  }
}
