import { registerEnumType } from 'type-graphql';
import { AUDIT_ACTIONS, CHANGE_ACTIONS, RESOURCE_CHANGE_ACTIONS, type AuditAction as AuditActionValue, type ResourceChangeAction as ResourceChangeActionValue } from '../domain/audit-actions.js';
import { ALERT_CHANGES, ALERT_SEVERITIES, HEALTH_REASON_CODES, HEALTH_STATUSES, PROBLEM_STATUSES } from '../domain/dataflow-health.js';
import { FLOW_RUN_STATUSES } from '../domain/flow-runs.js';
import { PUBLIC_ERROR_CODES } from '../domain/operation-error.js';
import { ONBOARDING_STATUSES, STEP_KINDS, STEP_STATUSES } from '../domain/onboarding.js';
import { OPERATION_STATUSES, OPERATION_TYPES, OPERATIONS } from '../domain/operations.js';
import { MAPPING_SOURCE_TYPES } from '../domain/resource-specs.js';
import { RESOURCE_STATES, RESOURCE_TYPES, resourceLabel, STRIPE_RESOURCES } from '../domain/resource-types.js';
import { FREQUENCIES } from '../domain/schedule-rules.js';
import { DELIVERY_EVENT_TYPES, DELIVERY_STATUSES, WEBHOOK_EVENT_TYPES } from '../domain/webhook-events.js';

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

export const HealthStatus = sameNames(HEALTH_STATUSES);
export type HealthStatus = (typeof HEALTH_STATUSES)[number];

export const ProblemStatus = sameNames(PROBLEM_STATUSES);
export type ProblemStatus = (typeof PROBLEM_STATUSES)[number];

export const HealthReasonCode = sameNames(HEALTH_REASON_CODES);
export type HealthReasonCode = (typeof HEALTH_REASON_CODES)[number];

export const AlertSeverity = sameNames(ALERT_SEVERITIES);
export type AlertSeverity = (typeof ALERT_SEVERITIES)[number];

export const AlertChange = sameNames(ALERT_CHANGES);
export type AlertChange = (typeof ALERT_CHANGES)[number];

export const AlertStatus = sameNames(['OPEN', 'RESOLVED'] as const);
export type AlertStatus = 'OPEN' | 'RESOLVED';

export const WebhookEventType = sameNames(WEBHOOK_EVENT_TYPES);
export type WebhookEventType = (typeof WEBHOOK_EVENT_TYPES)[number];

export const DeliveryEventType = sameNames(DELIVERY_EVENT_TYPES);
export type DeliveryEventType = (typeof DELIVERY_EVENT_TYPES)[number];

export const DeliveryStatus = sameNames(DELIVERY_STATUSES);
export type DeliveryStatus = (typeof DELIVERY_STATUSES)[number];

export const AuditAction = sameNames(AUDIT_ACTIONS);
export type AuditAction = AuditActionValue;

export const ResourceChangeAction = sameNames(RESOURCE_CHANGE_ACTIONS);
export type ResourceChangeAction = ResourceChangeActionValue;

export const ErrorCode = sameNames(PUBLIC_ERROR_CODES);
export type ErrorCode = (typeof PUBLIC_ERROR_CODES)[number];

/**
 * A description for every value of an enum (the schema lint wants one on each). Typed by the
 * enum's values, so a value added to a domain list does not compile until it is described.
 */
function valuesConfig<K extends string>(descriptions: Record<K, string>): Record<K, { description: string }> {
  return Object.fromEntries(Object.entries<string>(descriptions).map(([name, description]) => [name, { description }])) as Record<K, { description: string }>;
}

/** The same description pattern for every value of a generated list. */
function describeEach<const K extends string>(values: readonly K[], describe: (value: K) => string): Record<K, string> {
  return Object.fromEntries(values.map((v) => [v, describe(v)])) as Record<K, string>;
}

const EFFECT_VERB = { create: 'Creates', update: 'Changes', delete: 'Deletes' } as const;
const OPERATION_TYPE_DESCRIPTIONS = describeEach(OPERATION_TYPES, (t) => {
  const contract = OPERATIONS[t];
  const verb = t.startsWith('ENABLE_') ? 'Enables' : t.startsWith('DISABLE_') ? 'Disables' : EFFECT_VERB[contract.effect];
  return `${verb} a ${resourceLabel(contract.resourceType)} on the Platform.`;
});

