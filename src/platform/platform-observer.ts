import type { PlatformApi } from './route-template.js';

/** One HTTP exchange with the Platform or IMS, as metrics see it (no ids, no headers, no bodies). */
export interface PlatformAttempt {
  api: PlatformApi;
  method: string;
  /** The path template (see `routeTemplate`). */
  route: string;
  /** The HTTP status, or null when no answer came (connection refused, reset, timeout). */
  status: number | null;
  seconds: number;
}

/**
 * What the Platform client reports about its calls (metrics hook in here). Every method is
 * called synchronously on the call path, so implementations must be cheap and must not throw.
 */
export interface PlatformObserver {
  /** Each attempt, retried ones included. */
  attempt(attempt: PlatformAttempt): void;
  /** The client waits before another attempt: `reason` is the status (429, 503…) or the network failure. */
  retry(info: { api: PlatformApi; reason: string; delayMs: number; rateLimited: boolean }): void;
  /** IMS was asked for a token (`issued`) or the request failed (`failed`). */
  tokenRequest(result: 'issued' | 'failed'): void;
}

/** Reports nothing: the default. */
export const silentPlatformObserver: PlatformObserver = Object.freeze({
  attempt() {},
  retry() {},
  tokenRequest() {},
});
