import type { OperationErrorInfo, PublicErrorCode } from '../domain/operation-error.js';
import { PlatformError, type PlatformErrorCode } from '../platform/platform-errors.js';
import { AppError } from './app-errors.js';
import { isDatabaseUnavailable } from './database-unavailable.js';

/**
 * The one mapping from an error to what clients see: the GraphQL error's `extensions` (via
 * `formatError`) and the error an operation or onboarding step records (via the worker) use it
 * both, so a Platform 412 or a refused credential reads the same wherever it surfaces.
 */

/** Final Platform errors by kind; every retryable one is PLATFORM_UNAVAILABLE. */
const FINAL_PLATFORM_CODES: Record<PlatformErrorCode, PublicErrorCode> = {
  PLATFORM_REJECTED: 'PLATFORM_REJECTED',
  PLATFORM_ETAG_CONFLICT: 'CONFLICT',
  PLATFORM_NOT_FOUND: 'NOT_FOUND',
  PLATFORM_UNAVAILABLE: 'PLATFORM_UNAVAILABLE',
  PLATFORM_NETWORK: 'PLATFORM_UNAVAILABLE',
  PLATFORM_AUTH: 'PLATFORM_AUTH',
  // A 2xx answer the client cannot read: the Platform (or the client) changed; nothing the caller can fix.
  PLATFORM_PROTOCOL: 'PLATFORM_UNAVAILABLE',
  IMS_AUTH: 'PLATFORM_AUTH',
};

/** The public code of a Platform client error. */
export function platformErrorCode(error: PlatformError): PublicErrorCode {
  return error.retryable ? 'PLATFORM_UNAVAILABLE' : FINAL_PLATFORM_CODES[error.code];
}

/**
 * What a known error means to a client: code, safe message, the field and the Platform's status
 * and code when there are any, and whether trying again may succeed. Null for an error Flowgate
 * did not expect (the caller logs it and shows INTERNAL_SERVER_ERROR).
 */
export function publicErrorOf(error: unknown): OperationErrorInfo | null {
  if (error instanceof PlatformError) {
    return {
      code: platformErrorCode(error),
      message: error.message,
      field: error.field ?? null,
      platformStatus: error.status ?? null,
      platformCode: error.platformCode ?? null,
      retryable: error.retryable,
    };
  }
  if (error instanceof AppError) {
    const details = error.details();
    return {
      code: error.code,
      message: error.message,
      field: typeof details.field === 'string' ? details.field : null,
      platformStatus: typeof details.platformStatus === 'number' ? details.platformStatus : null,
      platformCode: typeof details.platformCode === 'string' ? details.platformCode : null,
      retryable: error.retryable,
    };
  }
  if (isDatabaseUnavailable(error)) return { code: 'UNAVAILABLE', message: 'The database was unreachable; try again shortly.', retryable: true };
  return null;
}
