import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import type { TestStack } from './stack.js';

export interface ChildFlowgate {
  child: ChildProcess;
  output: string[];
  /** The GraphQL URL (gateways only). */
  url: string | null;
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

/**
 * Runs `dist/src/gateway/main.js` or `dist/src/worker/main.js` as a real process sharing a
 * stack's database, Redis namespace, emulator and secret key — a second instance of the same
 * deployment. Resolves once it logs that it serves.
 */
export async function spawnFlowgate(
  role: 'gateway' | 'worker',
  stack: TestStack,
  env: Record<string, string> = {},
  /** Called as soon as the process exists — before it is ready, it may already be taking jobs. */
  onSpawn?: (child: ChildProcess) => void,
): Promise<ChildFlowgate> {
  const started = launchFlowgate(role, stack, env, onSpawn);
  await started.ready;
  return started;
}

/** A launched process, not yet (or never) ready: `ready` resolves once it serves; `waitForLine` watches its log. */
export interface LaunchedFlowgate extends ChildFlowgate {
  ready: Promise<void>;
  /** Resolves with the first log line (already printed or to come) that matches. */
  waitForLine(pattern: RegExp, timeoutMs?: number): Promise<string>;
}

/** Like `spawnFlowgate`, without waiting for the process to serve (it may be waiting for its dependencies). */
export function launchFlowgate(role: 'gateway' | 'worker', stack: TestStack, env: Record<string, string> = {}, onSpawn?: (child: ChildProcess) => void): LaunchedFlowgate {
  // This file runs from dist/test/gateway/support; the entry points are in dist/src.
  const entry = path.resolve(__dirname, '../../../src', role === 'gateway' ? 'gateway/main.js' : 'worker/main.js');
  const c = stack.config;
  // A benchmark may ask for V8 CPU profiles (Node refuses --cpu-prof in NODE_OPTIONS).
  const profile = env.CPU_PROF_DIR ? ['--cpu-prof', `--cpu-prof-dir=${env.CPU_PROF_DIR}`] : [];
  const child = spawn(process.execPath, [...profile, entry], {
    env: {
      PATH: process.env.PATH ?? '',
      DATABASE_URL: c.databaseUrl,
      REDIS_URL: c.redisUrl,
      ...(c.redisClusterNodes ? { REDIS_CLUSTER_NODES: c.redisClusterNodes.map((n) => `${n.host}:${n.port}`).join(',') } : {}),
      PORT: '0',
      QUEUE_PREFIX: c.queuePrefix.replace(/[{}]/g, ''),
      LOG_LEVEL: 'info',
      AEP_PLATFORM_URL: c.platform.platformUrl,
      AEP_IMS_URL: c.platform.imsUrl,
      AEP_CLIENT_ID: c.platform.clientId,
      AEP_CLIENT_SECRET: c.platform.clientSecret,
      AEP_ORG_ID: c.platform.orgId,
      AEP_SANDBOX: c.platform.sandbox,
      AEP_TENANT: c.platform.tenant ?? '',
      FLOWGATE_SECRET_KEY: c.secretKey!.key.toString('hex'),
      RUN_SYNC_INTERVAL_SECONDS: '3600',
      // As in TestStack: tests that exercise rate limits set their own low values.
      RATE_LIMIT_MUTATIONS_PER_MINUTE: '1000000',
      RATE_LIMIT_EXPLORE_PER_MINUTE: '1000000',
      // As in TestStack: metrics only where a test asks for them (METRICS_PORT=any).
      METRICS_PORT: '0',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  onSpawn?.(child);
  const output: string[] = [];
  let url: string | null = null;
  const ready = new Promise<void>((resolve, reject) => {
    const onLine = (chunk: Buffer) => {
      for (const line of chunk.toString('utf8').split('\n').filter(Boolean)) {
        output.push(line);
        if (role === 'gateway' && line.includes('GraphQL API on')) {
          url = /"url":"([^"]+)"/.exec(line)?.[1] ?? null;
          resolve();
        }
        if (role === 'worker' && line.includes('worker processing operations')) resolve();
      }
    };
    child.stdout.on('data', onLine);
    child.stderr.on('data', onLine);
    child.once('exit', (code) => reject(new Error(`${role} exited with ${code} before it was ready:\n${output.join('\n')}`)));
  });
  ready.catch(() => undefined); // observed by whoever awaits it
  const waitForLine = async (pattern: RegExp, timeoutMs = 30_000): Promise<string> => {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const line = output.find((l) => pattern.test(l));
      if (line) return line;
      if (child.exitCode !== null) throw new Error(`${role} exited with ${child.exitCode} before logging ${String(pattern)}:\n${output.join('\n')}`);
      if (Date.now() > deadline) throw new Error(`${role} did not log ${String(pattern)} within ${timeoutMs} ms:\n${output.join('\n')}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  };
  return {
    child,
    output,
    ready,
    waitForLine,
    get url() {
      return url;
    },
    stop: (signal: NodeJS.Signals = 'SIGTERM') =>
      new Promise((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null) return resolve(child.exitCode);
        child.once('exit', (code) => resolve(code));
        child.kill(signal);
      }),
  };
}

/**
 * Runs `dist/src/main.js` (what `npm start` runs: gateway, worker and, without AEP credentials,
 * the embedded emulator) as a real process with `env` only (plus PATH). Resolves once both the
 * gateway serves and the worker takes jobs.
 */
export async function spawnEmbeddedFlowgate(env: Record<string, string>): Promise<ChildFlowgate> {
  const entry = path.resolve(__dirname, '../../../src/main.js');
  const child = spawn(process.execPath, [entry], { env: { PATH: process.env.PATH ?? '', METRICS_PORT: '0', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  const output: string[] = [];
  let url: string | null = null;
  let serving = false;
  let working = false;
  const ready = new Promise<void>((resolve, reject) => {
    const onLine = (chunk: Buffer) => {
      for (const line of chunk.toString('utf8').split('\n').filter(Boolean)) {
        output.push(line);
        if (line.includes('GraphQL API on')) {
          url = /"url":"([^"]+)"/.exec(line)?.[1] ?? null;
          serving = true;
        }
        if (line.includes('worker processing operations')) working = true;
        if (serving && working) resolve();
      }
    };
    child.stdout.on('data', onLine);
    child.stderr.on('data', onLine);
    child.once('exit', (code) => reject(new Error(`npm start's process exited with ${code} before it was ready:\n${output.join('\n')}`)));
  });
  await ready;
  return {
    child,
    output,
    url,
    stop: (signal: NodeJS.Signals = 'SIGTERM') =>
      new Promise((resolve) => {
        if (child.exitCode !== null) return resolve(child.exitCode);
        child.once('exit', (code) => resolve(code));
        child.kill(signal);
      }),
  };
}
