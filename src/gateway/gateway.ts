import { ApolloServer } from '@apollo/server';
import { ApolloServerPluginCacheControlDisabled } from '@apollo/server/plugin/disabled';
import { ApolloServerPluginDrainHttpServer } from '@apollo/server/plugin/drainHttpServer';
import { expressMiddleware } from '@as-integrations/express5';
import express from 'express';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Authenticator } from '../auth/authenticator.js';
import type { GraphQLLimitsConfig } from '../config/config.js';
import { authorizationPlugin } from '../graphql/authorization-plugin.js';
import type { GatewayContext, GatewayServices } from '../graphql/context.js';
import { createFormatError } from '../graphql/format-error.js';
import { queryCostPlugin, queryLimitRules, queryParseOptions } from '../graphql/query-limits.js';
import type { CallerRateLimiter } from '../graphql/rate-limits.js';
import { unavailableStatusPlugin } from '../graphql/unavailable-status.js';
import { graphqlMetricsPlugin } from '../graphql/metrics-plugin.js';
import { graphqlTracingPlugin } from '../graphql/tracing-plugin.js';
import type { FlowgateMetrics } from '../observability/metrics.js';
import { tracingActive } from '../observability/tracing.js';
import type { EventBus } from '../pubsub/event-bus.js';
import { corsMiddleware } from './cors.js';
import { healthRoutes } from './health-routes.js';
import { httpMetrics } from './http-metrics.js';
import { traceGraphqlRequests } from './http-tracing.js';
import { queueDashboard, type QueueDashboardOptions } from './queue-dashboard.js';
import { graphqlBody, graphqlErrorResponder, requestIdMiddleware, requestTimeout, securityHeaders } from './http-guards.js';
import { httpAuthentication, httpContext } from './http-authentication.js';
import type { ReadinessCheck } from './readiness.js';
import { buildGatewaySchema } from './schema.js';
import { startSubscriptionServer } from './subscription-server.js';

/**
 * Headers whose presence shows that a browser preflighted the request (none of them is
 * CORS-safelisted): Apollo's two, plus the credential headers every Flowgate request carries.
 */
export const CSRF_PREFLIGHT_HEADERS = ['apollo-require-preflight', 'x-apollo-operation-name', 'authorization', 'x-api-key'];

export interface GatewayOptions {
  services: GatewayServices;
  /** Sandbox a request acts in when it names none (AEP_SANDBOX). */
  sandbox: string;
  /** The sandboxes requests may name (AEP_SANDBOXES); null or absent: any well-formed name. */
  knownSandboxes?: () => readonly string[] | null;
  port: number;
  /** Interface to listen on. Default all (`0.0.0.0`). */
  host?: string;
  /**
   * A server already listening on the port (it answered 503 while the process started): the
   * gateway takes its requests over instead of opening the port again.
   */
  httpServer?: Server;
  readiness: ReadinessCheck;
  /** Apollo's introspection; default on outside production. */
  introspection?: boolean;
  /** Depth, alias, cost, token, body-size and batch limits (HTTP and WebSocket). */
  limits: Omit<GraphQLLimitsConfig, 'introspection'>;
  /** Per-caller limits on mutations and `explore`; none = unlimited. */
  rateLimiter?: CallerRateLimiter | null;
  authenticator: Authenticator;
  /** Carries key revocations between gateway processes. */
  bus: EventBus;
  /** Seconds between re-checks of every open socket's credential. Default 60. */
  socketRecheckSeconds?: number;
  /** Seconds an HTTP request may take before it is answered 503 UNAVAILABLE (REQUEST_TIMEOUT_SECONDS). Default 30. */
  requestTimeoutSeconds?: number;
  /** Browser origins allowed to call the API and open its WebSocket (CORS_ORIGINS). Default none. */
  corsOrigins?: readonly string[];
  /** Request, WebSocket and subscription metrics; none: not measured. */
  metrics?: FlowgateMetrics;
  /** Bull Board at /admin/queues with its sign-in page; none: not served. */
  queueDashboard?: QueueDashboardOptions;
}

export interface RunningGateway {
  url: string;
  port: number;
  server: Server;
  stop(): Promise<void>;
}

