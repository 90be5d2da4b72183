import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { chromium, type Browser } from 'playwright-core';
import { Redis } from 'ioredis';
import { TestStack } from './support/stack.js';

/** Debian's chromium (.ci/run installs it when missing); playwright's own browser downloads are not used. */
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
/** Screenshots are kept here (gitignored) as the test's artifacts. */
const ARTIFACTS = path.resolve(__dirname, '../../../test-artifacts');

describe('the queue dashboard (Bull Board) in a real browser', () => {
  let stack: TestStack;
  let browser: Browser;
  let base: string;
  before(async () => {
    stack = await TestStack.start();
    base = stack.url.replace('/graphql', '');
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
    mkdirSync(ARTIFACTS, { recursive: true });
  });
  after(async () => {
    await browser?.close();
    await stack.stop();
  });

  it('sends a browser without a session cookie to the sign-in page, and refuses its API calls', async () => {
    const page = await browser.newPage();
    await page.goto(`${base}/admin/queues`);
    assert.equal(new URL(page.url()).pathname, '/admin/sign-in');
    assert.ok(await page.getByLabel('Admin API key').isVisible());
    await page.close();
    const api = await fetch(`${base}/admin/queues/api/queues`);
    assert.equal(api.status, 401);
    const forged = await fetch(`${base}/admin/queues/api/queues`, { headers: { cookie: 'flowgate_admin_session=made-up' } });
    assert.equal(forged.status, 401);
  });

  it('refuses a key that is not an admin key', async () => {
    const operatorKey = await stack.createKey('dashboard-operator', 'operator');
    const context = await browser.newContext();
    const page = await context.newPage();
    await page.goto(`${base}/admin/sign-in`);
    await page.getByLabel('Admin API key').fill(operatorKey);
    const [response] = await Promise.all([page.waitForResponse((r) => r.url().endsWith('/admin/sign-in') && r.request().method() === 'POST'), page.getByRole('button', { name: 'Sign in' }).click()]);
    assert.equal(response.status(), 403);
    assert.match(await page.locator('#problem').innerText(), /not an admin key/);
    assert.deepEqual(await context.cookies(), []);
    await context.close();
  });

  it('signs an admin key in with an HttpOnly, SameSite=Strict, short-lived cookie, shows the operations queue, and ends with the key', async () => {
    const name = 'dashboard-admin';
    const adminKey = await stack.createKey(name, 'admin');
    const context = await browser.newContext();
    const page = await context.newPage();
    await page.goto(`${base}/admin/sign-in`);
    await page.getByLabel('Admin API key').fill(adminKey);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL(`${base}/admin/queues/**`);
    await page.getByText('operations', { exact: true }).first().click({ timeout: 15_000 });
    await page.waitForURL(`${base}/admin/queues/queue/operations**`);
    await page
      .getByText(/waiting/i)
      .first()
      .waitFor({ timeout: 15_000 });
    await page.waitForLoadState('networkidle');
    await page.screenshot({ path: path.join(ARTIFACTS, 'queue-dashboard.png'), fullPage: true });

    const [cookie] = await context.cookies();
    assert.ok(cookie);
    assert.equal(cookie.name, 'flowgate_admin_session');
    assert.equal(cookie.httpOnly, true);
    assert.equal(cookie.sameSite, 'Strict');
    assert.equal(cookie.path, '/admin');
    const lifetime = cookie.expires - Date.now() / 1000;
    assert.ok(lifetime > 800 && lifetime <= 900, `lasts ${lifetime} s`);

    // Redis keeps the token's hash only.
    const redis = new Redis(stack.config.redisUrl);
    try {
      const keys = await redis.keys(`${stack.config.redisNamespace}:admin-session:*`);
      assert.deepEqual(keys, [`${stack.config.redisNamespace}:admin-session:${createHash('sha256').update(cookie.value).digest('hex')}`]);
      assert.ok(!(await redis.get(keys[0]!))!.includes(cookie.value));
    } finally {
      redis.disconnect();
    }
    const queues = await page.request.get(`${base}/admin/queues/api/queues`);
    assert.equal(queues.status(), 200);
    assert.ok(((await queues.json()) as { queues: { name: string }[] }).queues.some((q) => q.name === 'operations'));

    // Revoking the key ends its dashboard sessions.
    await stack.data('mutation($name: String) { revokeApiKey(name: $name) { revokedAt } }', { name });
    assert.equal((await page.request.get(`${base}/admin/queues/api/queues`)).status(), 401);
    await context.close();
  });
});
