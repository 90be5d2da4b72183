/**
 * The pure parts of the retry policy: backoff delays and `Retry-After`. Kept apart from the HTTP
 * code so they can be tested without a server.
 */

/** Retry settings of the Platform HTTP core. Every field is optional; see `RETRY_DEFAULTS`. */
export interface PlatformRetryOptions {
  /** Attempts per call, the first included (a token refresh after a 401 is not counted). */
  maxAttempts?: number;
  /** First backoff ceiling; doubles per attempt. */
  baseDelayMs?: number;
  /** Largest backoff ceiling. */
  maxDelayMs?: number;
  /**
   * Longest `Retry-After` the client waits in-process. A longer one ends the call with
   * `PlatformUnavailableError.retryAfterMs`, so the job queue can delay the job instead of a
   * worker holding a slot.
   */
  maxRetryAfterMs?: number;
}

/** Defaults: 4 attempts, backoff ceilings 100 ms, 200 ms, 400 ms… capped at 5 s, `Retry-After` up to 30 s. */
export const RETRY_DEFAULTS: Readonly<Required<PlatformRetryOptions>> = Object.freeze({
  maxAttempts: 4,
  baseDelayMs: 100,
  maxDelayMs: 5_000,
  maxRetryAfterMs: 30_000,
});

export function resolveRetryOptions(options: PlatformRetryOptions = {}): Required<PlatformRetryOptions> {
  const resolved = { ...RETRY_DEFAULTS, ...stripUndefined(options) };
  if (!Number.isInteger(resolved.maxAttempts) || resolved.maxAttempts < 1) throw new RangeError('retry.maxAttempts must be an integer ≥ 1');
  for (const key of ['baseDelayMs', 'maxDelayMs', 'maxRetryAfterMs'] as const) {
    if (!Number.isFinite(resolved[key]) || resolved[key] < 0) throw new RangeError(`retry.${key} must be a number ≥ 0`);
  }
  return resolved;
}

/**
 * Full-jitter backoff before attempt `attempt + 1`: uniform in [0, min(maxDelay, base·2^(attempt-1))].
 * Jitter spreads the retries of many workers that failed together.
 */
export function backoffDelayMs(attempt: number, options: Pick<Required<PlatformRetryOptions>, 'baseDelayMs' | 'maxDelayMs'>, random: () => number = Math.random): number {
  const ceiling = Math.min(options.maxDelayMs, options.baseDelayMs * 2 ** Math.max(0, attempt - 1));
  return Math.floor(random() * ceiling);
}

/**
 * `Retry-After` in milliseconds: delta-seconds or an HTTP date (RFC 9110 §10.2.3). A date in the
 * past means "now" (0). Unparseable or absent gives undefined.
 */
export function parseRetryAfterMs(header: string | string[] | undefined, nowMs: number = Date.now()): number | undefined {
  const value = Array.isArray(header) ? header[0] : header;
  if (value === undefined) return undefined;
  const text = value.trim();
  if (/^\d+$/.test(text)) return Number(text) * 1000;
  if (!/[a-z]/i.test(text)) return undefined;
  const at = Date.parse(text);
  if (Number.isNaN(at)) return undefined;
  return Math.max(0, at - nowMs);
}

function stripUndefined<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}
