import type { EmulatorClock } from '../clock.js';
import { newEtag, newUuid } from '../ids.js';
import { completeBatch, createBatch } from '../services/catalog/batches.js';
import { applyMapping, type StoredMapping } from '../services/data-prep/apply-mapping.js';
import { getMappingSet } from '../services/data-prep/mapping-sets.js';
import { periodSeconds, scheduleFromWire, START_TIME_GRACE_SECONDS } from '../services/flow-service/schedule-rules.js';
import { schemaFieldPaths, schemaRecordShape } from '../services/schema-registry/xdm-fields.js';
import { validateXdmRecord } from '../services/schema-registry/xdm-validate.js';
import type { EmulatorStore, FlowRecord, SandboxPartition } from '../state/store.js';
import type { StripeAccounts } from '../stripe/stripe-accounts.js';
import type { StripeResourcePath } from '../stripe/stripe-resources.js';

export interface RunEngineOptions {
  store: EmulatorStore;
  clock: EmulatorClock;
  /** Where runs read Stripe records. */
  accounts: StripeAccounts;
  /** Hours of history a backfilling first run reads. */
  backfillHours: number;
  /** Safety valve: at most this many runs per flow per catch-up (a year of 15-minute runs is 35,040). */
  maxRunsPerCatchUp?: number;
}

/** Final run statuses, as `metrics.statusSummary.status` reports them. */
export type RunStatus = 'inProgress' | 'success' | 'partialSuccess' | 'failed';

/** A run whose ingestion is done and whose simulated duration has not yet passed. */
export interface PendingRun {
  orgId: string;
  sandboxName: string;
  runId: string;
  flowId: string;
  completeAtMs: number;
  batchId: string | null;
  datasetId: string | null;
  written: Record<string, unknown>[];
  status: Exclude<RunStatus, 'inProgress'>;
  errors: { code: string; message: string; recordCount?: number }[];
  readCount: number;
  failedCount: number;
  outputBytes: number;
  /** How the run came about, as `copyActivity.statusSummary.extensions.type` reports it. */
  kind: 'scheduled' | 'one-time';
}

/** An on-demand run (`POST /runs`) waiting for its start time. */
export interface RequestedRun {
  orgId: string;
  sandboxName: string;
  runId: string;
  flowId: string;
  startAtSeconds: number;
  windowStartSeconds: number;
  windowEndSeconds: number;
}

/** What `POST /runs` asks for, checked by the route. */
export interface RunRequest {
  startAtSeconds: number;
  windowStartSeconds: number;
  windowEndSeconds: number;
}

const BASE_RUN_SECONDS = 20;
const MS_PER_RECORD = 20;
const MAX_SAMPLE_ERRORS = 20;

/**
 * Produces flow runs on the emulator clock. Time is evaluated lazily: every read of flows,
 * runs, batches or records first calls `catchUp()`, which creates the runs whose scheduled
 * time has come and completes those whose simulated duration has passed. A run reads the
 * Stripe records created in its window, maps them with the flow's mapping set into the target
 * dataset's schema, and writes the mapped records (and a Catalog batch) when it completes.
 */
export class RunEngine {
  private readonly pending = new Map<string, PendingRun>();
  private readonly requested = new Map<string, RequestedRun>();
  /** Counts every run started or completed, so a caller can tell whether a catch-up changed anything. */
  changes = 0;
  private readonly maxRunsPerCatchUp: number;

  constructor(private readonly options: RunEngineOptions) {
    this.maxRunsPerCatchUp = options.maxRunsPerCatchUp ?? 50_000;
  }

  /**
   * (Re)computes when a flow runs next: at its start time before the first run; afterwards at
   * the next point of its grid (start + k·period) after the latest run and not before now, so
   * runs missed while disabled are skipped.
   */
  scheduleFlow(flow: FlowRecord): void {
    const schedule = scheduleFromWire(flow.wire.scheduleParams);
    const period = periodSeconds(schedule);
    const now = this.options.clock.nowSeconds();
    if (flow.runCount === 0 && schedule.startTime >= now - START_TIME_GRACE_SECONDS) {
      flow.nextRunAtSeconds = schedule.startTime;
      return;
    }
    if (period === null) {
      // A one-time flow enabled after its start time runs as soon as it is enabled, once.
      flow.nextRunAtSeconds = flow.runCount > 0 ? null : now;
      return;
    }
    const after = Math.max(now, flow.lastRunAtSeconds !== undefined ? flow.lastRunAtSeconds + 1 : schedule.startTime);
    const k = Math.max(0, Math.ceil((after - schedule.startTime) / period));
    flow.nextRunAtSeconds = schedule.startTime + k * period;
  }

