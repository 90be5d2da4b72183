import type { IncomingHttpHeaders } from 'node:http';
import type { RequestHandler } from 'express';

/**
 * Cross-origin access for browser apps (CORS) and the matching check on WebSocket upgrades.
 * Credentials travel in headers (`Authorization`, `x-api-key`), never in cookies, so answers never
 * carry `Access-Control-Allow-Credentials`, and a preflight is answered before authentication
 * (browsers send preflights without credentials).
 */

/** Request headers a browser app may send. */
export const CORS_ALLOWED_HEADERS = ['authorization', 'content-type', 'x-api-key', 'x-sandbox-name', 'x-request-id', 'apollo-require-preflight', 'x-apollo-operation-name'];
/** Response headers a browser app may read besides the safelisted ones. */
export const CORS_EXPOSED_HEADERS = ['x-request-id', 'retry-after', 'www-authenticate'];
const ALLOWED_METHODS = 'GET, POST, OPTIONS';
/** How long a browser may reuse a preflight's answer (seconds). */
export const CORS_MAX_AGE_SECONDS = 600;

const LOOPBACK_WILDCARD = /^(http:\/\/(?:localhost|127\.0\.0\.1|\[::1\])):\*$/;

/**
 * Whether an origin is in the allowed list: exact matches, plus `http://localhost:*`-style entries
 * that match that loopback host on any port (and without one).
 */
export function originAllowed(origin: string, allowed: readonly string[]): boolean {
  for (const entry of allowed) {
    if (entry === origin) return true;
    const wildcard = LOOPBACK_WILDCARD.exec(entry);
    if (wildcard && (origin === wildcard[1] || (origin.startsWith(`${wildcard[1]}:`) && /^\d{1,5}$/.test(origin.slice(wildcard[1]!.length + 1))))) return true;
  }
  return false;
}

/** True when the Origin is the gateway's own (a page it served, such as Apollo's landing page): not cross-origin at all. */
export function sameOrigin(origin: string, headers: IncomingHttpHeaders): boolean {
  try {
    return new URL(origin).host === headers.host;
  } catch {
    return false;
  }
}

/** Whether a request (or WebSocket upgrade) with these headers comes from an origin that may call the API. */
export function requestOriginAllowed(headers: IncomingHttpHeaders, allowed: readonly string[]): boolean {
  const origin = headers.origin;
  // No Origin: not a browser's cross-origin request (curl, Node clients, server to server).
  if (origin === undefined) return true;
  return sameOrigin(origin, headers) || originAllowed(origin, allowed);
}

/**
 * Express middleware, in front of everything else: answers preflights (204, without looking at
 * credentials) and adds `Access-Control-Allow-Origin` to the answers of allowed origins. A
 * disallowed origin gets no `Access-Control-*` header, so the browser keeps the answer from the page.
 */
export function corsMiddleware(options: { origins: readonly string[] }): RequestHandler {
  const allowHeaders = CORS_ALLOWED_HEADERS.join(', ');
  const exposeHeaders = CORS_EXPOSED_HEADERS.join(', ');
  return (req, res, next) => {
    const origin = req.headers.origin;
    const allowed = origin !== undefined && originAllowed(origin, options.origins);
    // The answer depends on the Origin: shared caches must keep one per origin.
    if (origin !== undefined) res.vary('Origin');
    const preflight = req.method === 'OPTIONS' && req.headers['access-control-request-method'] !== undefined;
    if (preflight) {
      if (allowed) {
        res.setHeader('Access-Control-Allow-Origin', origin);
        res.setHeader('Access-Control-Allow-Methods', ALLOWED_METHODS);
        res.setHeader('Access-Control-Allow-Headers', allowHeaders);
        res.setHeader('Access-Control-Max-Age', String(CORS_MAX_AGE_SECONDS));
      }
      res.status(204).end();
      return;
    }
    if (allowed) {
      res.setHeader('Access-Control-Allow-Origin', origin);
      res.setHeader('Access-Control-Expose-Headers', exposeHeaders);
    }
    next();
  };
}
