import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import secureJson from 'secure-json-parse';
import { randomUUID } from 'node:crypto';
import type { EmulatorContext, PlatformCall } from '../context.js';
import { PlatformHttpError } from '../errors/platform-error.js';
import { familyErrors } from './family-errors.js';
import { checkPlatformCall } from './gateway-checks.js';
import { parseQueryString } from './query-values.js';
import { redactQuery } from './request-log.js';
import { isPlatformFamily, serviceFamilyOf, type ServiceFamily } from './service-family.js';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** The route accepts a POST/PUT without a body (e.g. `/flows/{id}/action`). */
    bodyOptional?: boolean;
  }
  interface FastifyRequest {
    family: ServiceFamily;
    platform: PlatformCall | null;
    appliedFault: { id: number; mode: string } | null;
    dropAfterCommit: boolean;
    arrivedAt: string;
  }
}

/** Marks a body error so the error handler can answer in the right service's shape. */
class EmptyBodyError extends Error {}

/**
 * Builds the HTTP application: body parsing, the fault and gateway checks every request goes
 * through, error mapping, the request log. Services register their routes on it afterwards.
 */
export function buildHttpApp(ctx: EmulatorContext): FastifyInstance {
  const app = Fastify({
    logger: false,
    bodyLimit: ctx.options.bodyLimitBytes,
    // Flow Service documents `/connections/{id}/` (trailing slash) next to `/connections/{id}`.
    // A repeated parameter with the same value counts once (see query-values.ts).
    routerOptions: { ignoreTrailingSlash: true, maxParamLength: 500, querystringParser: parseQueryString },
    // Echo the caller's x-request-id (Adobe's gateway does) so client and emulator logs correlate.
    genReqId: (req) => {
      const given = req.headers['x-request-id'];
      return typeof given === 'string' && /^[\w.:-]{1,100}$/.test(given) ? given : randomUUID();
    },
    // Tests and the gateway keep connections alive; close idle ones promptly on stop.
    forceCloseConnections: true,
  });

  app.decorateRequest('family', 'unknown');
  app.decorateRequest('platform', null);
  app.decorateRequest('appliedFault', null);
  app.decorateRequest('dropAfterCommit', false);
  app.decorateRequest('arrivedAt', '');

  app.removeAllContentTypeParsers();
  app.addContentTypeParser(['application/json', 'application/json-patch+json'], { parseAs: 'string' }, (request, body, done) => {
    const text = body as string;
    if (text.trim() === '') {
      // Body-less POSTs (`/flows/{id}/action`) and DELETEs are legal; an empty create/patch is not.
      if (request.method === 'DELETE' || request.routeOptions.config?.bodyOptional) return done(null, undefined);
      return done(new EmptyBodyError('empty body'));
    }
    try {
      done(null, secureJson.parse(text, undefined, { protoAction: 'error', constructorAction: 'error' }));
    } catch (error) {
      done(familyErrors.malformedJson((error as Error).message));
    }
  });
  app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string' }, (_request, body, done) => {
    done(null, Object.fromEntries(new URLSearchParams(body as string)));
  });

  app.addHook('onRequest', async (request, reply) => {
    const path = pathOf(request.url);
    request.arrivedAt = new Date().toISOString();
    request.family = serviceFamilyOf(path);
    reply.header('x-request-id', request.id);
    if (request.family === 'control' || request.family === 'unknown') return;

    const fault = ctx.faults.decide(request.method, path);
    if (fault) {
      request.appliedFault = { id: fault.id, mode: fault.mode };
      if (fault.latencyMs > 0) await sleep(fault.latencyMs);
      if (fault.mode === 'error') {
        const error = familyErrors.injected(request.family, fault.status ?? 503, ctx.clock.nowMs());
        if (fault.retryAfterSeconds !== null) error.headers['retry-after'] = String(fault.retryAfterSeconds);
        throw error;
      }
      if (fault.mode === 'reset') {
        logRequest(ctx, request, 0, reply.elapsedTime);
        reply.hijack();
        request.raw.socket.destroy();
        return;
      }
      if (fault.mode === 'commit-then-drop') request.dropAfterCommit = true;
    }
    if (isPlatformFamily(request.family)) {
      request.platform = checkPlatformCall(ctx, request, request.family);
      // Time is evaluated lazily: bring scheduled runs up to the clock before any Platform read or write.
      ctx.runs.catchUp();
    }
  });

  app.addHook('onSend', async (request, reply, payload) => {
    // The answer leaves only once the state it reports is saved, so a restart never forgets what
    // a client was told exists. A failed save is logged and retried with the next request.
    if (ctx.persistence) {
      try {
        await ctx.persistence.saveAfter(request.method);
      } catch (error) {
        console.error(`[emulator] saving the state to the ${ctx.persistence.description} failed (retried with the next request): ${(error as Error).message}`);
      }
    }
    if (request.dropAfterCommit) {
      // The handler has already changed state; the client just never hears about it.
      logRequest(ctx, request, reply.statusCode, reply.elapsedTime);
      request.raw.socket.destroy();
    }
    return payload;
  });

  app.addHook('onResponse', async (request, reply) => {
    if (!request.dropAfterCommit) logRequest(ctx, request, reply.statusCode, reply.elapsedTime);
  });

  app.setNotFoundHandler(async (request) => {
    throw familyErrors.routeNotFound(request.method, pathOf(request.url));
  });

  app.setErrorHandler(async (error, request, reply) => {
    const platformError = toPlatformError(ctx, request, error);
    return sendPlatformError(reply, platformError);
  });

  return app;
}

