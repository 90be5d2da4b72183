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

  private readonly graphqlDuration = this.histogram(
    'flowgate_graphql_request_duration_seconds',
    'GraphQL requests over HTTP, by operation type, operation name and result code (OK or the first error code).',
    ['operation_type', 'operation_name', 'code'],
    REQUEST_BUCKETS,
  );
  private readonly httpDuration = this.histogram(
    'flowgate_http_request_duration_seconds',
    'HTTP requests to the gateway, by route template, method and status (refusals before GraphQL included).',
    ['route', 'method', 'status'],
    REQUEST_BUCKETS,
  );
  private readonly wsConnections = this.gauge('flowgate_websocket_connections', 'Open, authenticated graphql-ws connections.', []);
  private readonly wsSubscriptions = this.gauge('flowgate_websocket_subscriptions', 'Active subscriptions, by topic (the subscription field).', ['topic']);
  private readonly operationsSubmitted = this.counter('flowgate_operations_submitted_total', 'Operations recorded (by mutations and onboarding steps), by type.', ['type']);
  private readonly operationsFinished = this.counter('flowgate_operations_finished_total', 'Operations finished, by type and final status (SUCCEEDED, FAILED, CANCELLED).', ['type', 'status']);
  private readonly operationDuration = this.histogram('flowgate_operation_duration_seconds', 'From submit to finish, by type and final status.', ['type', 'status'], WORK_BUCKETS);
  private readonly operationAttempts = this.histogram('flowgate_operation_attempts', 'Attempts an operation took until it finished, by type.', ['type'], [1, 2, 3, 4, 5, 6, 8]);
  private readonly operationRetries = this.counter('flowgate_operation_retries_total', 'Operation attempts that failed and will be retried, by type and cause (the error code).', ['type', 'cause']);
  private readonly stepDuration = this.histogram('flowgate_onboarding_step_duration_seconds', 'Onboarding steps, from start to finish, by kind and status.', ['kind', 'status'], WORK_BUCKETS);
  private readonly platformDuration = this.histogram(
    'flowgate_platform_request_duration_seconds',
    'Latency of HTTP attempts to the Platform and IMS, by API, method, path template and status.',
    ['api', 'method', 'route', 'status'],
    REQUEST_BUCKETS,
  );
  private readonly platformThrottled = this.counter('flowgate_platform_throttled_total', 'Answers 429 Too Many Requests from the Platform or IMS, by API.', ['api']);
  private readonly platformRetries = this.counter('flowgate_platform_retries_total', 'Platform and IMS attempts retried by the client, by API and reason (status or network failure).', [
    'api',
    'reason',
  ]);
  private readonly rateLimitWait = this.counter('flowgate_platform_rate_limit_wait_seconds_total', 'Seconds spent waiting before retrying a 429 (Retry-After or backoff), by API.', ['api']);
  private readonly tokenRequests = this.counter('flowgate_ims_token_requests_total', 'IMS access token requests (refreshes), by result (issued, failed).', ['result']);
  private readonly chainVerifications = this.counter('flowgate_audit_chain_verifications_total', 'Audit chain verifications, by result (ok, broken).', ['result']);
  private readonly chainIntact = this.gauge('flowgate_audit_chain_intact', 'Result of the last audit chain verification in this process: 1 intact, 0 broken (absent until one ran).', []);
  private readonly requeues = this.counter('flowgate_reconciler_requeued_total', 'Work the reconciler enqueued again because Redis held no job for it, by kind (operation, webhook_delivery).', [
    'kind',
  ]);
  private readonly alertChanges = this.counter('flowgate_watchdog_alerts_total', 'Dataflow alerts changed by the watchdog, by change (opened, updated, resolved).', ['change']);
  private readonly webhookDeliveries = this.counter('flowgate_webhook_delivery_attempts_total', 'Webhook delivery attempts, by outcome (SUCCEEDED, RETRY, FAILED, CANCELLED, NOT_PENDING).', [
    'outcome',
  ]);

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
    // Gauges read at scrape time from the sources the composition root sets; a source not set
    // (or failing) leaves the gauge as it was. prom-client calls `collect` with the metric as `this`.
    type Scraped<K extends keyof ScrapeSources> = NonNullable<Awaited<ReturnType<NonNullable<ScrapeSources[K]>>>>;
    const read = <K extends keyof ScrapeSources>(key: K) => this.read(key);
    const scraped = <K extends keyof ScrapeSources, L extends string>(key: K, name: string, help: string, labelNames: readonly L[], show: (gauge: Gauge<L>, value: Scraped<K>) => void) =>
      new Gauge({
        name,
        help,
        labelNames,
        registers: [this.registry],
        async collect() {
          const value = await read(key);
          if (value !== undefined) show(this, value);
        },
      });
    scraped('queueJobs', 'flowgate_queue_jobs', 'Jobs per BullMQ queue and state (waiting, active, delayed, failed), read at scrape.', ['queue', 'state'], (gauge, counts) => {
      for (const [queue, states] of Object.entries(counts)) for (const [state, n] of Object.entries(states)) gauge.set({ queue, state }, n);
    });
    scraped('onboardingsByStatus', 'flowgate_onboardings', 'Onboardings per status (deployment-wide, read from PostgreSQL at scrape).', ['status'], (gauge, counts) => {
      gauge.reset();
      for (const [status, n] of Object.entries(counts)) gauge.set({ status }, n);
    });
    scraped(
      'openAlerts',
      'flowgate_watchdog_open_alerts',
      'Open dataflow alerts per problem (LATE, FAILING, SILENT, DRIFTED) and severity (deployment-wide, read at scrape).',
      ['health', 'severity'],
      (gauge, rows) => {
        gauge.reset();
        for (const row of rows) gauge.set({ health: row.health, severity: row.severity }, row.count);
      },
    );
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
    scraped(
      'readiness',
      'flowgate_dependency_ready',
      'Whether a dependency is ready for this process (1) or not (0): postgresql, redis, platform_token (as /readyz).',
      ['dependency'],
      (gauge, ready) => {
        for (const [dependency, ok] of Object.entries(ready)) gauge.set({ dependency }, ok ? 1 : 0);
      },
    );
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
        this.chainVerifications.child(ok ? 'ok' : 'broken').inc();
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
    if (count > 0) this.requeues.child(kind).inc(count);
  }

  watchdogPass(result: { opened: number; updated: number; resolved: number }): void {
    if (result.opened > 0) this.alertChanges.child('opened').inc(result.opened);
    if (result.updated > 0) this.alertChanges.child('updated').inc(result.updated);
    if (result.resolved > 0) this.alertChanges.child('resolved').inc(result.resolved);
  }

  webhookAttempt(outcome: string): void {
    this.webhookDeliveries.child(outcome).inc();
  }

  // The metrics of the registry, declared above as fields (these run as the fields are initialised).
  // Counters and histograms are families (metric-families.ts): an observation on the hot path is a few additions.
  private counter<L extends string>(name: string, help: string, labelNames: readonly L[]): CounterFamily<L> {
    return new CounterFamily({ name, help, labelNames, registry: this.registry });
  }

  private gauge<L extends string>(name: string, help: string, labelNames: readonly L[]): Gauge<L> {
    return new Gauge({ name, help, labelNames, registers: [this.registry] });
  }

  private histogram<L extends string>(name: string, help: string, labelNames: readonly L[], buckets: number[]): HistogramFamily<L> {
    return new HistogramFamily({ name, help, labelNames, buckets, registry: this.registry });
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
