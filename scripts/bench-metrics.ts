/**
 * `npm run bench:metrics`: what Prometheus metrics cost, target < 5 % of throughput and of CPU per
 * operation. The same deployment (the emulator, one gateway and one worker, each its own process)
 * is measured with metrics off (METRICS_PORT=0: nothing is counted) and on (METRICS_PORT=any,
 * both processes scraped every BENCH_SCRAPE_SECONDS: default 15, the `scrape_interval` of
 * deploy/prometheus/prometheus.yml and Prometheus's usual pace; `BENCH_SCRAPE_SECONDS=1` is the
 * stress case, where the scrapes themselves are most of the cost). Each round gets a fresh
 * database (a growing one would slow the later rounds) and fresh processes, warmed up with
 * BENCH_WARMUP operations and a second of reads before anything is measured. Rounds go in ABBA
 * order (off on, on off, off on …; BENCH_ROUNDS of each, default 6), so drift on a shared machine
 * falls on both sides, and each adjacent off/on pair is compared on its own as well:
 *
 * 1. operations completed per second end to end (createConnection → queue → worker → Platform);
 * 2. GraphQL reads per second (`connections(first: 20)`, autocannon, 20 connections);
 * 3. CPU time the gateway and worker processes spent per operation and per read, from their own
 *    counters (/proc/<pid>/stat, every thread): what metrics add to each operation, and far less
 *    sensitive than throughput to what else runs on the machine;
 * 4. CPU time the two spend per second while idle (IDLE_SECONDS after the warm-up): the fixed
 *    cost of metrics (process metrics' sampling, the scrapes) apart from the per-call one.
 *
 * The summary gives, per measure, the median of each side with its range, the cost between the
 * medians, and the median (and range) of the costs within the adjacent pairs. The verdict uses
 * the CPU per operation and per read (the throughput figures wander with the machine's load).
 *
 * The Platform call budget is lifted to the configuration's maximum (AEP_MAX_CALLS_PER_SECOND=100000,
 * far above what one machine reaches): at its default (100 calls/s per org, shared through Redis)
 * every round ran at the budget's pace, ≈ 80–90 operations/s with or without metrics, so
 * throughput measured the budget, not what metrics cost. The budget's own Redis round trips stay in.
 *
 * BENCH_CPU_PROF=<dir> writes V8 CPU profiles of the gateway and worker of every round there
 * (`<dir>/on`, `<dir>/off`): compare them in Chrome's DevTools or with `--cpu-prof` tooling.
 */
import 'reflect-metadata';
import autocannon from 'autocannon';
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import path from 'node:path';
import { Agent, request } from 'undici';
import { spawnFlowgate, type ChildFlowgate } from '../test/gateway/support/child-process.js';
import { TestStack } from '../test/gateway/support/stack.js';
import { spawnEmulator } from './bench/emulator-process.js';

const OPERATIONS = Number(process.env.BENCH_OPERATIONS ?? 3000);
const WARMUP = Number(process.env.BENCH_WARMUP ?? 100);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 6);
const CLIENTS = 50;
const READ_SECONDS = Number(process.env.BENCH_READ_SECONDS ?? 6);
const READ_QUERY = '{ connections(first: 20) { edges { node { id name state etag createdAt } } } }';
const CPU_PROF = process.env.BENCH_CPU_PROF;
const SCRAPE_SECONDS = Number(process.env.BENCH_SCRAPE_SECONDS ?? 15);
const IDLE_SECONDS = 5;

interface Round {
  metrics: boolean;
  operationsPerSecond: number;
  readsPerSecond: number;
  /** CPU milliseconds (gateway + worker) per operation, and per read. */
  cpuMsPerOperation: number;
  cpuMsPerRead: number;
  /** CPU milliseconds per second (gateway + worker) with nothing to do but be scraped. */
  idleCpuMsPerSecond: number;
  scrapes: number;
}

type Measure = 'operationsPerSecond' | 'readsPerSecond' | 'cpuMsPerOperation' | 'cpuMsPerRead' | 'idleCpuMsPerSecond';

const MEASURES = [
  ['operations/s end to end', 'operationsPerSecond', true, 0],
  ['connections(first: 20) reads/s', 'readsPerSecond', true, 0],
  ['CPU ms per operation', 'cpuMsPerOperation', false, 3],
  ['CPU ms per read', 'cpuMsPerRead', false, 3],
  ['CPU ms per second idle', 'idleCpuMsPerSecond', false, 1],
] as const;

/** off, on, on, off, off, on, on, off…: round i has metrics on when i % 4 is 1 or 2. */
const metricsOnInRound = (i: number): boolean => i % 4 === 1 || i % 4 === 2;

