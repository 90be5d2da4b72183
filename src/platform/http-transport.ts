import type { Dispatcher } from 'undici';
import { createKeepAliveAgent, TIMEOUT_DEFAULTS, type PlatformTimeouts } from './http-attempt.js';
import { silentPlatformLogger, type PlatformLogger } from './platform-logger.js';
import { silentPlatformObserver, type PlatformObserver } from './platform-observer.js';
import { resolveRetryOptions, type PlatformRetryOptions } from './retry-policy.js';

/** How a client of the Platform or of IMS talks HTTP: the options both take. */
export interface HttpTransportOptions {
  /** Shared keep-alive dispatcher; default one of its own (closed by `close()`). */
  dispatcher?: Dispatcher;
  /** Default `TIMEOUT_DEFAULTS`: 10 s connect, 10 s per attempt. */
  timeouts?: PlatformTimeouts;
  /** Retries of 429/5xx/network failures; default `RETRY_DEFAULTS`: 4 attempts, full-jitter backoff 100 ms doubling to 5 s, `Retry-After` up to 30 s. */
  retry?: PlatformRetryOptions;
  logger?: PlatformLogger;
  /** Told about every attempt and retry (metrics); default silent. */
  observer?: PlatformObserver;
}

/** Timeouts with the defaults filled in where none is given. */
export function withTimeoutDefaults(timeouts: PlatformTimeouts = {}): Required<PlatformTimeouts> {
  return { ...TIMEOUT_DEFAULTS, ...Object.fromEntries(Object.entries(timeouts).filter(([, v]) => v !== undefined)) };
}

/** The transport options with their defaults applied, and the dispatcher to close if it is ours. */
export class HttpTransport {
  readonly dispatcher: Dispatcher;
  readonly timeouts: Required<PlatformTimeouts>;
  readonly retry: Required<PlatformRetryOptions>;
  readonly logger: PlatformLogger;
  readonly observer: PlatformObserver;
  private readonly ownsDispatcher: boolean;

  /** `connections`: sockets per origin of the dispatcher it creates when none is given. */
  constructor(options: HttpTransportOptions, connections?: number) {
    this.timeouts = withTimeoutDefaults(options.timeouts);
    this.retry = resolveRetryOptions(options.retry);
    this.logger = options.logger ?? silentPlatformLogger;
    this.observer = options.observer ?? silentPlatformObserver;
    this.ownsDispatcher = options.dispatcher === undefined;
    this.dispatcher = options.dispatcher ?? createKeepAliveAgent({ connectMs: this.timeouts.connectMs, connections });
  }

  /** Closes the dispatcher if this transport created it. */
  async close(): Promise<void> {
    if (this.ownsDispatcher) await this.dispatcher.close();
  }
}
