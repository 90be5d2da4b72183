import { ApolloServer, type GraphQLRequestListener } from '@apollo/server';
import { ApolloServerPluginCacheControlDisabled } from '@apollo/server/plugin/disabled';
import { ApolloServerPluginDrainHttpServer } from '@apollo/server/plugin/drainHttpServer';
import { expressMiddleware } from '@as-integrations/express5';
import express, { type NextFunction, type Request, type Response } from 'express';
import { GraphQLError, type ExecutionArgs } from 'graphql';
import { randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { execute as graphqlExecute, NoSchemaIntrospectionCustomRule } from 'graphql';
import { CloseCode, type Context as WsContext } from 'graphql-ws';
import { useServer } from 'graphql-ws/use/ws';
import { WebSocketServer, type WebSocket } from 'ws';
import { credentialFromHeaders, credentialFromParams, type Authenticator } from '../auth/authenticator.js';
import type { Caller } from '../auth/caller.js';
import { authorizeOperation, forbiddenGraphQLError } from '../auth/policy.js';
import { chooseSandbox } from '../auth/request-scope.js';
import { AppError, ServiceUnavailableError } from '../errors/app-errors.js';
import { buildGatewaySchema } from '../graphql/build-schema.js';
import type { GatewayContext, GatewayServices } from '../graphql/context.js';
import { createFormatError, requestScope } from '../graphql/format-error.js';
import { checkDocument, queryCostPlugin, queryLimitRules, queryParseOptions } from '../graphql/query-limits.js';
import { unavailableStatusPlugin } from '../graphql/unavailable-status.js';
import type { CallerRateLimiter } from '../graphql/rate-limits.js';
import type { GraphQLLimitsConfig } from '../config/config.js';
import { graphqlBody, graphqlErrorResponder, requestIdMiddleware, securityHeaders } from './http-guards.js';
import { channels, type CredentialsRevokedMessage, type EventBus } from '../pubsub/event-bus.js';
import type { ReadinessCheck } from './readiness.js';

export interface GatewayOptions {
  services: GatewayServices;
  /** Sandbox a request acts in when it names none (AEP_SANDBOX). */
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
  authenticator: Authenticator;
  /** Carries key revocations between gateway processes. */
  bus: EventBus;
  /** Seconds between re-checks of every open socket's credential. Default 60. */
  socketRecheckSeconds?: number;
}

export interface RunningGateway {
  url: string;
  port: number;
  server: Server;
  stop(): Promise<void>;
}

/** What a graphql-ws connection authenticated as in `connection_init`. */
interface SocketAuth {
  credential: string;
  caller: Caller;
  sandbox: string;
  socket: WebSocket;
}

/** What the HTTP authentication middleware leaves for the GraphQL context. */
interface HttpAuth {
  caller: Caller;
  sandbox: string;
}

/** A GraphQL-shaped error body for requests refused before GraphQL runs. */
function refuse(res: Response, error: AppError): void {
  const status = error.code === 'UNAUTHENTICATED' ? 401 : error.code === 'FORBIDDEN' ? 403 : error.code === 'UNAVAILABLE' ? 503 : 400;
  if (status === 401) res.setHeader('WWW-Authenticate', 'Bearer realm="flowgate"');
  // The same answer as an UNAVAILABLE error inside GraphQL (see unavailableStatusPlugin): 503, Retry-After, the request id.
  const requestId = status === 503 ? res.getHeader('x-request-id') : undefined;
  if (status === 503) res.setHeader('Retry-After', String(ServiceUnavailableError.RETRY_AFTER_SECONDS));
  res.status(status).json({ errors: [{ message: error.message, extensions: { code: error.code, ...error.details(), ...(requestId ? { requestId: String(requestId) } : {}) } }] });
}

/**
 * The gateway: GraphQL over HTTP (Apollo Server on express) and graphql-ws subscriptions on
 * the same port and path, plus `/healthz` (process up, open) and `/readyz` (database, Redis,
 * Platform: open to load balancers, details only to authenticated callers). Every GraphQL
 * request is authenticated (API key or JWT) and each root field is checked against the role
 * policy (auth/policy.ts) before it runs.
 */
export async function startGateway(options: GatewayOptions): Promise<RunningGateway> {
  const schema = await buildGatewaySchema();
  const app = express();
  const introspection = options.introspection ?? true;
  app.disable('x-powered-by');
  // GraphQL answers are POSTs that no cache revalidates: hashing every body for an ETag was pure cost.
  app.set('etag', false);
  app.use(requestIdMiddleware(), securityHeaders({ landingPage: introspection }));
  const httpServer = createServer(app);
  const { services, sandbox: defaultSandbox, readiness, authenticator, bus } = options;
  const logger = services.logger;
  const formatError = createFormatError(logger, { hideSuggestions: !introspection });
  const { limits } = options;
  const limitRules = queryLimitRules(limits);
  const rateLimiter = options.rateLimiter ?? null;

  const sockets = new Map<WsContext, SocketAuth>();
  const closeForbidden = (auth: SocketAuth, why: string) => {
    logger.info({ caller: auth.caller.id, why }, 'closing a WebSocket whose credential is no longer valid');
    auth.socket.close(CloseCode.Forbidden, 'Forbidden');
  };
  /** Re-verifies a socket's credential; closes the socket (4403) and returns null when it no longer holds. */
  const recheck = async (auth: SocketAuth): Promise<Caller | null> => {
    try {
      auth.caller = await authenticator.authenticate(auth.credential);
      chooseSandbox(auth.caller, auth.sandbox, defaultSandbox);
      return auth.caller;
    } catch (error) {
      if (!(error instanceof AppError)) {
        // The database is briefly unreachable, say: keep the socket, the next re-check decides.
        logger.warn({ err: (error as Error).message }, 'could not re-check a WebSocket credential');
        return auth.caller;
      }
      closeForbidden(auth, error.message);
      return null;
    }
  };

  const wsServer = new WebSocketServer({ server: httpServer, path: '/graphql', maxPayload: limits.maxRequestBytes });
  const wsCleanup = useServer<Record<string, unknown>>(
    {
      schema,
      // The credential comes in connection_init; refusing it closes the socket with 4403 Forbidden.
      onConnect: async (ctx) => {
        const credential = credentialFromParams(ctx.connectionParams);
        try {
          const caller = await authenticator.authenticate(credential);
          const params = ctx.connectionParams ?? {};
          const sandbox = chooseSandbox(caller, params['sandbox'] ?? params['x-sandbox-name'], defaultSandbox);
          const socket = ctx.extra.socket;
          sockets.set(ctx, { credential: credential!, caller, sandbox, socket });
          socket.once('close', () => sockets.delete(ctx));
          return true;
        } catch (error) {
          if (error instanceof AppError) return false;
          // The credential could not be checked (database or JWKS unreachable): not Forbidden
          // (4403, which clients take as final) but 1013 Try Again Later, as HTTP answers 503.
          logger.warn({ err: (error as Error).message }, 'could not authenticate a WebSocket');
          ctx.extra.socket.close(1013, 'UNAVAILABLE: try again');
          return false;
        }
      },
      // Each operation re-checks the caller (revoked or expired since connecting?) and its role.
      onSubscribe: async (ctx, _id, payload) => {
        const auth = sockets.get(ctx);
        if (!auth || !(await recheck(auth))) return [new GraphQLError('Unauthenticated', { extensions: { code: 'UNAUTHENTICATED' } })];
        // The same limits as over HTTP: graphql-ws would parse and validate without them.
        const checked = checkDocument(schema, limits, introspection ? [] : [NoSchemaIntrospectionCustomRule], payload);
        if ('errors' in checked) return checked.errors;
        const document = checked.document;
        const refused = authorizeOperation(schema, document, payload.operationName, payload.variables, auth.caller);
        if (refused) return [forbiddenGraphQLError(refused)];
        const args: ExecutionArgs = { schema, document, operationName: payload.operationName, variableValues: payload.variables };
        return args;
      },
      execute: rateLimiter ? rateLimiter.wrapExecute(graphqlExecute) : undefined,
      context: (ctx): GatewayContext => {
        const auth = sockets.get(ctx)!;
        return { ...services, caller: auth.caller, actor: auth.caller.id, requestId: randomUUID(), sandbox: auth.sandbox };
      },
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

  // Expired keys and tokens, and revocations a lost bus message missed, close on the next re-check.
  const recheckTimer = setInterval(
    () => {
      for (const auth of sockets.values()) void recheck(auth);
    },
    Math.max(100, (options.socketRecheckSeconds ?? 60) * 1000),
  );
  recheckTimer.unref();

  // A key revoked anywhere (this process, another gateway, the CLI): forget it, close its sockets.
  const revocations = await bus.subscribe<CredentialsRevokedMessage>(channels.credentialsRevoked());
  void (async () => {
    for await (const message of revocations) {
      authenticator.forgetApiKey(message.apiKeyId);
      for (const auth of sockets.values()) if (auth.caller.apiKeyId === message.apiKeyId) closeForbidden(auth, `API key ${message.name} was revoked`);
    }
  })();

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
      unavailableStatusPlugin(),
      ...(rateLimiter ? [rateLimiter.plugin()] : []),
      {
        async serverWillStart() {
          return {
            async drainServer() {
              await wsCleanup.dispose();
            },
          };
        },
        // Deny by default: every root field the operation selects must allow the caller's role.
        async requestDidStart(): Promise<GraphQLRequestListener<GatewayContext>> {
          return {
            async didResolveOperation({ document, operationName, request, contextValue }) {
              const refused = authorizeOperation(schema, document, operationName, request.variables, contextValue.caller);
              if (refused) throw forbiddenGraphQLError(refused);
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
  // Load balancers poll this without credentials: they get the verdict; callers with a valid credential get the details.
  app.get('/readyz', async (req, res) => {
    const report = await readiness.check();
    let authenticated = false;
    const credential = credentialFromHeaders(req.headers as Record<string, unknown>);
    if (credential) authenticated = await authenticator.authenticate(credential).then(() => true, () => false);
    res.status(report.ready ? 200 : 503).json(authenticated ? report : { ready: report.ready });
  });
  const authenticate = async (req: Request, res: Response, next: NextFunction) => {
    // A browser opening the URL gets Apollo's static landing page (no operation runs, nothing is
    // read); the sandbox it loads then sends the credential the user configures there.
    if (req.method === 'GET' && req.query['query'] === undefined && req.accepts(['application/json', 'text/html']) === 'text/html') return next();
    try {
      const headers = req.headers as Record<string, unknown>;
      const caller = await authenticator.authenticate(credentialFromHeaders(headers));
      const sandbox = chooseSandbox(caller, headers['x-sandbox-name'], defaultSandbox);
      res.locals.auth = { caller, sandbox } satisfies HttpAuth;
      next();
    } catch (error) {
      if (error instanceof AppError) return refuse(res, error);
      // The credential could not be checked (database or identity provider unreachable): try again.
      logger.error({ err: error }, 'authentication failed unexpectedly');
      refuse(res, new ServiceUnavailableError('Authentication is unavailable; try again'));
    }
  };
  app.use(
    '/graphql',
    authenticate,
    ...graphqlBody(limits),
    expressMiddleware(apollo, {
      context: async ({ res }): Promise<GatewayContext> => {
        const auth = res.locals.auth as HttpAuth | undefined;
        // Fails closed should Apollo and the middleware above ever disagree about the landing page.
        if (!auth) throw new GraphQLError('Authentication required', { extensions: { code: 'UNAUTHENTICATED', http: { status: 401 } } });
        return { ...services, caller: auth.caller, actor: auth.caller.id, requestId: String(res.getHeader('x-request-id')) /* set by requestIdMiddleware */, sandbox: auth.sandbox };
      },
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
      clearInterval(recheckTimer);
      await revocations.return?.();
      await apollo.stop();
      wsServer.close();
    },
  };
}

