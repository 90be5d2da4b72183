import { registerEnumType } from 'type-graphql';
import { AUDIT_ACTIONS, RESOURCE_CHANGE_ACTIONS, type AuditAction as AuditActionValue, type ResourceChangeAction as ResourceChangeActionValue } from '../domain/audit-actions.js';
import { FLOW_RUN_STATUSES } from '../domain/flow-runs.js';
import { PUBLIC_ERROR_CODES } from '../domain/operation-error.js';
import { ONBOARDING_STATUSES, STEP_KINDS, STEP_STATUSES } from '../domain/onboarding.js';
import { OPERATION_STATUSES, OPERATION_TYPES } from '../domain/operations.js';
import { MAPPING_SOURCE_TYPES } from '../domain/resource-specs.js';
import { RESOURCE_STATES, RESOURCE_TYPES, STRIPE_RESOURCES } from '../domain/resource-types.js';
import { FREQUENCIES } from '../domain/schedule-rules.js';

/**
 * The API's enums, built from the domain's lists so the two cannot drift. Each is an object of
 * GraphQL name → value (type-graphql takes it like a TypeScript enum) and the union of its values.
 */

/** Names equal to values (`CONNECTION: 'CONNECTION'`). */
function sameNames<const T extends string>(values: readonly T[]): { readonly [K in T]: K } {
  return Object.fromEntries(values.map((v) => [v, v])) as { [K in T]: K };
}

/** Upper-case names of lower-case values (`CHARGES: 'charges'`). */
function upperCaseNames<const T extends string>(values: readonly T[]): { readonly [K in T as Uppercase<K>]: K } {
  return Object.fromEntries(values.map((v) => [v.toUpperCase(), v])) as { [K in T as Uppercase<K>]: K };
}

export const ResourceType = sameNames(RESOURCE_TYPES);
export type ResourceType = (typeof RESOURCE_TYPES)[number];

export const ResourceState = sameNames(RESOURCE_STATES);
export type ResourceState = (typeof RESOURCE_STATES)[number];

export const StripeResource = upperCaseNames(STRIPE_RESOURCES);
export type StripeResource = (typeof STRIPE_RESOURCES)[number];

export const ScheduleFrequency = upperCaseNames(FREQUENCIES);
export type ScheduleFrequency = (typeof FREQUENCIES)[number];

export const OperationStatus = sameNames(OPERATION_STATUSES);
export type OperationStatus = (typeof OPERATION_STATUSES)[number];

export const OperationType = sameNames(OPERATION_TYPES);
export type OperationType = (typeof OPERATION_TYPES)[number];

export const FlowRunStatus = sameNames(FLOW_RUN_STATUSES);
export type FlowRunStatus = (typeof FLOW_RUN_STATUSES)[number];

export const MappingSourceType = sameNames(MAPPING_SOURCE_TYPES);
export type MappingSourceType = (typeof MAPPING_SOURCE_TYPES)[number];

export const OnboardingStatus = sameNames(ONBOARDING_STATUSES);
export type OnboardingStatus = (typeof ONBOARDING_STATUSES)[number];

export const StepStatus = sameNames(STEP_STATUSES);
export type StepStatus = (typeof STEP_STATUSES)[number];

export const OnboardingStepKind = sameNames(STEP_KINDS);
export type OnboardingStepKind = (typeof STEP_KINDS)[number];

export const AuditAction = sameNames(AUDIT_ACTIONS);
export type AuditAction = AuditActionValue;

export const ResourceChangeAction = sameNames(RESOURCE_CHANGE_ACTIONS);
export type ResourceChangeAction = ResourceChangeActionValue;

export const ErrorCode = sameNames(PUBLIC_ERROR_CODES);
export type ErrorCode = (typeof PUBLIC_ERROR_CODES)[number];

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
registerEnumType(MappingSourceType, { name: 'MappingSourceType', description: 'ATTRIBUTE copies a source path, EXPRESSION evaluates a Data Prep expression, STATIC writes a constant.' });
registerEnumType(OnboardingStatus, { name: 'OnboardingStatus' });
registerEnumType(StepStatus, { name: 'OnboardingStepStatus' });
registerEnumType(AuditAction, { name: 'AuditAction', description: 'What an audit event records. `<OPERATION_TYPE>_FAILED`: that operation failed; the resource is unchanged (a create leaves it FAILED).' });
registerEnumType(ResourceChangeAction, {
  name: 'ResourceChangeAction',
  description: 'What a resourceChanged message reports: an audit action, FAILED (an operation on it failed), or CURRENT (the first message: the resource as it is).',
});
registerEnumType(ErrorCode, { name: 'ErrorCode', description: 'Flowgate’s public error codes: `extensions.code` of a GraphQL error, and `code` of a recorded operation or step error.' });
registerEnumType(OnboardingStepKind, { name: 'OnboardingStepKind', description: 'What a step does; UNDO_* steps remove what a create made (rollback).' });
