import { Arg, Args, ArgsType, Ctx, Field, FieldResolver, ID, InputType, Int, Mutation, Query, Resolver, Root } from 'type-graphql';
import { checkNewSchedule, checkScheduleChange, type FlowSchedule } from '../domain/schedule-rules.js';
import { EtagConflictError, NotFoundError, PreconditionError, ValidationError } from '../errors/app-errors.js';
import type { GatewayContext } from '../graphql/context.js';
import type { DataflowChanges } from '../jobs/handlers/dataflow.handlers.js';
import { idempotencyKey, optionalEtag, optionalText, requiredName, sameEtag, uuidField } from '../services/input-rules.js';
import { ResourceState, StripeResource } from '../schema/enums.js';
import { ScheduleInput, scheduleRequest, scheduleRule } from '../schema/schedule.input.js';
import { FlowRun, FlowRunPage } from '../schema/flow-run.type.js';
import { toFlowRun, toOperation, type ResourceSpec } from '../schema/mappers.js';
import { Operation } from '../schema/operation.type.js';
import { toPage } from '../schema/page.type.js';
import { Connection, Dataflow, DataflowPage, Mapping, SourceConnection, TargetConnection } from '../schema/resource-types.js';
import { pageSize } from '../store/cursor.js';
import { flowRunCursor } from '../store/flow-run.store.js';
import { assertUsable } from './connection.resolver.js';
import { findResource, listResources, PageArgs } from './resource-queries.js';
import { usableDependency } from './source-connection.resolver.js';

@InputType()
class CreateDataflowInput {
  @Field(() => String)
  name!: string;

  @Field(() => String, { nullable: true })
  description?: string | null;

  @Field(() => ID)
  sourceConnectionId!: string;

  @Field(() => ID)
  targetConnectionId!: string;

  @Field(() => ID, { description: 'A mapping that writes the target connection’s schema.' })
  mappingId!: string;

  @Field(() => Int, { nullable: true, description: 'The mapping set version to use; default its latest.' })
  mappingVersion?: number | null;

  @Field(() => ScheduleInput)
  schedule!: ScheduleInput;

  @Field(() => String, { nullable: true, description: 'Same key + same input returns the same operation.' })
  idempotencyKey?: string | null;
}

@InputType()
class UpdateDataflowInput {
  @Field(() => String, { nullable: true })
  name?: string | null;

  @Field(() => String, { nullable: true, description: 'Empty string clears it.' })
  description?: string | null;

  @Field(() => ScheduleInput, { nullable: true, description: 'The whole new schedule (an omitted startTime keeps the current one).' })
  schedule?: ScheduleInput | null;

  @Field(() => Int, { nullable: true })
  mappingVersion?: number | null;
}

@InputType()
class DataflowFilter {
  @Field(() => ResourceState, { nullable: true })
  state?: ResourceState | null;

  @Field(() => StripeResource, { nullable: true, description: 'Only dataflows reading this Stripe resource.' })
  resource?: StripeResource | null;

  @Field(() => ID, { nullable: true, description: 'Only dataflows reading through this base connection.' })
  connectionId?: string | null;
}

@ArgsType()
class DataflowsArgs extends PageArgs {
  @Field(() => DataflowFilter, { nullable: true })
  filter?: DataflowFilter | null;
}

@Resolver(() => Dataflow)
export class DataflowResolver {
  @Query(() => Dataflow, { nullable: true })
  dataflow(@Arg('id', () => ID) id: string, @Ctx() ctx: GatewayContext): Promise<Dataflow | null> {
    return findResource<Dataflow>(ctx, 'DATAFLOW', id);
  }

  @Query(() => DataflowPage, { description: 'Dataflows, newest first.' })
  dataflows(@Args(() => DataflowsArgs) args: DataflowsArgs, @Ctx() ctx: GatewayContext) {
    const f = args.filter ?? {};
    const connectionId = f.connectionId ? uuidField('filter.connectionId', f.connectionId) : null;
    return listResources(ctx, { type: 'DATAFLOW', state: f.state ?? null, stripeResource: f.resource ?? null, connectionId }, args);
  }

  @FieldResolver(() => SourceConnection)
  sourceConnection(@Root() dataflow: Dataflow, @Ctx() ctx: GatewayContext): Promise<SourceConnection | null> {
    return findResource<SourceConnection>(ctx, 'SOURCE_CONNECTION', dataflow.sourceConnectionId);
  }

