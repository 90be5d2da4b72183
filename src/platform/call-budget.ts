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
   * Added to the one-second window (default 100 ms): no window of one second plus this margin
   * holds more than `callsPerSecond` calls, counted when each is let go, so that the Platform, which
   * sees each call a little later (by a delay that varies with the load of both ends), still never
   * sees more than that within one second.
   */
  marginMs?: number;
  /**
   * Calls that may go at once after a quiet moment (default a quarter of `callsPerSecond`, at
   * least 1): an idle org's onboarding starts several steps together (seven after the connection
   * test), and spacing them would put the spacing on its critical path. At full load calls are
   * evenly spaced whatever this is, and the log still holds any window to `callsPerSecond`.
   */
  burst?: number;
  /** How long a Redis answer is waited for before the call goes ahead uncounted (default 1 s). */
  redisTimeoutMs?: number;
  logger?: PlatformLogger;
}

/**
 * Lua that lets the call go if fewer than `limit` calls went in the last `window` µs (logged with
 * the time each went, on Redis' clock) and — for a call that waited (`gap` given) — once that log
 * is half full, the last one went at least `gap` µs ago: callers held up by a busy process wake
 * late and together, and their calls, sent at once, would reach the Platform as a bunch. A call
 * that did not wait was given its place by the slots (evenly spaced, or within the burst after a
 * quiet moment): spacing it again would only put a gap on an onboarding's critical path.
 * Answers {2, 0} (go, logged) or {1, µs to wait before asking again}. Needs `now`; `log`,
 * `limit`, `window`, `gap`, `entry` name the key and arguments.
 */
const sendCheck = (log: string, limit: string, window: string, gap: string | null, entry: string) => `
redis.call('ZREMRANGEBYSCORE', ${log}, '-inf', string.format('%.0f', now - tonumber(${window})))
local count = redis.call('ZCARD', ${log})
if count >= tonumber(${limit}) then
  local oldest = redis.call('ZRANGE', ${log}, 0, 0, 'WITHSCORES')
  return {1, math.max(1, tonumber(oldest[2]) + tonumber(${window}) - now)}
end
${
  gap === null
    ? ''
    : `if count * 2 >= tonumber(${limit}) then
  local last = redis.call('ZRANGE', ${log}, -1, -1, 'WITHSCORES')
  local since = now - tonumber(last[2])
  if since < tonumber(${gap}) then return {1, tonumber(${gap}) - since} end
end`
}
redis.call('ZADD', ${log}, string.format('%.0f', now), ${entry})
redis.call('PEXPIRE', ${log}, math.ceil(tonumber(${window}) / 1000) + 1000)
return {2, 0}
`;

