import { Counter, Gauge, Registry } from 'prom-client';
import type { PlatformObserver } from '../platform/platform-observer.js';
import { BoundedLabel } from './bounded-label.js';
import { CounterFamily, CountOfHistogram, HistogramFamily } from './metric-families.js';
import { collectProcessMetrics } from './process-metrics.js';

/**
 * What metrics read from the deployment when Prometheus scrapes (instead of counting events):
 * queue depths from BullMQ, and a few counts from PostgreSQL. Each is asked at most once per
 * `SCRAPE_CACHE_MS`, and a source that fails keeps its last values (the scrape still answers).
 */
export interface ScrapeSources {
  /** Jobs per queue and state (`waiting`, `active`, `delayed`, `failed`). */
  queueJobs?: () => Promise<Record<string, Record<string, number>>>;
  /** Onboardings per status. */
  onboardingsByStatus?: () => Promise<Record<string, number>>;
  /** Open watchdog alerts per problem (LATE, FAILING, SILENT, DRIFTED) and severity. */
  openAlerts?: () => Promise<{ health: string; severity: string; count: number }[]>;
  /** Audit events written so far (the audit chain's head). */
  auditEventsWritten?: () => Promise<number>;
  /** Whether each dependency is ready (PostgreSQL, Redis, the Platform token). */
  readiness?: () => Promise<Record<string, boolean>>;
}

/** What an operation looks like to metrics when it finishes (a row of the ledger). */
export interface FinishedOperation {
  type: string;
  status: string;
  attempts: number;
  createdAt: Date;
  finishedAt: Date | null;
}

/** A finished onboarding step (a row of the step ledger). */
export interface FinishedStep {
  kind: string;
  status: string;
  started_at: Date | null;
  finished_at: Date | null;
}

const SCRAPE_CACHE_MS = 5000;

/** Request latencies, from a cache hit to a slow list. */
const REQUEST_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];
/** Operations and steps: from a quick update to a slow Platform under retries. */
const WORK_BUCKETS = [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800];

/**
 * Flowgate's Prometheus metrics, one registry per process (several processes in one test do
 * not mix). Label values are bounded: types, statuses, error codes, queue names, route
 * templates, GraphQL operation names (at most 200 distinct, then `other`) — never an id, a key
 * or a secret. The methods are the hooks the rest of the code calls (through the observer
 * interfaces of the store, the Platform client and the gateway), so nothing else imports prom-client.
 */
export class FlowgateMetrics {
  readonly registry = new Registry();

