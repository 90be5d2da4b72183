import { Arg, Ctx, Field, ID, InputType, Mutation, Resolver } from 'type-graphql';
import type { GatewayContext } from '../graphql/context.js';
import { referencedResource } from '../services/resource-rules.js';
import { Operation } from '../schema/operation.type.js';
import { Dataset } from '../schema/resource-types.js';
import { createFields, NamedCreateInput, ResourceResolver, submitOperation } from './resource-resolver.js';

@InputType({ description: 'A new Catalog dataset for an XDM schema.' })
class CreateDatasetInput extends NamedCreateInput {
  @Field(() => ID, { description: 'The Flowgate id of the XDM schema (it may still be PENDING).' }) schemaId!: string;
}

@Resolver(() => Dataset)
export class DatasetResolver extends ResourceResolver({ type: 'DATASET', objectType: Dataset, listDescription: 'Catalog datasets, newest first.' }) {
  @Mutation(() => Operation, { description: 'Creates a Catalog dataset for an XDM schema.' })
  async createDataset(@Arg('input', () => CreateDatasetInput, { description: 'What to create.' }) input: CreateDatasetInput, @Ctx() ctx: GatewayContext): Promise<Operation> {
    const { name, description, idempotencyKey } = createFields(input);
    const schema = await referencedResource(ctx, input.schemaId, 'XDM_SCHEMA', 'input.schemaId');
    return submitOperation(ctx, { type: 'CREATE_DATASET', resourceId: ctx.requests.newId(), create: { name, description, schemaId: schema.id }, input: {}, idempotencyKey });
  }
}
