import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { decide, type Ledger, type LedgerStep } from '../../src/domain/onboarding-decide.js';
import type { StepStatus } from '../../src/domain/onboarding.js';
import { planSteps } from '../../src/domain/onboarding-plan.js';

/** The ledger of a fresh one-resource onboarding, with some steps' statuses set. */
function ledger(statuses: Record<string, StepStatus> = {}, options: Partial<Pick<Ledger, 'status' | 'rollbackOnFailure'>> = {}): Ledger {
  const steps: LedgerStep[] = planSteps({ onboardingId: '00000000-0000-5000-8000-000000000001', name: 'Acme', resources: ['charges'], existingDataset: null }).map((s) => ({
    key: s.key,
    kind: s.kind,
    status: statuses[s.key] ?? 'PENDING',
    dependsOn: s.dependsOn,
    undoes: null,
    resource: s.resource,
    resourceType: s.resourceType,
    resourceId: s.resourceId,
    platformId: statuses[s.key] === 'SUCCEEDED' ? `platform-${s.key}` : null,
    error: statuses[s.key] === 'FAILED' ? { code: 'PLATFORM_REJECTED', message: 'refused', retryable: false } : null,
  }));
  return { status: options.status ?? 'RUNNING', rollbackOnFailure: options.rollbackOnFailure ?? true, steps };
}

const done = (...keys: string[]): Record<string, StepStatus> => Object.fromEntries(keys.map((k) => [k, 'SUCCEEDED']));

