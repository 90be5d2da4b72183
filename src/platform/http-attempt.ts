import { Agent, type Dispatcher } from 'undici';
import type { NetworkFailure } from './platform-errors.js';

/** Per-attempt time limits. See `TIMEOUT_DEFAULTS`. */
export interface PlatformTimeouts {
  /** Opening a TCP (and TLS) connection. */
  connectMs?: number;
  /** One attempt, from sending the request to the last byte of the answer. */
  requestMs?: number;
}

/** Defaults: 10 s to connect, 10 s per attempt. */
export const TIMEOUT_DEFAULTS: Readonly<Required<PlatformTimeouts>> = Object.freeze({ connectMs: 10_000, requestMs: 10_000 });

/** Connection-pool settings of the keep-alive agent the client creates when none is given. */
export interface KeepAliveAgentOptions {
  connectMs: number;
  /** Sockets per origin (default 32). */
  connections?: number;
  /** How long an idle socket is kept (default 30 s); servers may ask for less with `Keep-Alive: timeout=`. */
  keepAliveTimeoutMs?: number;
}

/** A keep-alive undici `Agent` (one pool per origin: the Platform host and the IMS host). */
export function createKeepAliveAgent(options: KeepAliveAgentOptions): Agent {
  return new Agent({
    connections: options.connections ?? 32,
    keepAliveTimeout: options.keepAliveTimeoutMs ?? 30_000,
    connect: { timeout: options.connectMs },
    // Our own per-attempt timer covers headers and body; these only stop undici's own 300 s defaults.
    headersTimeout: 0,
    bodyTimeout: 0,
  });
}

/** One HTTP exchange to send. `path` includes the query string. */
export interface AttemptRequest {
  origin: string;
  path: string;
  method: string;
  headers: Record<string, string>;
  body?: string;
  timeoutMs: number;
  /** The caller's cancellation; distinct from the timeout. */
  signal?: AbortSignal;
}

/** A complete HTTP answer, body read as text (so the socket goes back to the pool). */
export interface AttemptResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
}

/** No HTTP answer. `failure` says whether the request can have reached the server. */
export class NetworkAttemptError extends Error {
  constructor(
    readonly failure: NetworkFailure,
    readonly networkCode: string | undefined,
  ) {
    super(`network ${failure}${networkCode ? ` (${networkCode})` : ''}`);
  }
}

/** Errors raised before any byte of the request left this process. */
const CONNECT_CODES = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH', 'EADDRNOTAVAIL', 'UND_ERR_CONNECT_TIMEOUT']);
const TIMEOUT_CODES = new Set(['UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT', 'ETIMEDOUT']);
/** undici codes for misuse, not for the network: they surface as they are. */
const PROGRAMMING_CODES = new Set(['UND_ERR_INVALID_ARG', 'UND_ERR_NOT_SUPPORTED', 'UND_ERR_INVALID_RETURN_VALUE', 'UND_ERR_REQ_CONTENT_LENGTH_MISMATCH']);

/**
 * Sends one request and reads the whole answer within `timeoutMs`. Throws `NetworkAttemptError`
 * when there is no answer, or the caller's abort reason when the caller cancelled.
 */
export async function sendAttempt(dispatcher: Dispatcher, request: AttemptRequest): Promise<AttemptResponse> {
  const controller = new AbortController();
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    controller.abort();
  }, request.timeoutMs);
  const onCallerAbort = () => controller.abort();
  request.signal?.addEventListener('abort', onCallerAbort, { once: true });
  try {
    if (request.signal?.aborted) throw request.signal.reason ?? new Error('aborted');
    const response = await dispatcher.request({
      origin: request.origin,
      path: request.path,
      method: request.method,
      headers: request.headers,
      body: request.body,
      signal: controller.signal,
    });
    const text = await response.body.text();
    return { status: response.statusCode, headers: response.headers, text };
  } catch (error) {
    if (request.signal?.aborted) throw request.signal.reason ?? error;
    if (timedOut) throw new NetworkAttemptError('timeout', 'TIMEOUT');
    throw classify(error);
  } finally {
    clearTimeout(timer);
    request.signal?.removeEventListener('abort', onCallerAbort);
  }
}

function classify(error: unknown): unknown {
  const code = networkCodeOf(error);
  if (code === undefined || PROGRAMMING_CODES.has(code)) {
    // Not a network failure (a bug, an invalid header value): let it surface as is.
    return error;
  }
  if (CONNECT_CODES.has(code)) return new NetworkAttemptError('connect', code);
  if (TIMEOUT_CODES.has(code)) return new NetworkAttemptError('timeout', code);
  return new NetworkAttemptError('reset', code);
}

const NETWORK_CODE = /^(E[A-Z]+|UND_ERR_[A-Z_]+)$/;

function networkCodeOf(error: unknown): string | undefined {
  for (let current = error, depth = 0; current && depth < 4; current = (current as { cause?: unknown }).cause, depth++) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'string' && NETWORK_CODE.test(code)) {
      // `UND_ERR_SOCKET` wraps the socket's own error; prefer the more precise inner code.
      const inner = networkCodeOf((current as { cause?: unknown }).cause);
      return code === 'UND_ERR_SOCKET' && inner ? inner : code;
    }
  }
  return undefined;
}