  private readonly graphqlDuration = new HistogramFamily({
    name: 'flowgate_graphql_request_duration_seconds',
    help: 'GraphQL requests over HTTP, by operation type, operation name and result code (OK or the first error code).',
    labelNames: ['operation_type', 'operation_name', 'code'] as const,
    buckets: REQUEST_BUCKETS,
    registry: this.registry,
  });
  private readonly httpDuration = new HistogramFamily({
    name: 'flowgate_http_request_duration_seconds',
    help: 'HTTP requests to the gateway, by route template, method and status (refusals before GraphQL included).',
    labelNames: ['route', 'method', 'status'] as const,
    buckets: REQUEST_BUCKETS,
    registry: this.registry,
  });
  private readonly wsConnections = new Gauge({ name: 'flowgate_websocket_connections', help: 'Open, authenticated graphql-ws connections.', registers: [this.registry] });
  private readonly wsSubscriptions = new Gauge({
    name: 'flowgate_websocket_subscriptions',
    help: 'Active subscriptions, by topic (the subscription field).',
    labelNames: ['topic'] as const,
    registers: [this.registry],
  });
  private readonly operationsSubmitted = new CounterFamily({
    name: 'flowgate_operations_submitted_total',
    help: 'Operations recorded (by mutations and onboarding steps), by type.',
    labelNames: ['type'] as const,
    registry: this.registry,
  });
  private readonly operationsFinished = new CounterFamily({
    name: 'flowgate_operations_finished_total',
    help: 'Operations finished, by type and final status (SUCCEEDED, FAILED, CANCELLED).',
    labelNames: ['type', 'status'] as const,
    registry: this.registry,
  });
  private readonly operationDuration = new HistogramFamily({
    name: 'flowgate_operation_duration_seconds',
    help: 'From submit to finish, by type and final status.',
    labelNames: ['type', 'status'] as const,
    buckets: WORK_BUCKETS,
    registry: this.registry,
  });
  private readonly operationAttempts = new HistogramFamily({
    name: 'flowgate_operation_attempts',
    help: 'Attempts an operation took until it finished, by type.',
    labelNames: ['type'] as const,
    buckets: [1, 2, 3, 4, 5, 6, 8],
    registry: this.registry,
  });
  private readonly operationRetries = new CounterFamily({
    name: 'flowgate_operation_retries_total',
    help: 'Operation attempts that failed and will be retried, by type and cause (the error code).',
    labelNames: ['type', 'cause'] as const,
    registry: this.registry,
  });
  private readonly stepDuration = new HistogramFamily({
    name: 'flowgate_onboarding_step_duration_seconds',
    help: 'Onboarding steps, from start to finish, by kind and status.',
    labelNames: ['kind', 'status'] as const,
    buckets: WORK_BUCKETS,
    registry: this.registry,
  });
  private readonly platformDuration = new HistogramFamily({
    name: 'flowgate_platform_request_duration_seconds',
    help: 'Latency of HTTP attempts to the Platform and IMS, by API, method, path template and status.',
    labelNames: ['api', 'method', 'route', 'status'] as const,
    buckets: REQUEST_BUCKETS,
    registry: this.registry,
  });
  private readonly platformThrottled = new CounterFamily({
    name: 'flowgate_platform_throttled_total',
    help: 'Answers 429 Too Many Requests from the Platform or IMS, by API.',
    labelNames: ['api'] as const,
    registry: this.registry,
  });
  private readonly platformRetries = new CounterFamily({
    name: 'flowgate_platform_retries_total',
    help: 'Platform and IMS attempts retried by the client, by API and reason (status or network failure).',
    labelNames: ['api', 'reason'] as const,
    registry: this.registry,
  });
  private readonly rateLimitWait = new CounterFamily({
    name: 'flowgate_platform_rate_limit_wait_seconds_total',
    help: 'Seconds spent waiting before retrying a 429 (Retry-After or backoff), by API.',
    labelNames: ['api'] as const,
    registry: this.registry,
  });
  private readonly tokenRequests = new CounterFamily({
    name: 'flowgate_ims_token_requests_total',
    help: 'IMS access token requests (refreshes), by result (issued, failed).',
    labelNames: ['result'] as const,
    registry: this.registry,
  });
  private readonly chainVerifications = new Counter({
    name: 'flowgate_audit_chain_verifications_total',
    help: 'Audit chain verifications, by result (ok, broken).',
    labelNames: ['result'] as const,
    registers: [this.registry],
  });
  private readonly chainIntact = new Gauge({
    name: 'flowgate_audit_chain_intact',
    help: 'Result of the last audit chain verification in this process: 1 intact, 0 broken (absent until one ran).',
    registers: [this.registry],
  });
  private readonly requeues = new Counter({
    name: 'flowgate_reconciler_requeued_total',
    help: 'Work the reconciler enqueued again because Redis held no job for it, by kind (operation, webhook_delivery).',
    labelNames: ['kind'] as const,
    registers: [this.registry],
  });
  private readonly alertChanges = new Counter({
    name: 'flowgate_watchdog_alerts_total',
    help: 'Dataflow alerts changed by the watchdog, by change (opened, updated, resolved).',
    labelNames: ['change'] as const,
    registers: [this.registry],
  });
  private readonly webhookDeliveries = new Counter({
    name: 'flowgate_webhook_delivery_attempts_total',
    help: 'Webhook delivery attempts, by outcome (SUCCEEDED, RETRY, FAILED, CANCELLED, NOT_PENDING).',
    labelNames: ['outcome'] as const,
    registers: [this.registry],
  });

