import type { GraphQLResolveInfo } from 'graphql';
import { Arg, Args, Ctx, Field, FieldResolver, ID, Info, InputType, Query, Resolver, Root, Subscription } from 'type-graphql';
import { listWindow } from '../graphql/selection.js';
import type { GatewayContext } from '../graphql/context.js';
import { subscribeWith } from '../graphql/live-query.js';
import { topics, type AlertEvent } from '../pubsub/events.js';
import { uuidField } from '../services/input-rules.js';
import { AlertSeverity, AlertStatus, ProblemStatus } from '../schema/enums.js';
import { toPage } from '../schema/page.type.js';
import { Dataflow } from '../schema/resource-types.js';
import { toAlert } from '../schema/watchdog.mapper.js';
import { Alert, AlertPage, AlertRaised } from '../schema/watchdog.type.js';
import { alertCursor } from '../store/watchdog.store.js';
import { findResource, PageArgs } from './resource-resolver.js';

@InputType({ description: 'Which alerts to list.' })
class AlertFilter {
  @Field(() => AlertStatus, { nullable: true, description: 'Only OPEN or only RESOLVED alerts.' }) status?: AlertStatus | null;
  @Field(() => ID, { nullable: true, description: 'Only the alerts of this dataflow.' }) dataflowId?: string | null;
  @Field(() => ProblemStatus, { nullable: true, description: 'Only alerts about this problem.' }) health?: ProblemStatus | null;
  @Field(() => AlertSeverity, { nullable: true, description: 'Only alerts of this severity.' }) severity?: AlertSeverity | null;
}

/** The dataflow watchdog's alerts: listed, streamed, and linked to their dataflow. */
@Resolver(() => Alert)
export class AlertResolver {
  @Query(() => AlertPage, { description: 'Alerts of the sandbox, newest opened first.' })
  async alerts(
    @Args(() => PageArgs) page: PageArgs,
    @Arg('filter', () => AlertFilter, { nullable: true, description: 'Which alerts; default all of the sandbox.' }) filter: AlertFilter | null,
    @Ctx() ctx: GatewayContext,
    @Info() info: GraphQLResolveInfo,
  ) {
    const f = filter ?? {};
    const alerts = await ctx.store.watchdog.listAlerts(
      { sandbox: ctx.sandbox, status: f.status ?? null, dataflowId: f.dataflowId ? uuidField('filter.dataflowId', f.dataflowId) : null, health: f.health ?? null, severity: f.severity ?? null },
      listWindow(page, info),
    );
    return toPage(alerts, toAlert, alertCursor);
  }

  @FieldResolver(() => Dataflow, { nullable: true, description: 'The dataflow it is about (deleted ones included).' })
  dataflow(@Root() alert: Alert, @Ctx() ctx: GatewayContext): Promise<Dataflow | null> {
    return findResource<Dataflow>(ctx, 'DATAFLOW', alert.dataflowId);
  }

  @Subscription(() => AlertRaised, {
    description: 'Every alert of the sandbox as it is opened, updated or resolved (the watchdog publishes each change once it is recorded).',
    subscribe: subscribeWith<{ dataflowId?: string | null }>(async ({ dataflowId: raw }, ctx) => {
      // Checked before subscribing, so an unknown id leaves no subscription behind.
      const dataflowId = raw ? (await ctx.store.resources.get(uuidField('dataflowId', raw), ctx.sandbox, 'DATAFLOW', 'dataflowId')).id : null;
      const live = await ctx.bus.subscribe(topics.alerts(ctx.sandbox));
      return dataflowId === null ? live : only(live, (event) => event.alert.dataflowId === dataflowId);
    }),
  })
  alertRaised(@Root() event: AlertEvent, @Arg('dataflowId', () => ID, { nullable: true, description: 'Only the alerts of this dataflow.' }) _dataflowId: string | null): AlertRaised {
    return Object.assign(new AlertRaised(), { change: event.change, alert: toAlert(event.alert) });
  }
}

/** The messages of a stream that pass `keep`; ending it ends the stream underneath. */
function only<T>(source: AsyncIterableIterator<T>, keep: (value: T) => boolean): AsyncIterableIterator<T> {
  const iterator: AsyncIterableIterator<T> = {
    [Symbol.asyncIterator]() {
      return iterator;
    },
    async next(): Promise<IteratorResult<T>> {
      for (;;) {
        const result = await source.next();
        if (result.done || keep(result.value)) return result;
      }
    },
    async return(): Promise<IteratorResult<T>> {
      await source.return?.();
      return { value: undefined, done: true };
    },
  };
  return iterator;
}
