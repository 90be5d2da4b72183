import type { OperationErrorInfo } from '../domain/operation-error.js';
import type { AuditEvent as AuditRow } from '../store/audit.store.js';
import type { FlowRun as FlowRunRow } from '../store/flow-run.store.js';
import type { Operation as OperationRow } from '../store/operation.store.js';
import type { Resource } from '../store/resource.store.js';
import { AuditEvent } from './audit-event.type.js';
import { FlowRunStatus, OperationStatus, ResourceState, ResourceType, ScheduleFrequency, StripeResource, type OperationType } from './enums.js';
import { FlowRun } from './flow-run.type.js';
import { Operation } from './operation.type.js';
import type { PlatformResource } from './platform-resource.type.js';
import { Connection, Dataflow, Dataset, Mapping, SourceConnection, TargetConnection, XdmSchema, type FieldMapping, type XdmField } from './resource-types.js';

/** The `spec` JSON a resource row carries, per type (what the user asked for). */
export interface ResourceSpec {
  fields?: XdmField[];
  version?: string | number | null;
  tenantNamespace?: string;
  fieldMappings?: FieldMapping[];
  /** `startTime` in epoch seconds; null = "60 s after it is created" until the worker fixes it. */
  schedule?: { frequency: string; interval: number | null; startTime: number | null; backfill: boolean | null };
  mappingVersion?: number;
  [key: string]: unknown;
}

/** Maps a `resources` row to its GraphQL type. */
export function toResource(row: Resource): PlatformResource {
  const spec = (row.spec ?? {}) as ResourceSpec;
  const base = {
    id: row.id,
    platformId: row.platformId,
    name: row.name,
    description: row.description,
    etag: row.etag,
    state: row.state as ResourceState,
    sandbox: row.sandbox,
    createdAt: row.createdAt,
    updatedAt: row.updatedAt,
    resourceType: row.type as ResourceType,
  };
  switch (row.type) {
    case 'API_KEY':
      // Only audit events name API keys; the resources table never holds one.
      throw new Error(`resources row ${row.id} has type API_KEY`);
    case 'CONNECTION':
      return Object.assign(new Connection(), base);
    case 'SOURCE_CONNECTION':
      return Object.assign(new SourceConnection(), base, { resource: row.stripeResource as StripeResource, connectionId: row.connectionId! });
    case 'XDM_SCHEMA':
      return Object.assign(new XdmSchema(), base, {
        resource: (row.stripeResource as StripeResource | null) ?? null,
        version: spec.version === undefined || spec.version === null ? null : String(spec.version),
        tenantNamespace: spec.tenantNamespace ?? null,
        fields: spec.fields ?? [],
        sourceConnectionId: row.sourceConnectionId,
      });
    case 'DATASET':
      return Object.assign(new Dataset(), base, { schemaId: row.schemaId! });
    case 'TARGET_CONNECTION':
      return Object.assign(new TargetConnection(), base, { datasetId: row.datasetId!, schemaId: row.schemaId! });
    case 'MAPPING':
      return Object.assign(new Mapping(), base, {
        version: typeof spec.version === 'number' ? spec.version : null,
        fieldMappings: spec.fieldMappings ?? [],
        schemaId: row.schemaId!,
        sourceConnectionId: row.sourceConnectionId,
      });
    case 'DATAFLOW': {
      const schedule = spec.schedule ?? { frequency: 'once', interval: null, startTime: 0, backfill: null };
      return Object.assign(new Dataflow(), base, {
        resource: (row.stripeResource as StripeResource | null) ?? null,
        schedule: { frequency: schedule.frequency as ScheduleFrequency, interval: schedule.interval, startTime: schedule.startTime === null ? new Date(row.createdAt.getTime() + 60_000) : new Date(schedule.startTime * 1000), backfill: schedule.backfill },
        mappingVersion: spec.mappingVersion ?? 0,
        sourceConnectionId: row.sourceConnectionId!,
        targetConnectionId: row.targetConnectionId!,
        mappingId: row.mappingId!,
        connectionId: row.connectionId,
      });
    }
  }
}

