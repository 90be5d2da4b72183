import pino, { type Logger } from 'pino';
import { activeTraceId } from '../observability/tracing.js';

export type { Logger } from 'pino';

/**
 * Field names whose values never reach a log line: tokens, secrets, keys, and the credentials
 * callers send (the `authorization` and `x-api-key` headers, a WebSocket's connection params).
 * pino replaces them with `[redacted]` wherever they appear in the logged object (two levels deep).
 */
const REDACTED_KEYS = [
  'accessToken',
  'access_token',
  'clientSecret',
  'client_secret',
  'authorization',
  'Authorization',
  'token',
  'secret',
  'password',
  'apiKey',
  'apikey',
  'api_key',
  'connectionParams',
  'cookie',
  '"x-api-key"',
];
const REDACTED_PATHS = REDACTED_KEYS.flatMap((key) => (key.startsWith('"') ? [`[${key}]`, `*[${key}]`, `*.*[${key}]`] : [key, `*.${key}`, `*.*.${key}`]));

export interface LoggerOptions {
  level: string;
  /** Where lines go; default stdout. Tests pass a stream to capture and scan them. */
  destination?: NodeJS.WritableStream;
  /** Fields added to every line (process role, instance id). */
  base?: Record<string, unknown>;
}

export function createLogger(options: LoggerOptions): Logger {
  return pino(
    {
      level: options.level,
      base: options.base ?? {},
      redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
      timestamp: pino.stdTimeFunctions.isoTime,
      // Every line written inside a traced request or job names its trace.
      mixin: () => {
        const traceId = activeTraceId();
        return traceId ? { traceId } : {};
      },
    },
    (options.destination as pino.DestinationStream | undefined) ?? pino.destination(1),
  );
}
