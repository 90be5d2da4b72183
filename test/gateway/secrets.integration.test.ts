import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { connect } from 'node:net';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Redis } from 'ioredis';
import { SecretBox } from '../../src/store/secret-box.js';
import { SecretStore } from '../../src/store/secret.store.js';
import { onboardStripe, waitForOnboarding } from './support/onboarding-reads.js';
import { OPERATION_FIELDS, REDIS_URL, TestStack, uniqueName, type GraphQLResult } from './support/stack.js';

const HOURLY = { frequency: 'HOUR', interval: 1, backfill: true };
const CREATE = `mutation($input: CreateConnectionInput!) { createConnection(input: $input) { ${OPERATION_FIELDS} } }`;
const UPDATE = `mutation($id: ID!, $input: UpdateConnectionInput!) { updateConnection(id: $id, input: $input) { ${OPERATION_FIELDS} } }`;

/** Distinctive tokens, one per way a token enters Flowgate. */
const TOKENS = {
  created: 'sk_test_ScanCreateConnection0001',
  onboarded: 'sk_test_ScanOnboardStripe000002',
  updated: 'sk_test_ScanUpdatedToken0000003',
  // The emulator's Stripe accepts only [A-Za-z0-9] after the prefix: this one fails the connection test.
  rejected: 'sk_test_ScanRejected-token-0004',
  badInput: 'sk_test_ScanBadInput000000005',
};

const CLI = path.resolve(__dirname, '../../src/cli/rotate-secrets.js');

