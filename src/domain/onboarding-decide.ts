import type { ForwardKind, OnboardingStatus, StepKind, StepStatus } from './onboarding.js';
import { mayHaveCreated, planUndo } from './onboarding-plan.js';
import type { OperationErrorInfo } from './operation-error.js';
import type { StripeResourcePath } from './resource-types.js';

/**
 * The saga's decisions: given an onboarding's ledger as recorded, what happens next. Pure — the
 * orchestrator reads the ledger under the onboarding's row lock, asks `decide`, and carries the
 * answer out (SQL, queues); the budget of steps running at once is the orchestrator's, so `start`
 * lists every step that may start, in ledger order.
 */

/** A step of the ledger, as `decide` needs it. */
export interface LedgerStep {
  key: string;
  kind: StepKind;
  status: StepStatus;
  dependsOn: string[];
  /** The forward step an undo step undoes; null for forward steps. */
  undoes: string | null;
  resource: StripeResourcePath | null;
  resourceType: string | null;
  resourceId: string | null;
  platformId: string | null;
  error: OperationErrorInfo | null;
}

export interface Ledger {
  status: OnboardingStatus;
  rollbackOnFailure: boolean;
  /** In ledger order (forward steps first, then undo steps). */
  steps: LedgerStep[];
}

/** A resource an undo could not remove. */
export interface LeftBehindResource {
  resourceType: string;
  resourceId: string;
  platformId: string | null;
  reason: string;
}

/** An undo step to add to the ledger when a rollback begins (last created first). */
export interface UndoToAdd {
  key: string;
  kind: StepKind;
  undoes: string;
  dependsOn: string[];
  resource: StripeResourcePath | null;
  resourceId: string | null;
}

export type Decision =
  /** Nothing changes (e.g. a failure waits for the steps in flight). */
  | { action: 'none' }
  /** Start these steps (each one's dependencies are satisfied), and be in `status`. */
  | { action: 'start'; status: OnboardingStatus; keys: string[] }
  | { action: 'succeed' }
  /** A step failed for good and there is no rollback: the onboarding is FAILED, resumable. */
  | { action: 'fail'; error: OperationErrorInfo | null }
  /** A step failed for good (or a cancel asked for it): add the undo steps, cancel what never ran, go ROLLING_BACK; decide again. */
  | { action: 'roll-back'; error: OperationErrorInfo | null; undo: UndoToAdd[]; cancel: string[] }
  /** Every undo ran: ROLLED_BACK when only what cannot be deleted stays, FAILED otherwise. */
  | { action: 'end-rollback'; status: 'ROLLED_BACK' | 'FAILED'; leftBehind: LeftBehindResource[] };

const isForward = (s: LedgerStep) => s.undoes === null;

/** The next move of an unfinished onboarding. */
export function decide(ledger: Ledger): Decision {
  const forward = ledger.steps.filter(isForward);
  if (ledger.status === 'ROLLING_BACK') return decideRollback(ledger);

  const failed = forward.find((s) => s.status === 'FAILED');
  const running = forward.filter((s) => s.status === 'RUNNING');
  if (failed) {
    // Let steps in flight finish first: their resources must be known before undoing anything.
    if (running.length > 0) return { action: 'none' };
    // The onboarding's error names the step that failed; the step keeps the operation's own.
    const error = failed.error ? { ...failed.error, message: `step ${failed.key} failed: ${failed.error.message}` } : null;
    if (!ledger.rollbackOnFailure) return { action: 'fail', error };
    return { action: 'roll-back', error, ...undoPlan(forward) };
  }
  if (forward.every((s) => s.status === 'SUCCEEDED' || s.status === 'SKIPPED')) return { action: 'succeed' };

  const keys = readyKeys(ledger.steps, forward, (s) => s.status === 'SUCCEEDED');
  const status: OnboardingStatus = ledger.status === 'QUEUED' || keys.length > 0 || running.length > 0 ? 'RUNNING' : ledger.status;
  if (status === ledger.status && keys.length === 0) return { action: 'none' };
  return { action: 'start', status, keys };
}

/** During a rollback: plan it once, start the undos whose dependants are undone, end it when all ran. */
function decideRollback(ledger: Ledger): Decision {
  const forward = ledger.steps.filter(isForward);
  if (forward.some((s) => s.status === 'RUNNING')) return { action: 'start', status: 'ROLLING_BACK', keys: [] };
  const undo = ledger.steps.filter((s) => !isForward(s));
  // A cancel with rollback, or a rollback begun before its plan was recorded.
  if (undo.length === 0) return { action: 'roll-back', error: null, ...undoPlan(forward) };
  const ran = (s: LedgerStep) => s.status === 'SUCCEEDED' || s.status === 'FAILED';
  if (undo.every(ran)) {
    const leftBehind = undo
      .filter((s) => s.status === 'FAILED')
      .map((s) => ({
        // The shared record class is a part of the onboarding's schemas.
        resourceType: s.resourceType ?? (s.kind === 'UNDO_CREATE_XDM_CLASS' ? 'XDM_SCHEMA' : 'UNKNOWN'),
        resourceId: s.resourceId ?? '',
        platformId: forward.find((f) => f.key === s.undoes)?.platformId ?? null,
        reason: s.error?.message ?? 'the undo failed',
      }));
    // Resources the Platform has no delete for stay by design; any other leftover means the rollback failed.
    const byDesign = (l: LeftBehindResource) => l.resourceType === 'MAPPING' && /no delete/.test(l.reason);
    return { action: 'end-rollback', status: leftBehind.every(byDesign) ? 'ROLLED_BACK' : 'FAILED', leftBehind };
  }
  return { action: 'start', status: 'ROLLING_BACK', keys: readyKeys(ledger.steps, undo, ran) };
}

/** The undo steps for what the forward steps made (last made first), and the forward steps that never ran. */
function undoPlan(forward: LedgerStep[]): { undo: UndoToAdd[]; cancel: string[] } {
  const planned = planUndo(
    forward.map((s) => ({
      key: s.key,
      kind: s.kind as ForwardKind,
      dependsOn: s.dependsOn,
      resource: s.resource,
      resourceId: s.resourceId,
      // A failed create may still have left something (a lost answer): its undo looks it up by name.
      created: mayHaveCreated({ kind: s.kind as ForwardKind, status: s.status, resourceId: s.resourceId }),
    })),
  );
  return { undo: [...planned].reverse(), cancel: forward.filter((s) => s.status === 'PENDING').map((s) => s.key) };
}

/** PENDING candidates whose dependencies are all satisfied (a dependency not in the ledger does not hold anything up). */
function readyKeys(all: LedgerStep[], candidates: LedgerStep[], satisfied: (s: LedgerStep) => boolean): string[] {
  const byKey = new Map(all.map((s) => [s.key, s]));
  return candidates
    .filter(
      (s) =>
        s.status === 'PENDING' &&
        s.dependsOn.every((key) => {
          const dependency = byKey.get(key);
          return !dependency || satisfied(dependency);
        }),
    )
    .map((s) => s.key);
}
