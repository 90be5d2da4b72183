import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { PassThrough } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import pg from 'pg';
import { startAuditKeeper, type AuditKeeper } from '../../src/app/audit-keeper.js';
import { createLogger } from '../../src/logging/logger.js';
import type { NewAuditEvent } from '../../src/store/operation-ledger.js';
import { TestStack } from '../gateway/support/stack.js';

const EVENTS = 3000;

function events(count: number): NewAuditEvent[] {
  return Array.from({ length: count }, (_, i) => ({
    sandbox: 'prod',
    actor: `apikey:vacuum-${i % 5}`,
    action: 'UPDATED',
    resourceType: 'DATAFLOW',
    resourceId: randomUUID(),
    platformId: `flow-${i}`,
    etagBefore: `"${i}"`,
    etagAfter: `"${i + 1}"`,
    before: { state: 'ENABLED' },
    after: { state: 'DISABLED' },
    requestId: `vacuum-${i}`,
  }));
}

/**
 * `totalCount` counts the newest index entries; whether it must visit a heap page per entry
 * depends on the visibility map, which only VACUUM sets. The audit keeper vacuums after it sealed
 * `vacuumAfterEvents` events, so a count over the newest events reads the index alone.
 */
describe('audit keeper keeps new events visible to index-only counts', () => {
  let stack: TestStack;
  let client: pg.Client;
  let keeper: AuditKeeper | null = null;

  before(async () => {
    // The stack's own keeper sleeps (one pass at start); each test runs a keeper of its own.
    stack = await TestStack.start({ roles: { gateway: false, worker: false }, env: { AUDIT_SEAL_INTERVAL_MS: '60000' } });
    client = new pg.Client({ connectionString: stack.config.databaseUrl });
    await client.connect();
    // A table this small would be read sequentially; the count's real plan is an index-only scan.
    await client.query('SET enable_seqscan = off');
    await client.query('SET enable_bitmapscan = off');
  });

  after(async () => {
    await keeper?.stop();
    await client.end();
    await stack.stop();
  });

  /** Heap pages the newest-first count visited (EXPLAIN ANALYZE's "Heap Fetches"). */
  async function heapFetchesOfCount(): Promise<number> {
    const { rows } = await client.query<{ 'QUERY PLAN': unknown }>(
      `EXPLAIN (ANALYZE, FORMAT JSON) SELECT count(*) FROM (SELECT 1 FROM audit_events WHERE sandbox = 'prod' LIMIT ${EVENTS + 1}) bounded`,
    );
    let fetches = 0;
    let indexOnly = false;
    const walk = (node: Record<string, unknown>) => {
      if (node['Node Type'] === 'Index Only Scan') indexOnly = true;
      fetches += Number(node['Heap Fetches'] ?? 0);
      for (const child of (node.Plans as Record<string, unknown>[] | undefined) ?? []) walk(child);
    };
    walk((rows[0]!['QUERY PLAN'] as [{ Plan: Record<string, unknown> }])[0].Plan);
    assert.ok(indexOnly, 'the count is an index-only scan');
    return fetches;
  }

  async function sealedCount(): Promise<number> {
    return Number((await client.query<{ n: string }>('SELECT count(*) AS n FROM audit_chain')).rows[0]!.n);
  }

  async function startKeeper(vacuumAfterEvents: number): Promise<void> {
    const store = stack.process.deps.store;
    const before = (await client.query<{ n: string }>("SELECT coalesce(sum(vacuum_count), 0) AS n FROM pg_stat_user_tables WHERE relname LIKE 'audit_events_%'")).rows[0]!.n;
    keeper = startAuditKeeper({
      sealer: store.auditSealer,
      archive: store.auditArchive,
      vacuum: store.auditVacuum,
      logger: createLogger({ level: 'warn', destination: new PassThrough() }),
      sealIntervalMs: 50,
      retentionDays: null,
      vacuumAfterEvents,
    });
    // Its first pass is housekeeping, which vacuums every month: wait for it, so what follows is only the sealing's doing.
    for (let i = 0; ; i++) {
      const now = (await client.query<{ n: string }>("SELECT coalesce(sum(vacuum_count), 0) AS n FROM pg_stat_user_tables WHERE relname LIKE 'audit_events_%'")).rows[0]!.n;
      if (now !== before) break;
      assert.ok(i < 200, 'the keeper ran its housekeeping pass');
      await new Promise((r) => setTimeout(r, 25));
    }
  }

  async function waitUntilSealed(total: number): Promise<void> {
    for (let i = 0; (await sealedCount()) < total; i++) {
      assert.ok(i < 400, `the keeper sealed ${total} events`);
      await new Promise((r) => setTimeout(r, 25));
    }
  }

  it('below the threshold, sealed events still cost the count a heap fetch each', async () => {
    await startKeeper(1_000_000);
    await stack.process.deps.store.ledger.appendAudits(events(EVENTS));
    await waitUntilSealed(EVENTS);
    // A pass more, in case the vacuum would have followed the last seal.
    await new Promise((r) => setTimeout(r, 200));
    assert.ok((await heapFetchesOfCount()) >= EVENTS * 0.9, 'no vacuum yet: the counted entries visit the heap');
    await keeper!.stop();
    keeper = null;
  });

  it('once the keeper sealed vacuumAfterEvents events, the count reads the index alone', async () => {
    const already = await sealedCount();
    await startKeeper(1000);
    await stack.process.deps.store.ledger.appendAudits(events(EVENTS));
    await waitUntilSealed(already + EVENTS);
    for (let i = 0; (await heapFetchesOfCount()) > 0; i++) {
      assert.ok(i < 200, 'the keeper vacuumed the events it sealed');
      await new Promise((r) => setTimeout(r, 25));
    }
    // Counting stops at the limit: the newest EVENTS + 1 of the 6,000, none from the heap.
    assert.equal(await heapFetchesOfCount(), 0);
  });

  it('analyzes, at housekeeping, only the months that changed since their last ANALYZE (a process start over an unchanged trail reads nothing)', async () => {
    await keeper?.stop();
    keeper = null;
    const vacuum = stack.process.deps.store.auditVacuum;
    const now = new Date();
    const month = `audit_events_${now.getUTCFullYear()}_${String(now.getUTCMonth() + 1).padStart(2, '0')}`;
    const analyzeCount = async () => Number((await client.query<{ n: string }>('SELECT analyze_count AS n FROM pg_stat_user_tables WHERE relname = $1', [month])).rows[0]!.n);
    // The events of the tests above were never analyzed. A backend reports its inserts to the
    // statistics at the end of a transaction at most once a second, and an idle one after up to
    // 10 s: the change shows within that. Every insert so far must be reported before the first
    // ANALYZE — one reported after it would count as a change since, and the month would be
    // analyzed again below. (Inserts rolled back also count: at least the rows present.)
    const reported = async () => {
      const { rows } = await client.query<{ inserted: string | null; present: string }>(
        `SELECT (SELECT n_tup_ins FROM pg_stat_user_tables WHERE relname = $1)::text AS inserted, (SELECT count(*) FROM ${month})::text AS present`,
        [month],
      );
      return rows[0]!.inserted !== null && BigInt(rows[0]!.inserted) >= BigInt(rows[0]!.present);
    };
    for (let i = 0; !(await reported()); i++) {
      assert.ok(i < 150, 'the inserts reached the statistics');
      await new Promise((r) => setTimeout(r, 100));
    }
    const analyzedOnce = async () => {
      for (let i = 0; ; i++) {
        const months = await vacuum.run({ analyze: true });
        if (months.length > 0) return months;
        assert.ok(i < 150, 'the changed month was analyzed');
        await new Promise((r) => setTimeout(r, 100));
      }
    };
    assert.deepEqual(await analyzedOnce(), [month]);
    const after = await analyzeCount();
    assert.deepEqual(await vacuum.run({ analyze: true }), [], 'nothing changed since: nothing analyzed');
    assert.deepEqual(await vacuum.run({ analyze: true }), []);
    assert.equal(await analyzeCount(), after);

    // A tenth of the month's events and more, new: analyzed again.
    await stack.process.deps.store.ledger.appendAudits(events(EVENTS));
    assert.deepEqual(await analyzedOnce(), [month]);
    assert.equal(await analyzeCount(), after + 1);
  });
});