  /** Brings every partition up to the clock; returns how many runs were started. */
  catchUp(): number {
    let started = 0;
    const nowSeconds = this.options.clock.nowSeconds();
    for (const partition of this.options.store.allPartitions()) {
      for (const flow of partition.flows.values()) {
        if (flow.wire.state !== 'enabled') continue;
        let produced = 0;
        while (flow.nextRunAtSeconds !== null && flow.nextRunAtSeconds <= nowSeconds && produced < this.maxRunsPerCatchUp) {
          this.startRun(partition, flow, flow.nextRunAtSeconds);
          produced++;
          const period = periodSeconds(scheduleFromWire(flow.wire.scheduleParams));
          flow.nextRunAtSeconds = period === null ? null : flow.nextRunAtSeconds + period;
        }
        started += produced;
      }
    }
    for (const run of [...this.requested.values()].sort((a, b) => a.startAtSeconds - b.startAtSeconds)) {
      if (run.startAtSeconds > nowSeconds) continue;
      this.requested.delete(run.runId);
      this.startRequestedRun(run);
      started++;
    }
    const nowMs = this.options.clock.nowMs();
    for (const run of [...this.pending.values()].sort((a, b) => a.completeAtMs - b.completeAtMs)) {
      if (run.completeAtMs <= nowMs) this.completeRun(run);
    }
    return started;
  }

  /**
   * An on-demand run of a flow (`POST /runs`): recorded at once as `scheduled`, it reads its
   * window when its start time comes and then runs like a scheduled run. It does not move the
   * flow's schedule. Returns the run as stored.
   */
  requestRun(partition: SandboxPartition, flow: FlowRecord, request: RunRequest): { id: string; etag: string } {
    const nowMs = this.options.clock.nowMs();
    const runId = newUuid();
    flow.onDemandRunCount = (flow.onDemandRunCount ?? 0) + 1;
    const etag = newEtag(nowMs);
    const wire: Record<string, any> = {
      ...this.runIdentity(partition, flow, runId, nowMs, `M-${flow.wire.id}-ondemand-${flow.onDemandRunCount - 1}:${runId}`),
      etag,
      eTag: etag,
      params: { startTime: request.startAtSeconds, windowStartTime: request.windowStartSeconds, windowEndTime: request.windowEndSeconds },
      metrics: { statusSummary: { status: 'scheduled', errors: [], activityRefs: [] } },
      activities: [],
    };
    partition.runs.set(runId, { wire });
    const created = { id: runId, etag };
    this.requested.set(runId, {
      orgId: partition.orgId,
      sandboxName: partition.sandboxName,
      runId,
      flowId: flow.wire.id,
      startAtSeconds: request.startAtSeconds,
      windowStartSeconds: request.windowStartSeconds,
      windowEndSeconds: request.windowEndSeconds,
    });
    return created;
  }

  /** Runs in progress and requested runs, for persistence. */
  snapshot(): { pending: PendingRun[]; requested: RequestedRun[] } {
    return { pending: [...this.pending.values()], requested: [...this.requested.values()] };
  }

  restore(state: { pending: PendingRun[]; requested: RequestedRun[] }): void {
    this.reset();
    for (const run of state.pending) this.pending.set(run.runId, run);
    for (const run of state.requested) this.requested.set(run.runId, run);
  }

  /** Forgets runs in progress and requested runs (the store is reset separately). */
  reset(): void {
    this.pending.clear();
    this.requested.clear();
  }

  private startRun(partition: SandboxPartition, flow: FlowRecord, atSeconds: number): void {
    this.changes++;
    const schedule = scheduleFromWire(flow.wire.scheduleParams);
    const firstRun = flow.runCount === 0;
    const backfill = schedule.backfill !== false;
    const windowEnd = atSeconds;
    const windowStart = firstRun ? (backfill ? atSeconds - this.options.backfillHours * 3600 : atSeconds) : (flow.lastWindowEndSeconds ?? atSeconds);
    flow.runCount++;
    flow.lastRunAtSeconds = atSeconds;
    flow.lastWindowEndSeconds = windowEnd;
    const runId = newUuid();
    const wire: Record<string, any> = this.runIdentity(partition, flow, runId, atSeconds * 1000, `M-${flow.wire.id}-scheduled-${flow.runCount - 1}:${runId}`);
    wire.params = { windowStartTime: windowStart, windowEndTime: windowEnd };
    partition.runs.set(runId, { wire });
    this.beginRun(partition, flow, wire, atSeconds, windowStart, windowEnd, 'scheduled');
  }

