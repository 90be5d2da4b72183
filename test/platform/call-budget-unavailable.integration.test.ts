import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { Redis } from 'ioredis';
import { RedisCallBudget } from '../../src/platform/call-budget.js';
import type { PlatformLogger } from '../../src/platform/platform-logger.js';
import { PrivateRedis } from '../gateway/support/private-redis.js';
import { freePort } from '../support/local-services.js';

/**
 * The budget protects the Platform; it must not stop Flowgate when Redis cannot answer. With
 * Redis unreachable or silent, a Platform call goes ahead uncounted (at once, or after the
 * budget's Redis timeout), and the process says so once — not once per call.
 */
describe('the shared Platform call budget when Redis cannot answer', () => {
  const redises: Redis[] = [];
  const privateServers: PrivateRedis[] = [];
  after(async () => {
    for (const redis of redises) redis.disconnect();
    for (const server of privateServers) await server.stop();
  });

  /** A logger that keeps its warnings. */
  const recordingLogger = () => {
    const warnings: { fields: Record<string, unknown>; message: string }[] = [];
    const logger: PlatformLogger = { debug() {}, info() {}, error() {}, warn: (fields, message) => warnings.push({ fields, message }) };
    return { logger, warnings };
  };

  it('lets calls go at once while its Redis connection is not ready (nothing listens on the port), with one warning', async () => {
    const redis = new Redis({ port: await freePort(), host: '127.0.0.1', lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => 200 });
    redis.on('error', () => undefined);
    redises.push(redis);
    redis.connect().catch(() => undefined);
    const { logger, warnings } = recordingLogger();
    const budget = new RedisCallBudget({ redis, callsPerSecond: 1, orgId: 'org@AdobeOrg', logger });

    const started = Date.now();
    for (let i = 0; i < 5; i++) await budget.acquire('prod');
    // A budget of 1 call/s would have spaced five calls over about four seconds.
    assert.ok(Date.now() - started < 1000, `five calls took ${Date.now() - started} ms`);
    assert.equal(warnings.length, 1, JSON.stringify(warnings));
    assert.match(warnings[0]!.message, /call budget is unavailable; calls go ahead uncounted/);
  });

  it('lets a call go after its Redis timeout when Redis is connected but does not answer (CLIENT PAUSE on a private server)', async () => {
    const server = await PrivateRedis.start();
    privateServers.push(server);
    const redis = new Redis(server.url, { maxRetriesPerRequest: 0 });
    redis.on('error', () => undefined);
    redises.push(redis);
    await redis.ping();
    const admin = new Redis(server.url);
    redises.push(admin);
    const { logger, warnings } = recordingLogger();
    const budget = new RedisCallBudget({ redis, callsPerSecond: 1, orgId: 'org@AdobeOrg', redisTimeoutMs: 300, logger });

    await admin.call('CLIENT', 'PAUSE', '2000', 'ALL');
    const started = Date.now();
    await budget.acquire('prod');
    const waited = Date.now() - started;
    assert.ok(waited >= 250 && waited < 1900, `the call went after ${waited} ms: not at the budget's Redis timeout (300 ms)`);
    assert.equal(warnings.length, 1, JSON.stringify(warnings));
    assert.match(String(warnings[0]!.fields.err), /no answer from Redis within 300 ms/);
  });
});
