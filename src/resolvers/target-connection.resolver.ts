import { Arg, Args, ArgsType, Ctx, Field, FieldResolver, ID, InputType, Mutation, Query, Resolver, Root } from 'type-graphql';
import { PreconditionError } from '../errors/app-errors.js';
import type { GatewayContext } from '../graphql/context.js';
import { idempotencyKey, optionalText, requiredName, uuidField } from '../services/input-rules.js';
import { ResourceState } from '../schema/enums.js';
import { toOperation } from '../schema/mappers.js';
import { Operation } from '../schema/operation.type.js';
import { Dataset, TargetConnection, TargetConnectionPage, XdmSchema } from '../schema/resource-types.js';
import { findResource, listResources, PageArgs } from './resource-queries.js';
import { usableDependency } from './source-connection.resolver.js';

@InputType()
class CreateTargetConnectionInput {
  @Field(() => ID, { description: 'The dataset the dataflow writes into; the schema is the dataset’s.' })
  datasetId!: string;

  @Field(() => String, { nullable: true, description: 'Default: "<dataset name> (data lake)".' })
  name?: string | null;

  @Field(() => String, { nullable: true })
  description?: string | null;

  @Field(() => String, { nullable: true, description: 'Same key + same input returns the same operation.' })
  idempotencyKey?: string | null;
}

@InputType()
class TargetConnectionFilter {
  @Field(() => ID, { nullable: true })
  datasetId?: string | null;

  @Field(() => ResourceState, { nullable: true })
  state?: ResourceState | null;
}

@ArgsType()
class TargetConnectionsArgs extends PageArgs {
  @Field(() => TargetConnectionFilter, { nullable: true })
  filter?: TargetConnectionFilter | null;
}

@Resolver(() => TargetConnection)
export class TargetConnectionResolver {
  @Query(() => TargetConnection, { nullable: true })
  targetConnection(@Arg('id', () => ID) id: string, @Ctx() ctx: GatewayContext): Promise<TargetConnection | null> {
    return findResource<TargetConnection>(ctx, 'TARGET_CONNECTION', id);
  }

  @Query(() => TargetConnectionPage, { description: 'Data lake target connections, newest first.' })
  targetConnections(@Args(() => TargetConnectionsArgs) args: TargetConnectionsArgs, @Ctx() ctx: GatewayContext) {
    const datasetId = args.filter?.datasetId ? uuidField('filter.datasetId', args.filter.datasetId) : null;
    return listResources(ctx, { type: 'TARGET_CONNECTION', state: args.filter?.state ?? null, datasetId }, args);
  }

  @FieldResolver(() => Dataset, { description: 'The dataset it writes into.' })
  dataset(@Root() target: TargetConnection, @Ctx() ctx: GatewayContext): Promise<Dataset | null> {
    return findResource<Dataset>(ctx, 'DATASET', target.datasetId);
  }

  @FieldResolver(() => XdmSchema, { description: 'The XDM schema of its dataset.' })
  schema(@Root() target: TargetConnection, @Ctx() ctx: GatewayContext): Promise<XdmSchema | null> {
    return findResource<XdmSchema>(ctx, 'XDM_SCHEMA', target.schemaId);
  }

  @Mutation(() => Operation, { description: 'Creates a data lake target connection (parquet_xdm) into a dataset, with the dataset’s schema.' })
  async createTargetConnection(@Arg('input', () => CreateTargetConnectionInput) input: CreateTargetConnectionInput, @Ctx() ctx: GatewayContext): Promise<Operation> {
    const dataset = await usableDependency(ctx, input.datasetId, 'DATASET', 'input.datasetId');
    const name = input.name === undefined || input.name === null ? `${dataset.name} (data lake)`.slice(0, 200) : requiredName('input.name', input.name);
    const description = optionalText('input.description', input.description);
    const key = idempotencyKey('input.idempotencyKey', input.idempotencyKey);
    if (!dataset.schemaId) throw new PreconditionError(`dataset ${dataset.id} has no schema`, 'input.datasetId');
    const operation = await ctx.requests.submit(ctx, {
      type: 'CREATE_TARGET_CONNECTION',
      resourceId: ctx.requests.newId(),
      create: { name, description, datasetId: dataset.id, schemaId: dataset.schemaId },
      idempotencyKey: key,
    });
    return toOperation(operation);
  }
}
