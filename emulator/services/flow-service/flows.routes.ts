import type { FastifyInstance } from 'fastify';
import type { EmulatorContext, PlatformCall } from '../../context.js';
import { catalogueError } from '../../errors/error-bodies.js';
import { FLOW_SERVICE_ERRORS as FLOW, SOURCES_ERRORS as SOURCES } from '../../errors/error-catalogue.js';
import { familyErrors } from '../../http/family-errors.js';
import { listFlowItems } from '../../http/flow-listing.js';
import { applyPatch, parseFlowPatch, type PatchOperation } from '../../http/json-patch.js';
import type { FlowRecord } from '../../state/store.js';
import { checkFlowMapping, readMappingTransformation } from './flow-mapping-check.js';
import { checkIfMatch, invalidField, readObject, readString, requireObjectBody } from './request-checks.js';
import { FLOW_SERVICE_BASE, newResourceMeta, touchResource } from './resource-meta.js';
import { parseSchedule, scheduleFromWire, scheduleToWire, type FlowSchedule } from './schedule-rules.js';
import { findSourceConnection, unknownReference } from './source-connections.routes.js';
import { REST_FLOW_SPEC, SPEC_VERSION } from './specs.data.js';

const PATCHABLE_PATHS = [
  '/name',
  '/description',
  '/scheduleParams',
  '/scheduleParams/startTime',
  '/scheduleParams/frequency',
  '/scheduleParams/interval',
  '/scheduleParams/backfill',
  '/transformations/0',
  '/transformations/0/params',
  '/transformations/0/params/mappingId',
  '/transformations/0/params/mappingVersion',
  '/labels',
];

