import type { Operation, Resource } from './generated/client.js';

/**
 * Row mappers for hand-written SQL: PostgreSQL's snake_case columns (or `row_to_json` output,
 * where timestamps are strings) to the same shapes Prisma returns, so callers can't tell.
 */
type Row = Record<string, any>;

const date = (value: unknown): Date => (value instanceof Date ? value : new Date(String(value)));
const optionalDate = (value: unknown): Date | null => (value === null || value === undefined ? null : date(value));

export function resourceFromRow(r: Row): Resource {
  return {
    id: r.id,
    type: r.type,
    sandbox: r.sandbox,
    name: r.name,
    description: r.description ?? null,
    state: r.state,
    platformId: r.platform_id ?? null,
    etag: r.etag ?? null,
    spec: r.spec ?? {},
    snapshot: r.snapshot ?? null,
    stripeResource: r.stripe_resource ?? null,
    connectionId: r.connection_id ?? null,
    sourceConnectionId: r.source_connection_id ?? null,
    targetConnectionId: r.target_connection_id ?? null,
    schemaId: r.schema_id ?? null,
    datasetId: r.dataset_id ?? null,
    mappingId: r.mapping_id ?? null,
    createdAt: date(r.created_at),
    updatedAt: date(r.updated_at),
    deletedAt: optionalDate(r.deleted_at),
  };
}

export function operationFromRow(r: Row): Operation {
  return {
    id: r.id,
    type: r.type,
    status: r.status,
    attempts: Number(r.attempts),
    progress: Number(r.progress),
    message: r.message ?? null,
    resourceType: r.resource_type,
    resourceId: r.resource_id,
    sandbox: r.sandbox,
    input: r.input ?? {},
    error: r.error ?? null,
    requestedBy: r.requested_by,
    requestId: r.request_id ?? null,
    idempotencyKey: r.idempotency_key ?? null,
    inputHash: r.input_hash ?? null,
    createdAt: date(r.created_at),
    updatedAt: date(r.updated_at),
    finishedAt: optionalDate(r.finished_at),
  };
}
