import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { parseApiKey } from '../../src/auth/api-key-format.js';
import { launchFlowgate, spawnFlowgate, type ChildFlowgate } from '../gateway/support/child-process.js';
import { onboardAndWait } from '../gateway/support/onboarding-reads.js';
import { OPERATION_FIELDS, TestStack, uniqueName } from '../gateway/support/stack.js';
import { find, scrape, total, type Sample } from './support/exposition.js';

const STRIPE_KEY = 'sk_test_51MetricsScrapeKey000001';
const UUID = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/i;

/** Waits until a scrape satisfies `check` (counters from other processes' work arrive a moment later). */
async function scrapeUntil(url: string, check: (samples: Sample[]) => boolean, timeoutMs = 10_000): Promise<Sample[]> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const samples = await scrape(url);
    if (check(samples) || Date.now() > deadline) return samples;
    await new Promise((r) => setTimeout(r, 200));
  }
}

describe('Prometheus metrics', () => {
  let stack: TestStack;
  let metricsUrl: string;
  let samples: Sample[];
  const worker: { process: ChildFlowgate | null } = { process: null };

  before(async () => {
    stack = await TestStack.start({ env: { METRICS_PORT: 'any' } });
    metricsUrl = stack.process.metricsServer!.url;
    // Real work: a connection whose first create answer is a 429, an onboarding, a named query,
    // a refused mutation, and a subscription left open while Prometheus scrapes.
    await stack.control('POST', '/faults', { method: 'POST', path: '/data/foundation/flowservice/connections', status: 429, count: 1 });
    const created = await stack.data(`mutation CreateStripeConnection($input: CreateConnectionInput!) { createConnection(input: $input) { ${OPERATION_FIELDS} } }`, {
      input: { name: uniqueName('metrics'), accessToken: STRIPE_KEY },
    });
    const done = await stack.waitForOperation(created.createConnection.id);
    assert.equal(done.status, 'SUCCEEDED', JSON.stringify(done.error));
    await stack.control('DELETE', '/faults');
    const onboarding = await onboardAndWait(stack, { name: uniqueName('metrics onboarding'), accessToken: STRIPE_KEY, resources: ['CHARGES'], schedule: { frequency: 'HOUR', interval: 1 } });
    assert.equal(onboarding.status, 'SUCCEEDED');
    await stack.data(`query ListConnections { connections(first: 5) { totalCount } }`);
    const refused = await stack.gql(`mutation { createConnection(input: { name: "", accessToken: "x" }) { id } }`);
    assert.ok(refused.errors?.length);
    await stack.data(`query { verifyAuditChain { ok } }`);

    const client = stack.wsClient();
    const received = new Promise<void>((resolve) => {
      client.subscribe(
        { query: `subscription($id: ID!) { operationUpdated(id: $id) { status } }`, variables: { id: created.createConnection.id } },
        { next: () => resolve(), error: () => resolve(), complete: () => undefined },
      );
    });
    await received;
    samples = await scrapeUntil(metricsUrl, (s) => total(s, 'flowgate_websocket_subscriptions', { topic: 'operationUpdated' }) === 1);
  });
  after(async () => {
    await worker.process?.stop();
    await stack.stop();
  });

  it('serves them on METRICS_PORT, apart from the API port, which has no /metrics', async () => {
    const apiPort = new URL(stack.url).port;
    assert.notEqual(String(stack.process.metricsServer!.port), apiPort);
    const onApi = await fetch(new URL('/metrics', stack.url));
    assert.notEqual(onApi.status, 200);
    assert.doesNotMatch(await onApi.text(), /flowgate_/);
    const response = await fetch(metricsUrl);
    assert.match(response.headers.get('content-type') ?? '', /^text\/plain; version=0\.0\.4/);
  });

  it('times GraphQL requests by operation type, name and result code', () => {
    assert.equal(total(samples, 'flowgate_graphql_request_duration_seconds_count', { operation_type: 'mutation', operation_name: 'CreateStripeConnection', code: 'OK' }), 1);
    assert.equal(total(samples, 'flowgate_graphql_request_duration_seconds_count', { operation_type: 'query', operation_name: 'ListConnections', code: 'OK' }), 1);
    // An anonymous operation is named after its root field.
    assert.ok(
      total(samples, 'flowgate_graphql_request_duration_seconds_count', { operation_type: 'mutation', operation_name: 'createConnection', code: 'BAD_USER_INPUT' }) >= 1,
      JSON.stringify(find(samples, 'flowgate_graphql_request_duration_seconds_count')),
    );
    assert.ok(total(samples, 'flowgate_http_request_duration_seconds_count', { route: '/graphql', method: 'POST', status: '200' }) >= 3);
  });

  it('counts open WebSocket connections and subscriptions by topic', () => {
    assert.equal(total(samples, 'flowgate_websocket_connections'), 1);
    assert.equal(total(samples, 'flowgate_websocket_subscriptions', { topic: 'operationUpdated' }), 1);
  });

  it('counts operations submitted and finished by type and status, with their duration, attempts and retries', () => {
    assert.ok(total(samples, 'flowgate_operations_submitted_total', { type: 'CREATE_CONNECTION' }) >= 2, 'the mutation and the onboarding each submitted one');
    assert.ok(total(samples, 'flowgate_operations_submitted_total', { type: 'CREATE_DATAFLOW' }) >= 1);
    assert.ok(total(samples, 'flowgate_operations_finished_total', { type: 'CREATE_CONNECTION', status: 'SUCCEEDED' }) >= 2);
    assert.ok(total(samples, 'flowgate_operation_duration_seconds_count', { type: 'CREATE_DATAFLOW', status: 'SUCCEEDED' }) >= 1);
    assert.ok(total(samples, 'flowgate_operation_attempts_count', { type: 'CREATE_CONNECTION' }) >= 2);
    assert.ok(
      find(samples, 'flowgate_operation_retries_total').every((s) => /^[A-Z_]+$/.test(s.labels.cause!)),
      'causes are error codes',
    );
  });

  it('times onboarding steps by kind and counts onboardings by status', () => {
    for (const kind of ['CREATE_CONNECTION', 'TEST_CONNECTION', 'EXPLORE', 'CREATE_DATASET', 'CREATE_DATAFLOW']) {
      assert.ok(total(samples, 'flowgate_onboarding_step_duration_seconds_count', { kind, status: 'SUCCEEDED' }) >= 1, kind);
    }
    assert.equal(total(samples, 'flowgate_onboardings', { status: 'SUCCEEDED' }), 1);
  });

  it('counts Platform calls by API, method, path template and status, with the 429, its retry and the wait', () => {
    assert.ok(total(samples, 'flowgate_platform_requests_total', { api: 'flow-service', method: 'POST', route: '/data/foundation/flowservice/connections', status: '429' }) >= 1);
    assert.ok(total(samples, 'flowgate_platform_requests_total', { api: 'flow-service', method: 'GET', route: '/data/foundation/flowservice/connections/{id}/explore' }) >= 1);
    assert.ok(total(samples, 'flowgate_platform_requests_total', { api: 'catalog', method: 'POST' }) >= 1);
    assert.ok(total(samples, 'flowgate_platform_requests_total', { api: 'schema-registry' }) >= 1);
    assert.ok(total(samples, 'flowgate_platform_requests_total', { api: 'data-prep' }) >= 1);
    assert.ok(total(samples, 'flowgate_platform_request_duration_seconds_count', { api: 'flow-service' }) >= 1);
    assert.ok(total(samples, 'flowgate_platform_throttled_total', { api: 'flow-service' }) >= 1);
    assert.ok(total(samples, 'flowgate_platform_retries_total', { api: 'flow-service', reason: '429' }) >= 1);
    assert.ok(find(samples, 'flowgate_platform_rate_limit_wait_seconds_total', { api: 'flow-service' }).length === 1);
    assert.ok(total(samples, 'flowgate_ims_token_requests_total', { result: 'issued' }) >= 1);
    assert.ok(total(samples, 'flowgate_platform_requests_total', { api: 'ims', status: '200' }) >= 1);
  });

  it('reports queue depths per queue and state, dependency readiness, audit events and chain verifications', () => {
    for (const queue of ['operations', 'onboardings', 'webhooks', 'maintenance']) {
      for (const state of ['waiting', 'active', 'delayed', 'failed']) assert.equal(find(samples, 'flowgate_queue_jobs', { queue, state }).length, 1, `${queue} ${state}`);
    }
    for (const dependency of ['postgresql', 'redis', 'platform_token']) assert.equal(total(samples, 'flowgate_dependency_ready', { dependency }), 1, dependency);
    assert.ok(total(samples, 'flowgate_audit_events_written_total') >= 5, JSON.stringify(find(samples, 'flowgate_audit_events_written_total')));
    // The query above, and the worker's scheduled verification.
    assert.ok(total(samples, 'flowgate_audit_chain_verifications_total', { result: 'ok' }) >= 1);
    assert.equal(total(samples, 'flowgate_audit_chain_intact'), 1);
  });

  it("includes Node's default process metrics", () => {
    assert.ok(find(samples, 'process_cpu_user_seconds_total').length === 1);
    assert.ok(find(samples, 'nodejs_eventloop_lag_seconds').length === 1);
  });

  it('never uses an id, a key or a secret as a label value', () => {
    // The key's secret part is everything after `fgk_<keyId>_` (base64url: it may itself hold `_`).
    const secrets = [stack.adminKey, STRIPE_KEY, stack.config.platform.clientSecret, parseApiKey(stack.adminKey)!.secret];
    for (const sample of samples) {
      for (const [label, value] of Object.entries(sample.labels)) {
        assert.doesNotMatch(value, UUID, `${sample.name}{${label}="${value}"}`);
        assert.doesNotMatch(value, /[0-9a-f]{16,}/i, `${sample.name}{${label}="${value}"}`);
        for (const secret of secrets) assert.ok(!value.includes(secret), `${sample.name}{${label}} carries a secret`);
      }
    }
  });

  it('are served by a worker process too, and a second process on a port already taken refuses to start', async () => {
    const spawned = await spawnFlowgate('worker', stack, { METRICS_PORT: 'any' });
    worker.process = spawned;
    const line = spawned.output.find((l) => l.includes('Prometheus metrics on port'));
    assert.ok(line, spawned.output.join('\n'));
    const workerUrl = (JSON.parse(line) as { url: string }).url;
    const workerSamples = await scrape(workerUrl);
    assert.equal(find(workerSamples, 'flowgate_queue_jobs', { queue: 'operations', state: 'waiting' }).length, 1);
    assert.equal(find(workerSamples, 'process_cpu_user_seconds_total').length, 1);

    const clash = launchFlowgate('worker', stack, { METRICS_PORT: String(stack.process.metricsServer!.port) });
    await assert.rejects(clash.ready, /METRICS_PORT \d+ is already in use/);
  });
});