describe('secrets', () => {
  describe('a scan of everything Flowgate stored, sent and logged after real work with known tokens', () => {
    let stack: TestStack;
    let monitor: RedisMonitor;
    /** Every Redis command any client sent while the work ran (MONITOR), as text. */
    const redisCommands: string[] = [];
    const responses: GraphQLResult[] = [];
    const gql = async (query: string, variables: Record<string, unknown> = {}) => {
      const result = await stack.gql(query, variables);
      responses.push(result);
      return result;
    };

    before(async () => {
      stack = await TestStack.start();
      monitor = await redisMonitor((line) => {
        if (Object.values(TOKENS).some((token) => line.includes(token))) redisCommands.push(line);
      });

      // createConnection, then a token update of the same connection.
      const created = (await gql(CREATE, { input: { name: uniqueName('Scan'), accessToken: TOKENS.created } })).data!.createConnection;
      assert.equal((await stack.waitForOperation(created.id)).status, 'SUCCEEDED');
      const updated = (await gql(UPDATE, { id: created.resourceId, input: { accessToken: TOKENS.updated } })).data!.updateConnection;
      assert.equal((await stack.waitForOperation(updated.id)).status, 'SUCCEEDED');

      // onboardStripe with a good token, and one whose connection test fails.
      const good = await onboardStripe(stack, { name: uniqueName('Scan onboarding'), accessToken: TOKENS.onboarded, resources: ['CHARGES'], schedule: HOURLY });
      responses.push(good);
      assert.equal((await waitForOnboarding(stack, good.data!.onboardStripe.id)).status, 'SUCCEEDED');
      const bad = await onboardStripe(stack, { name: uniqueName('Scan rejected'), accessToken: TOKENS.rejected, resources: ['CHARGES'], schedule: HOURLY });
      responses.push(bad);
      const failed = await waitForOnboarding(stack, bad.data!.onboardStripe.id);
      assert.ok(['FAILED', 'ROLLED_BACK'].includes(failed.status), failed.status);

      // Requests that graphql-js refuses while coercing or validating: they used to quote the value.
      for (const input of [
        { name: 'x', accessToken: TOKENS.badInput, unknownField: 1 },
        { name: 'x', accessToken: { nested: TOKENS.badInput } },
        { name: 'x', accessToken: [TOKENS.badInput] },
        { accessToken: TOKENS.badInput },
      ]) {
        const result = await gql(CREATE, { input });
        assert.equal(result.errors?.[0]?.extensions?.code, 'BAD_USER_INPUT', JSON.stringify(result));
      }
      const literal = await gql(`mutation { createConnection(input: { name: "x", accessToken: { v: "${TOKENS.badInput}" } }) { id } }`);
      assert.equal(literal.errors?.[0]?.extensions?.code, 'GRAPHQL_VALIDATION_FAILED');
      // And a validation error of our own (a name too long), with the token valid.
      const refused = await gql(CREATE, { input: { name: 'n'.repeat(201), accessToken: TOKENS.badInput } });
      assert.equal(refused.errors?.[0]?.extensions?.field, 'input.name');
    });
    after(async () => {
      monitor?.close();
      await stack?.stop();
    });

    it('finds no token in any column of any PostgreSQL table (as text, and as hex for bytea)', async () => {
      assert.ok(stack.config.platform.clientSecret.length >= 6);
      const tables = await stack.sql<{ schema: string; name: string }>(
        `SELECT table_schema AS schema, table_name AS name FROM information_schema.tables
         WHERE table_type = 'BASE TABLE' AND table_schema NOT IN ('pg_catalog', 'information_schema')`,
      );
      assert.ok(tables.some((t) => t.name === 'secrets') && tables.some((t) => t.name === 'operations'));
      const { n } = await stack.sqlRow<{ n: string }>('SELECT count(*)::text AS n FROM secrets');
      assert.ok(Number(n) >= 4, 'the tokens were stored, sealed');
      for (const { schema, name } of tables) {
        const rows = await stack.sql<{ row: string }>(`SELECT t::text AS row FROM "${schema}"."${name}" t`);
        const text = rows.map((r) => r.row).join('\n');
        for (const [kind, token] of [...Object.entries(TOKENS), ['AEP client secret', stack.config.platform.clientSecret] as const]) {
          assert.ok(!text.includes(token), `${schema}.${name} holds the ${kind} token in clear`);
          assert.ok(!text.includes(Buffer.from(token).toString('hex')), `${schema}.${name} holds the ${kind} token as bytes`);
        }
      }
    });

    it('finds no token in any Redis key of the namespace, whatever its type, nor in any Redis command sent meanwhile', async () => {
      const dump = await stack.redisDump();
      assert.ok(dump.size > 0, 'the namespace has keys (queues, events)');
      for (const [key, value] of dump)
        for (const [kind, token] of [...Object.entries(TOKENS), ['AEP client secret', stack.config.platform.clientSecret] as const])
          assert.ok(!value.includes(token) && !key.includes(token), `Redis key ${key} holds the ${kind} token`);
      // BullMQ job data lives only until the job completes: MONITOR saw every write as it happened.
      assert.deepEqual(redisCommands, []);
      // And it would have seen one: a control value written the same way is caught.
      const control = 'sk_test_ScanMonitorControl0006';
      const redis = new Redis(REDIS_URL);
      try {
        const watched = new Promise<void>((resolve) => monitor.watchers.push((line) => line.includes(control) && resolve()));
        await redis.set(`${stack.config.queuePrefix}:control`, control);
        await watched;
        await redis.del(`${stack.config.queuePrefix}:control`);
      } finally {
        redis.disconnect();
      }
    });

    it('finds no token in any log line', () => {
      assert.ok(stack.logLines.length > 0);
      const text = stack.logLines.join('\n');
      for (const [kind, token] of [...Object.entries(TOKENS), ['AEP client secret', stack.config.platform.clientSecret] as const])
        assert.ok(!text.includes(token), `a log line holds the ${kind} token`);
    });

    it('finds no token in any GraphQL response, nor anywhere a caller can read back', async () => {
      responses.push(
        await stack.gql(
          '{ connections { edges { node { id name description etag } } } operations(first: 100) { edges { node { message error { message field } } } } auditEvents(first: 100) { edges { node { before after changes { field before after } } } } onboardings(first: 20) { edges { node { name error { message } } } } }',
        ),
      );
      const text = JSON.stringify(responses);
      for (const [kind, token] of Object.entries(TOKENS)) assert.ok(!text.includes(token), `a response holds the ${kind} token`);
      assert.match(text, /got an invalid value at \\"input.accessToken\\"; String cannot represent this value\./, 'the masked message still names the field and the reason');
    });
  });

  describe('when IMS refuses the configured AEP client secret', () => {
    const wrongSecret = 'wrong-aep-client-secret-ScanAEP0007';
    let stack: TestStack;
    before(async () => {
      stack = await TestStack.start({ env: { AEP_CLIENT_SECRET: wrongSecret } });
    });
    after(() => stack.stop());

    it('fails the operation with PLATFORM_AUTH, and the secret is in no error, row, Redis key or log line', async () => {
      const queued = (await stack.data(CREATE, { input: { name: uniqueName('No IMS'), accessToken: TOKENS.created } })).createConnection;
      const failed = await stack.waitForOperation(queued.id);
      assert.equal(failed.status, 'FAILED');
      assert.equal(failed.error.code, 'PLATFORM_AUTH');
      const rows = await stack.sql<{ row: string }>(`SELECT o::text AS row FROM operations o UNION ALL SELECT a::text FROM audit_events a`);
      const everywhere = [JSON.stringify(failed), ...rows.map((r) => r.row), ...(await stack.redisDump()).values(), ...stack.logLines].join('\n');
      assert.match(everywhere, /IMS/);
      assert.ok(!everywhere.includes(wrongSecret));
    });
  });

  describe('key rotation', () => {
    const k1 = randomBytes(32).toString('hex');
    const k2 = randomBytes(32).toString('base64');
    const withK1 = { FLOWGATE_SECRET_KEY: k1, FLOWGATE_SECRET_KEY_ID: 'k1' };
    const k2AndK1 = { FLOWGATE_SECRET_KEY: k2, FLOWGATE_SECRET_KEY_ID: 'k2', FLOWGATE_PREVIOUS_SECRET_KEYS: `k1:${k1}` };
    const k2Only = { FLOWGATE_SECRET_KEY: k2, FLOWGATE_SECRET_KEY_ID: 'k2' };
    /** Gateway only, sealing with k1: operations it records wait for a worker. */
    let gateway: TestStack;
    const workers: TestStack[] = [];

    const startWorker = async (env: Record<string, string>) => {
      const worker = await TestStack.start({ shareWith: gateway, roles: { gateway: false, worker: true }, env });
      workers.push(worker);
      return worker;
    };
    const createConnection = async (name: string) => (await gateway.data(CREATE, { input: { name: uniqueName(name), accessToken: 'sk_test_51RotationToken0001' } })).createConnection;
    const keyIds = async () => (await gateway.sql<{ key_id: string }>('SELECT key_id FROM secrets ORDER BY key_id')).map((r) => r.key_id);
    const rotate = (env: Record<string, string>, args: string[] = []) => runCli(args, { DATABASE_URL: gateway.config.databaseUrl, ...env });

    before(async () => {
      gateway = await TestStack.start({ roles: { gateway: true, worker: false }, env: withK1 });
    });
    after(async () => {
      for (const worker of workers) await worker.process.stop();
      await gateway.stop();
    });

    it('a worker with k2 current and k1 previous opens the secrets sealed with k1', async () => {
      const queued = [await createConnection('Rotation A'), await createConnection('Rotation B')];
      assert.deepEqual(await keyIds(), ['k1', 'k1']);
      const worker = await startWorker(k2AndK1);
      for (const op of queued) assert.equal((await gateway.waitForOperation(op.id)).status, 'SUCCEEDED');
      await worker.process.stop();
      workers.splice(workers.indexOf(worker), 1);
    });

    it('secrets:rotate re-encrypts every secret with the current key, counting, and a second run changes nothing', async () => {
      // Recorded (sealed with k1) while no worker runs; it is processed after the rotation.
      const pending = await createConnection('Rotation C');
      // A webhook's signing secret is sealed with the same key, and rotates with the others.
      const { createWebhook } = await gateway.data('mutation { createWebhook(input: { url: "https://hooks.example.com/rotation", events: [ALERT_OPENED] }) { secret webhook { id } } }');
      const before = await gateway.sql<{ id: string; ciphertext: string }>('SELECT id, ciphertext FROM secrets ORDER BY id');
      const dry = await rotate(k2AndK1, ['--dry-run']);
      assert.equal(dry.code, 0, dry.stderr);
      assert.match(dry.stdout, /k1: 4 secret\(s\) \(would be rotated\)/);
      const first = await rotate(k2AndK1, ['--batch-size', '2']);
      assert.equal(first.code, 0, first.stderr);
      assert.match(first.stdout, /done: 4 secret\(s\) re-encrypted with key "k2", 0 already used it/);
      const [webhook] = await gateway.sql<{ id: string; secret_key_id: string; secret_ciphertext: string; secret_version: number }>('SELECT * FROM webhooks');
      assert.equal(webhook?.secret_key_id, 'k2');
      const k2Box = new SecretStore(new SecretBox({ id: 'k2', key: Buffer.from(k2, 'base64') }));
      assert.equal(
        k2Box.openWebhookSecret({ webhookId: webhook.id, version: webhook.secret_version, keyId: webhook.secret_key_id, ciphertext: webhook.secret_ciphertext }),
        createWebhook.secret,
        'the webhook signs with the same secret, now sealed with k2',
      );
      const after = await gateway.sql<{ id: string; ciphertext: string; key_id: string }>('SELECT id, ciphertext, key_id FROM secrets ORDER BY id');
      assert.deepEqual(
        after.map((r) => r.id),
        before.map((r) => r.id),
        'secrets keep their ids (operations refer to them)',
      );
      assert.ok(after.every((r, i) => r.key_id === 'k2' && r.ciphertext !== before[i]!.ciphertext));
      const second = await rotate(k2AndK1);
      assert.equal(second.code, 0, second.stderr);
      assert.match(second.stdout, /done: 0 secret\(s\) re-encrypted with key "k2", 4 already used it/);

      // k1 is gone from the configuration: the worker still opens the rotated secret.
      await startWorker(k2Only);
      assert.equal((await gateway.waitForOperation(pending.id)).status, 'SUCCEEDED');
      for (const line of [dry.stdout, first.stdout, first.stderr]) assert.ok(!line.includes(k1) && !line.includes(k2), 'the CLI prints no key material');
    });

    it('a secret sealed with a key the worker does not have fails its operation with a clear error, and rotation refuses', async () => {
      const orphan = await createConnection('Rotation D'); // sealed with k1; the running worker has only k2
      const failed = await gateway.waitForOperation(orphan.id);
      assert.equal(failed.status, 'FAILED');
      assert.equal(failed.error.code, 'PRECONDITION_FAILED');
      assert.match(failed.error.message, /sealed with key "k1", which this process does not have: add it to FLOWGATE_PREVIOUS_SECRET_KEYS/);
      assert.equal(failed.attempts, 1, 'a missing key is final, not retried');

      const refused = await rotate(k2Only);
      assert.equal(refused.code, 1);
      assert.match(refused.stderr, /refusing to rotate: 1 secret\(s\) use key "k1", which is neither FLOWGATE_SECRET_KEY_ID nor in FLOWGATE_PREVIOUS_SECRET_KEYS/);
      assert.deepEqual(await keyIds(), ['k1', 'k2', 'k2', 'k2'], 'nothing changed');

      const wrong = await rotate({ ...k2Only, FLOWGATE_PREVIOUS_SECRET_KEYS: `k1:${randomBytes(32).toString('hex')}` });
      assert.equal(wrong.code, 1);
      assert.match(wrong.stderr, /does not decrypt with key "k1"/);
    });

    it('secrets:rotate explains bad usage and bad configuration with exit status 2', async () => {
      const unknown = await rotate(k2Only, ['--shred']);
      assert.equal(unknown.code, 2);
      assert.match(unknown.stderr, /unknown argument: --shred[\s\S]*Usage: npm run secrets:rotate/);
      const batch = await rotate(k2Only, ['--batch-size', 'lots']);
      assert.equal(batch.code, 2);
      assert.match(batch.stderr, /--batch-size needs a whole number from 1 to 10000/);
      const badPrevious = await rotate({ ...k2Only, FLOWGATE_PREVIOUS_SECRET_KEYS: 'k1=abc' });
      assert.equal(badPrevious.code, 2);
      assert.match(badPrevious.stderr, /FLOWGATE_PREVIOUS_SECRET_KEYS: entry 1 must be id:key/);
      const remoteWithoutKey = await rotate({ AEP_CLIENT_ID: 'x', AEP_CLIENT_SECRET: 'y', AEP_ORG_ID: 'ABC@AdobeOrg' });
      assert.equal(remoteWithoutKey.code, 2);
      assert.match(remoteWithoutKey.stderr, /FLOWGATE_SECRET_KEY: required/);
      const help = await rotate(k2Only, ['--help']);
      assert.equal(help.code, 0);
      assert.match(help.stdout, /Usage: npm run secrets:rotate/);
    });
  });

  it('a gateway or worker configured for the real Platform refuses to start without FLOWGATE_SECRET_KEY', async () => {
    const result = await run(path.resolve(__dirname, '../../src/worker/main.js'), [], {
      AEP_CLIENT_ID: 'x',
      AEP_CLIENT_SECRET: 'do-not-print-this-secret',
      AEP_ORG_ID: 'ABC@AdobeOrg',
      DATABASE_URL: 'postgresql://postgres@127.0.0.1:1/none',
    });
    assert.equal(result.code, 2);
    assert.match(result.stderr, /FLOWGATE_SECRET_KEY: required when AEP credentials are configured/);
    assert.ok(!result.stderr.includes('do-not-print-this-secret') && !result.stdout.includes('do-not-print-this-secret'));
  });
});

