import { specOf } from '../../domain/resource-specs.js';
import { fixStartTime, sameSchedule, type FlowSchedule } from '../../domain/schedule-rules.js';
import { platformName } from '../../platform/deterministic-names.js';
import type { Flow, FlowScheduleInput } from '../../platform/flow-service.client.js';
import { PlatformRejectedError } from '../../platform/platform-errors.js';
import type { HandlerOutcome, OperationHandler } from '../operation-handler.js';
import { mappingVersionOf, scheduleOf } from '../flow-view.js';
import { syncFlowRuns } from '../sync-runs.job.js';
import type { HandlerContext } from '../operation-handler.js';
import { callOptions, createdSnapshot, createOrAdopt, deleteIgnoringMissing, deleteWithIfMatch, readyDependencies, snapshotOf, writeWithIfMatch } from './handler-support.js';
import type { PatchOperation } from '../../platform/flow-service.client.js';

const stateOf = (flow: Flow) => (flow.state === 'disabled' ? ('DISABLED' as const) : ('ENABLED' as const));

/** The schedule as the Platform takes it: epoch seconds, absent rather than null. */
export function toPlatformSchedule(schedule: FlowSchedule): FlowScheduleInput {
  return {
    startTime: schedule.startTime,
    frequency: schedule.frequency,
    ...(schedule.interval !== null ? { interval: schedule.interval } : {}),
    ...(schedule.backfill !== null ? { backfill: schedule.backfill } : {}),
  };
}

/**
 * CREATE_DATAFLOW: a Stripe → data lake flow over the source connection, target connection and
 * mapping set (each must be on the Platform first; the job waits for them). New flows are enabled.
 */
export const createDataflow: OperationHandler<'CREATE_DATAFLOW'> = async (ctx) => {
  const { flowService } = ctx.deps.platform;
  const options = callOptions(ctx);
  const spec = specOf('DATAFLOW', ctx.resource.spec);
  const [source, target, mapping] = await readyDependencies(ctx, [
    [ctx.resource.sourceConnectionId, 'SOURCE_CONNECTION'],
    [ctx.resource.targetConnectionId, 'TARGET_CONNECTION'],
    [ctx.resource.mappingId, 'MAPPING'],
  ]);
  const mappingVersion = spec.mappingVersion ?? specOf('MAPPING', mapping.spec).version ?? 0;

  // The flow is created now: an omitted start time is fixed relative to this moment.
  const schedule: FlowSchedule = fixStartTime(spec.schedule, Math.floor(Date.now() / 1000));
  await ctx.progress(0.3, 'source, target and mapping found; creating the flow');

  const name = platformName(ctx.resource.name, ctx.resource.id);
  const created = await createOrAdopt(ctx, {
    name,
    find: () => flowService.findFlowsByName(name, options),
    create: () =>
      flowService.createFlow(
        {
          name,
          description: ctx.resource.description ?? undefined,
          sourceConnectionId: source.platformId,
          targetConnectionId: target.platformId,
          mappingId: mapping.platformId,
          mappingVersion,
          schedule: toPlatformSchedule(schedule),
        },
        options,
      ),
  });
  // The create answers id and etag; the flow holds what was sent (a found one is the whole flow).
  const found = 'schedule' in created ? (created as Flow) : null;
  return {
    resource: {
      platformId: created.id,
      etag: created.etag,
      snapshot: createdSnapshot(created, { name, sourceConnectionIds: [source.platformId], targetConnectionIds: [target.platformId], state: 'enabled' }),
      state: found ? stateOf(found) : 'ENABLED',
      spec: { ...spec, schedule: found ? scheduleOf(found) : schedule, mappingVersion: (found ? mappingVersionOf(found) : null) ?? mappingVersion },
    },
    action: 'CREATED',
    message: 'dataflow created',
  };
};