  /** A requested run whose start time has come: it reads its window now (up to its start: later records do not exist yet). */
  private startRequestedRun(run: RequestedRun): void {
    this.changes++;
    const partition = this.options.store.partition(run.orgId, run.sandboxName);
    const stored = partition.runs.get(run.runId);
    if (!stored) return;
    const flow = partition.flows.get(run.flowId);
    const windowEnd = Math.min(run.windowEndSeconds, run.startAtSeconds);
    if (!flow) {
      this.failWithoutIngesting(stored.wire, run.startAtSeconds, 'CONNECTOR-2001-500', `The flow ${run.flowId} no longer exists.`);
      return;
    }
    this.beginRun(partition, flow, stored.wire, run.startAtSeconds, run.windowStartSeconds, windowEnd, 'one-time');
  }

  /** The attributes every run carries from its flow. */
  private runIdentity(partition: SandboxPartition, flow: FlowRecord, runId: string, createdMs: number, providerRefId: string): Record<string, any> {
    return {
      id: runId,
      createdAt: createdMs,
      updatedAt: createdMs,
      createdBy: flow.wire.createdBy,
      updatedBy: flow.wire.createdBy,
      createdClient: flow.wire.createdClient,
      updatedClient: flow.wire.createdClient,
      sandboxId: partition.sandboxId,
      sandboxName: partition.sandboxName,
      imsOrgId: partition.orgId,
      flowId: flow.wire.id,
      flowSpec: flow.wire.flowSpec,
      providerRefId,
      sourceInfo: [{ id: flow.wire.sourceConnectionIds[0], type: 'SourceConnection' }],
      targetInfo: [{ id: flow.wire.targetConnectionIds[0], type: 'TargetConnection' }],
    };
  }

  /** A requested run whose flow is gone: it fails at once, reading nothing. */
  private failWithoutIngesting(wire: Record<string, any>, atSeconds: number, code: string, message: string): void {
    const atMs = atSeconds * 1000;
    const etag = newEtag(atMs);
    Object.assign(wire, {
      updatedAt: atMs,
      etag,
      eTag: etag,
      metrics: {
        durationSummary: { startedAtUTC: atMs, completedAtUTC: atMs },
        recordSummary: { inputRecordCount: 0, outputRecordCount: 0, failedRecordCount: 0 },
        statusSummary: { status: 'failed', errors: [{ code, message }], activityRefs: [] },
      },
    });
  }

  /** Reads the window, maps the records, opens the batch; the run completes when its simulated duration has passed. */
  private beginRun(partition: SandboxPartition, flow: FlowRecord, wire: Record<string, any>, atSeconds: number, windowStart: number, windowEnd: number, kind: 'scheduled' | 'one-time'): void {
    const startedMs = atSeconds * 1000;
    const runId: string = wire.id;
    const outcome = this.ingest(partition, flow, windowStart, windowEnd);
    const durationMs = BASE_RUN_SECONDS * 1000 + outcome.readCount * MS_PER_RECORD;
    const batchId =
      outcome.datasetId === null
        ? null
        : createBatch(partition, {
            datasetId: outcome.datasetId,
            runId,
            recordsRead: outcome.readCount,
            recordsWritten: 0,
            failedRecords: 0,
            errors: [],
            status: 'loading',
            createdMs: startedMs,
            outputBytes: 0,
          });
    const etag = newEtag(startedMs);
    Object.assign(wire, {
      updatedAt: startedMs,
      // Adobe's docs show `etag`, the spec `eTag`; both are sent so either reader works.
      etag,
      eTag: etag,
      metrics: {
        durationSummary: { startedAtUTC: startedMs },
        sizeSummary: { inputBytes: outcome.inputBytes, outputBytes: 0 },
        recordSummary: { inputRecordCount: outcome.readCount, outputRecordCount: 0, failedRecordCount: 0 },
        fileSummary: { inputFileCount: outcome.readCount > 0 ? 1 : 0, outputFileCount: 0, activityRefs: [] },
        statusSummary: { status: 'inProgress', errors: [], activityRefs: [] },
      },
      activities: [],
    });
    wire.params = { ...wire.params, windowStartTime: windowStart, windowEndTime: windowEnd };
    if (batchId) wire.targetInfo = [{ ...wire.targetInfo[0], reference: { type: 'Batch', ids: [batchId] } }];
    this.pending.set(runId, {
      orgId: partition.orgId,
      sandboxName: partition.sandboxName,
      runId,
      flowId: flow.wire.id,
      completeAtMs: startedMs + durationMs,
      batchId,
      datasetId: outcome.datasetId,
      written: outcome.written,
      status: outcome.status,
      errors: outcome.errors,
      readCount: outcome.readCount,
      failedCount: outcome.failedCount,
      outputBytes: outcome.outputBytes,
      kind,
    });
  }

