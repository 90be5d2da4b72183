/**
 * The vocabulary of one-call onboardings: what a step does and where an onboarding and its
 * steps are. Owned here; the store's enums and the GraphQL enums are the same strings.
 */

/** What a step does. UNDO_* steps remove what the matching create made (rollback). */
export const STEP_KINDS = [
  'CREATE_CONNECTION',
  'TEST_CONNECTION',
  'EXPLORE',
  'CREATE_XDM_CLASS',
  'CREATE_SOURCE_CONNECTION',
  'CREATE_XDM_SCHEMA',
  'CREATE_DATASET',
  'CREATE_TARGET_CONNECTION',
  'CREATE_MAPPING',
  'CREATE_DATAFLOW',
  'UNDO_CREATE_CONNECTION',
  'UNDO_CREATE_XDM_CLASS',
  'UNDO_CREATE_SOURCE_CONNECTION',
  'UNDO_CREATE_XDM_SCHEMA',
  'UNDO_CREATE_DATASET',
  'UNDO_CREATE_TARGET_CONNECTION',
  'UNDO_CREATE_MAPPING',
  'UNDO_CREATE_DATAFLOW',
] as const;
export type StepKind = (typeof STEP_KINDS)[number];
export type ForwardKind = Exclude<StepKind, `UNDO_${string}`>;

/**
 * Steps the saga runs itself, not as core operations: Platform reads, and the record class the
 * onboarding's schemas share (a part of those schemas, not a Flowgate resource of its own).
 */
export const INLINE_STEP_KINDS: readonly StepKind[] = ['TEST_CONNECTION', 'EXPLORE', 'CREATE_XDM_CLASS', 'UNDO_CREATE_XDM_CLASS'];

/** Whether the saga runs a step of this kind itself. */
export const isInlineStep = (kind: string): boolean => (INLINE_STEP_KINDS as readonly string[]).includes(kind);

export const ONBOARDING_STATUSES = ['QUEUED', 'RUNNING', 'RETRYING', 'SUCCEEDED', 'FAILED', 'ROLLING_BACK', 'ROLLED_BACK', 'CANCELLED'] as const;
export type OnboardingStatus = (typeof ONBOARDING_STATUSES)[number];

export const STEP_STATUSES = ['PENDING', 'RUNNING', 'SUCCEEDED', 'FAILED', 'SKIPPED', 'CANCELLED'] as const;
export type StepStatus = (typeof STEP_STATUSES)[number];

/** Statuses an onboarding never leaves (except FAILED, which `retryOnboarding` resumes). */
export const TERMINAL_ONBOARDING: readonly OnboardingStatus[] = ['SUCCEEDED', 'FAILED', 'ROLLED_BACK', 'CANCELLED'];
