/**
 * `npm run bench:emulator`: how many simple Platform GETs per second the emulator serves.
 * Target: ≥ 2,000/s on a 2-core machine, so the emulator is never a test's bottleneck.
 * Starts an emulator in this process, creates a connection and hammers
 * `GET /connections/{id}` (auth, headers, lookup, JSON) with autocannon.
 */
import autocannon from 'autocannon';
import { primaryOrgId, startEmulator } from '../emulator/index.js';

const DURATION_SECONDS = Number(process.env.BENCH_DURATION_SECONDS ?? 10);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 32);
const TARGET_PER_SECOND = 2000;

async function main(): Promise<void> {
  const emulator = await startEmulator({ port: 0 });
  try {
    const form = new URLSearchParams({
      grant_type: 'client_credentials',
      client_id: emulator.options.clientId,
      client_secret: emulator.options.clientSecret,
      scope: 'openid,AdobeID',
    });
    const token = ((await (await fetch(`${emulator.url}/ims/token/v3`, { method: 'POST', body: form })).json()) as { access_token: string }).access_token;
    const headers = {
      authorization: `Bearer ${token}`,
      'x-api-key': emulator.options.clientId,
      'x-gw-ims-org-id': primaryOrgId(emulator.options),
      'x-sandbox-name': 'prod',
      'content-type': 'application/json',
    };
    const created = await fetch(`${emulator.url}/data/foundation/flowservice/connections`, {
      method: 'POST',
      headers,
      body: JSON.stringify({
        name: 'bench',
        connectionSpec: { id: 'cc2c31d6-7b8c-4581-b49f-5c8698aa3ab3', version: '1.0' },
        auth: { specName: 'OAuth2 Refresh Code', params: { accessToken: 'sk_test_benchmarkbenchmark' } },
      }),
    });
    const { id } = (await created.json()) as { id: string };
    const path = `/data/foundation/flowservice/connections/${id}`;

    const result = await autocannon({
      url: `${emulator.url}${path}`,
      headers: { ...headers, 'content-type': undefined as unknown as string },
      connections: CONNECTIONS,
      duration: DURATION_SECONDS,
    });
    const perSecond = result.requests.average;
    const non2xx = result.non2xx + result.errors;
    console.log(`GET ${path.replace(id, '{id}')}`);
    console.log(`  ${result.requests.total} requests in ${DURATION_SECONDS}s over ${CONNECTIONS} connections, ${non2xx} errors/non-2xx`);
    console.log(`  throughput  ${perSecond.toFixed(0)} req/s (target ≥ ${TARGET_PER_SECOND})`);
    console.log(`  latency     p50 ${result.latency.p50} ms, p99 ${result.latency.p99} ms`);
    console.log(perSecond >= TARGET_PER_SECOND && non2xx === 0 ? 'PASS' : 'BELOW TARGET');
    process.exitCode = perSecond >= TARGET_PER_SECOND && non2xx === 0 ? 0 : 1;
  } finally {
    await emulator.stop();
  }
}

void main();