const NOW = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
`;

/**
 * Asks for an org and sandbox's next call, on Redis' clock (the same for every process), in
 * microseconds. Calls are given slots in the order they ask, evenly spaced (`interval`, with a
 * burst allowance after a quiet moment: the generic cell rate algorithm), so no caller polls and
 * none goes in a bunch; a call whose slot is now gets the last word (`SEND`'s check, without the
 * least gap: it did not wait) at once.
 * Answers {2, 0}: go now (logged); {1, µs}: wait that long, then ask `SEND`; {0, µs}: the org is
 * paused (a 429): ask again after that long.
 * KEYS: the next slot's time, the log of calls let go, the pause.
 * ARGV: interval µs, burst allowance µs, limit, window µs, this call's log entry.
 */
const ACQUIRE = `${NOW}
local paused = tonumber(redis.call('GET', KEYS[3]) or '0')
if paused > now then return {0, paused - now} end
local tat = tonumber(redis.call('GET', KEYS[1]) or '0')
local slot = math.max(now, tat - tonumber(ARGV[2]))
local nextTat = math.max(tat, slot) + tonumber(ARGV[1])
redis.call('SET', KEYS[1], string.format('%.0f', nextTat), 'PX', math.ceil((nextTat - now) / 1000) + 1000)
if slot > now then return {1, slot - now} end
${sendCheck('KEYS[2]', 'ARGV[3]', 'ARGV[4]', null, 'ARGV[5]')}`;

/**
 * The last word before a call goes, when its caller wakes for its slot: at most `limit` calls go
 * in any window, counted when each actually went — a caller held up (a busy process) wakes after
 * its slot, and its call must not make a window fuller than the limit. Answers like ACQUIRE.
 * KEYS: the log, the pause. ARGV: limit, window µs, least gap µs when busy, this call's log entry.
 */
const SEND = `${NOW}
local paused = tonumber(redis.call('GET', KEYS[2]) or '0')
if paused > now then return {0, paused - now} end
${sendCheck('KEYS[1]', 'ARGV[1]', 'ARGV[2]', 'ARGV[3]', 'ARGV[4]')}`;

/** Sets the pause unless a later one is set. ARGV: the pause in ms. */
const PAUSE = `${NOW}
local untilUs = now + tonumber(ARGV[1]) * 1000
local current = tonumber(redis.call('GET', KEYS[1]) or '0')
if untilUs > current then redis.call('SET', KEYS[1], string.format('%.0f', untilUs), 'PX', tonumber(ARGV[1])) end
return 1
`;

/** An answer of ACQUIRE or SEND. */
type Answer = { go: true } | { go: false; paused: boolean; waitMs: number };

/**
 * A call budget kept in Redis: calls of one org and sandbox, counted across every process, are
 * spaced evenly at `callsPerSecond` per second plus the margin, and no window of one second plus
 * the margin holds more than `callsPerSecond` calls — a sliding window alone let a whole second's
 * allowance go at once as the window moved on, and those bunches reached the Platform closer
 * together than they left (measured: 65–76 calls in one second at the emulator for a budget of
 * 50). A caller waits for its own slot, then gets the last word from the log of calls let go.
 * All keys of an org and sandbox share a hash tag (one Cluster slot). If Redis cannot answer,
 * calls go ahead (logged): the Platform's own throttle, and the client's retries of its 429s,
 * still hold.
 */
export class RedisCallBudget implements CallBudget {
  private readonly intervalUs: number;
  private readonly burstUs: number;
  private readonly windowUs: number;
  /** Least time between two calls while the window is half full: half the even spacing. */
  private readonly gapUs: number;
  private readonly redisTimeoutMs: number;
  private readonly prefix: string;
  private lastWarnedAt = 0;

  constructor(private readonly options: RedisCallBudgetOptions) {
    if (!Number.isInteger(options.callsPerSecond) || options.callsPerSecond < 1) throw new RangeError('callsPerSecond must be an integer ≥ 1');
    const burst = options.burst ?? Math.max(1, Math.floor(options.callsPerSecond / 4));
    if (!Number.isInteger(burst) || burst < 1 || burst > options.callsPerSecond) throw new RangeError('burst must be an integer between 1 and callsPerSecond');
    this.windowUs = (1000 + (options.marginMs ?? 100)) * 1000;
    this.intervalUs = Math.ceil(this.windowUs / options.callsPerSecond);
    this.burstUs = (burst - 1) * this.intervalUs;
    this.gapUs = Math.floor(this.intervalUs / 2);
    this.redisTimeoutMs = options.redisTimeoutMs ?? 1000;
    this.prefix = options.prefix ?? 'flowgate';
  }

  async acquire(sandbox: string, signal?: AbortSignal): Promise<void> {
    const keys = this.keys(sandbox);
    const entry = randomUUID();
    let answer = await this.ask(ACQUIRE, [keys.next, keys.sent, keys.pause], [this.intervalUs, this.burstUs, this.options.callsPerSecond, this.windowUs, entry]);
    while (!answer.go) {
      await abortableSleep(answer.waitMs, signal);
      // Paused: the call takes a new place in line once the pause is over; otherwise its slot has come.
      answer = answer.paused
        ? await this.ask(ACQUIRE, [keys.next, keys.sent, keys.pause], [this.intervalUs, this.burstUs, this.options.callsPerSecond, this.windowUs, entry])
        : await this.ask(SEND, [keys.sent, keys.pause], [this.options.callsPerSecond, this.windowUs, this.gapUs, entry]);
    }
  }

  async pause(sandbox: string, ms: number): Promise<void> {
    if (!(ms > 0)) return;
    const keys = this.keys(sandbox);
    await this.run(PAUSE, [keys.pause], [Math.ceil(ms)]);
  }

  private keys(sandbox: string): { next: string; sent: string; pause: string } {
    const tag = `{${this.prefix}:aep-calls:${this.options.orgId}:${sandbox}}`;
    return { next: `${tag}:next`, sent: `${tag}:sent`, pause: `${tag}:pause` };
  }

  /** ACQUIRE or SEND; Redis not answering lets the call go. */
  private async ask(script: string, keys: string[], args: (string | number)[]): Promise<Answer> {
    const answer = (await this.run(script, keys, args)) as [number, number] | null;
    if (answer === null || answer[0] === 2) return { go: true };
    return { go: false, paused: answer[0] === 0, waitMs: Math.ceil(answer[1] / 1000) };
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
