import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Client } from 'pg';
import { TestStack } from '../gateway/support/stack.js';

const VERIFY = '{ verifyAuditChain { ok checkedEvents firstBrokenEventId firstBrokenSeq firstBrokenAt reason headHash headSeq unsealedEvents oldestUnsealedAt archivedEvents } }';

interface Report {
  ok: boolean;
  checkedEvents: number;
  firstBrokenEventId: string | null;
  firstBrokenSeq: string | null;
  firstBrokenAt: string | null;
  reason: string | null;
  headHash: string;
  headSeq: string;
  unsealedEvents: number;
  oldestUnsealedAt: string | null;
  archivedEvents: number;
}

/** The event at `index` of a list the test expects to reach that far. */
function eventAt<T>(rows: T[], index: number): T {
  const row = rows[index];
  assert.ok(row, `there is an event at index ${index} (of ${rows.length})`);
  return row;
}

/** Each event paired with the one before it, in chain order. */
function withPrevious<T>(rows: T[]): [previous: T, event: T][] {
  // rows[i] is the one before rows[i + 1], the i-th element of the slice.
  return rows.slice(1).map((event, i) => [rows[i]!, event]);
}

describe('the tamper-evident audit trail', () => {
  let stack: TestStack;
  /** A connection as the table owner that switches the user triggers off: someone going behind the API’s back. */
  let owner: Client;

  const verify = async (): Promise<Report> => (await stack.data<{ verifyAuditChain: Report }>(VERIFY)).verifyAuditChain;
  /** The sealed events in chain order (`seq` is the chain position here). */
  const events = async () => {
    await stack.sql('SELECT flowgate_audit_seal(1000000)');
    return stack.sql<{ id: string; seq: string; hash: Buffer; prev_hash: Buffer; actor: string }>(
      'SELECT c.event_id AS id, c.chain_seq::text AS seq, c.hash, c.prev_hash, e.actor FROM audit_chain c JOIN audit_events e ON e.id = c.event_id ORDER BY c.chain_seq',
    );
  };
  const rawInsert = (client: Client, actor: string) =>
    client.query(`INSERT INTO audit_events (id, sandbox, actor, action, resource_type, resource_id) VALUES (gen_random_uuid(), 'prod', $1, 'TESTED', 'CONNECTION', gen_random_uuid())`, [actor]);

  before(async () => {
    stack = await TestStack.start();
    owner = new Client({ connectionString: stack.config.databaseUrl });
    await owner.connect();
    await owner.query('SET session_replication_role = replica');
    const create = `mutation($input: CreateConnectionInput!) { createConnection(input: $input) { id resourceId } }`;
    for (const name of ['Chain A', 'Chain B', 'Chain C']) {
      const queued = (await stack.data(create, { input: { name, accessToken: 'sk_test_51AuditChainToken0001' } })).createConnection;
      assert.equal((await stack.waitForOperation(queued.id)).status, 'SUCCEEDED');
    }
    const { connections } = await stack.data('{ connections(first: 1) { edges { node { id etag } } } }');
    const updated = await stack.data('mutation($id: ID!, $input: UpdateConnectionInput!) { updateConnection(id: $id, input: $input) { id } }', {
      id: connections.edges[0].node.id,
      input: { description: 'changed' },
    });
    assert.equal((await stack.waitForOperation(updated.updateConnection.id)).status, 'SUCCEEDED');
  });
  after(async () => {
    await owner.end();
    await stack.stop();
  });

  it('chains the events of normal use, and verifyAuditChain finds them intact', async () => {
    const rows = await events();
    assert.ok(rows.length >= 4, `expected events from normal use, got ${rows.length}`);
    assert.ok(eventAt(rows, 0).prev_hash.equals(Buffer.alloc(32)), 'the first event links to 32 zero bytes');
    for (const [previous, event] of withPrevious(rows)) assert.ok(event.prev_hash.equals(previous.hash), `event ${event.seq} links to the one before`);
    const report = await verify();
    assert.equal(report.ok, true, JSON.stringify(report));
    assert.equal(report.checkedEvents, rows.length);
    assert.equal(report.firstBrokenEventId, null);
    assert.equal(report.headHash, rows.at(-1)!.hash.toString('hex'));
    assert.equal(report.headSeq, rows.at(-1)!.seq);
    const { auditEvents } = await stack.data('{ auditEvents(first: 2) { edges { node { id hash prevHash } } } }');
    const [newest, previous] = auditEvents.edges.map((e: any) => e.node);
    assert.equal(newest.prevHash, previous.hash, 'the API exposes the links, newest first');
  });

  it('lets admins and auditors verify the chain, and refuses viewers and operators with FORBIDDEN', async () => {
    const query = '{ verifyAuditChain { ok checkedEvents } }';
    const auditor = await stack.createKey('chain-auditor', 'auditor');
    assert.equal((await stack.data(query, {}, stack.auth(auditor))).verifyAuditChain.ok, true);
    for (const role of ['viewer', 'operator'] as const) {
      const key = await stack.createKey(`chain-${role}`, role);
      const refused = await stack.gql(query, {}, stack.auth(key));
      assert.equal(refused.errors?.[0]?.extensions?.code, 'FORBIDDEN', `${role}: ${JSON.stringify(refused)}`);
      assert.equal(refused.data ?? null, null);
    }
  });

  it('the database refuses UPDATE, DELETE and TRUNCATE of audit events and of the chain, and any change of the chain head, through a normal connection', async () => {
    const { id } = eventAt(await events(), 0);
    await assert.rejects(stack.sql(`UPDATE audit_chain SET hash = '\\x00' WHERE event_id = $1`, [id]), /append-only \(UPDATE refused\)/);
    await assert.rejects(stack.sql('DELETE FROM audit_chain WHERE event_id = $1', [id]), /append-only \(DELETE refused\)/);
    await assert.rejects(stack.sql('TRUNCATE audit_chain'), /append-only \(TRUNCATE refused\)/);
    await assert.rejects(stack.sql(`UPDATE audit_events SET actor = 'mallory' WHERE id = $1`, [id]), /append-only \(UPDATE refused\)/);
    await assert.rejects(stack.sql('DELETE FROM audit_events WHERE id = $1', [id]), /append-only \(DELETE refused\)/);
    await assert.rejects(stack.sql('TRUNCATE audit_events'), /append-only \(TRUNCATE refused\)/);
    await assert.rejects(stack.sql('UPDATE audit_chain_head SET seq = 0'), /UPDATE refused/);
    await assert.rejects(stack.sql('DELETE FROM audit_chain_head'), /DELETE refused/);
    assert.equal((await verify()).ok, true);
  });

  describe('when someone edits the audit table behind the API’s back', () => {
    it('reports an event whose actor was rewritten as the first broken link, and nothing once it is restored', async () => {
      const rows = await events();
      const target = eventAt(rows, 1);
      const [{ actor }] = (await owner.query('SELECT actor FROM audit_events WHERE id = $1', [target.id])).rows;
      await owner.query(`UPDATE audit_events SET actor = 'mallory' WHERE id = $1`, [target.id]);
      const report = await verify();
      assert.equal(report.ok, false);
      assert.equal(report.firstBrokenEventId, target.id);
      assert.equal(report.firstBrokenSeq, target.seq);
      assert.ok(report.firstBrokenAt);
      assert.match(report.reason!, /content does not match its hash/);
      assert.equal(report.checkedEvents, 2);
      await owner.query('UPDATE audit_events SET actor = $2 WHERE id = $1', [target.id, actor]);
      assert.equal((await verify()).ok, true);
    });

    it('reports an event whose payload was rewritten', async () => {
      const rows = await events();
      const target = eventAt(rows, rows.length - 2);
      const [{ after: original }] = (await owner.query('SELECT after FROM audit_events WHERE id = $1', [target.id])).rows;
      await owner.query(`UPDATE audit_events SET after = jsonb_set(coalesce(after::jsonb, '{}'), '{name}', '"forged"') WHERE id = $1`, [target.id]);
      const report = await verify();
      assert.equal(report.firstBrokenEventId, target.id, JSON.stringify(report));
      await owner.query('UPDATE audit_events SET after = $2 WHERE id = $1', [target.id, original]);
      assert.equal((await verify()).ok, true);
    });

    it('reports a deleted event at its own chain position', async () => {
      const rows = await events();
      const deleted = eventAt(rows, 2);
      await owner.query('CREATE TEMP TABLE removed AS SELECT * FROM audit_events WHERE id = $1', [deleted.id]);
      await owner.query('DELETE FROM audit_events WHERE id = $1', [deleted.id]);
      const report = await verify();
      assert.equal(report.ok, false);
      assert.equal(report.firstBrokenEventId, deleted.id);
      assert.equal(report.firstBrokenSeq, deleted.seq);
      assert.match(report.reason!, /was removed from the table/);
      await owner.query('INSERT INTO audit_events SELECT * FROM removed');
      await owner.query('DROP TABLE removed');
      assert.equal((await verify()).ok, true);
    });

    it('reports an event whose seq was rewritten as changed, not as removed (verification finds events by seq)', async () => {
      const rows = await events();
      const target = eventAt(rows, 2);
      const [{ seq }] = (await owner.query('SELECT seq::text FROM audit_events WHERE id = $1', [target.id])).rows;
      await owner.query('UPDATE audit_events SET seq = seq + 1000000 WHERE id = $1', [target.id]);
      const report = await verify();
      assert.equal(report.ok, false);
      assert.equal(report.firstBrokenEventId, target.id);
      assert.match(report.reason!, /the event was changed after it was written/);
      await owner.query('UPDATE audit_events SET seq = $2::bigint WHERE id = $1', [target.id, seq]);
      assert.equal((await verify()).ok, true);
    });

    it('reports the event after one deleted together with its chain row, since it no longer links to its predecessor', async () => {
      const rows = await events();
      const [deleted, next] = [eventAt(rows, 2), eventAt(rows, 3)];
      await owner.query('CREATE TEMP TABLE removed AS SELECT * FROM audit_events WHERE id = $1', [deleted.id]);
      await owner.query('CREATE TEMP TABLE removed_link AS SELECT * FROM audit_chain WHERE event_id = $1', [deleted.id]);
      await owner.query('DELETE FROM audit_events WHERE id = $1', [deleted.id]);
      await owner.query('DELETE FROM audit_chain WHERE event_id = $1', [deleted.id]);
      const report = await verify();
      assert.equal(report.ok, false);
      assert.equal(report.firstBrokenEventId, next.id);
      assert.match(report.reason!, /does not link to the event before it/);
      await owner.query('INSERT INTO audit_events SELECT * FROM removed');
      await owner.query('INSERT INTO audit_chain SELECT * FROM removed_link');
      await owner.query('DROP TABLE removed, removed_link');
      assert.equal((await verify()).ok, true);
    });

    it('reports a removed newest event (and its chain row) through the chain head', async () => {
      const rows = await events();
      const newest = rows.at(-1)!;
      await owner.query('CREATE TEMP TABLE removed AS SELECT * FROM audit_events WHERE id = $1', [newest.id]);
      await owner.query('CREATE TEMP TABLE removed_link AS SELECT * FROM audit_chain WHERE event_id = $1', [newest.id]);
      await owner.query('DELETE FROM audit_events WHERE id = $1', [newest.id]);
      await owner.query('DELETE FROM audit_chain WHERE event_id = $1', [newest.id]);
      const report = await verify();
      assert.equal(report.ok, false);
      assert.equal(report.firstBrokenEventId, newest.id);
      assert.match(report.reason!, /newest events were removed/);
      await owner.query('INSERT INTO audit_events SELECT * FROM removed');
      await owner.query('INSERT INTO audit_chain SELECT * FROM removed_link');
      await owner.query('DROP TABLE removed, removed_link');
      assert.equal((await verify()).ok, true);
    });

    it('reports a forged event even when its hashes were computed correctly, because the chain head never saw it', async () => {
      const forged = (
        await owner.query(
          `INSERT INTO audit_events (id, sandbox, actor, action, resource_type, resource_id) VALUES (gen_random_uuid(), 'prod', 'admin', 'DELETED', 'CONNECTION', gen_random_uuid()) RETURNING id`,
        )
      ).rows[0].id as string;
      // Link it after the head with the hashes the sealer would have computed, but without moving the head.
      await owner.query(
        `
        WITH h AS (SELECT hash, seq FROM audit_chain_head), e AS (SELECT * FROM audit_events WHERE id = $1)
        INSERT INTO audit_chain (chain_seq, event_id, event_at, event_seq, version, digest, prev_hash, hash)
        SELECT h.seq + 1, e.id, e.at, e.seq, 3, sha256(flowgate_audit_content_v3_bytes(e)), h.hash, sha256(h.hash || flowgate_audit_content_v3_bytes(e)) FROM h, e`,
        [forged],
      );
      const report = await verify();
      assert.equal(report.ok, false);
      assert.equal(report.firstBrokenEventId, forged);
      assert.match(report.reason!, /past the chain head/);
      await owner.query('DELETE FROM audit_chain WHERE event_id = $1', [forged]);
      await owner.query('DELETE FROM audit_events WHERE id = $1', [forged]);
      assert.equal((await verify()).ok, true);
    });
    it('reports a chain row whose hash was rewritten as a rewritten chain, not a changed event', async () => {
      const rows = await events();
      const target = eventAt(rows, 2);
      await owner.query('UPDATE audit_chain SET hash = sha256(hash) WHERE chain_seq = $1::bigint', [target.seq]);
      const report = await verify();
      assert.equal(report.ok, false);
      assert.equal(report.firstBrokenSeq, target.seq);
      assert.match(report.reason!, /does not follow from its link and digest \(the chain was rewritten\)/);
      await owner.query('UPDATE audit_chain SET hash = $2 WHERE chain_seq = $1::bigint', [target.seq, target.hash]);
      assert.equal((await verify()).ok, true);
    });

    it('still verifies links sealed with digest version 2 (before the audit_digest_v3 migration), followed by version-3 links, and detects an edit of a version-2 event', async () => {
      // Link three events the way the version-2 sealer did: hash = sha256(prev_hash || digest of the jsonb content).
      await owner.query(`
        DO $$
        DECLARE
          h record;
          e audit_events;
          d bytea;
        BEGIN
          PERFORM flowgate_audit_seal(1000000);
          SELECT seq, hash INTO h FROM audit_chain_head WHERE id FOR UPDATE;
          FOR i IN 1..3 LOOP
            INSERT INTO audit_events (id, sandbox, actor, action, resource_type, resource_id, after)
            VALUES (gen_random_uuid(), 'prod', 'v2-writer-' || i, 'TESTED', 'CONNECTION', gen_random_uuid(), '{"b": [1.50, "x"], "a": null}'::jsonb) RETURNING * INTO e;
            d := flowgate_audit_digest(e);
            INSERT INTO audit_chain (chain_seq, event_id, event_at, event_seq, version, digest, prev_hash, hash) VALUES (h.seq + 1, e.id, e.at, e.seq, 2, d, h.hash, sha256(h.hash || d));
            h.seq := h.seq + 1;
            h.hash := sha256(h.hash || d);
          END LOOP;
          UPDATE audit_chain_head SET seq = h.seq, hash = h.hash, event_id = e.id WHERE id;
        END
        $$`);
      await rawInsert(owner, 'v3-writer');
      await stack.sql('SELECT flowgate_audit_seal(1000000)');
      const rows = await stack.sql<{ id: string; seq: string; version: number; actor: string }>(
        `SELECT c.event_id AS id, c.chain_seq::text AS seq, c.version, e.actor FROM audit_chain c JOIN audit_events e ON e.id = c.event_id
         WHERE e.actor LIKE 'v2-writer-%' OR e.actor = 'v3-writer' ORDER BY c.chain_seq`,
      );
      assert.deepEqual(
        rows.map((r) => [r.actor, r.version]),
        [
          ['v2-writer-1', 2],
          ['v2-writer-2', 2],
          ['v2-writer-3', 2],
          ['v3-writer', 3],
        ],
      );
      assert.equal((await verify()).ok, true);
      await owner.query(`UPDATE audit_events SET after = '{"a": null, "b": [1.5, "y"]}' WHERE id = $1`, [rows[1]!.id]);
      const report = await verify();
      assert.equal(report.ok, false);
      assert.equal(report.firstBrokenEventId, rows[1]!.id);
      assert.match(report.reason!, /content does not match its hash/);
      await owner.query(`UPDATE audit_events SET after = '{"a": null, "b": [1.50, "x"]}' WHERE id = $1`, [rows[1]!.id]);
      assert.equal((await verify()).ok, true);
    });
  });

  it('keeps one linear chain under many concurrent writers, each committed event sealed exactly once', async () => {
    const before = (await events()).length;
    const writers = await Promise.all(
      Array.from({ length: 12 }, async () => {
        const client = new Client({ connectionString: stack.config.databaseUrl });
        await client.connect();
        return client;
      }),
    );
    try {
      await Promise.all(
        writers.map(async (client, w) => {
          for (let i = 0; i < 25; i++) {
            if (i % 5 === 0) {
              // A transaction that writes two events and takes its time between them.
              await client.query('BEGIN');
              await rawInsert(client, `writer-${w}`);
              await new Promise((r) => setTimeout(r, 2));
              await rawInsert(client, `writer-${w}`);
              await client.query(i % 10 === 0 ? 'COMMIT' : 'ROLLBACK');
            } else {
              await rawInsert(client, `writer-${w}`);
            }
          }
        }),
      );
    } finally {
      await Promise.all(writers.map((c) => c.end()));
    }
    const rows = await events();
    // Per writer: 20 single inserts, 3 committed pairs (6 events), 2 rolled-back pairs.
    assert.equal(rows.length - before, 12 * 26);
    for (let w = 0; w < 12; w++) assert.equal(rows.filter((r) => r.actor === `writer-${w}`).length, 26, `writer-${w}'s events are all in the chain`);
    for (const [previous, event] of withPrevious(rows)) {
      assert.equal(BigInt(event.seq), BigInt(previous.seq) + 1n);
      assert.ok(event.prev_hash.equals(previous.hash), `event ${event.seq} links to event ${previous.seq}`);
    }
    const report = await verify();
    assert.equal(report.ok, true, JSON.stringify(report));
    assert.equal(report.checkedEvents, rows.length);
  });

  it('verifies a long chain in batches', async () => {
    await stack.sql(`INSERT INTO audit_events (id, sandbox, actor, action, resource_type, resource_id)
                     SELECT gen_random_uuid(), 'prod', 'bulk', 'TESTED', 'CONNECTION', gen_random_uuid() FROM generate_series(1, 20000)`);
    // More than four batches of 5,000; how fast that is belongs to a benchmark, not here.
    const report = await verify();
    assert.equal(report.ok, true, JSON.stringify(report));
    assert.ok(report.checkedEvents > 20000);
  });
});
