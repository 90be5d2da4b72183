import { randomUUID } from 'node:crypto';
import type { PlatformLogger } from './platform-logger.js';
import { abortableSleep } from './sleep.js';

/**
 * The Platform throttles per IMS org (429). A call budget shares one allowance of Platform calls
 * per org and sandbox between every process that calls the Platform, so many onboardings at once
 * queue here instead of tripping the throttle; and a 429's `Retry-After` pauses that org's calls
 * on every process, not only in the job that got it.
 */
export interface CallBudget {
  /** Resolves when a call to `sandbox` may be sent now (one call is counted). Rejects only with the signal's reason. */
  acquire(sandbox: string, signal?: AbortSignal): Promise<void>;
  /** No call to `sandbox` is sent by anyone for `ms` (a 429's `Retry-After`); a longer pause already set stays. */
  pause(sandbox: string, ms: number): Promise<void>;
}

/** The Redis commands a shared budget needs (ioredis' `Redis` and `Cluster` both have them). */
export interface BudgetRedis {
  eval(script: string, numKeys: number, ...args: (string | number)[]): Promise<unknown>;
  /** ioredis' connection status: anything but `ready` means the budget is not asked at all. */
  readonly status?: string;
}

/** Options of `RedisCallBudget`. */
export interface RedisCallBudgetOptions {
  redis: BudgetRedis;
  /** Calls per second per org and sandbox (AEP_MAX_CALLS_PER_SECOND). */
  callsPerSecond: number;
  /** `x-gw-ims-org-id`: part of every key. */
  orgId: string;
  /** Keeps deployments sharing a Redis apart (the queue prefix). Default `flowgate`. */
  prefix?: string;
  /**
   * Added to the one-second window (default 150 ms): a call is counted when it is let go, and
   * reaches the Platform some milliseconds later, by a delay that varies with the load of both
   * ends; without a margin two calls a second apart here could arrive less than a second apart there.
   */
  marginMs?: number;
  /** How long a Redis answer is waited for before the call goes ahead uncounted (default 1 s). */
  redisTimeoutMs?: number;
  logger?: PlatformLogger;
}

/**
 * One atomic step of the sliding-window limiter, on Redis' clock (the same for every process):
 * 0 when the call may go (and it is recorded), otherwise how many ms to wait before asking again.
 * KEYS: the window (a sorted set of call times), the pause (a time until which nothing goes).
 */
const ACQUIRE = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local paused = tonumber(redis.call('GET', KEYS[2]) or '0')
if paused > now then return paused - now end
local limit = tonumber(ARGV[1])
local window = tonumber(ARGV[2])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - window)
if redis.call('ZCARD', KEYS[1]) < limit then
  redis.call('ZADD', KEYS[1], now, ARGV[3])
  redis.call('PEXPIRE', KEYS[1], window)
  return 0
end
local oldest = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
return math.max(1, tonumber(oldest[2]) + window - now + 1)
`;

/**
 * Moves a granted call's entry to the moment it is sent (Redis' clock now), if it is still in
 * the window. A process may be held up between Redis granting a call and reading the answer (a
 * busy machine deschedules it); counting the send instead of the grant keeps the window true to
 * what the Platform sees. ARGV: the entry, the window in ms.
 */
const SENT = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
if redis.call('ZSCORE', KEYS[1], ARGV[1]) then
  redis.call('ZADD', KEYS[1], 'XX', now, ARGV[1])
  redis.call('PEXPIRE', KEYS[1], tonumber(ARGV[2]))
end
return now
`;

/** Sets the pause unless a later one is set. ARGV: the pause in ms. */
const PAUSE = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local untilMs = now + tonumber(ARGV[1])
local current = tonumber(redis.call('GET', KEYS[1]) or '0')
if untilMs > current then redis.call('SET', KEYS[1], untilMs, 'PX', tonumber(ARGV[1])) end
return untilMs
`;

/**
 * A call budget kept in Redis: at most `callsPerSecond` calls per org and sandbox in any window of
 * one second (plus the margin), counted across every process, each call at the moment it is sent. Both keys of an org and sandbox
 * share a hash tag (one Cluster slot). If Redis cannot answer, calls go ahead (logged): the
 * Platform's own throttle, and the client's retries of its 429s, still hold.
 */
export class RedisCallBudget implements CallBudget {
  private readonly windowMs: number;
  private readonly redisTimeoutMs: number;
  private readonly prefix: string;
  private lastWarnedAt = 0;

  constructor(private readonly options: RedisCallBudgetOptions) {
    if (!Number.isInteger(options.callsPerSecond) || options.callsPerSecond < 1) throw new RangeError('callsPerSecond must be an integer ≥ 1');
    this.windowMs = 1000 + (options.marginMs ?? 150);
    this.redisTimeoutMs = options.redisTimeoutMs ?? 1000;
    this.prefix = options.prefix ?? 'flowgate';
  }

  async acquire(sandbox: string, signal?: AbortSignal): Promise<void> {
    const keys = this.keys(sandbox);
    const entry = randomUUID();
    for (;;) {
      const wait = await this.run(ACQUIRE, [keys.window, keys.pause], [this.options.callsPerSecond, this.windowMs, entry]);
      if (wait === null) return;
      if (wait <= 0) {
        // Not awaited: written in this tick, as the caller sends its request in this tick too.
        void this.run(SENT, [keys.window], [entry, this.windowMs]);
        return;
      }
      await abortableSleep(wait, signal);
    }
  }

  async pause(sandbox: string, ms: number): Promise<void> {
    if (!(ms > 0)) return;
    const keys = this.keys(sandbox);
    await this.run(PAUSE, [keys.pause], [Math.ceil(ms)]);
  }

  private keys(sandbox: string): { window: string; pause: string } {
    const tag = `{${this.prefix}:aep-calls:${this.options.orgId}:${sandbox}}`;
    return { window: `${tag}:window`, pause: `${tag}:pause` };
  }

  /** The script's number, or null when Redis did not answer in time (the call is not held back). */
  private async run(script: string, keys: string[], args: (string | number)[]): Promise<number | null> {
    // While Redis is away (reconnecting, restarting) calls go at once rather than each waiting
    // for the timeout: work in flight keeps the pace it had.
    if (this.options.redis.status !== undefined && this.options.redis.status !== 'ready') {
      this.warnUnavailable(`Redis is ${this.options.redis.status}`);
      return null;
    }
    let timer: NodeJS.Timeout | undefined;
    try {
      const answer = await Promise.race([
        this.options.redis.eval(script, keys.length, ...keys, ...args),
        new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`no answer from Redis within ${this.redisTimeoutMs} ms`)), this.redisTimeoutMs))),
      ]);
      return Number(answer);
    } catch (error) {
      this.warnUnavailable((error as Error).message);
      return null;
    } finally {
      clearTimeout(timer);
    }
  }

  private warnUnavailable(reason: string): void {
    const now = Date.now();
    if (now - this.lastWarnedAt <= 10_000) return;
    this.lastWarnedAt = now;
    this.options.logger?.warn({ err: reason }, 'the shared Platform call budget is unavailable; calls go ahead uncounted');
  }
}
