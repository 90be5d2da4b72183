import accepts from 'accepts';
import type { IncomingMessage } from 'node:http';
import express, { type ErrorRequestHandler, type RequestHandler } from 'express';
import helmet from 'helmet';
import { randomUUID } from 'node:crypto';
import type { GraphQLLimitsConfig } from '../config/config.js';
import { ServiceUnavailableError } from '../errors/app-errors.js';
import { isDatabaseUnavailable } from '../errors/database-unavailable.js';
import { QueryLimitError } from '../errors/limit-errors.js';
import { requestScope } from '../graphql/format-error.js';
import type { Logger } from '../logging/logger.js';

/**
 * HTTP-level protections of the gateway, in front of Apollo Server: security headers, request
 * ids, body size and JSON errors, batch size. Everything refused here gets a GraphQL-shaped
 * JSON body (`{ errors: [{ message, extensions: { code, … } }] }`), never express's HTML page.
 */

const REQUEST_ID = /^[\w.:-]{1,100}$/;

/**
 * Gives every request an `x-request-id` (the client's, when it is well-formed), echoes it in
 * the response, and makes it the request scope of formatError's log lines. The GraphQL context
 * reads the same header, so resolvers, logs and the client's error all carry one id.
 */
export function requestIdMiddleware(): RequestHandler {
  return (req, res, next) => {
    const raw = req.headers['x-request-id'];
    const given = Array.isArray(raw) ? raw[0] : raw;
    const requestId = typeof given === 'string' && REQUEST_ID.test(given) ? given : randomUUID();
    req.headers['x-request-id'] = requestId;
    res.setHeader('x-request-id', requestId);
    requestScope.run({ requestId }, next);
  };
}

/**
 * helmet's headers with a strict Content-Security-Policy (the API serves JSON only). The one
 * HTML page, Apollo's landing page (GET /graphql from a browser, when enabled), carries its
 * own CSP with a nonce in a meta tag, so it gets every header but ours.
 */
export function securityHeaders(options: { landingPage: boolean }): RequestHandler {
  const strict = headersOf(
    helmet({
      contentSecurityPolicy: { useDefaults: false, directives: { defaultSrc: ["'none'"], frameAncestors: ["'none'"], baseUri: ["'none'"], formAction: ["'none'"] } },
      crossOriginResourcePolicy: { policy: 'same-origin' },
    }),
  );
  const landing = headersOf(helmet({ contentSecurityPolicy: false, crossOriginEmbedderPolicy: false }));
  return (req, res, next) => {
    const isLandingPage = options.landingPage && req.method === 'GET' && req.path === '/graphql' && (req.headers.accept ?? '').includes('text/html');
    const headers = isLandingPage ? landing : strict;
    for (const [name, value] of headers.set) res.setHeader(name, value);
    for (const name of headers.removed) res.removeHeader(name);
    next();
  };
}

/**
 * What a helmet middleware does to a response, found once by running it against a recorder:
 * with these options every header is a constant (no nonces, nothing read from the request), and
 * setting them from a list costs a fraction of helmet's thirteen middlewares per request.
 */
function headersOf(middleware: (req: never, res: never, next: (error?: unknown) => void) => void): { set: [string, string][]; removed: string[] } {
  const set: [string, string][] = [];
  const removed: string[] = [];
  let done = false;
  let failed: unknown = null;
  const recorder = { setHeader: (name: string, value: string) => set.push([name, value]), removeHeader: (name: string) => removed.push(name) };
  middleware({} as never, recorder as never, (error?: unknown) => {
    failed = error ?? null;
    done = true;
  });
  // A helmet that read the request or answered later would make these headers wrong: refuse to start.
  if (!done || failed) throw new Error('helmet did not finish synchronously without an error: its headers cannot be computed once', { cause: failed });
  return { set, removed };
}

/** GraphQL over HTTP's media type: clients that accept it read a non-2xx answer in it as a GraphQL response. */
export const GRAPHQL_RESPONSE_TYPE = 'application/graphql-response+json';

/**
 * The media type of an answer Flowgate writes itself (a refusal before Apollo runs):
 * `application/graphql-response+json` when the client accepts it before `application/json`
 * (Apollo Client 4, urql and graphql-request all do), else `application/json` (also when the
 * request has no Accept header, as the GraphQL-over-HTTP spec asks). Clients read a 4xx/5xx in
 * the former as a GraphQL response with `errors[].extensions.code`; in the latter many treat it as
 * a transport failure.
 */
export function errorMediaType(req: IncomingMessage): string {
  return accepts(req).type(['application/json', GRAPHQL_RESPONSE_TYPE]) === GRAPHQL_RESPONSE_TYPE ? GRAPHQL_RESPONSE_TYPE : 'application/json';
}