  private readonly operationNames = new BoundedLabel(200);
  private sources: ScrapeSources = {};
  private readonly cache = new Map<keyof ScrapeSources, { at: number; value: Promise<unknown> }>();

  constructor(options: { defaultMetrics?: boolean } = {}) {
    if (options.defaultMetrics ?? true) collectProcessMetrics(this.registry);
    // Every attempt the duration histogram observed: one child per Platform call feeds both.
    new CountOfHistogram(
      {
        name: 'flowgate_platform_requests_total',
        help: 'HTTP attempts to the Platform and IMS, by API, method, path template and status (`network` when no answer came).',
        registry: this.registry,
      },
      this.platformDuration,
    );
    // Gauges read at scrape time from the sources the composition root sets (prom-client calls
    // `collect` with the metric as `this`, so the registry's reader is captured here).
    const read = <K extends keyof ScrapeSources>(key: K) => this.read(key);
    new Gauge({
      name: 'flowgate_queue_jobs',
      help: 'Jobs per BullMQ queue and state (waiting, active, delayed, failed), read at scrape.',
      labelNames: ['queue', 'state'] as const,
      registers: [this.registry],
      async collect() {
        const counts = await read('queueJobs');
        if (!counts) return;
        for (const [queue, states] of Object.entries(counts)) for (const [state, n] of Object.entries(states)) this.set({ queue, state }, n);
      },
    });
    new Gauge({
      name: 'flowgate_onboardings',
      help: 'Onboardings per status (deployment-wide, read from PostgreSQL at scrape).',
      labelNames: ['status'] as const,
      registers: [this.registry],
      async collect() {
        const counts = await read('onboardingsByStatus');
        if (!counts) return;
        this.reset();
        for (const [status, n] of Object.entries(counts)) this.set({ status }, n);
      },
    });
    new Gauge({
      name: 'flowgate_watchdog_open_alerts',
      help: 'Open dataflow alerts per problem (LATE, FAILING, SILENT, DRIFTED) and severity (deployment-wide, read at scrape).',
      labelNames: ['health', 'severity'] as const,
      registers: [this.registry],
      async collect() {
        const rows = await read('openAlerts');
        if (!rows) return;
        this.reset();
        for (const row of rows) this.set({ health: row.health, severity: row.severity }, row.count);
      },
    });
    new Counter({
      name: 'flowgate_audit_events_written_total',
      help: 'Audit events written (deployment-wide: the audit chain head, read at scrape).',
      registers: [this.registry],
      async collect() {
        const written = await read('auditEventsWritten');
        if (written === undefined) return;
        this.reset();
        this.inc(written);
      },
    });
    new Gauge({
      name: 'flowgate_dependency_ready',
      help: 'Whether a dependency is ready for this process (1) or not (0): postgresql, redis, platform_token (as /readyz).',
      labelNames: ['dependency'] as const,
      registers: [this.registry],
      async collect() {
        const ready = await read('readiness');
        if (!ready) return;
        for (const [dependency, ok] of Object.entries(ready)) this.set({ dependency }, ok ? 1 : 0);
      },
    });
  }

  /** Sets where the scrape-time gauges read from (once the process's queues and store exist). */
  setScrapeSources(sources: ScrapeSources): void {
    this.sources = sources;
    this.cache.clear();
  }

  /** The exposition text and its content type. */
  async exposition(): Promise<{ contentType: string; text: string }> {
    return { contentType: this.registry.contentType, text: await this.registry.metrics() };
  }

  graphqlRequest(info: { operationType: string; operationName: string | null; rootField: string | null; code: string; seconds: number }): void {
    // An anonymous operation is named after its first root field (bounded by the schema).
    const name = info.operationName ? this.operationNames.value(info.operationName) : (info.rootField ?? 'anonymous');
    this.graphqlDuration.child(info.operationType, name, info.code).observe(info.seconds);
  }

