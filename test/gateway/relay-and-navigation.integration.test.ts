import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createConnection } from './support/platform-reads.js';
import { TestStack, uniqueName } from './support/stack.js';

/**
 * What Relay and a normalized client cache need: `node(id:)` across every kind of object (under
 * sandbox scope and roles), full PageInfo with `last`/`before`, navigation from a resource to its
 * audit trail, operations and onboarding; plus the enums a frontend switches on, and unknown
 * sandboxes refused before anything is written.
 */

const PAGE = 'totalCount pageInfo { hasNextPage hasPreviousPage startCursor endCursor } edges { cursor node { id name } }';

describe('Relay, enums and navigation', () => {
  let stack: TestStack;
  const connections: { id: string; operationId: string }[] = [];

  before(async () => {
    stack = await TestStack.start();
    // Five connections, oldest first; lists show them newest first.
    for (let i = 0; i < 5; i++) connections.push(await createConnection(stack, uniqueName(`relay ${i}`)));
  });
  after(() => stack.stop());

  describe('node(id:) and nodes(ids:)', () => {
    it('finds a resource, an operation and an audit event by id alone, with their concrete types', async () => {
      const [connection] = connections;
      const { auditEvents } = await stack.data('query($id: ID!) { auditEvents(first: 1, filter: { resourceId: $id }) { edges { node { id } } } }', { id: connection!.id });
      const eventId = auditEvents.edges[0].node.id;
      const { nodes } = await stack.data('query($ids: [ID!]!) { nodes(ids: $ids) { __typename id ... on Connection { name state } ... on Operation { status } ... on AuditEvent { action } } }', {
        ids: [connection!.id, connection!.operationId, eventId, '00000000-0000-4000-8000-000000000000', 'not-a-uuid'],
      });
      assert.deepEqual(
        nodes.map((n: { __typename: string } | null) => n?.__typename ?? null),
        ['Connection', 'Operation', 'AuditEvent', null, null],
      );
      assert.equal(nodes[0].state, 'ENABLED');
      assert.equal(nodes[1].status, 'SUCCEEDED');
      assert.equal(nodes[2].action, 'CREATED');
    });

    it('is null for another sandbox’s id, and for a kind the role may not read', async () => {
      const id = connections[0]!.id;
      const inDev = await stack.data('query($id: ID!) { node(id: $id) { id } }', { id }, { 'x-sandbox-name': 'dev' });
      assert.equal(inDev.node, null);
      const auditor = await stack.createKey('relay-auditor', 'auditor');
      const asAuditor = await stack.gql('query($id: ID!) { node(id: $id) { id } }', { id }, stack.auth(auditor));
      assert.equal(asAuditor.errors, undefined);
      assert.equal(asAuditor.data.node, null);
      const viewer = await stack.createKey('relay-viewer', 'viewer');
      const { apiKeys } = await stack.data('{ apiKeys { id } }');
      const keyAsViewer = await stack.data('query($id: ID!) { node(id: $id) { id } }', { id: apiKeys[0].id }, stack.auth(viewer));
      assert.equal(keyAsViewer.node, null, 'API keys are for admins');
      const keyAsAdmin = await stack.data('query($id: ID!) { node(id: $id) { __typename } }', { id: apiKeys[0].id });
      assert.equal(keyAsAdmin.node.__typename, 'ApiKey');
    });

    it('counts every id of nodes(ids:) in the query cost', async () => {
      const ids = Array.from({ length: 100 }, () => connections[0]!.id);
      const selection = '... on Dataflow { auditEvents(first: 100) { totalCount } }';
      const result = await stack.gql(`query($ids: [ID!]!) { nodes(ids: $ids) { id ${selection} } }`, { ids });
      assert.equal(result.errors?.[0]?.extensions?.code, 'QUERY_TOO_COMPLEX');
      assert.equal(result.errors?.[0]?.extensions?.limit, 'GRAPHQL_MAX_COST');
    });

    it('refuses more than 100 ids, naming the argument', async () => {
      const result = await stack.gql('query($ids: [ID!]!) { nodes(ids: $ids) { id } }', { ids: Array.from({ length: 101 }, () => connections[0]!.id) });
      assert.equal(result.errors?.[0]?.extensions?.code, 'BAD_USER_INPUT');
      assert.equal(result.errors?.[0]?.extensions?.field, 'ids');
    });
  });

  describe('pagination', () => {
    it('pages forward with first/after and back with last/before over the same items', async () => {
      const all = (await stack.data(`{ connections(first: 100) { ${PAGE} } }`)).connections;
      const ids = all.edges.map((e: { node: { id: string } }) => e.node.id);
      assert.deepEqual(
        ids,
        [...connections].reverse().map((c) => c.id),
      );
      assert.deepEqual(all.pageInfo, { hasNextPage: false, hasPreviousPage: false, startCursor: all.edges[0].cursor, endCursor: all.edges[4].cursor });

      const first = (await stack.data(`{ connections(first: 2) { ${PAGE} } }`)).connections;
      assert.deepEqual(first.pageInfo, { hasNextPage: true, hasPreviousPage: false, startCursor: first.edges[0].cursor, endCursor: first.edges[1].cursor });
      const second = (await stack.data(`query($after: String) { connections(first: 2, after: $after) { ${PAGE} } }`, { after: first.pageInfo.endCursor })).connections;
      assert.deepEqual(
        second.edges.map((e: { node: { id: string } }) => e.node.id),
        ids.slice(2, 4),
      );
      assert.equal(second.pageInfo.hasPreviousPage, true);
      assert.equal(second.pageInfo.hasNextPage, true);

      const back = (await stack.data(`query($before: String) { connections(last: 2, before: $before) { ${PAGE} } }`, { before: second.pageInfo.startCursor })).connections;
      assert.deepEqual(
        back.edges.map((e: { node: { id: string } }) => e.node.id),
        ids.slice(0, 2),
      );
      assert.equal(back.pageInfo.hasPreviousPage, false);
      assert.equal(back.pageInfo.hasNextPage, true);

      const oldest = (await stack.data(`{ connections(last: 2) { ${PAGE} } }`)).connections;
      assert.deepEqual(
        oldest.edges.map((e: { node: { id: string } }) => e.node.id),
        ids.slice(3),
      );
      assert.deepEqual(oldest.pageInfo, { hasNextPage: false, hasPreviousPage: true, startCursor: oldest.edges[0].cursor, endCursor: oldest.edges[1].cursor });
      assert.equal(oldest.totalCount, 5);
    });

    it('counts every match in totalCount on every page, also one with no rows past the end or before the start', async () => {
      const all = (await stack.data(`{ connections(first: 100) { ${PAGE} } }`)).connections;
      const middle = (await stack.data(`query($after: String) { connections(first: 2, after: $after) { ${PAGE} } }`, { after: all.edges[1].cursor })).connections;
      assert.equal(middle.edges.length, 2);
      assert.equal(middle.totalCount, 5);
      const pastEnd = (await stack.data(`query($after: String) { connections(first: 2, after: $after) { ${PAGE} } }`, { after: all.pageInfo.endCursor })).connections;
      assert.deepEqual(pastEnd.edges, []);
      assert.equal(pastEnd.totalCount, 5);
      const beforeStart = (await stack.data(`query($before: String) { connections(last: 2, before: $before) { ${PAGE} } }`, { before: all.pageInfo.startCursor })).connections;
      assert.deepEqual(beforeStart.edges, []);
      assert.equal(beforeStart.totalCount, 5);
      const none = (await stack.data(`{ connections(first: 2, filter: { state: DELETED }) { ${PAGE} } }`)).connections;
      assert.deepEqual(none.edges, []);
      assert.equal(none.totalCount, 0);
    });

    it('pages the audit trail and operations backward too', async () => {
      const events = (await stack.data('{ auditEvents(last: 2) { totalCount pageInfo { hasPreviousPage hasNextPage } edges { node { id } } } }')).auditEvents;
      assert.equal(events.edges.length, 2);
      assert.equal(events.pageInfo.hasPreviousPage, true);
      const operations = (await stack.data('{ operations(last: 1) { pageInfo { hasPreviousPage } edges { node { id } } } }')).operations;
      assert.equal(operations.edges[0].node.id, connections[0]!.operationId, 'the oldest operation ends the list');
      assert.equal(operations.pageInfo.hasPreviousPage, true);
    });

    it('refuses first and last together, and a last outside 1..100, naming the argument', async () => {
      const both = await stack.gql('{ connections(first: 2, last: 2) { totalCount } }');
      assert.equal(both.errors?.[0]?.extensions?.field, 'last');
      const big = await stack.gql('{ connections(last: 101) { totalCount } }');
      assert.equal(big.errors?.[0]?.extensions?.code, 'BAD_USER_INPUT');
      assert.equal(big.errors?.[0]?.extensions?.field, 'last');
    });
  });

  describe('navigation from a resource', () => {
    it('reaches its audit trail and its operations; a resource made on its own has no onboarding', async () => {
      const { connection } = await stack.data(
        'query($id: ID!) { connection(id: $id) { auditEvents(first: 5) { totalCount edges { node { action resourceId } } } operations { totalCount edges { node { id type status } } } onboarding { id } } }',
        { id: connections[1]!.id },
      );
      assert.deepEqual(
        connection.auditEvents.edges.map((e: { node: { action: string; resourceId: string } }) => [e.node.action, e.node.resourceId]),
        [['CREATED', connections[1]!.id]],
      );
      assert.deepEqual(connection.operations.edges[0].node, { id: connections[1]!.operationId, type: 'CREATE_CONNECTION', status: 'SUCCEEDED' });
      assert.equal(connection.onboarding, null);
    });
  });

  describe('enums', () => {
    it('filters the audit trail by an AuditAction; an unknown value is BAD_USER_INPUT naming the field, literal or variable', async () => {
      const created = await stack.data('{ auditEvents(filter: { action: CREATED, resourceType: CONNECTION }) { totalCount } }');
      assert.equal(created.auditEvents.totalCount, 5);
      const literal = await stack.gql('{ auditEvents(filter: { action: "updated" }) { totalCount } }');
      assert.equal(literal.errors?.[0]?.extensions?.code, 'BAD_USER_INPUT');
      assert.equal(literal.errors?.[0]?.extensions?.field, 'filter.action');
      assert.doesNotMatch(literal.errors?.[0]?.message ?? '', /updated/, 'the value is not echoed');
      const variable = await stack.gql('query($f: AuditEventFilter) { auditEvents(filter: $f) { totalCount } }', { f: { action: 'updated' } });
      assert.equal(variable.errors?.[0]?.extensions?.code, 'BAD_USER_INPUT');
      assert.equal(variable.errors?.[0]?.extensions?.field, 'f.action');
    });
  });

  describe('sandboxes', () => {
    it('answers an unknown x-sandbox-name with 400 BAD_REQUEST naming it, and writes nothing', async () => {
      const before = await stack.sqlRow<{ n: number }>('SELECT count(*)::int AS n FROM operations');
      const response = await fetch(stack.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${stack.adminKey}`, 'x-sandbox-name': 'prdo' },
        body: JSON.stringify({ query: 'mutation { createConnection(input: { name: "typo", accessToken: "sk_test_51TypoSandbox0001" }) { id } }' }),
      });
      assert.equal(response.status, 400);
      const body = (await response.json()) as { errors: { message: string; extensions: Record<string, unknown> }[] };
      assert.equal(body.errors[0]!.extensions['code'], 'BAD_REQUEST');
      assert.equal(body.errors[0]!.extensions['sandbox'], 'prdo');
      assert.match(body.errors[0]!.message, /prdo/);
      assert.deepEqual(await stack.sqlRow('SELECT count(*)::int AS n FROM operations'), before);
    });

    it('closes a WebSocket asking for an unknown sandbox with 4400 (final, like a bad credential)', async () => {
      const client = stack.wsClient({ sandbox: 'prdo' });
      const error = await new Promise<unknown>((resolve) => {
        client.subscribe({ query: '{ whoami { id } }' }, { next: () => undefined, error: resolve, complete: () => resolve(null) });
      });
      assert.equal((error as { code?: number }).code, 4400);
    });
  });
});
