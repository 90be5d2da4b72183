import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { freePort } from '../support/local-services.js';
import { TcpProxy } from '../support/tcp-proxy.js';
import { injectFaults, clearFaults, PATHS } from './support/onboarding-inventory.js';
import { REDIS_URL, TestStack } from './support/stack.js';

const STRIPE_KEY = 'sk_test_51SubscriptionGapKey00001';

/**
 * Redis pub/sub keeps nothing: what is published while a gateway's connection to Redis is down
 * never reaches it. A subscriber must not wait forever on a change it missed — once the
 * gateway is connected again, it re-reads the current state and sends it. Here the gateway
 * reaches Redis through a TCP proxy the test cuts, while the worker (on a direct connection)
 * finishes the work and announces it into the gap.
 */
describe('subscriptions across a lost Redis connection', () => {
  let stack: TestStack;
  let gateway: TestStack;
  let proxy: TcpProxy;
  let connectionId = '';
  before(async () => {
    stack = await TestStack.start();
    const redis = new URL(REDIS_URL);
    proxy = new TcpProxy(await freePort(), { host: redis.hostname, port: Number(redis.port || 6379) });
    await proxy.open();
    const viaProxy = new URL(REDIS_URL);
    viaProxy.port = String(proxy.port);
    gateway = await TestStack.start({ shareWith: stack, roles: { gateway: true, worker: false }, env: { REDIS_URL: viaProxy.toString() } });
  });
  after(async () => {
    await proxy.open();
    await gateway?.stop();
    await stack?.stop();
    await proxy.cut();
  });

  /** Resolves once the gateway logs that its subscriptions are back. */
  const restored = (since: number) =>
    (async () => {
      for (let i = 0; i < 200; i++) {
        if (gateway.logLines.slice(since).some((l) => l.includes('event subscriptions restored'))) return;
        await new Promise((r) => setTimeout(r, 50));
      }
      throw new Error('the gateway did not report its subscriptions restored');
    })();

  it('sends an operation its final state when it finished while the gateway could not hear it', async () => {
    // The create takes 1.5 s at the Platform: long enough to subscribe, then cut the gateway off.
    await injectFaults(stack, { method: 'POST', path: PATHS.connections, latencyMs: 1500, count: 1 });
    try {
      const { createConnection } = await stack.data('mutation($input: CreateConnectionInput!) { createConnection(input: $input) { id status } }', {
        input: { name: 'gap-connection', accessToken: STRIPE_KEY },
      });
      const messages: any[] = [];
      const client = gateway.wsClient();
      const first = new Promise<void>((resolve) => {
        client.subscribe(
          { query: 'subscription($id: ID!) { operationUpdated(id: $id) { id status updatedAt } }', variables: { id: createConnection.id } },
          {
            next: (value) => {
              messages.push(value.data?.operationUpdated ?? value.errors);
              resolve();
            },
            error: () => undefined,
            complete: () => undefined,
          },
        );
      });
      await first;
      assert.notEqual(messages[0].status, 'SUCCEEDED', 'the subscription started before the create finished');

      const cutAt = gateway.logLines.length;
      await proxy.cut();
      const finished = await stack.waitForOperation(createConnection.id);
      assert.equal(finished.status, 'SUCCEEDED');
      await new Promise((r) => setTimeout(r, 300));
      assert.ok(!messages.some((m) => m.status === 'SUCCEEDED'), 'no message can arrive while the gateway is cut off');

      await proxy.open();
      await restored(cutAt);
      for (let i = 0; i < 100 && !messages.some((m) => m.status === 'SUCCEEDED'); i++) await new Promise((r) => setTimeout(r, 50));
      const last = messages[messages.length - 1];
      assert.equal(last.status, 'SUCCEEDED', `messages: ${JSON.stringify(messages)}`);
      assert.equal(last.updatedAt, finished.updatedAt);
      assert.equal(messages.filter((m) => m.status === 'SUCCEEDED').length, 1, 'the final state is sent once');
    } finally {
      await clearFaults(stack);
    }
  });

  it('sends nothing new after the gap when nothing changed', async () => {
    const { createConnection } = await stack.data('mutation($input: CreateConnectionInput!) { createConnection(input: $input) { id } }', {
      input: { name: 'gap-quiet', accessToken: STRIPE_KEY },
    });
    const done = await stack.waitForOperation(createConnection.id);
    connectionId = done.resourceId as string;
    const messages: any[] = [];
    const client = gateway.wsClient();
    await new Promise<void>((resolve) => {
      client.subscribe(
        { query: 'subscription($id: ID!) { resourceChanged(type: CONNECTION, id: $id) { action state etag } }', variables: { id: connectionId } },
        {
          next: (value) => {
            messages.push(value.data?.resourceChanged ?? value.errors);
            resolve();
          },
          error: () => undefined,
          complete: () => undefined,
        },
      );
    });
    const cutAt = gateway.logLines.length;
    await proxy.cut();
    await new Promise((r) => setTimeout(r, 300));
    await proxy.open();
    await restored(cutAt);
    await new Promise((r) => setTimeout(r, 500));
    assert.deepEqual(
      messages.map((m) => m.action),
      ['CURRENT'],
    );

    // And the subscription still hears changes made after the gap.
    const { updateConnection } = await stack.data('mutation($id: ID!, $input: UpdateConnectionInput!) { updateConnection(id: $id, input: $input) { id } }', {
      id: connectionId,
      input: { description: 'after the gap' },
    });
    await stack.waitForOperation(updateConnection.id);
    for (let i = 0; i < 100 && messages.length < 2; i++) await new Promise((r) => setTimeout(r, 50));
    assert.equal(messages[1]?.action, 'UPDATED', `messages: ${JSON.stringify(messages)}`);
  });

  it('closes a socket whose key was revoked while the gateway could not hear the revocation', async () => {
    const key = await stack.createKey('revoked-in-gap', 'viewer');
    const client = gateway.wsClient({ authorization: `Bearer ${key}` });
    const closed = new Promise<number>((resolve) => client.on('closed', (event) => resolve((event as { code: number }).code)));
    await new Promise<void>((resolve) => {
      client.subscribe(
        { query: 'subscription($id: ID!) { resourceChanged(type: CONNECTION, id: $id) { action } }', variables: { id: connectionId } },
        { next: () => resolve(), error: () => undefined, complete: () => undefined },
      );
    });

    const cutAt = gateway.logLines.length;
    await proxy.cut();
    await stack.data('mutation { revokeApiKey(name: "revoked-in-gap") { id } }');
    await new Promise((r) => setTimeout(r, 300));
    const started = Date.now();
    await proxy.open();
    await restored(cutAt);
    // Without the gap check, the periodic re-check (60 s) would be the first to notice. A revoked
    // key is no credential at all: 4401, which clients take as final.
    assert.equal(await closed, 4401);
    assert.ok(Date.now() - started < 5000);
  });
});
