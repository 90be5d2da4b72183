import type { IncomingMessage, ServerResponse } from 'node:http';
import { ServiceUnavailableError } from '../errors/app-errors.js';
import { errorMediaType } from './http-guards.js';

/**
 * What the gateway's port answers while the process waits for PostgreSQL or Redis: `/healthz`
 * 200 (the process is up), `/readyz` 503 naming what it waits for, and every GraphQL request
 * 503 UNAVAILABLE with Retry-After — so load balancers keep it out of rotation, and a client
 * that calls early gets a retryable answer instead of a refused connection. Nothing is read
 * or authenticated (there is no database yet), so nothing but dependency names is shown.
 */
export function startingResponder(waitingFor: () => string[]): (req: IncomingMessage, res: ServerResponse) => void {
  return (req, res) => {
    const path = (req.url ?? '/').split('?', 1)[0];
    const json = (status: number, body: unknown, headers: Record<string, string> = {}) => {
      res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store', ...headers });
      res.end(JSON.stringify(body));
    };
    if (path === '/healthz') return json(200, { status: 'starting' });
    const waiting = waitingFor();
    if (path === '/readyz') return json(503, { ready: false, starting: true, waitingFor: waiting });
    const error = new ServiceUnavailableError(`Flowgate is starting: waiting for ${waiting.join(' and ') || 'its dependencies'}; try again shortly`);
    json(
      503,
      { errors: [{ message: error.message, extensions: { code: error.code, ...error.details() } }] },
      {
        'retry-after': String(ServiceUnavailableError.RETRY_AFTER_SECONDS),
        'content-type': `${errorMediaType(req)}; charset=utf-8`,
      },
    );
  };
}
