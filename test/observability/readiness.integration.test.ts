import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
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
