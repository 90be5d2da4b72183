import { firstSandbox, primaryOrgId, startEmulator, type RunningEmulator } from '../../../emulator/index.js';
import { createPlatformClient, type PlatformClient, type PlatformClientOptions } from '../../../src/platform/platform-client.js';

/** One line of the emulator's request log (`GET /__emulator/requests`). */
export interface LoggedRequest {
  seq: number;
  method: string;
  path: string;
  query: string;
  status: number;
  time: string;
  durationMs: number;
  sandbox: string | null;
  fault?: { id: number; mode: string };
}

/** A fault rule for `POST /__emulator/faults`. */
export interface FaultRule {
  method?: string;
  path: string;
  status?: number;
  rate?: number;
  count?: number;
  latencyMs?: number;
  retryAfterSeconds?: number;
  mode?: 'error' | 'reset' | 'commit-then-drop';
}

/** The emulator's control API, over HTTP like any client would use it. */
export class EmulatorControl {
  constructor(readonly url: string) {}

  async reset(): Promise<void> {
    await this.call('POST', '/reset');
  }

  async addFault(rule: FaultRule): Promise<void> {
    await this.call('POST', '/faults', rule);
  }

  async clearFaults(): Promise<void> {
    await this.call('DELETE', '/faults');
  }

  async expireTokens(): Promise<void> {
    await this.call('POST', '/tokens/expire');
  }

  async now(): Promise<number> {
    return ((await this.call('GET', '/clock')) as { now: number }).now;
  }

  async setClock(nowSeconds: number): Promise<void> {
    await this.call('POST', '/clock', { now: nowSeconds });
  }

  async advanceClock(seconds: number): Promise<{ runsProduced: number }> {
    return (await this.call('POST', '/clock', { advanceSeconds: seconds })) as { runsProduced: number };
  }

  async requests(filter: { method?: string; path?: string } = {}): Promise<LoggedRequest[]> {
    const query = new URLSearchParams();
    if (filter.method) query.set('method', filter.method);
    if (filter.path) query.set('path', filter.path);
    return ((await this.call('GET', `/requests?${query}`)) as { requests: LoggedRequest[] }).requests;
  }

  async clearRequests(): Promise<void> {
    await this.call('DELETE', '/requests');
  }

  async resources(): Promise<{ orgId: string; sandboxName: string; connections: number; [key: string]: unknown }[]> {
    return ((await this.call('GET', '/resources')) as { partitions: never[] }).partitions;
  }

  private async call(method: string, path: string, body?: unknown): Promise<unknown> {
    const response = await fetch(`${this.url}/__emulator${path}`, {
      method,
      headers: body === undefined ? {} : { 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await response.text();
    if (!response.ok) throw new Error(`control ${method} ${path} answered ${response.status}: ${text}`);
    return text === '' ? undefined : JSON.parse(text);
  }
}

/** Fast retries so tests do not wait on backoff (Retry-After is still honoured). */
export const FAST_RETRY = { baseDelayMs: 5, maxDelayMs: 20 } as const;

export interface PlatformTestEnv {
  emulator: RunningEmulator;
  control: EmulatorControl;
  /** A client built from the emulator's credentials. */
  client: PlatformClient;
  /** The options `client` was built with (to build variants). */
  options: PlatformClientOptions;
  /** Builds another client against the same emulator; closed by `stop()`. */
  newClient(overrides?: Partial<PlatformClientOptions>): PlatformClient;
  stop(): Promise<void>;
}

/** Starts an emulator on a free port and a Platform client pointing at it for both IMS and the Platform. */
export async function startPlatformTestEnv(overrides: Partial<PlatformClientOptions> = {}): Promise<PlatformTestEnv> {
  const emulator = await startEmulator({ port: 0 });
  const options: PlatformClientOptions = {
    platformUrl: emulator.url,
    imsUrl: emulator.url,
    clientId: emulator.options.clientId,
    clientSecret: emulator.options.clientSecret,
    orgId: primaryOrgId(emulator.options),
    sandbox: firstSandbox(emulator.options),
    retry: FAST_RETRY,
    ...overrides,
  };
  const clients: PlatformClient[] = [];
  const newClient = (more: Partial<PlatformClientOptions> = {}) => {
    const client = createPlatformClient({ ...options, ...more });
    clients.push(client);
    return client;
  };
  const client = newClient();
  return {
    emulator,
    control: new EmulatorControl(emulator.url),
    client,
    options,
    newClient,
    stop: async () => {
      await Promise.all(clients.map((c) => c.close()));
      await emulator.stop();
    },
  };
}

/** Runs `fn` and returns what it threw; fails when it does not throw. */
export async function caught(fn: () => Promise<unknown>): Promise<unknown> {
  try {
    await fn();
  } catch (error) {
    return error;
  }
  throw new Error('expected the call to fail, but it succeeded');
}

export const FLOW = '/data/foundation/flowservice';
export const REGISTRY = '/data/foundation/schemaregistry';
export const CATALOG = '/data/foundation/catalog';
export const CONVERSION = '/data/foundation/conversion';
