import { Arg, Ctx, Field, ID, InputType, Mutation, Resolver } from 'type-graphql';
import type { GatewayContext } from '../graphql/context.js';
import { referencedResource } from '../services/resource-rules.js';
import { StripeResource } from '../schema/enums.js';
import { Operation } from '../schema/operation.type.js';
import { SourceConnection } from '../schema/resource-types.js';
import { createFields, CreateInputBase, ResourceResolver, submitOperation } from './resource-resolver.js';

@InputType({ description: 'A new source connection: one Stripe resource of a base connection.' })
class CreateSourceConnectionInput extends CreateInputBase {
  @Field(() => ID, { description: 'The Flowgate id of the base connection (it may still be PENDING).' }) connectionId!: string;
  @Field(() => StripeResource, { description: 'The Stripe resource to read.' }) resource!: StripeResource;
  @Field(() => String, { nullable: true, description: 'Default: "<connection name> <resource>".' }) name?: string | null;
}

@Resolver(() => SourceConnection)
export class SourceConnectionResolver extends ResourceResolver({
  type: 'SOURCE_CONNECTION',
  objectType: SourceConnection,
  listDescription: 'Source connections (one Stripe resource of a base connection each), newest first.',
}) {
  @Mutation(() => Operation, { description: 'Creates a source connection reading one Stripe resource through a base connection.' })
  async createSourceConnection(
    @Arg('input', () => CreateSourceConnectionInput, { description: 'What to create.' }) input: CreateSourceConnectionInput,
    @Ctx() ctx: GatewayContext,
  ): Promise<Operation> {
    const fields = createFields(input);
    const connection = await referencedResource(ctx, input.connectionId, 'CONNECTION', 'input.connectionId');
    return submitOperation(ctx, {
      type: 'CREATE_SOURCE_CONNECTION',
      resourceId: ctx.requests.newId(),
      create: { name: fields.name ?? `${connection.name} ${input.resource}`, description: fields.description, stripeResource: input.resource, connectionId: connection.id },
      input: {},
      idempotencyKey: fields.idempotencyKey,
    });
  }
}
