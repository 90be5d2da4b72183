import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import pg from 'pg';
import { newResource, OperationLedger, type NewOperation, type StartedOperation } from '../../src/store/operation-ledger.js';
import { TestStack } from '../gateway/support/stack.js';

/**
 * The ledger group-commits the records, starts and ends of concurrent operations (one statement
 * for those that arrive together): each caller must still see exactly what it would have alone.
 */
describe('the operation ledger under concurrent writes (group commit)', () => {
  let stack: TestStack;
  let pool: pg.Pool;
  let ledger: OperationLedger;

  before(async () => {
    // Only the database: no gateway or worker picks these operations up.
    stack = await TestStack.start({ roles: { gateway: false, worker: false } });
    pool = new pg.Pool({ connectionString: stack.config.databaseUrl, max: 4 });
    ledger = new OperationLedger(pool);
  });
  after(async () => {
    await pool.end();
    await stack.stop();
  });

  /** A new connection's create operation, its resource row and its sealed secret. */
  const createConnection = (name: string, idempotencyKey: string | null = null) => {
    const resourceId = randomUUID();
    const secretId = randomUUID();
    const operation: NewOperation = {
      id: randomUUID(),
      type: 'CREATE_CONNECTION',
      resourceId,
      sandbox: 'prod',
      input: { secretId },
      requestedBy: 'apikey:batching',
      requestId: `req-${name}`,
      idempotencyKey,
      inputHash: idempotencyKey ? `hash-${name}` : null,
    };
    return ledger.record(operation, newResource({ id: resourceId, type: 'CONNECTION', sandbox: 'prod', name }), { id: secretId, keyId: 'test-key', ciphertext: `sealed-${name}` });
  };

  const created = (started: StartedOperation, platformId: string) =>
    ledger.finish(started.operation, started.resource, {
      status: 'SUCCEEDED',
      changes: { platformId, etag: `"${platformId}"`, snapshot: { id: platformId }, state: 'ENABLED' },
      action: 'CREATED',
      message: 'connection created',
    });

  describe('when many mutations record their operations at once', () => {
    it('records each with its own resource and sealed secret, and a reused idempotency key fails only its own request', async () => {
      const names = Array.from({ length: 20 }, (_, i) => `batch ${i}`);
      const results = await Promise.allSettled([...names.map((name) => createConnection(name, `key-${name}`)), createConnection('again', 'key-batch 7')]);

      const refused = results.at(-1)!;
      assert.equal(refused.status, 'rejected');
      assert.equal((refused.reason as { code?: string }).code, '23505', 'the reused key is refused as a unique violation, which the caller turns into the first operation');
      const recorded = results.slice(0, -1).map((r) => {
        assert.equal(r.status, 'fulfilled');
        return r.value;
      });
      assert.deepEqual(
        recorded.map((o) => o.requestId),
        names.map((n) => `req-${n}`),
      );
      const rows = await stack.sql<{ name: string; state: string; ciphertext: string; status: string }>(
        `SELECT r.name, r.state, s.ciphertext, o.status FROM operations o JOIN resources r ON r.id = o.resource_id JOIN secrets s ON s.id = (o.input->>'secretId')::uuid
         WHERE o.requested_by = 'apikey:batching' AND o.request_id LIKE 'req-batch %' ORDER BY r.name`,
      );
      assert.equal(rows.length, 20);
      for (const row of rows) assert.deepEqual(row, { name: row.name, state: 'PENDING', ciphertext: `sealed-${row.name}`, status: 'QUEUED' });
      assert.deepEqual(await stack.sql(`SELECT id FROM operations WHERE request_id = 'req-again'`), [], 'nothing of the refused request was written');
    });
  });

  describe('when many workers start and end operations at once', () => {
    it('gives each its resource and secret, and ends each with its own status, resource columns and one audit event', async () => {
      const operations = await Promise.all(Array.from({ length: 12 }, (_, i) => createConnection(`worked ${i}`)));
      const started = await Promise.all(operations.map((o) => ledger.start(o.id, 'running')));
      for (const [i, s] of started.entries()) {
        assert.ok(s, `operation ${i} started`);
        assert.equal(s.operation.status, 'RUNNING');
        assert.equal(s.resource?.name, `worked ${i}`);
        assert.equal(s.secret?.ciphertext, `sealed-worked ${i}`);
      }
      const again = await Promise.all(operations.slice(0, 2).map((o) => ledger.start(o.id, 'running again')));
      assert.deepEqual(
        again.map((s) => s?.operation.attempts),
        [2, 2],
        'a second delivery starts it again',
      );

      // Half succeed, a quarter fail, a quarter succeed without waiting for the log flush (onboarding steps).
      const ends = await Promise.all(
        started.map((s, i) =>
          i % 4 === 1
            ? ledger.finish(s!.operation, s!.resource, { status: 'FAILED', error: { code: 'PLATFORM_REJECTED', message: `rejected ${i}`, retryable: false }, conflict: null })
            : i % 4 === 3
              ? ledger.finish(
                  s!.operation,
                  s!.resource,
                  { status: 'SUCCEEDED', changes: { platformId: `p-${i}`, etag: `"p-${i}"`, snapshot: { id: `p-${i}` }, state: 'ENABLED' }, action: 'CREATED', message: 'connection created' },
                  { flushLater: true },
                )
              : created(s!, `p-${i}`),
        ),
      );
      for (const [i, end] of ends.entries()) {
        const failed = i % 4 === 1;
        assert.equal(end.operation.id, operations[i]!.id);
        assert.equal(end.operation.status, failed ? 'FAILED' : 'SUCCEEDED');
        assert.equal(end.resource?.state, failed ? 'FAILED' : 'ENABLED');
        assert.equal(end.resource?.platformId, failed ? null : `p-${i}`);
      }
      const audits = await stack.sql<{ operation_id: string; action: string; etag_after: string | null }>(
        `SELECT operation_id, action, etag_after FROM audit_events WHERE operation_id = ANY($1::uuid[])`,
        [operations.map((o) => o.id)],
      );
      const byOperation = new Map(audits.map((a) => [a.operation_id, [a.action, a.etag_after]]));
      assert.equal(audits.length, operations.length, 'one audit event per operation');
      assert.deepEqual(
        operations.map((o) => byOperation.get(o.id)),
        operations.map((_, i) => (i % 4 === 1 ? ['CREATE_CONNECTION_FAILED', null] : ['CREATED', `"p-${i}"`])),
      );
    });

    it('finishes an operation once when two runs of it both end: the first outcome stands, with one audit event', async () => {
      // Two runs: a job delivered again while its first run still worked (both started it).
      const both = await Promise.all([createConnection('twice run'), createConnection('twice failed')]);
      const [runA, runB] = [await ledger.start(both[0].id, 'run A'), await ledger.start(both[0].id, 'run B')];
      const [failA, failB] = [await ledger.start(both[1].id, 'run A'), await ledger.start(both[1].id, 'run B')];

      // The runs end at once (one statement each: one operation never shares a statement with itself).
      const [first, second] = await Promise.all([created(runA!, 'p-first'), created(runB!, 'p-second')]);
      assert.equal(first.alreadyFinished, false);
      assert.equal(second.alreadyFinished, true, 'the later end is told the operation was finished already');
      assert.equal(second.operation.status, 'SUCCEEDED');
      assert.equal(second.action, null);
      const resource = await stack.sqlRow<{ platform_id: string; etag: string }>('SELECT platform_id, etag FROM resources WHERE id = $1', [runA!.resource!.id]);
      assert.deepEqual(resource, { platform_id: 'p-first', etag: '"p-first"' }, 'the first outcome is not overwritten by the second');
      const audits = await stack.sql<{ action: string }>('SELECT action FROM audit_events WHERE operation_id = $1', [both[0].id]);
      assert.deepEqual(
        audits.map((a) => a.action),
        ['CREATED'],
        'an auditor reads CREATED once',
      );

      // A failure after another run's success (or the other way round) changes nothing either, nor does a retry.
      await ledger.finish(failA!.operation, failA!.resource, { status: 'FAILED', error: { code: 'PLATFORM_REJECTED', message: 'rejected', retryable: false }, conflict: null });
      const late = await created(failB!, 'p-late');
      assert.equal(late.alreadyFinished, true);
      assert.equal(await ledger.retrying(both[1].id, { code: 'PLATFORM_UNAVAILABLE', message: 'try again', retryable: true }), null, 'a finished operation is not reopened');
      const failed = await stack.sqlRow<{ status: string; state: string; platform_id: string | null; audits: number }>(
        `SELECT o.status, r.state, r.platform_id, (SELECT count(*)::int FROM audit_events a WHERE a.operation_id = o.id) AS audits FROM operations o JOIN resources r ON r.id = o.resource_id WHERE o.id = $1`,
        [both[1].id],
      );
      assert.deepEqual(failed, { status: 'FAILED', state: 'FAILED', platform_id: null, audits: 1 });
    });

    it('applies two ends of operations on one resource in the order they were submitted, each with its audit event', async () => {
      const operation = await createConnection('contested');
      const first = (await ledger.start(operation.id, 'running'))!;
      const end = await created(first, 'p-contested');
      const updates = await Promise.all(
        ['renamed once', 'renamed twice'].map((name) =>
          ledger.record(
            {
              id: randomUUID(),
              type: 'UPDATE_CONNECTION',
              resourceId: end.resource!.id,
              sandbox: 'prod',
              input: { changes: { name }, ifMatch: end.resource!.etag, rotatesAccessToken: false },
              requestedBy: 'apikey:batching',
              requestId: `req-${name}`,
              idempotencyKey: null,
              inputHash: null,
            },
            null,
            null,
          ),
        ),
      );
      const running = await Promise.all(updates.map((u) => ledger.start(u.id, 'running')));
      await Promise.all(
        running.map((s, i) =>
          ledger.finish(s!.operation, s!.resource, { status: 'SUCCEEDED', changes: { name: ['renamed once', 'renamed twice'][i], etag: `"v${i + 2}"` }, action: 'UPDATED', message: 'updated' }),
        ),
      );
      const resource = await stack.sqlRow<{ name: string; etag: string }>('SELECT name, etag FROM resources WHERE id = $1', [end.resource!.id]);
      assert.deepEqual(resource, { name: 'renamed twice', etag: '"v3"' }, 'the later end wins, as it would have one after the other');
      const audits = await stack.sql<{ action: string; etag_after: string }>(`SELECT action, etag_after FROM audit_events WHERE resource_id = $1 ORDER BY seq`, [end.resource!.id]);
      assert.deepEqual(
        audits.map((a) => [a.action, a.etag_after]),
        [
          ['CREATED', '"p-contested"'],
          ['UPDATED', '"v2"'],
          ['UPDATED', '"v3"'],
        ],
      );
    });
  });
});
