import type { GraphQLFormattedError } from 'graphql';
import { GraphQLError } from 'graphql';
import { AppError } from '../errors/app-errors.js';
import type { Logger } from '../logging/logger.js';
import { PlatformError } from '../platform/platform-errors.js';
import { maskInputEcho } from './mask-input-echo.js';

/** GraphQL's own codes (parse/validation errors) pass through as they are. */
const PASS_THROUGH = new Set(['GRAPHQL_PARSE_FAILED', 'GRAPHQL_VALIDATION_FAILED', 'BAD_USER_INPUT', 'BAD_REQUEST', 'PERSISTED_QUERY_NOT_FOUND', 'PERSISTED_QUERY_NOT_SUPPORTED', 'OPERATION_RESOLUTION_FAILURE']);

/**
 * Maps errors to what clients see: typed application errors keep their code and details
 * (field, current etag, Platform code); anything else is logged with the request id and shown
 * as INTERNAL_SERVER_ERROR — never a stack, a SQL message or a Platform body.
 */
export function createFormatError(logger: Logger) {
  return (formatted: GraphQLFormattedError, error: unknown): GraphQLFormattedError => {
    const original = error instanceof GraphQLError ? (error.originalError ?? error) : error;
    if (original instanceof AppError) {
      return { message: original.message, path: formatted.path, locations: formatted.locations, extensions: { code: original.code, ...original.details() } };
    }
    if (original instanceof PlatformError) {
      const code = original.retryable ? 'PLATFORM_UNAVAILABLE' : original.code === 'PLATFORM_NOT_FOUND' ? 'NOT_FOUND' : 'PLATFORM_REJECTED';
      return {
        message: original.message,
        path: formatted.path,
        locations: formatted.locations,
        extensions: { code, platformStatus: original.status ?? null, platformCode: original.platformCode ?? null, retryable: original.retryable },
      };
    }
    const code = formatted.extensions?.code;
    if (typeof code === 'string' && PASS_THROUGH.has(code)) {
      return { message: maskInputEcho(formatted.message, error), path: formatted.path, locations: formatted.locations, extensions: { code } };
    }
    if (original instanceof GraphQLError && !original.originalError) {
      // Errors graphql-js raised itself (e.g. variable coercion): safe to show.
      return { message: maskInputEcho(formatted.message, error), path: formatted.path, locations: formatted.locations, extensions: { code: typeof code === 'string' ? code : 'BAD_USER_INPUT' } };
    }
    logger.error({ err: original, path: formatted.path }, 'unexpected error in a resolver');
    return { message: 'Internal server error', path: formatted.path, locations: formatted.locations, extensions: { code: 'INTERNAL_SERVER_ERROR' } };
  };
}
