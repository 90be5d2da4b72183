import { registerEnumType } from 'type-graphql';
import { OPERATION_TYPES } from '../domain/operation-types.js';

export enum ResourceType {
  CONNECTION = 'CONNECTION',
  SOURCE_CONNECTION = 'SOURCE_CONNECTION',
  XDM_SCHEMA = 'XDM_SCHEMA',
  DATASET = 'DATASET',
  TARGET_CONNECTION = 'TARGET_CONNECTION',
  MAPPING = 'MAPPING',
  DATAFLOW = 'DATAFLOW',
  /** Not a Platform resource: audit events of API-key management. */
  API_KEY = 'API_KEY',
}

export enum ResourceState {
  PENDING = 'PENDING',
  ENABLED = 'ENABLED',
  DISABLED = 'DISABLED',
  READY = 'READY',
  DELETING = 'DELETING',
  DELETED = 'DELETED',
  FAILED = 'FAILED',
}

export enum StripeResource {
  CHARGES = 'charges',
  SUBSCRIPTIONS = 'subscriptions',
  REFUNDS = 'refunds',
  BALANCE_TRANSACTIONS = 'balance_transactions',
  CUSTOMERS = 'customers',
  PRICES = 'prices',
}

export enum ScheduleFrequency {
  ONCE = 'once',
  MINUTE = 'minute',
  HOUR = 'hour',
  DAY = 'day',
  WEEK = 'week',
}

export enum OperationStatus {
  QUEUED = 'QUEUED',
  RUNNING = 'RUNNING',
  RETRYING = 'RETRYING',
  SUCCEEDED = 'SUCCEEDED',
  FAILED = 'FAILED',
  CANCELLED = 'CANCELLED',
}

export const OperationType = Object.fromEntries(OPERATION_TYPES.map((t) => [t, t])) as { [K in (typeof OPERATION_TYPES)[number]]: K };
export type OperationType = (typeof OPERATION_TYPES)[number];

export enum FlowRunStatus {
  IN_PROGRESS = 'IN_PROGRESS',
  SUCCESS = 'SUCCESS',
  PARTIAL_SUCCESS = 'PARTIAL_SUCCESS',
  FAILED = 'FAILED',
}

registerEnumType(ResourceType, { name: 'ResourceType', description: 'The kinds of Platform resources Flowgate manages.' });
registerEnumType(ResourceState, {
  name: 'ResourceState',
  description: 'PENDING: requested, not yet on the Platform. ENABLED/DISABLED: connections and dataflows. READY: schemas, datasets, mappings. FAILED: could not be created.',
});
registerEnumType(StripeResource, { name: 'StripeResource', description: 'The Stripe objects Flowgate can ingest.' });
registerEnumType(ScheduleFrequency, { name: 'ScheduleFrequency' });
registerEnumType(OperationStatus, { name: 'OperationStatus' });
registerEnumType(OperationType, { name: 'OperationType', description: 'What an operation changes on the Platform.' });
registerEnumType(FlowRunStatus, { name: 'FlowRunStatus' });
