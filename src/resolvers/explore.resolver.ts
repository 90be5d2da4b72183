import { Arg, Ctx, ID, Query, Resolver } from 'type-graphql';
import { exploreLeaves } from '../domain/xdm-from-explore.js';
import type { GatewayContext } from '../graphql/context.js';
import { referencedResource } from '../services/resource-rules.js';
import { StripeResource } from '../schema/enums.js';
import { ExploreResult } from '../schema/explore.type.js';

@Resolver(() => ExploreResult)
export class ExploreResolver {
  /**
   * The one query that reaches the Platform synchronously (a mapping UI shows the source schema
   * while the user works); `ctx.explore` caches results briefly.
   */
  @Query(() => ExploreResult, { description: 'Explores a Stripe resource through a base connection (cached briefly).' })
  async explore(
    @Arg('connectionId', () => ID, { description: 'The base connection to read through.' }) connectionId: string,
    @Arg('resource', () => StripeResource, { description: 'The Stripe resource to explore.' }) resource: StripeResource,
    @Arg('preview', () => Boolean, { nullable: true, defaultValue: false, description: 'Also return sample rows.' }) preview: boolean | null,
    @Ctx() ctx: GatewayContext,
  ): Promise<ExploreResult> {
    const connection = await referencedResource(ctx, connectionId, 'CONNECTION', 'connectionId');
    const withRows = preview === true;
    const result = await ctx.explore.explore(connection, resource, withRows, ctx.requestId);
    return Object.assign(new ExploreResult(), {
      connectionId: connection.id,
      resource,
      schema: result.schema,
      fields: exploreLeaves(result.schema),
      rows: withRows ? (result.rows ?? []) : null,
    });
  }
}