/** Maps an `operations` row (or its JSON form from pub/sub) to the GraphQL type. */
export function toOperation(row: OperationRow | SerializedOperation): Operation {
  const error = row.error as OperationErrorInfo | null;
  return Object.assign(new Operation(), {
    id: row.id,
    type: row.type as OperationType,
    status: row.status as OperationStatus,
    attempts: row.attempts,
    progress: row.progress,
    message: row.message,
    resourceType: row.resourceType as ResourceType,
    resourceId: row.resourceId,
    error: error
      ? { code: error.code, message: error.message, field: error.field ?? null, platformStatus: error.platformStatus ?? null, platformCode: error.platformCode ?? null, retryable: error.retryable }
      : null,
    requestedBy: row.requestedBy,
    createdAt: new Date(row.createdAt),
    updatedAt: new Date(row.updatedAt),
    finishedAt: row.finishedAt ? new Date(row.finishedAt) : null,
    sandbox: row.sandbox,
  });
}

/** An operation as it travels over Redis pub/sub (dates as ISO strings). */
export type SerializedOperation = Omit<OperationRow, 'createdAt' | 'updatedAt' | 'finishedAt'> & { createdAt: string; updatedAt: string; finishedAt: string | null };

export function serializeOperation(row: OperationRow): SerializedOperation {
  return {
    ...row,
    createdAt: row.createdAt.toISOString(),
    updatedAt: row.updatedAt.toISOString(),
    finishedAt: row.finishedAt ? row.finishedAt.toISOString() : null,
  };
}

const RUN_STATUS: Record<string, FlowRunStatus> = {
  IN_PROGRESS: FlowRunStatus.IN_PROGRESS,
  SUCCESS: FlowRunStatus.SUCCESS,
  PARTIAL_SUCCESS: FlowRunStatus.PARTIAL_SUCCESS,
  FAILED: FlowRunStatus.FAILED,
};

export function toFlowRun(row: FlowRunRow | SerializedFlowRun): FlowRun {
  const startedAt = row.startedAt ? new Date(row.startedAt) : null;
  const completedAt = row.completedAt ? new Date(row.completedAt) : null;
  return Object.assign(new FlowRun(), {
    id: row.id,
    platformId: row.platformId,
    dataflowId: row.dataflowId,
    status: RUN_STATUS[row.status] ?? FlowRunStatus.IN_PROGRESS,
    startedAt,
    completedAt,
    durationMs: startedAt && completedAt ? completedAt.getTime() - startedAt.getTime() : null,
    recordsRead: row.recordsRead,
    recordsWritten: row.recordsWritten,
    recordsFailed: row.recordsFailed,
    inputBytes: Number(row.inputBytes),
    outputBytes: Number(row.outputBytes),
    errors: ((row.errors ?? []) as { code: string; message: string; recordCount?: number }[]).map((e) => ({ code: e.code, message: e.message, recordCount: e.recordCount ?? null })),
  });
}

export type SerializedFlowRun = Omit<FlowRunRow, 'startedAt' | 'completedAt' | 'createdAt' | 'updatedAt' | 'inputBytes' | 'outputBytes'> & {
  startedAt: string | null;
  completedAt: string | null;
  createdAt: string;
  updatedAt: string;
  inputBytes: number;
  outputBytes: number;
};

export function serializeFlowRun(row: FlowRunRow): SerializedFlowRun {
  return { ...JSON.parse(JSON.stringify({ ...row, inputBytes: Number(row.inputBytes), outputBytes: Number(row.outputBytes) })) };
}

export function toAuditEvent(row: AuditRow): AuditEvent {
  return Object.assign(new AuditEvent(), {
    id: row.id,
    at: row.at,
    actor: row.actor,
    action: row.action,
    resourceType: row.resourceType as ResourceType,
    resourceId: row.resourceId,
    platformId: row.platformId,
    etagBefore: row.etagBefore,
    etagAfter: row.etagAfter,
    changes: (row.changes ?? []) as { field: string; before: unknown; after: unknown }[],
    before: row.before,
    after: row.after,
    operationId: row.operationId,
    requestId: row.requestId,
    hash: row.hash ? Buffer.from(row.hash).toString('hex') : null,
    prevHash: row.prevHash ? Buffer.from(row.prevHash).toString('hex') : null,
  });
}