const CHANGE_ACTION_DESCRIPTIONS: Record<(typeof CHANGE_ACTIONS)[number], string> = {
  CREATED: 'Created on the Platform (or, for an API key, issued).',
  UPDATED: 'Changed on the Platform (name, description, schedule, key…).',
  DELETED: 'Deleted on the Platform.',
  ENABLED: 'A dataflow was enabled.',
  DISABLED: 'A dataflow was disabled.',
  REVOKED: 'An API key was revoked.',
  CONFLICT_DETECTED: 'The Platform had changed the resource since Flowgate last saw it (a stale etag); the fresh etag and snapshot were recorded.',
  SECRET_ROTATED: "A webhook's signing secret was replaced (the new one is shown once; the old one stops signing).",
  ALERT_OPENED: 'The dataflow watchdog opened an alert about a dataflow (LATE, FAILING, SILENT or DRIFTED).',
  ALERT_UPDATED: "An open alert's problem, severity or reasons changed.",
  ALERT_RESOLVED: 'The dataflow is healthy again (or was deleted); its open alert was resolved.',
};
const AUDIT_ACTION_DESCRIPTIONS: Record<AuditAction, string> = {
  ...CHANGE_ACTION_DESCRIPTIONS,
  ...describeEach(
    OPERATION_TYPES.map((t) => `${t}_FAILED` as const),
    (a) => `A ${a.slice(0, -'_FAILED'.length)} operation failed; nothing changed on the Platform (a failed create leaves the resource FAILED).`,
  ),
};

const ERROR_CODE_DESCRIPTIONS: Record<ErrorCode, string> = {
  BAD_USER_INPUT: 'An input breaks a rule; `field` names it. Nothing was written.',
  BAD_REQUEST: 'The request itself is malformed (body, media type, unknown sandbox, CSRF). Nothing was written.',
  NOT_FOUND: 'No such object in this sandbox.',
  CONFLICT: 'The resource changed since the etag you sent (`currentEtag` says what it is now), or on the Platform meanwhile.',
  IDEMPOTENCY_KEY_REUSED: 'The idempotency key was used before with a different input.',
  PRECONDITION_FAILED: 'The request is well-formed but cannot apply now (a dependency failed, a resource is still pending…).',
  DEPENDENCY_FAILED: 'A resource this one needs failed to be created.',
  PLATFORM_REJECTED: 'The Platform refused the request (`platformStatus`, `platformCode`); retrying the same will not help.',
  PLATFORM_UNAVAILABLE: 'The Platform could not be reached or answered 429/5xx; retried, and retryable.',
  PLATFORM_AUTH: 'The Platform refused Flowgate’s own credentials (IMS); an operator must fix the configuration.',
  MALFORMED_OPERATION: 'A recorded operation does not match its contract; it fails at once.',
  CANCELLED: 'The work was cancelled before it finished.',
  UNAUTHENTICATED: 'No valid credential (missing, unknown, revoked, expired or forged). HTTP 401; WebSocket 4401.',
  FORBIDDEN: 'Your role may not do this, or you may not act in that sandbox. HTTP 403; WebSocket 4403.',
  QUERY_TOO_COMPLEX: 'The document exceeds a limit (depth, aliases, cost, tokens, batch); `limit` names it.',
  PAYLOAD_TOO_LARGE: 'The request body is over GRAPHQL_MAX_REQUEST_BYTES. HTTP 413.',
  RATE_LIMITED: 'Over your allowance per minute; retry after `retryAfterSeconds`. HTTP 429.',
  UNAVAILABLE: 'The database or the identity provider could not be reached; try again (with the same idempotency key). HTTP 503.',
  INTERNAL_SERVER_ERROR: 'Something unexpected; the server log has it under `requestId`.',
};

const RESOURCE_TYPE_DESCRIPTIONS: Record<ResourceType, string> = {
  CONNECTION: 'A Stripe base connection.',
  SOURCE_CONNECTION: 'A source connection: one Stripe resource of a base connection.',
  XDM_SCHEMA: 'An XDM schema in the Schema Registry.',
  DATASET: 'A Catalog dataset.',
  TARGET_CONNECTION: 'A target connection: a dataset a dataflow writes.',
  MAPPING: 'A Data Prep mapping set.',
  DATAFLOW: 'A dataflow.',
  API_KEY: 'A Flowgate API key (audit events only).',
  ALERT: 'A dataflow watchdog alert (audit events only).',
  WEBHOOK: 'A webhook subscription (audit events only).',
};

