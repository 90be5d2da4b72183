import type { OperationErrorInfo } from '../domain/operation-error.js';
import { AppError } from '../errors/app-errors.js';
import { isDatabaseUnavailable } from '../errors/database-unavailable.js';
import { PlatformError } from '../platform/platform-errors.js';
import { PlatformChangedConflict } from './operation-handler.js';

/** Flowgate codes for the Platform client's error kinds. */
const PLATFORM_CODES: Record<string, string> = {
  PLATFORM_REJECTED: 'PLATFORM_REJECTED',
  PLATFORM_ETAG_CONFLICT: 'CONFLICT',
  PLATFORM_NOT_FOUND: 'NOT_FOUND',
  PLATFORM_UNAVAILABLE: 'PLATFORM_UNAVAILABLE',
  PLATFORM_NETWORK: 'PLATFORM_UNAVAILABLE',
  PLATFORM_AUTH: 'PLATFORM_AUTH',
  PLATFORM_PROTOCOL: 'PLATFORM_UNAVAILABLE',
  IMS_AUTH: 'PLATFORM_AUTH',
};

/**
 * What an operation records about an error: Flowgate code, safe message, the field and the
 * Platform's status and code when there are any, and whether it may succeed on retry.
 * Unknown errors become INTERNAL_SERVER_ERROR with a generic message (the detail goes to the log).
 */
export function toOperationErrorInfo(error: unknown): OperationErrorInfo {
  if (error instanceof PlatformChangedConflict) {
    return { code: 'CONFLICT', message: error.message, retryable: false, platformStatus: 412, platformCode: '1404-412', field: 'expectedEtag' };
  }
  if (error instanceof PlatformError) {
    return {
      code: PLATFORM_CODES[error.code] ?? 'PLATFORM_REJECTED',
      message: error.message,
      field: error.field ?? null,
      platformStatus: error.status ?? null,
      platformCode: error.platformCode ?? null,
      retryable: error.retryable,
    };
  }
  if (error instanceof AppError) {
    const details = error.details();
    return { code: error.code, message: error.message, field: typeof details.field === 'string' ? details.field : null, retryable: error.retryable };
  }
  if (isDatabaseUnavailable(error)) return { code: 'UNAVAILABLE', message: 'The database was unreachable; the operation will be retried.', retryable: true };
  return { code: 'INTERNAL_SERVER_ERROR', message: 'An internal error occurred; the operation will be retried.', retryable: true };
}
