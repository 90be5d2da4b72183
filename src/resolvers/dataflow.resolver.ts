import type { GraphQLResolveInfo } from 'graphql';
import { Arg, Args, Ctx, Field, FieldResolver, ID, Info, InputType, Int, Mutation, Resolver, Root } from 'type-graphql';
import { listWindow } from '../graphql/selection.js';
import type { DataflowChanges } from '../domain/operations.js';
import { specOf } from '../domain/resource-specs.js';
import { checkNewSchedule, checkScheduleChange, fixStartTime } from '../domain/schedule-rules.js';
import { PreconditionError, ValidationError } from '../errors/app-errors.js';
import type { GatewayContext } from '../graphql/context.js';
import { uuidField } from '../services/input-rules.js';
import { deletableResource, modifiableResource, referencedResource, unchangedResource } from '../services/resource-rules.js';
import { FlowRun, FlowRunPage } from '../schema/flow-run.type.js';
import { toFlowRun } from '../schema/mappers.js';
import { toDataflowHealth } from '../schema/watchdog.mapper.js';
import { DataflowHealth } from '../schema/watchdog.type.js';
import { Operation } from '../schema/operation.type.js';
import { toPage } from '../schema/page.type.js';
import { Dataflow } from '../schema/resource-types.js';
import { ScheduleInput, scheduleRequest, scheduleRule } from '../schema/schedule.input.js';
import { flowRunCursor } from '../store/flow-run.store.js';
import { createFields, NamedCreateInput, PageArgs, ResourceResolver, submitOperation, updateFields, UpdateInputBase } from './resource-resolver.js';

@InputType({ description: 'A new dataflow: what it reads, where it writes, with which mapping, when.' })
class CreateDataflowInput extends NamedCreateInput {
  @Field(() => ID, { description: 'The source connection it reads.' }) sourceConnectionId!: string;
  @Field(() => ID, { description: 'The target connection it writes.' }) targetConnectionId!: string;
  @Field(() => ID, { description: 'A mapping that writes the target connection’s schema.' }) mappingId!: string;
  @Field(() => Int, { nullable: true, description: 'The mapping set version to use; default its latest.' }) mappingVersion?: number | null;
  @Field(() => ScheduleInput, { description: 'When it runs.' }) schedule!: ScheduleInput;
}

@InputType({ description: 'What to change on a dataflow (at least one field).' })
class UpdateDataflowInput extends UpdateInputBase {
  @Field(() => ScheduleInput, { nullable: true, description: 'The whole new schedule (an omitted startTime keeps the current one).' }) schedule?: ScheduleInput | null;
  @Field(() => Int, { description: 'Use this version of its mapping set from now on.', nullable: true }) mappingVersion?: number | null;
}

@Resolver(() => Dataflow)
export class DataflowResolver extends ResourceResolver({ type: 'DATAFLOW', objectType: Dataflow, listDescription: 'Dataflows, newest first.' }) {
  @FieldResolver(() => FlowRunPage, { description: 'Its runs as last synced from the Platform, newest first.' })
  async runs(@Root() dataflow: Dataflow, @Args(() => PageArgs) args: PageArgs, @Ctx() ctx: GatewayContext, @Info() info: GraphQLResolveInfo) {
    const page = await ctx.store.runs.list(dataflow.id, listWindow(args, info));
    return toPage(page, toFlowRun, flowRunCursor);
  }

  @FieldResolver(() => FlowRun, { nullable: true, description: 'Its most recent run, if any.' })
  async lastRun(@Root() dataflow: Dataflow, @Ctx() ctx: GatewayContext): Promise<FlowRun | null> {
    const row = await ctx.store.runs.latest(dataflow.id);
    return row ? toFlowRun(row) : null;
  }

  @FieldResolver(() => DataflowHealth, {
    nullable: true,
    description:
      'Whether its ingestion works, as the watchdog last evaluated it; null before its first evaluation, and for a dataflow that is not ENABLED or DISABLED (being created, failed, deleted).',
  })
  async health(@Root() dataflow: Dataflow, @Ctx() ctx: GatewayContext): Promise<DataflowHealth | null> {
    // The watchdog watches live dataflows only; an older health of a deleted one would mislead.
    if (dataflow.state !== 'ENABLED' && dataflow.state !== 'DISABLED') return null;
    const row = (await ctx.store.watchdog.healthOf([dataflow.id])).get(dataflow.id);
    return row ? toDataflowHealth(row) : null;
  }

