import { isDeepStrictEqual } from 'node:util';
import { GAP, type Gap } from '../pubsub/event-bus.js';
import type { GatewayContext } from './context.js';

export interface LiveQueryOptions<T> {
  /** Subscribes to the changes (resolves once the subscription is confirmed). */
  subscribe: () => Promise<AsyncIterableIterator<T | Gap>>;
  /** Reads the state as it is now (`null`: nothing yet). */
  loadCurrent: () => Promise<T | null>;
  /** A message older than what was last sent, dropped. */
  isStale?: (message: T, last: T) => boolean;
  /** The same state as what was last sent (a re-read after a gap that found nothing new). Default: deep equality. */
  isSame?: (current: T, last: T) => boolean;
}

/**
 * A subscription stream that starts with the current state: it subscribes first, then reads
 * the current value, so a change committed in between is either in the value or in the stream
 * — a late subscriber misses nothing. Where the bus reports a gap (its Redis connection dropped
 * and messages published meanwhile are lost) the current state is read again and sent if it
 * differs from what was last sent, so a subscriber ends up at the true state after a Redis
 * outage instead of waiting forever on a change it missed.
 */
export async function currentThenLive<T>(options: LiveQueryOptions<T>): Promise<AsyncIterableIterator<T>> {
  const { loadCurrent, isStale = () => false, isSame = isDeepStrictEqual } = options;
  // The state read here goes out as the bus's messages do, as JSON: one form to compare and to resolve.
  const read = async () => asMessage(await loadCurrent());
  const live = await options.subscribe();
  const current = await read();
  let last: T | null = current;
  let sentCurrent = current === null;
  const iterator: AsyncIterableIterator<T> = {
    [Symbol.asyncIterator]() {
      return iterator;
    },
    async next(): Promise<IteratorResult<T>> {
      if (!sentCurrent) {
        sentCurrent = true;
        return { value: current as T, done: false };
      }
      for (;;) {
        const result = await live.next();
        if (result.done) return result;
        let value: T;
        if (result.value === GAP) {
          const reread = await read().catch(() => null);
          if (reread === null || (last !== null && (isStale(reread, last) || isSame(reread, last)))) continue;
          value = reread;
        } else {
          value = result.value;
          // A message can repeat the state just read (committed before the read, published after it).
          if (last !== null && (isStale(value, last) || isDeepStrictEqual(value, last))) continue;
        }
        last = value;
        return { value, done: false };
      }
    },
    async return(): Promise<IteratorResult<T>> {
      await live.return?.();
      return { value: undefined, done: true };
    },
  };
  return iterator;
}

/** A value as a subscriber would get it over the bus (dates as ISO strings). */
function asMessage<T>(value: T | null): T | null {
  return value === null ? null : (JSON.parse(JSON.stringify(value)) as T);
}

/** A subscription's `subscribe` option, given its arguments and the request context typed (type-graphql hands both over untyped). */
export function subscribeWith<A>(subscribe: (args: A, ctx: GatewayContext) => Promise<AsyncIterable<unknown>>): (data: { args: unknown; context: unknown }) => Promise<AsyncIterable<unknown>> {
  return ({ args, context }) => subscribe(args as A, context as GatewayContext);
}
