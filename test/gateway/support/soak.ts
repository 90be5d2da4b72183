import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createClient, type Client as WsClient } from 'graphql-ws';
import WebSocket from 'ws';
import type { RunningEmulator } from '../../../emulator/index.js';
import { spawnFlowgate, type ChildFlowgate } from './child-process.js';
import { emulatorCounts, type EmulatorCounts } from './platform-reads.js';
import { TestStack } from './stack.js';

/**
 * The soak: a deployment of separate processes (gateways and workers) against the emulator with
 * a share of the Platform's answers faulted, under HTTP clients mixing queries and mutations,
 * onboardings, and WebSocket subscribers watching them. `npm run soak` runs it at the issue's
 * size and prints the report; `test/gateway/soak.integration.test.ts` runs a short one and
 * asserts the pass criteria. Nothing here is timed against a target: latencies are reported.
 */
export interface SoakOptions {
  durationSeconds: number;
  gateways: number;
  workers: number;
  httpClients: number;
  onboardings: number;
  subscribers: number;
  /** Share of Platform answers faulted (5xx, 429 with Retry-After, connection resets, commit-then-drop in equal parts). */
  faultRate: number;
  /** Seconds after the start before RSS is taken as the baseline of its growth. */
  warmUpSeconds: number;
  /** How long the work may take to finish once the load stops. */
  drainSeconds: number;
  /** Resources each onboarding ingests. */
  resources: string[];
  /** An emulator already running (its own process); otherwise one in-process is started. */
  emulator?: RunningEmulator;
  log?: (line: string) => void;
}

export interface LatencySummary {
  count: number;
  p50: number;
  p99: number;
  max: number;
}

export interface SoakReport {
  options: Omit<SoakOptions, 'emulator' | 'log'>;
  queries: LatencySummary;
  mutations: LatencySummary;
  /** Answers that were neither data nor a retryable refusal (503 UNAVAILABLE, 429 RATE_LIMITED), with up to 5 samples. */
  unexpectedErrors: number;
  unexpectedSamples: unknown[];
  retryableRefusals: number;
  /** Platform answers the emulator faulted during the run. */
  faultsInjected: number;
  platformRequests: number;
  acknowledgedOperations: number;
  operationsByStatus: Record<string, number>;
  unfinishedOperations: number;
  onboardingsByStatus: Record<string, number>;
  unfinishedOnboardings: number;
  subscribers: number;
  subscriberMessages: number;
  /** Subscribers whose messages skipped a transition, went backwards, or did not end at the onboarding's final state; up to 5 samples. */
  subscribersWithGaps: number;
  subscriberSamples: string[];
  /** Per Platform kind: resources on the Platform minus the live ones Flowgate recorded (0 = no duplicate). */
  duplicatePlatformResources: Record<string, number>;
  auditChainOk: boolean;
  auditEventsChecked: number;
  /** RSS per process, MiB: after warm-up and at the end of the load. */
  rss: { process: string; afterWarmUpMiB: number; endMiB: number; growthMiB: number }[];
}

const TERMINAL_OPERATION = ['SUCCEEDED', 'FAILED', 'CANCELLED'];
const TERMINAL_ONBOARDING = ['SUCCEEDED', 'FAILED', 'ROLLED_BACK', 'CANCELLED'];
/** The step transitions a subscriber may see from one message to the next (repeats collapsed). */
const STEP_TRANSITIONS = new Set(['PENDING>RUNNING', 'PENDING>SKIPPED', 'PENDING>CANCELLED', 'RUNNING>SUCCEEDED', 'RUNNING>FAILED', 'RUNNING>CANCELLED']);
const PROGRESS = `subscription($id: ID!) { onboardingProgress(id: $id) { id status progress version steps { key status } } }`;
const QUERIES = [
  '{ connections(first: 10) { totalCount edges { node { id name state } } } }',
  '{ operations(first: 10) { edges { node { id status type progress } } pageInfo { hasNextPage endCursor } } }',
  '{ onboardings(first: 5) { edges { node { id status progress steps { key status } } } } }',
  '{ dataflows(first: 10) { edges { node { id name state } } } }',
  '{ whoami { id role } }',
];
const CREATE_CONNECTION = 'mutation($input: CreateConnectionInput!) { createConnection(input: $input) { id status } }';
const ONBOARD = 'mutation($input: OnboardStripeInput!) { onboardStripe(input: $input) { id status } }';

