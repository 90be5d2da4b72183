import { Arg, Args, ArgsType, Ctx, Field, FieldResolver, ID, InputType, Mutation, Query, Resolver, Root } from 'type-graphql';
import type { GatewayContext } from '../graphql/context.js';
import { idempotencyKey, optionalText, requiredName, uuidField } from '../services/input-rules.js';
import { ResourceState } from '../schema/enums.js';
import { toOperation } from '../schema/mappers.js';
import { Operation } from '../schema/operation.type.js';
import { Dataset, DatasetPage, TargetConnection, XdmSchema } from '../schema/resource-types.js';
import { findResource, linkedResources, listResources, PageArgs } from './resource-queries.js';
import { linkedResource, usableDependency } from './source-connection.resolver.js';

@InputType()
class CreateDatasetInput {
  @Field(() => ID, { description: 'The Flowgate id of the XDM schema (it may still be PENDING).' })
  schemaId!: string;

  @Field(() => String)
  name!: string;

  @Field(() => String, { nullable: true })
  description?: string | null;

  @Field(() => String, { nullable: true, description: 'Same key + same input returns the same operation.' })
  idempotencyKey?: string | null;
}

@InputType()
class DatasetFilter {
  @Field(() => ID, { nullable: true })
  schemaId?: string | null;

  @Field(() => ResourceState, { nullable: true, description: 'Only resources in this state (default: all but DELETED).' })
  state?: ResourceState | null;
}

@ArgsType()
class DatasetsArgs extends PageArgs {
  @Field(() => DatasetFilter, { nullable: true })
  filter?: DatasetFilter | null;
}

@Resolver(() => Dataset)
export class DatasetResolver {
  @Query(() => Dataset, { nullable: true })
  dataset(@Arg('id', () => ID) id: string, @Ctx() ctx: GatewayContext): Promise<Dataset | null> {
    return findResource<Dataset>(ctx, 'DATASET', id);
  }

  @Query(() => DatasetPage, { description: 'Catalog datasets, newest first.' })
  datasets(@Args(() => DatasetsArgs) args: DatasetsArgs, @Ctx() ctx: GatewayContext) {
    const filter = args.filter;
    return listResources(
      ctx,
      { type: 'DATASET', state: filter?.state ?? null, schemaId: filter?.schemaId ? uuidField('filter.schemaId', filter.schemaId) : null },
      args,
    );
  }

  @FieldResolver(() => XdmSchema, { description: 'The XDM schema of its records.' })
  schema(@Root() dataset: Dataset, @Ctx() ctx: GatewayContext): Promise<XdmSchema> {
    return linkedResource<XdmSchema>(ctx, 'XDM_SCHEMA', dataset.schemaId);
  }

  @FieldResolver(() => [TargetConnection])
  targetConnections(@Root() dataset: Dataset, @Ctx() ctx: GatewayContext): Promise<TargetConnection[]> {
    return linkedResources<TargetConnection>(ctx, 'TARGET_CONNECTION', 'datasetId', dataset.id);
  }

  @Mutation(() => Operation, { description: 'Creates a Catalog dataset for an XDM schema.' })
  async createDataset(@Arg('input', () => CreateDatasetInput) input: CreateDatasetInput, @Ctx() ctx: GatewayContext): Promise<Operation> {
    const name = requiredName('input.name', input.name);
    const description = optionalText('input.description', input.description);
    const key = idempotencyKey('input.idempotencyKey', input.idempotencyKey);
    const schema = await usableDependency(ctx, input.schemaId, 'XDM_SCHEMA', 'input.schemaId');
    const operation = await ctx.requests.submit(ctx, {
      type: 'CREATE_DATASET',
      resourceId: ctx.requests.newId(),
      create: { name, description, schemaId: schema.id },
      idempotencyKey: key,
    });
    return toOperation(operation);
  }
}
