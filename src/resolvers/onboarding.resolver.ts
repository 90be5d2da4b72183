import type { GraphQLResolveInfo } from 'graphql';
import { Arg, Args, Ctx, Field, FieldResolver, ID, Info, InputType, Mutation, Query, Resolver, Root, Subscription } from 'type-graphql';
import { listWindow } from '../graphql/selection.js';
import { criticalPathCalls, STEP_CALLS, totalCalls } from '../domain/onboarding-calls.js';
import { planSteps } from '../domain/onboarding-plan.js';
import { specOf } from '../domain/resource-specs.js';
import { checkNewSchedule } from '../domain/schedule-rules.js';
import { NotFoundError, PreconditionError, ValidationError } from '../errors/app-errors.js';
import type { GatewayContext } from '../graphql/context.js';
import { currentThenLive, subscribeWith } from '../graphql/live-query.js';
import { platformName } from '../platform/deterministic-names.js';
import { onboardingEvent, topics } from '../pubsub/events.js';
import { idempotencyKey, optionalText, requiredName, stripeAccessToken, uuidField } from '../services/input-rules.js';
import type { NewOnboardingRequest } from '../services/onboarding-requests.js';
import { StripeResource } from '../schema/enums.js';
import { toResource } from '../schema/mappers.js';
import { toOnboarding } from '../schema/onboarding.mapper.js';
import { Onboarding, OnboardingPage, OnboardingPlan, OnboardingStatus, PlannedStep } from '../schema/onboarding.type.js';
import { toPage } from '../schema/page.type.js';
import { Connection, Dataflow } from '../schema/resource-types.js';
import { ScheduleInput, scheduleRequest, scheduleRule } from '../schema/schedule.input.js';
import type { OnboardingView } from '../store/onboarding-rows.js';
import { onboardingCursor } from '../store/onboarding.store.js';
import { PageArgs } from './resource-resolver.js';

@InputType({ description: 'Where an onboarding writes, when not into datasets it creates.' })
class OnboardingDatasetInput {
  @Field(() => ID, {
    nullable: true,
    description: 'Write every resource into this existing dataset (its schema must have a `_{tenant}.<resource>_data` object for each) instead of creating schemas and datasets.',
  })
  existingDatasetId?: string | null;
}

@InputType({ description: 'Everything needed to bring Stripe resources into AEP in one go.' })
class OnboardStripeInput {
  @Field(() => String, { description: 'Names the base connection; every other resource is named after it.' }) name!: string;
  @Field(() => String, { description: 'Free text shown with the onboarding and its resources.', nullable: true }) description?: string | null;
  @Field(() => String, { description: 'Stripe secret key. Stored encrypted; never returned.' }) accessToken!: string;
  @Field(() => [StripeResource], { description: 'The Stripe resources to ingest (each once).' }) resources!: StripeResource[];
  @Field(() => ScheduleInput, { description: 'When every dataflow it creates runs.' }) schedule!: ScheduleInput;
  @Field(() => OnboardingDatasetInput, { description: 'Write into an existing dataset instead of creating schemas and datasets.', nullable: true }) dataset?: OnboardingDatasetInput | null;
  @Field(() => Boolean, { defaultValue: true, description: 'On final failure, remove what was created (in reverse order).' }) rollbackOnFailure!: boolean;
  @Field(() => String, { nullable: true, description: 'Same key + same input returns the same onboarding.' }) idempotencyKey?: string | null;
}

@InputType({ description: 'Narrows the list of onboardings.' })
class OnboardingFilter {
  @Field(() => OnboardingStatus, { description: 'Only onboardings in this status.', nullable: true }) status?: OnboardingStatus | null;
}

@Resolver(() => Onboarding)
export class OnboardingResolver {
  @Mutation(() => Onboarding, {
    description: 'Onboards Stripe end to end: connection, then per resource source connection, schema, dataset, target connection, mapping and dataflow — as one resumable saga.',
  })
  async onboardStripe(@Arg('input', () => OnboardStripeInput, { description: 'What to onboard.' }) input: OnboardStripeInput, @Ctx() ctx: GatewayContext): Promise<Onboarding> {
    const request = await validateOnboarding(ctx, input);
    const { onboardingId } = await ctx.onboardings.submit(ctx, request);
    return toOnboarding((await ctx.store.onboardings.load(onboardingId))!);
  }

