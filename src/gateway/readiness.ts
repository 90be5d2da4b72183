import type { PlatformClient } from '../platform/platform-client.js';
import type { Store } from '../store/store.js';

export interface ReadinessReport {
  ready: boolean;
  checks: Record<string, { ok: boolean; error?: string }>;
}

/**
 * `/readyz`: can this process do its job? Database and Redis answer, and the Platform's IMS
 * issues a token (which proves credentials and reachability). Results are reused for a few
 * seconds so probes don't hammer the Platform.
 */
export class ReadinessCheck {
  private last: { at: number; report: Promise<ReadinessReport> } | null = null;

  constructor(
    /** `redis` answers and is what the configuration says (a cluster-mode mismatch is reported in words). */
    private readonly deps: { store: Store; redis: () => Promise<unknown>; platform: PlatformClient },
    private readonly cacheMs = 5000,
  ) {}

  check(): Promise<ReadinessReport> {
    const now = Date.now();
    if (this.last && now - this.last.at < this.cacheMs) return this.last.report;
    const report = this.run();
    this.last = { at: now, report };
    return report;
  }

  private async run(): Promise<ReadinessReport> {
    const probe = async (fn: () => Promise<unknown>) => {
      try {
        await withTimeout(fn(), 3000);
        return { ok: true };
      } catch (error) {
        return { ok: false, error: (error as Error).message.slice(0, 200) };
      }
    };
    const [database, redis, platform] = await Promise.all([probe(() => this.deps.store.ping()), probe(() => this.deps.redis()), probe(() => this.deps.platform.tokens.getToken())]);
    return { ready: database.ok && redis.ok && platform.ok, checks: { database, redis, platform } };
  }
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  return Promise.race([promise, new Promise<T>((_, reject) => setTimeout(() => reject(new Error(`timed out after ${ms} ms`)), ms).unref())]);
}
