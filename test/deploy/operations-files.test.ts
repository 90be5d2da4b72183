import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { FlowgateMetrics } from '../../src/observability/metrics.js';

// This file runs from dist/test/deploy; deploy/ is at the repository root.
const DEPLOY = path.resolve(__dirname, '../../../deploy');
const RULES = path.join(DEPLOY, 'prometheus/alerts.yml');
const DASHBOARD = path.join(DEPLOY, 'grafana/flowgate-dashboard.json');

/** Runs promtool; a machine without it fails with what to install (.ci/run installs it). */
function promtool(...args: string[]): string {
  const found = spawnSync('promtool', ['--version']);
  if (found.error) assert.fail("promtool is missing: install Debian's prometheus package (apt-get install --no-install-recommends prometheus; .ci/run does)");
  return execFileSync('promtool', args, { cwd: path.join(DEPLOY, 'prometheus'), encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

/** Every series name Flowgate's registry can expose (histograms as _bucket, _count and _sum). */
async function exposedNames(): Promise<Set<string>> {
  const metrics = new FlowgateMetrics({ defaultMetrics: false });
  const names = new Set<string>();
  for (const metric of await metrics.registry.getMetricsAsJSON()) {
    names.add(metric.name);
    if (String(metric.type) === 'histogram') for (const suffix of ['_bucket', '_count', '_sum']) names.add(metric.name + suffix);
  }
  return names;
}

const referenced = (text: string) => new Set([...text.matchAll(/\bflowgate_[a-z_]+\b/g)].map((m) => m[0]));

describe('deploy/ (Prometheus and Grafana files)', () => {
  it('has alert rules that promtool accepts', () => {
    assert.match(promtool('check', 'rules', RULES), /SUCCESS: \d+ rules found/);
  });

  it('has a scrape configuration that promtool accepts, loading those rules', () => {
    assert.match(promtool('check', 'config', 'prometheus.yml'), /SUCCESS: 1 rule files found/);
  });

  it('has alerts that fire on the series that should raise them (promtool test rules)', () => {
    assert.match(promtool('test', 'rules', 'alerts.test.yml'), /SUCCESS/);
  });

  it('covers failing operations, queues backing up, Platform 5xx and 429s, re-enqueues, a broken audit chain and watchdog alerts', () => {
    const rules = readFileSync(RULES, 'utf8');
    for (const alert of [
      'FlowgateOperationsFailing',
      'FlowgateQueueBackingUp',
      'FlowgatePlatformServerErrors',
      'FlowgatePlatformThrottling',
      'FlowgateReconcilerRequeuing',
      'FlowgateAuditChainBroken',
      'FlowgateDataflowAlertsOpen',
    ]) {
      assert.match(rules, new RegExp(`alert: ${alert}\\n`), alert);
    }
  });

  it('names only series Flowgate exposes, in the rules and in the dashboard', async () => {
    const names = await exposedNames();
    const dashboard = readFileSync(DASHBOARD, 'utf8');
    for (const [file, text] of [
      ['alerts.yml', readFileSync(RULES, 'utf8')],
      ['flowgate-dashboard.json', dashboard],
    ] as const) {
      const unknown = [...referenced(text)].filter((name) => !names.has(name));
      assert.deepEqual(unknown, [], `${file} names series that do not exist`);
    }
  });

  it('has a Grafana dashboard with request, operation, queue, Platform and step panels, each with a query', () => {
    const dashboard = JSON.parse(readFileSync(DASHBOARD, 'utf8')) as { panels: { type: string; title: string; targets?: { expr: string }[] }[] };
    const graphs = dashboard.panels.filter((p) => p.type !== 'row');
    for (const panel of graphs) assert.ok(panel.targets?.length && panel.targets.every((t) => t.expr.includes('flowgate_')), panel.title);
    const titles = graphs.map((p) => p.title).join('\n');
    for (const title of [/Request rate/, /Latency p50/, /Operations finished by status/, /Queue depth/, /Platform latency/, /429s/, /step duration/]) assert.match(titles, title);
  });
});
