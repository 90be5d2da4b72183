import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it, type TestContext } from 'node:test';
import type { Client as WsClient } from 'graphql-ws';
import { Client } from 'pg';
import { STRIPE_KEY } from './support/platform-reads.js';
import { PrivatePostgres } from './support/private-postgres.js';
import { PG_ADMIN_URL, TestStack, uniqueName } from './support/stack.js';

/**
 * Regression: "a PostgreSQL outage answers HTTP 200 with INTERNAL_SERVER_ERROR". Measured before
 * the fix: with the gateway's database backends terminated for 3 s under 20 querying clients,
 * 79–114 answers were HTTP 200 carrying `extensions.code: INTERNAL_SERVER_ERROR` — a client cannot
 * tell "try again" from "bug". A request that fails because the database is unreachable must be
 * answered 503 with Retry-After and code UNAVAILABLE (retryable), and the gateway must recover by
 * itself with no mutation lost or doubled.
 */

const CLIENTS = 20;
/** Besides the HTTP clients: WebSocket clients running the same queries (no status there; the same code). */
const WS_CLIENTS = 2;
/** Of the clients, these send mutations (retrying a 503 with the same idempotency key, as a careful client does). */
const MUTATING_CLIENTS = 4;
const OUTAGE_MS = 3000;
/** No request may hang past this (REQUEST_TIMEOUT_SECONDS of the stacks here), whatever the database does. */
const REQUEST_TIMEOUT_SECONDS = 5;

const QUERIES = [`{ connections(first: 5) { totalCount edges { node { id name state } } } }`, `{ operations(first: 5) { totalCount edges { node { id status type } } } }`];
const CREATE = `mutation($input: CreateConnectionInput!) { createConnection(input: $input) { id status resourceId } }`;

/** One HTTP answer, as the client saw it. */
interface Answer {
  /** How long the client waited for it. */
  ms: number;
  status: number;
  retryAfter: string | null;
  body: { data?: any; errors?: { message: string; extensions?: Record<string, any> }[] } | null;
}

type Verdict = 'ok' | 'unavailable' | 'bad';

/** A normal answer, a proper "try again", or anything else (what this test forbids). */
function judge(answer: Answer): Verdict {
  const errors = answer.body?.errors ?? [];
  if (answer.status === 200 && errors.length === 0 && answer.body?.data) return 'ok';
  if (
    answer.status === 503 &&
    answer.retryAfter !== null &&
    /^\d+$/.test(answer.retryAfter) &&
    errors.length > 0 &&
    errors.every((e) => e.extensions?.code === 'UNAVAILABLE' && e.extensions?.retryable === true && typeof e.extensions?.requestId === 'string')
  ) {
    return 'unavailable';
  }
  return 'bad';
}

/** A query over graphql-ws: its result, or what ended the socket. */
function wsQuery(client: WsClient, query: string): Promise<{ data?: any; errors?: readonly { message: string; extensions?: Record<string, any> }[] } | { closed: unknown }> {
  return new Promise((resolve) => {
    let result: { data?: any; errors?: any } = {};
    client.subscribe({ query }, { next: (value) => (result = value), error: (error) => resolve({ closed: error }), complete: () => resolve(result) });
  });
}

/** Over WebSocket: a normal result, an UNAVAILABLE "try again", or anything else. */
function judgeWs(result: Awaited<ReturnType<typeof wsQuery>>): Verdict {
  if ('closed' in result) return 'bad';
  const errors = result.errors ?? [];
  if (errors.length === 0 && result.data) return 'ok';
  if (errors.length > 0 && errors.every((e) => e.extensions?.code === 'UNAVAILABLE' && e.extensions?.retryable === true)) return 'unavailable';
  return 'bad';
}

/**
 * Runs 20 HTTP clients (4 of them mutating, retrying a 503 with the same idempotency key) and 2
 * WebSocket clients against the stack while `disrupt` takes the database away, then checks what a
 * user would: every answer was normal or a proper 503, none hung past the request timeout, the
 * gateway serves again without a restart, each acknowledged mutation exists once and finishes,
 * and the audit chain verifies.
 */
