import { redactSecrets } from './secret-redaction.js';

/**
 * Errors of the Platform client. Every one has a literal `code` and says whether trying again
 * may succeed (`retryable`), decided here, where the HTTP answer is known: 429/5xx/network are
 * retryable, other 4xx are final. Messages hold a short, scrubbed Platform detail — never a
 * token, a client secret or a Stripe key — so they are safe to log and to store as a job's
 * failure reason.
 */

export type PlatformErrorCode =
  'PLATFORM_REJECTED' | 'PLATFORM_ETAG_CONFLICT' | 'PLATFORM_NOT_FOUND' | 'PLATFORM_UNAVAILABLE' | 'PLATFORM_NETWORK' | 'PLATFORM_AUTH' | 'PLATFORM_PROTOCOL' | 'IMS_AUTH';

/** Which call failed. `path` has no query string (queries may carry names; never needed to debug). */
export interface PlatformCallInfo {
  method: string;
  path: string;
  /** The `x-request-id` sent with every attempt of the call. */
  requestId: string;
}

/** What an error body said, in the fields every Platform error shape reduces to. */
export interface ParsedPlatformError {
  /**
   * The Platform's own code: `1404-412` for Flow Service (`FLOW-` dropped), `XDM-1521-400`,
   * `CAT-1001-400`, `MAPPER-1015-400` for other services (prefix kept, the numbers overlap),
   * `403010` for gateway errors.
   */
  platformCode?: string;
  title?: string;
  /** The human detail, unscrubbed: run it through `redactSecrets` before showing it. */
  detail?: string;
  /** The offending input field, when the body names one. */
  field?: string;
  /** Flow Service 412: the entity's current etag, when the body names it. */
  currentEtag?: string;
  /** True for the Adobe I/O gateway's `{error_code, message}` shape (auth and header checks). */
  fromGateway: boolean;
}

const TYPE_CODE = /\/errors\/([A-Z][A-Z0-9]*)-(\d+-\d{3})\s*$/;
const ENTITY_ETAG = /current version on entity=\[\s*(.+?)\s*\]\s*$/;

/**
 * Reduces any Platform error body to `ParsedPlatformError`: the gateway's `{error_code, message}`,
 * Flow Service's `type/title/report/errorMessage`, the registry's `type/title/detail/report`, and
 * the `/placeholder/type/uri` body. Unknown shapes give an empty result, never a throw.
 */
export function parsePlatformErrorBody(body: unknown): ParsedPlatformError {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    return { fromGateway: false, detail: typeof body === 'string' && body.trim() !== '' ? body : undefined };
  }
  const b = body as Record<string, unknown>;
  const str = (value: unknown): string | undefined => (typeof value === 'string' && value.trim() !== '' ? value : undefined);
  if (str(b.error_code) !== undefined || (typeof b.error_code === 'number' && Number.isFinite(b.error_code))) {
    return { fromGateway: true, platformCode: String(b.error_code), detail: str(b.message) };
  }
  let platformCode: string | undefined;
  const type = str(b.type);
  const match = type ? TYPE_CODE.exec(type) : null;
  if (match) platformCode = match[1] === 'FLOW' ? match[2] : `${match[1]}-${match[2]}`;
  const report = typeof b.report === 'object' && b.report !== null ? (b.report as Record<string, unknown>) : {};
  const errorMessage = str(b.errorMessage);
  const currentEtag = str(b.currentEtag) ?? (errorMessage ? ENTITY_ETAG.exec(errorMessage)?.[1] : undefined);
  return {
    fromGateway: false,
    platformCode,
    title: str(b.title),
    detail: str(b.detail) ?? str(report['detailed-message']) ?? errorMessage ?? str(b.message) ?? str(b.title),
    field: str(b.field),
    currentEtag,
  };
}

interface PlatformErrorInit {
  call?: PlatformCallInfo;
  status?: number;
  parsed?: ParsedPlatformError;
  /** Exact values to scrub from the message besides the secret-looking patterns. */
  knownSecrets?: readonly string[];
}

/**
 * Base of every Platform client error. `retryable` is decided by the subclass from what the
 * Platform answered; `details()` gives the structured fields a UI or a log needs.
 */
