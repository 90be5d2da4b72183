import type { OperationErrorInfo } from '../domain/operation-error.js';
import type { OnboardingRow, OnboardingState, StepRow } from '../onboarding/onboarding-rows.js';
import { ResourceType, ScheduleFrequency, StripeResource } from './enums.js';
import { LeftBehindResource, Onboarding, OnboardingStep, type OnboardingStatus, type OnboardingStepKind, type StepStatus } from './onboarding.type.js';
import type { OperationError } from './operation.type.js';

const date = (v: Date | string | null): Date | null => (v === null ? null : v instanceof Date ? v : new Date(v));

function errorOf(e: OperationErrorInfo | null): OperationError | null {
  return e ? { code: e.code, message: e.message, field: e.field ?? null, platformStatus: e.platformStatus ?? null, platformCode: e.platformCode ?? null, retryable: e.retryable } : null;
}

export function toOnboardingStep(s: StepRow): OnboardingStep {
  return Object.assign(new OnboardingStep(), {
    key: s.key,
    kind: s.kind as OnboardingStepKind,
    resource: (s.stripe_resource as StripeResource | null) ?? null,
    status: s.status as StepStatus,
    attempts: s.attempts,
    dependsOn: s.depends_on,
    undoes: s.undoes,
    startedAt: date(s.started_at),
    finishedAt: date(s.finished_at),
    resourceType: (s.resource_type as ResourceType | null) ?? null,
    resourceId: s.resource_id,
    platformId: s.platform_id,
    operationId: s.operation_id,
    error: errorOf(s.error),
  });
}

/** An onboarding with its steps (rows, or their JSON from pub/sub) as the GraphQL type. */
export function toOnboarding(state: { onboarding: OnboardingRow; steps: StepRow[] } | OnboardingState): Onboarding {
  const o = state.onboarding;
  return Object.assign(new Onboarding(), {
    id: o.id,
    name: o.name,
    description: o.description,
    status: o.status as OnboardingStatus,
    progress: o.progress,
    currentStep: o.current_step,
    resources: o.resources as StripeResource[],
    schedule: {
      frequency: o.schedule.frequency as ScheduleFrequency,
      interval: o.schedule.interval,
      startTime: o.schedule.startTime === null ? date(o.created_at) : new Date(o.schedule.startTime * 1000),
      backfill: o.schedule.backfill,
    },
    rollbackOnFailure: o.rollback_on_failure,
    steps: state.steps.map(toOnboardingStep),
    error: errorOf(o.error),
    leftBehind: (o.left_behind ?? []).map((l) => Object.assign(new LeftBehindResource(), { ...l, resourceType: l.resourceType as ResourceType })),
    requestedBy: o.requested_by,
    createdAt: date(o.created_at)!,
    updatedAt: date(o.updated_at)!,
    finishedAt: date(o.finished_at),
    connectionId: o.connection_id,
    sandbox: o.sandbox,
  });
}