describe('decide (the onboarding saga)', () => {
  it('starts with the base connection alone, and goes RUNNING', () => {
    assert.deepEqual(decide(ledger({}, { status: 'QUEUED' })), { action: 'start', status: 'RUNNING', keys: ['connection:create'] });
  });

  it('after the base connection starts its test, the shared class and explore side by side; the source connection after explore and the test', () => {
    assert.deepEqual(decide(ledger(done('connection:create'))), {
      action: 'start',
      status: 'RUNNING',
      keys: ['connection:test', 'xdm-class', 'charges:explore'],
    });
    // Explore done, the test still running: nothing that writes with the connection starts.
    assert.deepEqual(decide(ledger({ ...done('connection:create', 'charges:explore'), 'connection:test': 'RUNNING', 'xdm-class': 'RUNNING' })), { action: 'none' });
    assert.deepEqual(decide(ledger({ ...done('connection:create', 'connection:test', 'charges:explore'), 'xdm-class': 'RUNNING' })), {
      action: 'start',
      status: 'RUNNING',
      keys: ['charges:source-connection'],
    });
  });

  it('when the test and explore both fail (a key Stripe refuses), names the test, the first failed step of the plan, once neither is running', () => {
    const error = (message: string) => ({ code: 'PLATFORM_REJECTED' as const, message, retryable: false });
    const steps = ledger({ ...done('connection:create', 'xdm-class'), 'connection:test': 'FAILED', 'charges:explore': 'FAILED' }).steps.map((s) =>
      s.key === 'connection:test' ? { ...s, error: error('test failed') } : s.key === 'charges:explore' ? { ...s, error: error('explore failed') } : s,
    );
    const d = decide({ status: 'RUNNING', rollbackOnFailure: true, steps });
    assert.equal(d.action, 'roll-back');
    assert.match((d as { error: { message: string } }).error.message, /^step connection:test failed: test failed$/);
    // The explore still running: the failure waits for it.
    const waiting = steps.map((s) => (s.key === 'charges:explore' ? { ...s, status: 'RUNNING' as const, error: null } : s));
    assert.deepEqual(decide({ status: 'RUNNING', rollbackOnFailure: true, steps: waiting }), { action: 'none' });
  });

  it('starts the schema only once both explore and the shared class are recorded', () => {
    const waiting = decide(ledger({ ...done('connection:create', 'connection:test', 'charges:explore'), 'xdm-class': 'RUNNING', 'charges:source-connection': 'RUNNING' }));
    assert.deepEqual(waiting, { action: 'none' });
    const ready = decide(ledger({ ...done('connection:create', 'connection:test', 'charges:explore', 'xdm-class'), 'charges:source-connection': 'RUNNING' }));
    assert.deepEqual(ready, { action: 'start', status: 'RUNNING', keys: ['charges:xdm-schema'] });
  });

  it('starts the target connection and the mapping set side by side once the dataset is recorded', () => {
    const d = decide(ledger(done('connection:create', 'connection:test', 'xdm-class', 'charges:explore', 'charges:source-connection', 'charges:xdm-schema', 'charges:dataset')));
    assert.deepEqual(d, { action: 'start', status: 'RUNNING', keys: ['charges:target-connection', 'charges:mapping'] });
  });

  it('succeeds when every forward step succeeded', () => {
    const all = ledger().steps.map((s) => s.key);
    assert.deepEqual(decide(ledger(done(...all))), { action: 'succeed' });
  });

  describe('when a step fails for good', () => {
    it('waits for the steps in flight before deciding anything', () => {
      assert.deepEqual(decide(ledger({ ...done('connection:create', 'connection:test'), 'charges:explore': 'FAILED', 'xdm-class': 'RUNNING' })), { action: 'none' });
    });

    it('without rollback fails, naming the step in the error', () => {
      const d = decide(ledger({ ...done('connection:create', 'connection:test'), 'charges:explore': 'FAILED' }, { rollbackOnFailure: false }));
      assert.equal(d.action, 'fail');
      assert.match((d as { error: { message: string } }).error.message, /^step charges:explore failed: refused$/);
    });

    it('with rollback plans one undo per thing made (the failed create too), last made first, and cancels what never ran', () => {
      const d = decide(ledger({ ...done('connection:create', 'connection:test', 'xdm-class', 'charges:explore', 'charges:source-connection', 'charges:xdm-schema'), 'charges:dataset': 'FAILED' }));
      assert.equal(d.action, 'roll-back');
      const plan = d;
      assert.deepEqual(
        plan.undo.map((u) => u.undoes),
        ['charges:dataset', 'charges:xdm-schema', 'charges:source-connection', 'xdm-class', 'connection:create'],
      );
      assert.deepEqual(plan.undo.find((u) => u.undoes === 'xdm-class')!.dependsOn, ['undo:charges:xdm-schema'], 'the shared class goes after the schemas on it');
      assert.deepEqual(plan.undo.find((u) => u.undoes === 'connection:create')!.dependsOn.sort(), ['undo:charges:source-connection', 'undo:charges:xdm-schema', 'undo:xdm-class'].sort());
      assert.deepEqual(plan.cancel, ['charges:target-connection', 'charges:mapping', 'charges:dataflow']);
      assert.match(plan.error!.message, /charges:dataset/);
    });
  });

  describe('during a rollback', () => {
    /** A rollback of schema, class and connection, with the undo steps' statuses given. */
    function rollingBack(undo: Record<string, StepStatus>, error: LedgerStep['error'] = null): Ledger {
      const base = ledger({ ...done('connection:create', 'connection:test', 'xdm-class', 'charges:explore'), 'charges:xdm-schema': 'FAILED' }, { status: 'ROLLING_BACK' });
      const add = (undoes: string, dependsOn: string[]): LedgerStep => ({
        ...base.steps.find((s) => s.key === undoes)!,
        key: `undo:${undoes}`,
        kind: `UNDO_${base.steps.find((s) => s.key === undoes)!.kind}` as LedgerStep['kind'],
        undoes,
        dependsOn,
        status: undo[undoes] ?? 'PENDING',
        error: undo[undoes] === 'FAILED' ? error : null,
      });
      base.steps.push(add('charges:xdm-schema', []), add('xdm-class', ['undo:charges:xdm-schema']), add('connection:create', ['undo:xdm-class']));
      return base;
    }

    it('starts an undo only after the undos of what was built on it', () => {
      assert.deepEqual(decide(rollingBack({})), { action: 'start', status: 'ROLLING_BACK', keys: ['undo:charges:xdm-schema'] });
      assert.deepEqual(decide(rollingBack({ 'charges:xdm-schema': 'SUCCEEDED' })), { action: 'start', status: 'ROLLING_BACK', keys: ['undo:xdm-class'] });
    });

    it('goes on past an undo that failed, and ends FAILED listing what stays', () => {
      const failed = { code: 'PLATFORM_REJECTED' as const, message: 'still in use', retryable: false };
      assert.deepEqual(decide(rollingBack({ 'charges:xdm-schema': 'FAILED' }, failed)).action, 'start');
      const d = decide(rollingBack({ 'charges:xdm-schema': 'SUCCEEDED', 'xdm-class': 'FAILED', 'connection:create': 'SUCCEEDED' }, failed));
      assert.deepEqual(d, { action: 'end-rollback', status: 'FAILED', leftBehind: [{ resourceType: 'XDM_SCHEMA', resourceId: '', platformId: 'platform-xdm-class', reason: 'still in use' }] });
    });

    it('ends ROLLED_BACK when only a mapping set (which cannot be deleted) stays', () => {
      const d = decide(rollingBack({ 'charges:xdm-schema': 'SUCCEEDED', 'xdm-class': 'SUCCEEDED', 'connection:create': 'SUCCEEDED' }));
      assert.deepEqual(d, { action: 'end-rollback', status: 'ROLLED_BACK', leftBehind: [] });
    });

    it('plans the undo of a cancel that asked for a rollback', () => {
      const cancelled = ledger(done('connection:create', 'connection:test'), { status: 'ROLLING_BACK' });
      const d = decide(cancelled);
      assert.equal(d.action, 'roll-back');
      assert.deepEqual(
        d.undo.map((u) => u.key),
        ['undo:connection:create'],
      );
    });
  });
});