/**
 * The gateway's composition: GraphQL over HTTP (Apollo Server on express) and graphql-ws
 * subscriptions on the same port and path, plus `/healthz`, `/readyz` and the queue dashboard
 * (`/admin/queues`). In front of Apollo:
 * security headers and request ids, authentication, body and batch limits (http-guards); inside
 * it: document limits, the role policy and rate limits. Every part is its own module.
 */
export async function startGateway(options: GatewayOptions): Promise<RunningGateway> {
  const schema = await buildGatewaySchema();
  const { services, limits, authenticator } = options;
  const logger = services.logger;
  const introspection = options.introspection ?? true;
  const rateLimiter = options.rateLimiter ?? null;
  const formatError = createFormatError(logger, { hideSuggestions: !introspection });
  // Tracing starts before the gateway (see the entry points); off, its hooks are not mounted at all.
  const tracing = tracingActive();

  const app = express();
  app.disable('x-powered-by');
  // GraphQL answers are POSTs that no cache revalidates: hashing every body for an ETag was pure cost.
  app.set('etag', false);
  const corsOrigins = options.corsOrigins ?? [];
  // CORS first: a preflight carries no credential and must be answered before authentication.
  if (options.metrics) app.use(httpMetrics(options.metrics));
  app.use(requestIdMiddleware(), corsMiddleware({ origins: corsOrigins }), securityHeaders({ landingPage: introspection }));
  const httpServer = options.httpServer ?? createServer();

  const subscriptions = await startSubscriptionServer({
    httpServer,
    schema,
    services,
    authenticator,
    defaultSandbox: options.sandbox,
    knownSandboxes: options.knownSandboxes,
    limits,
    introspection,
    rateLimiter,
    formatError,
    bus: options.bus,
    socketRecheckSeconds: options.socketRecheckSeconds,
    corsOrigins,
    logger,
    metrics: options.metrics,
  });

  const apollo = new ApolloServer<GatewayContext>({
    schema,
    introspection,
    formatError,
    // A request that carries a credential header is never a browser "simple request" (the header
    // forces a preflight, which CORS answers), so it counts as preflighted: urql's GET queries work.
    // Mutations over GET stay refused by Apollo itself.
    csrfPrevention: { requestHeaders: CSRF_PREFLIGHT_HEADERS },
    allowBatchedHttpRequests: true,
    parseOptions: queryParseOptions(limits),
    validationRules: queryLimitRules(limits),
    // The process's own shutdown handler stops the gateway, then the worker and connections.
    stopOnTerminationSignals: false,
    plugins: [
      ApolloServerPluginDrainHttpServer({ httpServer }),
      // No cache hints are used; the default cache-control plugin roughly halves list throughput.
      ApolloServerPluginCacheControlDisabled(),
      queryCostPlugin(limits),
      // A response with an UNAVAILABLE error (the database unreachable) is a 503 with Retry-After.
      unavailableStatusPlugin(),
      ...(rateLimiter ? [rateLimiter.plugin()] : []),
      { serverWillStart: async () => ({ drainServer: () => subscriptions.dispose() }) },
      authorizationPlugin(schema),
      ...(options.metrics ? [graphqlMetricsPlugin(options.metrics)] : []),
      ...(tracing ? [graphqlTracingPlugin()] : []),
    ],
  });
  await apollo.start();

  app.use(healthRoutes({ readiness: options.readiness, authenticator }));
  if (options.queueDashboard) app.use(queueDashboard(options.queueDashboard));
  app.use(
    '/graphql',
    ...(tracing ? [traceGraphqlRequests()] : []),
    requestTimeout(options.requestTimeoutSeconds ?? 30, logger),
    httpAuthentication({ authenticator, defaultSandbox: options.sandbox, knownSandboxes: options.knownSandboxes, logger }),
    ...graphqlBody(limits),
    expressMiddleware(apollo, { context: httpContext(services) }),
    graphqlErrorResponder(logger, limits),
  );

  // Requests go to the app from here on (replacing the starting responder, when there was one).
  httpServer.removeAllListeners('request');
  httpServer.on('request', app);
  if (!httpServer.listening) await new Promise<void>((resolve) => httpServer.listen(options.port, options.host ?? '0.0.0.0', resolve));
  const port = (httpServer.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}/graphql`,
    port,
    server: httpServer,
    stop: async () => {
      await subscriptions.stop();
      await apollo.stop();
    },
  };
}
