import type { GraphQLResolveInfo } from 'graphql';
import { Arg, Args, Ctx, Field, FieldResolver, ID, Info, InputType, Query, Resolver, Root, Subscription } from 'type-graphql';
import { listWindow } from '../graphql/selection.js';
import type { GatewayContext } from '../graphql/context.js';
import { currentThenLive, subscribeWith } from '../graphql/live-query.js';
import { isUuid } from '../domain/ids.js';
import { flowRunEvent, topics, type FlowRunEvent } from '../pubsub/events.js';
import { uuidField } from '../services/input-rules.js';
import { FlowRunStatus } from '../schema/enums.js';
import { FlowRun, FlowRunPage } from '../schema/flow-run.type.js';
import { toFlowRun } from '../schema/mappers.js';
import { toPage } from '../schema/page.type.js';
import { Dataflow } from '../schema/resource-types.js';
import { flowRunCursor } from '../store/flow-run.store.js';
import type { Resource } from '../store/rows.js';
import { findResource, PageArgs } from './resource-resolver.js';

@InputType({ description: 'Narrows a dataflow’s runs.' })
class FlowRunFilter {
  @Field(() => FlowRunStatus, { description: 'Only runs with this status.', nullable: true }) status?: FlowRunStatus | null;
}

@Resolver(() => FlowRun)
export class FlowRunResolver {
  @Query(() => FlowRunPage, { description: 'Runs of a dataflow as last synced from the Platform, newest first.' })
  async flowRuns(
    @Arg('dataflowId', () => ID, { description: 'The dataflow whose runs to list.' }) dataflowId: string,
    @Args(() => PageArgs) page: PageArgs,
    @Arg('filter', () => FlowRunFilter, { nullable: true, description: 'Narrows the list.' }) filter: FlowRunFilter | null,
    @Ctx() ctx: GatewayContext,
    @Info() info: GraphQLResolveInfo,
  ) {
    const dataflow = await dataflowOf(ctx, dataflowId, 'dataflowId');
    const runs = await ctx.store.runs.list(dataflow.id, listWindow(page, info), filter?.status ?? null);
    return toPage(runs, toFlowRun, flowRunCursor);
  }

  @Query(() => FlowRun, { nullable: true, description: 'One run by its Flowgate id; null if it does not exist.' })
  async flowRun(@Arg('id', () => ID, { description: 'The run’s Flowgate id.' }) id: string, @Ctx() ctx: GatewayContext): Promise<FlowRun | null> {
    if (!isUuid(id)) return null;
    const row = await ctx.store.runs.find(id);
    if (!row) return null;
    // Runs belong to the sandbox of their dataflow.
    const dataflow = await ctx.store.resources.find(row.dataflowId, ctx.sandbox);
    return dataflow ? toFlowRun(row) : null;
  }

  @FieldResolver(() => Dataflow, { description: 'The dataflow that ran.' })
  dataflow(@Root() run: FlowRun, @Ctx() ctx: GatewayContext): Promise<Dataflow | null> {
    return findResource<Dataflow>(ctx, 'DATAFLOW', run.dataflowId);
  }

  @Subscription(() => FlowRun, {
    description: 'The dataflow’s latest known run (if any), then every run the sync finds new or changed.',
    subscribe: subscribeWith<{ dataflowId: string }>(async (args, ctx) => {
      // Checked before subscribing, so an unknown id leaves no subscription behind.
      const dataflow = await dataflowOf(ctx, args.dataflowId, 'dataflowId');
      return currentThenLive<FlowRunEvent>({
        subscribe: () => ctx.bus.subscribeWithGaps(topics.flowRuns(dataflow.id)),
        loadCurrent: async () => {
          const row = await ctx.store.runs.latest(dataflow.id);
          return row ? flowRunEvent(row) : null;
        },
        isStale: (message, last) => message.id === last.id && Date.parse(message.updatedAt) < Date.parse(last.updatedAt),
        isSame: (current, last) => current.id === last.id && current.updatedAt === last.updatedAt,
      });
    }),
  })
  flowRunUpdated(@Root() payload: FlowRunEvent, @Arg('dataflowId', () => ID, { description: 'The dataflow whose runs to watch.' }) _dataflowId: string): FlowRun {
    return toFlowRun(payload);
  }
}

/** The dataflow row an argument names, in the caller's sandbox (deleted ones included: their runs stay). */
async function dataflowOf(ctx: GatewayContext, id: string, field: string): Promise<Resource> {
  return ctx.store.resources.get(uuidField(field, id), ctx.sandbox, 'DATAFLOW', field);
}
