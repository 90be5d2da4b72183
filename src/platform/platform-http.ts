import { randomUUID } from 'node:crypto';
import { NetworkAttemptError, sendAttempt } from './http-attempt.js';
import { HttpTransport, type HttpTransportOptions } from './http-transport.js';
import type { CallBudget } from './call-budget.js';
import type { AccessTokenSource } from './ims-token-provider.js';
import {
  PlatformAuthError,
  PlatformConflictError,
  PlatformNetworkError,
  PlatformNotFoundError,
  PlatformProtocolError,
  PlatformRejectedError,
  PlatformUnavailableError,
  parsePlatformErrorBody,
  type PlatformCallInfo,
  type PlatformError,
} from './platform-errors.js';
import { backoffDelayMs, parseRetryAfterMs } from './retry-policy.js';
import { platformRouteOf, type PlatformApi } from './route-template.js';
import { abortableSleep } from './sleep.js';

export type { PlatformTimeouts } from './http-attempt.js';
export type { PlatformRetryOptions } from './retry-policy.js';

export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

/** Query parameters; an array repeats the key (`property=a&property=b`), undefined is left out. */
export type QueryParams = Record<string, string | number | boolean | readonly string[] | undefined>;

/** What every Platform call may say about itself. */
export interface PlatformCallOptions {
  /** `x-sandbox-name`; default the client's sandbox. */
  sandbox?: string;
  /** `x-request-id` for correlation (e.g. the operation id); default a new UUID. Sent on every attempt. */
  requestId?: string;
  /** Cancels the call, including waits between retries: it rejects with the signal's reason. */
  signal?: AbortSignal;
  /**
   * Awaited before each attempt takes its place in the call budget and is sent (after its token),
   * e.g. until the record that explains a write is on disk; a rejection fails the call with that
   * error, unsent.
   */
  beforeSend?: () => Promise<void>;
}

/** One Platform request. */
export interface PlatformRequestOptions extends PlatformCallOptions {
  query?: QueryParams;
  /** JSON body; sets `Content-Type: application/json`. */
  body?: unknown;
  accept?: string;
  /** `If-Match`, sent as given (Flow Service etags contain their quotes). */
  ifMatch?: string;
  /**
   * Whether a network failure may be retried, i.e. repeating the request cannot write twice.
   * Default: true for GET, false otherwise.
   */
  idempotent?: boolean;
}

/** A successful (2xx) answer with its parsed JSON body (undefined when empty). */
export interface PlatformResponse<T> {
  status: number;
  body: T;
  headers: Record<string, string | string[] | undefined>;
  requestId: string;
}

/** Options of `PlatformHttp`. */
export interface PlatformHttpOptions extends HttpTransportOptions {
  /** e.g. `https://platform.adobe.io` or the emulator's URL; service paths are appended. */
  platformUrl: string;
  /** The Developer Console client id: sent as `x-api-key`. */
  clientId: string;
  /** `x-gw-ims-org-id`, `…@AdobeOrg`. */
  orgId: string;
  /** Default `x-sandbox-name`. */
  sandbox: string;
  tokens: AccessTokenSource;
  /** Sockets to the Platform host when the client creates its own dispatcher; default 32. */
  connections?: number;
  /** Exact strings to scrub from error messages besides the secret-looking patterns (e.g. the client secret). */
  knownSecrets?: readonly string[];
  /** Jitter source in [0, 1); default `Math.random`. */
  random?: () => number;
  /** The org's shared allowance of calls (waited for before every attempt; a 429's `Retry-After` pauses it); default none. */
  budget?: CallBudget;
}

const SAFE_METHODS: ReadonlySet<string> = new Set(['GET', 'HEAD', 'OPTIONS']);

/**
 * The HTTP core every service client uses: headers, the bearer token, timeouts, retries and the
 * mapping of answers to typed errors.
 *
 * - Sends `Authorization`, `x-api-key`, `x-gw-ims-org-id`, `x-sandbox-name`, `x-request-id`, and
 *   `Content-Type`/`Accept`/`If-Match` when relevant.
 * - Retries 429, 5xx and network failures with full-jitter exponential backoff, honouring
 *   `Retry-After`. Only answers that prove nothing was written (429, 503) and failures to connect
 *   are retried for writes; any other lost answer to a POST/PATCH/PUT/DELETE surfaces as
 *   `mayHaveCommitted: true` for the caller to reconcile.
 * - A 401 invalidates the token and repeats the request once (not counted as a retry).
 */
