/**
 * `npm run soak`: the deployment under a sustained mixed load with a share of the Platform's
 * answers faulted (see test/gateway/support/soak.ts for what runs and what is checked). Sizes
 * come from the environment, defaulting to the issue's: SOAK_SECONDS=60, SOAK_GATEWAYS=2,
 * SOAK_WORKERS=2, SOAK_HTTP_CLIENTS=200, SOAK_ONBOARDINGS=50, SOAK_SUBSCRIBERS=500,
 * SOAK_FAULT_RATE=0.2. Prints the figures and exits 1 when a pass criterion fails.
 */
import 'reflect-metadata';
import { loadavg } from 'node:os';
import { failuresOf, runSoak, type SoakReport } from '../test/gateway/support/soak.js';
import { spawnEmulator } from './bench/emulator-process.js';

const number = (name: string, fallback: number) => Number(process.env[name] ?? fallback);

async function main(): Promise<void> {
  const emulator = await spawnEmulator();
  const load = () =>
    loadavg()
      .map((l) => l.toFixed(2))
      .join(' ');
  console.log(`Load average at start: ${load()}`);
  try {
    const report = await runSoak({
      durationSeconds: number('SOAK_SECONDS', 60),
      gateways: number('SOAK_GATEWAYS', 2),
      workers: number('SOAK_WORKERS', 2),
      httpClients: number('SOAK_HTTP_CLIENTS', 200),
      onboardings: number('SOAK_ONBOARDINGS', 50),
      subscribers: number('SOAK_SUBSCRIBERS', 500),
      faultRate: number('SOAK_FAULT_RATE', 0.2),
      warmUpSeconds: number('SOAK_WARM_UP_SECONDS', 15),
      drainSeconds: number('SOAK_DRAIN_SECONDS', 180),
      resources: (process.env.SOAK_RESOURCES ?? 'CHARGES,REFUNDS').split(','),
      emulator,
      log: (line) => console.log(line),
    });
    print(report);
    console.log(`Load average at the end: ${load()}`);
    const failures = failuresOf(report);
    if (failures.length > 0) {
      console.log(`\nFAILED: ${failures.join('; ')}`);
      process.exitCode = 1;
    } else {
      console.log('\nPASSED: every pass criterion held.');
    }
  } finally {
    await emulator.stop();
  }
}

function print(r: SoakReport): void {
  const o = r.options;
  console.log(
    `\nSoak: ${o.durationSeconds} s, ${o.gateways} gateways + ${o.workers} workers (separate processes), ${o.httpClients} HTTP clients, ${o.onboardings} onboardings (${o.resources.join(', ')}), ${o.subscribers} WebSocket subscribers, ${Math.round(o.faultRate * 100)} % Platform faults`,
  );
  console.log(`Platform: ${r.platformRequests} calls, ${r.faultsInjected} faulted (${((100 * r.faultsInjected) / Math.max(1, r.platformRequests)).toFixed(1)} %)`);
  console.log(`HTTP queries:   ${r.queries.count} answered, p50 ${r.queries.p50} ms, p99 ${r.queries.p99} ms, max ${r.queries.max} ms`);
  console.log(`HTTP mutations: ${r.mutations.count} requests, p50 ${r.mutations.p50} ms, p99 ${r.mutations.p99} ms, max ${r.mutations.max} ms`);
  console.log(`Unexpected errors: ${r.unexpectedErrors}; retryable refusals (503/429): ${r.retryableRefusals}`);
  if (r.unexpectedSamples.length > 0) console.log(JSON.stringify(r.unexpectedSamples, null, 2));
  console.log(`Operations acknowledged: ${r.acknowledgedOperations}; by status ${JSON.stringify(r.operationsByStatus)}; unfinished ${r.unfinishedOperations}`);
  console.log(`Onboardings by status: ${JSON.stringify(r.onboardingsByStatus)}; unfinished ${r.unfinishedOnboardings}`);
  console.log(`Subscribers: ${r.subscribers}, ${r.subscriberMessages} messages, ${r.subscribersWithGaps} with a missed or misordered transition`);
  for (const s of r.subscriberSamples) console.log(`  ${s}`);
  console.log(`Platform resources beyond Flowgate's (duplicates): ${JSON.stringify(r.duplicatePlatformResources)}`);
  console.log(`Audit chain: ${r.auditChainOk ? 'verifies' : 'BROKEN'} (${r.auditEventsChecked} events)`);
  console.log(`RSS after ${o.warmUpSeconds} s warm-up → end of load:`);
  for (const p of r.rss) console.log(`  ${p.process.padEnd(10)} ${p.afterWarmUpMiB} → ${p.endMiB} MiB (${p.growthMiB >= 0 ? '+' : ''}${p.growthMiB} MiB)`);
}

if (require.main === module) {
  main().catch((error: unknown) => {
    console.error(error);
    process.exit(1);
  });
}
