/**
 * Throughput of `flowService.getConnection` through the Platform client (undici keep-alive pool)
 * against the same GET through Node's global `fetch`, both against an in-process emulator.
 * Prints calls per second of each and their ratio; rounds alternate so machine noise hits both.
 *
 *   npx tsc -p tsconfig.json && node dist/scripts/bench-platform-client.js
 *
 * BENCH_SECONDS (per round, default 5), BENCH_ROUNDS (default 2), BENCH_CONCURRENCY (default 32).
 */
import { firstSandbox, primaryOrgId, startEmulator } from '../emulator/index.js';
import { createPlatformClient } from '../src/platform/platform-client.js';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 5);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 2);
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 32);

/** Runs `call` from `CONCURRENCY` loops for `SECONDS`; returns completed calls per second. */
async function measure(call: () => Promise<void>): Promise<number> {
  const deadline = Date.now() + SECONDS * 1000;
  let done = 0;
  const started = Date.now();
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (Date.now() < deadline) {
        await call();
        done++;
      }
    }),
  );
  return done / ((Date.now() - started) / 1000);
}

async function main(): Promise<void> {
  const emulator = await startEmulator({ port: 0 });
  const client = createPlatformClient({
    platformUrl: emulator.url,
    imsUrl: emulator.url,
    clientId: emulator.options.clientId,
    clientSecret: emulator.options.clientSecret,
    orgId: primaryOrgId(emulator.options),
    sandbox: firstSandbox(emulator.options),
  });
  try {
    const { id } = await client.flowService.createConnection({ name: 'bench', accessToken: 'sk_test_benchmarkbenchmark' });
    const url = `${emulator.url}/data/foundation/flowservice/connections/${id}`;
    const headers = {
      authorization: `Bearer ${await client.tokens.getToken()}`,
      'x-api-key': emulator.options.clientId,
      'x-gw-ims-org-id': primaryOrgId(emulator.options),
      'x-sandbox-name': firstSandbox(emulator.options),
    };
    const viaClient = async () => {
      await client.flowService.getConnection(id);
    };
    // The same work the client does per call: send, check status, parse JSON, unwrap items[0].
    const viaFetch = async () => {
      const response = await fetch(url, { headers: { ...headers, 'x-request-id': crypto.randomUUID() } });
      if (response.status !== 200) throw new Error(`fetch answered ${response.status}`);
      const body = (await response.json()) as { items: unknown[] };
      if (!body.items[0]) throw new Error('no item');
    };
    // Warm both paths (sockets, JIT) before measuring.
    await Promise.all(Array.from({ length: CONCURRENCY }, () => viaClient()));
    await Promise.all(Array.from({ length: CONCURRENCY }, () => viaFetch()));

    const clientRates: number[] = [];
    const fetchRates: number[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      clientRates.push(await measure(viaClient));
      fetchRates.push(await measure(viaFetch));
    }
    const mean = (values: number[]) => values.reduce((a, b) => a + b, 0) / values.length;
    const clientRate = mean(clientRates);
    const fetchRate = mean(fetchRates);
    console.log(`GET /connections/{id}, ${CONCURRENCY} concurrent, ${ROUNDS}×${SECONDS}s each, in-process emulator`);
    console.log(`  Platform client (undici pool)  ${clientRate.toFixed(0)} calls/s  [${clientRates.map((r) => r.toFixed(0)).join(', ')}]`);
    console.log(`  global fetch                   ${fetchRate.toFixed(0)} calls/s  [${fetchRates.map((r) => r.toFixed(0)).join(', ')}]`);
    console.log(`  ratio client/fetch             ${(clientRate / fetchRate).toFixed(2)}×`);
  } finally {
    await client.close();
    await emulator.stop();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
