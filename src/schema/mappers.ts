import { API_KEY_PREFIX } from '../auth/api-key-format.js';
import type { ApiKey as ApiKeyRow } from '../store/api-key.store.js';
import { ApiKey, type RoleName } from './api-key.type.js';
import { specOf } from '../domain/resource-specs.js';
import { startTimeOf } from '../domain/schedule-rules.js';
import type { OperationErrorInfo } from '../domain/operation-error.js';
import { operationEvent, type FlowRunEvent, type OperationEvent } from '../pubsub/events.js';
import { auditCursor, type AuditEvent as AuditRow, type AuditPage } from '../store/audit.store.js';
import type { FlowRun as FlowRunRow } from '../store/flow-run.store.js';
import type { Operation as OperationRow, ResourceSummary } from '../store/rows.js';
import { AuditEvent, AuditEventPage } from './audit-event.type.js';
import { toPage } from './page.type.js';
import { FlowRunStatus, type OperationType, type StripeResource } from './enums.js';
import { FlowRun } from './flow-run.type.js';
import { Operation, OperationError } from './operation.type.js';
import type { PlatformResource } from './platform-resource.type.js';
import { Connection, Dataflow, Dataset, Mapping, SourceConnection, TargetConnection, XdmSchema } from './resource-types.js';

/**
 * Rows (and event-bus payloads) to GraphQL types: the one place a stored shape becomes an API
 * shape, so no row or event leaks into the schema.
 */

const date = (v: Date | string | null): Date | null => (v === null ? null : v instanceof Date ? v : new Date(v));

/** A recorded error (of an operation, an onboarding or one of its steps) as the API shows it. */
export function toOperationError(error: OperationErrorInfo | null): OperationError | null {
  return error
    ? Object.assign(new OperationError(), {
        code: error.code,
        message: error.message,
        field: error.field ?? null,
        platformStatus: error.platformStatus ?? null,
        platformCode: error.platformCode ?? null,
        retryable: error.retryable,
      })
    : null;
}

/** Maps a `resources` row to its GraphQL type. */
export function toResource(row: ResourceSummary): PlatformResource {
  const base = {
    id: row.id,
    platformId: row.platformId,
    name: row.name,
    description: row.description,
    etag: row.etag,
    state: row.state,
    sandbox: row.sandbox,
    createdAt: row.createdAt,
    updatedAt: row.updatedAt,
    resourceType: row.type,
  };
  switch (row.type) {
    case 'API_KEY':
    case 'ALERT':
    case 'WEBHOOK':
      // Only audit events name these; the resources table never holds one.
      throw new Error(`resources row ${row.id} has type ${row.type}`);
    case 'CONNECTION':
      return Object.assign(new Connection(), base);
    case 'SOURCE_CONNECTION':
      return Object.assign(new SourceConnection(), base, { resource: row.stripeResource as StripeResource, connectionId: row.connectionId! });
    case 'XDM_SCHEMA': {
      const spec = specOf('XDM_SCHEMA', row.spec);
      return Object.assign(new XdmSchema(), base, {
        resource: (row.stripeResource as StripeResource | null) ?? null,
        version: spec.version === undefined || spec.version === null ? null : String(spec.version),
        tenantNamespace: spec.tenantNamespace ?? null,
        fields: spec.fields ?? [],
        sourceConnectionId: row.sourceConnectionId,
      });
    }
    case 'DATASET':
      return Object.assign(new Dataset(), base, { schemaId: row.schemaId! });
    case 'TARGET_CONNECTION':
      return Object.assign(new TargetConnection(), base, { datasetId: row.datasetId!, schemaId: row.schemaId! });
    case 'MAPPING': {
      const spec = specOf('MAPPING', row.spec);
      return Object.assign(new Mapping(), base, {
        version: typeof spec.version === 'number' ? spec.version : null,
        fieldMappings: spec.fieldMappings ?? [],
        schemaId: row.schemaId!,
        sourceConnectionId: row.sourceConnectionId,
      });
    }
    case 'DATAFLOW': {
      const spec = specOf('DATAFLOW', row.spec);
      const schedule = spec.schedule ?? { frequency: 'once', interval: null, startTime: 0, backfill: null };
      return Object.assign(new Dataflow(), base, {
        resource: (row.stripeResource as StripeResource | null) ?? null,
        // Before its flow exists, an omitted start time shows the earliest it can be (see startTimeOf).
        schedule: {
          frequency: schedule.frequency,
          interval: schedule.interval,
          startTime: new Date(startTimeOf(schedule, Math.floor(row.createdAt.getTime() / 1000)) * 1000),
          backfill: schedule.backfill,
        },
        mappingVersion: spec.mappingVersion ?? 0,
        sourceConnectionId: row.sourceConnectionId!,
        targetConnectionId: row.targetConnectionId!,
        mappingId: row.mappingId!,
        connectionId: row.connectionId,
      });
    }
  }
}

/** An `operations` row, or its event-bus payload, as the GraphQL type: the payload's fields are the public ones (see operationEvent). */
export function toOperation(source: OperationRow | OperationEvent): Operation {
  const event = 'input' in source ? operationEvent(source) : source;
  return Object.assign(new Operation(), event, {
    type: event.type as OperationType,
    error: toOperationError(event.error),
    createdAt: date(event.createdAt)!,
    updatedAt: date(event.updatedAt)!,
    finishedAt: date(event.finishedAt),
  });
}

/** A `flow_runs` row, or its event-bus payload, as the GraphQL type. */
export function toFlowRun(row: FlowRunRow | FlowRunEvent): FlowRun {
  const startedAt = date(row.startedAt);
  const completedAt = date(row.completedAt);
  return Object.assign(new FlowRun(), {
    id: row.id,
    platformId: row.platformId,
    dataflowId: row.dataflowId,
    status: (FlowRunStatus as Record<string, FlowRunStatus>)[row.status] ?? FlowRunStatus.IN_PROGRESS,
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

export function toAuditEvent(row: AuditRow): AuditEvent {
  return Object.assign(new AuditEvent(), {
    id: row.id,
    at: row.at,
    actor: row.actor,
    action: row.action,
    resourceType: row.resourceType,
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

/** A page of the audit trail as the API shows it. */
export function toAuditEventPage(page: AuditPage): AuditEventPage {
  return Object.assign(new AuditEventPage(), toPage(page, toAuditEvent, auditCursor), { totalCountIsEstimate: page.totalCountIsEstimate });
}

/** An API key row as the API shows it (never its secret hash). */
export function toApiKey(row: ApiKeyRow): ApiKey {
  return Object.assign(new ApiKey(), {
    id: row.id,
    name: row.name,
    prefix: `${API_KEY_PREFIX}${row.keyId}`,
    role: row.role as RoleName,
    sandboxes: row.sandboxes,
    expiresAt: row.expiresAt,
    createdAt: row.createdAt,
    createdBy: row.createdBy,
    lastUsedAt: row.lastUsedAt,
    revokedAt: row.revokedAt,
  });
}
