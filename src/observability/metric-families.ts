import type { Metric, Registry } from 'prom-client';

/** One exposition sample as prom-client's registry renders it (`sharedLabels` are formatted once per child and cached). */
interface Sample {
  labels: Record<string, string | number>;
  sharedLabels?: Record<string, string>;
  value: number;
  metricName?: string;
}

interface FamilyOptions<L extends string> {
  name: string;
  help: string;
  labelNames: readonly L[];
  /** The process's registry: the family is rendered with the rest of its metrics at scrape time. */
  registry: Registry;
}

/**
 * A metric family whose children (one per label set) are made once and kept: the hot path finds
 * its child through a map per label (`child(type, status)`) and adds numbers to it — no label
 * object, no string key built, no validation per observation, as prom-client's `inc(labels)` /
 * `observe(labels, v)` (and even its `labels(…)` children) do on every call. Children are turned
 * into samples only when Prometheus scrapes, through prom-client's registry (same text format).
 * Label values must be bounded (types, statuses, templates): every child lives as long as the
 * process, as a prom-client series does.
 */
abstract class MetricFamily<L extends string, C extends { labels: Record<string, string> }> {
  readonly name: string;
  readonly help: string;
  readonly labelNames: readonly L[];
  readonly aggregator = 'sum';
  abstract readonly type: 'counter' | 'histogram';
  protected children: C[] = [];
  private root = new Map<string | number, unknown>();

  constructor(options: FamilyOptions<L>) {
    this.name = options.name;
    this.help = options.help;
    this.labelNames = options.labelNames;
    // The registry takes any object with prom-client's metric shape (`name`, `get`, `reset`).
    options.registry.registerMetric(this as unknown as Metric);
  }

  /**
   * The child of these label values, in `labelNames`' order (made on first use; a number, such as
   * an HTTP status, is rendered as its decimal text).
   */
  child(...values: (string | number)[]): C {
    if (values.length !== this.labelNames.length) throw new Error(`${this.name} has the labels ${this.labelNames.join(', ')}`);
    let node = this.root;
    const last = values.length - 1;
    for (let i = 0; i < last; i++) {
      let next = node.get(values[i]!) as Map<string | number, unknown> | undefined;
      if (!next) node.set(values[i]!, (next = new Map()));
      node = next;
    }
    let found = node.get(values[last]!) as C | undefined;
    if (!found) {
      const labels: Record<string, string> = {};
      this.labelNames.forEach((name, i) => (labels[name] = String(values[i])));
      found = this.create(labels);
      node.set(values[last]!, found);
      this.children.push(found);
    }
    return found;
  }

  /** Forgets every child (prom-client's `registry.resetMetrics()`). */
  reset(): void {
    this.children = [];
    this.root = new Map();
  }

  /** The samples with labels merged (prom-client's `registry.getMetricsAsJSON()`). */
  async get() {
    const rendered = await this.getForPromString();
    return { ...rendered, values: rendered.values.map(({ labels, sharedLabels, ...rest }) => ({ ...rest, labels: { ...labels, ...sharedLabels } })) };
  }

  /** The samples for the text format (prom-client's registry prefers this to `get`). */
  async getForPromString(): Promise<{ name: string; help: string; type: string; aggregator: string; values: Sample[] }> {
    return { name: this.name, help: this.help, type: this.type, aggregator: this.aggregator, values: this.samples() };
  }

  protected abstract create(labels: Record<string, string>): C;
  protected abstract samples(): Sample[];
}

/** A counter's child: `inc()` adds 1, `inc(n)` adds n (n ≥ 0). */
export class CounterChild {
  value = 0;
  constructor(readonly labels: Record<string, string>) {}

  inc(by = 1): void {
    this.value += by;
  }
}

/** A counter family (`flowgate_…_total`). */
export class CounterFamily<L extends string> extends MetricFamily<L, CounterChild> {
  readonly type = 'counter';

  protected create(labels: Record<string, string>): CounterChild {
    return new CounterChild(labels);
  }

  protected samples(): Sample[] {
    return this.children.map((c) => ({ labels: c.labels, value: c.value }));
  }
}

/** A histogram's child: `observe(v)` counts v in the first bucket whose upper bound is ≥ v (a NaN is not counted). */
export class HistogramChild {
  /** Observations per bucket (not cumulative); the last one is above every bound (+Inf). */
  readonly counts: Float64Array;
  sum = 0;
  count = 0;

  constructor(
    readonly labels: Record<string, string>,
    private readonly bounds: readonly number[],
  ) {
    this.counts = new Float64Array(bounds.length + 1);
  }

  observe(value: number): void {
    // The hooks must not throw on the call path (prom-client would): an invalid date is skipped.
    if (Number.isNaN(value)) return;
    const bounds = this.bounds;
    let i = 0;
    while (i < bounds.length && value > bounds[i]!) i++;
    this.counts[i]!++;
    this.sum += value;
    this.count++;
  }
}

/** A histogram family (`_bucket` per upper bound and `+Inf`, `_sum`, `_count`), as prom-client renders one. */
export class HistogramFamily<L extends string> extends MetricFamily<L, HistogramChild> {
  readonly type = 'histogram';
  private readonly bounds: readonly number[];
  /** `{ le }` per bound, made once (prom-client renders them before the child's labels). */
  private readonly le: Record<string, string | number>[];

  constructor(options: FamilyOptions<L> & { buckets: readonly number[] }) {
    super(options);
    this.bounds = [...options.buckets].sort((a, b) => a - b);
    this.le = [...this.bounds.map((le) => ({ le })), { le: '+Inf' }];
  }

  protected create(labels: Record<string, string>): HistogramChild {
    return new HistogramChild(labels, this.bounds);
  }

  protected samples(): Sample[] {
    const bucket = `${this.name}_bucket`;
    const values: Sample[] = [];
    for (const child of this.children) {
      let cumulative = 0;
      for (let i = 0; i < this.le.length; i++) {
        cumulative += child.counts[i]!;
        values.push({ labels: this.le[i]!, sharedLabels: child.labels, value: cumulative, metricName: bucket });
      }
      values.push({ labels: {}, sharedLabels: child.labels, value: child.sum, metricName: `${this.name}_sum` });
      values.push({ labels: {}, sharedLabels: child.labels, value: child.count, metricName: `${this.name}_count` });
    }
    return values;
  }

  /** Each child's label values and observation count (a counter that counts what this histogram observes). */
  counted(): { labels: Record<string, string>; count: number }[] {
    return this.children.map((c) => ({ labels: c.labels, count: c.count }));
  }
}

/**
 * A counter rendered from a histogram's counts: `flowgate_platform_requests_total` is the number
 * of attempts `flowgate_platform_request_duration_seconds` observed, so one child per call feeds both.
 */
export class CountOfHistogram<L extends string> extends MetricFamily<L, never> {
  readonly type = 'counter';

  constructor(
    options: Omit<FamilyOptions<L>, 'labelNames'>,
    private readonly histogram: HistogramFamily<L>,
  ) {
    super({ ...options, labelNames: histogram.labelNames });
  }

  protected create(): never {
    throw new Error(`${this.name} is counted by ${this.histogram.name}`);
  }

  override reset(): void {}

  protected samples(): Sample[] {
    return this.histogram.counted().map((c) => ({ labels: c.labels, value: c.count }));
  }
}
