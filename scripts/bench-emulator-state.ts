/**
 * `npm run bench:emulator-state`: what keeping the emulator's state costs a Platform write.
 *
 * Builds the state of a week of use (six Stripe resources onboarded, hourly dataflows that ran for
 * seven days, their dataset records), then times 200 sequential writes (`PATCH /flows/{id}` with
 * If-Match: read, change, save, answer) on an emulator whose state is in memory, in a file, and in
 * a PostgreSQL schema. The baseline outside the emulator's design, measured in the same run, is
 * one single-row INSERT into PostgreSQL: the least a database-backed write pays.
 *
 * Environment: BENCH_PG_URL (server to create the throwaway database on, default the local one).
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Client } from 'pg';
import { primaryOrgId, startEmulator, type EmulatorStateOptions } from '../emulator/index.js';

const PG_URL = process.env.BENCH_PG_URL ?? 'postgresql://postgres@127.0.0.1:5432/postgres';
const WRITES = 200;
const FLOW = '/data/foundation/flowservice';
const NOW = 1_900_000_000;

interface Timing {
  p50: number;
  p99: number;
}

async function main(): Promise<void> {
  const dir = mkdtempSync(path.join(tmpdir(), 'bench-emulator-state-'));
  const database = `fg_bench_state_${randomBytes(4).toString('hex')}`;
  const admin = new Client({ connectionString: PG_URL });
  await admin.connect();
  await admin.query(`CREATE DATABASE "${database}"`);
  const databaseUrl = withDatabase(PG_URL, database);
  try {
    const key = randomBytes(32);
    const results: [string, Timing, string][] = [];
    for (const [label, state] of [
      ['in memory', null],
      ['file', { kind: 'file', path: path.join(dir, 'state.json'), key }],
      ['PostgreSQL', { kind: 'postgres', url: databaseUrl, key }],
    ] as [string, EmulatorStateOptions | null][]) {
      const { timing, size } = await benchEmulator(state);
      results.push([label, timing, size]);
    }
    const baseline = await benchInsert(databaseUrl);
    console.log(`${WRITES} sequential PATCH /flows/{id} on a week of state (6 resources, hourly runs, their dataset records):`);
    for (const [label, t, size] of results) console.log(`  ${label.padEnd(11)} p50 ${t.p50.toFixed(2)} ms, p99 ${t.p99.toFixed(2)} ms${size ? `  (${size})` : ''}`);
    console.log(`  baseline    one PostgreSQL INSERT: p50 ${baseline.p50.toFixed(2)} ms, p99 ${baseline.p99.toFixed(2)} ms`);
  } finally {
    await admin.query(`DROP DATABASE IF EXISTS "${database}" WITH (FORCE)`);
    await admin.end();
    rmSync(dir, { recursive: true, force: true });
  }
}

async function benchEmulator(state: EmulatorStateOptions | null): Promise<{ timing: Timing; size: string }> {
  const emulator = await startEmulator({ port: 0, state });
  try {
    const caller = () => platformCaller(emulator.url, emulator.options.clientId, emulator.options.clientSecret, primaryOrgId(emulator.options));
    await fetch(`${emulator.url}/__emulator/clock`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ now: NOW }) });
    const flowIds = await onboardSixResources(await caller());
    // A week of hourly runs; tokens last a day on the emulator clock, so a fresh one after.
    await fetch(`${emulator.url}/__emulator/clock`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ advanceSeconds: 7 * 86400 }) });
    const call = await caller();
    await call('GET', `${FLOW}/flows`);
    const flowId = flowIds[0]!;
    const times: number[] = [];
    for (let i = 0; i < WRITES; i++) {
      const flow = ((await call('GET', `${FLOW}/flows/${flowId}`)) as { items: { etag: string }[] }).items[0]!;
      const started = performance.now();
      await call('PATCH', `${FLOW}/flows/${flowId}`, [{ op: 'replace', path: '/name', value: `bench ${i}` }], { 'if-match': flow.etag });
      times.push(performance.now() - started);
    }
    let size = '';
    if (state?.kind === 'file') size = `${(statSync(state.path).size / 1e6).toFixed(1)} MB file`;
    if (state?.kind === 'postgres') {
      const client = new Client({ connectionString: state.url });
      await client.connect();
      const { rows } = await client.query<{ n: string; bytes: string }>('SELECT count(*) AS n, sum(length(value)) AS bytes FROM aep_emulator.entries');
      await client.end();
      size = `${rows[0]!.n} entries, ${(Number(rows[0]!.bytes) / 1e6).toFixed(1)} MB`;
    }
    return { timing: percentiles(times), size };
  } finally {
    await emulator.stop();
  }
}

type Call = (method: string, pathname: string, body?: unknown, extra?: Record<string, string>) => Promise<unknown>;

async function platformCaller(url: string, clientId: string, clientSecret: string, orgId: string): Promise<Call> {
  const form = new URLSearchParams({ grant_type: 'client_credentials', client_id: clientId, client_secret: clientSecret, scope: 'openid,AdobeID' });
  const token = ((await (await fetch(`${url}/ims/token/v3`, { method: 'POST', body: form })).json()) as { access_token: string }).access_token;
  return async (method, pathname, body, extra = {}) => {
    const response = await fetch(`${url}${pathname}`, {
      method,
      headers: {
        authorization: `Bearer ${token}`,
        'x-api-key': clientId,
        'x-gw-ims-org-id': orgId,
        'x-sandbox-name': 'prod',
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        ...extra,
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await response.text();
    if (response.status >= 300) throw new Error(`${method} ${pathname}: ${response.status} ${text}`);
    return text ? (JSON.parse(text) as unknown) : undefined;
  };
}

/** Six source → dataset chains with hourly flows, each mapping every explored attribute to a string-or-typed field. */
async function onboardSixResources(call: Call): Promise<string[]> {
  const connection = (await call('POST', `${FLOW}/connections`, {
    name: 'bench',
    connectionSpec: { id: 'cc2c31d6-7b8c-4581-b49f-5c8698aa3ab3', version: '1.0' },
    auth: { specName: 'OAuth2 Refresh Code', params: { accessToken: 'sk_test_benchmarkstate0001' } },
  })) as { id: string };
  const flowIds: string[] = [];
  for (const resource of ['charges', 'refunds', 'customers', 'balance_transactions', 'subscriptions', 'prices']) {
    const source = (await call('POST', `${FLOW}/sourceConnections`, {
      name: resource,
      baseConnectionId: connection.id,
      connectionSpec: { id: 'cc2c31d6-7b8c-4581-b49f-5c8698aa3ab3', version: '1.0' },
      data: { format: 'json' },
      params: { resourcePath: resource },
    })) as { id: string };
    const klass = (await call('POST', '/data/foundation/schemaregistry/tenant/classes', {
      type: 'object',
      title: `${resource} class`,
      description: 'd',
      allOf: [{ $ref: 'https://ns.adobe.com/xdm/data/record' }],
    })) as { $id: string };
    const fieldGroup = (await call('POST', '/data/foundation/schemaregistry/tenant/fieldgroups', {
      type: 'object',
      title: `${resource} fields`,
      description: 'd',
      'meta:intendedToExtend': [klass.$id],
      definitions: { d: { properties: { _flowgatelocal: { type: 'object', properties: { id: { type: 'string' }, object: { type: 'string' }, created: { type: 'integer' } } } } } },
      allOf: [{ $ref: '#/definitions/d' }],
    })) as { $id: string };
    const schema = (await call('POST', '/data/foundation/schemaregistry/tenant/schemas', {
      type: 'object',
      title: `${resource} schema`,
      description: 'd',
      allOf: [{ $ref: klass.$id }, { $ref: fieldGroup.$id }],
    })) as { $id: string };
    const dataset = (await call('POST', '/data/foundation/catalog/dataSets', { name: resource, schemaRef: { id: schema.$id, contentType: 'application/vnd.adobe.xed+json;version=1' } })) as string[];
    const target = (await call('POST', `${FLOW}/targetConnections`, {
      name: resource,
      connectionSpec: { id: 'c604ff05-7f1a-43c0-8e18-33bf874cb11c', version: '1.0' },
      data: { format: 'parquet_xdm', schema: { id: schema.$id, version: 'application/vnd.adobe.xed-full+json;version=1' } },
      params: { dataSetId: dataset[0]!.replace('@/dataSets/', '') },
    })) as { id: string };
    const mappingSet = (await call('POST', '/data/foundation/conversion/mappingSets', {
      outputSchema: { schemaRef: { id: schema.$id, contentType: 'application/vnd.adobe.xed-full+json;version=1' } },
      mappings: ['id', 'object', 'created'].map((field) => ({ sourceType: 'ATTRIBUTE', source: `data.${field}`, destination: `_flowgatelocal.${field}` })),
    })) as { id: string };
    const flow = (await call('POST', `${FLOW}/flows`, {
      name: resource,
      flowSpec: { id: '6499120c-0b15-42dc-936e-847ea3c24d72', version: '1.0' },
      sourceConnectionIds: [source.id],
      targetConnectionIds: [target.id],
      transformations: [{ name: 'Mapping', params: { mappingId: mappingSet.id, mappingVersion: 0 } }],
      scheduleParams: { startTime: NOW + 60, frequency: 'hour', interval: 1 },
    })) as { id: string };
    flowIds.push(flow.id);
  }
  return flowIds;
}

async function benchInsert(databaseUrl: string): Promise<Timing> {
  const client = new Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    await client.query('CREATE TABLE bench_baseline (id serial PRIMARY KEY, value text NOT NULL)');
    const times: number[] = [];
    for (let i = 0; i < WRITES; i++) {
      const started = performance.now();
      await client.query('INSERT INTO bench_baseline (value) VALUES ($1)', [`row ${i}`]);
      times.push(performance.now() - started);
    }
    return percentiles(times);
  } finally {
    await client.end();
  }
}

function percentiles(times: number[]): Timing {
  const sorted = [...times].sort((a, b) => a - b);
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
  return { p50: at(0.5), p99: at(0.99) };
}

function withDatabase(url: string, database: string): string {
  const u = new URL(url);
  u.pathname = `/${database}`;
  return u.toString();
}

void main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
