import { PlatformProtocolError } from './platform-errors.js';
import type { PlatformHttp } from './platform-http.js';

/** Options of a service client. */
export interface ServiceClientOptions {
  http: PlatformHttp;
  /** Page size of list calls; default 100 (capped where the service serves smaller pages). */
  pageSize?: number;
}

/**
 * What the typed client of each Platform service shares: the HTTP core, the page size of its
 * lists, and the error for an answer it cannot read.
 */
export abstract class ServiceClient {
  protected readonly http: PlatformHttp;
  protected readonly pageSize: number;

  /** `servicePath`: where the service's paths start, e.g. `/data/foundation/catalog`; `maxPageSize`: the largest page it serves. */
  protected constructor(
    options: ServiceClientOptions,
    private readonly servicePath: string,
    maxPageSize = Infinity,
  ) {
    this.http = options.http;
    this.pageSize = Math.min(options.pageSize ?? 100, maxPageSize);
  }

  /** A 2xx answer to `method path` (below the service path) that is not the documented shape. */
  protected protocolError(method: string, path: string, requestId: string, problem: string): PlatformProtocolError {
    return new PlatformProtocolError({ call: { method, path: `${this.servicePath}${path}`, requestId }, problem });
  }
}