/** UPDATE_DATAFLOW: one JSON Patch with If-Match = the etag the caller saw when it asked. */
export const updateDataflow: OperationHandler<'UPDATE_DATAFLOW'> = async (ctx) => {
  const { flowService } = ctx.deps.platform;
  const options = callOptions(ctx);
  const { changes, ifMatch } = ctx.input;
  const spec = specOf('DATAFLOW', ctx.resource.spec);
  const platformId = ctx.resource.platformId!;
  const name = changes.name ?? ctx.resource.name;
  const description = 'description' in changes ? (changes.description ?? null) : ctx.resource.description;

  const ops: PatchOperation[] = [];
  if (changes.name !== undefined) ops.push({ op: 'replace', path: '/name', value: platformName(name, ctx.resource.id) });
  if ('description' in changes) ops.push(description ? { op: 'add', path: '/description', value: description } : { op: 'remove', path: '/description' });
  if (changes.schedule) ops.push({ op: 'replace', path: '/scheduleParams', value: toPlatformSchedule(changes.schedule) });
  if (changes.mappingVersion !== undefined) ops.push({ op: 'replace', path: '/transformations/0/params/mappingVersion', value: changes.mappingVersion });

  await writeWithIfMatch(
    ctx,
    ifMatch,
    () => flowService.updateFlow(platformId, ifMatch ?? '', ops, options),
    () => flowService.getFlow(platformId, options),
    // A retry whose first PATCH landed but whose answer was lost sees its own change: not a conflict.
    (current) =>
      (changes.name === undefined || current.name === platformName(name, ctx.resource.id)) &&
      (!('description' in changes) || (current.description ?? null) === description) &&
      (!changes.schedule || sameSchedule(scheduleOf(current), changes.schedule)) &&
      (changes.mappingVersion === undefined || mappingVersionOf(current) === changes.mappingVersion),
  );
  const flow = await flowService.getFlow(platformId, options);
  return {
    resource: {
      name,
      description,
      etag: flow.etag,
      snapshot: snapshotOf(flow),
      state: stateOf(flow),
      spec: { ...spec, schedule: scheduleOf(flow), mappingVersion: mappingVersionOf(flow) ?? spec.mappingVersion },
    },
    action: 'UPDATED',
    message: 'dataflow updated',
  };
};

/** ENABLE_DATAFLOW. */
export const enableDataflow: OperationHandler<'ENABLE_DATAFLOW'> = (ctx) => flowAction(ctx, 'enable');

/** DISABLE_DATAFLOW. */
export const disableDataflow: OperationHandler<'DISABLE_DATAFLOW'> = (ctx) => flowAction(ctx, 'disable');

/**
 * Enables or disables the flow. The Platform refuses an action on a flow already in the wanted
 * state (1422-400); that is what a retry after a lost answer sees, and what the user wanted
 * anyway, so it counts as success.
 */
async function flowAction(ctx: HandlerContext, action: 'enable' | 'disable'): Promise<HandlerOutcome> {
  const { flowService } = ctx.deps.platform;
  const options = callOptions(ctx);
  const platformId = ctx.resource.platformId!;
  const wanted = action === 'enable' ? 'enabled' : 'disabled';
  let already = false;
  try {
    await (action === 'enable' ? flowService.enableFlow(platformId, options) : flowService.disableFlow(platformId, options));
  } catch (error) {
    if (!(error instanceof PlatformRejectedError)) throw error;
    const current = await flowService.getFlow(platformId, options);
    if (current.state !== wanted) throw error;
    already = true;
  }
  const flow = await flowService.getFlow(platformId, options);
  return {
    resource: { etag: flow.etag, snapshot: snapshotOf(flow), state: stateOf(flow) },
    action: action === 'enable' ? 'ENABLED' : 'DISABLED',
    message: already ? `dataflow was already ${wanted}` : `dataflow ${wanted}`,
  };
}

/**
 * DELETE_DATAFLOW: syncs its runs one last time (they stay queryable), then deletes the flow; a
 * 404 means an earlier attempt (or someone) already deleted it. A dataflow whose create failed
 * has no platform id: a flow its lost create may have left is looked up by name.
 */
export const deleteDataflow: OperationHandler<'DELETE_DATAFLOW'> = async (ctx) => {
  const { flowService } = ctx.deps.platform;
  const options = callOptions(ctx);
  if (ctx.resource.platformId) {
    await syncFlowRuns(ctx.deps, { dataflowIds: [ctx.resource.id] });
    const id = ctx.resource.platformId;
    await deleteWithIfMatch(
      ctx,
      () => flowService.deleteFlow(id, { ...options, ifMatch: ctx.resource.etag ?? undefined }),
      () => flowService.getFlow(id, options),
    );
  } else {
    for (const flow of await flowService.findFlowsByName(platformName(ctx.resource.name, ctx.resource.id), options)) {
      await deleteIgnoringMissing(() => flowService.deleteFlow(flow.id, options));
    }
  }
  return { resource: { state: 'DELETED', deletedAt: new Date() }, action: 'DELETED', message: 'dataflow deleted' };
};
