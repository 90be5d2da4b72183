import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { siblingEnds, type EndRecording } from '../../../src/jobs/onboarding/orchestrator.js';
import type { StepRow } from '../../../src/store/onboarding-rows.js';

/** A ledger row with what `siblingEnds` reads. */
const row = (key: string, status: StepRow['status'], dependsOn: string[] = []): StepRow => ({ key, status, depends_on: dependsOn }) as unknown as StepRow;

/** Ends being recorded, by step key. */
function recording(...steps: string[]): Map<string, EndRecording> {
  return new Map(steps.map((step) => [`op-${step}`, { step, settled: Promise.resolve(), done: false }]));
}

const waitedSteps = (ledger: StepRow[], ended: string[], ends: Map<string, EndRecording>) =>
  siblingEnds(ledger, new Set(ended), ends)
    .map((end) => end.step)
    .sort();

/** One resource's steps from the explore on, as the last pass left them (the class and source connection made). */
const CHARGES = [
  row('connection:test', 'SUCCEEDED'),
  row('xdm-class', 'SUCCEEDED'),
  row('charges:explore', 'RUNNING', ['connection:test']),
  row('charges:source-connection', 'RUNNING', ['connection:test']),
  row('charges:xdm-schema', 'PENDING', ['charges:explore', 'xdm-class']),
  row('charges:dataset', 'PENDING', ['charges:xdm-schema']),
  row('charges:mapping', 'PENDING', ['charges:xdm-schema', 'charges:source-connection', 'charges:explore']),
  row('charges:target-connection', 'PENDING', ['charges:dataset']),
  row('charges:dataflow', 'PENDING', ['charges:mapping', 'charges:target-connection', 'charges:source-connection']),
];

const withStatus = (ledger: StepRow[], status: Record<string, StepRow['status']>) => ledger.map((s) => (status[s.key] ? { ...s, status: status[s.key]! } : s));

/** The explore, source connection and schema done. */
const SCHEMA_MADE: Record<string, StepRow['status']> = { 'charges:explore': 'SUCCEEDED', 'charges:source-connection': 'SUCCEEDED', 'charges:xdm-schema': 'SUCCEEDED' };

describe('which ends being recorded a pass waits for', () => {
  it("waits for a dataflow's other input: the mapping ending beside the target connection", () => {
    const ledger = withStatus(CHARGES, {
      ...SCHEMA_MADE,
      'charges:dataset': 'SUCCEEDED',
      'charges:mapping': 'RUNNING',
      'charges:target-connection': 'RUNNING',
    });
    assert.deepEqual(waitedSteps(ledger, ['charges:target-connection'], recording('charges:mapping')), ['charges:mapping']);
  });

  it("waits for another resource's end that makes its next step ready (the last resource's schema)", () => {
    const ledger = [
      ...withStatus(CHARGES, { 'charges:explore': 'SUCCEEDED', 'charges:xdm-schema': 'RUNNING' }),
      row('refunds:xdm-schema', 'RUNNING', ['refunds:explore']),
      row('refunds:explore', 'SUCCEEDED'),
      row('refunds:dataset', 'PENDING', ['refunds:xdm-schema']),
    ];
    assert.deepEqual(waitedSteps(ledger, ['charges:xdm-schema'], recording('refunds:xdm-schema')), ['refunds:xdm-schema']);
  });

  it('does not wait for an end that starts nothing yet: a source connection ending beside the explore', () => {
    assert.deepEqual(waitedSteps(CHARGES, ['charges:explore'], recording('charges:source-connection')), []);
  });

  it('does not wait when a pending step also needs a step still at work on the Platform', () => {
    const ledger = withStatus(CHARGES, {
      ...SCHEMA_MADE,
      'charges:mapping': 'RUNNING',
      'charges:dataset': 'RUNNING',
    });
    // The dataflow needs the target connection too, which has not started: the mapping's end starts nothing with it.
    assert.deepEqual(waitedSteps(ledger, ['charges:dataset'], recording('charges:mapping')), []);
  });

  it('waits for nothing in a pass no end asked for (a sweep)', () => {
    assert.deepEqual(waitedSteps(CHARGES, [], recording('charges:explore')), []);
  });
});