export class PlatformHttp {
  private readonly origin: string;
  private readonly basePath: string;
  private readonly transport: HttpTransport;
  private readonly random: () => number;
  private readonly knownSecrets: readonly string[];

  constructor(private readonly options: PlatformHttpOptions) {
    const url = new URL(options.platformUrl);
    this.origin = url.origin;
    this.basePath = url.pathname.replace(/\/+$/, '');
    this.transport = new HttpTransport(options, options.connections);
    this.random = options.random ?? Math.random;
    this.knownSecrets = options.knownSecrets ?? [];
  }

  /**
   * Sends a request to `path` (from the host root, e.g. `/data/foundation/flowservice/flows`; it
   * may carry a query string already, as continuation links do) and returns the 2xx answer, or
   * throws a `PlatformError`.
   */
  async request<T = unknown>(method: HttpMethod, path: string, options: PlatformRequestOptions = {}): Promise<PlatformResponse<T>> {
    const requestId = options.requestId ?? randomUUID();
    const idempotent = options.idempotent ?? SAFE_METHODS.has(method);
    const target = `${this.basePath}${path}${buildQuery(options.query, path.includes('?'))}`;
    const call: PlatformCallInfo = { method, path: path.split('?', 1)[0] ?? path, requestId };
    const { api, route } = platformRouteOf(call.path);
    const observed = { api, method, route };
    const body = options.body === undefined ? undefined : JSON.stringify(options.body);
    let attempt = 1;
    let refreshedToken = false;

    const sandbox = options.sandbox ?? this.options.sandbox;
    for (;;) {
      const token = await this.options.tokens.getToken();
      // Before its place in the call budget: a slot is taken only by a call that goes at once
      // (the budget counts a call when it lets it go; one held back after that would reach the
      // Platform later than counted, bunched with the calls after it).
      await options.beforeSend?.();
      await this.options.budget?.acquire(sandbox, options.signal);
      const headers: Record<string, string> = {
        authorization: `Bearer ${token}`,
        'x-api-key': this.options.clientId,
        'x-gw-ims-org-id': this.options.orgId,
        'x-sandbox-name': sandbox,
        'x-request-id': requestId,
      };
      if (body !== undefined) headers['content-type'] = 'application/json';
      if (options.accept !== undefined) headers.accept = options.accept;
      if (options.ifMatch !== undefined) headers['if-match'] = options.ifMatch;

      let status: number;
      let responseHeaders: Record<string, string | string[] | undefined>;
      let text: string;
      const sentAt = performance.now();
      try {
        ({
          status,
          headers: responseHeaders,
          text,
        } = await sendAttempt(this.transport.dispatcher, {
          origin: this.origin,
          path: target,
          method,
          headers,
          body,
          timeoutMs: this.transport.timeouts.requestMs,
          signal: options.signal,
        }));
      } catch (error) {
        if (!(error instanceof NetworkAttemptError)) throw error;
        this.transport.observer.attempt({ ...observed, status: null, seconds: (performance.now() - sentAt) / 1000 });
        // A connection that never opened carried nothing; anything later may have reached the server.
        const mayHaveCommitted = !idempotent && error.failure !== 'connect';
        if (!mayHaveCommitted && attempt < this.transport.retry.maxAttempts) {
          await this.pause(call, observed.api, attempt, undefined, error.networkCode ?? error.failure, options.signal);
          attempt++;
          continue;
        }
        throw new PlatformNetworkError({ call, failure: error.failure, networkCode: error.networkCode, mayHaveCommitted, attempts: attempt });
      }
      this.transport.observer.attempt({ ...observed, status, seconds: (performance.now() - sentAt) / 1000 });

      if (status >= 200 && status < 300) {
        return { status, body: parseBody<T>(text, call, status), headers: responseHeaders, requestId };
      }

      const parsed = parsePlatformErrorBody(parseJsonOrText(text));
      if (status === 401 && !refreshedToken && (parsed.fromGateway || parsed.platformCode === undefined)) {
        // The gateway refused the token (expired, revoked): one fresh token, one more try.
        refreshedToken = true;
        this.options.tokens.invalidate(token);
        this.transport.logger.debug({ requestId, method, path: call.path }, 'Platform refused the access token; refreshing it once');
        continue;
      }
      if (status === 429 || status >= 500) {
        const retryAfterMs = parseRetryAfterMs(responseHeaders['retry-after']);
        // The throttle is the org's: every process holds its calls, not only this one.
        if (status === 429) await this.options.budget?.pause(sandbox, retryAfterMs ?? backoffDelayMs(attempt, this.transport.retry, this.random));
        // 429 and 503 are answered before any work is done; a 500/502/504 to a write proves nothing.
        const nothingWritten = status === 429 || status === 503;
        const mayRetry = idempotent || nothingWritten;
        const waitAllowed = retryAfterMs === undefined || retryAfterMs <= this.transport.retry.maxRetryAfterMs;
        if (mayRetry && waitAllowed && attempt < this.transport.retry.maxAttempts) {
          await this.pause(call, observed.api, attempt, retryAfterMs, status, options.signal);
          attempt++;
          continue;
        }
        throw new PlatformUnavailableError({ call, status, parsed, retryAfterMs, mayHaveCommitted: !mayRetry, attempts: attempt, knownSecrets: this.knownSecrets });
      }
      throw this.finalError(call, status, parsed);
    }
  }

