/**
 * `npm run bench:watchdog`: one pass of the dataflow watchdog over BENCH_DATAFLOWS (default
 * 10,000) dataflows with BENCH_RUNS (default 48) synced runs each — its wall time and how many
 * statements it sends to PostgreSQL. Not a test: numbers go into README.
 *
 * The data is seeded straight into a throwaway database: hourly dataflows, 85 % healthy and the
 * rest late, failing (a rejected Stripe key), silent or drifted, one in twenty paused, with the
 * Platform's view of each flow and one finished create operation each; two webhooks subscribe to
 * alerts, so a pass that opens alerts also records and enqueues their deliveries (Redis, under a
 * namespace of its own, removed afterwards).
 *
 * Passes measured: the first (every health is new: 10,000 rows written, every problem opens an
 * alert), steady ones (nothing changed: nothing written), and one an hour later after every
 * healthy dataflow got a new run (most healths rewritten). The same-run baseline is the design the
 * issue rules out: reading each dataflow's runs with a query of its own (only those reads).
 */
import 'reflect-metadata';
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { runWatchdogPass, type WatchdogPassResult } from '../src/jobs/watchdog.job.js';
import { createWebhooksQueue } from '../src/jobs/queues.js';
import { WebhookDispatcher } from '../src/jobs/webhooks/webhook-dispatcher.js';
import { createLogger } from '../src/logging/logger.js';
import { EventBus } from '../src/pubsub/event-bus.js';
import { applyMigrations, ensureDatabase } from '../src/store/migrations.js';
import { createDatabase } from '../src/store/prisma.js';
import { SecretBox } from '../src/store/secret-box.js';
import { Store } from '../src/store/store.js';
import { RedisConnections } from '../src/redis/redis-connections.js';
import { deleteKeys, dropDatabase, withDatabase } from '../test/support/local-services.js';

const DATAFLOWS = Number(process.env.BENCH_DATAFLOWS ?? 10_000);
const RUNS = Number(process.env.BENCH_RUNS ?? 48);
const STEADY_PASSES = Number(process.env.BENCH_STEADY_PASSES ?? 5);
const PG_URL = process.env.TEST_PG_URL ?? 'postgresql://postgres@127.0.0.1:5432/postgres';
const REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
const HOUR = 3600;
const POLICY = { graceSeconds: 900, failedRuns: 2, emptyRuns: 3 };

/** Every statement any pg client sends while `counting` is on (one call = one round trip, a multi-statement text included). */
let counting = false;
let statements = 0;
const originalQuery = Object.getOwnPropertyDescriptor(pg.Client.prototype, 'query')!.value as (this: pg.Client, ...args: unknown[]) => unknown;
pg.Client.prototype.query = function (this: pg.Client, ...args: unknown[]) {
  if (counting) statements++;
  return originalQuery.apply(this, args);
} as typeof pg.Client.prototype.query;

