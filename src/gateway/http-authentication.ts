import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { GraphQLError } from 'graphql';
import { credentialFromHeaders, type Authenticator } from '../auth/authenticator.js';
import type { Caller } from '../auth/caller.js';
import { chooseSandbox } from '../auth/request-scope.js';
import { AppError, ServiceUnavailableError } from '../errors/app-errors.js';
import type { GatewayContext, GatewayServices } from '../graphql/context.js';
import type { Logger } from '../logging/logger.js';
import { sendError } from './http-guards.js';

/** What the authentication middleware leaves for the GraphQL context (in `res.locals.auth`). */
interface HttpAuth {
  caller: Caller;
  sandbox: string;
}

export interface HttpAuthenticationOptions {
  authenticator: Authenticator;
  /** Sandbox a request acts in when it names none (AEP_SANDBOX). */
  defaultSandbox: string;
  /** The sandboxes the deployment knows, now (null: unchecked). */
  knownSandboxes?: () => readonly string[] | null;
  logger: Logger;
}

/** A GraphQL-shaped error answer for a request refused before GraphQL runs (in the media type the client accepts). */
export function refuse(req: Request, res: Response, error: AppError): void {
  const status = error.code === 'UNAUTHENTICATED' ? 401 : error.code === 'FORBIDDEN' ? 403 : error.code === 'UNAVAILABLE' ? 503 : 400;
  if (status === 401) res.setHeader('WWW-Authenticate', 'Bearer realm="flowgate"');
  // The same answer as an UNAVAILABLE error inside GraphQL (see unavailableStatusPlugin): 503, Retry-After, the request id.
  const requestId = status === 503 ? res.getHeader('x-request-id') : undefined;
  if (status === 503) res.setHeader('Retry-After', String(ServiceUnavailableError.RETRY_AFTER_SECONDS));
  sendError(req, res, status, error.message, { code: error.code, ...error.details(), ...(requestId ? { requestId: String(requestId) } : {}) });
}

/**
 * Authenticates every request to /graphql (API key or JWT, `Authorization: Bearer` or
 * `x-api-key`) and picks its sandbox (`x-sandbox-name`), before the body is even read. Refusals
 * are GraphQL-shaped 401/403/400 answers. A browser opening the URL gets Apollo's static landing
 * page (no operation runs, nothing is read); the sandbox it loads then sends the credential the
 * user configures there.
 */
export function httpAuthentication(options: HttpAuthenticationOptions): RequestHandler {
  const { authenticator, defaultSandbox, logger } = options;
  const knownSandboxes = options.knownSandboxes ?? (() => null);
  return async (req: Request, res: Response, next: NextFunction) => {
    if (req.method === 'GET' && req.query['query'] === undefined && req.accepts(['application/json', 'text/html']) === 'text/html') return next();
    try {
      const headers = req.headers as Record<string, unknown>;
      const caller = await authenticator.authenticate(credentialFromHeaders(headers));
      const sandbox = chooseSandbox(caller, headers['x-sandbox-name'], defaultSandbox, knownSandboxes());
      res.locals.auth = { caller, sandbox } satisfies HttpAuth;
      next();
    } catch (error) {
      if (error instanceof AppError) return refuse(req, res, error);
      // The credential could not be checked (database or identity provider unreachable): try again.
      logger.error({ err: error }, 'authentication failed unexpectedly');
      refuse(req, res, new ServiceUnavailableError('Authentication is unavailable; try again'));
    }
  };
}

/** The GraphQL context of an HTTP request: the process's services plus who asks (set by `httpAuthentication`). */
export function httpContext(services: GatewayServices) {
  return async ({ res }: { res: Response }): Promise<GatewayContext> => {
    const auth = res.locals.auth as HttpAuth | undefined;
    // Fails closed should Apollo and the middleware above ever disagree about the landing page.
    if (!auth) throw new GraphQLError('Authentication required', { extensions: { code: 'UNAUTHENTICATED', http: { status: 401 } } });
    return { ...services, caller: auth.caller, actor: auth.caller.id, requestId: String(res.getHeader('x-request-id')) /* set by requestIdMiddleware */, sandbox: auth.sandbox };
  };
}
