import { startTimeOf } from '../domain/schedule-rules.js';
import type { OnboardingView, StepRow } from '../store/onboarding-rows.js';
import type { ResourceType, StripeResource } from './enums.js';
import { toOperationError } from './mappers.js';
import { LeftBehindResource, Onboarding, OnboardingStep, type OnboardingStepKind } from './onboarding.type.js';

/** Stored dates, or their ISO strings in an event-bus payload. */
const date = (v: Date | string | null): Date | null => (v === null ? null : v instanceof Date ? v : new Date(v));

export function toOnboardingStep(s: Omit<StepRow, 'result'>): OnboardingStep {
  return Object.assign(new OnboardingStep(), {
    key: s.key,
    kind: s.kind as OnboardingStepKind,
    resource: (s.stripe_resource as StripeResource | null) ?? null,
    status: s.status,
    attempts: s.attempts,
    dependsOn: s.depends_on,
    undoes: s.undoes,
    startedAt: date(s.started_at),
    finishedAt: date(s.finished_at),
    resourceType: (s.resource_type as ResourceType | null) ?? null,
    resourceId: s.resource_id,
    platformId: s.platform_id,
    operationId: s.operation_id,
    error: toOperationError(s.error),
  });
}

/** An onboarding with its steps (as stored, or its event-bus payload) as the GraphQL type. */
export function toOnboarding(state: OnboardingView): Onboarding {
  const o = state.onboarding;
  const createdAt = date(o.created_at)!;
  return Object.assign(new Onboarding(), {
    id: o.id,
    name: o.name,
    description: o.description,
    status: o.status,
    progress: o.progress,
    currentStep: o.current_step,
    resources: o.resources as StripeResource[],
    schedule: {
      frequency: o.schedule.frequency,
      interval: o.schedule.interval,
      // An omitted start time is fixed per flow when it is created: the earliest is shown.
      startTime: new Date(startTimeOf(o.schedule, Math.floor(createdAt.getTime() / 1000)) * 1000),
      backfill: o.schedule.backfill,
    },
    rollbackOnFailure: o.rollback_on_failure,
    steps: state.steps.map(toOnboardingStep),
    error: toOperationError(o.error),
    leftBehind: (o.left_behind ?? []).map((l) => Object.assign(new LeftBehindResource(), { ...l, resourceType: l.resourceType as ResourceType })),
    requestedBy: o.requested_by,
    createdAt,
    updatedAt: date(o.updated_at)!,
    finishedAt: date(o.finished_at),
    version: o.version,
    connectionId: o.connection_id,
    sandbox: o.sandbox,
  });
}