  get<T = unknown>(path: string, options?: PlatformRequestOptions): Promise<PlatformResponse<T>> {
    return this.request<T>('GET', path, options);
  }

  post<T = unknown>(path: string, options?: PlatformRequestOptions): Promise<PlatformResponse<T>> {
    return this.request<T>('POST', path, options);
  }

  put<T = unknown>(path: string, options?: PlatformRequestOptions): Promise<PlatformResponse<T>> {
    return this.request<T>('PUT', path, options);
  }

  patch<T = unknown>(path: string, options?: PlatformRequestOptions): Promise<PlatformResponse<T>> {
    return this.request<T>('PATCH', path, options);
  }

  delete<T = unknown>(path: string, options?: PlatformRequestOptions): Promise<PlatformResponse<T>> {
    return this.request<T>('DELETE', path, options);
  }

  /** Closes the dispatcher if this instance created it (idle keep-alive sockets included). */
  async close(): Promise<void> {
    await this.transport.close();
  }

  private async pause(call: PlatformCallInfo, api: PlatformApi, attempt: number, retryAfterMs: number | undefined, reason: number | string, signal?: AbortSignal): Promise<void> {
    const delayMs = retryAfterMs ?? backoffDelayMs(attempt, this.transport.retry, this.random);
    this.transport.observer.retry({ api, reason: String(reason), delayMs, rateLimited: reason === 429 });
    this.transport.logger.debug({ requestId: call.requestId, method: call.method, path: call.path, attempt, reason, delayMs }, 'Platform call failed; retrying');
    await abortableSleep(delayMs, signal);
  }

  private finalError(call: PlatformCallInfo, status: number, parsed: ReturnType<typeof parsePlatformErrorBody>): PlatformError {
    const init = { call, status, parsed, knownSecrets: this.knownSecrets };
    if (status === 401 || (status === 403 && parsed.fromGateway)) return new PlatformAuthError(init);
    if (status === 404) return new PlatformNotFoundError(init);
    if (status === 412) return new PlatformConflictError(init);
    return new PlatformRejectedError(init);
  }
}

/** `?a=1&b=x&b=y`, percent-encoded with `encodeURIComponent` (a space is `%20`, never `+`). */
export function buildQuery(query: QueryParams | undefined, hasQueryAlready = false): string {
  if (!query) return '';
  const parts: string[] = [];
  for (const [key, value] of Object.entries(query)) {
    if (value === undefined) continue;
    const values = Array.isArray(value) ? value : [value];
    for (const v of values) parts.push(`${encodeURIComponent(key)}=${encodeURIComponent(String(v))}`);
  }
  if (parts.length === 0) return '';
  return `${hasQueryAlready ? '&' : '?'}${parts.join('&')}`;
}

function parseJsonOrText(text: string): unknown {
  if (text.trim() === '') return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

function parseBody<T>(text: string, call: PlatformCallInfo, status: number): T {
  if (text.trim() === '') return undefined as T;
  try {
    return JSON.parse(text) as T;
  } catch {
    throw new PlatformProtocolError({ call, status, problem: 'the body is not JSON' });
  }
}
