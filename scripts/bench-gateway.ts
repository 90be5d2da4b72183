/**
 * `npm run bench`: the gateway's speed targets, measured against the in-process emulator at
 * zero latency on real PostgreSQL and Redis. Not a test: numbers go into README.
 *
 * 1. Operations completed per second end to end (mutation → queue → worker → Platform → store),
 *    as a ratio to a bare BullMQ worker doing one HTTP call to the same Platform and one
 *    PostgreSQL INSERT per job (scripts/bench/bare-worker.ts, its own process), measured in the
 *    same run: target ≥ 0.5.
 * 2. Mutation acknowledgement latency at 50 concurrent clients, target p99 ≤ 50 ms — reported
 *    twice: in the saturating run above (50 clients sending back to back, so it includes queueing)
 *    and with the same 50 clients sending a combined BENCH_ACK_RATE mutations/s (default 150)
 *    while the worker processes them, which is the service time a UI sees under load.
 * 3. `dataflows(first: 50)` requests per second, as a ratio to a bare Apollo Server returning the
 *    same 50 objects from memory in the same run, with the same plugins, in a process of its own
 *    as Flowgate's gateway is (scripts/bench/bare-apollo.ts), target ≥ 0.6.
 *
 * Beside 1, the CPU each process used per operation (gateway, worker, their PostgreSQL backends,
 * the emulator; from /proc) and per bare job: less sensitive than throughput to what else runs on
 * the machine, and it says where the time goes.
 *
 * Both sides are measured warm, as a service that has been up a while is: before (1), Flowgate
 * runs BENCH_WARMUP operations (default 1000) and the bare worker as many jobs, neither timed nor
 * counted in CPU (the first thousand cost ≈ 1.4× the later ones: JIT, pools, prepared statements,
 * the first IMS token); before (3), each server answers BENCH_QUERY_WARMUP requests (default
 * 2000) first. BENCH_WARMUP=0 BENCH_QUERY_WARMUP=0 measures cold processes, as this bench did
 * before 2026-12-07.
 *
 * The gateway and worker run with AEP_MAX_CALLS_PER_SECOND=100000 (the configuration's maximum),
 * far above what this run can reach (see bench/call-budget.ts): the budget is a policy set to an
 * org's allowance, not Flowgate's speed, and the bare worker has none; its per-call cost stays in.
 */
import 'reflect-metadata';
import autocannon from 'autocannon';
import { randomBytes, randomUUID } from 'node:crypto';
import { spawn } from 'node:child_process';
import { loadavg } from 'node:os';
import path from 'node:path';
import { Agent, request } from 'undici';
import { spawnFlowgate } from '../test/gateway/support/child-process.js';
import { TestStack } from '../test/gateway/support/stack.js';
import { UNLIMITED_CALLS_PER_SECOND } from './bench/call-budget.js';
import { spawnEmulator } from './bench/emulator-process.js';
import { cpuSince, cpuSnapshot } from './bench/process-cpu.js';

const OPERATIONS = Number(process.env.BENCH_OPERATIONS ?? 3000);
const WARMUP = Number(process.env.BENCH_WARMUP ?? 1000);
const QUERY_WARMUP = Number(process.env.BENCH_QUERY_WARMUP ?? 2000);
const CLIENTS = Number(process.env.BENCH_CLIENTS ?? 50);
const QUERY_SECONDS = Number(process.env.BENCH_QUERY_SECONDS ?? 10);
const ACK_RATE = Number(process.env.BENCH_ACK_RATE ?? 150);
const ACK_SECONDS = Number(process.env.BENCH_ACK_SECONDS ?? 10);

const DATAFLOWS_QUERY = `{ dataflows(first: 50) { totalCount edges { cursor node { id platformId name description etag state sandbox createdAt updatedAt mappingVersion resource schedule { frequency interval startTime } } } } }`;