async function main(): Promise<void> {
  console.log(`${new Date().toISOString()}  ${ROUNDS} rounds each, ${OPERATIONS} operations and ${READ_SECONDS} s of reads per round, metrics scraped every ${SCRAPE_SECONDS} s; ${loadLine()}`);
  const emulator = await spawnEmulator();
  const rounds: Round[] = [];
  try {
    for (let i = 0; i < ROUNDS * 2; i++) {
      const stack = await TestStack.start({ roles: { gateway: false, worker: false }, sharedEmulator: emulator, env: { LOG_LEVEL: 'warn' } });
      try {
        rounds.push(await round(stack, metricsOnInRound(i)));
      } finally {
        await stack.stop();
      }
    }
  } finally {
    await emulator.stop();
  }
  console.log(`\nSummary: median [min–max] of ${ROUNDS} rounds each; cost between the medians; cost within the ${ROUNDS} adjacent off/on pairs, median [min–max]. ${loadLine()}`);
  for (const [label, key, higherIsBetter, digits] of MEASURES) {
    const s = summarize(rounds, key, higherIsBetter);
    const side = (v: { median: number; min: number; max: number }) => `${v.median.toFixed(digits)} [${v.min.toFixed(digits)}–${v.max.toFixed(digits)}]`;
    console.log(
      `  ${label.padEnd(31)} off ${side(s.off).padEnd(24)} on ${side(s.on).padEnd(24)} cost ${percent(s.cost).padStart(7)}   pairs ${percent(s.pairs.median)} [${percent(s.pairs.min)} – ${percent(s.pairs.max)}]`,
    );
  }
  const holds = (x: ReturnType<typeof summarize>) => x.cost < 0.05 && x.pairs.median < 0.05;
  const verdict = (label: string, key: Measure, higherIsBetter: boolean) => {
    const x = summarize(rounds, key, higherIsBetter);
    return `${label} ${holds(x) ? 'holds' : 'DOES NOT hold'} (${percent(x.cost)} between medians, ${percent(x.pairs.median)} in pairs)`;
  };
  // Throughput is the issue's measure; CPU per call is the steadier one on a shared machine.
  console.log(
    `\nVerdict (target < 5 %, scraped every ${SCRAPE_SECONDS} s): ${verdict('operations/s', 'operationsPerSecond', true)}; ${verdict('reads/s', 'readsPerSecond', true)}; ${verdict('CPU per operation', 'cpuMsPerOperation', false)}; ${verdict('CPU per read', 'cpuMsPerRead', false)}.`,
  );
}

/** Median and range of each side, the cost between the medians, and the costs within adjacent off/on pairs. */
function summarize(rounds: readonly Pick<Round, 'metrics' | Measure>[], key: Measure, higherIsBetter: boolean) {
  const costOf = (off: number, on: number) => (higherIsBetter ? (off - on) / off : (on - off) / off);
  const side = (metrics: boolean) => stats(rounds.filter((r) => r.metrics === metrics).map((r) => r[key]));
  const off = side(false);
  const on = side(true);
  const pairCosts: number[] = [];
  for (let i = 0; i + 1 < rounds.length; i += 2) {
    const a = rounds[i]!;
    const b = rounds[i + 1]!;
    if (a.metrics === b.metrics) continue;
    const [offRound, onRound] = a.metrics ? [b, a] : [a, b];
    pairCosts.push(costOf(offRound[key], onRound[key]));
  }
  return { off, on, cost: costOf(off.median, on.median), pairs: stats(pairCosts) };
}

function stats(values: number[]): { median: number; min: number; max: number } {
  const sorted = [...values].sort((a, b) => a - b);
  if (sorted.length === 0) return { median: NaN, min: NaN, max: NaN };
  const mid = sorted.length / 2;
  const median = sorted.length % 2 === 1 ? sorted[Math.floor(mid)]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
  return { median, min: sorted[0]!, max: sorted[sorted.length - 1]! };
}

const percent = (x: number) => `${(x * 100).toFixed(1)} %`;

function loadLine(): string {
  return `load average ${loadavg()
    .map((l) => l.toFixed(2))
    .join(' ')}`;
}

