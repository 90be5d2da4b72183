import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parse } from 'graphql';
import { Redis } from 'ioredis';
import { CallerRateLimiter, limitedFieldCounts } from '../../src/graphql/rate-limits.js';
import type { GatewayContext } from '../../src/graphql/context.js';

describe('limitedFieldCounts', () => {
  it('counts every mutation field, aliases and fragments included, but not __typename', () => {
    const document = parse(
      'mutation M { a: deleteDataflow(id: "1") { id } b: deleteDataflow(id: "2") { id } ...F ... on Mutation { retryOperation(id: "3") { id } } __typename } fragment F on Mutation { enableDataflow(id: "4") { id } }',
    );
    assert.deepEqual(limitedFieldCounts(document, 'M'), { mutations: 4, explore: 0 });
  });

  it('counts explore fields of the chosen query only', () => {
    const document = parse(
      'query A { x: explore(connectionId: "1", resource: CHARGES) { connectionId } y: explore(connectionId: "1", resource: PRICES) { connectionId } connections { totalCount } } query B { connections { totalCount } }',
    );
    assert.deepEqual(limitedFieldCounts(document, 'A'), { mutations: 0, explore: 2 });
    assert.deepEqual(limitedFieldCounts(document, 'B'), { mutations: 0, explore: 0 });
  });
});

describe('CallerRateLimiter', () => {
  it('lets requests through, and logs a warning, when Redis cannot be reached', async () => {
    const redis = new Redis({ host: '127.0.0.1', port: 1, lazyConnect: true, enableOfflineQueue: false, maxRetriesPerRequest: 0, retryStrategy: () => null });
    const warnings: unknown[] = [];
    const logger = { warn: (o: unknown) => warnings.push(o) } as never;
    const limiter = new CallerRateLimiter({ redis, keyPrefix: 'test', limits: { mutationsPerMinute: 1, explorePerMinute: 1 }, logger });
    const ctx = { actor: 'apikey:someone', caller: { id: 'apikey:someone' } } as GatewayContext;
    const document = parse('mutation { deleteDataflow(id: "1") { id } }');
    await limiter.consume(ctx, document, undefined);
    await limiter.consume(ctx, document, undefined);
    assert.equal(warnings.length, 2);
    redis.disconnect();
  });
});
