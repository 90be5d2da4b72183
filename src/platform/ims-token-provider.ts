import { NetworkAttemptError, sendAttempt } from './http-attempt.js';
import { HttpTransport, type HttpTransportOptions } from './http-transport.js';
import { ImsAuthError } from './platform-errors.js';
import { backoffDelayMs, parseRetryAfterMs } from './retry-policy.js';
import { abortableSleep } from './sleep.js';

/** The scope Adobe documents for Platform API access with OAuth server-to-server credentials. */
export const DEFAULT_IMS_SCOPE = 'openid,AdobeID,read_organizations,additional_info.projectedProductContext,session';

/** Where the HTTP core gets its bearer token, and how it reports one the Platform refused. */
export interface AccessTokenSource {
  /** A token that is valid now (cached, or freshly issued). */
  getToken(): Promise<string>;
  /** The Platform answered 401 for `token`: forget it, so the next `getToken` fetches a new one. */
  invalidate(token: string): void;
}

/** Options of `ImsTokenProvider`; the transport's observer also hears of each token request. */
export interface ImsTokenProviderOptions extends HttpTransportOptions {
  /** IMS base URL, e.g. `https://ims-na1.adobelogin.com` (or the emulator's URL). */
  imsUrl: string;
  clientId: string;
  clientSecret: string;
  /** Comma-separated scopes; default `DEFAULT_IMS_SCOPE`. */
  scope?: string;
  /** Clock for expiry, epoch ms; default `Date.now`. */
  now?: () => number;
}

interface CachedToken {
  token: string;
  /** From here on a caller triggers a refresh. */
  refreshAtMs: number;
  expiresAtMs: number;
}

/** Refresh once less than this share of a token's lifetime remains… */
const REFRESH_SHARE = 0.1;
/** …or less than this, whichever is more. */
const MIN_REFRESH_MARGIN_MS = 60_000;

/**
 * Adobe IMS OAuth server-to-server tokens (`POST {imsUrl}/ims/token/v3`, client credentials).
 *
 * The token is cached and refreshed before it expires (when less than max(60 s, 10 % of its
 * lifetime) remains), in the background while the old one still serves calls. Concurrent callers
 * share one token request. `invalidate(token)` drops a
 * token the Platform refused, so a 401 costs exactly one refresh. The client secret and tokens
 * never appear in errors or logs.
 */
export class ImsTokenProvider implements AccessTokenSource {
  private readonly tokenUrl: URL;
  private readonly transport: HttpTransport;
  private readonly now: () => number;
  private cached: CachedToken | null = null;
  private inflight: Promise<CachedToken> | null = null;

  constructor(private readonly options: ImsTokenProviderOptions) {
    this.tokenUrl = new URL('/ims/token/v3', options.imsUrl);
    this.transport = new HttpTransport(options, 4);
    this.now = options.now ?? Date.now;
  }

  /**
   * A valid access token. With none cached (or the cached one expired) this waits for IMS. Once
   * the cached token is due for refresh but still valid, it is returned at once and the refresh runs
   * beside the call: a slow or hanging IMS must not hold up Platform calls the old token still serves.
   */
  async getToken(): Promise<string> {
    const cached = this.cached;
    if (cached && this.now() < cached.refreshAtMs) return cached.token;
    const refresh = this.shared();
    if (cached && this.now() < cached.expiresAtMs) {
      // A failed early refresh is already counted and logged by the transport; the next call past refreshAt tries again.
      refresh.catch(() => undefined);
      return cached.token;
    }
    return (await refresh).token;
  }

  /** Asks IMS for a new token now (or joins the request in flight); resolves with it once it is cached. */
  async refresh(): Promise<string> {
    return (await this.shared()).token;
  }

  /** The token request in flight, or a new one: concurrent callers share it. */
  private shared(): Promise<CachedToken> {
    if (!this.inflight) {
      this.inflight = this.issue()
        .then(
          (issued) => {
            this.transport.observer.tokenRequest('issued');
            return issued;
          },
          (error: unknown) => {
            this.transport.observer.tokenRequest('failed');
            throw error;
          },
        )
        .finally(() => {
          this.inflight = null;
        });
    }
    return this.inflight;
  }

