import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ReadinessCheck } from '../../src/gateway/readiness.js';
import { ImsTokenProvider } from '../../src/platform/ims-token-provider.js';
import { TestStack } from '../gateway/support/stack.js';
import { scrape, total } from './support/exposition.js';

describe('/readyz when the Platform refuses our credentials', () => {
  let stack: TestStack;
  let base: string;
  before(async () => {
    // PostgreSQL and Redis are fine; IMS refuses the client secret, so no token can be had.
    stack = await TestStack.start({ env: { AEP_CLIENT_SECRET: 'not-the-emulator-secret', METRICS_PORT: 'any' } });
    base = stack.url.replace('/graphql', '');
  });
  after(() => stack.stop());

  it('names the Platform token as the dependency that is not ready, to an authenticated caller', async () => {
    const response = await fetch(`${base}/readyz`, { headers: stack.auth(stack.adminKey) });
    assert.equal(response.status, 503);
    const report = (await response.json()) as { ready: boolean; notReady: string[]; checks: Record<string, { ok: boolean; dependency: string; error?: string }> };
    assert.equal(report.ready, false);
    assert.deepEqual(report.notReady, ['Platform token']);
    assert.equal(report.checks.platform!.ok, false);
    assert.equal(report.checks.database!.dependency, 'PostgreSQL');
    assert.equal(report.checks.redis!.ok, true);
    assert.ok(!JSON.stringify(report).includes('not-the-emulator-secret'), 'the secret is not echoed');
  });

  it('tells an unauthenticated caller only the verdict', async () => {
    const response = await fetch(`${base}/readyz`);
    assert.equal(response.status, 503);
    assert.deepEqual(await response.json(), { ready: false });
  });

  it('exposes the same as gauges: postgresql and redis ready, the Platform token not', async () => {
    const samples = await scrape(stack.process.metricsServer!.url);
    assert.equal(total(samples, 'flowgate_dependency_ready', { dependency: 'postgresql' }), 1);
    assert.equal(total(samples, 'flowgate_dependency_ready', { dependency: 'redis' }), 1);
    assert.equal(total(samples, 'flowgate_dependency_ready', { dependency: 'platform_token' }), 0);
    assert.ok(total(samples, 'flowgate_ims_token_requests_total', { result: 'failed' }) >= 1);
  });
});

describe('/readyz while IMS is down', () => {
  let stack: TestStack;
  let clock: number;
  let tokens: ImsTokenProvider;
  let readiness: ReadinessCheck;
  before(async () => {
    stack = await TestStack.start({ roles: { gateway: false, worker: false } });
    // A provider on a clock of the test's own, so its token can be due for refresh, or expired, at once.
    clock = Date.now();
    const { imsUrl, clientId, clientSecret } = stack.config.platform;
    tokens = new ImsTokenProvider({ imsUrl, clientId, clientSecret, now: () => clock });
    const { deps } = stack.process;
    readiness = new ReadinessCheck({ store: deps.store, redis: () => deps.redisConnections.verify(deps.redis), platform: { tokens } }, 0);
    await tokens.getToken();
    // IMS stops answering (a black-holed endpoint): each token request hangs longer than a probe waits.
    await stack.control('POST', '/faults', { path: '/ims/*', latencyMs: 4000 });
  });
  after(async () => {
    await stack.control('DELETE', '/faults');
    await tokens.close();
    await stack.stop();
  });

  it('counts a cached token that has not expired as ready, even when it is due for refresh', async () => {
    // The emulator's tokens last 86,399 s; the last 10 % of that is the refresh window.
    clock += 80_000 * 1000;
    const report = await readiness.check();
    assert.equal(report.ready, true, JSON.stringify(report));
    assert.deepEqual(report.notReady, []);
  });

  it('is not ready once that token expired and IMS issues no other', async () => {
    clock += 10_000 * 1000;
    const report = await readiness.check();
    assert.equal(report.ready, false);
    assert.deepEqual(report.notReady, ['Platform token']);
    assert.match(report.checks.platform.error ?? '', /timed out/);
  });
});
