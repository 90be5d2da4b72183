import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Client } from 'pg';
import { applyMigrations, DEFAULT_MIGRATIONS_DIR, ensureDatabase } from '../../src/store/migrations.js';
import { dropDatabase, PG_ADMIN_URL, withDatabase } from '../gateway/support/stack.js';

describe('applyMigrations', () => {
  const name = `fg_migrate_${Date.now().toString(36)}`;
  const url = withDatabase(PG_ADMIN_URL, name);
  before(async () => {
    assert.equal(await ensureDatabase(url), true, 'creates the missing database');
    assert.equal(await ensureDatabase(url), false, 'and leaves an existing one alone');
  });
  after(() => dropDatabase(name));

  it('applies each migration once, even when two processes start together, and records it as Prisma does', async () => {
    const results = await Promise.all([applyMigrations(url), applyMigrations(url)]);
    const applied = results.flatMap((r) => r.applied);
    // Every migration in the directory, once, in name (time) order.
    const inDirectory = readdirSync(DEFAULT_MIGRATIONS_DIR, { withFileTypes: true })
      .filter((entry) => entry.isDirectory())
      .map((entry) => entry.name)
      .sort();
    assert.ok(inDirectory.length >= 6 && inDirectory[0] === '20261128134500_init');
    assert.deepEqual(applied, inDirectory);
    const client = new Client({ connectionString: url });
    await client.connect();
    try {
      const rows = (await client.query('SELECT migration_name, checksum, finished_at, applied_steps_count FROM _prisma_migrations')).rows;
      assert.equal(rows.length, inDirectory.length);
      assert.match(rows[0].checksum, /^[0-9a-f]{64}$/);
      assert.ok(rows[0].finished_at);
      // Monthly partitions of audit_events are named after their month: listed apart.
      const tables = (await client.query("SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' AND table_name !~ '^audit_events_[0-9]{4}_[0-9]{2}$' ORDER BY 1")).rows.map(
        (r) => r.table_name,
      );
      const partitions = (await client.query("SELECT count(*)::int AS n FROM pg_inherits WHERE inhparent = 'audit_events'::regclass")).rows[0].n;
      assert.ok(partitions >= 4, 'this month and three ahead');
      assert.deepEqual(tables, [
        '_prisma_migrations',
        'alerts',
        'api_keys',
        'audit_archive_segments',
        'audit_archived_months',
        'audit_chain',
        'audit_chain_head',
        'audit_events',
        'dataflow_health',
        'dataflow_observations',
        'flow_runs',
        'onboarding_steps',
        'onboardings',
        'operations',
        'platform_create_fences',
        'resources',
        'secrets',
        'webhook_attempts',
        'webhook_deliveries',
        'webhooks',
      ]);
    } finally {
      await client.end();
    }
    assert.deepEqual((await applyMigrations(url)).applied, []);
  });

  it('refuses to run when an applied migration was edited afterwards', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'fg-migrations-'));
    cpSync(DEFAULT_MIGRATIONS_DIR, dir, { recursive: true });
    writeFileSync(path.join(dir, '20261128134500_init', 'migration.sql'), '-- edited\n', { flag: 'a' });
    await assert.rejects(applyMigrations(url, dir), /was modified after it was applied/);
  });
});
