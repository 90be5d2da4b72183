/**
 * `npm run demo`: the README's "see it work". Starts Flowgate as `npm start` does (gateway,
 * worker, embedded AEP emulator) on a throwaway database and Redis prefix, then acts as a client
 * would — GraphQL over HTTP and WebSocket only — to onboard Stripe charges, refunds and customers
 * in one call, drawing each step's progress live; then moves the emulator's clock so the
 * dataflows run, shows the first runs and the records in each dataset, prints the audit trail,
 * and removes everything it made. Exits 0 on success, 1 with the reason on any failure.
 *
 * Environment: DATABASE_URL (the server to create the throwaway database on), REDIS_URL, and
 * DEMO_LATENCY_MS (delay the emulator adds to each Platform call, default 100, so the steps
 * can be watched; the real Platform answers in a few hundred milliseconds).
 */
import 'reflect-metadata';
import { randomBytes } from 'node:crypto';
import { startEmbeddedFlowgate, type EmbeddedFlowgate } from './demo/embedded-flowgate.js';
import { GraphQLClient } from './demo/graphql-client.js';
import { ProgressView, type OnboardingView } from './demo/progress-view.js';

const LATENCY_MS = Number(process.env.DEMO_LATENCY_MS ?? 100);
/** The whole demo must finish well within a minute. */
const DEADLINE_MS = 55_000;

const ONBOARDING_FIELDS = 'id status progress currentStep error { code message field platformCode } steps { key kind status attempts startedAt finishedAt platformId resource }';

interface Onboarding extends OnboardingView {
  error: { code: string; message: string; field: string | null; platformCode: string | null } | null;
  steps: (OnboardingView['steps'][number] & { platformId: string | null; resource: string | null })[];
}

interface FlowRun {
  status: string;
  startedAt: string | null;
  recordsRead: number;
  recordsWritten: number;
  recordsFailed: number;
  errors: { code: string; message: string; recordCount: number | null }[];
}

