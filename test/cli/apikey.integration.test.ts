import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Redis } from 'ioredis';
import { after, describe, it } from 'node:test';
import { Client } from 'pg';
import { ApiKeyService } from '../../src/auth/api-key.service.js';
import { ensureFirstAdminKey } from '../../src/auth/bootstrap-key.js';
import { createLogger } from '../../src/logging/logger.js';
import { applyMigrations, ensureDatabase } from '../../src/store/migrations.js';
import { createDatabase } from '../../src/store/prisma.js';
import { SecretBox } from '../../src/store/secret-box.js';
import { Store } from '../../src/store/store.js';
import { dropDatabase, PG_ADMIN_URL, REDIS_URL, withDatabase } from '../gateway/support/stack.js';
import { freePort } from '../support/local-services.js';

// This file runs from dist/test/cli; the CLI is dist/src/cli/apikey.js.
const CLI = path.resolve(__dirname, '../../src/cli/apikey.js');

function run(args: string[], databaseUrl: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [CLI, ...args], {
      env: { PATH: process.env.PATH ?? '', DATABASE_URL: databaseUrl, REDIS_URL, QUEUE_PREFIX: `fgcli-${randomBytes(3).toString('hex')}`, USER: 'tester' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    child.on('exit', (code) => resolve({ code, stdout, stderr }));
  });
}

async function query<T = any>(url: string, text: string, params: unknown[] = []): Promise<T[]> {
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query(text, params)).rows as T[];
  } finally {
    await client.end();
  }
}

describe('npm run apikey', () => {
  const name = `fg_cli_${randomBytes(5).toString('hex')}`;
  const url = withDatabase(PG_ADMIN_URL, name);
  after(() => dropDatabase(name));

  it('creates a key (migrating a fresh database first), printing it once; only its hash is stored', async () => {
    const result = await run(['create', '--name', 'ci-bot', '--role', 'operator', '--sandbox', 'prod', '--sandbox', 'dev', '--expires', '2099-01-01'], url);
    assert.equal(result.code, 0, result.stderr);
    const keys = result.stdout.match(/fgk_[0-9a-f]{16}_[A-Za-z0-9_-]{43}/g) ?? [];
    assert.equal(keys.length, 1, result.stdout);
    assert.match(result.stdout, /role operator, sandboxes prod, dev, expires 2099-01-01/);
    const [row] = await query(url, "SELECT * FROM api_keys WHERE name = 'ci-bot'");
    assert.equal(row.secret_hash, createHash('sha256').update(keys[0].slice(21)).digest('hex'));
    assert.ok(!JSON.stringify(row).includes(keys[0].slice(21)));
    assert.equal(row.created_by, 'cli:tester');
    const [audit] = await query(url, 'SELECT actor, action, resource_type FROM audit_events WHERE resource_id = $1', [row.id]);
    assert.deepEqual(audit, { actor: 'cli:tester', action: 'CREATED', resource_type: 'API_KEY' });
  });

  it('lists keys without their secrets', async () => {
    const result = await run(['list'], url);
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /^ci-bot {2}role=operator {2}sandboxes=prod,dev {2}prefix=fgk_[0-9a-f]{16} /m);
    assert.doesNotMatch(result.stdout, /fgk_[0-9a-f]{16}_/);
  });

  it('refuses a second active key of the same name (exit 1)', async () => {
    const result = await run(['create', '--name', 'ci-bot', '--role', 'viewer'], url);
    assert.equal(result.code, 1);
    assert.match(result.stderr, /already has this name/);
    assert.doesNotMatch(result.stdout, /fgk_/);
  });

  for (const [label, args, message] of [
    ['no command', [], /no command/],
    ['an unknown command', ['rotate'], /unknown command rotate/],
    ['create without --role', ['create', '--name', 'x'], /--role/],
    ['an unknown role', ['create', '--name', 'x', '--role', 'root'], /--role must be one of/],
    ['an unknown option', ['create', '--name', 'x', '--role', 'admin', '--colour', 'red'], /colour/],
    ['an expiry that is not a date', ['create', '--name', 'x', '--role', 'admin', '--expires', 'soon'], /not a date/],
    ['an expiry in the past', ['create', '--name', 'x', '--role', 'admin', '--expires', '2001-01-01'], /expiresAt: must be in the future/],
    ['a bad sandbox name', ['create', '--name', 'x', '--role', 'admin', '--sandbox', 'Prod!'], /sandboxes/],
    ['revoke with neither --name nor --id', ['revoke'], /exactly one of --name or --id/],
  ] as const) {
    it(`exits 2 with a clear message for ${label}, creating nothing`, async () => {
      const before = (await query(url, 'SELECT count(*)::int AS n FROM api_keys'))[0].n;
      const result = await run([...args], url);
      assert.equal(result.code, 2, result.stdout + result.stderr);
      assert.match(result.stderr, message);
      assert.equal((await query(url, 'SELECT count(*)::int AS n FROM api_keys'))[0].n, before);
    });
  }

  it('revokes a key by name; list then leaves it out, list --all shows it revoked; revoking again exits 1', async () => {
    const revoked = await run(['revoke', '--name', 'ci-bot'], url);
    assert.equal(revoked.code, 0, revoked.stderr);
    assert.doesNotMatch((await run(['list'], url)).stdout, /ci-bot/);
    assert.match((await run(['list', '--all'], url)).stdout, /ci-bot .*revoked=/);
    const again = await run(['revoke', '--name', 'ci-bot'], url);
    assert.equal(again.code, 1);
    assert.match(again.stderr, /was not found/);
  });
});