export abstract class PlatformError extends Error {
  abstract readonly code: PlatformErrorCode;
  /** Whether doing the same call again may succeed. */
  readonly retryable: boolean;
  /** HTTP status of the last answer, if there was one. */
  readonly status: number | undefined;
  /** The Platform's own error code (see `ParsedPlatformError.platformCode`). */
  readonly platformCode: string | undefined;
  /** The Platform's title for the error, e.g. `Version not matching`. */
  readonly title: string | undefined;
  /** The input field the Platform named, if any. */
  readonly field: string | undefined;
  readonly method: string | undefined;
  readonly path: string | undefined;
  readonly requestId: string | undefined;

  protected constructor(summary: string, retryable: boolean, init: PlatformErrorInit = {}) {
    const detail = init.parsed?.detail ? redactSecrets(init.parsed.detail, init.knownSecrets) : undefined;
    const where = init.call ? `${init.call.method} ${init.call.path}` : undefined;
    const code = init.parsed?.platformCode;
    const head = [where, init.status !== undefined ? String(init.status) : undefined, code].filter(Boolean).join(' ');
    super(redactSecrets(`${head ? `${head}: ` : ''}${summary}${detail ? ` — ${detail}` : ''}`, init.knownSecrets, 600));
    this.retryable = retryable;
    this.status = init.status;
    this.platformCode = code;
    this.title = init.parsed?.title;
    this.field = init.parsed?.field;
    this.method = init.call?.method;
    this.path = init.call?.path;
    this.requestId = init.call?.requestId;
  }

  /** Structured, secret-free details (what `formatError` may show and loggers should record). */
  details(): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    for (const [key, value] of Object.entries({
      status: this.status,
      platformCode: this.platformCode,
      title: this.title,
      field: this.field,
      method: this.method,
      path: this.path,
      requestId: this.requestId,
    })) {
      if (value !== undefined) out[key] = value;
    }
    return out;
  }

  /** What `JSON.stringify` (and so a log line or a BullMQ failure record) shows. */
  toJSON(): Record<string, unknown> {
    return { name: this.name, code: this.code, retryable: this.retryable, message: this.message, ...this.details() };
  }
}

/**
 * The Platform refused the request (4xx other than 401, 404, 412 and 429): bad input, a rule the
 * request breaks, a resource in use. Final: the same request will fail again.
 */
export class PlatformRejectedError extends PlatformError {
  readonly code = 'PLATFORM_REJECTED' as const;
  override readonly name = 'PlatformRejectedError';
  constructor(init: PlatformErrorInit & { status: number }) {
    super('the Platform rejected the request', false, init);
  }
}

/**
 * 412 (`1404-412`): the `If-Match` etag is not the resource's current one — someone else changed
 * it. Final for this request; re-read the resource and decide. Carries `currentEtag` when the
 * Platform names it.
 */
export class PlatformConflictError extends PlatformError {
  readonly code = 'PLATFORM_ETAG_CONFLICT' as const;
  override readonly name = 'PlatformConflictError';
  readonly currentEtag: string | undefined;
  constructor(init: PlatformErrorInit) {
    super('the etag is stale', false, { status: 412, ...init });
    this.currentEtag = init.parsed?.currentEtag;
  }
  override details(): Record<string, unknown> {
    return { ...super.details(), ...(this.currentEtag !== undefined ? { currentEtag: this.currentEtag } : {}) };
  }
}

/** 404: the resource does not exist in this org and sandbox (or was deleted). Final. */
export class PlatformNotFoundError extends PlatformError {
  readonly code = 'PLATFORM_NOT_FOUND' as const;
  override readonly name = 'PlatformNotFoundError';
  constructor(init: PlatformErrorInit) {
    super('the resource was not found', false, { status: 404, ...init });
  }
}

/**
 * 429 or 5xx, after the client's own retries (or when it must not retry). Retryable: the job may
 * try again later, after `retryAfterMs` when the Platform said so. When `mayHaveCommitted` is
 * true (a 500/502/504 answer to a POST, PATCH, PUT or DELETE) the write may have happened: look
 * the resource up before doing it again.
 */
export class PlatformUnavailableError extends PlatformError {
  readonly code = 'PLATFORM_UNAVAILABLE' as const;
  override readonly name = 'PlatformUnavailableError';
  readonly retryAfterMs: number | undefined;
  readonly mayHaveCommitted: boolean;
  /** How many attempts were made. */
  readonly attempts: number;
  constructor(init: PlatformErrorInit & { status: number; retryAfterMs?: number; mayHaveCommitted: boolean; attempts: number }) {
    super(`the Platform is unavailable (after ${init.attempts} attempt${init.attempts === 1 ? '' : 's'})`, true, init);
    this.retryAfterMs = init.retryAfterMs;
    this.mayHaveCommitted = init.mayHaveCommitted;
    this.attempts = init.attempts;
  }
  override details(): Record<string, unknown> {
    return { ...super.details(), retryAfterMs: this.retryAfterMs, mayHaveCommitted: this.mayHaveCommitted, attempts: this.attempts };
  }
}