const RESOURCE_STATE_DESCRIPTIONS: Record<ResourceState, string> = {
  PENDING: 'Requested; not yet on the Platform.',
  ENABLED: 'A connection or dataflow that is active (a dataflow runs on its schedule).',
  DISABLED: 'A dataflow that does not run until enabled.',
  READY: 'A schema, dataset, target connection, source connection or mapping that exists on the Platform.',
  DELETING: 'Being deleted.',
  DELETED: 'Deleted; lists leave it out unless asked for this state.',
  FAILED: 'Could not be created; its create operation says why.',
};

const STRIPE_RESOURCE_DESCRIPTIONS: Record<Uppercase<StripeResource>, string> = {
  CHARGES: 'Stripe charges.',
  SUBSCRIPTIONS: 'Stripe subscriptions.',
  REFUNDS: 'Stripe refunds.',
  BALANCE_TRANSACTIONS: 'Stripe balance transactions.',
  CUSTOMERS: 'Stripe customers.',
  PRICES: 'Stripe prices.',
};

const FREQUENCY_DESCRIPTIONS: Record<Uppercase<ScheduleFrequency>, string> = {
  ONCE: 'One run at the start time.',
  MINUTE: 'Every `interval` minutes (at least 15).',
  HOUR: 'Every `interval` hours.',
  DAY: 'Every `interval` days.',
  WEEK: 'Every `interval` weeks.',
};

const OPERATION_STATUS_DESCRIPTIONS: Record<OperationStatus, string> = {
  QUEUED: 'Recorded; waiting for a worker.',
  RUNNING: 'A worker is carrying it out.',
  RETRYING: 'An attempt failed in a way that may pass; it will run again (`error` says why).',
  SUCCEEDED: 'Done.',
  FAILED: 'Gave up; `error` says why. `retryOperation` runs it again.',
  CANCELLED: 'Stopped before it finished.',
};

const FLOW_RUN_STATUS_DESCRIPTIONS: Record<FlowRunStatus, string> = {
  IN_PROGRESS: 'Running (or scheduled).',
  SUCCESS: 'Every record was written.',
  PARTIAL_SUCCESS: 'Finished, but some records failed (`recordsFailed`, `errors`).',
  FAILED: 'The run failed.',
};

const MAPPING_SOURCE_TYPE_DESCRIPTIONS: Record<MappingSourceType, string> = {
  ATTRIBUTE: 'The source is a path in the Stripe record, e.g. `data.amount`.',
  EXPRESSION: 'The source is a Data Prep expression.',
  STATIC: 'The source is a constant.',
};

const ONBOARDING_STATUS_DESCRIPTIONS: Record<OnboardingStatus, string> = {
  QUEUED: 'Recorded; its first steps are waiting for a worker.',
  RUNNING: 'Steps are running.',
  RETRYING: 'A step failed in a way that may pass and runs again.',
  SUCCEEDED: 'Every resource exists and every dataflow is enabled.',
  FAILED: 'A step gave up and there was no rollback; `retryOnboarding` resumes it.',
  ROLLING_BACK: 'Removing what it created, newest first.',
  ROLLED_BACK: 'Removed what it could; `leftBehind` lists the rest.',
  CANCELLED: 'Stopped by `cancelOnboarding`.',
};

const STEP_STATUS_DESCRIPTIONS: Record<StepStatus, string> = {
  PENDING: 'Waiting for the steps it depends on.',
  RUNNING: 'Being carried out.',
  SUCCEEDED: 'Done; its result is recorded.',
  FAILED: 'Gave up; `error` says why.',
  SKIPPED: 'Not needed (e.g. nothing to undo).',
  CANCELLED: 'Stopped with its onboarding.',
};

const STEP_KIND_DESCRIPTIONS: Record<OnboardingStepKind, string> = {
  CREATE_CONNECTION: 'Creates the Stripe base connection.',
  TEST_CONNECTION: 'Runs the Platform’s connection test; every write that uses the connection waits for it (explores, which only read, run beside it).',
  EXPLORE: 'Reads a Stripe resource’s schema through the base connection.',
  CREATE_SOURCE_CONNECTION: 'Creates the source connection of a Stripe resource.',
  CREATE_XDM_CLASS: 'Creates the record class every XDM schema of the onboarding shares (one per onboarding).',
  CREATE_XDM_SCHEMA: 'Creates the XDM schema (a field group mirroring the explored Stripe schema, on the shared class).',
  CREATE_DATASET: 'Creates the dataset of that schema.',
  CREATE_TARGET_CONNECTION: 'Creates the target connection to that dataset.',
  CREATE_MAPPING: 'Creates the mapping set generated from explore and schema.',
  CREATE_DATAFLOW: 'Creates (and enables) the dataflow.',
  ...describeEach(
    STEP_KINDS.filter((k): k is Extract<OnboardingStepKind, `UNDO_${string}`> => k.startsWith('UNDO_')),
    (k) => `Rollback: removes what ${k.slice('UNDO_'.length)} made.`,
  ),
};

