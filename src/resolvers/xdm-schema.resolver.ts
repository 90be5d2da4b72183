import { Arg, Args, ArgsType, Ctx, Field, FieldResolver, ID, InputType, Mutation, Query, Resolver, Root } from 'type-graphql';
import { EXPLORE_SCHEMA_LIMITS, exploreSchemaProblem } from '../domain/xdm-from-explore.js';
import { ValidationError } from '../errors/app-errors.js';
import type { GatewayContext } from '../graphql/context.js';
import { idempotencyKey, jsonNesting, optionalText, requiredName, uuidField } from '../services/input-rules.js';
import { ResourceState, StripeResource } from '../schema/enums.js';
import { toOperation } from '../schema/mappers.js';
import { Operation } from '../schema/operation.type.js';
import { Dataset, SourceConnection, XdmSchema, XdmSchemaPage } from '../schema/resource-types.js';
import { JSON as JSONScalar } from '../schema/scalars.js';
import { findResource, linkedResources, listResources, PageArgs } from './resource-queries.js';
import { usableDependency } from './source-connection.resolver.js';

/** Largest `exploreSchema` accepted, as JSON text. */
const MAX_EXPLORE_SCHEMA_BYTES = 256 * 1024;

@InputType({ description: 'Either sourceConnectionId (its Stripe resource is explored), or resource + exploreSchema.' })
class CreateXdmSchemaInput {
  @Field(() => String)
  name!: string;

  @Field(() => String, { nullable: true })
  description?: string | null;

  @Field(() => ID, { nullable: true, description: 'Mirror the Stripe resource this source connection reads (explored through its base connection).' })
  sourceConnectionId?: string | null;

  @Field(() => StripeResource, { nullable: true, description: 'With exploreSchema: the resource the schema describes.' })
  resource?: StripeResource | null;

  @Field(() => JSONScalar, { nullable: true, description: 'An explore-style schema the caller already has: {type: "object", properties: {data: {...}}}.' })
  exploreSchema?: unknown;

  @Field(() => String, { nullable: true, description: 'Same key + same input returns the same operation.' })
  idempotencyKey?: string | null;
}

@InputType()
class XdmSchemaFilter {
  @Field(() => StripeResource, { nullable: true })
  resource?: StripeResource | null;

  @Field(() => ID, { nullable: true })
  sourceConnectionId?: string | null;

  @Field(() => ResourceState, { nullable: true, description: 'Only resources in this state (default: all but DELETED).' })
  state?: ResourceState | null;
}

@ArgsType()
class XdmSchemasArgs extends PageArgs {
  @Field(() => XdmSchemaFilter, { nullable: true })
  filter?: XdmSchemaFilter | null;
}

@Resolver(() => XdmSchema)
export class XdmSchemaResolver {
  @Query(() => XdmSchema, { nullable: true })
  xdmSchema(@Arg('id', () => ID) id: string, @Ctx() ctx: GatewayContext): Promise<XdmSchema | null> {
    return findResource<XdmSchema>(ctx, 'XDM_SCHEMA', id);
  }

  @Query(() => XdmSchemaPage, { description: 'Custom XDM schemas, newest first.' })
  xdmSchemas(@Args(() => XdmSchemasArgs) args: XdmSchemasArgs, @Ctx() ctx: GatewayContext) {
    const filter = args.filter;
    return listResources(
      ctx,
      {
        type: 'XDM_SCHEMA',
        state: filter?.state ?? null,
        stripeResource: filter?.resource ?? null,
        sourceConnectionId: filter?.sourceConnectionId ? uuidField('filter.sourceConnectionId', filter.sourceConnectionId) : null,
      },
      args,
    );
  }

  @FieldResolver(() => SourceConnection, { nullable: true, description: 'The source connection whose resource was explored; null for a schema made from a given exploreSchema.' })
  sourceConnection(@Root() schema: XdmSchema, @Ctx() ctx: GatewayContext): Promise<SourceConnection | null> {
    return schema.sourceConnectionId ? findResource<SourceConnection>(ctx, 'SOURCE_CONNECTION', schema.sourceConnectionId) : Promise.resolve(null);
  }

  @FieldResolver(() => [Dataset])
  datasets(@Root() schema: XdmSchema, @Ctx() ctx: GatewayContext): Promise<Dataset[]> {
    return linkedResources<Dataset>(ctx, 'DATASET', 'schemaId', schema.id);
  }

  @Mutation(() => Operation, { description: 'Creates a tenant class, a field group mirroring the explored Stripe record, and the schema joining them.' })
  async createXdmSchema(@Arg('input', () => CreateXdmSchemaInput) input: CreateXdmSchemaInput, @Ctx() ctx: GatewayContext): Promise<Operation> {
    const name = requiredName('input.name', input.name);
    const description = optionalText('input.description', input.description);
    const key = idempotencyKey('input.idempotencyKey', input.idempotencyKey);
    const hasSource = input.sourceConnectionId !== undefined && input.sourceConnectionId !== null;
    const hasResource = input.resource !== undefined && input.resource !== null;
    const hasSchema = input.exploreSchema !== undefined && input.exploreSchema !== null;

    if (hasSource) {
      if (hasResource) throw new ValidationError('input.resource', 'must not be given with sourceConnectionId (the source connection names the resource)');
      if (hasSchema) throw new ValidationError('input.exploreSchema', 'must not be given with sourceConnectionId (the source connection is explored)');
      const source = await usableDependency(ctx, input.sourceConnectionId!, 'SOURCE_CONNECTION', 'input.sourceConnectionId');
      const operation = await ctx.requests.submit(ctx, {
        type: 'CREATE_XDM_SCHEMA',
        resourceId: ctx.requests.newId(),
        create: { name, description, stripeResource: source.stripeResource, sourceConnectionId: source.id },
        idempotencyKey: key,
      });
      return toOperation(operation);
    }

    if (!hasResource && !hasSchema) throw new ValidationError('input.sourceConnectionId', 'is required unless resource and exploreSchema are given');
    if (!hasResource) throw new ValidationError('input.resource', 'is required with exploreSchema');
    if (!hasSchema) throw new ValidationError('input.exploreSchema', 'is required with resource (or give sourceConnectionId instead)');
    // Well past the schema's own depth limit (so its walk names the exact node), short of the stack's.
    jsonNesting('input.exploreSchema', input.exploreSchema, 4 * EXPLORE_SCHEMA_LIMITS.maxDepth);
    if (Buffer.byteLength(JSON.stringify(input.exploreSchema)) > MAX_EXPLORE_SCHEMA_BYTES) {
      throw new ValidationError('input.exploreSchema', `must be at most ${MAX_EXPLORE_SCHEMA_BYTES} bytes of JSON`);
    }
    const problem = exploreSchemaProblem(input.exploreSchema);
    if (problem) throw new ValidationError('input.exploreSchema', problem.path ? `${problem.path} ${problem.message}` : problem.message);
    const operation = await ctx.requests.submit(ctx, {
      type: 'CREATE_XDM_SCHEMA',
      resourceId: ctx.requests.newId(),
      create: { name, description, stripeResource: input.resource! },
      // The schema travels in the operation, not the row: the row keeps what was made of it (spec.fields).
      // As text, because jsonb re-orders object keys and the field order is the caller's.
      input: { exploreSchemaJson: JSON.stringify(input.exploreSchema) },
      idempotencyKey: key,
    });
    return toOperation(operation);
  }
}
