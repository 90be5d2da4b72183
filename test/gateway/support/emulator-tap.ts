import type { RunningEmulator } from '../../../emulator/index.js';
import type { LoggedRequest } from '../../../emulator/http/request-log.js';

/** A request as the emulator logs it (method, path, status, applied fault, the caller's request id). */
export type TappedRequest = Omit<LoggedRequest, 'seq'>;

/**
 * Calls `listener` synchronously each time the in-process emulator logs a request: after it has
 * answered (or, for a `commit-then-drop` fault, after the write and before the connection drops).
 * Being synchronous is the point — a test can act (e.g. SIGKILL a worker) at that exact moment,
 * before the caller can do anything with the answer. Returns a function that removes the tap.
 */
export function tapEmulatorRequests(emulator: RunningEmulator, listener: (request: TappedRequest) => void): () => void {
  const log = emulator.context.requestLog;
  const original = log.add.bind(log);
  const tapped = function (this: typeof log, entry: TappedRequest) {
    original.call(this, entry);
    listener(entry);
  };
  log.add = tapped;
  return () => {
    if (log.add === tapped) log.add = original;
  };
}

/** Matches a request by method and a path pattern (`*` = any characters within one path segment, `**` = across segments). */
export function requestMatcher(method: string, pattern: string): (request: { method: string; path: string }) => boolean {
  const regex = new RegExp(
    `^${pattern
      .split('**')
      .map((part) =>
        part
          .split('*')
          .map((s) => s.replace(/[.+?^${}()|[\]\\]/g, '\\$&'))
          .join('[^/]*'),
      )
      .join('.*')}$`,
  );
  return (request) => request.method === method.toUpperCase() && regex.test(request.path);
}

/**
 * Calls `listener` synchronously as each Platform or IMS request arrives at the in-process
 * emulator — before it is handled, while its caller waits for the answer. (It taps the fault
 * check every such request goes through first.) Returns a function that removes the tap.
 */
export function tapEmulatorArrivals(emulator: RunningEmulator, listener: (request: { method: string; path: string }) => void): () => void {
  const faults = emulator.context.faults;
  const original = faults.decide.bind(faults);
  const tapped = function (this: typeof faults, method: string, path: string) {
    listener({ method: method.toUpperCase(), path });
    return original.call(this, method, path);
  };
  faults.decide = tapped;
  return () => {
    if (faults.decide === tapped) faults.decide = original;
  };
}