registerEnumType(ResourceType, {
  name: 'ResourceType',
  description: 'The kinds of resources Flowgate manages (and API keys, in audit events).',
  valuesConfig: valuesConfig(RESOURCE_TYPE_DESCRIPTIONS),
});
registerEnumType(ResourceState, {
  name: 'ResourceState',
  description: 'Where a resource is in its life.',
  valuesConfig: valuesConfig(RESOURCE_STATE_DESCRIPTIONS),
});
registerEnumType(StripeResource, { name: 'StripeResource', description: 'The Stripe objects Flowgate can ingest.', valuesConfig: valuesConfig(STRIPE_RESOURCE_DESCRIPTIONS) });
registerEnumType(ScheduleFrequency, { name: 'ScheduleFrequency', description: 'The unit of a schedule’s interval.', valuesConfig: valuesConfig(FREQUENCY_DESCRIPTIONS) });
registerEnumType(OperationStatus, {
  name: 'OperationStatus',
  description: 'Where an operation is: QUEUED → RUNNING (→ RETRYING → RUNNING …) → SUCCEEDED, FAILED or CANCELLED.',
  valuesConfig: valuesConfig(OPERATION_STATUS_DESCRIPTIONS),
});
registerEnumType(OperationType, { name: 'OperationType', description: 'What an operation changes on the Platform.', valuesConfig: valuesConfig(OPERATION_TYPE_DESCRIPTIONS) });
registerEnumType(FlowRunStatus, { name: 'FlowRunStatus', description: 'How a dataflow run went.', valuesConfig: valuesConfig(FLOW_RUN_STATUS_DESCRIPTIONS) });
registerEnumType(MappingSourceType, { name: 'MappingSourceType', description: 'What a field mapping’s source is.', valuesConfig: valuesConfig(MAPPING_SOURCE_TYPE_DESCRIPTIONS) });
registerEnumType(OnboardingStatus, { name: 'OnboardingStatus', description: 'Where an onboarding is.', valuesConfig: valuesConfig(ONBOARDING_STATUS_DESCRIPTIONS) });
registerEnumType(StepStatus, { name: 'OnboardingStepStatus', description: 'Where an onboarding step is.', valuesConfig: valuesConfig(STEP_STATUS_DESCRIPTIONS) });
registerEnumType(AuditAction, { name: 'AuditAction', description: 'What an audit event records.', valuesConfig: valuesConfig(AUDIT_ACTION_DESCRIPTIONS) });
registerEnumType(ResourceChangeAction, {
  name: 'ResourceChangeAction',
  description: 'What a resourceChanged message reports.',
  valuesConfig: valuesConfig<ResourceChangeAction>({
    ...AUDIT_ACTION_DESCRIPTIONS,
    FAILED: 'An operation on the resource failed.',
    CURRENT: 'The first message of a subscription: the resource as it is now.',
  }),
});
registerEnumType(ErrorCode, {
  name: 'ErrorCode',
  description: 'Flowgate’s public error codes: `extensions.code` of a GraphQL error, and `code` of a recorded operation or step error.',
  valuesConfig: valuesConfig(ERROR_CODE_DESCRIPTIONS),
});
registerEnumType(OnboardingStepKind, {
  name: 'OnboardingStepKind',
  description: 'What a step does; UNDO_* steps remove what a create made (rollback).',
  valuesConfig: valuesConfig(STEP_KIND_DESCRIPTIONS),
});
const HEALTH_STATUS_DESCRIPTIONS: Record<HealthStatus, string> = {
  HEALTHY: 'Runs on time, with data.',
  LATE: 'An expected run has not appeared within one interval plus the grace.',
  FAILING: 'The last runs failed, or the source rejected the Stripe key.',
  SILENT: 'The last runs succeeded but read 0 records.',
  DRIFTED: 'The Platform’s flow is not what Flowgate recorded (changed elsewhere).',
  PAUSED: 'Disabled on purpose through Flowgate.',
};
const HEALTH_REASON_DESCRIPTIONS: Record<HealthReasonCode, string> = {
  RUN_OVERDUE: 'No run within one interval plus the grace.',
  RUNS_FAILING: 'The last runs failed.',
  CREDENTIAL_REJECTED: 'The source rejected the Stripe key.',
  EMPTY_RUNS: 'Successful runs read 0 records.',
  EMPTY_RUNS_MAY_BE_NORMAL: 'Successful runs read 0 records, for a resource where that can be normal (refunds, prices, subscriptions).',
  FLOW_MISSING: 'The flow is gone from the Platform.',
  STATE_CHANGED: 'The Platform’s flow is enabled or disabled where Flowgate recorded the opposite.',
  SCHEDULE_CHANGED: 'The Platform’s schedule differs from the recorded one.',
  MAPPING_CHANGED: 'The Platform’s flow uses another mapping set version.',
  CHANGED_ELSEWHERE: 'The Platform’s etag differs, with no other difference Flowgate can name.',
  DISABLED_THROUGH_FLOWGATE: 'Paused on purpose through Flowgate.',
};
const ALERT_CHANGE_DESCRIPTIONS: Record<AlertChange, string> = {
  ALERT_OPENED: 'A dataflow developed a problem: an alert opened.',
  ALERT_UPDATED: 'The problem of an open alert changed (another health or other reasons).',
  ALERT_RESOLVED: 'The dataflow is healthy, paused or deleted again: the alert closed.',
};
const WEBHOOK_EVENT_DESCRIPTIONS: Record<WebhookEventType, string> = {
  ...ALERT_CHANGE_DESCRIPTIONS,
  ONBOARDING_FINISHED: 'An onboarding ended (succeeded, failed, rolled back or cancelled).',
  OPERATION_FAILED: 'An operation failed for good.',
};

