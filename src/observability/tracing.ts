import { context, propagation, ProxyTracerProvider, ROOT_CONTEXT, SpanKind, SpanStatusCode, trace, type Attributes, type Context, type Span } from '@opentelemetry/api';

/**
 * OpenTelemetry traces: one trace from a GraphQL request through the BullMQ job it enqueues (W3C
 * trace context carried in the job data) to the Platform calls and PostgreSQL statements the job
 * makes. Everything here is a no-op until `startTracing` (tracing-sdk.ts) registered the SDK,
 * which it does only when an exporter is configured.
 */

const tracer = () => trace.getTracer('flowgate');

/**
 * Whether an OpenTelemetry SDK is registered (tracing-sdk.ts's `startTracing`, or a test's own).
 * While none is, the hooks below skip the API's no-op spans and contexts altogether: the request
 * and job paths pay nothing for tracing that is off.
 */
export function tracingActive(): boolean {
  const provider = trace.getTracerProvider();
  return !(provider instanceof ProxyTracerProvider) || provider.getDelegateTracer('flowgate') !== undefined;
}

const NO_CARRIER: TraceCarrier = Object.freeze({});

/** The W3C trace context as carried in a job's data (absent when no trace is active). */
export interface TraceCarrier {
  traceparent?: string;
  tracestate?: string;
}

/** The active trace context, to put into a job's data (empty when tracing is off or no span is active). */
export function traceCarrier(): TraceCarrier {
  if (!tracingActive()) return NO_CARRIER;
  const carrier: Record<string, string> = {};
  propagation.inject(context.active(), carrier);
  if (!carrier.traceparent) return {};
  return carrier.tracestate ? { traceparent: carrier.traceparent, tracestate: carrier.tracestate } : { traceparent: carrier.traceparent };
}

/** The active trace's id (for log lines and error extensions); undefined outside a trace. */
export function activeTraceId(): string | undefined {
  if (!tracingActive()) return undefined;
  const span = trace.getActiveSpan()?.spanContext();
  return span && trace.isSpanContextValid(span) ? span.traceId : undefined;
}

/** Renames the active span once its work is known (a GraphQL operation, an operation's type). */
export function nameActiveSpan(name: string, attributes: Attributes = {}): void {
  const span = trace.getActiveSpan();
  span?.updateName(name);
  span?.setAttributes(attributes);
}

/**
 * Runs a job's work in a CONSUMER span, child of the context its producer put into the job data
 * (a new trace when there is none). The error a job throws marks the span failed.
 */
export function inJobSpan<T>(name: string, carrier: TraceCarrier, attributes: Attributes, work: () => Promise<T>): Promise<T> {
  if (!tracingActive()) return work();
  return tracer().startActiveSpan(name, { kind: SpanKind.CONSUMER, attributes }, propagation.extract(ROOT_CONTEXT, carrier), (span) => ended(span, work));
}

/** Runs `work` in an INTERNAL span, child of the active one. */
export function inSpan<T>(name: string, attributes: Attributes, work: () => Promise<T>): Promise<T> {
  if (!tracingActive()) return work();
  return tracer().startActiveSpan(name, { kind: SpanKind.INTERNAL, attributes }, (span) => ended(span, work));
}

/**
 * Runs `work` in a context recorded earlier (e.g. an onboarding's, kept in its row): what it
 * starts joins that trace, whichever job or sweep runs it. Without a recorded context, in the
 * active one.
 */
export function inTraceContext<T>(carrier: TraceCarrier, work: () => T): T {
  return carrier.traceparent && tracingActive() ? context.with(propagation.extract(ROOT_CONTEXT, carrier), work) : work();
}

/** A SERVER span for one incoming request, continuing the caller's trace (`traceparent` header). */
export function startServerSpan(name: string, headers: Record<string, string | string[] | undefined>, attributes: Attributes): { span: Span; context: Context } {
  const parent = propagation.extract(ROOT_CONTEXT, headers);
  const span = tracer().startSpan(name, { kind: SpanKind.SERVER, attributes }, parent);
  return { span, context: trace.setSpan(parent, span) };
}

/** Runs `work` with `ctx` active; event listeners of `emitters` (a request, its response) run in it too. */
export function withContext<T>(ctx: Context, emitters: NodeJS.EventEmitter[], work: () => T): T {
  for (const emitter of emitters) context.bind(ctx, emitter);
  return context.with(ctx, work);
}

async function ended<T>(span: Span, work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    failed(span, error);
    throw error;
  } finally {
    span.end();
  }
}

function failed(span: Span, error: unknown): void {
  span.recordException(error instanceof Error ? error : String(error));
  span.setStatus({ code: SpanStatusCode.ERROR, message: error instanceof Error ? error.message.slice(0, 200) : undefined });
}
