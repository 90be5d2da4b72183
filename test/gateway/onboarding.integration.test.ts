import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  clockAtRealTime,
  countsGrowth,
  emulatorCounts,
  expectedCounts,
  inventoryCounts,
  onboardAndWait,
  onboardStripe,
  platformInventory,
  requestLogMark,
  requestsSince,
  stepOf,
  tableCounts,
  waitForOnboarding,
  type PlatformInventory,
} from './support/onboarding-reads.js';
import { buildUpstream, type Upstream } from './support/prerequisites.js';
import { TestStack, uniqueName } from './support/stack.js';

const KEY = 'sk_test_51OnboardingSuiteKey001';
/** The caller the happy-path onboardings run as: an operator key named `onboarder`. */
const ACTOR = 'apikey:onboarder';
let onboarderKey = '';
const TENANT = '_flowgatelocal';
const ALL_RESOURCES = ['CHARGES', 'SUBSCRIPTIONS', 'REFUNDS', 'BALANCE_TRANSACTIONS', 'CUSTOMERS', 'PRICES'];
const HOURLY = { frequency: 'HOUR', interval: 1, backfill: true };

/** The Stripe resource path of a `StripeResource` value (`BALANCE_TRANSACTIONS` → `balance_transactions`). */
const pathOf = (resource: string) => resource.toLowerCase();

/** Step keys of an onboarding that creates its own schemas and datasets, as issue 4 lists them. */
function expectedStepKeys(resources: string[], withSchemas = true): string[] {
  const perResource = withSchemas
    ? ['explore', 'source-connection', 'xdm-schema', 'dataset', 'target-connection', 'mapping', 'dataflow']
    : ['explore', 'source-connection', 'target-connection', 'mapping', 'dataflow'];
  // With schemas, one record class shared by all of them.
  return ['connection:create', 'connection:test', ...(withSchemas ? ['xdm-class'] : []), ...resources.flatMap((r) => perResource.map((s) => `${pathOf(r)}:${s}`))].sort();
}

/**
 * Pairs [first, then] of the plan's order: the base connection is created first; its test, the
 * shared record class and each resource's explore (a read) follow it; every write that uses the
 * connection waits for the test. Then per resource explore → XDM schema → dataset → target
 * connection, and the mapping (generated from explore and the schema, made once the dataset
 * exists) and dataflow after the connections they join.
 */
function expectedOrder(resources: string[]): [string, string][] {
  const pairs: [string, string][] = [
    ['connection:create', 'connection:test'],
    ['connection:create', 'xdm-class'],
  ];
  for (const r of resources.map(pathOf)) {
    pairs.push(['connection:create', `${r}:explore`]);
    for (const s of ['source-connection', 'xdm-schema', 'dataset', 'target-connection', 'mapping', 'dataflow']) pairs.push(['connection:test', `${r}:${s}`]);
    pairs.push(['xdm-class', `${r}:xdm-schema`], [`${r}:explore`, `${r}:xdm-schema`], [`${r}:xdm-schema`, `${r}:dataset`], [`${r}:dataset`, `${r}:target-connection`]);
    for (const s of ['explore', 'xdm-schema', 'source-connection', 'dataset']) pairs.push([`${r}:${s}`, `${r}:mapping`]);
    for (const s of ['source-connection', 'target-connection', 'mapping']) pairs.push([`${r}:${s}`, `${r}:dataflow`]);
  }
  return pairs;
}

/** Which GraphQL query reads the resource a create step makes, and the Flowgate name issue 4's naming gives it. */
const CREATED_BY: Record<string, { query: string; operation: string; name: (onboarding: string, path: string) => string }> = {
  CREATE_CONNECTION: { query: 'connection', operation: 'CREATE_CONNECTION', name: (o) => o },
  CREATE_SOURCE_CONNECTION: { query: 'sourceConnection', operation: 'CREATE_SOURCE_CONNECTION', name: (o, p) => `${o} ${p} source` },
  CREATE_XDM_SCHEMA: { query: 'xdmSchema', operation: 'CREATE_XDM_SCHEMA', name: (o, p) => `${o} ${p}` },
  CREATE_DATASET: { query: 'dataset', operation: 'CREATE_DATASET', name: (o, p) => `${o} ${p}` },
  CREATE_TARGET_CONNECTION: { query: 'targetConnection', operation: 'CREATE_TARGET_CONNECTION', name: (o, p) => `${o} ${p} target` },
  CREATE_MAPPING: { query: 'mapping', operation: 'CREATE_MAPPING', name: (o, p) => `${o} ${p} mapping` },
  CREATE_DATAFLOW: { query: 'dataflow', operation: 'CREATE_DATAFLOW', name: (o, p) => `${o} ${p}` },
};

