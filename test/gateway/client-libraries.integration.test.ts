import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ApolloClient, ApolloLink, CombinedGraphQLErrors, HttpLink, InMemoryCache, gql } from '@apollo/client';
import { GraphQLWsLink } from '@apollo/client/link/subscriptions';
import { getMainDefinition, relayStylePagination } from '@apollo/client/utilities';
import { Client as UrqlClient, cacheExchange, fetchExchange, subscriptionExchange, type CombinedError } from '@urql/core';
import { createClient as createWsClient, type Client as WsClient } from 'graphql-ws';
import { Kind, OperationTypeNode } from 'graphql';
import WebSocket from 'ws';
import { createConnection } from './support/platform-reads.js';
import { TestStack, uniqueName } from './support/stack.js';

/**
 * The common clients, as a frontend team sets them up, against a running gateway: Apollo Client 4
 * (HTTP + graphql-ws split link, relayStylePagination), urql with its defaults (GET queries) and
 * graphql-request (with graphql-ws for subscriptions). Each runs a query, pages a list forward and
 * backward, runs a mutation and follows it over a subscription, and reads Flowgate's error codes
 * for the refusals made before GraphQL runs.
 */

const WHOAMI = 'query Whoami { whoami { id role sandbox } }';
const CONNECTIONS =
  'query Connections($first: Int, $after: String, $last: Int, $before: String) { connections(first: $first, after: $after, last: $last, before: $before) { totalCount pageInfo { hasNextPage hasPreviousPage startCursor endCursor } edges { cursor node { id name } } } }';
const CREATE = 'mutation Create($input: CreateConnectionInput!) { createConnection(input: $input) { id status resourceId } }';
const WATCH = 'subscription Watch($id: ID!) { operationUpdated(id: $id) { id status } }';
const RETRY = 'mutation Retry($id: ID!) { retryOperation(id: $id) { id } }';
const NO_OPERATION = '00000000-0000-4000-8000-000000000000';
const STRIPE_KEY = 'sk_test_51ClientLibraries0001';

interface Refusals {
  unauthenticated: string | undefined;
  forbiddenSandbox: string | undefined;
  tooLarge: string | undefined;
  rateLimited: string | undefined;
}
const EXPECTED_REFUSALS: Refusals = { unauthenticated: 'UNAUTHENTICATED', forbiddenSandbox: 'FORBIDDEN', tooLarge: 'PAYLOAD_TOO_LARGE', rateLimited: 'RATE_LIMITED' };

