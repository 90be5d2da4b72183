/**
 * The baseline `npm run bench` measures Flowgate's operations against, in the same run: a bare
 * BullMQ worker (concurrency 50) whose job makes one HTTP call to the Platform (the emulator: a
 * base connection create, the call a createConnection operation makes) and one PostgreSQL INSERT.
 * No gateway, no ledger, no audit, no events: the floor of "queue + HTTP + PostgreSQL" per job on
 * this machine. Run as its own process (as Flowgate's worker is); prints `warm`, then `{"jobs", "ms", "cpuMs"}`:
 * the CPU this process (worker and producers) and its PostgreSQL backends used during the run.
 * The first `warmup` jobs (JIT, pools, prepared plans) are run the same way but neither timed nor
 * counted, as Flowgate's warm-up operations are not (see bench-gateway.ts).
 *
 * argv: redisUrl databaseUrl emulatorUrl clientId clientSecret orgId jobs warmup
 */
import { Queue, Worker } from 'bullmq';
import { randomBytes, randomUUID } from 'node:crypto';
import pg from 'pg';
import { Agent, request } from 'undici';
import { SPEC_VERSION, STRIPE_AUTH_SPEC_NAME, STRIPE_CONNECTION_SPEC_ID } from '../../src/platform/flow-service.client.js';
import { DEFAULT_IMS_SCOPE } from '../../src/platform/ims-token-provider.js';
import { cpuSince, cpuSnapshot } from './process-cpu.js';

async function main(): Promise<void> {
  const [redisUrl, databaseUrl, emulatorUrl, clientId, clientSecret, orgId, jobsText, warmupText] = process.argv.slice(2) as [string, string, string, string, string, string, string, string];
  const jobs = Number(jobsText);
  const warmup = Number(warmupText);
  const redis = new URL(redisUrl);
  const connection = { host: redis.hostname, port: Number(redis.port || 6379), maxRetriesPerRequest: null };
  const prefix = `{bench-bare-${randomBytes(4).toString('hex')}}`;
  const pool = new pg.Pool({ connectionString: databaseUrl, max: 30, application_name: 'bench-bare' });
  const backends = async () => (await pool.query<{ pid: number }>("SELECT pid FROM pg_stat_activity WHERE application_name = 'bench-bare' AND datname = current_database()")).rows.map((r) => r.pid);
  await pool.query('CREATE TABLE IF NOT EXISTS bench_bare_jobs (id uuid PRIMARY KEY, platform_id text NOT NULL, created_at timestamptz NOT NULL DEFAULT now())');
  const agent = new Agent({ connections: 50, keepAliveTimeout: 30_000 });
  const tokenAnswer = await request(`${emulatorUrl}/ims/token/v3`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ grant_type: 'client_credentials', client_id: clientId, client_secret: clientSecret, scope: DEFAULT_IMS_SCOPE }).toString(),
    dispatcher: agent,
  });
  const { access_token: token } = (await tokenAnswer.body.json()) as { access_token: string };

  const queue = new Queue('bare', { connection, prefix });
  let done = 0;
  // Resolves when `done` reaches the target of the batch under way (warm-up, then measured jobs).
  let target = 0;
  let finished = () => {};
  const worker = new Worker(
    'bare',
    async (job) => {
      const answer = await request(`${emulatorUrl}/data/foundation/flowservice/connections`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'x-api-key': clientId, 'x-gw-ims-org-id': orgId, 'x-sandbox-name': 'prod', 'content-type': 'application/json' },
        body: JSON.stringify({
          name: `bare ${job.id}`,
          connectionSpec: { id: STRIPE_CONNECTION_SPEC_ID, version: SPEC_VERSION },
          auth: { specName: STRIPE_AUTH_SPEC_NAME, params: { accessToken: `sk_test_bare${randomBytes(8).toString('hex')}` } },
        }),
        dispatcher: agent,
      });
      const body = (await answer.body.json()) as { id?: string };
      if (answer.statusCode >= 300 || !body.id) throw new Error(`emulator answered ${answer.statusCode}: ${JSON.stringify(body)}`);
      await pool.query('INSERT INTO bench_bare_jobs (id, platform_id) VALUES ($1, $2)', [randomUUID(), body.id]);
      if (++done === target) finished();
    },
    { connection, prefix, concurrency: 50 },
  );
  await worker.waitUntilReady();
  // 50 producers adding jobs one by one, as 50 gateway clients would; resolves when all are done.
  let next = 0;
  const run = async (count: number) => {
    target += count;
    const allDone = new Promise<void>((resolve) => (finished = resolve));
    const last = next + count;
    await Promise.all(
      Array.from({ length: 50 }, async () => {
        while (next < last) {
          const i = next++;
          await queue.add('job', { i }, { removeOnComplete: true });
        }
      }),
    );
    await allDone;
  };
  if (warmup > 0) await run(warmup);
  // Tells the bench that the measured jobs start (it counts the emulator's CPU from here).
  process.stdout.write('warm\n');
  const postgres0 = cpuSnapshot(await backends());
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  await run(jobs);
  const ms = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  const cpuMs = { worker: (cpu.user + cpu.system) / 1000, postgres: cpuSince(postgres0, await backends()) };
  process.stdout.write(`${JSON.stringify({ jobs, ms, cpuMs })}\n`);
  await worker.close();
  await queue.obliterate({ force: true });
  await queue.close();
  await pool.query('DROP TABLE IF EXISTS bench_bare_jobs');
  await pool.end();
  await agent.close();
}

void main().then(
  () => process.exit(0),
  (error) => {
    console.error(error);
    process.exit(1);
  },
);