interface Answer {
  ms: number;
  status: number;
  body: { data?: any; errors?: { message: string; extensions?: Record<string, unknown> }[] } | null;
}

type Verdict = 'ok' | 'retryable' | 'unexpected';

function judge(answer: Answer): Verdict {
  const errors = answer.body?.errors ?? [];
  if (answer.status === 200 && errors.length === 0 && answer.body?.data) return 'ok';
  if ((answer.status === 503 || answer.status === 429) && errors.length > 0 && errors.every((e) => e.extensions?.retryable === true)) return 'retryable';
  return 'unexpected';
}

export async function runSoak(options: SoakOptions): Promise<SoakReport> {
  const log = options.log ?? (() => undefined);
  const stack = await TestStack.start({ roles: { gateway: false, worker: false }, ...(options.emulator ? { sharedEmulator: options.emulator } : {}), env: { LOG_LEVEL: 'warn' } });
  const processes: { name: string; process: ChildFlowgate }[] = [];
  const sockets: WsClient[] = [];
  try {
    // (Log level info: the test support waits for each process's "serving" line.)
    const env = { NODE_ENV: 'production', WORKER_CONCURRENCY: '20' };
    for (let i = 0; i < options.workers; i++) processes.push({ name: `worker ${i + 1}`, process: await spawnFlowgate('worker', stack, env) });
    for (let i = 0; i < options.gateways; i++) processes.push({ name: `gateway ${i + 1}`, process: await spawnFlowgate('gateway', stack, env) });
    const gatewayUrls = processes.filter((p) => p.process.url).map((p) => p.process.url!);
    log(`${options.gateways} gateways and ${options.workers} workers running (separate processes); emulator at ${stack.emulator.url}`);

    // Equal parts of the fault rate for each kind; each rule applies only when those before it did not fire.
    const modes = [{ status: 503 }, { status: 429, retryAfterSeconds: 1 }, { mode: 'reset' }, { mode: 'commit-then-drop' }];
    for (const [i, mode] of modes.entries())
      await stack.control('POST', '/faults', { path: '/data/*', rate: options.faultRate / modes.length / (1 - (i * options.faultRate) / modes.length), ...mode });
    const requestsBefore = await requestCount(stack);

    const post = async (url: string, query: string, variables: Record<string, unknown> = {}): Promise<Answer> => {
      const started = performance.now();
      try {
        const response = await fetch(url, {
          method: 'POST',
          headers: { 'content-type': 'application/json', authorization: `Bearer ${stack.adminKey}` },
          body: JSON.stringify({ query, variables }),
        });
        const text = await response.text();
        let body: Answer['body'] = null;
        try {
          body = JSON.parse(text);
        } catch {
          body = null;
        }
        return { ms: performance.now() - started, status: response.status, body };
      } catch (error) {
        return { ms: performance.now() - started, status: 0, body: { errors: [{ message: (error as Error).message }] } };
      }
    };

    const queryMs: number[] = [];
    const mutationMs: number[] = [];
    let unexpected = 0;
    let retryable = 0;
    const unexpectedSamples: unknown[] = [];
    const record = (answer: Answer, what: string, into: number[]): Verdict => {
      const verdict = judge(answer);
      into.push(answer.ms);
      if (verdict === 'retryable') retryable++;
      if (verdict === 'unexpected') {
        unexpected++;
        if (unexpectedSamples.length < 5) unexpectedSamples.push({ what, status: answer.status, body: answer.body });
      }
      return verdict;
    };
    /** A mutation as a careful client sends it: retried with the same idempotency key while the answer is retryable. */
    const mutate = async (url: string, query: string, input: Record<string, unknown>, what: string): Promise<string | null> => {
      for (let attempt = 0; attempt < 20; attempt++) {
        const answer = await post(url, query, { input });
        const verdict = record(answer, what, mutationMs);
        if (verdict === 'ok') return (Object.values(answer.body!.data)[0] as { id: string }).id;
        if (verdict === 'unexpected') return null;
        await new Promise((resolve) => setTimeout(resolve, 200 * (attempt + 1)));
      }
      return null;
    };

    const acknowledged: string[] = [];
    const onboardingIds: string[] = [];
    const watchers: { onboardingId: string; messages: any[]; done: Promise<void> }[] = [];
    const started = Date.now();
    const deadline = started + options.durationSeconds * 1000;
    let stop = false;

    // RSS of every process, sampled through the run.
    const rssSamples = new Map<string, { at: number; kib: number }[]>(processes.map((p) => [p.name, []]));
    const sampleRss = () => {
      for (const p of processes) {
        const kib = rssKib(p.process.child.pid!);
        if (kib !== null) rssSamples.get(p.name)!.push({ at: Date.now() - started, kib });
      }
    };
    const rssTimer = setInterval(sampleRss, 1000);

    const watch = (onboardingId: string, gatewayIndex: number) => {
      const socket = createClient({
        url: gatewayUrls[gatewayIndex % gatewayUrls.length]!.replace(/^http/, 'ws'),
        webSocketImpl: WebSocket,
        connectionParams: { authorization: `Bearer ${stack.adminKey}` },
        lazy: true,
        retryAttempts: 0,
      });
      sockets.push(socket);
      const watcher = { onboardingId, messages: [] as any[], done: Promise.resolve() };
      watcher.done = new Promise<void>((resolve) => {
        socket.subscribe(
          { query: PROGRESS, variables: { id: onboardingId } },
          {
            next: (value) => {
              watcher.messages.push(value.errors ? { errors: value.errors } : value.data);
              if (TERMINAL_ONBOARDING.includes((value.data as any)?.onboardingProgress?.status)) resolve();
            },
            error: (error) => {
              watcher.messages.push({ errors: [String((error as Error)?.message ?? JSON.stringify(error))] });
              resolve();
            },
            complete: () => resolve(),
          },
        );
      });
      watchers.push(watcher);
    };

    // Onboardings spread over the first half of the run, each watched by its share of the subscribers.
    const perOnboarding = Math.max(1, Math.round(options.subscribers / Math.max(1, options.onboardings)));
    // Each onboarding is sent at its time, whether or not the ones before were answered yet: a
    // slow answer under load must not thin out the load itself.
    const onboardOne = async (i: number) => {
      const url = gatewayUrls[i % gatewayUrls.length]!;
      const id = await mutate(
        url,
        ONBOARD,
        {
          name: `Soak ${i} ${randomUUID().slice(0, 8)}`,
          accessToken: `sk_test_Soak${randomUUID().replace(/-/g, '')}`,
          resources: options.resources,
          schedule: { frequency: 'HOUR', interval: 1 },
          idempotencyKey: randomUUID(),
        },
        'onboardStripe',
      );
      if (id) {
        onboardingIds.push(id);
        for (let s = 0; s < perOnboarding && watchers.length < options.subscribers; s++) watch(id, i + s);
      }
    };
    const onboarder = (async () => {
      const spacing = (options.durationSeconds * 500) / Math.max(1, options.onboardings);
      const sent: Promise<void>[] = [];
      for (let i = 0; i < options.onboardings && !stop; i++) {
        sent.push(onboardOne(i));
        await new Promise((resolve) => setTimeout(resolve, spacing));
      }
      await Promise.all(sent);
    })();

    // HTTP clients: four queries to one mutation, each client on one gateway (as a load balancer spreads them).
    const client = async (n: number) => {
      const url = gatewayUrls[n % gatewayUrls.length]!;
      for (let i = n; Date.now() < deadline; i++) {
        if (i % 5 === 4) {
          const id = await mutate(
            url,
            CREATE_CONNECTION,
            { name: `soak connection ${n}-${i}`, accessToken: `sk_test_SoakConn${randomUUID().replace(/-/g, '')}`, idempotencyKey: randomUUID() },
            'createConnection',
          );
          if (id) acknowledged.push(id);
        } else {
          record(await post(url, QUERIES[i % QUERIES.length]!), 'query', queryMs);
        }
      }
    };
    await Promise.all(Array.from({ length: options.httpClients }, (_, n) => client(n)));
    stop = true;
    await onboarder;
    sampleRss();
    clearInterval(rssTimer);
    log(`load done after ${Math.round((Date.now() - started) / 1000)} s: ${queryMs.length} queries, ${mutationMs.length} mutation requests; draining`);

    // Every acknowledged operation and onboarding must finish (the faults stay on: retries carry them).
    const drainUntil = Date.now() + options.drainSeconds * 1000;
    let unfinished = { operations: 0, onboardings: 0 };
    for (;;) {
      unfinished = await stack.sqlRow<{ operations: number; onboardings: number }>(
        `SELECT (SELECT count(*) FROM operations WHERE status::text <> ALL($1::text[]))::int AS operations, (SELECT count(*) FROM onboardings WHERE status::text <> ALL($2::text[]))::int AS onboardings`,
        [TERMINAL_OPERATION, TERMINAL_ONBOARDING],
      );
      if ((unfinished.operations === 0 && unfinished.onboardings === 0) || Date.now() > drainUntil) break;
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
    await Promise.race([Promise.all(watchers.map((w) => w.done)), new Promise((resolve) => setTimeout(resolve, 10_000))]);
    const { faults: rules } = (await stack.control('GET', '/faults')) as { faults: { hits: number }[] };
    const platformRequests = (await requestCount(stack, requestsBefore)) - requestsBefore;
    await stack.control('DELETE', '/faults');

    // Subscribers: every message in order, no transition skipped, ending where the onboarding ended.
    const finals = new Map((await stack.sql<{ id: string; status: string }>('SELECT id, status FROM onboardings')).map((r) => [r.id, r.status]));
    const subscriberSamples: string[] = [];
    let withGaps = 0;
    for (const w of watchers) {
      const problem = subscriberProblem(w.messages, finals.get(w.onboardingId));
      if (problem) {
        withGaps++;
        if (subscriberSamples.length < 5) subscriberSamples.push(`${w.onboardingId}: ${problem}`);
      }
    }

    const operationsByStatus = countBy(await stack.sql<{ status: string }>('SELECT status FROM operations'), (r) => r.status);
    const onboardingsByStatus = countBy(await stack.sql<{ status: string }>('SELECT status FROM onboardings'), (r) => r.status);
    const duplicatePlatformResources = await duplicatesOnPlatform(stack);
    const verified = await post(gatewayUrls[0]!, '{ verifyAuditChain { ok checkedEvents } }');
    const chain = (verified.body?.data?.verifyAuditChain as { ok: boolean; checkedEvents: number } | undefined) ?? { ok: false, checkedEvents: 0 };
    const warmUpMs = options.warmUpSeconds * 1000;
    const rss = [...rssSamples.entries()].map(([name, samples]) => {
      const afterWarmUp = samples.find((s) => s.at >= warmUpMs) ?? samples[0] ?? { kib: 0 };
      const end = samples[samples.length - 1] ?? { kib: 0 };
      return { process: name, afterWarmUpMiB: round(afterWarmUp.kib / 1024), endMiB: round(end.kib / 1024), growthMiB: round((end.kib - afterWarmUp.kib) / 1024) };
    });
    const { emulator: _emulator, log: _log, ...shown } = options;
    return {
      options: shown,
      queries: summarize(queryMs),
      mutations: summarize(mutationMs),
      unexpectedErrors: unexpected,
      unexpectedSamples,
      retryableRefusals: retryable,
      faultsInjected: rules.reduce((sum, r) => sum + r.hits, 0),
      platformRequests,
      acknowledgedOperations: acknowledged.length + onboardingIds.length,
      operationsByStatus,
      unfinishedOperations: unfinished.operations,
      onboardingsByStatus,
      unfinishedOnboardings: unfinished.onboardings,
      subscribers: watchers.length,
      subscriberMessages: watchers.reduce((sum, w) => sum + w.messages.length, 0),
      subscribersWithGaps: withGaps,
      subscriberSamples,
      duplicatePlatformResources,
      auditChainOk: chain.ok,
      auditEventsChecked: chain.checkedEvents,
      rss,
    };
  } finally {
    for (const socket of sockets) void socket.dispose();
    for (const p of processes.reverse()) await p.process.stop();
    await stack.stop();
  }
}

/** The pass criteria, as the issue states them. */
export function failuresOf(report: SoakReport): string[] {
  const failures: string[] = [];
  if (report.unexpectedErrors > 0) failures.push(`${report.unexpectedErrors} unexpected errors`);
  const duplicates = Object.entries(report.duplicatePlatformResources).filter(([, n]) => n !== 0);
  if (duplicates.length > 0) failures.push(`Platform resources not matching Flowgate's: ${JSON.stringify(Object.fromEntries(duplicates))}`);
  if (report.subscribersWithGaps > 0) failures.push(`${report.subscribersWithGaps} subscribers missed or misordered a transition`);
  if (report.unfinishedOperations > 0 || report.unfinishedOnboardings > 0) failures.push(`${report.unfinishedOperations} operations and ${report.unfinishedOnboardings} onboardings unfinished`);
  if (!report.auditChainOk) failures.push('the audit chain does not verify');
  return failures;
}

/** What is wrong with one subscriber's messages, or null. */
function subscriberProblem(messages: any[], finalStatus: string | undefined): string | null {
  const errors = messages.find((m) => m.errors);
  if (errors) return `error ${JSON.stringify(errors.errors).slice(0, 200)}`;
  const states = messages.map((m) => m.onboardingProgress);
  if (states.length === 0) return 'no message';
  for (let i = 1; i < states.length; i++) {
    if (states[i].progress < states[i - 1].progress) return `progress went back at message ${i}`;
    if (states[i].version < states[i - 1].version) return `message ${i} (version ${states[i].version}) is older than the one before (${states[i - 1].version})`;
    for (const step of states[i].steps) {
      const before = states[i - 1].steps.find((s: any) => s.key === step.key)?.status;
      if (before && before !== step.status && !STEP_TRANSITIONS.has(`${before}>${step.status}`))
        return `${step.key} went ${before} → ${step.status} between messages ${i - 1} and ${i} (versions ${states[i - 1].version} → ${states[i].version})`;
    }
  }
  const last = states[states.length - 1];
  if (last.status !== finalStatus) return `last message says ${last.status}, the onboarding ended ${finalStatus}`;
  return null;
}

/** Per Platform kind, what the emulator holds beyond the live resources Flowgate recorded. */
async function duplicatesOnPlatform(stack: TestStack): Promise<Record<string, number>> {
  const onPlatform = await emulatorCounts(stack);
  const recorded = new Map(
    (await stack.sql<{ type: string; n: number }>(`SELECT type, count(*)::int AS n FROM resources WHERE platform_id IS NOT NULL AND state <> 'DELETED' GROUP BY type`)).map((r) => [r.type, r.n]),
  );
  const kinds: [keyof EmulatorCounts, string][] = [
    ['connections', 'CONNECTION'],
    ['sourceConnections', 'SOURCE_CONNECTION'],
    ['targetConnections', 'TARGET_CONNECTION'],
    ['flows', 'DATAFLOW'],
    ['mappingSets', 'MAPPING'],
    ['datasets', 'DATASET'],
    ['schemas', 'XDM_SCHEMA'],
  ];
  return Object.fromEntries(kinds.map(([kind, type]) => [kind, onPlatform[kind] - (recorded.get(type) ?? 0)]));
}

/** The sequence number of the emulator's latest logged request (its request log numbers every call). */
async function requestCount(stack: TestStack, since?: number): Promise<number> {
  const { requests } = (await stack.control('GET', since === undefined ? '/requests' : `/requests?since=${since}`)) as { requests: { seq: number }[] };
  return requests[requests.length - 1]?.seq ?? since ?? 0;
}

function rssKib(pid: number): number | null {
  try {
    const match = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match ? Number(match[1]) : null;
  } catch {
    return null;
  }
}

function summarize(values: number[]): LatencySummary {
  const sorted = [...values].sort((a, b) => a - b);
  const at = (q: number) => round(sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? 0);
  return { count: sorted.length, p50: at(0.5), p99: at(0.99), max: round(sorted[sorted.length - 1] ?? 0) };
}

function countBy<T>(rows: T[], key: (row: T) => string): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const row of rows) counts[key(row)] = (counts[key(row)] ?? 0) + 1;
  return counts;
}

function round(n: number): number {
  return Math.round(n * 10) / 10;
}
