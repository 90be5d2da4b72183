import { ApolloServer } from '@apollo/server';
import { ApolloServerPluginCacheControlDisabled } from '@apollo/server/plugin/disabled';
import { ApolloServerPluginDrainHttpServer } from '@apollo/server/plugin/drainHttpServer';
import { expressMiddleware } from '@as-integrations/express5';
import express from 'express';
import { randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { execute as graphqlExecute, NoSchemaIntrospectionCustomRule } from 'graphql';
import { useServer } from 'graphql-ws/use/ws';
import { WebSocketServer } from 'ws';
import { buildGatewaySchema } from '../graphql/build-schema.js';
import type { GatewayContext, GatewayServices } from '../graphql/context.js';
import { createFormatError, requestScope } from '../graphql/format-error.js';
import { checkDocument, queryCostPlugin, queryLimitRules, queryParseOptions } from '../graphql/query-limits.js';
import type { CallerRateLimiter } from '../graphql/rate-limits.js';
import type { GraphQLLimitsConfig } from '../config/config.js';
import { graphqlBody, graphqlErrorResponder, requestIdMiddleware, securityHeaders } from './http-guards.js';
import type { ReadinessCheck } from './readiness.js';

export interface GatewayOptions {
  services: GatewayServices;
  /** Sandbox every request acts in (until callers carry their own scope). */
  sandbox: string;
  port: number;
  host?: string;
  readiness: ReadinessCheck;
  /** Apollo's introspection; default on outside production. */
  introspection?: boolean;
  /** Depth, alias, cost, token, body-size and batch limits (HTTP and WebSocket). */
  limits: Omit<GraphQLLimitsConfig, 'introspection'>;
  /** Per-caller limits on mutations and `explore`; none = unlimited. */
  rateLimiter?: CallerRateLimiter | null;
}

export interface RunningGateway {
  url: string;
  port: number;
  server: Server;
  stop(): Promise<void>;
}

/** Who is calling. Until caller authentication lands, a client may name itself in `x-flowgate-actor`. */
function actorOf(headers: Record<string, unknown>): string {
  const raw = headers['x-flowgate-actor'];
  const value = Array.isArray(raw) ? raw[0] : raw;
  return typeof value === 'string' && /^[\w.@:-]{1,100}$/.test(value) ? value : 'anonymous';
}

function requestIdOf(headers: Record<string, unknown>): string {
  const raw = headers['x-request-id'];
  const value = Array.isArray(raw) ? raw[0] : raw;
  return typeof value === 'string' && /^[\w.:-]{1,100}$/.test(value) ? value : randomUUID();
}

/**
 * The gateway: GraphQL over HTTP (Apollo Server on express) and graphql-ws subscriptions on
 * the same port and path, plus `/healthz` (process up) and `/readyz` (database, Redis, Platform).
 */
export async function startGateway(options: GatewayOptions): Promise<RunningGateway> {
  const schema = await buildGatewaySchema();
  const app = express();
  const introspection = options.introspection ?? true;
  app.disable('x-powered-by');
  app.use(requestIdMiddleware(), securityHeaders({ landingPage: introspection }));
  const httpServer = createServer(app);
  const { services, sandbox, readiness } = options;
  const logger = services.logger;
  const formatError = createFormatError(logger, { hideSuggestions: !introspection });
  const { limits } = options;
  const limitRules = queryLimitRules(limits);
  const rateLimiter = options.rateLimiter ?? null;

  const wsServer = new WebSocketServer({ server: httpServer, path: '/graphql', maxPayload: limits.maxRequestBytes });
  const wsCleanup = useServer<Record<string, unknown>>(
    {
      schema,
      context: (ctx): GatewayContext => ({
        ...services,
        actor: actorOf({ ...(ctx.extra.request.headers as Record<string, unknown>), ...normaliseParams(ctx.connectionParams) }),
        requestId: randomUUID(),
        sandbox,
      }),
      // The same limits as over HTTP: graphql-ws would parse and validate without them.
      onSubscribe: (_ctx, _id, payload) => {
        const checked = checkDocument(schema, limits, introspection ? [] : [NoSchemaIntrospectionCustomRule], payload);
        if ('errors' in checked) return checked.errors;
        return { schema, document: checked.document, variableValues: payload.variables, operationName: payload.operationName };
      },
      execute: rateLimiter ? rateLimiter.wrapExecute(graphqlExecute) : undefined,
      onError: (_ctx, _id, _payload, errors) => {
        logger.warn({ errors: errors.map((e) => e.message) }, 'subscription error');
        return errors.map((e) => formatError(e.toJSON(), e));
      },
      // A subscription's errors (unknown id, a failed read) carry the same codes as over HTTP, and nothing internal leaks.
      // Run in the operation's request scope, so an unexpected error's log line and message share its request id.
      onNext: (_ctx, _id, _payload, args, result) =>
        result.errors ? requestScope.run({ requestId: (args.contextValue as GatewayContext).requestId }, () => ({ ...result, errors: result.errors!.map((e) => formatError(e.toJSON(), e)) })) : undefined,
    },
    wsServer,
  );

  const apollo = new ApolloServer<GatewayContext>({
    schema,
    introspection,
    formatError,
    csrfPrevention: true,
    allowBatchedHttpRequests: true,
    parseOptions: queryParseOptions(limits),
    validationRules: limitRules,
    // The process's own shutdown handler stops the gateway, then the worker and connections.
    stopOnTerminationSignals: false,
    plugins: [
      ApolloServerPluginDrainHttpServer({ httpServer }),
      // No cache hints are used; the default cache-control plugin roughly halves list throughput.
      ApolloServerPluginCacheControlDisabled(),
      queryCostPlugin(limits),
      ...(rateLimiter ? [rateLimiter.plugin()] : []),
      {
        async serverWillStart() {
          return {
            async drainServer() {
              await wsCleanup.dispose();
            },
          };
        },
      },
    ],
  });
  await apollo.start();

  app.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });
  app.get('/readyz', async (_req, res) => {
    const report = await readiness.check();
    res.status(report.ready ? 200 : 503).json(report);
  });
  app.use(
    '/graphql',
    ...graphqlBody(limits),
    expressMiddleware(apollo, {
      context: async ({ req }): Promise<GatewayContext> => ({
        ...services,
        actor: actorOf(req.headers as Record<string, unknown>),
        requestId: requestIdOf(req.headers as Record<string, unknown>),
        sandbox,
      }),
    }),
    graphqlErrorResponder(logger, limits),
  );

  await new Promise<void>((resolve) => httpServer.listen(options.port, options.host ?? '0.0.0.0', resolve));
  const port = (httpServer.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}/graphql`,
    port,
    server: httpServer,
    stop: async () => {
      await apollo.stop();
      wsServer.close();
    },
  };
}

function normaliseParams(params: Readonly<Record<string, unknown>> | undefined): Record<string, unknown> {
  if (!params) return {};
  return Object.fromEntries(Object.entries(params).map(([k, v]) => [k.toLowerCase(), v]));
}