  @FieldResolver(() => TargetConnection)
  targetConnection(@Root() dataflow: Dataflow, @Ctx() ctx: GatewayContext): Promise<TargetConnection | null> {
    return findResource<TargetConnection>(ctx, 'TARGET_CONNECTION', dataflow.targetConnectionId);
  }

  @FieldResolver(() => Mapping)
  mapping(@Root() dataflow: Dataflow, @Ctx() ctx: GatewayContext): Promise<Mapping | null> {
    return findResource<Mapping>(ctx, 'MAPPING', dataflow.mappingId);
  }

  @FieldResolver(() => Connection, { nullable: true, description: 'The Stripe base connection it reads through.' })
  connection(@Root() dataflow: Dataflow, @Ctx() ctx: GatewayContext): Promise<Connection | null> {
    return dataflow.connectionId ? findResource<Connection>(ctx, 'CONNECTION', dataflow.connectionId) : Promise.resolve(null);
  }

  @FieldResolver(() => FlowRunPage, { description: 'Its runs as last synced from the Platform, newest first.' })
  async runs(@Root() dataflow: Dataflow, @Args(() => PageArgs) args: PageArgs, @Ctx() ctx: GatewayContext) {
    const page = await ctx.store.runs.list(dataflow.id, pageSize(args.first), args.after);
    return toPage(page, toFlowRun, flowRunCursor);
  }

  @FieldResolver(() => FlowRun, { nullable: true, description: 'Its most recent run, if any.' })
  async lastRun(@Root() dataflow: Dataflow, @Ctx() ctx: GatewayContext): Promise<FlowRun | null> {
    const row = await ctx.store.runs.latest(dataflow.id);
    return row ? toFlowRun(row) : null;
  }

  @Mutation(() => Operation, { description: 'Creates a Stripe → data lake dataflow on the Platform; it starts ENABLED.' })
  async createDataflow(@Arg('input', () => CreateDataflowInput) input: CreateDataflowInput, @Ctx() ctx: GatewayContext): Promise<Operation> {
    const name = requiredName('input.name', input.name);
    const description = optionalText('input.description', input.description);
    const key = idempotencyKey('input.idempotencyKey', input.idempotencyKey);
    const mappingVersion = optionalMappingVersion('input.mappingVersion', input.mappingVersion);
    const schedule = scheduleRule(() => checkNewSchedule(scheduleRequest(input.schedule), nowSeconds()));

    const source = await usableDependency(ctx, input.sourceConnectionId, 'SOURCE_CONNECTION', 'input.sourceConnectionId');
    const target = await usableDependency(ctx, input.targetConnectionId, 'TARGET_CONNECTION', 'input.targetConnectionId');
    const mapping = await usableDependency(ctx, input.mappingId, 'MAPPING', 'input.mappingId');
    if (mapping.schemaId !== target.schemaId) {
      throw new PreconditionError(`mapping ${mapping.id} writes schema ${mapping.schemaId}, but target connection ${target.id} writes schema ${target.schemaId}; they must be the same`, 'input.mappingId');
    }
    if (mapping.stripeResource && source.stripeResource && mapping.stripeResource !== source.stripeResource) {
      throw new PreconditionError(`mapping ${mapping.id} reads ${mapping.stripeResource}, but source connection ${source.id} reads ${source.stripeResource}`, 'input.mappingId');
    }

    const operation = await ctx.requests.submit(ctx, {
      type: 'CREATE_DATAFLOW',
      resourceId: ctx.requests.newId(),
      create: {
        name,
        description,
        // An omitted start time is fixed by the worker (60 s after the flow is created), so the
        // request stays the same for an idempotent resubmit.
        spec: { schedule: { ...schedule, startTime: input.schedule.startTime ? schedule.startTime : null }, mappingVersion },
        stripeResource: source.stripeResource,
        connectionId: source.connectionId,
        sourceConnectionId: source.id,
        targetConnectionId: target.id,
        mappingId: mapping.id,
        schemaId: target.schemaId,
        datasetId: target.datasetId,
      },
      idempotencyKey: key,
    });
    return toOperation(operation);
  }

