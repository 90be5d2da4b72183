import { flowRunStatusOf } from '../domain/flow-runs.js';
import type { FlowRun as PlatformRun } from '../platform/flow-service.client.js';
import { PlatformNotFoundError } from '../platform/platform-errors.js';
import { message } from '../pubsub/event-bus.js';
import { flowRunEvent, topics } from '../pubsub/events.js';
import { observationOf } from './flow-view.js';
import type { SyncedRun } from '../store/flow-run.store.js';
import type { WorkerDeps } from './operation-handler.js';

/** A Platform run in Flowgate's terms. */
export function toSyncedRun(run: PlatformRun): SyncedRun {
  const m = run.metrics ?? {};
  const started = m.durationSummary?.startedAtUTC ?? run.createdAt;
  const completed = m.durationSummary?.completedAtUTC;
  return {
    platformId: run.id,
    status: flowRunStatusOf(run.status),
    startedAt: started ? new Date(started) : null,
    completedAt: completed ? new Date(completed) : null,
    recordsRead: m.recordSummary?.inputRecordCount ?? 0,
    recordsWritten: m.recordSummary?.outputRecordCount ?? 0,
    recordsFailed: m.recordSummary?.failedRecordCount ?? 0,
    inputBytes: m.sizeSummary?.inputBytes ?? 0,
    outputBytes: m.sizeSummary?.outputBytes ?? 0,
    errors: (m.statusSummary?.errors ?? []).map((e) => ({ code: e.code, message: e.message, ...(e.recordCount !== undefined ? { recordCount: e.recordCount } : {}) })),
    etag: run.etag ?? null,
  };
}

/**
 * The repeatable `sync-runs` job: for each live dataflow, reads its runs from the Platform
 * since the last one we know (or the oldest still in progress), stores them, and publishes the
 * ones that changed. A full sync (no `dataflowIds`) also records how the Platform shows each
 * dataflow's flow (`observeFlows`), for the watchdog. Returns how many runs changed.
 */
export async function syncFlowRuns(deps: WorkerDeps, options: { dataflowIds?: string[] } = {}): Promise<number> {
  const { store, platform, bus, logger } = deps;
  const dataflows = await store.resources.liveDataflows(options.dataflowIds);
  if (!options.dataflowIds) await observeFlows(deps, dataflows);
  let changed = 0;
  for (const dataflow of dataflows) {
    try {
      const since = await store.runs.syncFrom(dataflow.id);
      const runs = await platform.flowService.listRuns(dataflow.platformId, { sandbox: dataflow.sandbox, ...(since ? { since: since.getTime() } : {}) });
      for (const run of runs) {
        const stored = await store.runs.upsert(dataflow.id, toSyncedRun(run));
        if (!stored) continue;
        changed++;
        bus.announce(message(topics.flowRuns(dataflow.id), flowRunEvent(stored)));
      }
    } catch (error) {
      // One dataflow's trouble (deleted behind our back, Platform hiccup) must not stop the others.
      if (!(error instanceof PlatformNotFoundError)) logger.warn({ dataflowId: dataflow.id, err: (error as Error).message }, 'run sync failed for a dataflow');
    }
  }
  return changed;
}

/**
 * Records the Platform's view of every live dataflow's flow: one listing per sandbox (pages of
 * 1000), compared by the watchdog with what Flowgate recorded (a flow disabled, rescheduled,
 * remapped or deleted outside Flowgate is DRIFTED). A sandbox whose listing fails keeps its
 * previous observations: an unreachable Platform is not a changed one.
 */
export async function observeFlows(deps: WorkerDeps, dataflows: { id: string; platformId: string; sandbox: string }[]): Promise<void> {
  const bySandbox = new Map<string, { id: string; platformId: string }[]>();
  for (const d of dataflows) bySandbox.set(d.sandbox, [...(bySandbox.get(d.sandbox) ?? []), d]);
  for (const [sandbox, flows] of bySandbox) {
    try {
      const askedAt = await deps.store.observations.now();
      const onPlatform = new Map((await deps.platform.flowService.listFlows({ sandbox })).map((flow) => [flow.id, flow]));
      await deps.store.observations.record(
        askedAt,
        flows.map((d) => observationOf(d.id, onPlatform.get(d.platformId))),
      );
    } catch (error) {
      deps.logger.warn({ sandbox, err: (error as Error).message }, 'could not read the flows of a sandbox; the watchdog keeps their last observation');
    }
  }
}
