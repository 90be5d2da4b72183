import assert from 'node:assert/strict';
import { AsyncLocalStorage } from 'node:async_hooks';
import { describe, it } from 'node:test';
import { StatementBatcher, type RunStatement } from '../../src/store/statement-batcher.js';

/** A refusal as node-postgres reports one: an error carrying PostgreSQL's SQLSTATE. */
class Refused extends Error {
  readonly severity = 'ERROR';
  constructor(readonly code: string) {
    super(`refused with ${code}`);
  }
}

/** A stand-in for the statement: records each call's items and lane, answers `item × 10`, refuses or breaks as told. */
function statement(options: { refuse?: (item: number) => boolean; breakConnection?: boolean; slow?: Promise<void> } = {}) {
  const calls: { items: number[]; lane: string }[] = [];
  let running = 0;
  let mostRunning = 0;
  const run: RunStatement<number, number> = async (items, lane) => {
    calls.push({ items: [...items], lane });
    running++;
    mostRunning = Math.max(mostRunning, running);
    try {
      await (options.slow ?? Promise.resolve());
      if (options.breakConnection) throw Object.assign(new Error('write EPIPE'), { code: 'EPIPE' });
      if (options.refuse && items.some(options.refuse)) throw new Refused('23505');
      return items.map((item) => (item < 0 ? new Error(`no row for ${item}`) : item * 10));
    } finally {
      running--;
    }
  };
  return { run, calls, mostRunning: () => mostRunning };
}

/** A statement held running until `release` is called. */
function held(): { slow: Promise<void>; release: () => void } {
  let release!: () => void;
  const slow = new Promise<void>((resolve) => (release = resolve));
  return { slow, release };
}

/** Lets the batcher's scheduled statements start. */
const nextTurn = () => new Promise((resolve) => setImmediate(resolve));