  @Mutation(() => Operation, { description: 'Creates a Stripe → data lake dataflow on the Platform; it starts ENABLED.' })
  async createDataflow(@Arg('input', () => CreateDataflowInput, { description: 'What to create.' }) input: CreateDataflowInput, @Ctx() ctx: GatewayContext): Promise<Operation> {
    const { name, description, idempotencyKey } = createFields(input);
    const mappingVersion = optionalMappingVersion('input.mappingVersion', input.mappingVersion);
    const schedule = scheduleRule(() => checkNewSchedule(scheduleRequest(input.schedule), nowSeconds()));

    const source = await referencedResource(ctx, input.sourceConnectionId, 'SOURCE_CONNECTION', 'input.sourceConnectionId');
    const target = await referencedResource(ctx, input.targetConnectionId, 'TARGET_CONNECTION', 'input.targetConnectionId');
    const mapping = await referencedResource(ctx, input.mappingId, 'MAPPING', 'input.mappingId');
    if (mapping.schemaId !== target.schemaId) {
      throw new PreconditionError(
        `mapping ${mapping.id} writes schema ${mapping.schemaId}, but target connection ${target.id} writes schema ${target.schemaId}; they must be the same`,
        'input.mappingId',
      );
    }
    if (mapping.stripeResource && source.stripeResource && mapping.stripeResource !== source.stripeResource) {
      throw new PreconditionError(`mapping ${mapping.id} reads ${mapping.stripeResource}, but source connection ${source.id} reads ${source.stripeResource}`, 'input.mappingId');
    }

    return submitOperation(ctx, {
      type: 'CREATE_DATAFLOW',
      resourceId: ctx.requests.newId(),
      create: {
        name,
        description,
        // An omitted start time stays null until the flow is created (see startTimeOf).
        spec: { schedule, mappingVersion },
        stripeResource: source.stripeResource,
        connectionId: source.connectionId,
        sourceConnectionId: source.id,
        targetConnectionId: target.id,
        mappingId: mapping.id,
        schemaId: target.schemaId,
        datasetId: target.datasetId,
      },
      input: {},
      idempotencyKey,
    });
  }

  @Mutation(() => Operation, { description: 'Changes name, description, schedule or mapping version, with If-Match on the Platform.' })
  async updateDataflow(
    @Arg('id', () => ID, { description: 'The dataflow to change.' }) id: string,
    @Arg('input', () => UpdateDataflowInput, { description: 'What to change.' }) input: UpdateDataflowInput,
    @Arg('expectedEtag', () => String, { nullable: true, description: 'Fail with CONFLICT unless the dataflow still has this etag.' }) expectedEtag: string | null,
    @Ctx() ctx: GatewayContext,
  ): Promise<Operation> {
    uuidField('id', id);
    const changes: DataflowChanges = updateFields(input);
    const mappingVersion = optionalMappingVersion('input.mappingVersion', input.mappingVersion);
    if (mappingVersion !== null) changes.mappingVersion = mappingVersion;
    const hasSchedule = input.schedule !== undefined && input.schedule !== null;
    if (Object.keys(changes).length === 0 && !hasSchedule) throw new ValidationError('input', 'must change at least one of name, description, schedule, mappingVersion');

    const dataflow = await unchangedResource(ctx, id, 'DATAFLOW', expectedEtag);
    if (hasSchedule) {
      // A created flow's start time is fixed (the create stored it); the fallback never applies.
      const current = fixStartTime(specOf('DATAFLOW', dataflow.spec).schedule, Math.floor(dataflow.createdAt.getTime() / 1000));
      changes.schedule = scheduleRule(() => checkScheduleChange(current, scheduleRequest(input.schedule!), nowSeconds()));
    }
    return submitOperation(ctx, { type: 'UPDATE_DATAFLOW', resourceId: dataflow.id, input: { changes, ifMatch: dataflow.etag } });
  }

  @Mutation(() => Operation, { description: 'Enables a dataflow: it runs on its schedule again. Enabling an enabled dataflow succeeds without a change.' })
  enableDataflow(@Arg('id', () => ID, { description: 'The dataflow to enable.' }) id: string, @Ctx() ctx: GatewayContext): Promise<Operation> {
    return this.submitAction(ctx, id, 'ENABLE_DATAFLOW');
  }

  @Mutation(() => Operation, { description: 'Disables a dataflow: no runs until it is enabled. Disabling a disabled dataflow succeeds without a change.' })
  disableDataflow(@Arg('id', () => ID, { description: 'The dataflow to disable.' }) id: string, @Ctx() ctx: GatewayContext): Promise<Operation> {
    return this.submitAction(ctx, id, 'DISABLE_DATAFLOW');
  }

  @Mutation(() => Operation, { description: 'Deletes a dataflow on the Platform. Its runs stay queryable.' })
  async deleteDataflow(@Arg('id', () => ID, { description: 'The dataflow to delete.' }) id: string, @Ctx() ctx: GatewayContext): Promise<Operation> {
    const dataflow = await deletableResource(ctx, id, 'DATAFLOW', 'id');
    if (dataflow.state === 'PENDING') throw new PreconditionError('the dataflow is still being created; wait for its create operation', 'id');
    return submitOperation(ctx, { type: 'DELETE_DATAFLOW', resourceId: dataflow.id, input: { ifMatch: dataflow.etag } });
  }

  private async submitAction(ctx: GatewayContext, id: string, type: 'ENABLE_DATAFLOW' | 'DISABLE_DATAFLOW'): Promise<Operation> {
    const dataflow = await modifiableResource(ctx, id, 'DATAFLOW', 'id');
    return submitOperation(ctx, { type, resourceId: dataflow.id, input: { ifMatch: dataflow.etag } });
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
