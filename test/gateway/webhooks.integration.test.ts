import assert from 'node:assert/strict';
import { createHmac, timingSafeEqual } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { onboardStripe, waitForOnboarding } from './support/onboarding-reads.js';
import { buildFlowChain, freezeEmulatorClock, mutateAndWait } from './support/prerequisites.js';
import { OPERATION_FIELDS, TestStack, uniqueName, type GraphQLResult } from './support/stack.js';

const WEBHOOK = 'id url events sandbox description enabled secretVersion secretRotatedAt createdAt createdBy updatedAt';
const DELIVERY = 'id webhookId event status body attemptCount lastStatusCode lastError createdAt finishedAt attempts { number at statusCode latencyMs error }';
const CREATE = `mutation($input: CreateWebhookInput!) { createWebhook(input: $input) { secret webhook { ${WEBHOOK} } } }`;

interface Received {
  deliveryId: string;
  event: string;
  body: any;
  raw: string;
  signature: string;
  signatureValid: boolean;
}

/**
 * A webhook receiver as a user would write one: a real HTTP server that verifies the
 * Flowgate-Signature header with the webhook's secret (HMAC-SHA256 of "t.body", t within five
 * minutes), and processes each delivery id once however often it arrives.
 */
class Receiver {
  readonly requests: Received[] = [];
  /** Deliveries processed, de-duplicated by delivery id. */
  readonly processed = new Map<string, Received>();
  secret = '';
  private failing = 0;
  private server!: Server;
  url = '';