  @Query(() => OnboardingPlan, { description: 'What onboardStripe would create and call, validated, without writing anything anywhere.' })
  async planOnboarding(
    @Arg('input', () => OnboardStripeInput, { description: 'The onboarding to plan (as onboardStripe takes it).' }) input: OnboardStripeInput,
    @Ctx() ctx: GatewayContext,
  ): Promise<OnboardingPlan> {
    const request = await validateOnboarding(ctx, input);
    // The ids are the onboarding's own once it exists; the plan shows the shape with a stand-in.
    const steps = planSteps({ onboardingId: '00000000-0000-5000-8000-000000000000', name: request.name, resources: request.resources, existingDataset: request.existingDataset });
    const tenant = ctx.tenantId ? `_${ctx.tenantId}` : '_{tenant}';
    const planned = steps.map((s) =>
      Object.assign(new PlannedStep(), {
        key: s.key,
        kind: s.kind,
        resource: s.resource,
        dependsOn: s.dependsOn,
        resourceType: s.resourceType,
        name: s.name,
        // RESOURCE-ID stands for the resource's Flowgate id, fixed when the onboarding is created.
        platformName: s.name ? platformName(s.name, 'RESOURCE-ID') : null,
        calls: STEP_CALLS[s.kind].map(({ method, path, purpose }) => ({ method, path, purpose })),
        derivation:
          s.kind === 'CREATE_XDM_SCHEMA'
            ? `tenant field group on the onboarding's shared record class, mirroring the explored ${s.resource} schema under ${tenant}.${s.resource}_data (nulls become strings)`
            : s.kind === 'CREATE_MAPPING'
              ? `data.<field> → ${tenant}.${s.resource}_data.<field> for every explored attribute the schema defines`
              : null,
      }),
    );
    const notes = [
      'Input, schedule and references were validated; nothing was written to Flowgate or the Platform.',
      'Schema fields and field mappings follow from the explored Stripe schema, which the Platform can only infer through the base connection, so they are derived when the onboarding runs.',
      `Steps run in parallel when their inputs are ready; at most the deployment's step concurrency at once.`,
    ];
    if (request.existingDataset) notes.push(`Every resource writes into dataset ${request.existingDataset.id}; no schema or dataset is created.`);
    return Object.assign(new OnboardingPlan(), {
      steps: planned,
      totalCalls: totalCalls(steps),
      criticalPathCalls: criticalPathCalls(steps),
      notes,
    });
  }

  @Query(() => Onboarding, { nullable: true, description: 'One onboarding by id; null when it does not exist or lives in another sandbox.' })
  async onboarding(@Arg('id', () => ID, { description: 'The onboarding’s id.' }) id: string, @Ctx() ctx: GatewayContext): Promise<Onboarding | null> {
    const state = await ctx.store.onboardings.load(id, ctx.sandbox);
    return state ? toOnboarding(state) : null;
  }

  @Query(() => OnboardingPage, { description: 'Onboardings, newest first.' })
  async onboardings(
    @Args(() => PageArgs) page: PageArgs,
    @Arg('filter', () => OnboardingFilter, { nullable: true, description: 'Narrows the list.' }) filter: OnboardingFilter | null,
    @Ctx() ctx: GatewayContext,
    @Info() info: GraphQLResolveInfo,
  ) {
    const onboardings = await ctx.store.onboardings.list({ sandbox: ctx.sandbox, status: filter?.status ?? null }, listWindow(page, info));
    return toPage(onboardings, toOnboarding, onboardingCursor);
  }

  @Mutation(() => Onboarding, { description: 'Resumes a FAILED onboarding (one without rollback) from its failed steps, reusing everything already created.' })
  async retryOnboarding(@Arg('id', () => ID, { description: 'A FAILED onboarding that was not rolled back.' }) id: string, @Ctx() ctx: GatewayContext): Promise<Onboarding> {
    await this.owned(ctx, id);
    if (!(await ctx.store.onboardings.resume(id))) throw new PreconditionError('only a FAILED onboarding that was not rolled back can be retried', 'id');
    await ctx.onboardings.kick(id);
    const state = (await ctx.store.onboardings.load(id))!;
    // Without rollback it ends here, not in the saga: webhooks hear of it from here.
    if (state.onboarding.status === 'CANCELLED') await ctx.onboardings.announceFinished(state.onboarding);
    return toOnboarding(state);
  }

  @Mutation(() => Onboarding, { description: 'Stops an unfinished onboarding. With rollback (default) what it created is removed; without, it stays.' })
  async cancelOnboarding(
    @Arg('id', () => ID, { description: 'The onboarding to stop.' }) id: string,
    @Arg('rollback', () => Boolean, { description: 'Remove what it created (default true).', defaultValue: true }) rollback: boolean,
    @Ctx() ctx: GatewayContext,
  ): Promise<Onboarding> {
    await this.owned(ctx, id);
    if (!(await ctx.store.onboardings.cancel(id, rollback))) throw new PreconditionError('the onboarding has already finished', 'id');
    await ctx.onboardings.kick(id);
    return toOnboarding((await ctx.store.onboardings.load(id))!);
  }

