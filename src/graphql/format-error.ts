import { AsyncLocalStorage } from 'node:async_hooks';
import type { GraphQLFormattedError } from 'graphql';
import { GraphQLError } from 'graphql';
import { inputPathAt } from './input-path.js';
import { AppError, ServiceUnavailableError } from '../errors/app-errors.js';
import { isDatabaseUnavailable } from '../errors/database-unavailable.js';
import { publicErrorOf } from '../errors/public-errors.js';
import type { Logger } from '../logging/logger.js';
import { activeTraceId } from '../observability/tracing.js';
import { PlatformError } from '../platform/platform-errors.js';
import { tokenLimitError } from './query-limits.js';

/** GraphQL's own codes (parse/validation errors) pass through as they are. */
const PASS_THROUGH = new Set([
  'GRAPHQL_PARSE_FAILED',
  'GRAPHQL_VALIDATION_FAILED',
  'BAD_USER_INPUT',
  'BAD_REQUEST',
  'PERSISTED_QUERY_NOT_FOUND',
  'PERSISTED_QUERY_NOT_SUPPORTED',
  'OPERATION_RESOLUTION_FAILURE',
]);

/**
 * The request id of the HTTP request being served, so that an unexpected error's log line and
 * the error the client sees carry the same id. Set by the gateway's request-id middleware.
 */
export const requestScope = new AsyncLocalStorage<{ requestId: string }>();

export interface FormatErrorOptions {
  /** Remove graphql-js's "Did you mean …?" hints (they reveal the schema when introspection is off). */
  hideSuggestions?: boolean;
}

/**
 * Maps errors to what clients see: typed application errors keep their code and details
 * (field, current etag, Platform code); an unreachable database is UNAVAILABLE (retryable, with
 * the request id; the gateway answers it 503 with Retry-After); anything else is logged with the
 * request id and shown as INTERNAL_SERVER_ERROR — never a stack, a SQL message or a Platform
 * body. graphql-js's own messages are kept, minus any submitted value they would echo (a
 * mistyped token stays secret).
 */
export function createFormatError(logger: Logger, options: FormatErrorOptions = {}) {
  const clean = (message: string) => (options.hideSuggestions ? withoutSuggestions(message) : message);
  return (formatted: GraphQLFormattedError, error: unknown): GraphQLFormattedError => {
    let original = error instanceof GraphQLError ? (error.originalError ?? error) : error;
    if (!(original instanceof AppError) && isDatabaseUnavailable(original)) {
      logger.warn({ err: (original as Error).message, path: formatted.path, requestId: requestScope.getStore()?.requestId }, 'the database is unreachable; answering UNAVAILABLE');
      original = new ServiceUnavailableError();
    }
    if (original instanceof AppError) {
      // A client quotes the request id when it reports an outage; other codes explain themselves.
      const requestId = original instanceof ServiceUnavailableError ? requestScope.getStore()?.requestId : undefined;
      return {
        message: original.message,
        path: formatted.path,
        locations: formatted.locations,
        extensions: { code: original.code, ...original.details(), ...(requestId ? { requestId, ...traceIdField() } : {}) },
      };
    }
    if (original instanceof PlatformError) {
      // The same code an operation records for this Platform answer (errors/public-errors.ts).
      const info = publicErrorOf(original)!;
      return {
        message: info.message,
        path: formatted.path,
        locations: formatted.locations,
        extensions: { code: info.code, platformStatus: info.platformStatus, platformCode: info.platformCode, retryable: info.retryable },
      };
    }
    const tokens = tokenLimitError(formatted.message);
    if (tokens) return { message: tokens.message, extensions: { code: tokens.code, ...tokens.details() } };
    const code = formatted.extensions?.code;
    const unknownEnum = code === 'GRAPHQL_VALIDATION_FAILED' && error instanceof GraphQLError ? unknownEnumValue(error) : null;
    if (unknownEnum) {
      const hint = options.hideSuggestions ? '' : (/ Did you mean [\s\S]*\?$/.exec(formatted.message)?.[0] ?? '');
      return {
        message: `${unknownEnum.field}: not a value of the ${unknownEnum.enumName} enum.${hint}`,
        path: formatted.path,
        locations: formatted.locations,
        extensions: { code: 'BAD_USER_INPUT', field: unknownEnum.field },
      };
    }
    if (typeof code === 'string' && PASS_THROUGH.has(code)) {
      return { message: clean(redactValues(formatted.message)), path: formatted.path, locations: formatted.locations, extensions: { code, ...fieldOf(formatted.message) } };
    }
    if (original instanceof GraphQLError && !original.originalError && code === 'INTERNAL_SERVER_ERROR' && isClientStatus(original.extensions?.http)) {
      // Apollo refused the request itself (e.g. a persisted query whose hash does not match) without a code.
      return { message: formatted.message, extensions: { code: 'BAD_REQUEST' } };
    }
    if (original instanceof GraphQLError && !original.originalError) {
      // Errors graphql-js raised itself (e.g. variable coercion): safe to show once values are removed.
      return {
        message: clean(redactValues(formatted.message)),
        path: formatted.path,
        locations: formatted.locations,
        extensions: { code: typeof code === 'string' ? code : 'BAD_USER_INPUT', ...fieldOf(formatted.message) },
      };
    }
    const requestId = requestScope.getStore()?.requestId;
    logger.error({ err: original, path: formatted.path, requestId }, 'unexpected error in a resolver');
    return {
      message: 'Internal server error',
      path: formatted.path,
      locations: formatted.locations,
      extensions: { code: 'INTERNAL_SERVER_ERROR', ...(requestId ? { requestId } : {}), ...traceIdField() },
    };
  };
}