describe('StatementBatcher (group commit of one kind of write)', () => {
  it('writes submitted together share one statement, and each caller gets its own result', async () => {
    const s = statement();
    const batcher = new StatementBatcher({ run: s.run });
    const results = await Promise.all([1, 2, 3].map((n) => batcher.submit(n, [`op-${n}`])));
    assert.deepEqual(results, [10, 20, 30]);
    assert.deepEqual(s.calls, [{ items: [1, 2, 3], lane: 'default' }]);
  });

  it('never puts two writes with a common key in one statement: the later one goes in the next, in order', async () => {
    const s = statement();
    const batcher = new StatementBatcher({ run: s.run, maxInFlight: 1 });
    await Promise.all([batcher.submit(1, ['op-a', 'resource-x']), batcher.submit(2, ['op-b', 'resource-x']), batcher.submit(3, ['op-c', 'resource-y'])]);
    assert.deepEqual(
      s.calls.map((c) => c.items),
      [[1, 3], [2]],
    );
  });

  it('starts a write that shares a key with a running statement only after that statement ended, whatever runs meanwhile', async () => {
    const { slow, release } = held();
    const s = statement({ slow });
    const batcher = new StatementBatcher({ run: s.run, maxInFlight: 2 });
    const first = batcher.submit(1, ['resource-x']);
    await nextTurn();
    const second = batcher.submit(2, ['resource-x']);
    const other = batcher.submit(3, ['resource-y']);
    await nextTurn();
    assert.deepEqual(
      s.calls.map((c) => c.items),
      [[1], [3]],
      'the unrelated write goes beside the running statement; the one on the same resource waits',
    );
    release();
    await Promise.all([first, second, other]);
    assert.deepEqual(
      s.calls.map((c) => c.items),
      [[1], [3], [2]],
    );
  });

  it('never mixes lanes in one statement', async () => {
    const s = statement();
    const batcher = new StatementBatcher({ run: s.run, maxInFlight: 1 });
    await Promise.all([batcher.submit(1, ['a'], 'sync'), batcher.submit(2, ['b'], 'flush-later'), batcher.submit(3, ['c'], 'sync')]);
    assert.deepEqual(s.calls, [
      { items: [1, 3], lane: 'sync' },
      { items: [2], lane: 'flush-later' },
    ]);
  });

  it('runs each write of a refused statement again alone, so only the refused one fails', async () => {
    const s = statement({ refuse: (n) => n === 2 });
    const batcher = new StatementBatcher({ run: s.run });
    const results = await Promise.allSettled([1, 2, 3].map((n) => batcher.submit(n, [`op-${n}`])));
    assert.deepEqual(
      results.map((r) => (r.status === 'fulfilled' ? r.value : (r.reason as Refused).code)),
      [10, '23505', 30],
    );
    assert.deepEqual(
      s.calls.map((c) => c.items),
      [[1, 2, 3], [1], [2], [3]],
    );
  });

  it('fails every write of a statement whose connection broke (its outcome is unknown), without running them again', async () => {
    const s = statement({ breakConnection: true });
    const batcher = new StatementBatcher({ run: s.run });
    const results = await Promise.allSettled([1, 2].map((n) => batcher.submit(n, [`op-${n}`])));
    assert.deepEqual(
      results.map((r) => r.status === 'rejected' && (r.reason as Error).message),
      ['write EPIPE', 'write EPIPE'],
    );
    assert.equal(s.calls.length, 1);
  });

  it('fails only the write whose own result is an error', async () => {
    const s = statement();
    const batcher = new StatementBatcher({ run: s.run });
    const results = await Promise.allSettled([1, -1].map((n) => batcher.submit(n, [`op-${n}`])));
    assert.deepEqual(
      results.map((r) => (r.status === 'fulfilled' ? r.value : (r.reason as Error).message)),
      [10, 'no row for -1'],
    );
  });

  it('runs at most maxInFlight statements at once; writes arriving meanwhile go together in the next', async () => {
    const { slow, release } = held();
    const s = statement({ slow });
    const batcher = new StatementBatcher({ run: s.run, maxInFlight: 1 });
    const first = batcher.submit(1, ['op-1']);
    await nextTurn();
    const later = [2, 3, 4].map((n) => batcher.submit(n, [`op-${n}`]));
    await nextTurn();
    assert.deepEqual(
      s.calls.map((c) => c.items),
      [[1]],
      'the others wait while the first statement runs',
    );
    release();
    assert.deepEqual(await Promise.all([first, ...later]), [10, 20, 30, 40]);
    assert.deepEqual(
      s.calls.map((c) => c.items),
      [[1], [2, 3, 4]],
    );
    assert.equal(s.mostRunning(), 1);
  });

  it('puts at most maxItems writes in one statement', async () => {
    const s = statement();
    const batcher = new StatementBatcher({ run: s.run, maxItems: 2, maxInFlight: 1 });
    await Promise.all([1, 2, 3, 4, 5].map((n) => batcher.submit(n, [`op-${n}`])));
    assert.deepEqual(
      s.calls.map((c) => c.items),
      [[1, 2], [3, 4], [5]],
    );
  });

  it("runs each statement in its first write's async context (its trace), not in the context of the statement before it", async () => {
    const requests = new AsyncLocalStorage<string>();
    const gate = held();
    const seen: { items: number[]; request: string | undefined }[] = [];
    const batcher = new StatementBatcher<number, number>({
      maxInFlight: 1,
      run: async (items) => {
        seen.push({ items: [...items], request: requests.getStore() });
        if (items[0] === 1) await gate.slow;
        return items.map((i) => i * 10);
      },
    });
    const first = requests.run('request A', () => batcher.submit(1, ['a']));
    await new Promise((resolve) => setImmediate(resolve));
    // Submitted while A's statement runs: they go together in the next one, scheduled when A's ends.
    const second = requests.run('request B', () => batcher.submit(2, ['b']));
    const third = requests.run('request C', () => batcher.submit(3, ['c']));
    gate.release();
    assert.deepEqual(await Promise.all([first, second, third]), [10, 20, 30]);
    assert.deepEqual(seen, [
      { items: [1], request: 'request A' },
      { items: [2, 3], request: 'request B' },
    ]);
  });
});
