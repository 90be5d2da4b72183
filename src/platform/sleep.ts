/** Waits `ms`; rejects with the signal's reason as soon as `signal` aborts (a worker shutting down). */
export function abortableSleep(ms: number, signal?: AbortSignal): Promise<void> {
  // The reason is whatever `abort(reason)` was given (by default a DOMException, an Error).
  if (signal?.aborted) return Promise.reject(signal.reason as Error);
  return new Promise((resolve, reject) => {
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal!.reason as Error);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