describe('the first admin key of an embedded start', () => {
  const name = `fg_boot_${randomBytes(5).toString('hex')}`;
  const url = withDatabase(PG_ADMIN_URL, name);
  after(() => dropDatabase(name));

  it('is created once, even by two processes starting together, and printed once with how to use it — never logged', async () => {
    await ensureDatabase(url);
    await applyMigrations(url);
    const logLines: string[] = [];
    const openStore = () => new Store(createDatabase(url, { poolSize: 2 }), new SecretBox({ id: 't', key: Buffer.alloc(32) }));
    const stores = [openStore(), openStore()] as const;
    const logger = createLogger({ level: 'trace', destination: { write: (line: string) => logLines.push(line) } as unknown as NodeJS.WritableStream });
    const printed: string[] = [];
    try {
      const keys = await Promise.all(
        stores.map((store) =>
          ensureFirstAdminKey({ store, apiKeys: new ApiKeyService({ store, bus: null, logger }), sandbox: 'prod', write: (t) => printed.push(t), graphqlUrl: 'http://localhost:4000/graphql' }),
        ),
      );
      const created = keys.filter((k): k is string => k !== null);
      assert.equal(created.length, 1, 'exactly one process created a key');
      assert.equal(printed.length, 1);
      const key = created[0]!;
      const banner = printed[0]!;
      assert.equal(banner.split(key).length - 1, 3, 'the key appears in the banner, the curl line and the graphql-ws line');
      assert.match(banner, /Authorization: Bearer fgk_/);
      assert.match(banner, /connectionParams: \{ authorization: 'Bearer fgk_/);
      assert.ok(!logLines.some((l) => l.includes(key.slice(21))), 'the key never reaches the logger');
      const rows = await query(url, 'SELECT name, role FROM api_keys');
      assert.deepEqual(rows, [{ name: 'local-admin', role: 'admin' }]);
      // The next start finds a key and prints nothing.
      assert.equal(await ensureFirstAdminKey({ store: stores[0], apiKeys: new ApiKeyService({ store: stores[0], bus: null, logger }), sandbox: 'prod', write: (t) => printed.push(t) }), null);
      assert.equal(printed.length, 1);
    } finally {
      await Promise.all(stores.map((s) => s.close()));
    }
  });
});

/** A port nothing listens on right now. */
/** `node dist/src/main.js` (what `npm start` runs) in embedded mode; resolves once it serves. */
async function startEmbedded(env: Record<string, string>, cwd: string) {
  const child = spawn(process.execPath, [path.resolve(__dirname, '../../src/main.js')], { env: { PATH: process.env.PATH ?? '', METRICS_PORT: '0', ...env }, cwd, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  child.stderr.on('data', (c: Buffer) => (stdout += c.toString()));
  const url = await new Promise<string>((resolve, reject) => {
    child.stdout.on('data', (c: Buffer) => {
      stdout += c.toString();
      const served = /"url":"([^"]+)".*GraphQL API on/.exec(stdout)?.[1];
      if (served) resolve(served);
    });
    child.once('exit', (code) => reject(new Error(`exited with ${code}: ${stdout}`)));
  });
  return {
    url,
    output: () => stdout,
    stop: () => new Promise<number | null>((resolve) => (child.once('exit', resolve), child.kill('SIGTERM'))),
  };
}

describe('npm start with the embedded emulator', () => {
  const name = `fg_start_${randomBytes(5).toString('hex')}`;
  const prefix = `fgstart-${randomBytes(3).toString('hex')}`;
  const cwd = mkdtempSync(path.join(tmpdir(), 'fg-start-'));
  after(async () => {
    await dropDatabase(name);
    const redis = new Redis(REDIS_URL);
    const keys = await redis.keys(`{${prefix}}*`);
    if (keys.length > 0) await redis.del(...keys);
    redis.disconnect();
    rmSync(cwd, { recursive: true, force: true });
  });

  it('prints an admin key once on the first start (on stdout, never in a log line), and none on the next start', async () => {
    const env = { DATABASE_URL: withDatabase(PG_ADMIN_URL, name), REDIS_URL, PORT: '0', QUEUE_PREFIX: prefix, LOG_LEVEL: 'info' };
    const first = await startEmbedded({ ...env, EMULATOR_PORT: String(await freePort()) }, cwd);
    let key = '';
    try {
      const keys: string[] = first.output().match(/fgk_[0-9a-f]{16}_[A-Za-z0-9_-]{43}/g) ?? [];
      assert.ok(keys.length > 0, first.output());
      key = keys[0]!;
      assert.ok(
        keys.every((k) => k === key),
        'one key',
      );
      const logLines = first
        .output()
        .split('\n')
        .filter((l) => l.startsWith('{'));
      assert.ok(logLines.length > 0);
      assert.ok(!logLines.some((l) => l.includes(key)), 'no JSON log line carries the key');
      const response = await fetch(first.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
        body: JSON.stringify({ query: '{ whoami { id role } }' }),
      });
      assert.deepEqual(await response.json(), { data: { whoami: { id: 'apikey:local-admin', role: 'ADMIN' } } });
    } finally {
      assert.equal(await first.stop(), 0);
    }
    const second = await startEmbedded({ ...env, EMULATOR_PORT: String(await freePort()) }, cwd);
    try {
      assert.doesNotMatch(second.output(), /fgk_/);
      const response = await fetch(second.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
        body: JSON.stringify({ query: '{ whoami { id } }' }),
      });
      assert.equal(response.status, 200, 'the printed key still works after a restart');
    } finally {
      assert.equal(await second.stop(), 0);
    }
  });
});