async function measure<T>(work: () => Promise<T>): Promise<{ ms: number; statements: number; value: T }> {
  statements = 0;
  counting = true;
  const started = performance.now();
  try {
    const value = await work();
    return { ms: performance.now() - started, statements, value };
  } finally {
    counting = false;
  }
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

async function seed(pool: pg.Pool, nowSeconds: number): Promise<void> {
  const start = Math.floor(nowSeconds / HOUR) * HOUR - (RUNS - 1) * HOUR; // on the hour; the newest run is the last full hour's
  const mix = `CASE WHEN i % 100 < 85 THEN 'healthy' WHEN i % 100 < 90 THEN 'late' WHEN i % 100 < 94 THEN 'failing' WHEN i % 100 < 97 THEN 'silent' ELSE 'drifted' END`;
  await pool.query(
    `INSERT INTO resources (id, type, sandbox, name, state, platform_id, etag, spec, stripe_resource, created_at, updated_at)
     SELECT md5('df' || i)::uuid, 'DATAFLOW', 'prod', 'bench flow ' || i, CASE WHEN i % 20 = 0 THEN 'DISABLED' ELSE 'ENABLED' END::"ResourceState",
            'flow-' || i, '"e-' || i || '"',
            jsonb_build_object('schedule', jsonb_build_object('frequency', 'hour', 'interval', 1, 'startTime', ${start}, 'backfill', true), 'mappingVersion', 0),
            CASE WHEN i % 3 = 0 THEN 'refunds' ELSE 'charges' END, to_timestamp(${start - 3600}), to_timestamp(${start - 3600})
     FROM generate_series(1, ${DATAFLOWS}) i`,
  );
  await pool.query(
    `INSERT INTO operations (id, type, status, resource_type, resource_id, sandbox, input, requested_by, created_at, updated_at, finished_at)
     SELECT md5('op' || i)::uuid, 'CREATE_DATAFLOW', 'SUCCEEDED', 'DATAFLOW', md5('df' || i)::uuid, 'prod', '{}', 'apikey:bench', to_timestamp(${start - 3600}), to_timestamp(${start - 3600}), to_timestamp(${start - 3600})
     FROM generate_series(1, ${DATAFLOWS}) i`,
  );
  // Runs at the grid points 0 … RUNS-1 (the newest an hour before now); late flows stopped 5 runs early.
  await pool.query(
    `INSERT INTO flow_runs (id, dataflow_id, platform_id, status, started_at, completed_at, records_read, records_written, errors, updated_at)
     SELECT md5('run' || i || ':' || k)::uuid, md5('df' || i)::uuid, 'run-' || i || '-' || k,
            CASE WHEN kind = 'failing' AND k >= ${RUNS - 3} THEN 'FAILED' ELSE 'SUCCESS' END,
            to_timestamp(${start} + k * ${HOUR}), to_timestamp(${start} + k * ${HOUR} + 30),
            CASE WHEN kind = 'silent' AND k >= ${RUNS - 4} THEN 0 WHEN kind = 'failing' AND k >= ${RUNS - 3} THEN 0 ELSE 12 END,
            CASE WHEN kind = 'silent' AND k >= ${RUNS - 4} THEN 0 WHEN kind = 'failing' AND k >= ${RUNS - 3} THEN 0 ELSE 12 END,
            CASE WHEN kind = 'failing' AND k >= ${RUNS - 3}
                 THEN '[{"code":"CONNECTOR-2001-500","message":"Error connecting to the source: Stripe rejected the API key of the base connection (invalid_api_key)."}]'::jsonb
                 ELSE '[]'::jsonb END,
            now()
     FROM (SELECT i, ${mix} AS kind FROM generate_series(1, ${DATAFLOWS}) i) f
     CROSS JOIN generate_series(0, ${RUNS - 1}) k
     WHERE NOT (kind = 'late' AND k >= ${RUNS - 5})`,
  );
  await pool.query(
    `INSERT INTO dataflow_observations (dataflow_id, observed_at, found, state, etag, schedule, mapping_version)
     SELECT md5('df' || i)::uuid, now(), true,
            CASE WHEN i % 100 >= 97 OR i % 20 = 0 THEN 'disabled' ELSE 'enabled' END,
            CASE WHEN i % 100 >= 97 THEN '"e-changed-' || i || '"' ELSE '"e-' || i || '"' END,
            jsonb_build_object('frequency', 'hour', 'interval', 1, 'startTime', ${start}, 'backfill', true), 0
     FROM generate_series(1, ${DATAFLOWS}) i`,
  );
  // What autovacuum does soon after a load: statistics, and the visibility map index-only scans rely on.
  await pool.query('VACUUM ANALYZE');
}

/** The design the issue rules out: one query per dataflow for its runs (the reads only). */
async function perFlowReads(pool: pg.Pool): Promise<void> {
  const { rows } = await pool.query<{ id: string }>(`SELECT id FROM resources WHERE type = 'DATAFLOW' AND state IN ('ENABLED', 'DISABLED')`);
  const client = await pool.connect();
  try {
    for (const { id } of rows) {
      await client.query({ name: 'bench_runs_of', text: 'SELECT status, started_at, records_read, errors FROM flow_runs WHERE dataflow_id = $1 ORDER BY started_at DESC LIMIT 50', values: [id] });
    }
  } finally {
    client.release();
  }
}

async function main(): Promise<void> {
  const database = `fg_bench_watchdog_${randomBytes(4).toString('hex')}`;
  const url = withDatabase(PG_URL, database);
  const prefix = `{fgbench-${randomBytes(4).toString('hex')}}`;
  const logger = createLogger({ level: 'warn' });
  await ensureDatabase(url);
  const db = createDatabase(url, { poolSize: 4 });
  const store = new Store(db, new SecretBox({ id: 'bench', key: randomBytes(32) }));
  const connections = new RedisConnections({ target: { redisUrl: REDIS_URL, redisClusterNodes: null }, logger });
  const bus = new EventBus({ publisher: connections.open('commands', 'command'), subscriber: connections.open('subscriber', 'subscriber'), prefix: `${prefix}:events:`, logger });
  const queue = createWebhooksQueue({ connection: connections.bullmq('queue producer'), prefix });
  const webhooks = new WebhookDispatcher({ store, queue, logger, maxAttempts: 8 });
  const deps = { store, bus, logger, webhooks, policy: POLICY };
  try {
    await applyMigrations(url);
    if (process.env.BENCH_KEEP_DB) console.log(`database ${database} (kept)`);
    const nowSeconds = Math.floor(Date.now() / 1000);
    const seeding = performance.now();
    await seed(db.pool, nowSeconds);
    for (const n of [1, 2]) {
      const sealed = store.secrets.sealWebhookSecret(`00000000-0000-4000-8000-00000000000${n}`, 1, `whsec_bench${n}`);
      await store.webhooks.create(db.pool, {
        id: `00000000-0000-4000-8000-00000000000${n}`,
        sandbox: 'prod',
        url: `https://hooks${n}.example.com/flowgate`,
        events: ['ALERT_OPENED', 'ALERT_UPDATED', 'ALERT_RESOLVED'],
        description: null,
        enabled: true,
        createdBy: 'bench',
        secret: sealed,
      });
    }
    const runRows = (await db.pool.query<{ n: number }>('SELECT count(*)::int AS n FROM flow_runs')).rows[0]!.n;
    console.log(
      `seeded ${DATAFLOWS} dataflows, ${runRows} runs in ${((performance.now() - seeding) / 1000).toFixed(1)} s (PostgreSQL ${(await db.pool.query<{ server_version: string }>('SHOW server_version')).rows[0]!.server_version})`,
    );

    const at = (seconds: number) => new Date(seconds * 1000);
    const report = (label: string, m: { ms: number; statements: number; value: WatchdogPassResult }) =>
      console.log(
        `${label.padEnd(44)} ${m.ms.toFixed(0).padStart(6)} ms  ${String(m.statements).padStart(3)} statements  ` +
          `(evaluated ${m.value.dataflows}, health written ${m.value.healthWritten}, opened ${m.value.opened}, updated ${m.value.updated}, resolved ${m.value.resolved}, deliveries ${m.value.deliveries})`,
      );

    report('first pass (every health new)', await measure(() => runWatchdogPass(deps, at(nowSeconds))));
    const steady: number[] = [];
    const steadyStatements: number[] = [];
    for (let i = 0; i < STEADY_PASSES; i++) {
      const m = await measure(() => runWatchdogPass(deps, at(nowSeconds + 10 + i)));
      steady.push(m.ms);
      steadyStatements.push(m.statements);
      if (i === STEADY_PASSES - 1) report(`steady pass (nothing changed), median of ${STEADY_PASSES}`, { ...m, ms: median(steady) });
    }
    // An hour later every healthy dataflow has one more run.
    await db.pool.query(
      `INSERT INTO flow_runs (id, dataflow_id, platform_id, status, started_at, completed_at, records_read, records_written, updated_at)
       SELECT gen_random_uuid(), d.id, d.platform_id || '-next', 'SUCCESS', to_timestamp(((d.spec->'schedule'->>'startTime')::bigint) + ${RUNS} * ${HOUR}),
              to_timestamp(((d.spec->'schedule'->>'startTime')::bigint) + ${RUNS} * ${HOUR} + 30), 12, 12, now()
       FROM resources d WHERE d.type = 'DATAFLOW' AND (substring(d.name from '[0-9]+$')::int % 100) < 85`,
    );
    report('an hour later (85 % of the flows ran again)', await measure(() => runWatchdogPass(deps, at(nowSeconds + HOUR))));

    const baseline: number[] = [];
    let baselineStatements = 0;
    for (let i = 0; i < 3; i++) {
      const m = await measure(() => perFlowReads(db.pool));
      baseline.push(m.ms);
      baselineStatements = m.statements;
    }
    const ours = median(steady);
    console.log(`${'baseline: one runs query per dataflow (reads only)'.padEnd(44)} ${median(baseline).toFixed(0).padStart(6)} ms  ${baselineStatements} statements  (median of 3)`);
    console.log(`steady pass / per-dataflow reads: ${(ours / median(baseline)).toFixed(2)}`);
  } finally {
    await queue.close();
    await bus.close();
    await connections.close();
    await store.close();
    if (!process.env.BENCH_KEEP_DB) await dropDatabase(PG_URL, database);
    await deleteKeys(REDIS_URL, `${prefix}*`);
  }
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
