import type { FlowSchedule } from '../domain/schedule-rules.js';
import type { Flow } from '../platform/flow-service.client.js';
import type { FlowObservation } from '../store/dataflow-observation.store.js';

/** A flow's schedule in Flowgate's terms (null rather than absent). */
export function scheduleOf(flow: Flow): FlowSchedule {
  const s = flow.schedule;
  return { frequency: s.frequency, interval: s.interval ?? null, startTime: s.startTime, backfill: s.backfill ?? null };
}

/** The mapping set version a flow uses; null when it names none. */
export function mappingVersionOf(flow: Flow): number | null {
  const raw = flow.transformations?.[0]?.params?.mappingVersion;
  return raw === undefined ? null : Number(raw);
}

/** What the watchdog compares of a dataflow's flow; `flow` undefined: not on the Platform. */
export function observationOf(dataflowId: string, flow: Flow | undefined): FlowObservation {
  if (!flow) return { dataflowId, found: false, state: null, etag: null, schedule: null, mappingVersion: null };
  return { dataflowId, found: true, state: flow.state === 'disabled' ? 'disabled' : 'enabled', etag: flow.etag ?? null, schedule: scheduleOf(flow), mappingVersion: mappingVersionOf(flow) };
}
