import type { FastifyInstance } from 'fastify';
import type { EmulatorContext } from '../../context.js';
import { catalogueError } from '../../errors/error-bodies.js';
import { SOURCES_ERRORS as SOURCES } from '../../errors/error-catalogue.js';
import { familyErrors } from '../../http/family-errors.js';
import { listFlowItems } from '../../http/flow-listing.js';
import type { RunRequest } from '../../ingestion/run-engine.js';
import type { FlowRecord } from '../../state/store.js';
import { missingField, readObject, readString, requireObjectBody } from './request-checks.js';
import { FLOW_SERVICE_BASE } from './resource-meta.js';
import { scheduleFromWire } from './schedule-rules.js';
import { unknownReference } from './source-connections.routes.js';

/** Epoch seconds past this are milliseconds (the spec says milliseconds, the docs send seconds). */
const LARGEST_EPOCH_SECONDS = 99_999_999_999;

/**
 * Flow runs: list (usually `property=flowId==…`), get, and create an on-demand run. Scheduled
 * runs are produced by the run engine.
 */
export function registerRunRoutes(app: FastifyInstance, ctx: EmulatorContext): void {
  const base = `${FLOW_SERVICE_BASE}/runs`;

  app.get(base, async (request) => {
    const items = [...request.platform!.partition.runs.values()].map((r) => r.wire);
    return listFlowItems(items, request.query as Record<string, unknown>, { selfPath: '/runs' });
  });

  app.get(`${base}/:id`, async (request) => {
    const { id } = request.params as { id: string };
    const run = request.platform!.partition.runs.get(id);
    if (!run) throw familyErrors.notFound('flow', 'Flow run', id, ctx.clock.nowMs());
    return { items: [run.wire] };
  });

  /**
   * On-demand ingestion ("Create a flow run for on-demand ingestion", batch sources): a run of a
   * flow scheduled `once`, reading the window the caller names. Answered 201 with the docs'
   * `{items: [{id, etag}]}` and the spec's top-level `{id, etag}`, so either reader finds the id.
   */
  app.post(base, async (request, reply) => {
    const call = request.platform!;
    const body = requireObjectBody(request.body);
    const flowId = readString(body, 'flowId', 'flowId', true);
    const flow = call.partition.flows.get(flowId);
    if (!flow) throw unknownReference('flowId', flowId);
    const schedule = scheduleFromWire(flow.wire.scheduleParams as Record<string, unknown>);
    if (schedule.frequency !== 'once') {
      throw catalogueError(SOURCES.flowRunFrequencyNotSupported, { flowId, frequency: schedule.frequency }, { field: 'flowId' });
    }
    if (flow.wire.state !== 'enabled') {
      throw catalogueError(SOURCES.flowRunCreationFailed, { message: `the flow ${flowId} is ${String(flow.wire.state)}; enable it first.` }, { field: 'flowId' });
    }
    const runRequest = readRunParams(body, flow, ctx.clock.nowSeconds());
    const run = ctx.runs.requestRun(call.partition, flow, runRequest);
    reply.code(201).header('location', `${base}/${run.id}`);
    return { id: run.id, etag: run.etag, items: [{ id: run.id, etag: run.etag }] };
  });
}

/** `params{startTime?, windowStartTime, windowEndTime, deltaColumn?}`: epoch seconds, as numbers or digit strings. */
function readRunParams(body: Record<string, unknown>, flow: FlowRecord, nowSeconds: number): RunRequest {
  const params = readObject(body, 'params', 'params', true);
  const windowStartSeconds = readTime(params, 'windowStartTime', true)!;
  const windowEndSeconds = readTime(params, 'windowEndTime', true)!;
  const startAtSeconds = Math.max(readTime(params, 'startTime', false) ?? nowSeconds, nowSeconds);
  if (windowEndSeconds <= windowStartSeconds) {
    throw catalogueError(SOURCES.windowEndBeforeStart, { endTime: windowEndSeconds, startTime: windowStartSeconds }, { field: 'params.windowEndTime' });
  }
  const deltaColumn = readObject(params, 'deltaColumn', 'params.deltaColumn', false);
  if (deltaColumn) {
    const name = readString(deltaColumn, 'name', 'params.deltaColumn.name', true);
    // Only the first run names it; later runs may repeat it but not change it.
    if (flow.deltaColumn !== undefined && flow.deltaColumn !== name) throw catalogueError(SOURCES.deltaColumnMismatch, undefined, { field: 'params.deltaColumn.name' });
    flow.deltaColumn = name;
  }
  return { startAtSeconds, windowStartSeconds, windowEndSeconds };
}

function readTime(params: Record<string, unknown>, key: string, required: boolean): number | undefined {
  const raw = params[key];
  const field = `params.${key}`;
  if (raw === undefined || raw === null || raw === '') {
    if (required) throw missingField(field);
    return undefined;
  }
  const value = typeof raw === 'number' ? raw : typeof raw === 'string' && /^\d{1,16}$/.test(raw.trim()) ? Number(raw.trim()) : NaN;
  if (!Number.isSafeInteger(value) || value < 0) {
    throw catalogueError(SOURCES.flowRunParamsInvalid, { params: `${field} (${JSON.stringify(raw)}: use epoch seconds)` }, { field });
  }
  return value > LARGEST_EPOCH_SECONDS ? Math.floor(value / 1000) : value;
}