function runCli(args: string[], env: Record<string, string>) {
  return run(CLI, args, env);
}

/** Runs a compiled entry point with only `env` (plus PATH), from a directory without a local key. */
function run(script: string, args: string[], env: Record<string, string>): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [script, ...args], { env: { PATH: process.env.PATH, ...env }, cwd: path.resolve(__dirname, '../..'), timeout: 30_000 }, (error, stdout, stderr) => {
      resolve({ code: error ? (typeof error.code === 'number' ? error.code : 1) : 0, stdout, stderr });
    });
  });
}

interface RedisMonitor {
  watchers: ((line: string) => void)[];
  close(): void;
}

/**
 * Redis MONITOR on a raw socket: every command any client sends, one `+<time> [db addr] "cmd" "arg"…`
 * line each (ioredis's own monitor() mode loses track of its replies under heavy traffic).
 */
function redisMonitor(onLine: (line: string) => void): Promise<RedisMonitor> {
  const url = new URL(REDIS_URL);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(url.port || 6379), url.hostname);
    const monitor: RedisMonitor = { watchers: [onLine], close: () => socket.destroy() };
    let buffered = '';
    let started = false;
    socket.setEncoding('latin1');
    socket.on('error', reject);
    socket.on('connect', () => socket.write('MONITOR\r\n'));
    socket.on('data', (chunk: string) => {
      buffered += chunk;
      const lines = buffered.split('\r\n');
      buffered = lines.pop()!;
      for (const line of lines) {
        if (!started) {
          if (line !== '+OK') return reject(new Error(`MONITOR answered ${line}`));
          started = true;
          resolve(monitor);
          continue;
        }
        for (const watcher of monitor.watchers) watcher(line);
      }
    });
  });
}