/** How the resource a create step makes is read and named; fails for a step kind that creates none. */
function createdBy(stepKind: string): { query: string; operation: string; name: (onboarding: string, path: string) => string } {
  const entry = CREATED_BY[stepKind];
  assert.ok(entry, `a ${stepKind} step creates no Flowgate resource`);
  return entry;
}

/** The one item of `items` named `name`; fails if there is none or more than one. */
function one(items: any[], name: string, nameField = 'name'): any {
  const found = items.filter((i) => i[nameField] === name);
  assert.equal(found.length, 1, `expected exactly one "${name}" on the Platform, found ${found.length} among ${JSON.stringify(items.map((i) => i[nameField]))}`);
  return found[0];
}

/** Reads the Flowgate resource a create step made, its operation and its audit trail. */
async function flowgateRecordOf(stack: TestStack, step: any): Promise<{ resource: any; operation: any; audit: any[] }> {
  const { query } = createdBy(step.kind);
  const data = await stack.data(
    `query($id: ID!, $op: ID!) {
      resource: ${query}(id: $id) { id platformId name state etag }
      operation(id: $op) { id type status requestedBy resourceId }
      auditEvents(filter: { resourceId: $id }) { edges { node { action actor platformId operationId etagAfter } } }
    }`,
    { id: step.resourceId, op: step.operationId },
  );
  return { resource: data.resource, operation: data.operation, audit: data.auditEvents.edges.map((e: any) => e.node) };
}

