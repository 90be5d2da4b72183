/** A started SDK: flushes and stops on shutdown. */
export interface RunningTracing {
  shutdown(): Promise<void>;
}

/**
 * Whether the environment configures a trace exporter: `OTEL_TRACES_EXPORTER` (other than
 * `none`), or an OTLP endpoint (`OTEL_EXPORTER_OTLP_ENDPOINT`, `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT`).
 * Tracing is off otherwise, and with `OTEL_SDK_DISABLED=true`.
 */
export function tracingConfigured(env: NodeJS.ProcessEnv): boolean {
  if (env.OTEL_SDK_DISABLED === 'true') return false;
  const exporter = env.OTEL_TRACES_EXPORTER?.trim();
  if (exporter) return exporter !== 'none';
  return Boolean(env.OTEL_EXPORTER_OTLP_ENDPOINT || env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT);
}

/**
 * Starts OpenTelemetry's Node SDK when an exporter is configured; null otherwise. Everything else
 * comes from the standard `OTEL_*` variables (exporter, protocol, endpoint, headers, sampler,
 * resource attributes, batch delays). Must run before `pg` and `undici` are loaded (the entry
 * points call it first): their instrumentations patch them on load, giving a span per PostgreSQL
 * statement and per Platform HTTP exchange (with `traceparent` sent along).
 */
export async function startTracing(env: NodeJS.ProcessEnv, serviceName: string): Promise<RunningTracing | null> {
  if (!tracingConfigured(env)) return null;
  // Loaded only when tracing is on: the SDK and its exporters are a few hundred modules.
  const [{ NodeSDK }, { PgInstrumentation }, { UndiciInstrumentation }] = await Promise.all([
    import('@opentelemetry/sdk-node'),
    import('@opentelemetry/instrumentation-pg'),
    import('@opentelemetry/instrumentation-undici'),
  ]);
  // Prometheus carries Flowgate's metrics, and pino its logs: the SDK exports traces only.
  env.OTEL_METRICS_EXPORTER ??= 'none';
  env.OTEL_LOGS_EXPORTER ??= 'none';
  const sdk = new NodeSDK({
    serviceName: env.OTEL_SERVICE_NAME ?? serviceName,
    instrumentations: [
      // Statements run by background passes with no trace (sweeps, schedulers) make no root spans.
      new PgInstrumentation({
        requireParentSpan: true,
        // An unnamed statement is named by its first SQL word (WITH, SELECT…); one labelled with a
        // leading comment (the ledger's batched writes) is named after its label, like a prepared one.
        requestHook: (span, { query, connection }) => {
          const label = statementLabel(query.text);
          if (label && !query.name) span.updateName(`pg.query:${label}${connection.database ? ` ${connection.database}` : ''}`);
        },
      }),
      new UndiciInstrumentation({ requireParentforSpans: true }),
    ],
  });
  sdk.start();
  return { shutdown: () => sdk.shutdown() };
}

/** The label of a statement written as `/* fg_… *\/ SQL`, or null. */
export function statementLabel(text: string): string | null {
  return /^\/\* (fg_\w+) \*\//.exec(text)?.[1] ?? null;
}
