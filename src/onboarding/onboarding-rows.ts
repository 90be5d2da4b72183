import type { OperationErrorInfo } from '../domain/operation-error.js';

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
  schedule: { frequency: string; interval: number | null; startTime: number | null; backfill: boolean | null };
  rollback_on_failure: boolean;
  existing_dataset_id: string | null;
  connection_id: string;
  error: OperationErrorInfo | null;
  left_behind: LeftBehind[];
  requested_by: string;
  request_id: string | null;
  idempotency_key: string | null;
  input_hash: string | null;
  created_at: Date;
  updated_at: Date;
  finished_at: Date | null;
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

export type OnboardingStatus = 'QUEUED' | 'RUNNING' | 'RETRYING' | 'SUCCEEDED' | 'FAILED' | 'ROLLING_BACK' | 'ROLLED_BACK' | 'CANCELLED';
export type StepStatus = 'PENDING' | 'RUNNING' | 'SUCCEEDED' | 'FAILED' | 'SKIPPED' | 'CANCELLED';

export const TERMINAL_ONBOARDING: readonly OnboardingStatus[] = ['SUCCEEDED', 'FAILED', 'ROLLED_BACK', 'CANCELLED'];

/** A resource an undo could not remove. */
export interface LeftBehind {
  resourceType: string;
  resourceId: string;
  platformId: string | null;
  reason: string;
}

/** An onboarding with its steps, as it travels over pub/sub (JSON). */
export interface OnboardingState {
  onboarding: OnboardingRow;
  steps: StepRow[];
}
