import type { CallBudget } from './call-budget.js';
import { CatalogClient } from './catalog.client.js';
import { DataPrepClient } from './data-prep.client.js';
import { FlowServiceClient } from './flow-service.client.js';
import { createKeepAliveAgent } from './http-attempt.js';
import { withTimeoutDefaults, type HttpTransportOptions } from './http-transport.js';
import { ImsTokenProvider } from './ims-token-provider.js';
import { PlatformHttp } from './platform-http.js';
import { SchemaRegistryClient } from './schema-registry.client.js';

/** Options of `createPlatformClient`. Defaults are listed per field. */
export interface PlatformClientOptions extends Omit<HttpTransportOptions, 'dispatcher'> {
  /** `https://platform.adobe.io`, or the emulator's URL. */
  platformUrl: string;
  /** `https://ims-na1.adobelogin.com`, or the emulator's URL. */
  imsUrl: string;
  /** Developer Console client id (also the `x-api-key`). */
  clientId: string;
  clientSecret: string;
  /** `…@AdobeOrg`. */
  orgId: string;
  /** Default sandbox of every call; each call may name another. */
  sandbox: string;
  /** IMS scopes; default `DEFAULT_IMS_SCOPE`. */
  scope?: string;
  /** Sockets per host (Platform, IMS); default 32. */
  connections?: number;
  /** Calls per second per org and sandbox, shared with every process (see `RedisCallBudget`); default unlimited. */
  budget?: CallBudget;
}

/** The Platform client: one service client per API over one HTTP core and one token provider. */
export interface PlatformClient {
  readonly flowService: FlowServiceClient;
  readonly schemaRegistry: SchemaRegistryClient;
  readonly catalog: CatalogClient;
  readonly dataPrep: DataPrepClient;
  readonly tokens: ImsTokenProvider;
  /** Closes the keep-alive sockets. Calls made afterwards fail. */
  close(): Promise<void>;
}

/**
 * Builds the Platform client. Call it once in a composition root (gateway or worker) and pass it
 * down; it opens no connection until the first call.
 */
export function createPlatformClient(options: PlatformClientOptions): PlatformClient {
  const timeouts = withTimeoutDefaults(options.timeouts);
  // One keep-alive agent: it keeps a pool per origin, so Platform and IMS share it without sharing sockets.
  const agent = createKeepAliveAgent({ connectMs: timeouts.connectMs, connections: options.connections });
  const tokens = new ImsTokenProvider({
    imsUrl: options.imsUrl,
    clientId: options.clientId,
    clientSecret: options.clientSecret,
    scope: options.scope,
    dispatcher: agent,
    timeouts,
    retry: options.retry,
    logger: options.logger,
    observer: options.observer,
  });
  const http = new PlatformHttp({
    platformUrl: options.platformUrl,
    clientId: options.clientId,
    orgId: options.orgId,
    sandbox: options.sandbox,
    tokens,
    timeouts,
    retry: options.retry,
    logger: options.logger,
    observer: options.observer,
    dispatcher: agent,
    knownSecrets: [options.clientSecret],
    budget: options.budget,
  });
  return {
    flowService: new FlowServiceClient({ http }),
    schemaRegistry: new SchemaRegistryClient({ http }),
    catalog: new CatalogClient({ http }),
    dataPrep: new DataPrepClient({ http }),
    tokens,
    close: () => agent.close(),
  };
}
