import {
  execute as graphqlExecute,
  GraphQLError,
  Kind,
  NoSchemaIntrospectionCustomRule,
  OperationTypeNode,
  type DocumentNode,
  type ExecutionArgs,
  type GraphQLFormattedError,
  type GraphQLSchema,
  type OperationDefinitionNode,
} from 'graphql';
import { CloseCode, type Context as WsContext } from 'graphql-ws';
import { useServer } from 'graphql-ws/use/ws';
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, Server } from 'node:http';
import { WebSocketServer, type WebSocket } from 'ws';
import { credentialFromParams, type Authenticator } from '../auth/authenticator.js';
import type { Caller } from '../auth/caller.js';
import { authorizeOperation, forbiddenGraphQLError } from '../auth/policy.js';
import { chooseSandbox } from '../auth/request-scope.js';
import type { GraphQLLimitsConfig } from '../config/config.js';
import { AppError } from '../errors/app-errors.js';
import type { GatewayContext, GatewayServices } from '../graphql/context.js';
import { requestScope } from '../graphql/format-error.js';
import { checkDocument } from '../graphql/query-limits.js';
import type { CallerRateLimiter } from '../graphql/rate-limits.js';
import type { Logger } from '../logging/logger.js';
import type { FlowgateMetrics } from '../observability/metrics.js';
import { GAP, type EventBus } from '../pubsub/event-bus.js';
import { topics } from '../pubsub/events.js';
import { requestOriginAllowed } from './cors.js';

export interface SubscriptionServerOptions {
  /** The HTTP server whose upgrades on `/graphql` become graphql-ws connections. */
  httpServer: Server;
  schema: GraphQLSchema;
  services: GatewayServices;
  authenticator: Authenticator;
  /** Sandbox a connection acts in when it names none (AEP_SANDBOX). */
  defaultSandbox: string;
  /** The sandboxes the deployment knows, now (null: unchecked). */
  knownSandboxes?: () => readonly string[] | null;
  /** The same limits as over HTTP (graphql-ws would parse and validate without them). */
  limits: Omit<GraphQLLimitsConfig, 'introspection'>;
  introspection: boolean;
  rateLimiter: CallerRateLimiter | null;
  formatError: (formatted: GraphQLFormattedError, error: unknown) => GraphQLFormattedError;
  /** Carries key revocations between gateway processes. */
  bus: EventBus;
  /** Seconds between re-checks of every open socket's credential. Default 60. */
  socketRecheckSeconds?: number;
  /** Browser origins that may open a socket (CORS_ORIGINS); an upgrade from any other Origin is refused. */
  corsOrigins?: readonly string[];
  logger: Logger;
  /** Open connections and active subscriptions by topic; none: not counted. */
  metrics?: FlowgateMetrics;
}

/**
 * The close code for a credential or sandbox refused: 4401 Unauthorized when the credential is
 * missing, invalid, expired or revoked (graphql-ws clients treat it as final and report it at
 * once), 4403 Forbidden when the caller is known but may not act there (role, sandbox).
 */
export function closeCodeFor(error: AppError): RefusalCloseCode {
  if (error.code === 'UNAUTHENTICATED') return CloseCode.Unauthorized;
  // A malformed or unknown sandbox name: 4400 Bad Request (final too).
  if (error.code === 'BAD_REQUEST' || error.code === 'BAD_USER_INPUT') return CloseCode.BadRequest;
  return CloseCode.Forbidden;
}

type RefusalCloseCode = CloseCode.Unauthorized | CloseCode.Forbidden | CloseCode.BadRequest;

const CLOSE_REASONS: Record<RefusalCloseCode, string> = { [CloseCode.Unauthorized]: 'Unauthorized', [CloseCode.Forbidden]: 'Forbidden', [CloseCode.BadRequest]: 'Bad Request' };

export interface RunningSubscriptionServer {
  /** Closes every socket and the WebSocket server (called while Apollo drains the HTTP server). */
  dispose(): Promise<void>;
  /** Stops the periodic re-checks and the revocation listener. */
  stop(): Promise<void>;
}

/** What a graphql-ws connection authenticated as in `connection_init`. */
interface SocketAuth {
  credential: string;
  caller: Caller;
  sandbox: string;
  socket: WebSocket;
}

/**
 * GraphQL over WebSocket (graphql-ws) on the HTTP server's `/graphql`. The credential comes in
 * `connection_init` (a bad credential: closed with 4401; a sandbox it may not use: 4403); each operation re-checks it (revoked or expired
 * since connecting?) and the caller's role, under the same document limits and rate limits as
 * HTTP. Open sockets are re-checked periodically, and closed at once when their API key is
 * revoked on any gateway (the event bus carries revocations).
 */
