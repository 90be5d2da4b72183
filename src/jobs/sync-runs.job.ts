import { flowRunStatusOf } from '../domain/flow-runs.js';
import type { FlowRun as PlatformRun } from '../platform/flow-service.client.js';
import { PlatformNotFoundError } from '../platform/platform-errors.js';
import { message } from '../pubsub/event-bus.js';
import { flowRunEvent, topics } from '../pubsub/events.js';
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
 * ones that changed. Returns how many runs changed.
 */
export async function syncFlowRuns(deps: WorkerDeps, options: { dataflowIds?: string[] } = {}): Promise<number> {
  const { store, platform, bus, logger } = deps;
  const dataflows = await store.resources.liveDataflows(options.dataflowIds);
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
