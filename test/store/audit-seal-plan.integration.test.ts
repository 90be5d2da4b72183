import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Client } from 'pg';
import { TestStack } from '../gateway/support/stack.js';

/**
 * Regression (issue 11): a sealing pass must read the events it may link (those of the last second
 * and after a full batch), not the month. The sealer's candidate query kept a generic plan made
 * before the month's partition was analyzed, and walked its `seq` index end to end on every pass.
 */
describe('a sealing pass on a month of events', () => {
  let stack: TestStack;
  let client: Client;
  const OLD_EVENTS = 20_000;
  const NEW_EVENTS = 100;

  before(async () => {
    // No keeper of the stack's own seals during the test.
    stack = await TestStack.start({ roles: { gateway: false, worker: false }, env: { AUDIT_SEAL_INTERVAL_MS: '60000' } });
    client = new Client({ connectionString: stack.config.databaseUrl });
    await client.connect();
    // Events of the last few minutes, all sealed; the partition is not analyzed (as a new month's is not).
    await client.query(
      `INSERT INTO audit_events (id, at, sandbox, actor, action, resource_type, resource_id)
       SELECT gen_random_uuid(), now() - interval '2 seconds' - ($1::int - i) * interval '10 milliseconds', 'prod', 'apikey:old', 'TESTED', 'CONNECTION', gen_random_uuid()
       FROM generate_series(1, $1::int) i`,
      [OLD_EVENTS],
    );
    await client.query('SELECT flowgate_audit_seal(1000000)');
    // A second later a pass has moved the head's horizon past them.
    await new Promise((resolve) => setTimeout(resolve, 1100));
    await client.query('SELECT flowgate_audit_seal(1000000)');
  });
  after(async () => {
    await client.end();
    await stack.stop();
  });

  /** Event rows this connection's statements fetched through indexes so far (its statistics flushed first). */
  const rowsFetched = async () => {
    await client.query('SELECT pg_stat_force_next_flush()');
    return (await client.query<{ n: number }>(`SELECT coalesce(sum(idx_tup_fetch), 0)::int AS n FROM pg_stat_user_tables WHERE relname LIKE 'audit_events_%'`)).rows[0]!.n;
  };

  it('reads about the new events on every pass, not the month, and links them', async () => {
    await client.query(
      `INSERT INTO audit_events (id, sandbox, actor, action, resource_type, resource_id) SELECT gen_random_uuid(), 'prod', 'apikey:new', 'TESTED', 'CONNECTION', gen_random_uuid() FROM generate_series(1, $1::int)`,
      [NEW_EVENTS],
    );
    const before = await rowsFetched();
    // More passes than PL/pgSQL's five before it settles on a generic plan.
    const passes = 8;
    let sealed = 0;
    for (let i = 0; i < passes; i++) sealed += (await client.query<{ n: number }>('SELECT flowgate_audit_seal(20000) AS n')).rows[0]!.n;
    const perPass = ((await rowsFetched()) - before) / passes;
    assert.equal(sealed, NEW_EVENTS);
    assert.ok(perPass <= 2 * NEW_EVENTS, `event rows read per pass: ${perPass} (${OLD_EVENTS} sealed events in the month)`);
  });
});