  async start(): Promise<this> {
    this.server = createServer((request, response) => {
      const chunks: Buffer[] = [];
      request.on('data', (c: Buffer) => chunks.push(c));
      request.on('end', () => {
        const raw = Buffer.concat(chunks).toString('utf8');
        const received: Received = {
          deliveryId: String(request.headers['flowgate-delivery']),
          event: String(request.headers['flowgate-event']),
          body: JSON.parse(raw),
          raw,
          signature: String(request.headers['flowgate-signature'] ?? ''),
          signatureValid: verify(String(request.headers['flowgate-signature'] ?? ''), raw, this.secret),
        };
        this.requests.push(received);
        if (!received.signatureValid) {
          response.statusCode = 400;
          response.end('bad signature');
          return;
        }
        // Processed first, then (sometimes) answered 500: the sender retries, and the retry is a duplicate.
        if (!this.processed.has(received.deliveryId)) this.processed.set(received.deliveryId, received);
        response.statusCode = this.failing > 0 ? 500 : 200;
        if (this.failing > 0) this.failing--;
        response.end();
      });
    });
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/flowgate`;
    return this;
  }

  /** Answers the next `n` requests with 500. */
  failNext(n: number): void {
    this.failing = n;
  }

  of(event: string): Received[] {
    return [...this.processed.values()].filter((r) => r.event === event);
  }

  async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise((resolve) => this.server.close(resolve));
  }
}

/** What a receiver does with Flowgate-Signature: t=<unix>,v1=<hex HMAC-SHA256 of "t.body">. */
function verify(header: string, body: string, secret: string): boolean {
  const fields = new Map<string, string[]>();
  for (const part of header.split(',')) {
    const [key, value] = part.split('=');
    if (key && value) fields.set(key, [...(fields.get(key) ?? []), value]);
  }
  const t = Number(fields.get('t')?.[0]);
  if (!Number.isInteger(t) || Math.abs(Date.now() / 1000 - t) > 300) return false;
  const expected = createHmac('sha256', secret).update(`${t}.${body}`).digest();
  return (fields.get('v1') ?? []).some((v) => /^[0-9a-f]{64}$/.test(v) && timingSafeEqual(Buffer.from(v, 'hex'), expected));
}

async function deliveriesOf(stack: TestStack, webhookId: string, headers: Record<string, string> = {}): Promise<any[]> {
  const { webhookDeliveries } = await stack.data(`query($id: ID!) { webhookDeliveries(webhookId: $id, first: 100) { edges { node { ${DELIVERY} } } } }`, { id: webhookId }, headers);
  return webhookDeliveries.edges.map((e: any) => e.node);
}

/** Polls until the delivery leaves PENDING. */
async function settled(stack: TestStack, webhookId: string, deliveryId: string, timeoutMs = 30_000): Promise<any> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const delivery = (await deliveriesOf(stack, webhookId)).find((d) => d.id === deliveryId);
    if (delivery && delivery.status !== 'PENDING') return delivery;
    if (Date.now() > deadline) throw new Error(`delivery ${deliveryId} still pending: ${JSON.stringify(delivery)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Polls until the receiver processed an event matching `test`. */
async function received(receiver: Receiver, event: string, test: (r: Received) => boolean = () => true, timeoutMs = 30_000): Promise<Received> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const found = receiver.of(event).find(test);
    if (found) return found;
    if (Date.now() > deadline) throw new Error(`no ${event} received; got ${JSON.stringify(receiver.requests.map((r) => r.event))}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('webhooks', () => {
  let stack: TestStack;
  let receiver: Receiver;
  let webhookId: string;
  /** Every GraphQL answer of this suite but the two that show a secret once (scanned at the end). */
  const responses: GraphQLResult[] = [];
  const secretsShown: string[] = [];
  const gql = async (query: string, variables: Record<string, unknown> = {}, headers: Record<string, string> = {}) => {
    const result = await stack.gql(query, variables, headers);
    responses.push(result);
    return result;
  };

  before(async () => {
    stack = await TestStack.start({ env: { WEBHOOK_ALLOW_PRIVATE_NETWORKS: 'true' } });
    receiver = await new Receiver().start();
  });
  after(async () => {
    await receiver?.stop();
    await stack?.stop();
  });

  describe('managing them', () => {
    it('createWebhook (admin) answers with the signing secret, once; webhooks lists it without', async () => {
      const result = await stack.gql(CREATE, { input: { url: receiver.url, events: ['ALERT_OPENED', 'ALERT_RESOLVED', 'OPERATION_FAILED', 'ONBOARDING_FINISHED'], description: 'on-call' } });
      assert.equal(result.errors, undefined, JSON.stringify(result.errors));
      const { secret, webhook } = result.data.createWebhook;
      assert.match(secret, /^whsec_[A-Za-z0-9_-]{43}$/);
      secretsShown.push(secret);
      receiver.secret = secret;
      webhookId = webhook.id;
      assert.deepEqual([webhook.url, webhook.sandbox, webhook.enabled, webhook.secretVersion, webhook.createdBy], [receiver.url, 'prod', true, 1, `apikey:${stack.adminKeyName}`]);
      const listed = (await gql(`{ webhooks { ${WEBHOOK} } }`)).data.webhooks;
      assert.deepEqual(
        listed.map((w: any) => w.id),
        [webhookId],
      );
      const audit = (await gql('{ auditEvents(first: 5, filter: { resourceType: WEBHOOK }) { edges { node { action actor after } } } }')).data.auditEvents.edges.map((e: any) => e.node);
      assert.deepEqual(
        audit.map((e: any) => e.action),
        ['CREATED'],
      );
      assert.equal(audit[0].after.urlHost, new URL(receiver.url).host);
      assert.ok(!JSON.stringify(audit).includes(receiver.url), 'the audit trail keeps the host and a fingerprint, not the URL');
    });

    it('is for admins: viewers and operators are refused every webhook field', async () => {
      for (const role of ['viewer', 'operator'] as const) {
        const key = await stack.createKey(uniqueName(`wh-${role}`).replace(/ /g, '-'), role);
        for (const query of [`{ webhooks { id } }`, `{ webhookDeliveries(webhookId: "${webhookId}") { totalCount } }`, `mutation { testWebhook(id: "${webhookId}") { id } }`]) {
          const refused = await stack.gql(query, {}, stack.auth(key));
          assert.equal(refused.errors?.[0]?.extensions?.code, 'FORBIDDEN', `${role}: ${query}`);
        }
      }
    });

    it('refuses bad input with a typed error naming the field', async () => {
      const cases: [Record<string, unknown>, string][] = [
        [{ url: 'ftp://example.com/x', events: ['ALERT_OPENED'] }, 'input.url'],
        [{ url: 'https://user:pw@example.com/x', events: ['ALERT_OPENED'] }, 'input.url'],
        [{ url: receiver.url, events: [] }, 'input.events'],
        [{ url: receiver.url, events: ['ALERT_OPENED'], description: 'd'.repeat(501) }, 'input.description'],
        [{ url: receiver.url, events: ['ALERT_OPENED'], sandbox: 'Not A Sandbox' }, 'input.sandbox'],
      ];
      for (const [input, field] of cases) {
        const refused = await gql(CREATE, { input });
        assert.equal(refused.errors?.[0]?.extensions?.code, 'BAD_USER_INPUT', JSON.stringify(input));
        assert.equal(refused.errors?.[0]?.extensions?.field, field);
      }
      const unknown = await gql(`mutation { updateWebhook(id: "00000000-0000-4000-8000-000000000000", input: { enabled: false }) { id } }`);
      assert.equal(unknown.errors?.[0]?.extensions?.code, 'NOT_FOUND');
      const nothing = await gql(`mutation($id: ID!) { updateWebhook(id: $id, input: {}) { id } }`, { id: webhookId });
      assert.equal(nothing.errors?.[0]?.extensions?.field, 'input');
    });
  });

  describe('deliveries', () => {
    it('testWebhook answers at once with a PENDING delivery; the receiver gets it signed, and webhookDeliveries shows the attempt', async () => {
      const { testWebhook } = (await gql(`mutation($id: ID!) { testWebhook(id: $id) { ${DELIVERY} } }`, { id: webhookId })).data;
      assert.equal(testWebhook.event, 'WEBHOOK_TEST');
      assert.ok(['PENDING', 'SUCCEEDED'].includes(testWebhook.status));
      const done = await settled(stack, webhookId, testWebhook.id);
      assert.equal(done.status, 'SUCCEEDED');
      assert.equal(done.attemptCount, 1);
      assert.deepEqual(
        done.attempts.map((a: any) => [a.number, a.statusCode, a.error]),
        [[1, 200, null]],
      );
      assert.ok(Number.isInteger(done.attempts[0].latencyMs) && done.attempts[0].latencyMs >= 0);
      const got = await received(receiver, 'WEBHOOK_TEST', (r) => r.deliveryId === testWebhook.id);
      assert.equal(got.signatureValid, true);
      assert.equal(got.body.id, testWebhook.id, 'the body names its delivery id, under the signature');
      assert.equal(got.raw, done.body, 'the receiver got exactly the recorded body');
      assert.equal(got.body.sandbox, 'prod');
    });

    it('retries after a 500, with the same delivery id and body each time, until a 2xx; the receiver de-duplicates by delivery id', async () => {
      receiver.failNext(2);
      const before = receiver.requests.length;
      const { testWebhook } = (await gql(`mutation($id: ID!) { testWebhook(id: $id) { id } }`, { id: webhookId })).data;
      const done = await settled(stack, webhookId, testWebhook.id);
      assert.equal(done.status, 'SUCCEEDED');
      assert.deepEqual(
        done.attempts.map((a: any) => a.statusCode),
        [500, 500, 200],
      );
      assert.equal(done.attempts[0].error, 'the receiver answered 500');
      const attempts = receiver.requests.slice(before).filter((r) => r.deliveryId === testWebhook.id);
      assert.equal(attempts.length, 3, 'at least once: three requests reached the receiver');
      assert.ok(attempts.every((a) => a.signatureValid && a.raw === attempts[0]!.raw));
      assert.equal(receiver.of('WEBHOOK_TEST').filter((r) => r.deliveryId === testWebhook.id).length, 1, 'processed once');
    });

    it('a delivery recorded while Redis could not take its job is sent by the reconciler: at least once', async () => {
      const { webhooks, webhooksQueue } = stack.process.deps;
      // Recorded in PostgreSQL but never enqueued, as when Redis is down, flushed or restarted empty.
      const [deliveryId] = await webhooks.record([{ type: 'WEBHOOK_TEST', key: `WEBHOOK_TEST:lost-${Date.now()}`, sandbox: 'prod', webhookId, data: { lost: true } }]);
      assert.ok(deliveryId);
      assert.ok(!(await webhooksQueue.getJob(deliveryId)), 'no job exists for it');
      assert.ok((await webhooks.reconcile(0)) >= 1);
      assert.equal((await settled(stack, webhookId, deliveryId)).status, 'SUCCEEDED');
      assert.equal((await received(receiver, 'WEBHOOK_TEST', (r) => r.deliveryId === deliveryId)).body.data.lost, true);
    });

    it('a failed operation reaches OPERATION_FAILED subscribers, without its input', async () => {
      await stack.control('POST', '/faults', { method: 'POST', path: '/data/foundation/flowservice/connections', status: 400, count: 1 });
      const token = 'sk_test_WebhookOperationFailed01';
      const queued = (await gql(`mutation($input: CreateConnectionInput!) { createConnection(input: $input) { ${OPERATION_FIELDS} } }`, { input: { name: uniqueName('Refused'), accessToken: token } }))
        .data.createConnection;
      assert.equal((await stack.waitForOperation(queued.id)).status, 'FAILED');
      const got = await received(receiver, 'OPERATION_FAILED', (r) => r.body.data.operation.id === queued.id);
      assert.equal(got.signatureValid, true);
      assert.deepEqual([got.body.data.operation.type, got.body.data.operation.status, got.body.data.operation.error.code], ['CREATE_CONNECTION', 'FAILED', 'PLATFORM_REJECTED']);
      assert.ok(!got.raw.includes(token));
    });

    it('a finished onboarding reaches ONBOARDING_FINISHED subscribers', async () => {
      const started = await onboardStripe(stack, {
        name: uniqueName('Hooked onboarding'),
        accessToken: 'sk_test_WebhookOnboarding0001',
        resources: ['CHARGES'],
        schedule: { frequency: 'HOUR', interval: 1 },
      });
      const id = started.data!.onboardStripe.id;
      assert.equal((await waitForOnboarding(stack, id)).status, 'SUCCEEDED');
      const got = await received(receiver, 'ONBOARDING_FINISHED', (r) => r.body.data.onboarding.id === id);
      assert.equal(got.body.data.onboarding.status, 'SUCCEEDED');
      assert.equal(got.signatureValid, true);
    });

    it('an alert the watchdog opens or resolves reaches the receiver, signed, naming the dataflow', async () => {
      const chain = await buildFlowChain(stack);
      const start = (await freezeEmulatorClock(stack)) + 60;
      const name = uniqueName('Hooked flow');
      const { resourceId: dataflowId } = await mutateAndWait(stack, 'createDataflow', 'CreateDataflowInput', {
        name,
        sourceConnectionId: chain.source.id,
        targetConnectionId: chain.target.id,
        mappingId: chain.mapping.id,
        schedule: { frequency: 'HOUR', interval: 1, startTime: new Date(start * 1000).toISOString() },
      });
      await stack.control('POST', '/faults', { path: '/data/foundation/flowservice/runs*', status: 503 });
      await stack.control('POST', '/clock', { advanceSeconds: 3 * 3600 });
      await stack.syncRuns();
      // The onboarding's dataflow (above) is late too: one delivery per opened alert.
      const pass = await stack.watchdogPass();
      assert.equal(pass.deliveries, pass.opened);
      const opened = await received(receiver, 'ALERT_OPENED', (r) => r.body.data.dataflow.id === dataflowId);
      assert.equal(opened.signatureValid, true);
      assert.deepEqual([opened.body.data.alert.health, opened.body.data.alert.severity, opened.body.data.dataflow.name], ['LATE', 'CRITICAL', name]);

      await stack.control('DELETE', '/faults');
      await stack.syncRuns();
      await stack.watchdogPass();
      const resolved = await received(receiver, 'ALERT_RESOLVED', (r) => r.body.data.dataflow.id === dataflowId);
      assert.equal(resolved.body.data.alert.id, opened.body.data.alert.id);
      assert.equal(resolved.body.data.alert.status, 'RESOLVED');
    });

    it('rotateWebhookSecret shows the new secret once; deliveries from then on verify with it only', async () => {
      const result = await stack.gql(`mutation($id: ID!) { rotateWebhookSecret(id: $id) { secret webhook { secretVersion secretRotatedAt } } }`, { id: webhookId });
      const { secret, webhook } = result.data.rotateWebhookSecret;
      secretsShown.push(secret);
      assert.notEqual(secret, receiver.secret);
      assert.equal(webhook.secretVersion, 2);
      const old = receiver.secret;
      receiver.secret = secret;
      const { testWebhook } = (await gql(`mutation($id: ID!) { testWebhook(id: $id) { id } }`, { id: webhookId })).data;
      assert.equal((await settled(stack, webhookId, testWebhook.id)).status, 'SUCCEEDED');
      const got = receiver.requests.find((r) => r.deliveryId === testWebhook.id)!;
      assert.equal(verify(got.signature, got.raw, secret), true);
      assert.equal(verify(got.signature, got.raw, old), false, 'the old secret no longer verifies');
    });

    it('a disabled webhook gets nothing (testWebhook is refused); a deleted one is gone from the list', async () => {
      const disabled = (await gql(`mutation($id: ID!) { updateWebhook(id: $id, input: { enabled: false }) { enabled } }`, { id: webhookId })).data.updateWebhook;
      assert.equal(disabled.enabled, false);
      const refused = await gql(`mutation($id: ID!) { testWebhook(id: $id) { id } }`, { id: webhookId });
      assert.equal(refused.errors?.[0]?.extensions?.code, 'PRECONDITION_FAILED');
      await gql(`mutation($id: ID!) { deleteWebhook(id: $id) { id } }`, { id: webhookId });
      assert.deepEqual((await gql('{ webhooks { id } }')).data.webhooks, []);
      const audit = (await gql('{ auditEvents(first: 10, filter: { resourceType: WEBHOOK }) { edges { node { action } } } }')).data.auditEvents.edges.map((e: any) => e.node.action);
      assert.deepEqual(audit, ['DELETED', 'UPDATED', 'SECRET_ROTATED', 'CREATED']);
    });
  });

  describe('the signing secrets', () => {
    it('appear in no log line, no other response, no Redis key and no database column in clear', async () => {
      assert.equal(secretsShown.length, 2);
      const logs = stack.logLines.join('\n');
      const redis = [...(await stack.redisDump()).entries()].flat().join('\n');
      const tables = await stack.sql<{ name: string }>(`SELECT table_name AS name FROM information_schema.tables WHERE table_schema = 'public' AND table_type = 'BASE TABLE'`);
      let database = '';
      for (const { name } of tables) database += (await stack.sql<{ row: string }>(`SELECT t::text AS row FROM "${name}" t`)).map((r) => r.row).join('\n');
      assert.match(database, /whsec|webhook/i, 'the scan reads the webhook tables');
      for (const secret of secretsShown) {
        const bare = secret.slice('whsec_'.length);
        for (const [where, text] of [
          ['a log line', logs],
          ['a GraphQL response', JSON.stringify(responses)],
          ['Redis', redis],
          ['PostgreSQL', database],
        ] as const) {
          assert.ok(!text.includes(bare), `${where} holds a webhook secret`);
          assert.ok(!text.includes(Buffer.from(secret).toString('hex')), `${where} holds a webhook secret as bytes`);
        }
      }
      assert.ok(!stack.logLines.some((l) => /flowgate-signature|v1=[0-9a-f]{64}/i.test(l)), 'signatures are not logged');
    });
  });
});

describe('webhooks without WEBHOOK_ALLOW_PRIVATE_NETWORKS', () => {
  let stack: TestStack;
  let receiver: Receiver;
  before(async () => {
    stack = await TestStack.start();
    receiver = await new Receiver().start();
  });
  after(async () => {
    await receiver?.stop();
    await stack?.stop();
  });

  it('refuses a URL naming a private, loopback or link-local address, or localhost, naming input.url', async () => {
    for (const url of [
      receiver.url,
      'http://[::1]:8080/x',
      'http://169.254.169.254/latest/meta-data/',
      'http://10.0.0.8/hook',
      'http://192.168.1.20/hook',
      'http://localhost:9000/hook',
      'http://[::ffff:127.0.0.1]/hook',
    ]) {
      const refused = await stack.gql(CREATE, { input: { url, events: ['ALERT_OPENED'] } });
      assert.equal(refused.errors?.[0]?.extensions?.code, 'BAD_USER_INPUT', url);
      assert.equal(refused.errors?.[0]?.extensions?.field, 'input.url');
    }
    assert.equal((await stack.sqlRow<{ n: number }>('SELECT count(*)::int AS n FROM webhooks')).n, 0);
  });

  it('refuses at delivery a host that now points at a loopback address, once and for good, and sends nothing', async () => {
    const created = await stack.data(CREATE, { input: { url: 'https://hooks.example.com/flowgate', events: ['ALERT_OPENED'] } });
    const id = created.createWebhook.webhook.id;
    // As if the name had been re-pointed at the deployment's own network after the webhook was made.
    await stack.sql('UPDATE webhooks SET url = $2 WHERE id = $1', [id, receiver.url.replace('127.0.0.1', 'localhost')]);
    const { testWebhook } = await stack.data(`mutation($id: ID!) { testWebhook(id: $id) { id } }`, { id });
    const done = await settled(stack, id, testWebhook.id);
    assert.equal(done.status, 'FAILED');
    assert.equal(done.attemptCount, 1, 'no retry can make it allowed');
    assert.equal(done.attempts[0].statusCode, null);
    assert.match(done.attempts[0].error, /^refused: /);
    assert.equal(receiver.requests.length, 0);
  });
});
