import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { FlowgateMetrics } from './metrics.js';

export interface MetricsServerOptions {
  metrics: FlowgateMetrics;
  /** The port (METRICS_PORT); 0 asks the system for a free one (METRICS_PORT=any). */
  port: number;
  /** Interface to listen on (METRICS_HOST). Default all (`0.0.0.0`). */
  host?: string;
}

export interface RunningMetricsServer {
  /** `http://127.0.0.1:<port>/metrics`. */
  url: string;
  port: number;
  stop(): Promise<void>;
}

/**
 * Serves `GET /metrics` in Prometheus's text format on its own port, apart from the API (so the
 * metrics are not exposed with it: a network policy or firewall lets only Prometheus in). Fails
 * to start when the port is taken: two processes on one port would have Prometheus scrape one
 * of them under the other's name.
 */
export async function startMetricsServer(options: MetricsServerOptions): Promise<RunningMetricsServer> {
  const server: Server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?', 1)[0];
    if (path !== '/metrics' || (req.method !== 'GET' && req.method !== 'HEAD')) {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found: metrics are on GET /metrics\n');
      return;
    }
    options.metrics.exposition().then(
      ({ contentType, text }) => {
        res.writeHead(200, { 'content-type': contentType, 'cache-control': 'no-store' }).end(req.method === 'HEAD' ? undefined : text);
      },
      (error: unknown) => {
        res.writeHead(500, { 'content-type': 'text/plain' }).end(`metrics could not be collected: ${(error as Error).message}\n`);
      },
    );
  });
  // Prometheus keeps its connection open between scrapes; idle sockets must not hold shutdown.
  server.keepAliveTimeout = 65_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', (error: NodeJS.ErrnoException) =>
      reject(error.code === 'EADDRINUSE' ? new Error(`METRICS_PORT ${options.port} is already in use: give each process on this machine its own METRICS_PORT (or 0 to turn metrics off)`) : error),
    );
    server.listen(options.port, options.host ?? '0.0.0.0', () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}/metrics`,
    port,
    stop: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
