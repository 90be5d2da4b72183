import { firstSandbox, primaryOrgId, startEmulator, type EmulatorOptions, type RunningEmulator } from '../../../emulator/index.js';
import type { RecordedExchange } from '../../support/contract/exchange.js';
import { createRecordingFetch } from '../../support/contract/recording-fetch.js';

export const FLOW = '/data/foundation/flowservice';
export const CONVERSION = '/data/foundation/conversion';
export const CATALOG = '/data/foundation/catalog';
export const REGISTRY = '/data/foundation/schemaregistry';

export interface PlatformResponse<T = any> {
  status: number;
  headers: Headers;
  body: T;
  text: string;
}

export interface RequestOptions {
  body?: unknown;
  /** Sent as is, without JSON encoding (for malformed-body tests). */
  rawBody?: string;
  headers?: Record<string, string | undefined>;
  query?: Record<string, string | string[] | undefined>;
  sandbox?: string;
  /** Leave out the auth headers entirely (for gateway tests). */
  anonymous?: boolean;
  /**
   * On a 401 (token expired, e.g. after the test moved the emulator clock), fetch a new token
   * and retry once, as a real client does. Default true; gateway tests turn it off.
   */
  refreshOnUnauthorized?: boolean;
}

/**
 * Talks to the emulator the way a Platform client does: IMS token, the four required headers,
 * JSON bodies. Every exchange is recorded for the contract-conformance check.
 */
export class PlatformTestClient {
  private cachedToken: string | null = null;

  constructor(
    readonly baseUrl: string,
    private readonly fetchImpl: typeof fetch,
    readonly settings: { clientId: string; clientSecret: string; orgId: string; sandbox: string },
  ) {}

  async token(): Promise<string> {
    if (!this.cachedToken) this.cachedToken = await this.issueToken();
    return this.cachedToken;
  }

  /** A fresh token, bypassing the cache. */
  async issueToken(): Promise<string> {
    const body = new URLSearchParams({
      grant_type: 'client_credentials',
      client_id: this.settings.clientId,
      client_secret: this.settings.clientSecret,
      scope: 'openid,AdobeID,read_organizations,additional_info.projectedProductContext,session',
    });
    const response = await this.fetchImpl(`${this.baseUrl}/ims/token/v3`, { method: 'POST', body, headers: { 'content-type': 'application/x-www-form-urlencoded' } });
    if (response.status !== 200) throw new Error(`token request failed: ${response.status} ${await response.text()}`);
    return ((await response.json()) as { access_token: string }).access_token;
  }

  forgetToken(): void {
    this.cachedToken = null;
  }

  async headers(options: RequestOptions = {}): Promise<Record<string, string>> {
    const headers: Record<string, string> = {};
    if (!options.anonymous) {
      headers.authorization = `Bearer ${await this.token()}`;
      headers['x-api-key'] = this.settings.clientId;
      headers['x-gw-ims-org-id'] = this.settings.orgId;
      headers['x-sandbox-name'] = options.sandbox ?? this.settings.sandbox;
    }
    if (options.body !== undefined || options.rawBody !== undefined) headers['content-type'] = 'application/json';
    for (const [name, value] of Object.entries(options.headers ?? {})) {
      if (value === undefined) delete headers[name.toLowerCase()];
      else headers[name.toLowerCase()] = value;
    }
    return headers;
  }

  async request<T = any>(method: string, path: string, options: RequestOptions = {}): Promise<PlatformResponse<T>> {
    const response = await this.send<T>(method, path, options);
    const usedCachedToken = !options.anonymous && options.headers?.authorization === undefined && !('authorization' in (options.headers ?? {}));
    if (response.status === 401 && usedCachedToken && options.refreshOnUnauthorized !== false) {
      this.forgetToken();
      return this.send<T>(method, path, options);
    }
    return response;
  }

  private async send<T>(method: string, path: string, options: RequestOptions): Promise<PlatformResponse<T>> {
    const url = new URL(path, this.baseUrl);
    for (const [key, value] of Object.entries(options.query ?? {})) {
      if (value === undefined) continue;
      for (const v of Array.isArray(value) ? value : [value]) url.searchParams.append(key, v);
    }
    const response = await this.fetchImpl(url, {
      method,
      headers: await this.headers(options),
      body: options.rawBody ?? (options.body === undefined ? undefined : JSON.stringify(options.body)),
    });
    const text = await response.text();
    let body: unknown = undefined;
    if (text !== '') {
      try {
        body = JSON.parse(text);
      } catch {
        body = text;
      }
    }
    return { status: response.status, headers: response.headers, body: body as T, text };
  }

  get<T = any>(path: string, options?: RequestOptions) {
    return this.request<T>('GET', path, options);
  }
  post<T = any>(path: string, body?: unknown, options: RequestOptions = {}) {
    return this.request<T>('POST', path, { ...options, body });
  }
  patch<T = any>(path: string, body: unknown, options: RequestOptions = {}) {
    return this.request<T>('PATCH', path, { ...options, body });
  }
  put<T = any>(path: string, body: unknown, options: RequestOptions = {}) {
    return this.request<T>('PUT', path, { ...options, body });
  }
  delete<T = any>(path: string, options?: RequestOptions) {
    return this.request<T>('DELETE', path, options);
  }

  /** Calls the emulator's control API (`/__emulator/...`). */
  async control<T = any>(method: string, path: string, body?: unknown): Promise<PlatformResponse<T>> {
    return this.request<T>(method, `/__emulator${path}`, { body, anonymous: true });
  }
}

export interface TestEmulator {
  emulator: RunningEmulator;
  client: PlatformTestClient;
  exchanges: RecordedExchange[];
  stop(): Promise<void>;
}

/** Starts an emulator on a free port with a recording client bound to it. */
export async function startTestEmulator(options: EmulatorOptions = {}): Promise<TestEmulator> {
  const emulator = await startEmulator({ port: 0, ...options });
  const recording = createRecordingFetch();
  const client = new PlatformTestClient(emulator.url, recording.fetch, {
    clientId: emulator.options.clientId,
    clientSecret: emulator.options.clientSecret,
    orgId: primaryOrgId(emulator.options),
    sandbox: firstSandbox(emulator.options),
  });
  return { emulator, client, exchanges: recording.exchanges, stop: () => emulator.stop() };
}

/** `sourceParams` for explore: base64 of `{"resourcePath": …}`. */
export function sourceParams(resourcePath: string): string {
  return Buffer.from(JSON.stringify({ resourcePath })).toString('base64');
}
