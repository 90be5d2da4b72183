import { Arg, Ctx, Field, ID, InputType, Mutation, Resolver } from 'type-graphql';
import { PreconditionError, ValidationError } from '../errors/app-errors.js';
import type { GatewayContext } from '../graphql/context.js';
import { stripeAccessToken, uuidField } from '../services/input-rules.js';
import { deletableResource, unchangedResource } from '../services/resource-rules.js';
import { Operation } from '../schema/operation.type.js';
import { Connection } from '../schema/resource-types.js';
import { createFields, NamedCreateInput, ResourceResolver, submitOperation, UpdateInputBase, updateFields } from './resource-resolver.js';

@InputType({ description: 'A new Stripe base connection.' })
class CreateConnectionInput extends NamedCreateInput {
  @Field(() => String, { description: 'Stripe secret key. Stored encrypted; never returned.' }) accessToken!: string;
}

@InputType({ description: 'What to change on a base connection (at least one field).' })
class UpdateConnectionInput extends UpdateInputBase {
  @Field(() => String, { nullable: true, description: 'A new Stripe key. Stored encrypted; never returned.' }) accessToken?: string | null;
}

@Resolver(() => Connection)
export class ConnectionResolver extends ResourceResolver({ type: 'CONNECTION', objectType: Connection, listDescription: 'Stripe base connections, newest first.' }) {
  @Mutation(() => Operation, { description: 'Creates a Stripe base connection on the Platform.' })
  createConnection(@Arg('input', () => CreateConnectionInput, { description: 'What to create.' }) input: CreateConnectionInput, @Ctx() ctx: GatewayContext): Promise<Operation> {
    const { name, description, idempotencyKey } = createFields(input);
    const accessToken = stripeAccessToken('input.accessToken', input.accessToken);
    return submitOperation(ctx, { type: 'CREATE_CONNECTION', resourceId: ctx.requests.newId(), create: { name, description }, secret: accessToken, input: {}, idempotencyKey });
  }

  @Mutation(() => Operation, { description: 'Changes name, description or the Stripe key, with If-Match on the Platform.' })
  async updateConnection(
    @Arg('id', () => ID, { description: 'The base connection to change.' }) id: string,
    @Arg('input', () => UpdateConnectionInput, { description: 'What to change.' }) input: UpdateConnectionInput,
    @Arg('expectedEtag', () => String, { nullable: true, description: 'Fail with CONFLICT unless the connection still has this etag.' }) expectedEtag: string | null,
    @Ctx() ctx: GatewayContext,
  ): Promise<Operation> {
    uuidField('id', id);
    const changes = updateFields(input);
    const accessToken = input.accessToken === undefined || input.accessToken === null ? undefined : stripeAccessToken('input.accessToken', input.accessToken);
    if (Object.keys(changes).length === 0 && accessToken === undefined) throw new ValidationError('input', 'must change at least one of name, description, accessToken');
    const connection = await unchangedResource(ctx, id, 'CONNECTION', expectedEtag);
    return submitOperation(ctx, {
      type: 'UPDATE_CONNECTION',
      resourceId: connection.id,
      input: { changes, ifMatch: connection.etag, rotatesAccessToken: accessToken !== undefined },
      secret: accessToken,
    });
  }

  @Mutation(() => Operation, { description: 'Deletes a base connection; refused while dataflows use it unless cascade (which deletes them first).' })
  async deleteConnection(
    @Arg('id', () => ID, { description: 'The base connection to delete.' }) id: string,
    @Arg('cascade', () => Boolean, { description: 'Delete the dataflows that use it first (admins only).', defaultValue: false }) cascade: boolean,
    @Ctx() ctx: GatewayContext,
  ): Promise<Operation> {
    const connection = await deletableResource(ctx, id, 'CONNECTION', 'id');
    const dataflows = await ctx.store.resources.dependents(connection.id, 'DATAFLOW', 'connectionId');
    if (dataflows.length > 0 && !cascade) {
      throw new PreconditionError(`connection ${id} is used by ${dataflows.length} dataflow(s) (${dataflows.map((d) => d.id).join(', ')}); delete them first or pass cascade: true`, 'cascade');
    }
    return submitOperation(ctx, { type: 'DELETE_CONNECTION', resourceId: connection.id, input: { cascade, ifMatch: connection.etag } });
  }
}