export async function startSubscriptionServer(options: SubscriptionServerOptions): Promise<RunningSubscriptionServer> {
  const { schema, services, authenticator, defaultSandbox, limits, logger, formatError } = options;
  const sockets = new Map<WsContext, SocketAuth>();
  const { metrics } = options;
  /** Each socket's running subscriptions (operation id → topic), so a closed socket ends them in the gauge too. */
  const subscriptionTopics = new Map<WsContext, Map<string, string>>();
  const endSubscription = (ctx: WsContext, id: string) => {
    const topic = subscriptionTopics.get(ctx)?.get(id);
    if (topic === undefined) return;
    subscriptionTopics.get(ctx)!.delete(id);
    metrics?.subscriptionEnded(topic);
  };
  const knownSandboxes = options.knownSandboxes ?? (() => null);
  const closeRefused = (auth: SocketAuth, code: RefusalCloseCode, why: string) => {
    logger.info({ caller: auth.caller.id, why }, 'closing a WebSocket whose credential is no longer valid');
    auth.socket.close(code, CLOSE_REASONS[code]);
  };
  /** Re-verifies a socket's credential; closes the socket (4401, or 4403 for a sandbox no longer allowed) and returns null when it no longer holds. */
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
      closeRefused(auth, closeCodeFor(error), error.message);
      return null;
    }
  };

  const corsOrigins = options.corsOrigins ?? [];
  const wsServer = new WebSocketServer({
    server: options.httpServer,
    path: '/graphql',
    maxPayload: limits.maxRequestBytes,
    // Cross-site WebSocket hijacking: browsers send their page's Origin and no CORS applies to
    // WebSockets, so an upgrade from an origin outside CORS_ORIGINS is refused (HTTP 403).
    verifyClient: (info: { req: IncomingMessage }, answer: (ok: boolean, status?: number, message?: string) => void) =>
      requestOriginAllowed(info.req.headers, corsOrigins) ? answer(true) : answer(false, 403, 'Origin not allowed'),
  });
  const cleanup = useServer<Record<string, unknown>>(
    {
      schema,
      onConnect: async (ctx) => {
        const credential = credentialFromParams(ctx.connectionParams);
        try {
          const caller = await authenticator.authenticate(credential);
          const params = ctx.connectionParams ?? {};
          const sandbox = chooseSandbox(caller, params['sandbox'] ?? params['x-sandbox-name'], defaultSandbox, knownSandboxes());
          const socket = ctx.extra.socket;
          sockets.set(ctx, { credential: credential!, caller, sandbox, socket });
          subscriptionTopics.set(ctx, new Map());
          metrics?.socketOpened();
          socket.once('close', () => {
            sockets.delete(ctx);
            for (const id of [...(subscriptionTopics.get(ctx)?.keys() ?? [])]) endSubscription(ctx, id);
            subscriptionTopics.delete(ctx);
            metrics?.socketClosed();
          });
          return true;
        } catch (error) {
          if (error instanceof AppError) {
            // graphql-ws would close with 4403, which its clients retry; a bad credential is final (4401).
            ctx.extra.socket.close(closeCodeFor(error), CLOSE_REASONS[closeCodeFor(error)]);
            return false;
          }
          // The credential could not be checked (database or JWKS unreachable): not Unauthorized
          // (4401, which clients take as final) but 1013 Try Again Later, as HTTP answers 503.
          logger.warn({ err: (error as Error).message }, 'could not authenticate a WebSocket');
          ctx.extra.socket.close(1013, 'UNAVAILABLE: try again');
          return false;
        }
      },
      onSubscribe: async (ctx, _id, payload) => {
        const auth = sockets.get(ctx);
        if (!auth || !(await recheck(auth))) return [new GraphQLError('Unauthenticated', { extensions: { code: 'UNAUTHENTICATED' } })];
        const checked = checkDocument(schema, limits, options.introspection ? [] : [NoSchemaIntrospectionCustomRule], payload);
        if ('errors' in checked) return checked.errors;
        const document = checked.document;
        const refused = authorizeOperation(schema, document, payload.operationName, payload.variables, auth.caller);
        if (refused) return [forbiddenGraphQLError(refused)];
        const args: ExecutionArgs = { schema, document, operationName: payload.operationName, variableValues: payload.variables };
        const topic = subscriptionTopic(document, payload.operationName);
        if (topic !== null && metrics) {
          subscriptionTopics.get(ctx)?.set(_id, topic);
          metrics.subscriptionStarted(topic);
        }
        return args;
      },
      onComplete: (ctx, id) => endSubscription(ctx, id),
      execute: options.rateLimiter ? options.rateLimiter.wrapExecute(graphqlExecute) : undefined,
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
        result.errors
          ? requestScope.run({ requestId: (args.contextValue as GatewayContext).requestId }, () => ({ ...result, errors: result.errors!.map((e) => formatError(e.toJSON(), e)) }))
          : undefined,
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
  // After a gap (the bus reconnected to Redis) a revocation may have been lost: check every socket now.
  const revocations = await options.bus.subscribeWithGaps(topics.credentialsRevoked());
  void (async () => {
    for await (const message of revocations) {
      if (message === GAP) {
        authenticator.forgetAll();
        for (const auth of sockets.values()) void recheck(auth);
        continue;
      }
      authenticator.forgetApiKey(message.apiKeyId);
      for (const auth of sockets.values()) if (auth.caller.apiKeyId === message.apiKeyId) closeRefused(auth, CloseCode.Unauthorized, `API key ${message.name} was revoked`);
    }
  })();

  return {
    dispose: async () => {
      await cleanup.dispose();
    },
    stop: async () => {
      clearInterval(recheckTimer);
      await revocations.return?.();
    },
  };
}

/** The topic of a subscription operation (its first field, e.g. `operationUpdated`); null for queries and mutations. */
function subscriptionTopic(document: DocumentNode, operationName: string | null | undefined): string | null {
  const operation = document.definitions.find((d): d is OperationDefinitionNode => d.kind === Kind.OPERATION_DEFINITION && (operationName ? d.name?.value === operationName : true));
  if (operation?.operation !== OperationTypeNode.SUBSCRIPTION) return null;
  const field = operation.selectionSet.selections.find((s) => s.kind === Kind.FIELD);
  return field && field.kind === Kind.FIELD ? field.name.value : null;
}