async function demo(flowgate: EmbeddedFlowgate, client: GraphQLClient, views: ProgressView[]): Promise<void> {
  const control = async <T>(method: string, path: string, body?: unknown): Promise<T> => {
    const response = await fetch(`${flowgate.emulatorUrl}/__emulator${path}`, {
      method,
      headers: body === undefined ? {} : { 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    if (!response.ok) throw new Error(`emulator control API ${method} ${path}: HTTP ${response.status} ${await response.text()}`);
    return (await response.json()) as T;
  };
  if (LATENCY_MS > 0) await control('POST', '/faults', { path: '/data/*', latencyMs: LATENCY_MS });
  console.log(`  GraphQL   ${client.url}  (subscriptions: ${client.url.replace(/^http/, 'ws')})`);
  console.log(`  emulator  ${flowgate.emulatorUrl}  (${LATENCY_MS} ms added to every Platform call)`);

  // ---- 1. one call onboards three Stripe resources --------------------------------------------
  section('1. onboardStripe: charges, refunds and customers in one call');
  const input = {
    name: 'Acme Stripe',
    description: 'npm run demo',
    accessToken: `sk_test_FlowgateDemo${randomBytes(6).toString('hex')}`,
    resources: ['CHARGES', 'REFUNDS', 'CUSTOMERS'],
    schedule: { frequency: 'HOUR', interval: 1, backfill: true },
    idempotencyKey: `demo-${randomBytes(4).toString('hex')}`,
  };
  const { planOnboarding: plan } = await client.request<{ planOnboarding: { totalCalls: number; criticalPathCalls: number; steps: { key: string; calls: unknown[] }[] } }>(
    `query($input: OnboardStripeInput!) { planOnboarding(input: $input) { totalCalls criticalPathCalls steps { key calls { method path } } } }`,
    { input },
  );
  console.log(`  plan (planOnboarding, nothing written): ${plan.steps.length} steps, ${plan.totalCalls} Platform calls, ${plan.criticalPathCalls} on the longest chain`);
  const callsOf = new Map(plan.steps.map((s) => [s.key, s.calls.length]));

  const started = performance.now();
  const { onboardStripe } = await client.request<{ onboardStripe: { id: string; status: string } }>(`mutation($input: OnboardStripeInput!) { onboardStripe(input: $input) { id status } }`, { input });
  console.log(`  onboarding ${onboardStripe.id} ${onboardStripe.status}; live progress (subscription onboardingProgress):\n`);
  const view = new ProgressView(process.stdout, (key) => (callsOf.get(key) ?? 1) * (LATENCY_MS + 5));
  views.push(view);
  const onboarding = await client
    .subscribeUntil<{ onboardingProgress: Onboarding }>(
      `subscription($id: ID!) { onboardingProgress(id: $id) { ${ONBOARDING_FIELDS} } }`,
      { id: onboardStripe.id },
      ({ onboardingProgress: o }) => {
        view.update(o);
        return ['SUCCEEDED', 'FAILED', 'ROLLED_BACK', 'CANCELLED'].includes(o.status);
      },
      30_000,
    )
    .then((m) => m.onboardingProgress);
  view.finish();
  if (onboarding.status !== 'SUCCEEDED') {
    const e = onboarding.error;
    throw new Error(`the onboarding ended ${onboarding.status}${e ? `: ${e.code}${e.platformCode ? ` (${e.platformCode})` : ''} ${e.message}` : ''}`);
  }
  console.log(`\n  SUCCEEDED in ${((performance.now() - started) / 1000).toFixed(2)} s (${onboarding.steps.length} steps)`);

  // ---- 2. the dataflows run -------------------------------------------------------------------
  section('2. Advancing the emulator clock until the first runs are done');
  const { onboarding: created } = await client.request<{ onboarding: { dataflows: { id: string; name: string; resource: string; platformId: string; schedule: { startTime: string } }[] } }>(
    `query($id: ID!) { onboarding(id: $id) { dataflows { id name resource platformId schedule { startTime } } } }`,
    { id: onboarding.id },
  );
  if (created.dataflows.length !== input.resources.length) throw new Error(`expected ${input.resources.length} dataflows, the onboarding lists ${created.dataflows.length}`);
  // Subscribed before the clock moves; the first message is the latest known run, so none is missed.
  const firstRuns = Promise.all(
    created.dataflows.map((dataflow) =>
      client
        .subscribeUntil<{ flowRunUpdated: FlowRun | null }>(
          `subscription($id: ID!) { flowRunUpdated(dataflowId: $id) { status startedAt recordsRead recordsWritten recordsFailed errors { code message recordCount } } }`,
          { id: dataflow.id },
          ({ flowRunUpdated: run }) => run !== null && run.status !== 'IN_PROGRESS',
          20_000,
        )
        .then((m) => ({ dataflow, run: m.flowRunUpdated! })),
    ),
  );
  const clock = await control<{ now: number }>('GET', '/clock');
  // The flows start 60 s after creation; a back-filling first run then takes 20 s plus 20 ms a record.
  const lastStart = Math.max(...created.dataflows.map((d) => Math.floor(Date.parse(d.schedule.startTime) / 1000)));
  const advanceSeconds = Math.max(0, lastStart - clock.now) + 120;
  const moved = await control<{ now: number; runsProduced: number }>('POST', '/clock', { advanceSeconds });
  console.log(`  POST /__emulator/clock {advanceSeconds: ${advanceSeconds}} → ${new Date(moved.now * 1000).toISOString()}, ${moved.runsProduced} runs produced`);
  console.log(`  waiting for the worker's run sync (flowRunUpdated subscriptions)…\n`);
  const runs = await firstRuns;
  const width = Math.max(...runs.map((r) => r.dataflow.name.length));
  console.log(`  ${'dataflow'.padEnd(width)}  status            read  written  failed`);
  for (const { dataflow, run } of runs) {
    console.log(
      `  ${dataflow.name.padEnd(width)}  ${run.status.padEnd(16)} ${String(run.recordsRead).padStart(5)}  ${String(run.recordsWritten).padStart(7)}  ${String(run.recordsFailed).padStart(6)}`,
    );
    for (const error of run.errors) console.log(`  ${''.padEnd(width)}    ${error.code}: ${error.message}${error.recordCount !== null ? ` (${error.recordCount} records)` : ''}`);
  }
  // Every Stripe record arrives: each run succeeds whole, writing every record it read.
  const incomplete = runs.filter((r) => r.run.status !== 'SUCCESS' || r.run.recordsRead !== r.run.recordsWritten);
  if (incomplete.length > 0) throw new Error(`${incomplete.length} first run(s) did not write every record: ${incomplete.map((r) => `${r.dataflow.name} ${r.run.status}`).join(', ')}`);
  const read = runs.reduce((sum, r) => sum + r.run.recordsRead, 0);
  const written = runs.reduce((sum, r) => sum + r.run.recordsWritten, 0);
  console.log(`\n  every run SUCCESS; records read = written (${read} = ${written})`);

  // ---- 3. what landed in AEP ------------------------------------------------------------------
  section('3. Records in each dataset (emulator control API)');
  for (const step of onboarding.steps.filter((s) => s.kind === 'CREATE_DATASET')) {
    const records = await control<{ count: number }>('GET', `/datasets/${step.platformId}/records`);
    const written = runs.find((r) => r.dataflow.resource === step.resource)?.run.recordsWritten;
    console.log(
      `  ${String(step.resource).padEnd(10)} dataset ${step.platformId}  ${String(records.count).padStart(5)} records${written === records.count ? '' : `  (the run reported ${written} written)`}`,
    );
  }

  // ---- 4. the audit trail ---------------------------------------------------------------------
  section('4. Audit trail (auditEvents, oldest first)');
  const { auditEvents } = await client.request<{
    auditEvents: { totalCount: number; edges: { node: { at: string; actor: string; action: string; resourceType: string; platformId: string | null; after: { name?: string } | null } }[] };
  }>(`{ auditEvents(first: 100) { totalCount edges { node { at actor action resourceType platformId after } } } }`);
  for (const { node } of [...auditEvents.edges].reverse()) {
    console.log(`  ${node.at.slice(11, 23)}  ${node.actor.padEnd(9)} ${node.action.padEnd(8)} ${node.resourceType.padEnd(18)} ${node.after?.name ?? ''}`);
  }
  console.log(`  (${auditEvents.totalCount} events)`);
}

/** ANSI styling on a terminal only; logs and CI get plain text. */
function style(code: number, text: string): string {
  return process.stdout.isTTY ? `\x1b[${code}m${text}\x1b[0m` : text;
}

function section(title: string): void {
  console.log(`\n${style(1, title)}`);
}

async function main(): Promise<number> {
  console.log(`${style(1, 'Flowgate demo')}: starting gateway, worker and the embedded AEP emulator on a throwaway database…`);
  const t0 = performance.now();
  let flowgate: EmbeddedFlowgate | null = null;
  let client: GraphQLClient | null = null;
  const views: ProgressView[] = [];
  let timer: NodeJS.Timeout | undefined;
  let code = 1;
  try {
    const run = async () => {
      flowgate = await startEmbeddedFlowgate({ runSyncIntervalSeconds: 1 });
      client = new GraphQLClient(flowgate.graphqlUrl, flowgate.adminKey);
      await demo(flowgate, client, views);
    };
    const deadline = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`the demo did not finish within ${DEADLINE_MS / 1000} s`)), DEADLINE_MS);
    });
    await Promise.race([run(), deadline]);
    console.log(`\n${style(32, 'Demo finished')} in ${((performance.now() - t0) / 1000).toFixed(1)} s; shutting down and removing the demo database.`);
    code = 0;
  } catch (error) {
    for (const view of views) view.finish();
    console.error(`\n${style(31, 'demo failed:')} ${(error as Error).message}`);
    const problems =
      (flowgate as EmbeddedFlowgate | null)
        ?.logTail(200)
        .filter((line) => /"level":(40|50|60)/.test(line))
        .slice(-10) ?? [];
    if (problems.length > 0) console.error(`last warnings and errors of the Flowgate process:\n${problems.join('\n')}`);
  } finally {
    clearTimeout(timer);
    await (client as GraphQLClient | null)?.close().catch(() => undefined);
    await (flowgate as EmbeddedFlowgate | null)?.stop().catch((error: Error) => {
      console.error(`demo failed: shutting down or removing the demo database failed: ${error.message}`);
      code = 1;
    });
  }
  return code;
}

void main().then(
  (code) => process.exit(code),
  (error) => {
    console.error('demo failed:', error);
    process.exit(1);
  },
);
