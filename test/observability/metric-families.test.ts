import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Counter, Histogram, Registry } from 'prom-client';
import { CounterFamily, CountOfHistogram, HistogramFamily } from '../../src/observability/metric-families.js';
import { find, parseExposition } from './support/exposition.js';

const BUCKETS = [0.01, 0.1, 1];
const OBSERVATIONS: [string, string, number, number][] = [
  ['mutation', 'OK', 200, 0.004],
  ['mutation', 'OK', 200, 0.01],
  ['mutation', 'OK', 200, 0.5],
  ['query', 'BAD_USER_INPUT', 400, 7],
  ['mutation', 'OK', 200, 0.05],
];

describe('metric families (children made once per label set)', () => {
  it("render a histogram exactly as prom-client's Histogram does for the same observations", async () => {
    const ours = new Registry();
    const family = new HistogramFamily({ name: 'x_seconds', help: 'h', labelNames: ['type', 'code', 'status'], buckets: BUCKETS, registry: ours });
    const theirs = new Registry();
    const histogram = new Histogram({ name: 'x_seconds', help: 'h', labelNames: ['type', 'code', 'status'], buckets: BUCKETS, registers: [theirs] });
    for (const [type, code, status, value] of OBSERVATIONS) {
      family.child(type, code, status).observe(value);
      histogram.observe({ type, code, status: String(status) }, value);
    }
    assert.equal(await ours.metrics(), await theirs.metrics());
    // The JSON form (prom-client's getMetricsAsJSON) holds the same samples, labels merged.
    const samples = async (registry: Registry) =>
      (await registry.getMetricsAsJSON()).flatMap((m) =>
        (m.values as { labels: object; value: number; metricName?: string }[]).map(({ labels, value, metricName }) => ({ labels, value, metricName })),
      );
    assert.deepEqual(await samples(ours), await samples(theirs));
  });

  it("render a counter exactly as prom-client's Counter does, and one counted from a histogram's observations", async () => {
    const ours = new Registry();
    const counter = new CounterFamily({ name: 'y_total', help: 'h', labelNames: ['type', 'code'], registry: ours });
    const theirs = new Registry();
    const reference = new Counter({ name: 'y_total', help: 'h', labelNames: ['type', 'code'], registers: [theirs] });
    for (const [type, code, , value] of OBSERVATIONS) {
      counter.child(type, code).inc();
      counter.child(type, code).inc(value);
      reference.inc({ type, code });
      reference.inc({ type, code }, value);
    }
    assert.equal(await ours.metrics(), await theirs.metrics());

    const registry = new Registry();
    const histogram = new HistogramFamily({ name: 'z_seconds', help: 'h', labelNames: ['type'], buckets: BUCKETS, registry });
    new CountOfHistogram({ name: 'z_total', help: 'every observation', registry }, histogram);
    for (const [type, , , value] of OBSERVATIONS) histogram.child(type).observe(value);
    const samples = parseExposition(await registry.metrics());
    assert.deepEqual(
      find(samples, 'z_total').map((s) => [s.labels, s.value]),
      [
        [{ type: 'mutation' }, 4],
        [{ type: 'query' }, 1],
      ],
    );
  });

  it('show no series before an observation, and none after the registry is reset', async () => {
    const registry = new Registry();
    const family = new HistogramFamily({ name: 'w_seconds', help: 'h', labelNames: ['type'], buckets: BUCKETS, registry });
    assert.equal(parseExposition(await registry.metrics()).length, 0);
    family.child('a').observe(1);
    assert.equal(find(parseExposition(await registry.metrics()), 'w_seconds_count', { type: 'a' })[0]?.value, 1);
    registry.resetMetrics();
    assert.equal(parseExposition(await registry.metrics()).length, 0);
  });

  it('skip a NaN (a duration from an invalid date) instead of counting it in a bucket', async () => {
    const registry = new Registry();
    const family = new HistogramFamily({ name: 'u_seconds', help: 'h', labelNames: ['type'], buckets: BUCKETS, registry });
    family.child('a').observe(Number.NaN);
    family.child('a').observe(0.5);
    const samples = parseExposition(await registry.metrics());
    assert.equal(find(samples, 'u_seconds_count', { type: 'a' })[0]?.value, 1);
    assert.equal(find(samples, 'u_seconds_sum', { type: 'a' })[0]?.value, 0.5);
  });

  it('refuse a child asked for with the wrong number of label values', () => {
    const family = new CounterFamily({ name: 'v_total', help: 'h', labelNames: ['type', 'status'], registry: new Registry() });
    assert.throws(() => family.child('only-one'), /has the labels type, status/);
  });
});