  httpRequest(route: string, method: string, status: number, seconds: number): void {
    this.httpDuration.child(route, method, status).observe(seconds);
  }

  socketOpened(): void {
    this.wsConnections.inc();
  }

  socketClosed(): void {
    this.wsConnections.dec();
  }

  subscriptionStarted(topic: string): void {
    this.wsSubscriptions.inc({ topic });
  }

  subscriptionEnded(topic: string): void {
    this.wsSubscriptions.dec({ topic });
  }

  /** Hooks of the operation ledger and the step ledger (see `StoreObserver`). */
  storeObserver() {
    return {
      operationsRecorded: (types: readonly string[]) => {
        for (const type of types) this.operationsSubmitted.child(type).inc();
      },
      operationRetrying: (type: string, cause: string) => this.operationRetries.child(type, cause).inc(),
      operationFinished: (operation: FinishedOperation) => {
        this.operationsFinished.child(operation.type, operation.status).inc();
        if (operation.finishedAt) this.operationDuration.child(operation.type, operation.status).observe(Math.max(0, (operation.finishedAt.getTime() - operation.createdAt.getTime()) / 1000));
        this.operationAttempts.child(operation.type).observe(operation.attempts);
      },
      stepsFinished: (steps: readonly FinishedStep[]) => {
        for (const step of steps) {
          if (!step.started_at || !step.finished_at) continue;
          this.stepDuration.child(step.kind, step.status).observe(Math.max(0, (step.finished_at.getTime() - step.started_at.getTime()) / 1000));
        }
      },
      auditChainVerified: (ok: boolean) => {
        this.chainVerifications.inc({ result: ok ? 'ok' : 'broken' });
        this.chainIntact.set(ok ? 1 : 0);
      },
    };
  }

  /** The Platform client's hook. */
  platformObserver(): PlatformObserver {
    return {
      // flowgate_platform_requests_total is this histogram's count (see the constructor).
      attempt: ({ api, method, route, status, seconds }) => {
        this.platformDuration.child(api, method, route, status ?? 'network').observe(seconds);
        if (status === 429) this.platformThrottled.child(api).inc();
      },
      retry: ({ api, reason, delayMs, rateLimited }) => {
        // A network code (ECONNRESET) or a status: both bounded.
        this.platformRetries.child(api, reason).inc();
        if (rateLimited) this.rateLimitWait.child(api).inc(delayMs / 1000);
      },
      tokenRequest: (result) => this.tokenRequests.child(result).inc(),
    };
  }

  requeued(kind: 'operation' | 'webhook_delivery', count: number): void {
    if (count > 0) this.requeues.inc({ kind }, count);
  }

  watchdogPass(result: { opened: number; updated: number; resolved: number }): void {
    if (result.opened > 0) this.alertChanges.inc({ change: 'opened' }, result.opened);
    if (result.updated > 0) this.alertChanges.inc({ change: 'updated' }, result.updated);
    if (result.resolved > 0) this.alertChanges.inc({ change: 'resolved' }, result.resolved);
  }

  webhookAttempt(outcome: string): void {
    this.webhookDeliveries.inc({ outcome });
  }

  private async read<K extends keyof ScrapeSources>(key: K): Promise<Awaited<ReturnType<NonNullable<ScrapeSources[K]>>> | undefined> {
    const source = this.sources[key];
    if (!source) return undefined;
    const now = Date.now();
    let entry = this.cache.get(key);
    if (!entry || now - entry.at >= SCRAPE_CACHE_MS) {
      const previous = entry?.value;
      // A failing source keeps its last values; the scrape answers anyway.
      entry = { at: now, value: (source as () => Promise<unknown>)().catch(() => previous?.catch(() => undefined)) };
      this.cache.set(key, entry);
    }
    return (await entry.value) as Awaited<ReturnType<NonNullable<ScrapeSources[K]>>> | undefined;
  }
}