/** CPU milliseconds (user + system, every thread) a process has used so far. */
function cpuMs(p: ChildFlowgate): number {
  // Fields after the command name (which is in parentheses): utime and stime are the 12th and 13th.
  const fields = readFileSync(`/proc/${p.child.pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(fields[11]) + Number(fields[12])) * (1000 / CLOCK_TICKS);
}

/** USER_HZ, the unit of /proc/<pid>/stat's times (100 on every Linux we run on). */
const CLOCK_TICKS = (() => {
  try {
    return Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
  } catch {
    return 100;
  }
})();

async function round(stack: TestStack, metrics: boolean): Promise<Round> {
  const env: Record<string, string> = {
    NODE_ENV: 'production',
    DATABASE_POOL_SIZE: '30',
    RATE_LIMIT_MUTATIONS_PER_MINUTE: '100000000',
    RATE_LIMIT_EXPLORE_PER_MINUTE: '100000000',
    // See the header: at the default budget, throughput measures the budget.
    AEP_MAX_CALLS_PER_SECOND: '100000',
    METRICS_PORT: metrics ? 'any' : '0',
  };
  if (CPU_PROF) {
    env.CPU_PROF_DIR = path.resolve(CPU_PROF, metrics ? 'on' : 'off');
    mkdirSync(env.CPU_PROF_DIR, { recursive: true });
  }
  const gateway = await spawnFlowgate('gateway', stack, env);
  const worker = await spawnFlowgate('worker', stack, { ...env, WORKER_CONCURRENCY: '50' });
  const scraper = metrics ? scrapeEvery([gateway, worker], SCRAPE_SECONDS) : null;
  try {
    // Warm-up (JIT, pools, the IMS token), not measured.
    await operations(stack, gateway.url!, WARMUP, 'warm-up');
    await reads(stack, gateway.url!, 1);
    const idle0 = cpuMs(gateway) + cpuMs(worker);
    await new Promise((r) => setTimeout(r, IDLE_SECONDS * 1000));
    const [g0, w0] = [cpuMs(gateway), cpuMs(worker)];
    const idleCpuMsPerSecond = (g0 + w0 - idle0) / IDLE_SECONDS;
    const operationsPerSecond = await operations(stack, gateway.url!, OPERATIONS, 'bench');
    const [g1, w1] = [cpuMs(gateway), cpuMs(worker)];
    const { perSecond: readsPerSecond, total } = await reads(stack, gateway.url!, READ_SECONDS);
    const [g2, w2] = [cpuMs(gateway), cpuMs(worker)];
    const scrapes = (await scraper?.stop()) ?? 0;
    const result = { metrics, operationsPerSecond, readsPerSecond, cpuMsPerOperation: (g1 - g0 + w1 - w0) / OPERATIONS, cpuMsPerRead: (g2 - g1 + w2 - w1) / total, idleCpuMsPerSecond, scrapes };
    console.log(
      `metrics ${metrics ? 'on ' : 'off'}: ${operationsPerSecond.toFixed(0)} operations/s (${result.cpuMsPerOperation.toFixed(3)} CPU ms each: gateway ${((g1 - g0) / OPERATIONS).toFixed(3)}, worker ${((w1 - w0) / OPERATIONS).toFixed(3)}), ${readsPerSecond.toFixed(0)} reads/s (${result.cpuMsPerRead.toFixed(3)} CPU ms each), idle ${idleCpuMsPerSecond.toFixed(1)} CPU ms/s${metrics ? `, ${scrapes} scrapes` : ''}; ${loadLine()}`,
    );
    return result;
  } finally {
    await scraper?.stop();
    await gateway.stop();
    await worker.stop();
  }
}

/**
 * Scrapes each process's /metrics (found in its start-up log line) at once and then every
 * `seconds` until stopped, as Prometheus does. The wait wakes early when stopped.
 */
function scrapeEvery(processes: ChildFlowgate[], seconds: number): { stop(): Promise<number> } {
  const urls = processes.map((p) => {
    const line = p.output.find((l) => l.includes('Prometheus metrics on port'));
    if (!line) throw new Error('a process did not report its metrics port');
    return (JSON.parse(line) as { url: string }).url;
  });
  let scrapes = 0;
  let stopped = false;
  let wake = () => {};
  const loop = (async () => {
    while (!stopped) {
      await Promise.all(urls.map(async (url) => (await fetch(url)).text()));
      scrapes += urls.length;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, seconds * 1000);
        wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
    }
  })();
  return {
    stop: async () => {
      stopped = true;
      wake();
      await loop;
      return scrapes;
    },
  };
}

/** Sends `count` createConnection mutations from CLIENTS clients and waits until every operation finished; operations per second. */
async function operations(stack: TestStack, url: string, count: number, name: string): Promise<number> {
  const agent = new Agent({ connections: CLIENTS, keepAliveTimeout: 30_000 });
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: CLIENTS }, async () => {
      while (next < count) {
        const body = JSON.stringify({
          query: 'mutation($input: CreateConnectionInput!) { createConnection(input: $input) { id } }',
          variables: { input: { name: `${name} ${next++}`, accessToken: `sk_test_bench${randomBytes(8).toString('hex')}` } },
        });
        const response = await request(url, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${stack.adminKey}` }, body, dispatcher: agent });
        const json = (await response.body.json()) as { data?: unknown; errors?: unknown };
        if (!json.data) throw new Error(`mutation failed: ${JSON.stringify(json.errors)}`);
      }
    }),
  );
  for (;;) {
    const { open } = await stack.sqlRow<{ open: string }>("SELECT count(*) AS open FROM operations WHERE status NOT IN ('SUCCEEDED','FAILED')");
    if (Number(open) === 0) break;
    await new Promise((r) => setTimeout(r, 20));
  }
  const seconds = (performance.now() - started) / 1000;
  await agent.close();
  return count / seconds;
}

async function reads(stack: TestStack, url: string, seconds: number): Promise<{ perSecond: number; total: number }> {
  const result = await autocannon({
    url,
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${stack.adminKey}` },
    body: JSON.stringify({ query: READ_QUERY }),
    connections: 20,
    duration: seconds,
  });
  if (result.non2xx > 0 || result.errors > 0) throw new Error(`${result.non2xx} non-2xx and ${result.errors} errors`);
  return { perSecond: result.requests.average, total: result.requests.total };
}

void main().then(
  () => process.exit(0),
  (error) => {
    console.error(error);
    process.exit(1);
  },
);
