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
   * Added to the one-second window (default 100 ms): calls are spaced over 1 s + this margin, so
   * that the Platform, which sees each call a little after it was let go (by a delay that varies
   * with the load of both ends), still never sees more than `callsPerSecond` within one second.
   * Half of it is allowed for a caller that wakes late for its slot, the other half for transit.
   */
  marginMs?: number;
  /**
   * Calls that may go at once after a quiet moment (default a tenth of `callsPerSecond`, at least
   * 1): one onboarding starts several steps together, and spacing them would put the spacing on
   * its critical path. At full load calls are evenly spaced whatever this is.
   */
  burst?: number;
  /** How long a Redis answer is waited for before the call goes ahead uncounted (default 1 s). */
  redisTimeoutMs?: number;
  logger?: PlatformLogger;
}

/**
 * Reserves the next slot of an org and sandbox, on Redis' clock (the same for every process), in
 * microseconds. A slot is the latest of: now; the generic cell rate's next time less the burst
 * allowance (calls `interval` apart at full load); and the time the call `limit` slots back was
 * given plus the window, so that no window holds more than `limit` slots even right after a burst.
 * Slots are handed out in the order calls ask, each at most as far ahead as the calls waiting
 * before it need: no caller polls. Returns {1, µs until the slot} or, while the org is paused (a
 * 429), {0, µs until the pause ends} with nothing reserved.
 * KEYS: the next time, the last `limit` slots (newest first), the pause.
 * ARGV: interval µs, burst allowance µs, limit, window µs.
 */
const ACQUIRE = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local paused = tonumber(redis.call('GET', KEYS[3]) or '0')
if paused > now then return {0, paused - now} end
local interval = tonumber(ARGV[1])
local limit = tonumber(ARGV[3])
local window = tonumber(ARGV[4])
local tat = tonumber(redis.call('GET', KEYS[1]) or '0')
local slot = math.max(now, tat - tonumber(ARGV[2]))
local back = redis.call('LINDEX', KEYS[2], limit - 1)
if back then slot = math.max(slot, tonumber(back) + window) end
local nextTat = math.max(tat, slot) + interval
local ttl = math.ceil((nextTat - now + window) / 1000)
redis.call('SET', KEYS[1], string.format('%.0f', nextTat), 'PX', ttl)
redis.call('LPUSH', KEYS[2], string.format('%.0f', slot))
redis.call('LTRIM', KEYS[2], 0, limit - 1)
redis.call('PEXPIRE', KEYS[2], ttl)
return {1, slot - now}
`;

/** µs until the org's pause ends (0: not paused). KEYS: the pause. */
const PAUSED = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local paused = tonumber(redis.call('GET', KEYS[1]) or '0')
if paused > now then return paused - now end
return 0
`;

