import { Arg, Args, ArgsType, Ctx, Field, FieldResolver, ID, InputType, Mutation, Query, Resolver, Root } from 'type-graphql';
import { EtagConflictError, NotFoundError, PreconditionError, ValidationError } from '../errors/app-errors.js';
import type { GatewayContext } from '../graphql/context.js';
import { idempotencyKey, optionalEtag, optionalText, requiredName, sameEtag, stripeAccessToken, uuidField } from '../services/input-rules.js';
import { ResourceState } from '../schema/enums.js';
import { toOperation } from '../schema/mappers.js';
import { Operation } from '../schema/operation.type.js';
import { Connection, ConnectionPage, Dataflow, SourceConnection } from '../schema/resource-types.js';
import { findResource, linkedResources, listResources, PageArgs } from './resource-queries.js';

@InputType()
class CreateConnectionInput {
  @Field(() => String)
  name!: string;

  @Field(() => String, { nullable: true })
  description?: string | null;

  @Field(() => String, { description: 'Stripe secret key. Stored encrypted; never returned.' })
  accessToken!: string;

  @Field(() => String, { nullable: true, description: 'Same key + same input returns the same operation.' })
  idempotencyKey?: string | null;
}

@InputType()
class UpdateConnectionInput {
  @Field(() => String, { nullable: true })
  name?: string | null;

  @Field(() => String, { nullable: true, description: 'Empty string clears it.' })
  description?: string | null;

  @Field(() => String, { nullable: true, description: 'A new Stripe key. Stored encrypted; never returned.' })
  accessToken?: string | null;
}

@InputType()
class ConnectionFilter {
  @Field(() => ResourceState, { nullable: true })
  state?: ResourceState | null;
}

@ArgsType()
class ConnectionsArgs extends PageArgs {
  @Field(() => ConnectionFilter, { nullable: true })
  filter?: ConnectionFilter | null;
}

@Resolver(() => Connection)
export class ConnectionResolver {
  @Query(() => Connection, { nullable: true })
  connection(@Arg('id', () => ID) id: string, @Ctx() ctx: GatewayContext): Promise<Connection | null> {
    return findResource<Connection>(ctx, 'CONNECTION', id);
  }

  @Query(() => ConnectionPage, { description: 'Stripe base connections, newest first.' })
  connections(@Args(() => ConnectionsArgs) args: ConnectionsArgs, @Ctx() ctx: GatewayContext) {
    return listResources(ctx, { type: 'CONNECTION', state: args.filter?.state ?? null }, args);
  }

  @FieldResolver(() => [SourceConnection])
  sourceConnections(@Root() connection: Connection, @Ctx() ctx: GatewayContext): Promise<SourceConnection[]> {
    return linkedResources<SourceConnection>(ctx, 'SOURCE_CONNECTION', 'connectionId', connection.id);
  }

  @FieldResolver(() => [Dataflow])
  dataflows(@Root() connection: Connection, @Ctx() ctx: GatewayContext): Promise<Dataflow[]> {
    return linkedResources<Dataflow>(ctx, 'DATAFLOW', 'connectionId', connection.id);
  }

  @Mutation(() => Operation, { description: 'Creates a Stripe base connection on the Platform.' })
  async createConnection(@Arg('input', () => CreateConnectionInput) input: CreateConnectionInput, @Ctx() ctx: GatewayContext): Promise<Operation> {
    const name = requiredName('input.name', input.name);
    const description = optionalText('input.description', input.description);
    const accessToken = stripeAccessToken('input.accessToken', input.accessToken);
    const key = idempotencyKey('input.idempotencyKey', input.idempotencyKey);
    const operation = await ctx.requests.submit(ctx, {
      type: 'CREATE_CONNECTION',
      resourceId: ctx.requests.newId(),
      create: { name, description },
      secret: accessToken,
      idempotencyKey: key,
    });
    return toOperation(operation);
  }

  @Mutation(() => Operation, { description: 'Changes name, description or the Stripe key, with If-Match on the Platform.' })
  async updateConnection(
    @Arg('id', () => ID) id: string,
    @Arg('input', () => UpdateConnectionInput) input: UpdateConnectionInput,
    @Arg('expectedEtag', () => String, { nullable: true, description: 'Fail with CONFLICT unless the connection still has this etag.' }) expectedEtag: string | null,
    @Ctx() ctx: GatewayContext,
  ): Promise<Operation> {
    uuidField('id', id);
    const changes: Record<string, unknown> = {};
    if (input.name !== undefined && input.name !== null) changes.name = requiredName('input.name', input.name);
    if (input.description !== undefined && input.description !== null) changes.description = optionalText('input.description', input.description) || null;
    const accessToken = input.accessToken === undefined || input.accessToken === null ? undefined : stripeAccessToken('input.accessToken', input.accessToken);
    if (Object.keys(changes).length === 0 && accessToken === undefined) throw new ValidationError('input', 'must change at least one of name, description, accessToken');
    const etag = optionalEtag('expectedEtag', expectedEtag);

    const connection = await ctx.store.resources.get(id, ctx.sandbox, 'CONNECTION', 'id');
    assertUsable(connection.state, connection.platformId, 'id');
    if (etag !== null && !sameEtag(etag, connection.etag)) {
      throw new EtagConflictError(`connection ${id} has etag ${connection.etag}, not ${etag}`, connection.etag);
    }
    const operation = await ctx.requests.submit(ctx, {
      type: 'UPDATE_CONNECTION',
      resourceId: id,
      input: { changes, ifMatch: connection.etag, rotatesAccessToken: accessToken !== undefined },
      secret: accessToken,
    });
    return toOperation(operation);
  }

  @Mutation(() => Operation, { description: 'Deletes a base connection; refused while dataflows use it unless cascade (which deletes them first).' })
  async deleteConnection(
    @Arg('id', () => ID) id: string,
    @Arg('cascade', () => Boolean, { defaultValue: false }) cascade: boolean,
    @Ctx() ctx: GatewayContext,
  ): Promise<Operation> {
    uuidField('id', id);
    const connection = await ctx.store.resources.get(id, ctx.sandbox, 'CONNECTION', 'id');
    if (connection.state === 'DELETED') throw new NotFoundError('CONNECTION', id, 'id');
    const dataflows = await ctx.store.resources.dependents(id, 'DATAFLOW', 'connectionId');
    if (dataflows.length > 0 && !cascade) {
      throw new PreconditionError(`connection ${id} is used by ${dataflows.length} dataflow(s) (${dataflows.map((d) => d.id).join(', ')}); delete them first or pass cascade: true`, 'cascade');
    }
    const operation = await ctx.requests.submit(ctx, { type: 'DELETE_CONNECTION', resourceId: id, input: { cascade, ifMatch: connection.etag } });
    return toOperation(operation);
  }
}

/** A resource must exist on the Platform and not be deleted for an update to make sense. */
export function assertUsable(state: string, platformId: string | null, field: string): void {
  if (state === 'DELETED' || state === 'DELETING') throw new PreconditionError(`the resource is ${state.toLowerCase()}`, field);
  if (state === 'FAILED') throw new PreconditionError('the resource failed to be created; retry its create operation first', field);
  if (!platformId) throw new PreconditionError('the resource is not created on the Platform yet; wait for its create operation', field);
}
