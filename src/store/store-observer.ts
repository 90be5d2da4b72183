import type { StepRow } from './onboarding-rows.js';
import type { Operation } from './rows.js';

/**
 * What the ledgers report as they write (metrics hook in here): operations recorded, retried
 * and finished, onboarding steps finished. Called after the statement, on the write path, so
 * implementations must be cheap and must not throw.
 */
export interface StoreObserver {
  operationsRecorded(types: readonly string[]): void;
  /** An attempt failed and the operation will be retried; `cause` is the error code. */
  operationRetrying(type: string, cause: string): void;
  operationFinished(operation: Pick<Operation, 'type' | 'status' | 'attempts' | 'createdAt' | 'finishedAt'>): void;
  stepsFinished(steps: readonly Pick<StepRow, 'kind' | 'status' | 'started_at' | 'finished_at'>[]): void;
  /** The audit chain was verified: intact or not. */
  auditChainVerified(ok: boolean): void;
}

/** Reports nothing: the default. */
export const silentStoreObserver: StoreObserver = Object.freeze({
  operationsRecorded() {},
  operationRetrying() {},
  operationFinished() {},
  stepsFinished() {},
  auditChainVerified() {},
});