async function main(): Promise<void> {
  // The deployed shape: the emulator (standing for the Platform), one gateway and one worker,
  // each its own process, as `npm run emulator`, `start:gateway` and `start:worker` run them.
  // This process is only the benchmark client (and owns the database and Redis namespace).
  const emulator = await spawnEmulator();
  const stack = await TestStack.start({ roles: { gateway: false, worker: false }, sharedEmulator: emulator, env: { LOG_LEVEL: 'warn' } });
  // One caller sends thousands of mutations a minute here: the per-caller limit would measure itself.
  // The Platform call budget far above this run's reach (see the header).
  const childEnv: Record<string, string> = {
    NODE_ENV: process.env.NODE_ENV ?? 'production',
    DATABASE_POOL_SIZE: '30',
    RATE_LIMIT_MUTATIONS_PER_MINUTE: '100000000',
    AEP_MAX_CALLS_PER_SECOND: UNLIMITED_CALLS_PER_SECOND,
  };
  // BENCH_CPU_PROF=<dir>: gateway and worker write V8 CPU profiles there when they stop (open them in Chrome's DevTools).
  if (process.env.BENCH_CPU_PROF) childEnv.CPU_PROF_DIR = process.env.BENCH_CPU_PROF;
  const gateway = await spawnFlowgate('gateway', stack, childEnv);
  const worker = await spawnFlowgate('worker', stack, { ...childEnv, WORKER_CONCURRENCY: '50' });
  try {
    // BENCH_ONLY=list: only the list comparison (3), e.g. to profile the read path with BENCH_CPU_PROF.
    if (process.env.BENCH_ONLY === 'list') {
      console.log(`  dataflows(first: 50) ratio              ${(await listThroughput(stack, gateway.url!, gateway.child.pid!)).toFixed(2)}   (target ≥ 0.6)`);
      return;
    }
    console.log(`${new Date().toISOString()}  ${OPERATIONS} operations after ${WARMUP} warm-up ones on each side; ${loadLine()}`);
    const bare = await bareWorkerThroughput(stack, emulator);
    const ops = await operationsThroughput(stack, gateway.url!, { gateway: gateway.child.pid!, worker: worker.child.pid!, emulator: emulator.pid });
    // BENCH_ONLY=operations: (1) alone, e.g. to profile the mutation path with BENCH_CPU_PROF.
    if (process.env.BENCH_ONLY === 'operations') {
      console.log(`  ratio ${(ops.perSecond / bare.perSecond).toFixed(2)}   (target ≥ 0.5); ${loadLine()}`);
      return;
    }
    const paced = await pacedAcknowledgements(stack, gateway.url!);
    const ratio = await listThroughput(stack, gateway.url!, gateway.child.pid!);
    console.log('\nSummary');
    console.log(
      `  operations/s end to end                 ${ops.perSecond.toFixed(0)}; bare BullMQ + HTTP + PostgreSQL ${bare.perSecond.toFixed(0)} jobs/s; ratio ${(ops.perSecond / bare.perSecond).toFixed(2)}   (target ≥ 0.5)`,
    );
    console.log(`  CPU ms per operation                    ${cpuLine(ops.cpuPerOperation)}`);
    console.log(`  CPU ms per bare job                     ${cpuLine(bare.cpuPerJob)}`);
    console.log(`  mutation ack p50 / p99, saturated       ${ops.p50.toFixed(1)} ms / ${ops.p99.toFixed(1)} ms`);
    console.log(`  mutation ack p50 / p99, ${ACK_RATE}/s offered  ${paced.p50.toFixed(1)} ms / ${paced.p99.toFixed(1)} ms   (target p99 ≤ 50 ms)`);
    console.log(`  dataflows(first: 50) ratio              ${ratio.toFixed(2)}   (target ≥ 0.6)`);
    console.log(`  ${loadLine()}`);
  } finally {
    await gateway.stop();
    await worker.stop();
    await stack.stop();
    await emulator.stop();
  }
}

/** CPU milliseconds per operation (or job) by process; Redis is shared by every run on the machine and left out. */
type CpuPerOperation = Record<string, number>;

function cpuLine(cpu: CpuPerOperation): string {
  const total = Object.values(cpu).reduce((a, b) => a + b, 0);
  return `${Object.entries(cpu)
    .map(([name, ms]) => `${name} ${ms.toFixed(2)}`)
    .join(', ')}; total ${total.toFixed(2)} (Redis not counted)`;
}

/** The PostgreSQL backends of the stack's database (the connection asking is left out). */
async function backends(stack: TestStack): Promise<number[]> {
  return (await stack.sql<{ pid: number }>('SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()')).map((r) => r.pid);
}

