/**
 * `npm run bench:metrics`: what Prometheus metrics cost, target < 5 % of throughput. The same
 * deployment (the emulator, one gateway and one worker, each its own process) is measured with
 * metrics off (METRICS_PORT=0) and on (METRICS_PORT=any, both processes scraped every second,
 * 15× Prometheus's usual pace). Each round gets a fresh database (a growing one would slow the
 * later rounds), and rounds go in ABBA order (BENCH_ROUNDS of each, default 4) so drift on a
 * shared machine falls on both sides; medians are compared:
 *
 * 1. operations completed per second end to end (createConnection → queue → worker → Platform);
 * 2. GraphQL reads per second (`connections(first: 20)`, autocannon, 20 connections);
 * 3. CPU time the gateway and worker processes spent per operation and per read (from
 *    /proc/<pid>/stat): less sensitive than throughput to what else runs on the machine.
 */
import 'reflect-metadata';
import autocannon from 'autocannon';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { Agent, request } from 'undici';
import { spawnFlowgate, type ChildFlowgate } from '../test/gateway/support/child-process.js';
import { TestStack } from '../test/gateway/support/stack.js';
import { spawnEmulator } from './bench/emulator-process.js';

const OPERATIONS = Number(process.env.BENCH_OPERATIONS ?? 1000);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 4);
const CLIENTS = 50;
const READ_SECONDS = Number(process.env.BENCH_READ_SECONDS ?? 6);
const READ_QUERY = '{ connections(first: 20) { edges { node { id name state etag createdAt } } } }';

interface Round {
  metrics: boolean;
  operationsPerSecond: number;
  readsPerSecond: number;
  /** CPU milliseconds (gateway + worker) per operation, and per read. */
  cpuMsPerOperation: number;
  cpuMsPerRead: number;
  scrapes: number;
}

type Measure = 'operationsPerSecond' | 'readsPerSecond' | 'cpuMsPerOperation' | 'cpuMsPerRead';

async function main(): Promise<void> {
  const emulator = await spawnEmulator();
  const rounds: Round[] = [];
  try {
    // off, on, on, off, off, on, on, off…
    for (let i = 0; i < ROUNDS * 2; i++) {
      const stack = await TestStack.start({ roles: { gateway: false, worker: false }, sharedEmulator: emulator, env: { LOG_LEVEL: 'warn' } });
      try {
        rounds.push(await round(stack, i % 4 === 1 || i % 4 === 2));
      } finally {
        await stack.stop();
      }
    }
  } finally {
    await emulator.stop();
  }
  const median = (metrics: boolean, key: Measure) => {
    const values = rounds
      .filter((r) => r.metrics === metrics)
      .map((r) => r[key])
      .sort((a, b) => a - b);
    return values[Math.floor(values.length / 2)]!;
  };
  console.log(`\nSummary (medians of ${ROUNDS} rounds each)`);
  for (const [label, key, higherIsBetter, digits] of [
    ['operations/s end to end', 'operationsPerSecond', true, 0],
    ['connections(first: 20) reads/s', 'readsPerSecond', true, 0],
    ['CPU ms per operation', 'cpuMsPerOperation', false, 2],
    ['CPU ms per read', 'cpuMsPerRead', false, 3],
  ] as const) {
    const off = median(false, key);
    const on = median(true, key);
    const cost = higherIsBetter ? (off - on) / off : (on - off) / off;
    console.log(`  ${label.padEnd(30)} off ${off.toFixed(digits).padStart(7)}   on ${on.toFixed(digits).padStart(7)}   cost ${(cost * 100).toFixed(1)} %   (target < 5 %)`);
  }
}

/** CPU milliseconds (user + system) these processes have used so far. */
function cpuMs(processes: ChildFlowgate[]): number {
  let ticks = 0;
  for (const p of processes) {
    // Fields after the command name (which is in parentheses): utime and stime are the 12th and 13th.
    const fields = readFileSync(`/proc/${p.child.pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    ticks += Number(fields[11]) + Number(fields[12]);
  }
  return ticks * 10; // USER_HZ is 100 on Linux
}

async function round(stack: TestStack, metrics: boolean): Promise<Round> {
  const env = { NODE_ENV: 'production', DATABASE_POOL_SIZE: '30', RATE_LIMIT_MUTATIONS_PER_MINUTE: '100000000', RATE_LIMIT_EXPLORE_PER_MINUTE: '100000000', METRICS_PORT: metrics ? 'any' : '0' };
  const gateway = await spawnFlowgate('gateway', stack, env);
  const worker = await spawnFlowgate('worker', stack, { ...env, WORKER_CONCURRENCY: '50' });
  const scraper = metrics ? scrapeEverySecond([gateway, worker]) : null;
  try {
    const children = [gateway, worker];
    const cpu0 = cpuMs(children);
    const operationsPerSecond = await operations(stack, gateway.url!);
    const cpu1 = cpuMs(children);
    const { perSecond: readsPerSecond, total } = await reads(stack, gateway.url!);
    const cpu2 = cpuMs(children);
    const scrapes = (await scraper?.stop()) ?? 0;
    const result = { metrics, operationsPerSecond, readsPerSecond, cpuMsPerOperation: (cpu1 - cpu0) / OPERATIONS, cpuMsPerRead: (cpu2 - cpu1) / total, scrapes };
    console.log(
      `metrics ${metrics ? 'on ' : 'off'}: ${operationsPerSecond.toFixed(0)} operations/s (${result.cpuMsPerOperation.toFixed(2)} CPU ms each), ${readsPerSecond.toFixed(0)} reads/s (${result.cpuMsPerRead.toFixed(3)} CPU ms each)${metrics ? `, ${scrapes} scrapes` : ''}`,
    );
    return result;
  } finally {
    await scraper?.stop();
    await gateway.stop();
    await worker.stop();
  }
}

/** Scrapes each process's /metrics once a second (found in its start-up log line) until stopped. */
function scrapeEverySecond(processes: ChildFlowgate[]): { stop(): Promise<number> } {
  const urls = processes.map((p) => {
    const line = p.output.find((l) => l.includes('Prometheus metrics on port'));
    if (!line) throw new Error('a process did not report its metrics port');
    return (JSON.parse(line) as { url: string }).url;
  });
  let scrapes = 0;
  let stopped = false;
  const loop = (async () => {
    while (!stopped) {
      await Promise.all(urls.map(async (url) => (await fetch(url)).text()));
      scrapes += urls.length;
      await new Promise((r) => setTimeout(r, 1000));
    }
  })();
  return {
    stop: async () => {
      stopped = true;
      await loop;
      return scrapes;
    },
  };
}

async function operations(stack: TestStack, url: string): Promise<number> {
  const agent = new Agent({ connections: CLIENTS, keepAliveTimeout: 30_000 });
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: CLIENTS }, async () => {
      while (next < OPERATIONS) {
        const body = JSON.stringify({
          query: 'mutation($input: CreateConnectionInput!) { createConnection(input: $input) { id } }',
          variables: { input: { name: `bench ${next++}`, accessToken: `sk_test_bench${randomBytes(8).toString('hex')}` } },
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
  return OPERATIONS / seconds;
}

async function reads(stack: TestStack, url: string): Promise<{ perSecond: number; total: number }> {
  const result = await autocannon({
    url,
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${stack.adminKey}` },
    body: JSON.stringify({ query: READ_QUERY }),
    connections: 20,
    duration: READ_SECONDS,
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
