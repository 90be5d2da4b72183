import type { OperationErrorInfo } from '../domain/operation-error.js';
import type { OperationStatus } from '../domain/operations.js';
import type { ResourceState, ResourceType } from '../domain/resource-types.js';

/**
 * The rows the store hands out, typed with the domain's vocabulary (Prisma's generated enums are
 * the same strings), and the mappers from PostgreSQL's snake_case columns — or `row_to_json`
 * output, where timestamps are strings — so callers cannot tell SQL from Prisma.
 */

/** A `resources` row: one Platform resource Flowgate manages. */
export interface Resource {
  id: string;
  type: ResourceType;
  sandbox: string;
  name: string;
  description: string | null;
  state: ResourceState;
  /** Adobe's id; null until the Platform created it. */
  platformId: string | null;
  etag: string | null;
  /** Per resource type (domain/resource-specs.ts); read it with `specOf`. */
  spec: unknown;
  /** The resource as the Platform last returned it (secrets redacted). */
  snapshot: unknown;
  stripeResource: string | null;
  connectionId: string | null;
  sourceConnectionId: string | null;
  targetConnectionId: string | null;
  schemaId: string | null;
  datasetId: string | null;
  mappingId: string | null;
  createdAt: Date;
  updatedAt: Date;
  deletedAt: Date | null;
}

/** An `operations` row: a requested change, carried out by a worker. */
export interface Operation {
  id: string;
  /** One of the OPERATION_TYPES (the column is text: a worker checks it before running). */
  type: string;
  status: OperationStatus;
  attempts: number;
  progress: number;
  message: string | null;
  resourceType: ResourceType;
  resourceId: string;
  sandbox: string;
  /** Checked against its type's contract when recorded and when run (domain/operations.ts). */
  input: unknown;
  error: OperationErrorInfo | null;
  requestedBy: string;
  requestId: string | null;
  idempotencyKey: string | null;
  inputHash: string | null;
  createdAt: Date;
  updatedAt: Date;
  finishedAt: Date | null;
}

/** A secret as stored: sealed (AES-256-GCM), with the key id and the resource it belongs to. */
export interface SealedSecretRow {
  id: string;
  resourceId: string;
  keyId: string;
  ciphertext: string;
}

/** A timestamp column: a Date from node-postgres, an ISO string inside `row_to_json`. */
type Timestamp = Date | string;

/** A `resources` row as PostgreSQL returns it. */
export interface ResourceColumns {
  id: string;
  type: ResourceType;
  sandbox: string;
  name: string;
  description: string | null;
  state: ResourceState;
  platform_id: string | null;
  etag: string | null;
  spec: unknown;
  snapshot: unknown;
  stripe_resource: string | null;
  connection_id: string | null;
  source_connection_id: string | null;
  target_connection_id: string | null;
  schema_id: string | null;
  dataset_id: string | null;
  mapping_id: string | null;
  created_at: Timestamp;
  updated_at: Timestamp;
  deleted_at: Timestamp | null;
}

/** An `operations` row as PostgreSQL returns it. */
export interface OperationColumns {
  id: string;
  type: string;
  status: OperationStatus;
  attempts: number | string;
  progress: number | string;
  message: string | null;
  resource_type: ResourceType;
  resource_id: string;
  sandbox: string;
  input: unknown;
  error: OperationErrorInfo | null;
  requested_by: string;
  request_id: string | null;
  idempotency_key: string | null;
  input_hash: string | null;
  created_at: Timestamp;
  updated_at: Timestamp;
  finished_at: Timestamp | null;
}

/** A `secrets` row. */
export interface SecretColumns {
  id: string;
  resource_id: string;
  key_id: string;
  ciphertext: string;
}

const date = (value: Timestamp): Date => (value instanceof Date ? value : new Date(value));
const optionalDate = (value: Timestamp | null | undefined): Date | null => (value === null || value === undefined ? null : date(value));

export function resourceFromRow(r: ResourceColumns): Resource {
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

export function operationFromRow(r: OperationColumns): Operation {
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

export function sealedSecretFromRow(r: SecretColumns): SealedSecretRow {
  return { id: r.id, resourceId: r.resource_id, keyId: r.key_id, ciphertext: r.ciphertext };
}
