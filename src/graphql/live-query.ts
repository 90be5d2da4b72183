/**
 * A subscription stream that starts with the current state: it subscribes first, then reads
 * the current value, so a change committed in between is either in the value or in the stream
 * — a late subscriber misses nothing. `isStale` drops stream messages older than what was sent.
 */
export async function currentThenLive<T>(
  subscribe: () => Promise<AsyncIterableIterator<T>>,
  loadCurrent: () => Promise<T | null>,
  isStale: (message: T, last: T) => boolean = () => false,
): Promise<AsyncIterableIterator<T>> {
  const live = await subscribe();
  const current = await loadCurrent();
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
        if (last !== null && isStale(result.value, last)) continue;
        last = result.value;
        return result;
      }
    },
    async return(): Promise<IteratorResult<T>> {
      await live.return?.();
      return { value: undefined, done: true };
    },
  };
  return iterator;
}