/** One GraphQL-shaped error response, in the media type the client accepts. */
export function sendError(req: express.Request, res: express.Response, status: number, message: string, extensions: Record<string, unknown>): void {
  res
    .status(status)
    .type(`${errorMediaType(req)}; charset=utf-8`)
    .send(JSON.stringify({ errors: [{ message, extensions }] }));
}

/**
 * The body parser of /graphql: JSON up to `maxRequestBytes` (checked against Content-Length
 * before reading, and while reading). Bodies that are not JSON are left empty so that Apollo
 * answers them (CSRF refusal, 400) instead of the integration's 500 for a missing body.
 */
export function graphqlBody(limits: Pick<GraphQLLimitsConfig, 'maxRequestBytes' | 'maxBatch'>): RequestHandler[] {
  const json = express.json({ limit: limits.maxRequestBytes });
  return [
    json,
    (req, _res, next) => {
      if (req.body === undefined) req.body = {};
      next();
    },
    (req, res, next) => {
      if (Array.isArray(req.body) && req.body.length > limits.maxBatch) {
        const error = new QueryLimitError('GRAPHQL_MAX_BATCH', limits.maxBatch, req.body.length, 'Number of operations in the batch');
        return sendError(req, res, 400, error.message, { code: error.code, ...error.details() });
      }
      next();
    },
  ];
}

/**
 * Bounds how long a GraphQL request over HTTP may take: one that has not been answered within
 * `seconds` (REQUEST_TIMEOUT_SECONDS) gets 503 UNAVAILABLE with Retry-After and its request id,
 * and whatever it produces later is dropped — a client never hangs on a stuck dependency. Work
 * already committed stays committed; a mutation retried with its idempotency key is recorded once.
 */
export function requestTimeout(seconds: number, logger: Logger): RequestHandler {
  return (req, res, next) => {
    const timer = setTimeout(() => {
      if (res.headersSent) return;
      const requestId = requestScope.getStore()?.requestId;
      logger.warn({ requestId, timeoutSeconds: seconds }, 'a request took longer than REQUEST_TIMEOUT_SECONDS; answering UNAVAILABLE');
      res.setHeader('Retry-After', String(ServiceUnavailableError.RETRY_AFTER_SECONDS));
      const error = new ServiceUnavailableError(`The request took longer than ${seconds} s (REQUEST_TIMEOUT_SECONDS); try again`);
      sendError(req, res, 503, error.message, { code: error.code, ...error.details(), ...(requestId ? { requestId } : {}) });
      muteLaterWrites(res);
    }, seconds * 1000);
    const done = () => clearTimeout(timer);
    res.once('finish', done);
    res.once('close', done);
    next();
  };
}

/** After a timeout answered the request, the request's own late answer has nowhere to go. */
function muteLaterWrites(res: express.Response): void {
  res.setHeader = () => res;
  res.writeHead = () => res;
  res.write = () => true;
  res.end = () => res;
}

/** Turns body-parser's errors (too large, bad JSON, bad charset) and anything unexpected into GraphQL-shaped JSON. */
export function graphqlErrorResponder(logger: Logger, limits: Pick<GraphQLLimitsConfig, 'maxRequestBytes'>): ErrorRequestHandler {
  return (error: unknown, req, res, next) => {
    if (res.headersSent) return next(error);
    const e = error as { type?: string; status?: number };
    if (e.type === 'entity.too.large') {
      const message = `Request body exceeds the limit of ${limits.maxRequestBytes} bytes (GRAPHQL_MAX_REQUEST_BYTES)`;
      return sendError(req, res, 413, message, { code: 'PAYLOAD_TOO_LARGE', limit: 'GRAPHQL_MAX_REQUEST_BYTES', max: limits.maxRequestBytes, actual: null });
    }
    if (e.type === 'entity.parse.failed') return sendError(req, res, 400, 'The request body is not valid JSON', { code: 'BAD_REQUEST' });
    if (typeof e.status === 'number' && e.status >= 400 && e.status < 500) {
      return sendError(req, res, e.status, 'The request body cannot be read (unsupported charset or encoding, or it ended early)', { code: 'BAD_REQUEST' });
    }
    const requestId = requestScope.getStore()?.requestId;
    if (isDatabaseUnavailable(error)) {
      // As inside GraphQL: an unreachable database is "try again", never a 500.
      logger.warn({ err: (error as Error).message, requestId }, 'the database is unreachable; answering UNAVAILABLE');
      const unavailable = new ServiceUnavailableError();
      res.setHeader('Retry-After', String(ServiceUnavailableError.RETRY_AFTER_SECONDS));
      return sendError(req, res, 503, unavailable.message, { code: unavailable.code, ...unavailable.details(), ...(requestId ? { requestId } : {}) });
    }
    logger.error({ err: error, requestId }, 'unexpected error serving an HTTP request');
    return sendError(req, res, 500, 'Internal server error', { code: 'INTERNAL_SERVER_ERROR', ...(requestId ? { requestId } : {}) });
  };
}