registerEnumType(HealthStatus, { name: 'DataflowHealthStatus', description: 'How a dataflow is doing, as the watchdog judges it.', valuesConfig: valuesConfig(HEALTH_STATUS_DESCRIPTIONS) });
registerEnumType(ProblemStatus, {
  name: 'AlertHealth',
  description: 'The problem an alert is about (see DataflowHealthStatus).',
  valuesConfig: valuesConfig(Object.fromEntries(PROBLEM_STATUSES.map((s) => [s, HEALTH_STATUS_DESCRIPTIONS[s]])) as Record<ProblemStatus, string>),
});
registerEnumType(HealthReasonCode, { name: 'HealthReasonCode', description: 'Why a dataflow has its health, one code per finding.', valuesConfig: valuesConfig(HEALTH_REASON_DESCRIPTIONS) });
registerEnumType(AlertSeverity, {
  name: 'AlertSeverity',
  description: 'How urgent an alert is.',
  valuesConfig: valuesConfig<AlertSeverity>({
    CRITICAL: 'Nothing arrives (FAILING, LATE).',
    WARNING: 'DRIFTED, or SILENT where 0 records is unusual.',
    INFO: 'SILENT where 0 records can be normal.',
  }),
});
registerEnumType(AlertChange, { name: 'AlertChange', description: 'What happened to an alert; also the webhook event types of alerts.', valuesConfig: valuesConfig(ALERT_CHANGE_DESCRIPTIONS) });
registerEnumType(AlertStatus, {
  name: 'AlertStatus',
  description: 'Whether an alert’s problem lasts.',
  valuesConfig: valuesConfig<AlertStatus>({ OPEN: 'The problem lasts.', RESOLVED: 'The dataflow is healthy, paused or deleted again.' }),
});
registerEnumType(WebhookEventType, { name: 'WebhookEventType', description: 'Events a webhook can subscribe to.', valuesConfig: valuesConfig(WEBHOOK_EVENT_DESCRIPTIONS) });
registerEnumType(DeliveryEventType, {
  name: 'WebhookDeliveryEvent',
  description: 'What a delivery carries: a subscribed event, or WEBHOOK_TEST (sent by testWebhook).',
  valuesConfig: valuesConfig<DeliveryEventType>({ ...WEBHOOK_EVENT_DESCRIPTIONS, WEBHOOK_TEST: 'A test delivery sent by testWebhook.' }),
});
registerEnumType(DeliveryStatus, {
  name: 'WebhookDeliveryStatus',
  description: 'Where a webhook delivery stands.',
  valuesConfig: valuesConfig<DeliveryStatus>({
    PENDING: 'Not delivered yet (retries left).',
    SUCCEEDED: 'A 2xx answer.',
    FAILED: 'No attempt left.',
    CANCELLED: 'Its webhook was disabled or deleted first.',
  }),
});
