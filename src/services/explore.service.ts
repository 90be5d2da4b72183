import type { StripeResourcePath } from '../domain/resource-types.js';
import { PreconditionError } from '../errors/app-errors.js';
import type { ExploreResult } from '../platform/flow-service.client.js';
import type { PlatformClient } from '../platform/platform-client.js';
import type { Resource } from '../store/resource.store.js';

export interface ExploreServiceOptions {
  platform: PlatformClient;
  /** How long a result is reused; 0 disables the cache. */
  ttlSeconds: number;
  /** Bound on cached entries. Default 500. */
  maxEntries?: number;
}

/**
 * Explore is the one read that reaches the Platform synchronously (a UI shows the source schema
 * while the user builds a mapping). Results are cached briefly per connection, resource and
 * preview flag, because the schema of a Stripe resource does not change between two clicks.
 */
export class ExploreService {
  private readonly cache = new Map<string, { at: number; result: Promise<ExploreResult> }>();

  constructor(private readonly options: ExploreServiceOptions) {}

  async explore(connection: Resource, resource: StripeResourcePath, preview: boolean, requestId?: string): Promise<ExploreResult> {
    if (!connection.platformId) {
      throw new PreconditionError(`connection ${connection.id} is not created on the Platform yet (state ${connection.state})`, 'connectionId');
    }
    const key = `${connection.sandbox}|${connection.platformId}|${resource}|${preview}`;
    const now = Date.now();
    const cached = this.cache.get(key);
    if (cached && now - cached.at < this.options.ttlSeconds * 1000) return cached.result;

    const result = this.options.platform.flowService.explore(connection.platformId, resource, { preview }, { sandbox: connection.sandbox, requestId });
    if (this.options.ttlSeconds > 0) {
      this.cache.set(key, { at: now, result });
      result.catch(() => this.cache.delete(key));
      if (this.cache.size > (this.options.maxEntries ?? 500)) this.cache.delete(this.cache.keys().next().value as string);
    }
    return result;
  }

  /** Forgets cached results of a connection (its credentials changed). */
  forget(connectionPlatformId: string): void {
    for (const key of this.cache.keys()) if (key.includes(`|${connectionPlatformId}|`)) this.cache.delete(key);
  }
}