/** The bare worker's jobs per second and CPU per job (see scripts/bench/bare-worker.ts), in a process of its own. */
async function bareWorkerThroughput(stack: TestStack, emulator: { url: string; pid: number }): Promise<{ perSecond: number; cpuPerJob: CpuPerOperation }> {
  const { platform } = stack.config;
  const child = spawn(
    process.execPath,
    [
      path.resolve(__dirname, 'bench/bare-worker.js'),
      stack.config.redisUrl,
      stack.config.databaseUrl,
      emulator.url,
      platform.clientId,
      platform.clientSecret,
      platform.orgId,
      String(OPERATIONS),
      String(WARMUP),
    ],
    {
      env: { PATH: process.env.PATH ?? '', NODE_ENV: 'production' },
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  // The bare worker says when its warm-up is over: the emulator's CPU is counted from there.
  let output = '';
  let emulator0 = cpuSnapshot([emulator.pid]);
  child.stdout.on('data', (chunk: Buffer) => {
    output += chunk.toString('utf8');
    if (output.startsWith('warm\n')) {
      emulator0 = cpuSnapshot([emulator.pid]);
      output = output.slice('warm\n'.length);
    }
  });
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  if (code !== 0) throw new Error(`the bare worker exited with ${code}`);
  const { jobs, ms, cpuMs } = JSON.parse(output.trim()) as { jobs: number; ms: number; cpuMs: { worker: number; postgres: number } };
  const perSecond = jobs / (ms / 1000);
  // Without a warm-up, the emulator's share includes the bare worker's start (a token request): a few ms.
  const cpuPerJob = { worker: cpuMs.worker / jobs, postgres: cpuMs.postgres / jobs, emulator: cpuSince(emulator0, [emulator.pid]) / jobs };
  console.log(`bare BullMQ worker (concurrency 50): ${jobs} jobs, each one Platform POST + one PostgreSQL INSERT, in ${ms.toFixed(0)} ms: ${perSecond.toFixed(0)} jobs/s`);
  console.log(`  CPU ms per job: ${cpuLine(cpuPerJob)}`);
  return { perSecond, cpuPerJob };
}

/**
 * `count` createConnection mutations from CLIENTS clients sending back to back; the acknowledgement
 * latency of each. Throws on a refused mutation.
 */
async function sendMutations(stack: TestStack, gatewayUrl: string, count: number, name: string): Promise<number[]> {
  const agent = new Agent({ connections: CLIENTS, keepAliveTimeout: 30_000 });
  const latencies: number[] = [];
  let next = 0;
  const body = (i: number) =>
    JSON.stringify({
      query: 'mutation($input: CreateConnectionInput!) { createConnection(input: $input) { id } }',
      variables: { input: { name: `${name} ${i}`, accessToken: `sk_test_bench${randomBytes(8).toString('hex')}` } },
    });
  await Promise.all(
    Array.from({ length: CLIENTS }, async () => {
      while (next < count) {
        const i = next++;
        const t0 = performance.now();
        const response = await request(gatewayUrl, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${stack.adminKey}` }, body: body(i), dispatcher: agent });
        const json = (await response.body.json()) as { data?: { createConnection: { id: string } }; errors?: unknown };
        latencies.push(performance.now() - t0);
        if (!json.data) throw new Error(`mutation failed: ${JSON.stringify(json.errors)}`);
      }
    }),
  );
  await agent.close();
  return latencies;
}

/** Waits until every operation finished, checking PostgreSQL (the source of truth). */
async function allOperationsFinished(stack: TestStack): Promise<void> {
  for (;;) {
    const { open } = await stack.sqlRow<{ open: string }>("SELECT count(*) AS open FROM operations WHERE status NOT IN ('SUCCEEDED','FAILED')");
    if (Number(open) === 0) return;
    await new Promise((r) => setTimeout(r, 20));
  }
}

async function operationsThroughput(stack: TestStack, gatewayUrl: string, pids: { gateway: number; worker: number; emulator: number }) {
  if (WARMUP > 0) {
    await sendMutations(stack, gatewayUrl, WARMUP, 'warm-up');
    await allOperationsFinished(stack);
  }
  const processes0 = cpuSnapshot(Object.values(pids));
  const postgres0 = cpuSnapshot(await backends(stack));
  const started = performance.now();
  const latencies = await sendMutations(stack, gatewayUrl, OPERATIONS, 'bench');
  const acknowledged = performance.now();
  await allOperationsFinished(stack);
  const finished = performance.now();
  // Backends that a pool closed during the run are not counted (an idle one after 10 s): none in a run this busy.
  const cpuPerOperation: CpuPerOperation = {
    gateway: cpuSince(processes0, [pids.gateway]) / OPERATIONS,
    worker: cpuSince(processes0, [pids.worker]) / OPERATIONS,
    postgres: cpuSince(postgres0, await backends(stack)) / OPERATIONS,
    emulator: cpuSince(processes0, [pids.emulator]) / OPERATIONS,
  };
  const { failed } = await stack.sqlRow<{ failed: string }>("SELECT count(*) AS failed FROM operations WHERE status = 'FAILED'");
  latencies.sort((a, b) => a - b);
  const pct = (p: number) => latencies[Math.min(latencies.length - 1, Math.floor((p / 100) * latencies.length))] ?? NaN;
  const perSecond = OPERATIONS / ((finished - started) / 1000);
  console.log(`createConnection × ${OPERATIONS} (after ${WARMUP} not measured), ${CLIENTS} concurrent clients`);
  console.log(`  acknowledged in ${(acknowledged - started).toFixed(0)} ms, all finished in ${(finished - started).toFixed(0)} ms, ${failed} failed`);
  console.log(`  ${perSecond.toFixed(0)} operations/s end to end; ack latency p50 ${pct(50).toFixed(1)} ms, p99 ${pct(99).toFixed(1)} ms`);
  console.log(`  CPU ms per operation: ${cpuLine(cpuPerOperation)}`);
  return { perSecond, p50: pct(50), p99: pct(99), cpuPerOperation };
}

/**
 * 50 clients sending a combined ACK_RATE mutations/s on a fixed schedule (open loop): the
 * latency of each is measured from its scheduled send time, so a slow gateway cannot hide
 * behind clients that wait before sending the next one.
 */
async function pacedAcknowledgements(stack: TestStack, gatewayUrl: string) {
  const agent = new Agent({ connections: CLIENTS, keepAliveTimeout: 30_000 });
  const total = ACK_RATE * ACK_SECONDS;
  const interval = 1000 / ACK_RATE;
  const latencies: number[] = [];
  const started = performance.now();
  const sends: Promise<void>[] = [];
  let inFlight = 0;
  for (let i = 0; i < total; i++) {
    const due = started + i * interval;
    const wait = due - performance.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    if (inFlight >= CLIENTS) {
      // All 50 clients busy: the request waits for one, and that wait counts in its latency.
      await Promise.race(sends);
    }
    inFlight++;
    const send = (async () => {
      const response = await request(gatewayUrl, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${stack.adminKey}` },
        body: JSON.stringify({
          query: 'mutation($input: CreateConnectionInput!) { createConnection(input: $input) { id } }',
          variables: { input: { name: `paced ${i}`, accessToken: `sk_test_paced${randomBytes(8).toString('hex')}` } },
        }),
        dispatcher: agent,
      });
      await response.body.json();
      latencies.push(performance.now() - due);
      inFlight--;
    })();
    sends.push(send);
  }
  await Promise.all(sends);
  await agent.close();
  await allOperationsFinished(stack);
  latencies.sort((a, b) => a - b);
  const pct = (p: number) => latencies[Math.min(latencies.length - 1, Math.floor((p / 100) * latencies.length))] ?? NaN;
  console.log(`createConnection at ${ACK_RATE}/s for ${ACK_SECONDS} s from ${CLIENTS} clients (worker running)`);
  console.log(`  ack latency p50 ${pct(50).toFixed(1)} ms, p99 ${pct(99).toFixed(1)} ms`);
  return { p50: pct(50), p99: pct(99) };
}

/**
 * (3) 50 dataflows in the database; the list query against Flowgate, then the same 50 objects
 * against the bare Apollo Server. Beside the rates, the CPU per request by process (gateway, its
 * PostgreSQL backends; the bare server): it compares versions on a machine too busy for the rates to.
 */
async function listThroughput(stack: TestStack, gatewayUrl: string, gatewayPid: number): Promise<number> {
  const now = new Date();
  const rows = Array.from({ length: 50 }, (_, i) => ({
    id: randomUUID(),
    name: `bench flow ${i}`,
    description: 'benchmark dataflow',
    platformId: randomUUID(),
    etag: `"${randomBytes(4).toString('hex')}-0000-0200-0000-${Math.floor(now.getTime() / 1000).toString(16)}0000"`,
    createdAt: new Date(now.getTime() - i * 1000),
  }));
  for (const row of rows) {
    await stack.sql(
      `INSERT INTO resources (id, type, sandbox, name, description, state, platform_id, etag, spec, stripe_resource, source_connection_id, target_connection_id, mapping_id, created_at, updated_at)
       VALUES ($1, 'DATAFLOW', 'prod', $2, $3, 'ENABLED', $4, $5, $6, 'charges', $7, $8, $9, $10, $10)`,
      [
        row.id,
        row.name,
        row.description,
        row.platformId,
        row.etag,
        JSON.stringify({ schedule: { frequency: 'hour', interval: 1, startTime: 1_900_000_000, backfill: true }, mappingVersion: 0 }),
        randomUUID(),
        randomUUID(),
        randomUUID(),
        row.createdAt,
      ],
    );
  }
  await warmUp(gatewayUrl, DATAFLOWS_QUERY, stack.adminKey);
  const gateway0 = cpuSnapshot([gatewayPid]);
  const postgres0 = cpuSnapshot(await backends(stack));
  const served = await hammerCounted(gatewayUrl, DATAFLOWS_QUERY, stack.adminKey);
  const cpuPerRequest = { gateway: cpuSince(gateway0, [gatewayPid]) / served.requests, postgres: cpuSince(postgres0, await backends(stack)) / served.requests };
  const flowgate = served.perSecond;

  const answer = (await (
    await fetch(gatewayUrl, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${stack.adminKey}` }, body: JSON.stringify({ query: DATAFLOWS_QUERY }) })
  ).json()) as { data: { dataflows: unknown } };
  // The same 50 objects from memory through a bare Apollo Server in a process of its own (see bench/bare-apollo.ts).
  const profile = process.env.BENCH_CPU_PROF ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_CPU_PROF}`] : [];
  const bareServer = spawn(process.execPath, [...profile, path.resolve(__dirname, 'bench/bare-apollo.js')], {
    env: { PATH: process.env.PATH ?? '', NODE_ENV: 'production' },
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  bareServer.stdin.end(JSON.stringify({ limits: stack.config.graphql, answer: answer.data.dataflows }));
  const bareUrl = await new Promise<string>((resolve, reject) => {
    let output = '';
    bareServer.stdout.on('data', (chunk: Buffer) => {
      output += chunk.toString('utf8');
      if (output.includes('\n')) resolve((JSON.parse(output.split('\n')[0]!) as { url: string }).url);
    });
    bareServer.once('exit', (code) => reject(new Error(`the bare Apollo server exited with ${code}`)));
  });
  let bare: number;
  let bareCpuPerRequest: number;
  try {
    await warmUp(bareUrl, DATAFLOWS_QUERY);
    const bare0 = cpuSnapshot([bareServer.pid!]);
    const bareServed = await hammerCounted(bareUrl, DATAFLOWS_QUERY);
    bare = bareServed.perSecond;
    bareCpuPerRequest = cpuSince(bare0, [bareServer.pid!]) / bareServed.requests;
  } finally {
    bareServer.kill();
  }

  const ratio = flowgate / bare;
  console.log(`dataflows(first: 50), ${QUERY_SECONDS} s each after ${QUERY_WARMUP} requests not measured, 20 connections`);
  console.log(`  Flowgate (PostgreSQL)   ${flowgate.toFixed(0)} req/s`);
  console.log(`  bare Apollo (memory)    ${bare.toFixed(0)} req/s`);
  console.log(`  ratio                   ${ratio.toFixed(2)}`);
  console.log(`  CPU ms per Flowgate request: ${cpuLine(cpuPerRequest)}; per bare request ${bareCpuPerRequest.toFixed(2)}`);
  return ratio;
}

/** QUERY_WARMUP requests, not measured: both servers are compared warm. */
async function warmUp(url: string, query: string, credential?: string): Promise<void> {
  if (QUERY_WARMUP > 0) await post(url, query, credential, { amount: QUERY_WARMUP });
}

function loadLine(): string {
  return `load average ${loadavg()
    .map((l) => l.toFixed(2))
    .join(' ')}`;
}

/** Requests per second and requests answered, 20 connections for QUERY_SECONDS. */
async function hammerCounted(url: string, query: string, credential?: string): Promise<{ perSecond: number; requests: number }> {
  const result = await post(url, query, credential, { duration: QUERY_SECONDS });
  return { perSecond: result.requests.average, requests: result.requests.total };
}

/** `query` POSTed from 20 connections, for a number of requests or of seconds; any error or non-2xx answer throws. */
async function post(url: string, query: string, credential: string | undefined, length: { amount: number } | { duration: number }) {
  // The bare server takes the same header (and ignores it), so both sides parse the same request.
  const result = await autocannon({
    url,
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${credential ?? 'none'}` },
    body: JSON.stringify({ query }),
    connections: 20,
    ...length,
  });
  if (result.non2xx > 0 || result.errors > 0) throw new Error(`${result.non2xx} non-2xx and ${result.errors} errors against ${url}`);
  return result;
}

void main().then(
  () => process.exit(0),
  (error) => {
    console.error(error);
    process.exit(1);
  },
);
