import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { failuresOf, runSoak } from './support/soak.js';

/**
 * The short version of `npm run soak` (the issue's full size is a script: 60 s, 200 clients, 50
 * onboardings, 500 subscribers). Two gateways and two workers as separate processes, HTTP clients
 * mixing queries and mutations, onboardings watched by WebSocket subscribers on both gateways, a
 * fifth of the Platform's answers faulted. It fails on what a user would notice: an unexpected
 * error, a duplicate on the Platform, a subscriber that saw a step go back or skip a transition,
 * unfinished work, or an audit chain that no longer verifies.
 *
 * Regression: subscribers of an onboarding worked by two workers saw `connection:test` go
 * SUCCEEDED → RUNNING (13 of 30 in an 8 s run): states were published after the commit and
 * ordered by `updated_at`, and two workers' messages crossed.
 */
describe('a short soak: 2 gateways, 2 workers, faults, subscribers', () => {
  it('finishes every acknowledged operation and onboarding once, and every subscriber sees every transition in order', async () => {
    const report = await runSoak({
      durationSeconds: 12,
      gateways: 2,
      workers: 2,
      httpClients: 20,
      onboardings: 6,
      subscribers: 60,
      faultRate: 0.2,
      warmUpSeconds: 4,
      drainSeconds: 120,
      resources: ['CHARGES'],
    });
    assert.deepEqual(failuresOf(report), [], JSON.stringify({ samples: report.subscriberSamples, unexpected: report.unexpectedSamples }, null, 2));
    assert.ok(report.faultsInjected > 0, 'the emulator faulted some answers');
    // Onboardings are spread over the first half of the run (fewer start on a busy machine): every one that did, succeeded.
    assert.deepEqual(Object.keys(report.onboardingsByStatus), ['SUCCEEDED'], JSON.stringify(report.onboardingsByStatus));
    assert.ok(report.onboardingsByStatus.SUCCEEDED! >= 3, JSON.stringify(report.onboardingsByStatus));
    assert.ok(report.subscriberMessages > report.subscribers, 'subscribers heard more than the first state');
    assert.ok(report.acknowledgedOperations > 0 && report.queries.count > 0);
  });
});
