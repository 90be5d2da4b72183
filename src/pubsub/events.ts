import type { ResourceChangeAction } from '../domain/audit-actions.js';
import type { AlertChange } from '../domain/dataflow-health.js';
import type { ResourceState, ResourceType } from '../domain/resource-types.js';
import type { FlowRun, SyncedRun } from '../store/flow-run.store.js';
import type { OnboardingState, OnboardingView } from '../store/onboarding-rows.js';
import type { Operation, Resource } from '../store/rows.js';
import type { Alert } from '../store/watchdog.store.js';

/**
 * What travels on the event bus: one payload type per topic, with the fields subscribers show
 * and nothing else — never an operation's input, idempotency key or request fingerprint, never a
 * step's stored result. Dates are ISO strings (JSON).
 */

/** A topic: a channel name that knows its payload type, so publishers and subscribers agree. */
export interface Topic<T> {
  readonly channel: string;
  /** Type-level only: the payload the channel carries. */
  readonly payload?: T;
}

const topic = <T>(channel: string): Topic<T> => ({ channel });

/** An operation changed (started, progressed, retrying, finished, requeued): its public fields, dates as ISO strings. */
export type OperationEvent = Pick<Operation, 'id' | 'type' | 'status' | 'attempts' | 'progress' | 'message' | 'resourceType' | 'resourceId' | 'sandbox' | 'error' | 'requestedBy'> & {
  createdAt: string;
  updatedAt: string;
  finishedAt: string | null;
};

/** A resource changed: created, updated, enabled, deleted, failed, or found changed on the Platform. */
export interface ResourceChangeEvent {
  resourceType: ResourceType;
  resourceId: string;
  state: ResourceState;
  etag: string | null;
  platformId: string | null;
  /** What happened, e.g. CREATED, UPDATED, CONFLICT_DETECTED (CURRENT for a subscription's first message). */
  action: ResourceChangeAction;
  operationId: string | null;
  at: string;
}

/** A run of a dataflow appeared or changed on the Platform, as synced (dates as ISO strings). */
export type FlowRunEvent = Omit<SyncedRun, 'startedAt' | 'completedAt' | 'etag'> & {
  id: string;
  dataflowId: string;
  startedAt: string | null;
  completedAt: string | null;
  updatedAt: string;
};

/** An alert was opened, updated or resolved: the alert as the change left it (dates as ISO strings). */
export interface AlertEvent {
  change: AlertChange;
  alert: Omit<Alert, 'createdAt' | 'updatedAt' | 'resolvedAt'> & { createdAt: string; updatedAt: string; resolvedAt: string | null };
}

/** An API key was revoked: every gateway forgets it and closes its sockets. */
export interface CredentialsRevokedEvent {
  apiKeyId: string;
  name: string;
}

/** The topics of the event bus. */
export const topics = {
  operation: (id: string) => topic<OperationEvent>(`operation:${id}`),
  resource: (type: ResourceType, id: string) => topic<ResourceChangeEvent>(`resource:${type}:${id}`),
  flowRuns: (dataflowId: string) => topic<FlowRunEvent>(`flow-runs:${dataflowId}`),
  /** An onboarding after a step transition (see OnboardingView). */
  onboarding: (id: string) => topic<OnboardingView>(`onboarding:${id}`),
  credentialsRevoked: () => topic<CredentialsRevokedEvent>('credentials-revoked'),
  /** The alerts of a sandbox (the watchdog publishes each change after it committed). */
  alerts: (sandbox: string) => topic<AlertEvent>(`alerts:${sandbox}`),
};

export function alertEvent(change: AlertChange, alert: Alert): AlertEvent {
  return {
    change,
    alert: { ...alert, createdAt: alert.createdAt.toISOString(), updatedAt: alert.updatedAt.toISOString(), resolvedAt: alert.resolvedAt?.toISOString() ?? null },
  };
}

export function operationEvent(row: Operation): OperationEvent {
  return {
    id: row.id,
    type: row.type,
    status: row.status,
    attempts: row.attempts,
    progress: row.progress,
    message: row.message,
    resourceType: row.resourceType,
    resourceId: row.resourceId,
    sandbox: row.sandbox,
    error: row.error,
    requestedBy: row.requestedBy,
    createdAt: row.createdAt.toISOString(),
    updatedAt: row.updatedAt.toISOString(),
    finishedAt: row.finishedAt ? row.finishedAt.toISOString() : null,
  };
}

export function resourceChangeEvent(resource: Resource, action: ResourceChangeAction, operationId: string | null, at: Date = new Date()): ResourceChangeEvent {
  return { resourceType: resource.type, resourceId: resource.id, state: resource.state, etag: resource.etag, platformId: resource.platformId, action, operationId, at: at.toISOString() };
}

export function flowRunEvent(run: FlowRun): FlowRunEvent {
  return {
    id: run.id,
    platformId: run.platformId,
    dataflowId: run.dataflowId,
    status: run.status,
    startedAt: run.startedAt?.toISOString() ?? null,
    completedAt: run.completedAt?.toISOString() ?? null,
    recordsRead: run.recordsRead,
    recordsWritten: run.recordsWritten,
    recordsFailed: run.recordsFailed,
    inputBytes: Number(run.inputBytes),
    outputBytes: Number(run.outputBytes),
    errors: (run.errors ?? []) as FlowRunEvent['errors'],
    updatedAt: run.updatedAt.toISOString(),
  };
}

/**
 * An onboarding as subscribers see it: its row without the request's fingerprint and
 * idempotency key, and its steps without their results (explored schemas were a third of
 * every message, 23 KB for three resources, and no subscriber reads them).
 */
export function onboardingEvent(state: OnboardingState): OnboardingView {
  const { input_hash: _hash, idempotency_key: _key, request_id: _request, ...onboarding } = state.onboarding;
  return { onboarding, steps: state.steps.map(({ result: _result, ...step }) => step) };
}