  /**
   * Whether a token that has not expired is cached (IMS is not asked). Such a token serves
   * Platform calls even while IMS is down: a refresh that fails keeps it until it expires.
   */
  hasValidToken(): boolean {
    return this.cached !== null && this.now() < this.cached.expiresAtMs;
  }

  /** Forgets `token` if it is the cached one; a stale report about an older token changes nothing. */
  invalidate(token: string): void {
    if (this.cached?.token === token) this.cached = null;
  }

  /** Closes the dispatcher if this provider created it. */
  close(): Promise<void> {
    return this.transport.close();
  }

  private async issue(): Promise<CachedToken> {
    const body = new URLSearchParams({
      grant_type: 'client_credentials',
      client_id: this.options.clientId,
      client_secret: this.options.clientSecret,
      scope: this.options.scope ?? DEFAULT_IMS_SCOPE,
    }).toString();
    const secrets = [this.options.clientSecret];
    for (let attempt = 1; ; attempt++) {
      let failure: ImsAuthError;
      let retryAfterMs: number | undefined;
      const sentAt = performance.now();
      try {
        const response = await sendAttempt(this.transport.dispatcher, {
          origin: this.tokenUrl.origin,
          path: this.tokenUrl.pathname,
          method: 'POST',
          headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
          body,
          timeoutMs: this.transport.timeouts.requestMs,
        });
        this.transport.observer.attempt({ api: 'ims', method: 'POST', route: this.tokenUrl.pathname, status: response.status, seconds: (performance.now() - sentAt) / 1000 });
        const parsed = parseJson(response.text);
        if (response.status === 200) return this.cache(parsed, secrets);
        const imsError = typeof parsed?.error === 'string' ? parsed.error : undefined;
        const description = typeof parsed?.error_description === 'string' ? parsed.error_description : undefined;
        const retryable = response.status === 429 || response.status >= 500;
        failure = new ImsAuthError({ status: response.status, imsError, description, retryable, knownSecrets: secrets });
        if (!retryable) throw failure;
        retryAfterMs = parseRetryAfterMs(response.headers['retry-after'], this.now());
      } catch (error) {
        if (!(error instanceof NetworkAttemptError)) throw error;
        this.transport.observer.attempt({ api: 'ims', method: 'POST', route: this.tokenUrl.pathname, status: null, seconds: (performance.now() - sentAt) / 1000 });
        failure = new ImsAuthError({ retryable: true, problem: `could not reach IMS: network ${error.failure}${error.networkCode ? ` (${error.networkCode})` : ''}` });
      }
      if (attempt >= this.transport.retry.maxAttempts || (retryAfterMs !== undefined && retryAfterMs > this.transport.retry.maxRetryAfterMs)) throw failure;
      const delayMs = retryAfterMs ?? backoffDelayMs(attempt, this.transport.retry);
      this.transport.logger.debug({ attempt, status: failure.status, delayMs }, 'IMS token request failed; retrying');
      this.transport.observer.retry({ api: 'ims', reason: String(failure.status ?? 'network'), delayMs, rateLimited: failure.status === 429 });
      await abortableSleep(delayMs);
    }
  }

  private cache(parsed: Record<string, unknown> | undefined, secrets: string[]): CachedToken {
    const token = parsed?.access_token;
    const expiresIn = Number(parsed?.expires_in);
    if (typeof token !== 'string' || token === '' || !Number.isFinite(expiresIn) || expiresIn <= 0) {
      throw new ImsAuthError({ status: 200, retryable: true, problem: 'IMS answered without access_token/expires_in', knownSecrets: secrets });
    }
    // S2S tokens state `expires_in` in seconds (the retired JWT exchange used milliseconds).
    const lifetimeMs = expiresIn * 1000;
    const margin = Math.min(Math.max(MIN_REFRESH_MARGIN_MS, lifetimeMs * REFRESH_SHARE), lifetimeMs / 2);
    const obtainedAt = this.now();
    const entry: CachedToken = { token, refreshAtMs: obtainedAt + lifetimeMs - margin, expiresAtMs: obtainedAt + lifetimeMs };
    this.cached = entry;
    this.transport.logger.debug({ expiresInSeconds: expiresIn }, 'IMS access token issued');
    return entry;
  }
}

function parseJson(text: string): Record<string, unknown> | undefined {
  try {
    const value = JSON.parse(text) as unknown;
    return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}