export function sendPlatformError(reply: FastifyReply, error: PlatformHttpError): FastifyReply {
  reply.code(error.status);
  for (const [name, value] of Object.entries(error.headers)) reply.header(name, value);
  return reply.send(error.body);
}

function toPlatformError(ctx: EmulatorContext, request: FastifyRequest, error: unknown): PlatformHttpError {
  if (error instanceof PlatformHttpError) return error;
  if (error instanceof EmptyBodyError) return familyErrors.emptyBody(request.family, ctx.clock.nowMs());
  const code = (error as { code?: string }).code;
  const statusCode = (error as { statusCode?: number }).statusCode;
  switch (code) {
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
    case 'FST_ERR_CTP_INVALID_TYPE':
      return familyErrors.contentType();
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return familyErrors.tooLarge(ctx.options.bodyLimitBytes);
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return familyErrors.emptyBody(request.family, ctx.clock.nowMs());
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
      return familyErrors.malformedJson((error as Error).message);
  }
  if (statusCode && statusCode >= 400 && statusCode < 500) {
    return new PlatformHttpError(statusCode, { type: '/placeholder/type/uri', status: statusCode, title: 'BadRequestError', detail: (error as Error).message });
  }
  console.error(`[emulator] unhandled error on ${request.method} ${pathOf(request.url)} (request ${request.id}):`, error);
  return familyErrors.internal(request.family, ctx.clock.nowMs());
}

/** A request URL without its query string. */
function pathOf(url: string): string {
  // split always yields at least one element, the text before the first '?'.
  return url.split('?')[0]!;
}

function logRequest(ctx: EmulatorContext, request: FastifyRequest, status: number, elapsedMs: number): void {
  const [, search = ''] = request.url.split('?');
  const path = pathOf(request.url);
  ctx.requestLog.add({
    method: request.method,
    path,
    query: redactQuery(search),
    status,
    time: request.arrivedAt || new Date().toISOString(),
    durationMs: Math.round(elapsedMs * 10) / 10,
    sandbox: request.platform?.sandboxName ?? null,
    requestId: String(request.id),
    clientPort: request.socket.remotePort ?? null,
    ...(request.appliedFault ? { fault: request.appliedFault } : {}),
  });
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
