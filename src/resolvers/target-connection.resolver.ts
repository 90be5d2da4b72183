import { Arg, Ctx, Field, ID, InputType, Mutation, Resolver } from 'type-graphql';
import { PreconditionError } from '../errors/app-errors.js';
import type { GatewayContext } from '../graphql/context.js';
import { referencedResource } from '../services/resource-rules.js';
import { Operation } from '../schema/operation.type.js';
import { TargetConnection } from '../schema/resource-types.js';
import { createFields, CreateInputBase, ResourceResolver, submitOperation } from './resource-resolver.js';

@InputType({ description: 'A new target connection: a dataset to write to.' })
class CreateTargetConnectionInput extends CreateInputBase {
  @Field(() => ID, { description: 'The dataset the dataflow writes into; the schema is the dataset’s.' }) datasetId!: string;
  @Field(() => String, { nullable: true, description: 'Default: "<dataset name> (data lake)".' }) name?: string | null;
}

@Resolver(() => TargetConnection)
export class TargetConnectionResolver extends ResourceResolver({ type: 'TARGET_CONNECTION', objectType: TargetConnection, listDescription: 'Data lake target connections, newest first.' }) {
  @Mutation(() => Operation, { description: 'Creates a data lake target connection (parquet_xdm) into a dataset, with the dataset’s schema.' })
  async createTargetConnection(
    @Arg('input', () => CreateTargetConnectionInput, { description: 'What to create.' }) input: CreateTargetConnectionInput,
    @Ctx() ctx: GatewayContext,
  ): Promise<Operation> {
    const dataset = await referencedResource(ctx, input.datasetId, 'DATASET', 'input.datasetId');
    const fields = createFields(input);
    if (!dataset.schemaId) throw new PreconditionError(`dataset ${dataset.id} has no schema`, 'input.datasetId');
    return submitOperation(ctx, {
      type: 'CREATE_TARGET_CONNECTION',
      resourceId: ctx.requests.newId(),
      create: { name: fields.name ?? `${dataset.name} (data lake)`.slice(0, 200), description: fields.description, datasetId: dataset.id, schemaId: dataset.schemaId },
      input: {},
      idempotencyKey: fields.idempotencyKey,
    });
  }
}
