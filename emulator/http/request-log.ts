/** One request as the control API reports it: never headers or bodies, so never secrets. */
export interface LoggedRequest {
  seq: number;
  method: string;
  path: string;
  /** Query string with secret-bearing parameters redacted. */
  query: string;
  status: number;
  /** ISO time the request arrived (real time, not the emulator clock). */
  time: string;
  durationMs: number;
  sandbox: string | null;
  /** The caller's `x-request-id` (echoed in the answer), or the id the emulator gave the request. */
  requestId: string;
  /** The caller's TCP port (as an access log records the client's address): which process sent it. */
  clientPort: number | null;
  /** Set when a fault rule applied. */
  fault?: { id: number; mode: string };
}

const SECRET_PARAMS = /^(client_secret|access_token|code|password|token)$/i;

/** Bounded, in-memory log of handled requests. */
export class RequestLog {
  private entries: LoggedRequest[] = [];
  private seq = 0;

  constructor(private readonly capacity = 20000) {}

  add(entry: Omit<LoggedRequest, 'seq'>): void {
    this.entries.push({ seq: ++this.seq, ...entry });
    if (this.entries.length > this.capacity) this.entries.splice(0, this.entries.length - this.capacity);
  }

  list(filter: { sinceSeq?: number; method?: string; pathPrefix?: string } = {}): LoggedRequest[] {
    return this.entries.filter(
      (e) =>
        (filter.sinceSeq === undefined || e.seq > filter.sinceSeq) &&
        (filter.method === undefined || e.method === filter.method.toUpperCase()) &&
        (filter.pathPrefix === undefined || e.path.startsWith(filter.pathPrefix)),
    );
  }

  clear(): void {
    this.entries = [];
  }
}

export function redactQuery(search: string): string {
  if (!search) return '';
  const params = new URLSearchParams(search);
  for (const key of [...params.keys()]) if (SECRET_PARAMS.test(key)) params.set(key, '[redacted]');
  const out = params.toString();
  return out ? `?${out}` : '';
}