/** Dataflows: create, read, list, update (If-Match), delete, enable/disable. */
export function registerFlowRoutes(app: FastifyInstance, ctx: EmulatorContext): void {
  const base = `${FLOW_SERVICE_BASE}/flows`;

  app.post(base, async (request, reply) => {
    const call = request.platform!;
    const body = requireObjectBody(request.body);
    if (body.state !== undefined) throw catalogueError(FLOW.stateNotAllowedOnCreate, undefined, { field: 'state' });
    const name = readString(body, 'name', 'name', true);
    const description = readString(body, 'description', 'description', false);
    const flowSpec = readObject(body, 'flowSpec', 'flowSpec', true);
    const flowSpecId = readString(flowSpec, 'id', 'flowSpec.id', true);
    const flowSpecVersion = readString(flowSpec, 'version', 'flowSpec.version', false);
    if (flowSpecId !== REST_FLOW_SPEC.id || (flowSpecVersion !== undefined && flowSpecVersion !== SPEC_VERSION)) {
      throw catalogueError(FLOW.invalidSpecId, { specId: flowSpecId }, { field: 'flowSpec.id' });
    }
    const sourceId = readSingleId(body, 'sourceConnectionIds');
    const targetId = readSingleId(body, 'targetConnectionIds');
    const source = call.partition.sourceConnections.get(sourceId);
    if (!source) throw unknownReference('sourceConnectionIds[0]', sourceId);
    const target = call.partition.targetConnections.get(targetId);
    if (!target) throw unknownReference('targetConnectionIds[0]', targetId);
    if (!(REST_FLOW_SPEC.sourceConnectionSpecIds as readonly string[]).includes(source.wire.connectionSpec.id)) {
      throw catalogueError(FLOW.invalidSpecId, `Flow spec ${REST_FLOW_SPEC.name} does not accept source connection spec ${source.wire.connectionSpec.id}.`, { field: 'sourceConnectionIds' });
    }
    if (!(REST_FLOW_SPEC.targetConnectionSpecIds as readonly string[]).includes(target.wire.connectionSpec.id)) {
      throw catalogueError(SOURCES.invalidTargetSpec, { targetConnectionSpecId: target.wire.connectionSpec.id }, { field: 'targetConnectionIds' });
    }
    const mapping = readMappingTransformation(body.transformations);
    checkFlowMapping(ctx, call.partition, mapping, source, target);
    const schedule = parseSchedule(body.scheduleParams, ctx.clock.nowSeconds(), { checkStartInPast: true });

    const nowMs = ctx.clock.nowMs();
    const meta = newResourceMeta(call, nowMs);
    const base = call.partition.connections.get(source.wire.baseConnectionId);
    const wire: Record<string, any> = {
      ...meta,
      name,
      ...(description !== undefined ? { description } : {}),
      flowSpec: { id: REST_FLOW_SPEC.id, version: SPEC_VERSION },
      state: 'enabled',
      sourceConnectionIds: [sourceId],
      targetConnectionIds: [targetId],
      inheritedAttributes: {
        sourceConnections: [
          {
            id: sourceId,
            connectionSpec: source.wire.connectionSpec,
            baseConnection: { id: source.wire.baseConnectionId, connectionSpec: base?.wire.connectionSpec ?? source.wire.connectionSpec },
          },
        ],
        targetConnections: [{ id: targetId, connectionSpec: target.wire.connectionSpec }],
        // Adobe's flow GET examples carry the flow spec's kind here; clients filter source flows by it.
        properties: { isSourceFlow: REST_FLOW_SPEC.attributes.isSourceFlow },
      },
      scheduleParams: scheduleToWire(schedule),
      transformations: [{ name: 'Mapping', params: { mappingId: mapping.mappingId, mappingVersion: String(mapping.mappingVersion) } }],
      runs: `/runs?property=flowId==${String(meta.id)}`,
      lastOperation: { started: nowMs, updated: nowMs, percentCompleted: 100.0, status: { value: 'completed', errors: [] }, ops: [], operation: 'create' },
    };
    const flow: FlowRecord = { wire, nextRunAtSeconds: null, runCount: 0 };
    call.partition.flows.set(wire.id, flow);
    ctx.runs.scheduleFlow(flow);
    reply.code(201).header('location', `${FLOW_SERVICE_BASE}/flows/${wire.id}`);
    return { id: wire.id, etag: wire.etag };
  });

  app.get(base, async (request) => {
    const items = [...request.platform!.partition.flows.values()].map((f) => f.wire);
    return listFlowItems(items, request.query as Record<string, unknown>, { selfPath: '/flows' });
  });

  app.get(`${base}/:id`, async (request) => {
    return { items: [findFlow(ctx, request.platform!, (request.params as { id: string }).id).wire] };
  });

  app.patch(`${base}/:id`, async (request) => {
    const call = request.platform!;
    const flow = findFlow(ctx, call, (request.params as { id: string }).id);
    checkIfMatch(request, flow.wire.etag, true);
    const operations = parseFlowPatch(request.body, PATCHABLE_PATHS);
    const before = { name: flow.wire.name, description: flow.wire.description, scheduleParams: flow.wire.scheduleParams, transformations: flow.wire.transformations, labels: flow.wire.labels };
    const patched = applyPatch(before, operations);

    if (typeof patched.name !== 'string' || patched.name.trim() === '') throw invalidField('name', 'must be a non-empty string');
    if (patched.description !== undefined && typeof patched.description !== 'string') throw invalidField('description', 'must be a string');
    if (patched.labels !== undefined && (!Array.isArray(patched.labels) || patched.labels.some((l: unknown) => typeof l !== 'string'))) {
      throw invalidField('labels', 'must be an array of strings');
    }
    const schedule = touchesSchedule(operations) ? checkScheduleChange(ctx, scheduleFromWire(flow.wire.scheduleParams), patched.scheduleParams) : null;
    let transformations = flow.wire.transformations;
    if (operations.some((op) => op.path.startsWith('/transformations'))) {
      const mapping = readMappingTransformation(patched.transformations);
      const source = findSourceConnection(ctx, call, flow.wire.sourceConnectionIds[0]);
      const target = call.partition.targetConnections.get(flow.wire.targetConnectionIds[0]);
      if (!target) throw unknownReference('targetConnectionIds[0]', flow.wire.targetConnectionIds[0]);
      checkFlowMapping(ctx, call.partition, mapping, source, target);
      transformations = [{ name: 'Mapping', params: { mappingId: mapping.mappingId, mappingVersion: String(mapping.mappingVersion) } }];
    }

    const nowMs = ctx.clock.nowMs();
    flow.wire.name = patched.name;
    if (patched.description === undefined) delete flow.wire.description;
    else flow.wire.description = patched.description;
    if (patched.labels !== undefined) flow.wire.labels = patched.labels;
    flow.wire.transformations = transformations;
    if (schedule) {
      flow.wire.scheduleParams = scheduleToWire(schedule);
      ctx.runs.scheduleFlow(flow);
    }
    flow.wire.lastOperation = {
      started: nowMs,
      updated: nowMs,
      percentCompleted: 100.0,
      status: { value: 'completed', errors: [] },
      ops: operations.map((op) => ({ op: op.op, path: op.path, ...(op.value !== undefined ? { value: op.value } : {}) })),
      operation: 'update',
    };
    touchResource(flow.wire, call, nowMs);
    return { id: flow.wire.id, etag: flow.wire.etag };
  });

  app.delete(`${base}/:id`, async (request, reply) => {
    const call = request.platform!;
    const flow = findFlow(ctx, call, (request.params as { id: string }).id);
    // If-Match is optional on deletes; when sent, a stale etag is refused like on PATCH.
    checkIfMatch(request, flow.wire.etag, false);
    call.partition.flows.delete(flow.wire.id);
    reply.code(204);
  });

  app.post(`${base}/:id/action`, { config: { bodyOptional: true } }, async (request) => {
    const call = request.platform!;
    const flow = findFlow(ctx, call, (request.params as { id: string }).id);
    checkIfMatch(request, flow.wire.etag, false);
    const op = (request.query as Record<string, string | undefined>).op;
    if (!op) throw catalogueError(FLOW.queryParamMissing, "The query parameter 'op' is required: enable or disable.", { field: 'op' });
    const action = op.toLowerCase();
    if (action !== 'enable' && action !== 'disable') {
      throw catalogueError(FLOW.actionNotApplicable, `The action '${op}' is not supported on a flow. Use enable or disable.`, { field: 'op' });
    }
    const wanted = action === 'enable' ? 'enabled' : 'disabled';
    if (flow.wire.state === wanted) {
      throw catalogueError(FLOW.actionNotApplicable, `The flow is already ${wanted}; '${action}' does not apply in its current state.`, { field: 'op' });
    }
    flow.wire.state = wanted;
    if (wanted === 'enabled') ctx.runs.scheduleFlow(flow);
    touchResource(flow.wire, call, ctx.clock.nowMs());
    return { id: flow.wire.id, etag: flow.wire.etag };
  });
}

