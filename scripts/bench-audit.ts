/**
 * `npm run bench:audit [-- --events N] [-- --writers W]`: the audit trail at scale. Not a test:
 * numbers go into README ("Audit").
 *
 * 1. Insert rate with W (default 20) writers, one event per statement, through the ledger (the
 *    real write path, the sealer running in the gateway process) against the same statement into
 *    a plain copy of the table (same columns and indexes, no partitions, no triggers, no chain),
 *    measured in the same run, alternating, twice each. The sealer's lag is sampled meanwhile.
 * 2. Loads N events (default 1,000,000; `--events 10000000` for ten million) through the ledger
 *    with W writers, 1,000 events per statement, and reports the time of each million (linear
 *    load = constant time per million) and how long the sealer needs after the last insert.
 *    The data: 90 % in sandbox `prod`, 50 actors, 20,000 resources, 8 actions.
 * 3. Each query shape of issue 16 through GraphQL (40 sequential requests after 5 warm-ups,
 *    first: 20), the 51st page, and a backward page: p50/p95/p99.
 * 4. verifyAuditChain over everything: time, events/s, and this process's memory.
 *
 * `--database NAME` loads into (and keeps) that database instead of a fresh one that is dropped
 * at the end: a later run with the same name and `--events` finds the events there, loads none
 * and measures the reads again (e.g. on a quieter machine). `--skip-rates` leaves out step 1.
 */
import 'reflect-metadata';
import { createHash, randomUUID } from 'node:crypto';
import pg from 'pg';
import type { AuditAction } from '../src/domain/audit-actions.js';
import type { ResourceType } from '../src/domain/resource-types.js';
import { OperationLedger, type NewAuditEvent } from '../src/store/operation-ledger.js';
import { TestStack } from '../test/gateway/support/stack.js';

const args = process.argv.slice(2);
const arg = (name: string, fallback: number) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? Number(args[i + 1]) : fallback;
};
const EVENTS = arg('events', 1_000_000);
const WRITERS = arg('writers', 20);
const RATE_SECONDS = arg('rate-seconds', 10);
const REQUESTS = arg('requests', 40);
const DATABASE = args.includes('--database') ? args[args.indexOf('--database') + 1] : undefined;
const SKIP_RATES = args.includes('--skip-rates');
const BATCH = 1000;

