import type { ImsTokenProvider } from '../platform/ims-token-provider.js';
import type { Store } from '../store/store.js';

/** The dependencies `/readyz` checks, by their key in `checks`, with the name it reports them under. */
export const DEPENDENCIES = { database: 'PostgreSQL', redis: 'Redis', platform: 'Platform token' } as const;

export interface DependencyCheck {
  ok: boolean;
  /** The dependency's name: `PostgreSQL`, `Redis` or `Platform token`. */
  dependency: string;
  /** Why it is not ready (the probe's error, at most 200 characters). */
  error?: string;
}

export interface ReadinessReport {
  ready: boolean;
  /** The names of the dependencies that are not ready, e.g. `["Platform token"]` (empty when ready). */
  notReady: string[];
  checks: Record<keyof typeof DEPENDENCIES, DependencyCheck>;
}

/**
 * `/readyz`: can this process do its job? Database and Redis answer, and the process holds a
 * Platform token that has not expired — or, when it holds none, IMS issues one (which proves
 * credentials and reachability). A valid token counts as ready while IMS is down: Platform calls
 * keep using it until it expires, so a load balancer must not take the process out for an IMS
 * outage. Results are reused for a few seconds so probes don't hammer the Platform. The metrics'
 * `flowgate_dependency_ready` gauges read the same report (in workers too).
 */
export class ReadinessCheck {
  private last: { at: number; report: Promise<ReadinessReport> } | null = null;

  constructor(
    /** `redis` answers and is what the configuration says (a cluster-mode mismatch is reported in words). */
    private readonly deps: { store: Pick<Store, 'ping'>; redis: () => Promise<unknown>; platform: { tokens: Pick<ImsTokenProvider, 'getToken' | 'hasValidToken'> } },
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
    const probe = async (dependency: string, fn: () => Promise<unknown>): Promise<DependencyCheck> => {
      try {
        await withTimeout(fn(), 3000);
        return { ok: true, dependency };
      } catch (error) {
        return { ok: false, dependency, error: (error as Error).message.slice(0, 200) };
      }
    };
    const [database, redis, platform] = await Promise.all([
      probe(DEPENDENCIES.database, () => this.deps.store.ping()),
      probe(DEPENDENCIES.redis, () => this.deps.redis()),
      probe(DEPENDENCIES.platform, async () => {
        // A refresh due soon is the Platform calls' business: they still have a token.
        if (!this.deps.platform.tokens.hasValidToken()) await this.deps.platform.tokens.getToken();
      }),
    ]);
    const checks = { database, redis, platform };
    const notReady = Object.values(checks)
      .filter((c) => !c.ok)
      .map((c) => c.dependency);
    return { ready: notReady.length === 0, notReady, checks };
  }
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  return Promise.race([promise, new Promise<T>((_, reject) => setTimeout(() => reject(new Error(`timed out after ${ms} ms`)), ms).unref())]);
}