  private ingest(partition: SandboxPartition, flow: FlowRecord, fromSeconds: number, toSeconds: number) {
    const failed = (code: string, message: string, datasetId: string | null = null) => ({
      status: 'failed' as const,
      readCount: 0,
      failedCount: 0,
      written: [] as Record<string, unknown>[],
      errors: [{ code, message }],
      datasetId,
      inputBytes: 0,
      outputBytes: 0,
    });

    const source = partition.sourceConnections.get(flow.wire.sourceConnectionIds[0]);
    const connection = source ? partition.connections.get(source.wire.baseConnectionId) : undefined;
    if (!source || !connection) return failed('CONNECTOR-2001-500', 'The source connection or its base connection no longer exists.');
    if (!this.options.accounts.accepts(connection.authParams.accessToken)) {
      return failed('CONNECTOR-2001-500', 'Error connecting to the source: Stripe rejected the API key of the base connection (invalid_api_key).');
    }
    const target = partition.targetConnections.get(flow.wire.targetConnectionIds[0]);
    const datasetId: string | undefined = target?.wire.params?.dataSetId;
    if (!target || !datasetId || !partition.datasets.has(datasetId)) {
      return failed('INGEST-1212-400', `The target dataset ${datasetId ?? '(none)'} no longer exists.`);
    }
    const { mappingId, mappingVersion } = flow.wire.transformations[0].params;
    const mappingSet = getMappingSet(partition, mappingId, Number(mappingVersion));
    const fields = schemaFieldPaths(partition, target.wire.data.schema.id);
    if (!mappingSet || !fields) return failed('MAPPER-2200-400', `The mapping set ${mappingId} version ${mappingVersion} or its schema no longer exists.`, datasetId);
    // Every record is checked against the dataset's schema as it is now, as batch ingestion does.
    const datasetSchemaId: unknown = partition.datasets.get(datasetId)!.wire.schemaRef?.id;
    const shape = typeof datasetSchemaId === 'string' ? schemaRecordShape(partition, datasetSchemaId) : undefined;
    if (!shape) return failed('INGEST-1212-400', `The schema of dataset ${datasetId} no longer exists.`, datasetId);

    const resource = source.wire.params.resourcePath as StripeResourcePath;
    // The Stripe account is whatever the API key opens, so the key (not the connection) picks the data:
    // two connections with the same key read the same records.
    const records = this.options.accounts.recordsBetween(resource, fromSeconds, toSeconds, String(connection.authParams.accessToken));
    const written: Record<string, unknown>[] = [];
    const errorCounts = new Map<string, { code: string; message: string; recordCount: number }>();
    let inputBytes = 0;
    let outputBytes = 0;
    const count = (code: string, message: string, recordId: unknown) => {
      const key = `${code}|${message}`;
      const entry = errorCounts.get(key) ?? { code, message: `${message} (record ${String(recordId ?? '?')})`, recordCount: 0 };
      entry.recordCount++;
      errorCounts.set(key, entry);
    };
    const nowMs = this.options.clock.nowMs();
    for (const record of records) {
      inputBytes += Buffer.byteLength(JSON.stringify(record));
      const result = applyMapping({ data: record }, mappingSet.mappings as StoredMapping[], fields, { nowMs });
      if (!result.ok) {
        for (const error of result.errors) count(error.code, error.message, record.id);
        continue;
      }
      const problems = validateXdmRecord(result.record, shape);
      if (problems.length > 0) {
        for (const problem of problems) {
          // Adobe's row-error codes: 1555 a required field is missing, 1401 the row cannot be read as the schema says.
          const required = problem.reason === 'the field is required';
          count(required ? 'INGEST-1555-400' : 'INGEST-1401-400', `The record does not fit the dataset's schema at ${problem.path}: ${problem.reason}.`, record.id);
        }
        continue;
      }
      written.push(result.record);
      outputBytes += Buffer.byteLength(JSON.stringify(result.record));
    }
    const failedCount = records.length - written.length;
    if (failedCount > 0) {
      // The batch-level summary Adobe's failed-batch examples lead with.
      errorCounts.set('summary', {
        code: 'INGEST-1212-400',
        message: `Encountered ${failedCount} errors in the data. Successfully ingested ${written.length} rows. Review the associated diagnostic files for additional details.`,
        recordCount: failedCount,
      });
    }
    const status: PendingRun['status'] = failedCount === 0 ? 'success' : written.length === 0 ? 'failed' : 'partialSuccess';
    return {
      status,
      readCount: records.length,
      failedCount,
      written,
      // The summary first, then the row errors (at most MAX_SAMPLE_ERRORS of them).
      errors: [...(errorCounts.has('summary') ? [errorCounts.get('summary')!] : []), ...[...errorCounts.entries()].filter(([key]) => key !== 'summary').map(([, e]) => e)].slice(
        0,
        MAX_SAMPLE_ERRORS + 1,
      ),
      datasetId,
      inputBytes,
      outputBytes,
    };
  }

