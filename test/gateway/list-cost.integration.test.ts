import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type pg from 'pg';
import { TestStack } from './support/stack.js';

/**
 * Regression (issue 11): a list's first page cost more the longer the table. `connections(first:
 * 20) { edges { node { id name state etag createdAt } } }` — no `totalCount` — served ≈ 715
 * reads/s with 1,100 connections in the table and ≈ 476 with 3,100: every page also counted every
 * match, selected or not. A page must read its rows and one more from an index, whatever the
 * table holds; only a selected `totalCount` reads every match.
 *
 * Observed in PostgreSQL: the statements the gateway sends for one request are recorded at its
 * pool and run again under EXPLAIN ANALYZE, which says how many rows each scan read.
 */

const CONNECTIONS = 3000;
const DATAFLOWS = 5;

interface PlanNode {
  'Node Type': string;
  'Relation Name'?: string;
  'Actual Rows': number;
  'Actual Loops': number;
  Plans?: PlanNode[];
}

/** What the statements on `resources` of one request read: rows returned by their scans, and the scans' kinds. */
interface ResourceReads {
  statements: number;
  rowsRead: number;
  scans: string[];
}

describe('a list page on a large table', () => {
  let stack: TestStack;

  before(async () => {
    stack = await TestStack.start({ roles: { gateway: true, worker: false } });
    // Connections a second apart (distinct created_at, as rows made one by one are), a few dataflows.
    await stack.sql(
      `INSERT INTO resources (id, type, sandbox, name, state, created_at, updated_at)
       SELECT gen_random_uuid(), 'CONNECTION', 'prod', 'connection ' || i, 'ENABLED', now() - i * interval '1 second', now() FROM generate_series(1, $1::int) i`,
      [CONNECTIONS],
    );
    await stack.sql(
      `INSERT INTO resources (id, type, sandbox, name, state, spec, stripe_resource, source_connection_id, target_connection_id, mapping_id, created_at, updated_at)
       SELECT gen_random_uuid(), 'DATAFLOW', 'prod', 'dataflow ' || i, 'ENABLED', $2::jsonb, 'charges', gen_random_uuid(), gen_random_uuid(), gen_random_uuid(), now() - i * interval '1 second', now()
       FROM generate_series(1, $1::int) i`,
      [DATAFLOWS, JSON.stringify({ schedule: { frequency: 'hour', interval: 1, startTime: 1_900_000_000, backfill: true }, mappingVersion: 0 })],
    );
    // What autovacuum does to a table that grew: the planner sees its size.
    await stack.sql('ANALYZE resources');
  });
  after(() => stack.stop());

  /** Runs `query` through the gateway and measures the reads of the statements it sent about `resources`. */
  async function readsOf(query: string, variables: Record<string, unknown> = {}): Promise<{ data: any; reads: ResourceReads }> {
    const pool = stack.process.deps.store.pool;
    const sent: { text: string; values: unknown[] }[] = [];
    const query0 = pool.query.bind(pool) as (...args: unknown[]) => unknown;
    // The pool's own query, recording what it is asked to run: the statements are the gateway's, unchanged.
    pool.query = ((config: string | pg.QueryConfig, values?: unknown[]) => {
      const text = typeof config === 'string' ? config : config.text;
      if (/\bresources\b/.test(text)) sent.push({ text, values: (typeof config === 'string' ? values : config.values) ?? [] });
      return query0(config, values);
    }) as typeof pool.query;
    let data: any;
    try {
      data = await stack.data(query, variables);
    } finally {
      pool.query = query0 as typeof pool.query;
    }
    const reads: ResourceReads = { statements: sent.length, rowsRead: 0, scans: [] };
    for (const statement of sent) {
      const { 'QUERY PLAN': plans } = await stack.sqlRow<{ 'QUERY PLAN': { Plan: PlanNode }[] }>(`EXPLAIN (ANALYZE, FORMAT JSON) ${statement.text}`, statement.values);
      const visit = (node: PlanNode) => {
        if (node['Relation Name'] === 'resources') {
          reads.rowsRead += node['Actual Rows'] * node['Actual Loops'];
          reads.scans.push(node['Node Type']);
        }
        node.Plans?.forEach(visit);
      };
      visit(plans[0]!.Plan);
    }
    return { data, reads };
  }

  const PAGE = `edges { cursor node { id name state etag createdAt } } pageInfo { hasNextPage hasPreviousPage endCursor startCursor }`;

  it(`reads the first page's rows and one more, not the ${CONNECTIONS} connections, when totalCount is not selected`, async () => {
    const { data, reads } = await readsOf(`{ connections(first: 20) { ${PAGE} } }`);
    assert.equal(data.connections.edges.length, 20);
    assert.equal(data.connections.edges[0].node.name, 'connection 1', 'newest first');
    assert.equal(data.connections.pageInfo.hasNextPage, true);
    assert.ok(reads.statements >= 1, 'the page was read from PostgreSQL');
    assert.ok(reads.rowsRead <= 2 * 21, `rows read: ${reads.rowsRead} (${reads.scans.join(', ')})`);
    assert.ok(!reads.scans.includes('Seq Scan'), `an index, not the whole table: ${reads.scans.join(', ')}`);
  });

  it('reads a later page and a page backwards by index too', async () => {
    const first = await readsOf(`{ connections(first: 20) { ${PAGE} } }`);
    const { data: next, reads } = await readsOf(`query($after: String) { connections(first: 20, after: $after) { ${PAGE} } }`, { after: first.data.connections.pageInfo.endCursor });
    assert.equal(next.connections.edges[0].node.name, 'connection 21');
    assert.equal(next.connections.pageInfo.hasPreviousPage, true);
    assert.ok(reads.rowsRead <= 2 * 21 + 1, `rows read after a cursor: ${reads.rowsRead} (${reads.scans.join(', ')})`);
    const { data: back, reads: backReads } = await readsOf(`query($before: String) { connections(last: 20, before: $before) { ${PAGE} } }`, {
      before: next.connections.pageInfo.startCursor,
    });
    assert.deepEqual(
      back.connections.edges.map((e: any) => e.node.name),
      first.data.connections.edges.map((e: any) => e.node.name),
    );
    assert.ok(backReads.rowsRead <= 2 * 21 + 1, `rows read backwards: ${backReads.rowsRead} (${backReads.scans.join(', ')})`);
  });

  it('counts every match when totalCount is selected, and gives the exact number', async () => {
    const { data, reads } = await readsOf(`{ connections(first: 20) { totalCount ${PAGE} } }`);
    assert.equal(data.connections.totalCount, CONNECTIONS);
    // The measure above sees a count: were the page to count again, its tests would fail.
    assert.ok(reads.rowsRead >= CONNECTIONS, `a count reads the matches: ${reads.rowsRead}`);
  });

  it(`counts a dataflows page's totalCount over the dataflows only, not the table's ${CONNECTIONS} connections`, async () => {
    const { data, reads } = await readsOf(`{ dataflows(first: 50) { totalCount edges { node { id name schedule { frequency } } } } }`);
    assert.equal(data.dataflows.totalCount, DATAFLOWS);
    assert.equal(data.dataflows.edges.length, DATAFLOWS);
    assert.ok(reads.rowsRead <= 2 * (DATAFLOWS + 1), `rows read: ${reads.rowsRead} (${reads.scans.join(', ')})`);
  });
});
