import type { RequestHandler } from 'express';
import { startServerSpan, withContext } from '../observability/tracing.js';

/**
 * A SERVER span around every GraphQL request over HTTP (continuing the client's `traceparent`),
 * active for everything the request runs: the GraphQL plugin names it after the operation, and
 * the jobs the request enqueues carry it on. A no-op while tracing is off.
 */
export function traceGraphqlRequests(): RequestHandler {
  return (req, res, next) => {
    const { span, context } = startServerSpan(`${req.method} /graphql`, req.headers, {
      'http.request.method': req.method,
      'url.path': '/graphql',
      'flowgate.request.id': String(req.headers['x-request-id'] ?? ''),
    });
    res.once('finish', () => {
      span.setAttribute('http.response.status_code', res.statusCode);
      span.end();
    });
    res.once('close', () => span.end());
    withContext(context, [req, res], next);
  };
}