/** How a call failed without an HTTP answer. */
export type NetworkFailure =
  /** The connection could not be opened: nothing was sent. */
  | 'connect'
  /** The connection broke (reset, closed) after the request may have been sent. */
  | 'reset'
  /** No complete answer within the per-attempt timeout. */
  | 'timeout';

/**
 * No HTTP answer: connection refused, reset or closed, or a timeout. Retryable. GETs have already
 * been retried; a POST, PATCH, PUT or DELETE is not retried by the client, because the write may
 * have happened (`mayHaveCommitted: true`): the caller looks the resource up (by its
 * deterministic name, see `platformName`) before creating it again.
 */
export class PlatformNetworkError extends PlatformError {
  readonly code = 'PLATFORM_NETWORK' as const;
  override readonly name = 'PlatformNetworkError';
  readonly mayHaveCommitted: boolean;
  readonly failure: NetworkFailure;
  /** The network library's error code (`ECONNRESET`, `UND_ERR_SOCKET`…), for logs. */
  readonly networkCode: string | undefined;
  readonly attempts: number;
  constructor(init: { call: PlatformCallInfo; failure: NetworkFailure; networkCode?: string; mayHaveCommitted: boolean; attempts: number }) {
    const what = init.failure === 'connect' ? 'could not connect' : init.failure === 'timeout' ? 'timed out' : 'the connection was lost';
    super(`${what}${init.networkCode ? ` (${init.networkCode})` : ''}${init.mayHaveCommitted ? '; the write may have happened' : ''}`, true, { call: init.call });
    this.mayHaveCommitted = init.mayHaveCommitted;
    this.failure = init.failure;
    this.networkCode = init.networkCode;
    this.attempts = init.attempts;
  }
  override details(): Record<string, unknown> {
    return { ...super.details(), failure: this.failure, networkCode: this.networkCode, mayHaveCommitted: this.mayHaveCommitted, attempts: this.attempts };
  }
}

/**
 * The Platform refused our identity: a 401 that persists after one token refresh, or a gateway
 * 403 (`403000` API key missing, `403003` API key invalid, `403025` not entitled to the org,
 * `403027` org header wrong or no AEP product profile). Final: fix the credentials or the
 * Developer Console project.
 */
export class PlatformAuthError extends PlatformError {
  readonly code = 'PLATFORM_AUTH' as const;
  override readonly name = 'PlatformAuthError';
  constructor(init: PlatformErrorInit & { status: number }) {
    super('the Platform refused the credentials', false, init);
  }
}

/**
 * A 2xx answer the client cannot read (not JSON, or not the documented shape). Final: retrying
 * will read the same shape; the client or the Platform changed.
 */
export class PlatformProtocolError extends PlatformError {
  readonly code = 'PLATFORM_PROTOCOL' as const;
  override readonly name = 'PlatformProtocolError';
  constructor(init: { call?: PlatformCallInfo; status?: number; problem: string }) {
    super(`unexpected answer: ${init.problem}`, false, init);
  }
}

/**
 * Adobe IMS did not issue an access token. `imsError` is IMS's `error` (e.g. `invalid_client`).
 * Final for 400/401 (wrong client id or secret, bad scope); retryable for 5xx, 429 and network
 * failures.
 */
export class ImsAuthError extends PlatformError {
  readonly code = 'IMS_AUTH' as const;
  override readonly name = 'ImsAuthError';
  readonly imsError: string | undefined;
  constructor(init: { status?: number; imsError?: string; description?: string; retryable: boolean; problem?: string; knownSecrets?: readonly string[] }) {
    super(init.problem ?? 'IMS did not issue an access token', init.retryable, {
      status: init.status,
      knownSecrets: init.knownSecrets,
      parsed: { fromGateway: false, platformCode: init.imsError, detail: init.description },
    });
    this.imsError = init.imsError;
  }
  override details(): Record<string, unknown> {
    return { ...super.details(), imsError: this.imsError };
  }
}
