import type { ResourceType } from '../store/generated/enums.js';

/** Every kind of change Flowgate carries out on the Platform. */
export const OPERATION_TYPES = [
  'CREATE_CONNECTION',
  'CREATE_SOURCE_CONNECTION',
  'CREATE_XDM_SCHEMA',
  'CREATE_DATASET',
  'CREATE_TARGET_CONNECTION',
  'CREATE_MAPPING',
  'CREATE_DATAFLOW',
  'UPDATE_CONNECTION',
  'UPDATE_DATAFLOW',
  'ENABLE_DATAFLOW',
  'DISABLE_DATAFLOW',
  'DELETE_DATAFLOW',
  'DELETE_CONNECTION',
  // Used by onboarding rollbacks (no public mutation yet).
  'DELETE_SOURCE_CONNECTION',
  'DELETE_XDM_SCHEMA',
  'DELETE_DATASET',
  'DELETE_TARGET_CONNECTION',
  'DELETE_MAPPING',
] as const;

export type OperationType = (typeof OPERATION_TYPES)[number];

export function isOperationType(value: unknown): value is OperationType {
  return typeof value === 'string' && (OPERATION_TYPES as readonly string[]).includes(value);
}

/** The resource type each operation acts on. */
export const OPERATION_RESOURCE: Record<OperationType, ResourceType> = {
  CREATE_CONNECTION: 'CONNECTION',
  CREATE_SOURCE_CONNECTION: 'SOURCE_CONNECTION',
  CREATE_XDM_SCHEMA: 'XDM_SCHEMA',
  CREATE_DATASET: 'DATASET',
  CREATE_TARGET_CONNECTION: 'TARGET_CONNECTION',
  CREATE_MAPPING: 'MAPPING',
  CREATE_DATAFLOW: 'DATAFLOW',
  UPDATE_CONNECTION: 'CONNECTION',
  UPDATE_DATAFLOW: 'DATAFLOW',
  ENABLE_DATAFLOW: 'DATAFLOW',
  DISABLE_DATAFLOW: 'DATAFLOW',
  DELETE_DATAFLOW: 'DATAFLOW',
  DELETE_CONNECTION: 'CONNECTION',
  DELETE_SOURCE_CONNECTION: 'SOURCE_CONNECTION',
  DELETE_XDM_SCHEMA: 'XDM_SCHEMA',
  DELETE_DATASET: 'DATASET',
  DELETE_TARGET_CONNECTION: 'TARGET_CONNECTION',
  DELETE_MAPPING: 'MAPPING',
};

/** The six Stripe resources Flowgate ingests, as the Platform names them (`resourcePath`). */
export const STRIPE_RESOURCES = ['charges', 'subscriptions', 'refunds', 'balance_transactions', 'customers', 'prices'] as const;
export type StripeResourcePath = (typeof STRIPE_RESOURCES)[number];
