import type { OnboardingStatus, StepStatus } from '../domain/onboarding.js';
import type { OperationErrorInfo } from '../domain/operation-error.js';
import type { RequestedSchedule } from '../domain/schedule-rules.js';

export type { OnboardingStatus, StepStatus } from '../domain/onboarding.js';

/** An `onboardings` row as node-postgres returns it. */
export interface OnboardingRow {
  id: string;
  sandbox: string;
  name: string;
  description: string | null;
  status: OnboardingStatus;
  progress: number;
  current_step: string | null;
  resources: string[];
  schedule: RequestedSchedule;
  rollback_on_failure: boolean;
  existing_dataset_id: string | null;
  connection_id: string;
  error: OperationErrorInfo | null;
  left_behind: LeftBehind[];
  requested_by: string;
  request_id: string | null;
  /** The onboarding span's W3C traceparent (null when not traced). */
  trace_parent: string | null;
  idempotency_key: string | null;
  input_hash: string | null;
  created_at: Date;
  updated_at: Date;
  finished_at: Date | null;
  /** Bumped by every pass that records a change (under the row lock): the order of its states. */
  version: number;
  /** The base connection's newest sealed token's id: read by a pass with the row (what its connection create's operation names; null without one), absent on rows read elsewhere. */
  connection_secret_id?: string | null;
}

/** An `onboarding_steps` row. */
export interface StepRow {
  id: string;
  onboarding_id: string;
  key: string;
  kind: string;
  position: number;
  stripe_resource: string | null;
  depends_on: string[];
  weight: number;
  status: StepStatus;
  attempts: number;
  resource_type: string | null;
  resource_id: string | null;
  platform_id: string | null;
  operation_id: string | null;
  result: Record<string, unknown> | null;
  error: OperationErrorInfo | null;
  undoes: string | null;
  started_at: Date | null;
  finished_at: Date | null;
  created_at: Date;
  updated_at: Date;
}

/** A resource an undo could not remove. */
export interface LeftBehind {
  resourceType: string;
  resourceId: string;
  platformId: string | null;
  reason: string;
}

/** An onboarding with its steps, as stored. */
export interface OnboardingState {
  onboarding: OnboardingRow;
  steps: StepRow[];
}

/**
 * What clients may see of an onboarding (GraphQL, the event bus): the stored state without the
 * request's fingerprint, idempotency key and request id, and without the steps' results.
 * Dates may be strings (JSON from the event bus).
 */
export interface OnboardingView {
  onboarding: Omit<OnboardingRow, 'input_hash' | 'idempotency_key' | 'request_id' | 'trace_parent'>;
  steps: Omit<StepRow, 'result'>[];
}
