/**
 * The public error codes: what `extensions.code` of a GraphQL error and `code` of a recorded
 * operation (or onboarding step) error can be. One list, so the API and the records agree.
 */
export const PUBLIC_ERROR_CODES = [
  'BAD_USER_INPUT',
  'BAD_REQUEST',
  'NOT_FOUND',
  'CONFLICT',
  'IDEMPOTENCY_KEY_REUSED',
  'PRECONDITION_FAILED',
  'DEPENDENCY_FAILED',
  'PLATFORM_REJECTED',
  'PLATFORM_UNAVAILABLE',
  'PLATFORM_AUTH',
  'MALFORMED_OPERATION',
  'CANCELLED',
  'UNAUTHENTICATED',
  'FORBIDDEN',
  'QUERY_TOO_COMPLEX',
  'PAYLOAD_TOO_LARGE',
  'RATE_LIMITED',
  'UNAVAILABLE',
  'INTERNAL_SERVER_ERROR',
] as const;
export type PublicErrorCode = (typeof PUBLIC_ERROR_CODES)[number];

/** Why an operation failed (or is retrying), as stored on the operation and shown to clients. Never secrets. */
export interface OperationErrorInfo {
  code: PublicErrorCode;
  message: string;
  field?: string | null;
  platformStatus?: number | null;
  platformCode?: string | null;
  retryable: boolean;
}
