import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Client } from 'pg';
import { startAuditKeeper } from '../../src/app/audit-keeper.js';
import { createLogger } from '../../src/logging/logger.js';
import { AuditSealer } from '../../src/store/audit-sealer.js';
import { TestStack } from '../gateway/support/stack.js';

/** The real sealer, counting its batches. */
class CountingSealer extends AuditSealer {
  batches = 0;
  override async sealBatch(sweep = false): Promise<number | null> {
    this.batches++;
    return super.sealBatch(sweep);
  }
}

const unsealed = async (stack: TestStack) =>
  (await stack.sqlRow<{ n: number }>('SELECT count(*)::int AS n FROM audit_events e WHERE NOT EXISTS (SELECT 1 FROM audit_chain c WHERE c.event_id = e.id)')).n;

/**
 * Regression (issue 11): under a steady stream of audited writes the keeper sealed batch after
 * batch until one came out empty — about a hundred passes a second at 300 operations/s, each
 * reading the last second of events again (≈ 260 event rows read per operation). It seals every
 * `sealIntervalMs`, and back to back only while batches come out full.
 */
describe('the audit keeper', () => {
  let stack: TestStack;
  const writers: Client[] = [];

  before(async () => {
    // The stack's own keeper waits a minute between passes: the keeper under test does the sealing.
    stack = await TestStack.start({ roles: { gateway: false, worker: false }, env: { AUDIT_SEAL_INTERVAL_MS: '60000' } });
    for (let i = 0; i < 3; i++) {
      const client = new Client({ connectionString: stack.config.databaseUrl });
      await client.connect();
      writers.push(client);
    }
  });
  after(async () => {
    await Promise.all(writers.map((client) => client.end()));
    await stack.stop();
  });

  const write = (client: Client, n: number) =>
    client.query(
      `INSERT INTO audit_events (id, sandbox, actor, action, resource_type, resource_id) SELECT gen_random_uuid(), 'prod', 'apikey:keeper-test', 'TESTED', 'CONNECTION', gen_random_uuid() FROM generate_series(1, $1::int)`,
      [n],
    );

  it('seals a steady stream of events once per interval, not batch after batch, and leaves no event unsealed', async () => {
    const sealer = new CountingSealer({ pool: stack.process.deps.store.pool });
    const logger = createLogger({ level: 'warn' });
    const keeper = startAuditKeeper({ sealer, archive: stack.process.deps.store.auditArchive, vacuum: stack.process.deps.store.auditVacuum, logger, sealIntervalMs: 100, retentionDays: null });
    try {
      // Three writers inserting back to back for 1.5 s, as concurrent operations do: a batch always finds new events.
      const until = Date.now() + 1500;
      let written = 0;
      await Promise.all(
        writers.map(async (client) => {
          while (Date.now() < until) {
            await write(client, 1);
            written++;
          }
        }),
      );
      assert.ok(written > 200, `events written: ${written}`);
      // ≈ 15 passes of one batch each; the loop this replaces made hundreds.
      assert.ok(sealer.batches <= 40, `batches in 1.5 s: ${sealer.batches}`);
      // The tail stays about an interval old: everything is sealed shortly after the writes stop.
      await new Promise((resolve) => setTimeout(resolve, 400));
      assert.equal(await unsealed(stack), 0);
    } finally {
      await keeper.stop();
    }
  });

  it('seals a backlog larger than a batch in one pass, batch after batch', async () => {
    const sealer = new CountingSealer({ pool: stack.process.deps.store.pool, batchSize: 100 });
    await write(writers[0]!, 450);
    const batches: { at: number; events: number }[] = [];
    const keeper = startAuditKeeper({
      sealer,
      archive: stack.process.deps.store.auditArchive,
      vacuum: stack.process.deps.store.auditVacuum,
      logger: createLogger({ level: 'warn' }),
      sealIntervalMs: 1000,
      retentionDays: null,
      onSealed: (events) => batches.push({ at: Date.now(), events }),
    });
    try {
      const deadline = Date.now() + 5000;
      while ((await unsealed(stack)) > 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
    } finally {
      await keeper.stop();
    }
    assert.deepEqual(
      batches.map((b) => b.events),
      [100, 100, 100, 100, 50],
    );
    assert.ok(batches.at(-1)!.at - batches[0]!.at < 1000, 'all in the first pass, not one batch per interval');
  });
});
