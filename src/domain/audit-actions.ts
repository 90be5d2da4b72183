import { OPERATION_TYPES, type OperationType } from './operations.js';

/**
 * What an audit event records, and what a `resourceChanged` message says happened: one list, so
 * the API's enums, the audit filter and what the ledger writes cannot drift apart.
 */

/**
 * Changes a successful operation, API-key or webhook management, or the dataflow watchdog
 * (alerts) records.
 */
export const CHANGE_ACTIONS = ['CREATED', 'UPDATED', 'DELETED', 'ENABLED', 'DISABLED', 'REVOKED', 'CONFLICT_DETECTED', 'SECRET_ROTATED', 'ALERT_OPENED', 'ALERT_UPDATED', 'ALERT_RESOLVED'] as const;

/** A failed operation records `<OPERATION_TYPE>_FAILED` (e.g. CREATE_DATAFLOW_FAILED). */
export type FailedAction = `${OperationType}_FAILED`;

export function failedAction(type: OperationType): FailedAction {
  return `${type}_FAILED`;
}

/** Every action an audit event can have. */
export const AUDIT_ACTIONS: readonly AuditAction[] = [...CHANGE_ACTIONS, ...OPERATION_TYPES.map(failedAction)];
export type AuditAction = (typeof CHANGE_ACTIONS)[number] | FailedAction;

/**
 * Every action a `resourceChanged` message can carry: an audit action, FAILED (an operation on
 * the resource failed without changing it), or CURRENT (the subscription's first message: the
 * resource as it is).
 */
export const RESOURCE_CHANGE_ACTIONS: readonly ResourceChangeAction[] = [...AUDIT_ACTIONS, 'FAILED', 'CURRENT'];
export type ResourceChangeAction = AuditAction | 'FAILED' | 'CURRENT';

export function isAuditAction(value: unknown): value is AuditAction {
  return typeof value === 'string' && (AUDIT_ACTIONS as readonly string[]).includes(value);
}