describe('one-call Stripe onboarding (onboardStripe)', () => {
  let stack: TestStack;
  before(async () => {
    stack = await TestStack.start();
    onboarderKey = await stack.createKey('onboarder', 'operator');
  });
  after(() => stack.stop());

  describe('when nothing goes wrong', () => {
    const cases = [
      { label: 'one Stripe resource', resources: ['CHARGES'] },
      { label: 'all six Stripe resources', resources: ALL_RESOURCES },
    ];
    const finished = new Map<string, { name: string; onboarding: any; inventory?: PlatformInventory }>();
    before(() => clockAtRealTime(stack));

    for (const { label, resources } of cases) {
      describe(`for ${label}`, () => {
        const name = uniqueName('Acme');
        let countsBefore: Awaited<ReturnType<typeof emulatorCounts>>;

        it('answers at once with an unfinished onboarding listing every step, and the workers bring it to SUCCEEDED', async () => {
          countsBefore = await emulatorCounts(stack);
          const result = await onboardStripe(stack, { name, accessToken: KEY, resources, schedule: HOURLY }, stack.auth(onboarderKey));
          assert.equal(result.errors, undefined, JSON.stringify(result.errors));
          const queued = result.data.onboardStripe;
          assert.ok(['QUEUED', 'RUNNING'].includes(queued.status), `answered ${queued.status}`);
          assert.equal(queued.finishedAt, null);
          assert.ok(queued.progress < 1);
          assert.deepEqual(queued.steps.map((s: any) => s.key).sort(), expectedStepKeys(resources));
          assert.deepEqual(queued.resources, resources);

          const onboarding = await waitForOnboarding(stack, queued.id);
          finished.set(label, { name, onboarding });
          assert.equal(onboarding.status, 'SUCCEEDED', JSON.stringify({ error: onboarding.error, failed: onboarding.steps.filter((s: any) => s.error) }));
          assert.equal(onboarding.id, queued.id);
          assert.equal(onboarding.progress, 1);
          assert.equal(onboarding.currentStep, null);
          assert.equal(onboarding.error, null);
          assert.ok(onboarding.finishedAt, 'finishedAt is set');
          assert.ok(Date.parse(onboarding.finishedAt) >= Date.parse(onboarding.createdAt));
          assert.equal(onboarding.requestedBy, ACTOR);
        });

        it('records every step SUCCEEDED, each started only after the steps it depends on finished', async () => {
          const { onboarding } = finished.get(label)!;
          for (const step of onboarding.steps) {
            assert.equal(step.status, 'SUCCEEDED', step.key);
            assert.ok(step.attempts >= 1, step.key);
            assert.ok(step.startedAt && step.finishedAt, `${step.key} has startedAt and finishedAt`);
            assert.equal(step.error, null, step.key);
            if (CREATED_BY[step.kind]) {
              assert.ok(step.resourceId && step.platformId && step.operationId, `${step.key} names its resource, Platform id and operation`);
            } else {
              assert.ok(['TEST_CONNECTION', 'EXPLORE', 'CREATE_XDM_CLASS'].includes(step.kind), step.kind);
              assert.equal(step.resourceId, null, `${step.key} makes no Flowgate resource`);
              // The shared record class is a part of the schemas: the Platform id is the step's own.
              if (step.kind === 'CREATE_XDM_CLASS') assert.ok(step.platformId, `${step.key} names the class it made`);
            }
            for (const dependency of step.dependsOn) {
              assert.ok(
                Date.parse(step.startedAt) >= Date.parse(stepOf(onboarding, dependency).finishedAt),
                `${step.key} started (${step.startedAt}) before ${dependency} finished (${stepOf(onboarding, dependency).finishedAt})`,
              );
            }
          }
          // The order issue 4 prescribes, whatever the ledger says each step depends on.
          for (const [first, then] of expectedOrder(resources)) {
            assert.ok(Date.parse(stepOf(onboarding, then).startedAt) >= Date.parse(stepOf(onboarding, first).finishedAt), `${then} started before ${first} finished`);
          }
          assert.equal(onboarding.connection.platformId, stepOf(onboarding, 'connection:create').platformId);
          assert.deepEqual(onboarding.dataflows.map((d: any) => d.id).sort(), resources.map((r) => stepOf(onboarding, `${pathOf(r)}:dataflow`).resourceId).sort());
        });

        it('leaves exactly one base connection and, per resource, one source connection, schema, dataset, target connection, mapping set and dataflow on the Platform', async () => {
          const entry = finished.get(label)!;
          const inventory = await platformInventory(stack, name);
          entry.inventory = inventory;
          assert.deepEqual(inventoryCounts(inventory), expectedCounts(resources.length));
          // Nothing was created under another name either.
          assert.deepEqual(countsGrowth(countsBefore, await emulatorCounts(stack)), expectedCounts(resources.length));
        });

        it('wires them together: each flow reads its resource through the connection and writes its dataset through its mapping', async () => {
          const { onboarding, inventory } = finished.get(label)!;
          const inv = inventory!;
          const connectionStep = stepOf(onboarding, 'connection:create');
          const connection = one(inv.connections, `${name} [fg:${connectionStep.resourceId}]`);
          assert.equal(connection.id, connectionStep.platformId);
          assert.equal(connection.state, 'enabled');
          for (const resource of resources) {
            const p = pathOf(resource);
            const step = (s: string) => stepOf(onboarding, `${p}:${s}`);
            const source = one(inv.sourceConnections, `${name} ${p} source [fg:${step('source-connection').resourceId}]`);
            const schemaId = step('xdm-schema').resourceId;
            const schema = one(inv.schemas, `${name} ${p} [fg:${schemaId}]`, 'title');
            const klass = one(inv.classes, `${name} class [fg:${onboarding.id}.class]`, 'title'); // shared by the onboarding's schemas
            const fieldGroup = one(inv.fieldGroups, `${name} ${p} fields [fg:${schemaId}.fieldgroup]`, 'title');
            const dataset = one(inv.datasets, `${name} ${p} [fg:${step('dataset').resourceId}]`);
            const target = one(inv.targetConnections, `${name} ${p} target [fg:${step('target-connection').resourceId}]`);
            const mappingSet = one(inv.mappingSets, `${name} ${p} mapping [fg:${step('mapping').resourceId}]`);
            const flow = one(inv.flows, `${name} ${p} [fg:${step('dataflow').resourceId}]`);

            assert.equal(source.id, step('source-connection').platformId);
            assert.equal(source.baseConnectionId, connection.id);
            assert.equal(source.params.resourcePath, p);

            assert.equal(schema.$id, step('xdm-schema').platformId);
            assert.equal(schema['meta:class'], klass.$id);
            assert.deepEqual(schema.allOf.map((a: any) => a.$ref).sort(), [klass.$id, fieldGroup.$id].sort());
            assert.deepEqual(fieldGroup['meta:intendedToExtend'], [klass.$id]);
            const mirrored = fieldGroup.definitions[p].properties[TENANT].properties[`${p}_data`].properties;
            assert.ok(Object.keys(mirrored).length > 0, `the field group mirrors the explored ${p} record`);

            assert.equal(dataset.id, step('dataset').platformId);
            assert.equal(dataset.schemaRef.id, schema.$id);

            assert.equal(target.id, step('target-connection').platformId);
            assert.equal(target.params.dataSetId, dataset.id);
            assert.equal(target.data.schema.id, schema.$id);

            assert.equal(mappingSet.id, step('mapping').platformId);
            assert.equal(mappingSet.outputSchema.schemaRef.id, schema.$id);
            assert.ok(mappingSet.mappings.length > 0);
            for (const m of mappingSet.mappings) {
              // A copy reads a path of the record; an expression (a timestamp, a reference) reads one inside it.
              if (m.sourceType === 'text/x.schema-path') assert.match(m.source, /^data\./);
              else assert.match(m.source, /data\.[a-z_]+/);
              assert.ok(m.destination.startsWith(`${TENANT}.${p}_data.`), m.destination);
            }

            assert.equal(flow.id, step('dataflow').platformId);
            assert.equal(flow.state, 'enabled');
            assert.deepEqual(flow.sourceConnectionIds, [source.id]);
            assert.deepEqual(flow.targetConnectionIds, [target.id]);
            assert.equal(flow.transformations.length, 1);
            assert.equal(flow.transformations[0].params.mappingId, mappingSet.id);
            assert.equal(String(flow.scheduleParams.frequency), 'hour');
            assert.equal(String(flow.scheduleParams.interval), '1');
          }
        });

        it('makes every created resource an ordinary Flowgate resource, with its own operation and audit event by the requesting actor', async () => {
          const { onboarding } = finished.get(label)!;
          for (const step of onboarding.steps.filter((s: any) => CREATED_BY[s.kind])) {
            const { resource, operation, audit } = await flowgateRecordOf(stack, step);
            const p = step.resource ? pathOf(step.resource) : '';
            const by = createdBy(step.kind);
            assert.ok(resource, `${step.key}: ${by.query}(id) finds it`);
            assert.equal(resource.platformId, step.platformId, step.key);
            assert.equal(resource.name, by.name(name, p), step.key);
            assert.ok(['READY', 'ENABLED'].includes(resource.state), `${step.key} is ${resource.state}`);
            assert.deepEqual(
              { type: operation.type, status: operation.status, requestedBy: operation.requestedBy, resourceId: operation.resourceId },
              { type: by.operation, status: 'SUCCEEDED', requestedBy: ACTOR, resourceId: step.resourceId },
              step.key,
            );
            const created = audit.filter((e) => e.action === 'CREATED');
            assert.equal(created.length, 1, `${step.key} has one CREATED audit event: ${JSON.stringify(audit)}`);
            assert.deepEqual(
              { actor: created[0].actor, platformId: created[0].platformId, operationId: created[0].operationId, etag: created[0].etagAfter },
              // Catalog answers a dataset create with its id only: the version is read after the step is recorded, off the chain.
              { actor: ACTOR, platformId: step.platformId, operationId: step.operationId, etag: step.kind === 'CREATE_DATASET' ? null : resource.etag },
              step.key,
            );
          }
          const { dataflows } = await stack.data(`query($c: ID!) { dataflows(filter: { connectionId: $c }) { totalCount edges { node { id state resource } } } }`, { c: onboarding.connection.id });
          assert.equal(dataflows.totalCount, resources.length);
          assert.deepEqual(dataflows.edges.map((e: any) => e.node.resource).sort(), [...resources].sort());
          assert.ok(dataflows.edges.every((e: any) => e.node.state === 'ENABLED'));
        });
      });
    }

    it('ingests Stripe records into every dataset once the emulator clock passes the start time, and flowRuns shows the runs', async () => {
      await stack.control('POST', '/clock', { advanceSeconds: 2 * 3600 + 600 });
      await stack.syncRuns();
      for (const { label } of cases) {
        const { onboarding } = finished.get(label)!;
        for (const dataflow of onboarding.dataflows) {
          const data = await stack.data(
            `query($id: ID!) {
              dataflow(id: $id) { resource targetConnection { dataset { platformId } } runs { totalCount } }
              flowRuns(dataflowId: $id, first: 50) { edges { node { recordsWritten } } }
            }`,
            { id: dataflow.id },
          );
          const flow = { ...data.dataflow, flowRuns: data.flowRuns.edges.map((e: any) => e.node) };
          const written = flow.flowRuns.reduce((n: number, r: any) => n + r.recordsWritten, 0);
          const records = await stack.control('GET', `/datasets/${flow.targetConnection.dataset.platformId}/records`);
          assert.ok(flow.runs.totalCount > 0, `${label}: ${flow.resource} has runs`);
          assert.ok(records.count > 0, `${label}: the ${flow.resource} dataset holds records`);
          assert.equal(records.count, written, `${label}: the ${flow.resource} runs account for every record in the dataset`);
        }
      }
    });
  });

  describe('planOnboarding', () => {
    const PLAN = `query($input: OnboardStripeInput!) { planOnboarding(input: $input) {
      totalCalls criticalPathCalls notes
      steps { key kind resource dependsOn resourceType name platformName calls { method path purpose } }
    } }`;

    it('answers the plan without a single Platform call and without writing a row anywhere', async () => {
      const rowsBefore = await tableCounts(stack);
      const mark = await requestLogMark(stack);
      const { planOnboarding } = await stack.data(PLAN, {
        input: { name: uniqueName('Planned'), accessToken: KEY, resources: ['CHARGES', 'REFUNDS'], schedule: HOURLY, idempotencyKey: 'plan-only-1' },
      });
      assert.deepEqual(planOnboarding.steps.map((s: any) => s.key).sort(), expectedStepKeys(['CHARGES', 'REFUNDS']));
      assert.ok(planOnboarding.totalCalls > planOnboarding.criticalPathCalls);
      assert.deepEqual(await tableCounts(stack), rowsBefore);
      const requests = await requestsSince(stack, mark);
      assert.deepEqual(
        requests.map((r) => `${r.method} ${r.path}`),
        [],
        'the emulator was called',
      );
      // The idempotency key was not taken either: onboardStripe may use it with another input.
      const { onboardings } = await stack.data(`{ onboardings(first: 100) { edges { node { name } } } }`);
      assert.ok(!onboardings.edges.some((e: any) => e.node.name.startsWith('Planned')));
    });

    it('lists exactly the steps, dependencies, resource types and names that onboardStripe then creates', async () => {
      await clockAtRealTime(stack);
      const input = { name: uniqueName('Planned'), accessToken: KEY, resources: ['CHARGES', 'CUSTOMERS'], schedule: HOURLY };
      const { planOnboarding: plan } = await stack.data(PLAN, { input });
      const mark = await requestLogMark(stack);
      const onboarding = await onboardAndWait(stack, input);
      assert.equal(onboarding.status, 'SUCCEEDED', JSON.stringify(onboarding.error));
      const made = await requestsSince(stack, mark);

      assert.deepEqual(plan.steps.map((s: any) => s.key).sort(), onboarding.steps.map((s: any) => s.key).sort());
      const inventory = await platformInventory(stack, input.name);
      const platformNames = new Map<string, string>([
        ...[...inventory.connections, ...inventory.sourceConnections, ...inventory.targetConnections, ...inventory.flows, ...inventory.datasets, ...inventory.mappingSets].map(
          (r) => [r.id, r.name] as [string, string],
        ),
        ...inventory.schemas.map((s) => [s.$id, s.title] as [string, string]),
      ]);
      for (const planned of plan.steps) {
        const step = stepOf(onboarding, planned.key);
        assert.deepEqual(
          { kind: planned.kind, resource: planned.resource, dependsOn: [...planned.dependsOn].sort(), resourceType: planned.resourceType },
          { kind: step.kind, resource: step.resource, dependsOn: [...step.dependsOn].sort(), resourceType: step.resourceType },
          planned.key,
        );
        if (!CREATED_BY[step.kind]) {
          assert.equal(planned.name, null, planned.key);
          continue;
        }
        const { resource } = await flowgateRecordOf(stack, step);
        assert.equal(planned.name, resource.name, `${planned.key}: Flowgate name`);
        assert.equal(planned.platformName.replace('RESOURCE-ID', step.resourceId), platformNames.get(step.platformId), `${planned.key}: Platform name`);
      }
      // Every write the onboarding made was planned, and every planned write was made.
      const writes = (calls: { method: string; path: string }[]) =>
        calls
          .filter((c) => c.method !== 'GET' && c.path !== '/ims/token/v3')
          .map((c) => `${c.method} ${c.path}`)
          .sort();
      assert.deepEqual(writes(made), writes(plan.steps.flatMap((s: any) => s.calls)));
    });

    it('counts the Platform calls the onboarding then makes: totalCalls in all, criticalPathCalls on the longest chain of steps waiting for each other', async () => {
      await clockAtRealTime(stack);
      const input = { name: uniqueName('Counted'), accessToken: KEY, resources: ['CHARGES', 'REFUNDS', 'CUSTOMERS'], schedule: HOURLY };
      const { planOnboarding: plan } = await stack.data(PLAN, { input });
      const mark = await requestLogMark(stack);
      const onboarding = await onboardAndWait(stack, input);
      assert.equal(onboarding.status, 'SUCCEEDED', JSON.stringify(onboarding.error));
      // The dataset versions are read after their steps were recorded: let the last of them land in the log.
      await new Promise((resolve) => setTimeout(resolve, 300));
      const { requests } = (await stack.control('GET', `/requests?since=${mark}`)) as { requests: { method: string; path: string; time: string; durationMs: number; requestId: string }[] };

      // Each call belongs to the step whose operation (or, for the saga's own steps, `<onboarding>:<step>`) sent its x-request-id.
      const stepOf = new Map<string, any>();
      for (const step of onboarding.steps) {
        if (step.operationId) stepOf.set(step.operationId, step);
        stepOf.set(`${onboarding.id}:${step.key}`, step);
      }
      const calls = requests.filter((r) => stepOf.has(r.requestId));
      assert.ok(plan.totalCalls <= 30, `a 3-resource onboarding plans at most 30 calls (${plan.totalCalls})`);
      assert.equal(calls.length, plan.totalCalls, `calls made: ${calls.map((c) => `${c.method} ${c.path}`).join(', ')}`);
      const unplanned = requests.filter((r) => !stepOf.has(r.requestId) && !r.path.startsWith('/__emulator'));
      // The IMS token and the registry's tenant id are looked up once per worker process (cached), not per onboarding.
      assert.deepEqual(
        unplanned.filter((r) => r.path !== '/ims/token/v3' && !r.path.endsWith('/schemaregistry/stats')).map((r) => `${r.method} ${r.path}`),
        [],
        'no call outside the steps',
      );

      // The chain: per step, the calls it waited for (made before it was recorded), along the longest path of dependencies.
      const waitedFor = (step: any) => calls.filter((c) => stepOf.get(c.requestId).key === step.key && Date.parse(c.time) + c.durationMs <= Date.parse(step.finishedAt) + 5).length;
      const memo = new Map<string, number>();
      const chain = (key: string): number => {
        if (memo.has(key)) return memo.get(key)!;
        const step = stepOf.get(`${onboarding.id}:${key}`);
        const value = waitedFor(step) + Math.max(0, ...step.dependsOn.map(chain));
        memo.set(key, value);
        return value;
      };
      const longest = Math.max(...onboarding.steps.map((s: any) => chain(s.key)));
      assert.equal(longest, plan.criticalPathCalls, 'the longest chain of calls waited for is the planned one');
      assert.equal(plan.criticalPathCalls, 7, 'connection, explore (beside the test), field group, schema, dataset, target connection, dataflow');
    });

    it('refuses input onboardStripe would refuse, with the same typed error', async () => {
      const result = await stack.gql(PLAN, { input: { name: 'x', accessToken: KEY, resources: ['CHARGES'], schedule: { frequency: 'MINUTE', interval: 5 } } });
      assert.equal(result.errors?.[0]?.extensions?.code, 'BAD_USER_INPUT');
      assert.equal(result.errors?.[0].extensions?.field, 'input.schedule.interval');
    });
  });

  describe('into an existing dataset (dataset.existingDatasetId)', () => {
    let upstream: Upstream;
    before(async () => {
      // Built the way a user builds them: createConnection, createSourceConnection, createXdmSchema, createDataset.
      upstream = await buildUpstream(stack, 'CHARGES');
    });

    it('plans no schema and no dataset', async () => {
      const { planOnboarding } = await stack.data(`query($input: OnboardStripeInput!) { planOnboarding(input: $input) { steps { key } notes } }`, {
        input: { name: 'Into existing', accessToken: KEY, resources: ['CHARGES'], schedule: HOURLY, dataset: { existingDatasetId: upstream.dataset.id } },
      });
      assert.deepEqual(planOnboarding.steps.map((s: any) => s.key).sort(), expectedStepKeys(['CHARGES'], false));
    });

    it('creates no schema and no dataset, and its dataflow writes Stripe records into the given dataset', async () => {
      await clockAtRealTime(stack);
      const name = uniqueName('Existing');
      const countsBefore = await emulatorCounts(stack);
      const onboarding = await onboardAndWait(stack, { name, accessToken: KEY, resources: ['CHARGES'], schedule: HOURLY, dataset: { existingDatasetId: upstream.dataset.id } });
      assert.equal(onboarding.status, 'SUCCEEDED', JSON.stringify({ error: onboarding.error, failed: onboarding.steps.filter((s: any) => s.error) }));
      assert.deepEqual(onboarding.steps.map((s: any) => s.key).sort(), expectedStepKeys(['CHARGES'], false));
      assert.deepEqual(countsGrowth(countsBefore, await emulatorCounts(stack)), expectedCounts(1, false));

      const inventory = await platformInventory(stack, name);
      assert.deepEqual(inventoryCounts(inventory), expectedCounts(1, false));
      const [target] = inventory.targetConnections;
      const [mappingSet] = inventory.mappingSets;
      const [flow] = inventory.flows;
      assert.equal(target.params.dataSetId, upstream.dataset.platformId);
      assert.equal(target.data.schema.id, upstream.schema.platformId);
      assert.equal(mappingSet.outputSchema.schemaRef.id, upstream.schema.platformId);
      assert.deepEqual(flow.targetConnectionIds, [target.id]);
      assert.equal(flow.transformations[0].params.mappingId, mappingSet.id);
      const { targetConnection } = await stack.data(`query($id: ID!) { targetConnection(id: $id) { dataset { id } } }`, { id: stepOf(onboarding, 'charges:target-connection').resourceId });
      assert.equal(targetConnection.dataset.id, upstream.dataset.id);

      await stack.control('POST', '/clock', { advanceSeconds: 3600 + 600 });
      await stack.syncRuns();
      const records = await stack.control('GET', `/datasets/${upstream.dataset.platformId}/records`);
      const { flowRuns } = await stack.data(`query($id: ID!) { flowRuns(dataflowId: $id) { edges { node { recordsWritten } } } }`, { id: onboarding.dataflows[0].id });
      assert.ok(records.count > 0, 'the existing dataset received records');
      assert.equal(
        records.count,
        flowRuns.edges.reduce((n: number, e: any) => n + e.node.recordsWritten, 0),
      );
    });

    for (const [label, resources, datasetId, code] of [
      ['a dataset whose schema has no fields for a requested resource', ['CUSTOMERS'], () => upstream.dataset.id, 'PRECONDITION_FAILED'],
      ['the id of a schema where a dataset id belongs', ['CHARGES'], () => upstream.schema.id, 'NOT_FOUND'],
    ] as const) {
      it(`refuses ${label} with ${code} naming input.dataset.existingDatasetId, writing nothing`, async () => {
        const rowsBefore = await tableCounts(stack);
        const mark = await requestLogMark(stack);
        const result = await onboardStripe(stack, { name: 'Refused', accessToken: KEY, resources, schedule: HOURLY, dataset: { existingDatasetId: datasetId() } });
        assert.equal(result.data, null);
        assert.equal(result.errors?.[0]?.extensions?.code, code);
        assert.equal(result.errors?.[0].extensions?.field, 'input.dataset.existingDatasetId');
        assert.deepEqual(await tableCounts(stack), rowsBefore);
        assert.deepEqual(await requestsSince(stack, mark), []);
      });
    }
  });

  describe('idempotencyKey', () => {
    const name = uniqueName('Idempotent');
    const key = `onboarding-${name.split(' ')[1]}`;
    const input = { name, accessToken: KEY, resources: ['REFUNDS'], schedule: HOURLY, idempotencyKey: key };
    let firstId: string;

    it('returns the same onboarding for the same key and input, and the Platform gets one set of resources', async () => {
      await clockAtRealTime(stack);
      const countsBefore = await emulatorCounts(stack);
      const first = await onboardStripe(stack, input);
      const second = await onboardStripe(stack, input);
      assert.equal(first.errors, undefined, JSON.stringify(first.errors));
      assert.equal(second.errors, undefined, JSON.stringify(second.errors));
      firstId = first.data.onboardStripe.id;
      assert.equal(second.data.onboardStripe.id, firstId);
      const done = await waitForOnboarding(stack, firstId);
      assert.equal(done.status, 'SUCCEEDED', JSON.stringify(done.error));
      const { count } = await stack.sqlRow<{ count: string }>('SELECT count(*) FROM onboardings WHERE idempotency_key = $1', [key]);
      assert.equal(Number(count), 1);
      assert.deepEqual(countsGrowth(countsBefore, await emulatorCounts(stack)), expectedCounts(1));
      assert.deepEqual(inventoryCounts(await platformInventory(stack, name)), expectedCounts(1));
    });

    it('after the onboarding finished, answers the same finished onboarding and writes nothing', async () => {
      const rowsBefore = await tableCounts(stack);
      const mark = await requestLogMark(stack);
      const again = await onboardStripe(stack, input);
      assert.equal(again.errors, undefined, JSON.stringify(again.errors));
      assert.equal(again.data.onboardStripe.id, firstId);
      assert.equal(again.data.onboardStripe.status, 'SUCCEEDED');
      // Let a worker act on anything the repeat might have set off.
      await new Promise((r) => setTimeout(r, 500));
      assert.deepEqual(await tableCounts(stack), rowsBefore);
      assert.deepEqual(await requestsSince(stack, mark), []);
    });

    for (const [label, change] of [
      ['another name', { name: `${name} (2)` }],
      ['other resources', { resources: ['REFUNDS', 'PRICES'] }],
      ['another access token', { accessToken: 'sk_test_51AnotherOnboardKey002' }],
      ['another schedule', { schedule: { frequency: 'DAY', interval: 1 } }],
    ] as const) {
      it(`refuses the same key with ${label}: IDEMPOTENCY_KEY_REUSED naming idempotencyKey, nothing written`, async () => {
        const rowsBefore = await tableCounts(stack);
        const mark = await requestLogMark(stack);
        const result = await onboardStripe(stack, { ...input, ...change });
        assert.equal(result.data, null);
        assert.equal(result.errors?.[0]?.extensions?.code, 'IDEMPOTENCY_KEY_REUSED');
        assert.equal(result.errors?.[0].extensions?.field, 'idempotencyKey');
        assert.deepEqual(await tableCounts(stack), rowsBefore);
        assert.deepEqual(await requestsSince(stack, mark), []);
      });
    }

    it('is per actor: another caller with the same key and input gets an onboarding of its own', async () => {
      const result = await onboardStripe(stack, input, stack.auth(await stack.createKey('someone-else', 'operator')));
      assert.equal(result.errors, undefined, JSON.stringify(result.errors));
      assert.notEqual(result.data.onboardStripe.id, firstId);
      // Finish it so that nothing of it runs into later tests.
      assert.equal((await waitForOnboarding(stack, result.data.onboardStripe.id)).status, 'SUCCEEDED');
    });
  });

  describe('input validation', () => {
    const valid = { name: 'Valid name', accessToken: KEY, resources: ['CHARGES'], schedule: HOURLY };
    const hourAgo = new Date(Date.now() - 3600_000).toISOString();
    const cases: [string, Record<string, unknown>, string, string][] = [
      ['no resources', { resources: [] }, 'BAD_USER_INPUT', 'input.resources'],
      ['a resource named twice', { resources: ['CHARGES', 'REFUNDS', 'CHARGES'] }, 'BAD_USER_INPUT', 'input.resources'],
      ['an empty access token', { accessToken: '' }, 'BAD_USER_INPUT', 'input.accessToken'],
      ['an access token with whitespace', { accessToken: 'sk_test 51Broken Key' }, 'BAD_USER_INPUT', 'input.accessToken'],
      ['an empty name', { name: '   ' }, 'BAD_USER_INPUT', 'input.name'],
      ['a name of 151 characters', { name: 'n'.repeat(151) }, 'BAD_USER_INPUT', 'input.name'],
      ['a name with control characters', { name: 'bad\u0007name' }, 'BAD_USER_INPUT', 'input.name'],
      ['a description of 1001 characters', { description: 'd'.repeat(1001) }, 'BAD_USER_INPUT', 'input.description'],
      ['a MINUTE schedule with interval 5', { schedule: { frequency: 'MINUTE', interval: 5 } }, 'BAD_USER_INPUT', 'input.schedule.interval'],
      ['an HOUR schedule without interval', { schedule: { frequency: 'HOUR' } }, 'BAD_USER_INPUT', 'input.schedule.interval'],
      ['a ONCE schedule with backfill', { schedule: { frequency: 'ONCE', backfill: true } }, 'BAD_USER_INPUT', 'input.schedule.backfill'],
      ['a start time an hour ago', { schedule: { frequency: 'HOUR', interval: 1, startTime: hourAgo } }, 'BAD_USER_INPUT', 'input.schedule.startTime'],
      ['a malformed idempotency key', { idempotencyKey: 'has spaces' }, 'BAD_USER_INPUT', 'input.idempotencyKey'],
      ['an unknown existingDatasetId', { dataset: { existingDatasetId: '00000000-0000-4000-8000-000000000000' } }, 'NOT_FOUND', 'input.dataset.existingDatasetId'],
      ['an existingDatasetId that is not an id', { dataset: { existingDatasetId: 'dataset-1' } }, 'BAD_USER_INPUT', 'input.dataset.existingDatasetId'],
    ];
    for (const [label, change, code, field] of cases) {
      it(`refuses ${label} with ${code} naming ${field}, writing nothing to Flowgate or the Platform`, async () => {
        const rowsBefore = await tableCounts(stack);
        const mark = await requestLogMark(stack);
        const result = await onboardStripe(stack, { ...valid, ...change });
        assert.equal(result.data, null);
        assert.equal(result.errors?.length, 1);
        assert.equal(result.errors?.[0]?.extensions?.code, code, result.errors?.[0]?.message);
        assert.equal(result.errors?.[0].extensions?.field, field);
        assert.deepEqual(await tableCounts(stack), rowsBefore);
        assert.deepEqual(await requestsSince(stack, mark), []);
      });
    }

    it('accepts the valid input every case above starts from, so each refusal is due to the field it names', async () => {
      const rowsBefore = await tableCounts(stack);
      const { planOnboarding } = await stack.data(`query($input: OnboardStripeInput!) { planOnboarding(input: $input) { steps { key } } }`, { input: valid });
      assert.ok(planOnboarding.steps.length > 0);
      assert.deepEqual(await tableCounts(stack), rowsBefore);
    });
  });
});