/** Sets the pause unless a later one is set. ARGV: the pause in ms. */
const PAUSE = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local untilUs = now + tonumber(ARGV[1]) * 1000
local current = tonumber(redis.call('GET', KEYS[1]) or '0')
if untilUs > current then redis.call('SET', KEYS[1], string.format('%.0f', untilUs), 'PX', tonumber(ARGV[1])) end
return 1
`;

/** Fresh slots a caller that keeps waking late takes before it sends anyway. */
const MAX_LATE_RETRIES = 3;

/**
 * A call budget kept in Redis: calls of one org and sandbox, counted across every process, are
 * spaced evenly at `callsPerSecond` per second plus the margin, so that no window of one second
 * plus the margin holds more than `callsPerSecond` calls — a sliding window let a whole second's
 * allowance go at once as the window moved on, and those bunches reached the Platform closer
 * together than they left (measured: 65–76 calls in one second at the emulator for a budget of 50).
 * A caller waits for its own reserved slot, checks the org was not paused meanwhile, and takes a
 * fresh slot instead if it woke too late (a busy process): its late call would otherwise fall
 * among later ones. All keys of an org and sandbox share a hash tag (one Cluster slot). If Redis
 * cannot answer, calls go ahead (logged): the Platform's own throttle, and the client's retries
 * of its 429s, still hold.
 */
export class RedisCallBudget implements CallBudget {
  private readonly intervalUs: number;
  private readonly burstUs: number;
  private readonly windowUs: number;
  private readonly lateMs: number;
  private readonly redisTimeoutMs: number;
  private readonly prefix: string;
  private lastWarnedAt = 0;

  constructor(private readonly options: RedisCallBudgetOptions) {
    if (!Number.isInteger(options.callsPerSecond) || options.callsPerSecond < 1) throw new RangeError('callsPerSecond must be an integer ≥ 1');
    const marginMs = options.marginMs ?? 100;
    const burst = options.burst ?? Math.max(1, Math.floor(options.callsPerSecond / 10));
    if (!Number.isInteger(burst) || burst < 1 || burst > options.callsPerSecond) throw new RangeError('burst must be an integer between 1 and callsPerSecond');
    this.windowUs = (1000 + marginMs) * 1000;
    this.intervalUs = Math.ceil(this.windowUs / options.callsPerSecond);
    this.burstUs = (burst - 1) * this.intervalUs;
    this.lateMs = marginMs / 2;
    this.redisTimeoutMs = options.redisTimeoutMs ?? 1000;
    this.prefix = options.prefix ?? 'flowgate';
  }

  async acquire(sandbox: string, signal?: AbortSignal): Promise<void> {
    const keys = this.keys(sandbox);
    for (let late = 0; ;) {
      const asked = performance.now();
      const answer = await this.run(ACQUIRE, [keys.next, keys.slots, keys.pause], [this.intervalUs, this.burstUs, this.options.callsPerSecond, this.windowUs]);
      if (answer === null) return;
      const [reserved, waitUs] = answer as [number, number];
      if (reserved !== 1) {
        await abortableSleep(Math.ceil(waitUs / 1000), signal);
        continue;
      }
      // Waited for from the answer (never early), judged late from the question (never lenient).
      const slot = performance.now() + waitUs / 1000;
      if (waitUs > 0) {
        await abortableSleep(Math.max(0, Math.ceil(slot - performance.now())), signal);
        // A 429 may have paused the org while this caller waited for its slot.
        const pausedUs = await this.run(PAUSED, [keys.pause], []);
        if (typeof pausedUs === 'number' && pausedUs > 0) {
          await abortableSleep(Math.ceil(pausedUs / 1000), signal);
          continue;
        }
      }
      // Woke too late for the slot (this process was busy): the call would land among the next
      // ones at the Platform, so it takes a later slot; the missed one stays counted (that only
      // makes the budget stricter). A process that is late every time still gets its call out.
      if (performance.now() - (asked + waitUs / 1000) <= this.lateMs || ++late > MAX_LATE_RETRIES) return;
    }
  }

  async pause(sandbox: string, ms: number): Promise<void> {
    if (!(ms > 0)) return;
    const keys = this.keys(sandbox);
    await this.run(PAUSE, [keys.pause], [Math.ceil(ms)]);
  }

  private keys(sandbox: string): { next: string; slots: string; pause: string } {
    const tag = `{${this.prefix}:aep-calls:${this.options.orgId}:${sandbox}}`;
    return { next: `${tag}:next`, slots: `${tag}:slots`, pause: `${tag}:pause` };
  }

  /** The script's answer, or null when Redis did not answer in time (the call is not held back). */
  private async run(script: string, keys: string[], args: (string | number)[]): Promise<unknown> {
    // While Redis is away (reconnecting, restarting) calls go at once rather than each waiting
    // for the timeout: work in flight keeps the pace it had.
    if (this.options.redis.status !== undefined && this.options.redis.status !== 'ready') {
      this.warnUnavailable(`Redis is ${this.options.redis.status}`);
      return null;
    }
    let timer: NodeJS.Timeout | undefined;
    try {
      return await Promise.race([
        this.options.redis.eval(script, keys.length, ...keys, ...args),
        new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`no answer from Redis within ${this.redisTimeoutMs} ms`)), this.redisTimeoutMs))),
      ]);
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
