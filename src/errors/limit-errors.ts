import { AppError } from './app-errors.js';

/** The names a QUERY_TOO_COMPLEX error gives for the limit it hit: the environment variable that sets it. */
export type QueryLimitName = 'GRAPHQL_MAX_DEPTH' | 'GRAPHQL_MAX_ALIASES' | 'GRAPHQL_MAX_COST' | 'GRAPHQL_MAX_TOKENS' | 'GRAPHQL_MAX_BATCH' | 'GRAPHQL_MAX_REQUEST_BYTES';

/** The limit names a RATE_LIMITED error gives. */
export type RateLimitName = 'RATE_LIMIT_MUTATIONS_PER_MINUTE' | 'RATE_LIMIT_EXPLORE_PER_MINUTE';

/**
 * HTTP status and headers Apollo Server takes from a thrown error's `extensions.http` (and
 * removes before the error reaches clients). Errors that refuse a whole request carry it.
 */
interface HttpHead {
  http: { status: number; headers: Map<string, string> };
}

/**
 * A request exceeds one of the GraphQL limits (depth, aliases, cost, tokens, batch size, body
 * size). Thrown before anything executes; final: the same request is refused again.
 */
export class QueryLimitError extends AppError {
  readonly code = 'QUERY_TOO_COMPLEX' as const;
  readonly extensions: HttpHead;
  constructor(
    readonly limit: QueryLimitName,
    readonly max: number,
    /** What the request has, when known (the token count is not: parsing stops at the limit). */
    readonly actual: number | null,
    what: string,
  ) {
    super(`${what} ${actual === null ? 'exceeds' : `is ${actual}, over`} the limit of ${max} (${limit})`, { limit, max, actual });
    this.extensions = { http: { status: 400, headers: new Map() } };
  }
}

/**
 * A caller used up a per-minute allowance (mutations or `explore`). Retryable after
 * `retryAfterSeconds`; refuses the whole request (HTTP 429 with Retry-After).
 */
export class RateLimitedError extends AppError {
  readonly code = 'RATE_LIMITED' as const;
  override readonly retryable = true;
  readonly extensions: HttpHead;
  constructor(
    readonly limit: RateLimitName,
    readonly max: number,
    readonly retryAfterSeconds: number,
  ) {
    super(`Too many requests: ${limit} allows ${max} per minute for this caller; retry after ${retryAfterSeconds} s`, { limit, max, retryAfterSeconds });
    this.extensions = { http: { status: 429, headers: new Map([['retry-after', String(retryAfterSeconds)]]) } };
  }
}