  @Mutation(() => Operation, { description: 'Changes name, description, schedule or mapping version, with If-Match on the Platform.' })
  async updateDataflow(
    @Arg('id', () => ID) id: string,
    @Arg('input', () => UpdateDataflowInput) input: UpdateDataflowInput,
    @Arg('expectedEtag', () => String, { nullable: true, description: 'Fail with CONFLICT unless the dataflow still has this etag.' }) expectedEtag: string | null,
    @Ctx() ctx: GatewayContext,
  ): Promise<Operation> {
    uuidField('id', id);
    const changes: DataflowChanges = {};
    if (input.name !== undefined && input.name !== null) changes.name = requiredName('input.name', input.name);
    if (input.description !== undefined && input.description !== null) changes.description = optionalText('input.description', input.description) || null;
    const mappingVersion = optionalMappingVersion('input.mappingVersion', input.mappingVersion);
    if (mappingVersion !== null) changes.mappingVersion = mappingVersion;
    const hasSchedule = input.schedule !== undefined && input.schedule !== null;
    if (Object.keys(changes).length === 0 && !hasSchedule) throw new ValidationError('input', 'must change at least one of name, description, schedule, mappingVersion');
    const etag = optionalEtag('expectedEtag', expectedEtag);

    const dataflow = await ctx.store.resources.get(id, ctx.sandbox, 'DATAFLOW', 'id');
    assertUsable(dataflow.state, dataflow.platformId, 'id');
    if (etag !== null && !sameEtag(etag, dataflow.etag)) {
      throw new EtagConflictError(`dataflow ${id} has etag ${dataflow.etag}, not ${etag}`, dataflow.etag);
    }
    if (hasSchedule) {
      const current = (dataflow.spec as ResourceSpec).schedule as FlowSchedule;
      changes.schedule = scheduleRule(() => checkScheduleChange(current, scheduleRequest(input.schedule!), nowSeconds()));
    }
    const operation = await ctx.requests.submit(ctx, { type: 'UPDATE_DATAFLOW', resourceId: id, input: { changes, ifMatch: dataflow.etag } });
    return toOperation(operation);
  }

  @Mutation(() => Operation, { description: 'Enables a dataflow: it runs on its schedule again. Enabling an enabled dataflow succeeds without a change.' })
  enableDataflow(@Arg('id', () => ID) id: string, @Ctx() ctx: GatewayContext): Promise<Operation> {
    return this.submitAction(ctx, id, 'ENABLE_DATAFLOW');
  }

  @Mutation(() => Operation, { description: 'Disables a dataflow: no runs until it is enabled. Disabling a disabled dataflow succeeds without a change.' })
  disableDataflow(@Arg('id', () => ID) id: string, @Ctx() ctx: GatewayContext): Promise<Operation> {
    return this.submitAction(ctx, id, 'DISABLE_DATAFLOW');
  }

  @Mutation(() => Operation, { description: 'Deletes a dataflow on the Platform. Its runs stay queryable.' })
  async deleteDataflow(@Arg('id', () => ID) id: string, @Ctx() ctx: GatewayContext): Promise<Operation> {
    uuidField('id', id);
    const dataflow = await ctx.store.resources.get(id, ctx.sandbox, 'DATAFLOW', 'id');
    if (dataflow.state === 'DELETED') throw new NotFoundError('DATAFLOW', id, 'id');
    if (dataflow.state === 'PENDING') throw new PreconditionError('the dataflow is still being created; wait for its create operation', 'id');
    const operation = await ctx.requests.submit(ctx, { type: 'DELETE_DATAFLOW', resourceId: id, input: { ifMatch: dataflow.etag } });
    return toOperation(operation);
  }

  private async submitAction(ctx: GatewayContext, id: string, type: 'ENABLE_DATAFLOW' | 'DISABLE_DATAFLOW'): Promise<Operation> {
    uuidField('id', id);
    const dataflow = await ctx.store.resources.get(id, ctx.sandbox, 'DATAFLOW', 'id');
    assertUsable(dataflow.state, dataflow.platformId, 'id');
    const operation = await ctx.requests.submit(ctx, { type, resourceId: id, input: { ifMatch: dataflow.etag } });
    return toOperation(operation);
  }
}

function nowSeconds(): number {
  return Math.floor(Date.now() / 1000);
}

function optionalMappingVersion(field: string, value: number | null | undefined): number | null {
  if (value === undefined || value === null) return null;
  if (!Number.isSafeInteger(value) || value < 0) throw new ValidationError(field, 'must be a mapping set version (0 or more)');
  return value;
}
