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

/**
 * A resource as lists read it: every column but the Platform's snapshot, which no list shows and
 * which can be kilobytes per row (only the ledger reads it, from its own statements).
 */
export type ResourceSummary = Omit<Resource, 'snapshot'>;

/** The columns of a `ResourceSummary` (a field missing here, or one too many, does not compile). */
const RESOURCE_SUMMARY_FIELDS: Record<keyof ResourceSummary, true> = {
  id: true,
  type: true,
  sandbox: true,
  name: true,
  description: true,
  state: true,
  platformId: true,
  etag: true,
  spec: true,
  stripeResource: true,
  connectionId: true,
  sourceConnectionId: true,
  targetConnectionId: true,
  schemaId: true,
  datasetId: true,
  mappingId: true,
  createdAt: true,
  updatedAt: true,
  deletedAt: true,
};

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

/** `createdAt` → `created_at`: the column a field is stored in. */
type SnakeCase<S extends string> = S extends `${infer C}${infer Rest}` ? `${C extends Lowercase<C> ? C : `_${Lowercase<C>}`}${SnakeCase<Rest>}` : S;

/** A timestamp column: a Date from node-postgres, an ISO string inside `row_to_json`. */
export type Timestamp = Date | string;

/**
 * A row of T as PostgreSQL returns it: each field of T in its snake_case column. Timestamps are
 * the fields named `…At`; only they may arrive as ISO strings (inside `row_to_json`).
 */
export type Columns<T> = { [K in keyof T & string as SnakeCase<K>]: K extends `${string}At` ? (T[K] extends Date ? Timestamp : Exclude<T[K], Date> | Timestamp) : T[K] };

/** Each column name seen, as its field (`created_at` → `createdAt`) and whether it holds a timestamp: worked out once per name. */
const fieldsOfColumns = new Map<string, { field: string; timestamp: boolean }>();

function fieldOf(column: string): { field: string; timestamp: boolean } {
  let known = fieldsOfColumns.get(column);
  if (known === undefined) {
    const field = column.replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase());
    known = { field, timestamp: field.endsWith('At') };
    fieldsOfColumns.set(column, known);
  }
  return known;
}

/**
 * Reads a row into T, the one way every table's rows are read: each column under its camelCase
 * name, each `…At` timestamp a Date. Every column of the row is read: leave out, before, what T
 * does not hold.
 */
export function fromColumns<T>(row: Columns<T>): T {
  const fields: Record<string, unknown> = {};
  for (const column in row) {
    const { field, timestamp } = fieldOf(column);
    const value: unknown = row[column as keyof Columns<T>];
    fields[field] = timestamp && typeof value === 'string' ? new Date(value) : value;
  }
  return fields as T;
}

/** `createdAt` → `created_at`: the column a field is stored in. */
export const columnOf = (field: string): string => field.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);

/** T's fields under their column names: the rows `jsonb_to_recordset` reads from JSON (where Dates become ISO strings). */
export function toColumns<T extends object>(fields: T): Columns<T> {
  return Object.fromEntries(Object.entries(fields).map(([field, value]) => [columnOf(field), value])) as Columns<T>;
}

/** A `resources` row as PostgreSQL returns it. */
export type ResourceColumns = Columns<Resource>;

/** An `operations` row as PostgreSQL returns it. */
export type OperationColumns = Columns<Operation>;

/** A `secrets` row (the columns read). */
export type SecretColumns = Columns<SealedSecretRow>;

export const resourceFromRow = (row: ResourceColumns): Resource => fromColumns<Resource>(row);
export const resourceSummaryFromRow = (row: Columns<ResourceSummary>): ResourceSummary => fromColumns<ResourceSummary>(row);
export const operationFromRow = (row: OperationColumns): Operation => fromColumns<Operation>(row);
/** Its sealed secret; the row's `created_at` is not read. */
export function sealedSecretFromRow(r: SecretColumns): SealedSecretRow {
  return { id: r.id, resourceId: r.resource_id, keyId: r.key_id, ciphertext: r.ciphertext };
}

/** `SELECT` list of a `ResourceSummary`. */
export const RESOURCE_SUMMARY_COLUMNS = Object.keys(RESOURCE_SUMMARY_FIELDS).map(columnOf).join(', ');