describe('client libraries against Flowgate', () => {
  let stack: TestStack;
  const wsClients: WsClient[] = [];
  /** The connections now, newest first (each test's mutation adds one). */
  const listed = async (): Promise<string[]> =>
    (await stack.data<{ connections: { edges: { node: { id: string } }[] } }>('{ connections(first: 100) { edges { node { id } } } }')).connections.edges.map((e) => e.node.id);

  before(async () => {
    stack = await TestStack.start({ env: { GRAPHQL_MAX_REQUEST_BYTES: '20000', RATE_LIMIT_MUTATIONS_PER_MINUTE: '6' } });
    for (let i = 0; i < 5; i++) await createConnection(stack, uniqueName(`client ${i}`));
  });
  after(async () => {
    for (const client of wsClients) await client.dispose();
    await stack.stop();
  });

  const ws = (key: string): WsClient => {
    const client = createWsClient({ url: stack.wsUrl, webSocketImpl: WebSocket, connectionParams: { authorization: `Bearer ${key}` } });
    wsClients.push(client);
    return client;
  };
  const keyFor = (name: string, options: { sandboxes?: string[] } = {}) => stack.createKey(`${name}-${Math.random().toString(36).slice(2, 8)}`, 'operator', options);
  const bigInput = { name: 'x', accessToken: STRIPE_KEY, description: 'd'.repeat(30_000) };

  describe('Apollo Client 4', () => {
    const apollo = (key: string, headers: Record<string, string> = {}) => {
      const http = new HttpLink({ uri: stack.url, headers: { authorization: `Bearer ${key}`, ...headers } });
      const link = ApolloLink.split(
        ({ query }) => {
          const definition = getMainDefinition(query);
          return definition.kind === Kind.OPERATION_DEFINITION && definition.operation === OperationTypeNode.SUBSCRIPTION;
        },
        new GraphQLWsLink(ws(key)),
        http,
      );
      return new ApolloClient({ link, cache: new InMemoryCache({ typePolicies: { Query: { fields: { connections: relayStylePagination() } } } }) });
    };
    const codeOf = async (run: () => Promise<unknown>): Promise<string | undefined> => {
      try {
        await run();
        return undefined;
      } catch (error) {
        assert.ok(CombinedGraphQLErrors.is(error), `a GraphQL error, not ${String(error)}`);
        return error.errors[0]?.extensions?.['code'] as string | undefined;
      }
    };

    it('queries, pages forward and backward with fetchMore, mutates and follows the operation over graphql-ws', async () => {
      const key = await keyFor('apollo');
      const client = apollo(key);
      const ids = await listed();
      const { data: who } = await client.query<{ whoami: { role: string } }>({ query: gql(WHOAMI) });
      assert.equal(who?.whoami.role, 'OPERATOR');

      type Page = { connections: { edges: { node: { id: string } }[]; pageInfo: { endCursor: string; startCursor: string; hasPreviousPage: boolean } } };
      const forward = client.watchQuery<Page>({ query: gql(CONNECTIONS), variables: { first: 2 } });
      const firstPage = await new Promise<Page>((resolve, reject) => {
        const sub = forward.subscribe({
          next: (r) => {
            if (r.dataState !== 'complete') return;
            sub.unsubscribe();
            resolve(r.data);
          },
          error: reject,
        });
      });
      await forward.fetchMore({ variables: { after: firstPage.connections.pageInfo.endCursor } });
      const merged = forward.getCurrentResult().data as Page;
      assert.deepEqual(
        merged.connections.edges.map((e) => e.node.id),
        ids.slice(0, 4),
      );

      const backward = (await client.query<Page>({ query: gql(CONNECTIONS), variables: { last: 2 }, fetchPolicy: 'network-only' })).data as Page;
      assert.deepEqual(
        backward.connections.edges.map((e) => e.node.id),
        ids.slice(-2),
      );
      assert.equal(backward.connections.pageInfo.hasPreviousPage, true);

      const { data: created } = await client.mutate<{ createConnection: { id: string } }>({ mutation: gql(CREATE), variables: { input: { name: uniqueName('apollo'), accessToken: STRIPE_KEY } } });
      const statuses = await new Promise<string[]>((resolve, reject) => {
        const seen: string[] = [];
        const sub = client.subscribe<{ operationUpdated: { status: string } }>({ query: gql(WATCH), variables: { id: created!.createConnection.id } }).subscribe({
          next: (r) => {
            seen.push(r.data!.operationUpdated.status);
            if (r.data!.operationUpdated.status !== 'SUCCEEDED') return;
            sub.unsubscribe();
            resolve(seen);
          },
          error: reject,
        });
      });
      assert.equal(statuses.at(-1), 'SUCCEEDED');
    });

    it('reads extensions.code of every refusal as a GraphQL error', async () => {
      const prodOnly = await keyFor('apollo-prod', { sandboxes: ['prod'] });
      const limited = await keyFor('apollo-limited');
      const refusals: Refusals = {
        unauthenticated: await codeOf(() => apollo('nonsense').query({ query: gql(WHOAMI) })),
        forbiddenSandbox: await codeOf(() => apollo(prodOnly, { 'x-sandbox-name': 'dev' }).query({ query: gql(WHOAMI) })),
        tooLarge: await codeOf(() => apollo(stack.adminKey).mutate({ mutation: gql(CREATE), variables: { input: bigInput } })),
        rateLimited: await (async () => {
          const client = apollo(limited);
          let code: string | undefined;
          for (let i = 0; i < 8 && code !== 'RATE_LIMITED'; i++) code = await codeOf(() => client.mutate({ mutation: gql(RETRY), variables: { id: NO_OPERATION } }));
          return code;
        })(),
      };
      assert.deepEqual(refusals, EXPECTED_REFUSALS);
    });
  });

  describe('urql with its defaults (GET queries)', () => {
    const urql = (key: string, headers: Record<string, string> = {}) =>
      new UrqlClient({
        url: stack.url,
        fetchOptions: { headers: { authorization: `Bearer ${key}`, ...headers } },
        exchanges: [
          cacheExchange,
          fetchExchange,
          subscriptionExchange({
            forwardSubscription: (request) => ({ subscribe: (sink) => ({ unsubscribe: ws(key).subscribe({ ...request, query: request.query ?? '' }, sink) }) }),
          }),
        ],
      });
    const codeOf = (error: CombinedError | undefined) => error?.graphQLErrors[0]?.extensions?.['code'] as string | undefined;

    it('queries over GET, pages forward and backward, mutates and follows the operation over graphql-ws', async () => {
      const key = await keyFor('urql');
      const client = urql(key);
      const ids = await listed();
      const who = await client.query(WHOAMI, {}).toPromise();
      assert.equal(who.error, undefined);
      assert.equal((who.data as { whoami: { role: string } }).whoami.role, 'OPERATOR');

      type Page = { connections: { edges: { node: { id: string } }[]; pageInfo: { endCursor: string; startCursor: string; hasPreviousPage: boolean } } };
      const page1 = (await client.query(CONNECTIONS, { first: 2 }).toPromise()).data as Page;
      const page2 = (await client.query(CONNECTIONS, { first: 2, after: page1.connections.pageInfo.endCursor }).toPromise()).data as Page;
      assert.deepEqual(
        [...page1.connections.edges, ...page2.connections.edges].map((e) => e.node.id),
        ids.slice(0, 4),
      );
      const back = (await client.query(CONNECTIONS, { last: 2, before: page2.connections.pageInfo.startCursor }).toPromise()).data as Page;
      assert.deepEqual(
        back.connections.edges.map((e) => e.node.id),
        ids.slice(0, 2),
      );
      assert.equal(back.connections.pageInfo.hasPreviousPage, false);

      const created = await client.mutation(CREATE, { input: { name: uniqueName('urql'), accessToken: STRIPE_KEY } }).toPromise();
      assert.equal(created.error, undefined);
      const operationId = (created.data as { createConnection: { id: string } }).createConnection.id;
      const status = await new Promise<string>((resolve) => {
        const subscription = client.subscription(WATCH, { id: operationId }).subscribe((result) => {
          const current = (result.data as { operationUpdated?: { status: string } } | undefined)?.operationUpdated?.status;
          if (current !== 'SUCCEEDED' && !result.error) return;
          subscription.unsubscribe();
          resolve(current ?? String(result.error));
        });
      });
      assert.equal(status, 'SUCCEEDED');
    });

    it('reads extensions.code of every refusal as a GraphQL error', async () => {
      const prodOnly = await keyFor('urql-prod', { sandboxes: ['prod'] });
      const limited = await keyFor('urql-limited');
      const refusals: Refusals = {
        unauthenticated: codeOf((await urql('nonsense').query(WHOAMI, {}).toPromise()).error),
        forbiddenSandbox: codeOf((await urql(prodOnly, { 'x-sandbox-name': 'dev' }).query(WHOAMI, {}).toPromise()).error),
        tooLarge: codeOf((await urql(stack.adminKey).mutation(CREATE, { input: bigInput }).toPromise()).error),
        rateLimited: await (async () => {
          const client = urql(limited);
          let code: string | undefined;
          for (let i = 0; i < 8 && code !== 'RATE_LIMITED'; i++) code = codeOf((await client.mutation(RETRY, { id: NO_OPERATION }).toPromise()).error);
          return code;
        })(),
      };
      assert.deepEqual(refusals, EXPECTED_REFUSALS);
    });
  });

  describe('graphql-request (with graphql-ws for subscriptions)', () => {
    // graphql-request is an ES module only: loaded with import().
    const library = () => import('graphql-request');
    const client = async (key: string, headers: Record<string, string> = {}) => new (await library()).GraphQLClient(stack.url, { headers: { authorization: `Bearer ${key}`, ...headers } });
    const codeOf = async (run: () => Promise<unknown>): Promise<string | undefined> => {
      const { ClientError } = await library();
      try {
        await run();
        return undefined;
      } catch (error) {
        assert.ok(error instanceof ClientError, `a GraphQL error, not ${String(error)}`);
        return error.response.errors?.[0]?.extensions?.['code'] as string | undefined;
      }
    };

    it('queries, pages forward and backward, mutates, and follows the operation over graphql-ws', async () => {
      const key = await keyFor('graphql-request');
      const gr = await client(key);
      const ids = await listed();
      const who = await gr.request<{ whoami: { role: string } }>(WHOAMI);
      assert.equal(who.whoami.role, 'OPERATOR');
      type Page = { connections: { edges: { node: { id: string } }[]; pageInfo: { endCursor: string; startCursor: string } } };
      const page1 = await gr.request<Page>(CONNECTIONS, { first: 1 });
      const page2 = await gr.request<Page>(CONNECTIONS, { first: 2, after: page1.connections.pageInfo.endCursor });
      assert.deepEqual(
        [...page1.connections.edges, ...page2.connections.edges].map((e) => e.node.id),
        ids.slice(0, 3),
      );
      const back = await gr.request<Page>(CONNECTIONS, { last: 1, before: page2.connections.pageInfo.startCursor });
      assert.deepEqual(
        back.connections.edges.map((e) => e.node.id),
        ids.slice(0, 1),
      );
      const created = await gr.request<{ createConnection: { id: string } }>(CREATE, { input: { name: uniqueName('graphql-request'), accessToken: STRIPE_KEY } });
      const statuses: string[] = [];
      for await (const message of ws(key).iterate<{ operationUpdated: { status: string } }>({ query: WATCH, variables: { id: created.createConnection.id } })) {
        statuses.push(message.data!.operationUpdated.status);
        if (statuses.at(-1) === 'SUCCEEDED') break;
      }
      assert.equal(statuses.at(-1), 'SUCCEEDED');
    });

    it('reads extensions.code of every refusal', async () => {
      const prodOnly = await keyFor('gr-prod', { sandboxes: ['prod'] });
      const limited = await client(await keyFor('gr-limited'));
      const refusals: Refusals = {
        unauthenticated: await codeOf(async () => (await client('nonsense')).request(WHOAMI)),
        forbiddenSandbox: await codeOf(async () => (await client(prodOnly, { 'x-sandbox-name': 'dev' })).request(WHOAMI)),
        tooLarge: await codeOf(async () => (await client(stack.adminKey)).request(CREATE, { input: bigInput })),
        rateLimited: await (async () => {
          let code: string | undefined;
          for (let i = 0; i < 8 && code !== 'RATE_LIMITED'; i++) code = await codeOf(() => limited.request(RETRY, { id: NO_OPERATION }));
          return code;
        })(),
      };
      assert.deepEqual(refusals, EXPECTED_REFUSALS);
    });
  });
});
