import type { RequestHandler } from 'express';
import type { FlowgateMetrics } from '../observability/metrics.js';

/** The routes the gateway serves, as metric labels (anything else is `other`: no path from a client becomes a label). */
const ROUTES = ['/graphql', '/healthz', '/readyz', '/admin/queues', '/admin/sign-in', '/admin/sign-out'] as const;

function routeOf(path: string): string {
  for (const route of ROUTES) if (path === route || path.startsWith(`${route}/`)) return route;
  return 'other';
}

/** Times every HTTP request into `flowgate_http_request_duration_seconds` (refusals before GraphQL included). */
export function httpMetrics(metrics: FlowgateMetrics): RequestHandler {
  return (req, res, next) => {
    const startedAt = performance.now();
    // Read now: a mounted router (`app.use('/graphql', …)`) strips its prefix from the path.
    const route = routeOf(req.path);
    res.once('finish', () => {
      metrics.httpRequest(route, req.method === 'GET' || req.method === 'POST' ? req.method : 'other', res.statusCode, (performance.now() - startedAt) / 1000);
    });
    next();
  };
}
