import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { countsGrowth, emulatorCounts, expectedCounts, inventoryCounts, onboardAndWait, platformInventory, requestLogMark, requestsSince, stepOf } from './support/onboarding-reads.js';
import { TestStack, uniqueName } from './support/stack.js';

const KEY = 'sk_test_51OnboardingFaultsKey01';
const FLOW = '/data/foundation/flowservice';
const REGISTRY = '/data/foundation/schemaregistry';

/**
 * The Platform call each step makes that a fault is aimed at: the create call of every create
 * step (both of an XDM schema's, and the record class its schemas share), and the read of the two steps that only read.
 */
const CALLS: { step: string; method: string; path: string }[] = [
  { step: 'connection create', method: 'POST', path: `${FLOW}/connections` },
  { step: 'connection test', method: 'GET', path: `${FLOW}/connections/*/test` },
  { step: 'explore', method: 'GET', path: `${FLOW}/connections/*/explore` },
  { step: 'source connection', method: 'POST', path: `${FLOW}/sourceConnections` },
  { step: 'the shared record class', method: 'POST', path: `${REGISTRY}/tenant/classes` },
  { step: 'XDM schema (its field group)', method: 'POST', path: `${REGISTRY}/tenant/fieldgroups` },
  { step: 'XDM schema (the schema)', method: 'POST', path: `${REGISTRY}/tenant/schemas` },
  { step: 'dataset', method: 'POST', path: '/data/foundation/catalog/dataSets' },
  { step: 'target connection', method: 'POST', path: `${FLOW}/targetConnections` },
  { step: 'mapping', method: 'POST', path: '/data/foundation/conversion/mappingSets' },
  { step: 'dataflow', method: 'POST', path: `${FLOW}/flows` },
];

/**
 * Commit-then-drop: the Platform does the work, then the connection dies before the answer, so
 * only a lookup by name can tell a write happened (a read is simply asked again). The 503 burst outlasts the client's own
 * retries (4 attempts), so the step's job is retried as well.
 */
const FAULTS: { label: string; rule: Record<string, unknown>; hits: number }[] = [
  { label: 'the Platform carries it out but its answer is lost (commit-then-drop)', rule: { mode: 'commit-then-drop', count: 1 }, hits: 1 },
  { label: 'it meets a burst of five 503s', rule: { status: 503, count: 5 }, hits: 5 },
];

const pattern = (path: string) =>
  new RegExp(
    `^${path
      .split('*')
      .map((p) => p.replace(/[.+?^${}()|[\]\\]/g, '\\$&'))
      .join('[^/]+')}$`,
  );

describe('onboardStripe under Platform faults', () => {
  let stack: TestStack;
  before(async () => {
    stack = await TestStack.start();
  });
  after(() => stack.stop());

  for (const call of CALLS) {
    describe(`when the ${call.step} call (${call.method} ${call.path.replace(/^\/data\/foundation/, '')})`, () => {
      for (const fault of FAULTS) {
        it(`${fault.label}: the onboarding still SUCCEEDS and the Platform holds exactly one of each resource`, async () => {
          const name = uniqueName('Faulty');
          const countsBefore = await emulatorCounts(stack);
          const mark = await requestLogMark(stack);
          await stack.control('DELETE', '/faults');
          await stack.control('POST', '/faults', { method: call.method, path: call.path, ...fault.rule });

          const onboarding = await onboardAndWait(stack, { name, accessToken: KEY, resources: ['CHARGES'], schedule: { frequency: 'HOUR', interval: 1 } });

          // The fault did strike this call, as many times as it was set to.
          const struck = (await requestsSince(stack, mark)).filter((r) => r.fault && r.method === call.method && pattern(call.path).test(r.path));
          assert.equal(struck.length, fault.hits, `the fault struck ${struck.length} time(s)`);

          assert.equal(onboarding.status, 'SUCCEEDED', JSON.stringify({ error: onboarding.error, failed: onboarding.steps.filter((s: any) => s.error) }));
          assert.ok(onboarding.steps.every((s: any) => s.status === 'SUCCEEDED'));
          const inventory = await platformInventory(stack, name);
          assert.deepEqual(inventoryCounts(inventory), expectedCounts(1));
          assert.deepEqual(countsGrowth(countsBefore, await emulatorCounts(stack)), expectedCounts(1), 'nothing was created under another name either');

          // Flowgate recorded the resource that exists, not a lost one.
          const onPlatform = new Set([
            ...[...inventory.connections, ...inventory.sourceConnections, ...inventory.targetConnections, ...inventory.flows, ...inventory.datasets, ...inventory.mappingSets].map((r) => r.id),
            ...inventory.schemas.map((s) => s.$id),
          ]);
          for (const step of onboarding.steps.filter((s: any) => s.resourceId)) assert.ok(onPlatform.has(step.platformId), `${step.key} records ${step.platformId}, which the Platform holds`);
          const [flow] = inventory.flows;
          assert.deepEqual(flow.sourceConnectionIds, [stepOf(onboarding, 'charges:source-connection').platformId]);
          assert.deepEqual(flow.targetConnectionIds, [stepOf(onboarding, 'charges:target-connection').platformId]);
          assert.equal(flow.transformations[0].params.mappingId, stepOf(onboarding, 'charges:mapping').platformId);
        });
      }
    });
  }
});
