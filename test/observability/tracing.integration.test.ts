import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { spawnFlowgate, type ChildFlowgate } from '../gateway/support/child-process.js';
import { buildFlowChain, type FlowChain } from '../gateway/support/prerequisites.js';
import { OPERATION_FIELDS, TestStack } from '../gateway/support/stack.js';
import { OtlpReceiver, type ReceivedSpan } from './support/otlp-receiver.js';

const SERVER = 2;
const CLIENT = 3;
const CONSUMER = 5;

describe('OpenTelemetry traces across gateway → queue → worker → Platform', () => {
  let receiver: OtlpReceiver;
  let stack: TestStack;
  let worker: ChildFlowgate;
  let gateway: ChildFlowgate;
  let chain: FlowChain;
  let operationId: string;
  let graphqlSpan: ReceivedSpan;
  let trace: ReceivedSpan[];

  before(async () => {
    receiver = await OtlpReceiver.start();
    const otel = {
      OTEL_EXPORTER_OTLP_ENDPOINT: receiver.endpoint,
      OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
      OTEL_BSP_SCHEDULE_DELAY: '100',
    };
    // The gateway and the worker that carry the traced request are processes of their own
    // (tracing instruments pg and undici as they load); an untraced in-process gateway builds
    // what the dataflow stands on.
    stack = await TestStack.start({ roles: { gateway: true, worker: false } });
    worker = await spawnFlowgate('worker', stack, { ...otel, LOG_LEVEL: 'debug' });
    chain = await buildFlowChain(stack);
    gateway = await spawnFlowgate('gateway', stack, otel);

    // One Platform 503 on the create: the client's retry writes a log line inside the job.
    await stack.control('POST', '/faults', { method: 'POST', path: '/data/foundation/flowservice/flows', status: 503, count: 1 });
    const response = await fetch(gateway.url!, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${stack.adminKey}` },
      body: JSON.stringify({
        query: `mutation($input: CreateDataflowInput!) { createDataflow(input: $input) { ${OPERATION_FIELDS} } }`,
        variables: {
          input: { name: 'Traced charges', sourceConnectionId: chain.source.id, targetConnectionId: chain.target.id, mappingId: chain.mapping.id, schedule: { frequency: 'HOUR', interval: 1 } },
        },
      }),
    });
    const body = (await response.json()) as { data: { createDataflow: { id: string } } };
    operationId = body.data.createDataflow.id;
    const done = await stack.waitForOperation(operationId);
    assert.equal(done.status, 'SUCCEEDED', JSON.stringify(done.error));

    graphqlSpan = await receiver.waitFor((s) => s.service === 'flowgate-gateway' && s.name === 'graphql mutation createDataflow');
    await receiver.waitFor((s) => s.traceId === graphqlSpan.traceId && s.service === 'flowgate-worker' && s.name === 'operation CREATE_DATAFLOW');
    // The job span ends after its Platform calls: once it is here, they are too (same batch or earlier).
    await new Promise((r) => setTimeout(r, 500));
    trace = receiver.spans.filter((s) => s.traceId === graphqlSpan.traceId);
  });
  after(async () => {
    await gateway?.stop();
    await worker?.stop();
    await stack?.stop();
    await receiver?.stop();
  });

  it('starts with the GraphQL request, a SERVER span of the gateway named after the operation', () => {
    assert.equal(graphqlSpan.kind, SERVER);
    assert.equal(graphqlSpan.attributes['graphql.operation.type'], 'mutation');
    assert.equal(graphqlSpan.parentSpanId, '');
  });

  it('continues in the worker process: the job span is a CONSUMER child of the request', () => {
    const job = trace.find((s) => s.name === 'operation CREATE_DATAFLOW')!;
    assert.equal(job.service, 'flowgate-worker');
    assert.equal(job.kind, CONSUMER);
    assert.equal(job.parentSpanId, graphqlSpan.spanId);
    assert.equal(job.attributes['flowgate.operation.id'], operationId);
  });

  it('holds every Platform HTTP call the job made, the retried one included, under the job', () => {
    const job = trace.find((s) => s.name === 'operation CREATE_DATAFLOW')!;
    const calls = trace.filter((s) => s.service === 'flowgate-worker' && s.kind === CLIENT && String(s.attributes['url.full'] ?? '').includes('/data/foundation/flowservice/flows'));
    const statuses = calls.map((c) => c.attributes['http.response.status_code']);
    assert.ok(statuses.includes(503) && statuses.includes(201), `statuses ${JSON.stringify(statuses)}`);
    const ids = new Set(trace.map((s) => s.spanId));
    for (const call of calls) assert.ok(ids.has(call.parentSpanId), 'each call hangs off a span of this trace');
    assert.ok(calls.every((c) => descendsFrom(trace, c, job.spanId)));
  });

  it('holds the PostgreSQL statements of both processes', () => {
    const statements = trace.filter((s) => s.kind === CLIENT && (s.attributes['db.system.name'] ?? s.attributes['db.system']) === 'postgresql' && s.name.startsWith('pg.query'));
    assert.ok(
      statements.some((s) => s.service === 'flowgate-gateway' && s.name.startsWith('pg.query:fg_record')),
      'the gateway recorded the operation',
    );
    assert.ok(
      statements.some((s) => s.service === 'flowgate-worker' && s.name.startsWith('pg.query:fg_finish')),
      'the worker finished it',
    );
  });

  it('puts the trace id into the log lines written on its path', () => {
    const retried = worker.output.filter((line) => line.includes('Platform call failed; retrying'));
    assert.ok(retried.length > 0, 'the worker logged the retry');
    assert.ok(
      retried.some((line) => (JSON.parse(line) as { traceId?: string }).traceId === graphqlSpan.traceId),
      retried.join('\n'),
    );
  });
});

describe('OpenTelemetry traces of an onboarding', () => {
  let receiver: OtlpReceiver;
  let stack: TestStack;
  let worker: ChildFlowgate;
  let gateway: ChildFlowgate;

  before(async () => {
    receiver = await OtlpReceiver.start();
    const otel = { OTEL_EXPORTER_OTLP_ENDPOINT: receiver.endpoint, OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json', OTEL_BSP_SCHEDULE_DELAY: '100' };
    stack = await TestStack.start({ roles: { gateway: false, worker: false } });
    worker = await spawnFlowgate('worker', stack, otel);
    gateway = await spawnFlowgate('gateway', stack, otel);
  });
  after(async () => {
    await gateway?.stop();
    await worker?.stop();
    await stack?.stop();
    await receiver?.stop();
  });

  it('holds every step of the onboarding, as a child span of the onboarding, in the trace of the request', async () => {
    const response = await fetch(gateway.url!, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${stack.adminKey}` },
      body: JSON.stringify({
        query: `mutation($input: OnboardStripeInput!) { onboardStripe(input: $input) { id } }`,
        variables: { input: { name: 'Traced onboarding', accessToken: 'sk_test_51TracedOnboarding0001', resources: ['CHARGES'], schedule: { frequency: 'HOUR', interval: 1 } } },
      }),
    });
    const { data } = (await response.json()) as { data: { onboardStripe: { id: string } } };
    const request = await receiver.waitFor((s) => s.name === 'graphql mutation onboardStripe');
    const dataflow = await receiver.waitFor((s) => s.traceId === request.traceId && s.name === 'operation CREATE_DATAFLOW', 60_000);
    await new Promise((r) => setTimeout(r, 500));
    const trace = receiver.spans.filter((s) => s.traceId === request.traceId);
    const onboarding = trace.find((s) => s.name === 'onboarding' && s.attributes['flowgate.onboarding.id'] === data.onboardStripe.id);
    assert.ok(onboarding, trace.map((s) => s.name).join(', '));
    assert.equal(onboarding.parentSpanId, request.spanId);
    assert.equal(onboarding.service, 'flowgate-gateway');
    const steps = trace.filter((s) => s.kind === CONSUMER && s.name !== 'onboarding pass');
    for (const kind of ['operation CREATE_CONNECTION', 'onboarding step connection:test', 'operation CREATE_DATASET', 'operation CREATE_MAPPING']) {
      assert.ok(
        steps.some((s) => s.name.toLowerCase() === kind.toLowerCase()),
        `${kind} in ${steps.map((s) => s.name).join(', ')}`,
      );
    }
    for (const step of steps) assert.ok(descendsFrom(trace, step, onboarding.spanId), `${step.name} under the onboarding`);
    assert.ok(descendsFrom(trace, dataflow, onboarding.spanId));
    for (const step of steps) assert.equal(step.parentSpanId, onboarding.spanId, `${step.name} is a child of the onboarding`);
  });
});

/** Whether `span` is `ancestorId` or below it in the trace. */
function descendsFrom(trace: ReceivedSpan[], span: ReceivedSpan, ancestorId: string): boolean {
  const byId = new Map(trace.map((s) => [s.spanId, s]));
  for (let current: ReceivedSpan | undefined = span; current; current = byId.get(current.parentSpanId)) if (current.spanId === ancestorId) return true;
  return false;
}
