import type { ApolloServerPlugin } from '@apollo/server';
import { type DocumentNode, type ExecutionArgs, type ExecutionResult, getOperationAST, GraphQLError, Kind, OperationTypeNode, type SelectionSetNode } from 'graphql';
import { RateLimiterRedis, RateLimiterRes } from 'rate-limiter-flexible';
import type { RateLimitsConfig } from '../config/config.js';
import { RateLimitedError, type RateLimitName } from '../errors/limit-errors.js';
import type { Logger } from '../logging/logger.js';
import type { RedisClient } from '../redis/redis-connections.js';
import type { GatewayContext } from './context.js';

/**
 * The one place that says who a request is counted against: the authenticated caller
 * (`apikey:<name>` or `jwt:<sub>`), so a client cannot dodge its allowance by renaming itself.
 */
export function callerKeyOf(ctx: GatewayContext): string {
  return `caller:${ctx.caller.id}`;
}

export interface RateLimiterOptions {
  /** The process's shared command connection; counters live in Redis so every gateway process sees them. */
  redis: RedisClient;
  /**
   * Key prefix of the counters, e.g. the deployment's namespace. Without a hash tag: on a cluster
   * each caller's counters then hash to their own slot, spread over the shards.
   */
  keyPrefix: string;
  limits: RateLimitsConfig;
  logger: Logger;
}

/** How many root fields of each limited kind an operation runs. */
export function limitedFieldCounts(document: DocumentNode, operationName: string | null | undefined): { mutations: number; explore: number } {
  const operation = getOperationAST(document, operationName ?? undefined);
  if (!operation) return { mutations: 0, explore: 0 };
  const fragments = new Map(document.definitions.flatMap((d) => (d.kind === Kind.FRAGMENT_DEFINITION ? [[d.name.value, d] as const] : [])));
  const names: string[] = [];
  const seen = new Set<string>();
  const collect = (set: SelectionSetNode) => {
    for (const selection of set.selections) {
      if (selection.kind === Kind.FIELD) names.push(selection.name.value);
      else if (selection.kind === Kind.INLINE_FRAGMENT) collect(selection.selectionSet);
      else if (!seen.has(selection.name.value)) {
        seen.add(selection.name.value);
        const fragment = fragments.get(selection.name.value);
        if (fragment) collect(fragment.selectionSet);
      }
    }
  };
  collect(operation.selectionSet);
  const real = names.filter((n) => !n.startsWith('__'));
  return {
    mutations: operation.operation === OperationTypeNode.MUTATION ? real.length : 0,
    explore: operation.operation === OperationTypeNode.QUERY ? real.filter((n) => n === 'explore').length : 0,
  };
}

/**
 * Per-caller allowances per minute, counted in Redis (rate-limiter-flexible): mutation fields
 * and `explore` calls. If Redis cannot be reached the request is let through (and logged):
 * the limits protect capacity, and Redis being down must not take the API down with it.
 */
export class CallerRateLimiter {
  private readonly mutations: RateLimiterRedis;
  private readonly explore: RateLimiterRedis;

  constructor(private readonly options: RateLimiterOptions) {
    const { redis, keyPrefix, limits } = options;
    this.mutations = new RateLimiterRedis({ storeClient: redis, keyPrefix: `${keyPrefix}:ratelimit:mutations`, points: limits.mutationsPerMinute, duration: 60 });
    this.explore = new RateLimiterRedis({ storeClient: redis, keyPrefix: `${keyPrefix}:ratelimit:explore`, points: limits.explorePerMinute, duration: 60 });
  }

  /** Counts the operation against the caller; throws RATE_LIMITED when an allowance is used up. */
  async consume(ctx: GatewayContext, document: DocumentNode, operationName: string | null | undefined): Promise<void> {
    const counts = limitedFieldCounts(document, operationName);
    const key = callerKeyOf(ctx);
    if (counts.mutations > 0) await this.take(this.mutations, key, counts.mutations, 'RATE_LIMIT_MUTATIONS_PER_MINUTE', this.options.limits.mutationsPerMinute);
    if (counts.explore > 0) await this.take(this.explore, key, counts.explore, 'RATE_LIMIT_EXPLORE_PER_MINUTE', this.options.limits.explorePerMinute);
  }

  private async take(limiter: RateLimiterRedis, key: string, points: number, limit: RateLimitName, max: number): Promise<void> {
    try {
      await limiter.consume(key, points);
    } catch (rejection) {
      if (rejection instanceof RateLimiterRes) throw new RateLimitedError(limit, max, Math.max(1, Math.ceil(rejection.msBeforeNext / 1000)));
      this.options.logger.warn({ err: rejection instanceof Error ? rejection.message : String(rejection), limit }, 'rate limit not checked: Redis unavailable');
    }
  }

  /** Apollo plugin: counts each operation once it is resolved (before execution). */
  plugin(): ApolloServerPlugin<GatewayContext> {
    return {
      requestDidStart: async () => ({
        didResolveOperation: async ({ contextValue, document, operationName }) => {
          await this.consume(contextValue, document, operationName);
        },
      }),
    };
  }

  /** Wraps graphql-ws's `execute` (queries and mutations over WebSocket) with the same counting. */
  wrapExecute(execute: (args: ExecutionArgs) => Promise<ExecutionResult> | ExecutionResult) {
    return async (args: ExecutionArgs): Promise<ExecutionResult> => {
      try {
        await this.consume(args.contextValue as GatewayContext, args.document, args.operationName);
      } catch (error) {
        if (error instanceof RateLimitedError) return { errors: [new GraphQLError(error.message, { originalError: error })] };
        throw error;
      }
      return execute(args);
    };
  }
}