async function holdsThroughOutage(stack: TestStack, t: TestContext, disrupt: () => Promise<string>): Promise<void> {
  const post = async (query: string, variables: Record<string, unknown> = {}): Promise<Answer> => {
    const started = Date.now();
    const response = await fetch(stack.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${stack.adminKey}` },
      body: JSON.stringify({ query, variables }),
    });
    const text = await response.text();
    let body: Answer['body'] = null;
    try {
      body = JSON.parse(text);
    } catch {
      body = null;
    }
    return { ms: Date.now() - started, status: response.status, retryAfter: response.headers.get('retry-after'), body };
  };

  // Something to list, and the admin key's authentication cached as in a running system.
  await stack.data(CREATE, { input: { name: uniqueName('outage seed'), accessToken: STRIPE_KEY } });

  const tally: Record<Verdict, number> = { ok: 0, unavailable: 0, bad: 0 };
  const bad: Answer[] = [];
  let slowest = 0;
  const record = (answer: Answer): Verdict => {
    const verdict = judge(answer);
    tally[verdict]++;
    slowest = Math.max(slowest, answer.ms);
    if (verdict === 'bad' && bad.length < 5) bad.push(answer);
    return verdict;
  };
  /** Idempotency key → the operation ids its acknowledged answers named (one id, however often it was retried). */
  const acknowledged = new Map<string, Set<string>>();
  let stop = false;

  const queryClient = async (n: number) => {
    for (let i = n; !stop; i++) record(await post(QUERIES[i % QUERIES.length]!));
  };
  const mutationClient = async () => {
    while (!stop) {
      const key = randomUUID();
      const input = { name: uniqueName('outage'), accessToken: STRIPE_KEY, idempotencyKey: key };
      // A careful client: a 503 is retried with the same key until the mutation is acknowledged.
      for (let attempt = 0; attempt < 50; attempt++) {
        const answer = await post(CREATE, { input });
        const verdict = record(answer);
        if (verdict === 'ok') {
          const ids = acknowledged.get(key) ?? new Set<string>();
          ids.add(answer.body!.data.createConnection.id);
          acknowledged.set(key, ids);
          break;
        }
        if (verdict === 'bad') break;
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    }
  };

  const wsTally: Record<Verdict, number> = { ok: 0, unavailable: 0, bad: 0 };
  const wsBad: unknown[] = [];
  const wsClient = async (n: number) => {
    const client = stack.wsClient();
    for (let i = n; !stop; i++) {
      const result = await wsQuery(client, QUERIES[i % QUERIES.length]!);
      const verdict = judgeWs(result);
      wsTally[verdict]++;
      if (verdict === 'bad' && wsBad.length < 5) wsBad.push(result);
    }
  };

  const clients = [...Array.from({ length: CLIENTS }, (_, n) => (n < MUTATING_CLIENTS ? mutationClient() : queryClient(n))), ...Array.from({ length: WS_CLIENTS }, (_, n) => wsClient(n))];
  await new Promise((resolve) => setTimeout(resolve, 300));
  const what = await disrupt();
  // Traffic goes on a little after the outage: the first requests after it must be served normally.
  await new Promise((resolve) => setTimeout(resolve, 1000));
  stop = true;
  await Promise.all(clients);
  t.diagnostic(
    `${what}; HTTP answers: ${tally.ok} ok, ${tally.unavailable} 503 UNAVAILABLE, ${tally.bad} other, slowest ${slowest} ms; WebSocket: ${wsTally.ok} ok, ${wsTally.unavailable} UNAVAILABLE, ${wsTally.bad} other`,
  );

  assert.deepEqual(bad, [], 'every answer is a normal 200 or a 503 UNAVAILABLE with Retry-After');
  assert.equal(tally.bad, 0);
  assert.ok(tally.unavailable > 0, 'the outage was noticed (some 503s)');
  assert.ok(tally.ok > 0);
  assert.ok(slowest < REQUEST_TIMEOUT_SECONDS * 1000 + 1000, `an answer took ${slowest} ms, past the request timeout`);
  assert.deepEqual(wsBad, [], 'over WebSocket every result is normal or UNAVAILABLE');
  assert.ok(wsTally.ok > 0);

  // Everything works again, without a restart.
  for (const query of QUERIES) {
    const answer = await post(query);
    assert.equal(judge(answer), 'ok', JSON.stringify(answer));
  }
  const after = await post(CREATE, { input: { name: uniqueName('after outage'), accessToken: STRIPE_KEY } });
  assert.equal(judge(after), 'ok', JSON.stringify(after));
  await stack.waitForOperation(after.body!.data.createConnection.id);

  // No mutation lost or doubled: each acknowledged key names one operation, which exists once and finishes.
  assert.ok(acknowledged.size > 0, 'some mutations were acknowledged');
  for (const [key, ids] of acknowledged) {
    assert.equal(ids.size, 1, `idempotency key ${key} answered with ${[...ids].join(', ')}`);
    const rows = await stack.sql<{ id: string }>('SELECT id FROM operations WHERE idempotency_key = $1', [key]);
    assert.equal(rows.length, 1, `idempotency key ${key} recorded ${rows.length} operations`);
  }
  const resourceIds = new Set<string>();
  for (const ids of acknowledged.values()) {
    const done = await stack.waitForOperation([...ids][0]!, 60_000);
    assert.equal(done.status, 'SUCCEEDED', JSON.stringify(done.error));
    resourceIds.add(done.resourceId);
  }
  // Each acknowledged create made one connection, bound to a Platform resource of its own.
  const platformIds = await stack.sql<{ platform_id: string }>('SELECT platform_id FROM resources WHERE id = ANY($1::uuid[])', [[...resourceIds]]);
  assert.equal(new Set(platformIds.map((r) => r.platform_id)).size, acknowledged.size);

  // The audit trail written through the outage is intact.
  const { verifyAuditChain } = await stack.data('{ verifyAuditChain { ok checkedEvents reason } }');
  assert.equal(verifyAuditChain.ok, true, verifyAuditChain.reason);
  assert.ok(verifyAuditChain.checkedEvents > acknowledged.size);
}

describe('when PostgreSQL drops every connection of the gateway and the worker for a few seconds (pg_terminate_backend)', () => {
  let stack: TestStack;
  before(async () => {
    stack = await TestStack.start({ env: { REQUEST_TIMEOUT_SECONDS: String(REQUEST_TIMEOUT_SECONDS) } });
  });
  after(() => stack?.stop());

  /** Terminates every backend of the stack's database, again and again, for `ms`. */
  const terminateBackendsFor = async (ms: number): Promise<number> => {
    const admin = new Client({ connectionString: PG_ADMIN_URL });
    await admin.connect();
    let terminated = 0;
    try {
      const until = Date.now() + ms;
      while (Date.now() < until) {
        const { rows } = await admin.query<{ ok: boolean }>('SELECT pg_terminate_backend(pid) AS ok FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()', [stack.databaseName]);
        terminated += rows.filter((r) => r.ok).length;
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    } finally {
      await admin.end();
    }
    return terminated;
  };

  it('answers 503 UNAVAILABLE with Retry-After (never 200 with INTERNAL_SERVER_ERROR, never 500, never past the request timeout), recovers without a restart, loses or doubles no mutation, and the audit chain verifies', async (t: TestContext) => {
    await holdsThroughOutage(stack, t, async () => `${await terminateBackendsFor(OUTAGE_MS)} backends terminated`);
  });
});

describe('when the PostgreSQL server restarts under load (a private server, killed and started again)', () => {
  let postgres: PrivatePostgres;
  let stack: TestStack;
  before(async () => {
    postgres = await PrivatePostgres.start();
    stack = await TestStack.start({ pgAdminUrl: postgres.adminUrl, env: { REQUEST_TIMEOUT_SECONDS: String(REQUEST_TIMEOUT_SECONDS) } });
  });
  after(async () => {
    await stack?.stop();
    await postgres?.stop();
  });

  it('answers 503 UNAVAILABLE while the server is down, recovers without a restart, loses or doubles no mutation, and the audit chain verifies', async (t: TestContext) => {
    await holdsThroughOutage(stack, t, async () => {
      const started = Date.now();
      await postgres.restart(OUTAGE_MS);
      return `server killed (pg_ctl stop -m immediate) and back after ${Date.now() - started} ms`;
    });
  });
});
