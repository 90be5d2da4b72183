/**
 * The baseline `npm run bench`'s list comparison measures `dataflows(first: 50)` against: a bare
 * Apollo Server on the same express integration, with Flowgate's Apollo plugins and request rules
 * (query depth/alias/token/cost limits, the 503 mapping, no cache control), answering the same 50
 * objects from memory — not Flowgate's caller authentication and authorization, which are its
 * own work. Its own process, as Flowgate's gateway is: inside the benchmark process it shared an
 * event loop with the load generator, which slowed it and flattered the ratio.
 *
 * stdin: `{"limits": GraphQLLimitsConfig, "answer": <the dataflows page>}`; prints `{"url"}` once
 * listening, and serves until killed.
 */
import { ApolloServer } from '@apollo/server';
import { ApolloServerPluginCacheControlDisabled } from '@apollo/server/plugin/disabled';
import { expressMiddleware } from '@as-integrations/express5';
import express from 'express';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { GraphQLLimitsConfig } from '../../src/config/config.js';
import { queryCostPlugin, queryLimitRules, queryParseOptions } from '../../src/graphql/query-limits.js';
import { unavailableStatusPlugin } from '../../src/graphql/unavailable-status.js';

const TYPE_DEFS = `
  type Schedule { frequency: String! interval: Int startTime: String! }
  type Dataflow { id: ID! platformId: String name: String! description: String etag: String state: String! sandbox: String! createdAt: String! updatedAt: String! mappingVersion: Int! resource: String schedule: Schedule! }
  type Edge { cursor: String! node: Dataflow! }
  type Page { totalCount: Int! edges: [Edge!]! }
  type Query { dataflows(first: Int): Page! }`;

async function main(): Promise<void> {
  let input = '';
  for await (const chunk of process.stdin) input += String(chunk);
  const { limits, answer } = JSON.parse(input) as { limits: GraphQLLimitsConfig; answer: unknown };
  const apollo = new ApolloServer({
    typeDefs: TYPE_DEFS,
    resolvers: { Query: { dataflows: () => answer } },
    parseOptions: queryParseOptions(limits),
    validationRules: queryLimitRules(limits),
    plugins: [ApolloServerPluginCacheControlDisabled(), queryCostPlugin(limits), unavailableStatusPlugin()],
  });
  await apollo.start();
  const app = express();
  app.use('/graphql', express.json(), expressMiddleware(apollo));
  const server = createServer(app);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  // Killed by the bench: exit normally, so that a CPU profile (BENCH_CPU_PROF) is written.
  process.once('SIGTERM', () => process.exit(0));
  process.stdout.write(`${JSON.stringify({ url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/graphql` })}\n`);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
