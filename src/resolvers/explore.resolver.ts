import { Arg, Ctx, Field, ID, ObjectType, Query, Resolver } from 'type-graphql';
import { exploreLeaves, type ExploreNode } from '../domain/xdm-from-explore.js';
import { NotFoundError, PreconditionError } from '../errors/app-errors.js';
import type { GatewayContext } from '../graphql/context.js';
import { StripeResource } from '../schema/enums.js';
import { JSON as JSONScalar } from '../schema/scalars.js';

@ObjectType({ description: 'One leaf of an explored schema: the path a mapping source uses.' })
export class ExploreField {
  @Field(() => String, { description: 'e.g. "data.amount".' })
  path!: string;

  @Field(() => String, { description: 'object, array, string, integer, number, boolean — or unknown (the value was null in the sample).' })
  type!: string;
}

@ObjectType({ description: 'What the Platform reads from a Stripe resource: its schema and, with preview, sample rows.' })
export class ExploreResult {
  @Field(() => ID)
  connectionId!: string;

  @Field(() => StripeResource)
  resource!: StripeResource;

  @Field(() => JSONScalar, { description: 'The hierarchical schema the Platform infers; the record sits under properties.data.' })
  schema!: unknown;

  @Field(() => [ExploreField])
  fields!: ExploreField[];

  @Field(() => [JSONScalar], { nullable: true, description: 'Sample records ({data: {...}}) when preview is true; null otherwise.' })
  rows!: unknown[] | null;
}

@Resolver(() => ExploreResult)
export class ExploreResolver {
  /**
   * The one query that reaches the Platform synchronously (a mapping UI shows the source schema
   * while the user works); `ctx.explore` caches results briefly.
   */
  @Query(() => ExploreResult, { description: 'Explores a Stripe resource through a base connection (cached briefly).' })
  async explore(
    @Arg('connectionId', () => ID) connectionId: string,
    @Arg('resource', () => StripeResource) resource: StripeResource,
    @Arg('preview', () => Boolean, { nullable: true, defaultValue: false, description: 'Also return sample rows.' }) preview: boolean | null,
    @Ctx() ctx: GatewayContext,
  ): Promise<ExploreResult> {
    const connection = await ctx.store.resources.get(connectionId, ctx.sandbox, 'CONNECTION', 'connectionId');
    if (connection.state === 'DELETED' || connection.state === 'DELETING') throw new NotFoundError('CONNECTION', connectionId, 'connectionId');
    if (connection.state === 'FAILED') throw new PreconditionError(`connection ${connectionId} failed to be created`, 'connectionId');
    const withRows = preview === true;
    const result = await ctx.explore.explore(connection, resource, withRows, ctx.requestId);
    return Object.assign(new ExploreResult(), {
      connectionId: connection.id,
      resource,
      schema: result.schema,
      fields: exploreLeaves(result.schema as ExploreNode),
      rows: withRows ? (result.rows ?? []) : null,
    });
  }
}