/** `{ traceId }` when the request is traced (beside the request id, so an operator finds the trace from a client's report). */
function traceIdField(): { traceId?: string } {
  const traceId = activeTraceId();
  return traceId ? { traceId } : {};
}

/** graphql-js's validation messages for a literal that is not a value of the enum the argument expects. */
const UNKNOWN_ENUM = /(?:does not exist in "(\w+)" enum|Enum "(\w+)" cannot represent non-enum value)/;

/**
 * For a literal enum argument that names no value of its enum (`filter: { action: "updated" }`):
 * the enum and the argument path (`filter.action`), so the client gets BAD_USER_INPUT naming the
 * field, as it does when the same value comes in a variable.
 */
function unknownEnumValue(error: GraphQLError): { field: string; enumName: string } | null {
  const match = UNKNOWN_ENUM.exec(error.message);
  const position = error.positions?.[0];
  if (!match || !error.source || position === undefined) return null;
  const field = inputPathAt(error.source.body, position);
  return field ? { field, enumName: (match[1] ?? match[2])! } : null;
}

function isClientStatus(http: unknown): boolean {
  const status = (http as { status?: unknown } | undefined)?.status;
  return typeof status === 'number' && status >= 400 && status < 500;
}

/** graphql-js: `Variable "$input" got invalid value <value> at "input.accessToken"; <reason>`. */
const VARIABLE_VALUE = /^Variable "\$([_A-Za-z][_0-9A-Za-z]*)" got invalid value ([\s\S]*)$/;

/** `field` for errors about one variable (its path, e.g. `input.accessToken`). */
function fieldOf(message: string): { field?: string } {
  const variable = /^Variable "\$([_A-Za-z][_0-9A-Za-z]*)"/.exec(message);
  if (!variable) return {};
  const at = VARIABLE_VALUE.test(message) ? atPath(message, variable[1]!) : null;
  return { field: at ?? variable[1]! };
}

/** The ` at "<var>.<path>"` part of a coercion message (searched from the end: the value before it may contain anything). */
function atPath(message: string, variable: string): string | null {
  const marker = ` at "${variable}`;
  const start = message.lastIndexOf(marker);
  if (start < 0) return null;
  const end = message.indexOf('"; ', start + marker.length);
  if (end < 0) return null;
  return message.slice(start + 5, end);
}

/**
 * Removes submitted values from graphql-js's messages. Coercion and validation messages quote
 * what the client sent (`got invalid value "sk_live_…"`, `found "…"`, `cannot represent …: …`),
 * which may be a secret in the wrong place; the type, field and path are kept.
 */
export function redactValues(message: string): string {
  const variable = VARIABLE_VALUE.exec(message);
  if (variable) {
    const name = variable[1]!;
    const path = atPath(message, name);
    // Without a path the reason follows the last "; " (the value before it may hold one too).
    const reasonStart = path !== null ? message.lastIndexOf(`${path}"; `) + path.length + 3 : message.lastIndexOf('; ') + 2;
    const reason = reasonStart > 2 ? message.slice(reasonStart) : '';
    const safe = safeReason(reason);
    return `Variable "$${name}" got an invalid value${path !== null ? ` at "${path}"` : ''}; ${KNOWN_SAFE_REASONS.some((r) => r.test(safe)) ? safe : 'Invalid value.'}`;
  }
  if (/^Syntax Error: /.test(message)) return message.replace(/^(Syntax Error: Unexpected [\w ]*?)\s*".*"(\.?)$/s, '$1$2').replace(/^(Syntax Error: Invalid character: ).*$/s, '$1not allowed here.');
  return safeReason(message);
}

/** Coercion reasons that hold no submitted value once safeReason ran; any other (a custom scalar's message) is replaced. */
const KNOWN_SAFE_REASONS = [
  /^Expected type "[^"]+"\.( \w+ cannot represent this value\.)?$/,
  /^\w+ cannot represent this value\.$/,
  /^The value does not exist in "[^"]+" enum\.( Did you mean [^"]*("[A-Z0-9_]+"[^"]*)*\?)?$/,
  /^Field "\w+" of required type "[^"]+" was not provided\.$/,
  /^Expected non-nullable type "[^"]+" not to be null\.$/,
  /^An input field is not defined by type "[^"]+"\.$/,
  /^Expected type "[^"]+" to be an object\.$/,
];

/** A reason without the value it would echo. */
function safeReason(reason: string): string {
  return (
    reason
      .replace(/^(Expected value of type "[^"]+"), found [\s\S]*?(; [\s\S]*)?$/, (_m, head: string, rest?: string) => `${head}${rest ? safeReason(rest) : '.'}`)
      .replace(/\b(\w+ cannot represent) [\s\S]*$/, '$1 this value.')
      .replace(/Value [\s\S]* does not exist in "([^"]+)" enum\./, 'The value does not exist in "$1" enum.')
      .replace(/^(Expected type "[^"]+")\. (?![A-Z]\w* cannot represent)[\s\S]*$/, '$1.')
      // The unknown key is the client's text (it may be a value pasted in the wrong place).
      .replace(/^Field "[\s\S]*" is not defined by type ("[^"]+")\.[\s\S]*$/, 'An input field is not defined by type $1.')
  );
}

function withoutSuggestions(message: string): string {
  return message.replace(/ ?Did you mean [\s\S]*\?$/, '');
}