  private completeRun(run: PendingRun): void {
    this.changes++;
    this.pending.delete(run.runId);
    const partition = this.options.store.partition(run.orgId, run.sandboxName);
    const stored = partition.runs.get(run.runId);
    if (!stored) return;
    const wire = stored.wire;
    const completedMs = run.completeAtMs;
    const startedMs: number = wire.metrics.durationSummary.startedAtUTC;
    const writtenCount = run.written.length;

    if (run.datasetId && run.batchId) {
      const rows = partition.datasetRecords.get(run.datasetId) ?? [];
      for (const record of run.written) rows.push({ batchId: run.batchId, runId: run.runId, record });
      partition.datasetRecords.set(run.datasetId, rows);
      completeBatch(partition, run.batchId, {
        status: run.status === 'failed' ? 'failed' : 'success',
        recordsWritten: writtenCount,
        failedRecords: run.failedCount,
        errors: run.errors.map((e) => ({ code: e.code, description: e.message, ...(e.recordCount !== undefined ? { rows: e.recordCount } : {}) })),
        completedMs,
      });
    }

    const etag = newEtag(completedMs);
    const statusErrors = run.errors.map((e) => ({ code: e.code, message: e.message, ...(e.recordCount !== undefined ? { recordCount: e.recordCount } : {}) }));
    const summaryFor = (outputBytes: number) => ({
      durationSummary: { startedAtUTC: startedMs, completedAtUTC: completedMs },
      sizeSummary: { inputBytes: wire.metrics.sizeSummary.inputBytes, outputBytes },
      recordSummary: {
        inputRecordCount: run.readCount,
        outputRecordCount: writtenCount,
        createdRecordCount: writtenCount,
        failedRecordCount: run.failedCount,
        skippedRecordCount: 0,
      },
      fileSummary: { inputFileCount: run.readCount > 0 ? 1 : 0, outputFileCount: writtenCount > 0 ? 1 : 0, activityRefs: [] },
    });
    Object.assign(wire, {
      updatedAt: completedMs,
      etag,
      eTag: etag,
      metrics: {
        ...summaryFor(run.outputBytes),
        statusSummary: { status: run.status, errors: statusErrors, activityRefs: ['copyActivity', 'promotionActivity'] },
      },
      activities: [
        {
          id: 'copyActivity',
          name: 'Stripe Copy Activity',
          updatedAtUTC: completedMs,
          ...summaryFor(0),
          durationSummary: {
            startedAtUTC: startedMs,
            completedAtUTC: startedMs + Math.round((completedMs - startedMs) / 2),
            extensions: { windowStart: wire.params.windowStartTime * 1000, windowEnd: wire.params.windowEndTime * 1000 },
          },
          statusSummary: { status: run.errors.length > 0 && run.readCount === 0 ? 'failed' : 'success', extensions: { type: run.kind } },
          sourceInfo: wire.sourceInfo,
        },
        {
          id: 'promotionActivity',
          name: 'Promotion Activity',
          updatedAtUTC: completedMs,
          ...summaryFor(run.outputBytes),
          statusSummary: { status: run.status, errors: statusErrors, extensions: { errors: statusErrors } },
          targetInfo: wire.targetInfo,
        },
      ],
    });

    const flow = partition.flows.get(run.flowId);
    if (flow) {
      // A run finishing does not change the flow's etag (undocumented; we keep updates predictable
      // for If-Match users). The state is the run's own, `partialSuccess` included, so a client
      // reading only the flow sees what its runs show.
      flow.wire.lastRunDetails = { id: run.runId, state: run.status, startedAtUTC: startedMs, completedAtUTC: completedMs };
    }
  }
}
