import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { OPERATION_FIELDS, TestStack } from './support/stack.js';

const CREATE = `mutation($input: CreateConnectionInput!) { createConnection(input: $input) { ${OPERATION_FIELDS} } }`;
const KEY = 'sk_test_51ContractsSuiteKey01';

/**
 * Every operation type has one contract (domain/operations.ts): what is recorded is checked
 * against it, and a worker checks it again before anything reaches the Platform.
 */
describe('operation contracts', () => {
  let stack: TestStack;
  let connectionId: string;
  before(async () => {
    stack = await TestStack.start();
    const queued = (await stack.data(CREATE, { input: { name: 'contract subject', accessToken: KEY } })).createConnection;
    connectionId = (await stack.waitForOperation(queued.id)).resourceId;
  });
  after(() => stack.stop());

  describe('when a stored operation breaks its contract', () => {
    it('fails it at once as MALFORMED_OPERATION naming the field, without retries or a Platform call', async () => {
      const id = randomUUID();
      await stack.sql(
        `INSERT INTO operations (id, type, status, resource_type, resource_id, sandbox, input, requested_by, message, updated_at)
         VALUES ($1, 'UPDATE_CONNECTION', 'QUEUED', 'CONNECTION', $2, 'prod', $3::jsonb, 'apikey:test-admin', 'queued', now())`,
        [id, connectionId, JSON.stringify({ changes: { name: 42 }, ifMatch: null, rotatesAccessToken: false })],
      );
      await stack.control('DELETE', '/requests');
      await stack.process.deps.operationsQueue.add('operation', { operationId: id }, { jobId: id, attempts: 8 });

      const done = await stack.waitForOperation(id);
      assert.equal(done.status, 'FAILED');
      assert.equal(done.error.code, 'MALFORMED_OPERATION');
      assert.match(done.error.message, /input\.changes\.name/);
      assert.equal(done.error.retryable, false);
      assert.equal(done.attempts, 1, 'a malformed operation is not retried');
      const { requests } = (await stack.control('GET', '/requests')) as { requests: { method: string; path: string }[] };
      assert.deepEqual(
        requests.filter((r) => r.path.startsWith('/data/')),
        [],
        'the Platform was not called',
      );
      const connection = await stack.data('query($id: ID!) { connection(id: $id) { name state } }', { id: connectionId });
      assert.deepEqual(connection.connection, { name: 'contract subject', state: 'ENABLED' });
    });
  });

  describe('when a job does not carry an operation id', () => {
    it('fails the job on its first attempt, naming its payload schema', async () => {
      const queue = stack.process.deps.operationsQueue;
      const job = await queue.add('operation', { operationId: 'not-an-id' }, { jobId: `malformed-${randomUUID()}`, attempts: 5, removeOnFail: false });
      const deadline = Date.now() + 15_000;
      let state = await job.getState();
      while (state !== 'failed' && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 50));
        state = await job.getState();
      }
      const failed = (await queue.getJob(job.id!))!;
      assert.equal(state, 'failed');
      assert.equal(failed.attemptsMade, 1, 'not retried');
      assert.match(failed.failedReason, /does not match its payload schema/);
    });
  });

  describe('when something would record an operation that breaks its contract', () => {
    it('writes nothing: the store refuses it before the statement', async () => {
      const id = randomUUID();
      await assert.rejects(
        stack.process.deps.store.ledger.record(
          {
            id,
            type: 'DELETE_CONNECTION',
            resourceId: connectionId,
            sandbox: 'prod',
            input: { cascade: 'yes' },
            requestedBy: 'apikey:test-admin',
            requestId: null,
            idempotencyKey: null,
            inputHash: null,
          },
          null,
          null,
        ),
        /cascade/,
      );
      assert.deepEqual(await stack.sql('SELECT id FROM operations WHERE id = $1', [id]), []);
    });
  });
});