const ACTORS = Array.from({ length: 50 }, (_, i) => `apikey:actor-${i}`);
/** Deterministic resource ids, so a kept database (`--database`) is queried for resources it holds. */
const RESOURCES = Array.from({ length: 20_000 }, (_, i) => {
  const hex = createHash('sha256').update(`bench-audit-resource-${i}`).digest('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-8${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
});
const TYPES: ResourceType[] = ['CONNECTION', 'SOURCE_CONNECTION', 'XDM_SCHEMA', 'DATASET', 'TARGET_CONNECTION', 'MAPPING', 'DATAFLOW'];
const ACTIONS: AuditAction[] = ['CREATED', 'UPDATED', 'DELETED', 'ENABLED', 'DISABLED', 'CONFLICT_DETECTED', 'CREATE_DATAFLOW_FAILED', 'UPDATE_DATAFLOW_FAILED'];

/** The k-th event of the data set. */
function eventNumber(k: number): NewAuditEvent {
  const resource = (k * 7919) % RESOURCES.length;
  return {
    sandbox: k % 10 === 9 ? 'dev' : 'prod',
    actor: ACTORS[(k * 31) % ACTORS.length]!,
    action: ACTIONS[(k * 13) % ACTIONS.length]!,
    resourceType: TYPES[resource % TYPES.length]!,
    resourceId: RESOURCES[resource]!,
    platformId: `platform-${resource}`,
    etagBefore: `"${k}"`,
    etagAfter: `"${k + 1}"`,
    before: { name: `resource ${resource}`, state: 'ENABLED', spec: { schedule: { interval: 15 } } },
    after: { name: `resource ${resource}`, state: k % 2 ? 'ENABLED' : 'DISABLED', spec: { schedule: { interval: 15 + (k % 4) } } },
    requestId: `bench-${k}`,
  };
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

const ms = (n: number) => `${n.toFixed(1)} ms`;

async function main(): Promise<void> {
  const stack = await TestStack.start({ roles: { gateway: true, worker: false }, env: { LOG_LEVEL: 'warn', NODE_ENV: 'production', DATABASE_POOL_SIZE: '10' }, keptDatabase: DATABASE });
  const url = stack.config.databaseUrl;
  const pools = Array.from({ length: WRITERS }, () => new pg.Pool({ connectionString: url, max: 1 }));
  const ledgers = pools.map((pool) => new OperationLedger(pool));
  const admin = new pg.Pool({ connectionString: url, max: 2 });
  const results: Record<string, unknown> = { events: EVENTS, writers: WRITERS };
  try {
    // 1. Insert rate, ours against a plain table, alternating.
    await admin.query('DROP TABLE IF EXISTS audit_plain');
    await admin.query('CREATE TABLE audit_plain (LIKE audit_events INCLUDING DEFAULTS INCLUDING INDEXES)');
    const plainInsert = `INSERT INTO audit_plain (id, sandbox, actor, action, resource_type, resource_id, platform_id, etag_before, etag_after, changes, before, after, operation_id, request_id)
       VALUES ($1::uuid, $2, $3, $4, $5::"ResourceType", $6::uuid, $7, $8, $9, $10::jsonb, $11::jsonb, $12::jsonb, $13::uuid, $14)`;
    let counter = 0;
    const rateOf = async (kind: 'plain' | 'ledger') => {
      const deadline = Date.now() + RATE_SECONDS * 1000;
      let inserted = 0;
      let maxLagMs = 0;
      let sampling = kind === 'ledger';
      const sampler = (async () => {
        while (sampling) {
          const { rows } = await admin.query<{ lag: number | null }>(
            `SELECT extract(epoch FROM clock_timestamp() - min(e.at)) * 1000 AS lag FROM audit_events e
             WHERE e.at > now() - interval '1 minute' AND NOT EXISTS (SELECT 1 FROM audit_chain c WHERE c.event_id = e.id)`,
          );
          maxLagMs = Math.max(maxLagMs, Number(rows[0]?.lag ?? 0));
          await new Promise((resolve) => setTimeout(resolve, 500));
        }
      })();
      const started = performance.now();
      await Promise.all(
        ledgers.map(async (ledger, w) => {
          while (Date.now() < deadline) {
            const event = eventNumber(counter++);
            if (kind === 'ledger') await ledger.appendAudit(event);
            else
              await pools[w]!.query({
                name: 'bench_plain',
                text: plainInsert,
                values: [
                  randomUUID(),
                  event.sandbox,
                  event.actor,
                  event.action,
                  event.resourceType,
                  event.resourceId,
                  event.platformId,
                  event.etagBefore,
                  event.etagAfter,
                  '[]',
                  JSON.stringify(event.before),
                  JSON.stringify(event.after),
                  null,
                  event.requestId,
                ],
              });
            inserted++;
          }
        }),
      );
      const seconds = (performance.now() - started) / 1000;
      sampling = false;
      await sampler;
      return { perSecond: inserted / seconds, maxLagMs };
    };
    const rates: { plain: number; ledger: number; ratio: number; maxSealLagMs: number }[] = [];
    for (let round = 0; round < (SKIP_RATES ? 0 : 2); round++) {
      const plain = await rateOf('plain');
      const ledger = await rateOf('ledger');
      rates.push({
        plain: Math.round(plain.perSecond),
        ledger: Math.round(ledger.perSecond),
        ratio: Number((ledger.perSecond / plain.perSecond).toFixed(2)),
        maxSealLagMs: Math.round(ledger.maxLagMs),
      });
      console.log(
        `insert rate, ${WRITERS} writers, one event per statement: plain ${Math.round(plain.perSecond)}/s, ledger ${Math.round(ledger.perSecond)}/s (${(ledger.perSecond / plain.perSecond).toFixed(2)}×), sealer lag ≤ ${Math.round(ledger.maxLagMs)} ms`,
      );
    }
    results.insertRates = rates;
    await admin.query('DROP TABLE audit_plain');

    // 2. The load, a million at a time.
    const already = Number((await admin.query<{ n: string }>('SELECT count(*)::text AS n FROM audit_events')).rows[0]!.n);
    const toLoad = Math.max(0, EVENTS - already);
    const perMillion: number[] = [];
    let next = 0;
    // Marks count every event in the table (the rate test's included), a million at a time.
    let done = already;
    let mark = 1_000_000;
    const loadStarted = performance.now();
    let markStarted = loadStarted;
    const base = counter;
    await Promise.all(
      ledgers.map(async (ledger) => {
        while (next < toLoad) {
          const first = next;
          next = Math.min(toLoad, next + BATCH);
          await ledger.appendAudits(Array.from({ length: next - first }, (_, i) => eventNumber(base + first + i)));
          done += BATCH;
          if (done >= mark) {
            perMillion.push((performance.now() - markStarted) / 1000);
            console.log(`loaded ${mark.toLocaleString('en')} events: this million in ${perMillion.at(-1)!.toFixed(1)} s`);
            markStarted = performance.now();
            mark += 1_000_000;
          }
        }
      }),
    );
    const loadSeconds = (performance.now() - loadStarted) / 1000;
    const sealStarted = performance.now();
    await stack.process.deps.store.auditSealer.sealPending();
    const sealTailSeconds = (performance.now() - sealStarted) / 1000;
    results.load = {
      events: toLoad,
      seconds: Number(loadSeconds.toFixed(1)),
      perSecond: Math.round(toLoad / loadSeconds),
      secondsPerMillion: perMillion.map((s) => Number(s.toFixed(1))),
      sealTailSeconds: Number(sealTailSeconds.toFixed(1)),
    };
    console.log(
      `load: ${toLoad.toLocaleString('en')} events in ${loadSeconds.toFixed(1)} s (${Math.round(toLoad / loadSeconds)}/s); sealing the tail after the last insert: ${sealTailSeconds.toFixed(1)} s`,
    );
    await admin.query('ANALYZE audit_events');
    await admin.query('ANALYZE audit_chain');

    // 3. Query shapes through GraphQL.
    const total = Number((await admin.query<{ n: string }>('SELECT count(*)::text AS n FROM audit_events')).rows[0]!.n);
    const { rows: window } = await admin.query<{ since: Date; until: Date }>(
      `SELECT min(at) AS since, max(at) AS until FROM (SELECT at FROM audit_events WHERE sandbox = 'prod' ORDER BY at DESC, seq DESC OFFSET $1 LIMIT $2) w`,
      [Math.floor(total / 3), Math.floor(total / 30)],
    );
    const resourceId = RESOURCES[1234]!;
    const resourceType = TYPES[1234 % TYPES.length]!;
    const page = (extra: string, selection = 'totalCount totalCountIsEstimate') => {
      const declared = [
        ['after', 'String'],
        ['before', 'String'],
        ['since', 'DateTime'],
        ['until', 'DateTime'],
      ].filter(([name]) => extra.includes(`$${name}`));
      const signature = declared.length > 0 ? `(${declared.map(([name, type]) => `$${name}: ${type}`).join(', ')})` : '';
      return `query${signature} { auditEvents(${extra}) { ${selection} pageInfo { hasNextPage endCursor startCursor } edges { node { id at actor action resourceType resourceId hash prevHash } } } }`;
    };
    const variables = { since: window[0]!.since.toISOString(), until: window[0]!.until.toISOString() };
    let cursor51: string | null = null;
    for (let i = 0; i < 50; i++) {
      const data: { auditEvents: { pageInfo: { endCursor: string } } } = await stack.data(page('first: 20, after: $after', ''), { after: cursor51 });
      cursor51 = data.auditEvents.pageInfo.endCursor;
    }
    const shapes: [string, string, Record<string, unknown>][] = [
      ['the floor: { __typename } (HTTP + GraphQL, no database)', '{ __typename }', {}],
      ['newest events, no filter (totalCount selected)', page('first: 20'), {}],
      ['same without selecting totalCount', page('first: 20', ''), {}],
      ['filter: { resourceId }', page(`first: 20, filter: { resourceId: "${resourceId}" }`), {}],
      ['filter: { actor }', page(`first: 20, filter: { actor: "${ACTORS[7]}" }`), {}],
      ['filter: { action: CONFLICT_DETECTED, resourceType: CONNECTION }', page('first: 20, filter: { action: CONFLICT_DETECTED, resourceType: CONNECTION }'), {}],
      ['filter: { resourceType, resourceId }', page(`first: 20, filter: { resourceType: ${resourceType}, resourceId: "${resourceId}" }`), {}],
      ['filter: { since, until } (a thirtieth of the events)', page('first: 20, filter: { since: $since, until: $until }'), variables],
      ['the 51st page of newest (after a cursor)', page('first: 20, after: $after'), { after: cursor51 }],
      ['the oldest page (last: 20, backward)', page('last: 20'), {}],
      ['filter: { actor, action } , backward from a cursor', page(`last: 20, before: $before, filter: { actor: "${ACTORS[3]}", action: UPDATED }`), { before: cursor51 }],
    ];
    const queryResults: { shape: string; p50: number; p95: number; p99: number }[] = [];
    for (const [shape, query, vars] of shapes) {
      for (let i = 0; i < 5; i++) await stack.data(query, vars);
      const times: number[] = [];
      for (let i = 0; i < REQUESTS; i++) {
        const started = performance.now();
        await stack.data(query, vars);
        times.push(performance.now() - started);
      }
      times.sort((a, b) => a - b);
      const row = { shape, p50: Number(percentile(times, 50).toFixed(1)), p95: Number(percentile(times, 95).toFixed(1)), p99: Number(percentile(times, 99).toFixed(1)) };
      queryResults.push(row);
      console.log(`${shape}: p50 ${ms(row.p50)}, p95 ${ms(row.p95)}, p99 ${ms(row.p99)}`);
    }
    results.queries = queryResults;

    // 4. Verification.
    const rssBefore = process.memoryUsage().rss;
    let rssPeak = rssBefore;
    const watch = setInterval(() => (rssPeak = Math.max(rssPeak, process.memoryUsage().rss)), 50);
    const verifyStarted = performance.now();
    const report = await stack.process.deps.store.auditChain.verify();
    const verifySeconds = (performance.now() - verifyStarted) / 1000;
    clearInterval(watch);
    results.verify = {
      ok: report.ok,
      events: report.checkedEvents,
      seconds: Number(verifySeconds.toFixed(1)),
      perSecond: Math.round(report.checkedEvents / verifySeconds),
      processRssGrowthMb: Number(((rssPeak - rssBefore) / 1e6).toFixed(1)),
    };
    console.log(
      `verifyAuditChain: ${report.ok ? 'ok' : `BROKEN (${report.reason})`}, ${report.checkedEvents.toLocaleString('en')} events in ${verifySeconds.toFixed(1)} s (${Math.round(report.checkedEvents / verifySeconds)}/s), this process's RSS grew ${((rssPeak - rssBefore) / 1e6).toFixed(1)} MB`,
    );
    const size = (
      await admin.query<{ events: string; chain: string }>(
        `SELECT pg_size_pretty(sum(pg_total_relation_size(inhrelid))) AS events, pg_size_pretty(pg_total_relation_size('audit_chain')) AS chain FROM pg_inherits WHERE inhparent = 'audit_events'::regclass`,
      )
    ).rows[0]!;
    results.size = size;
    console.log(`on disk: events ${size.events} (with indexes), chain ${size.chain}`);
    console.log(JSON.stringify(results));
  } finally {
    await Promise.all([...pools.map((p) => p.end()), admin.end()]);
    await stack.stop();
  }
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