export function findFlow(ctx: EmulatorContext, call: PlatformCall, id: string): FlowRecord {
  const flow = call.partition.flows.get(id);
  if (!flow) throw familyErrors.notFound('flow', 'Flow', id, ctx.clock.nowMs());
  return flow;
}

function readSingleId(body: Record<string, unknown>, key: 'sourceConnectionIds' | 'targetConnectionIds'): string {
  const raw = body[key];
  if (raw === undefined || raw === null) throw catalogueError(SOURCES.mandatoryFieldMissing, { field: key }, { field: key });
  if (!Array.isArray(raw) || raw.length !== 1 || typeof raw[0] !== 'string' || raw[0] === '') {
    throw catalogueError(SOURCES.idCountNotOne, `'${key}' must hold exactly one connection id for this flow spec.`, { field: key });
  }
  return raw[0];
}

function touchesSchedule(operations: PatchOperation[]): boolean {
  return operations.some((op) => op.path.startsWith('/scheduleParams'));
}

/**
 * Schedule updates: the new schedule must be valid, and once the original start time has
 * passed, neither the start time, nor a switch to `once`, nor backfill may change (1366, 1403, 1404 of the sources catalogue).
 */
function checkScheduleChange(ctx: EmulatorContext, current: FlowSchedule, patchedRaw: unknown): FlowSchedule {
  const now = ctx.clock.nowSeconds();
  const started = current.startTime <= now;
  const next = parseSchedule(patchedRaw, now, { checkStartInPast: false });
  if (next.startTime !== current.startTime) {
    if (started) throw catalogueError(SOURCES.startTimePassedUpdateRefused, `The start time ${current.startTime} has passed; it can no longer be changed.`, { field: 'scheduleParams.startTime' });
    if (next.startTime < now - 60) throw catalogueError(SOURCES.startTimeInPast, `The start time ${next.startTime} is in the past.`, { field: 'scheduleParams.startTime' });
  }
  if (started && next.frequency === 'once' && current.frequency !== 'once') {
    throw catalogueError(SOURCES.frequencyToOnceAfterStart, 'The flow has started; its frequency can no longer change to once.', { field: 'scheduleParams.frequency' });
  }
  if (started && next.backfill !== current.backfill) {
    throw catalogueError(SOURCES.backfillUpdateAfterStart, 'The flow has started; backfill can no longer change.', { field: 'scheduleParams.backfill' });
  }
  return next;
}