  @FieldResolver(() => Connection, { nullable: true, description: 'The base connection it creates.' })
  async connection(@Root() onboarding: Onboarding, @Ctx() ctx: GatewayContext): Promise<Connection | null> {
    const row = await ctx.store.resources.find(onboarding.connectionId, ctx.sandbox);
    return row ? toResource(row) : null;
  }

  @FieldResolver(() => [Dataflow], { description: 'The dataflows it created so far.' })
  async dataflows(@Root() onboarding: Onboarding, @Ctx() ctx: GatewayContext): Promise<Dataflow[]> {
    const ids = onboarding.steps.filter((s) => s.kind === 'CREATE_DATAFLOW' && s.status === 'SUCCEEDED' && s.resourceId).map((s) => s.resourceId!);
    const rows = await Promise.all(ids.map((id) => ctx.store.resources.find(id, ctx.sandbox)));
    return rows.filter((r) => r !== null && r.state !== 'DELETED').map((r) => toResource(r!) as Dataflow);
  }

  @Subscription(() => Onboarding, {
    description: 'The onboarding now, then again after every step transition.',
    subscribe: subscribeWith<{ id: string }>(async ({ id }, ctx) => {
      return currentThenLive<OnboardingView>({
        subscribe: () => ctx.bus.subscribeWithGaps(topics.onboarding(id)),
        loadCurrent: async () => {
          const state = await ctx.store.onboardings.load(id, ctx.sandbox);
          if (!state) throw new NotFoundError('Onboarding', id, 'id');
          return onboardingEvent(state);
        },
        // Versions, not timestamps: updated_at is a transaction's start and steps change without it.
        // Every recorded change bumps the version, so a state with the version last sent is the
        // state last sent, even where its form differs (a pass's message carries its in-memory
        // steps, the current state is read back from the database).
        isStale: (message, last) => message.onboarding.version <= last.onboarding.version,
        isSame: (current, last) => current.onboarding.version === last.onboarding.version,
      });
    }),
  })
  onboardingProgress(@Root() state: OnboardingView, @Arg('id', () => ID, { description: 'The onboarding to watch.' }) _id: string): Onboarding {
    return toOnboarding(state);
  }

  private async owned(ctx: GatewayContext, id: string): Promise<void> {
    uuidField('id', id);
    if (!(await ctx.store.onboardings.load(id, ctx.sandbox))) throw new NotFoundError('Onboarding', id, 'id');
  }
}

/** Every input rule of an onboarding; throws a typed error naming the field, before anything is written. */
async function validateOnboarding(ctx: GatewayContext, input: OnboardStripeInput): Promise<NewOnboardingRequest> {
  const name = requiredName('input.name', input.name, 150);
  const description = optionalText('input.description', input.description);
  const accessToken = stripeAccessToken('input.accessToken', input.accessToken);
  if (input.resources.length === 0) throw new ValidationError('input.resources', 'must name at least one Stripe resource');
  if (new Set(input.resources).size !== input.resources.length) throw new ValidationError('input.resources', 'must not name a resource twice');
  const resources = input.resources.map((r) => r);
  const schedule = scheduleRule(() => checkNewSchedule(scheduleRequest(input.schedule), Math.floor(Date.now() / 1000), 'input.schedule'));
  const key = idempotencyKey('input.idempotencyKey', input.idempotencyKey);

  let existingDataset: NewOnboardingRequest['existingDataset'] = null;
  const datasetId = input.dataset?.existingDatasetId;
  if (datasetId !== undefined && datasetId !== null) {
    uuidField('input.dataset.existingDatasetId', datasetId);
    const dataset = await ctx.store.resources.get(datasetId, ctx.sandbox, 'DATASET', 'input.dataset.existingDatasetId');
    if (dataset.state !== 'READY' || !dataset.schemaId) throw new PreconditionError(`dataset ${datasetId} is ${dataset.state}, not READY`, 'input.dataset.existingDatasetId');
    const schema = await ctx.store.resources.get(dataset.schemaId, ctx.sandbox, 'XDM_SCHEMA', 'input.dataset.existingDatasetId');
    const spec = specOf('XDM_SCHEMA', schema.spec);
    for (const r of resources) {
      const prefix = `${spec.tenantNamespace ?? ''}.${r}_data.`;
      if (!(spec.fields ?? []).some((f) => f.path.startsWith(prefix))) {
        throw new PreconditionError(`the schema of dataset ${datasetId} has no ${prefix.slice(0, -1)} fields for ${r}`, 'input.dataset.existingDatasetId');
      }
    }
    existingDataset = { id: dataset.id, schemaId: dataset.schemaId };
  }
  return { name, description, accessToken, resources, schedule, rollbackOnFailure: input.rollbackOnFailure, existingDataset, idempotencyKey: key };
}
