import type { ApiKeyService } from '../auth/api-key.service.js';
import type { Authenticator } from '../auth/authenticator.js';
import type { Caller } from '../auth/caller.js';
import type { Logger } from '../logging/logger.js';
import type { EventBus } from '../pubsub/event-bus.js';
import type { ExploreService } from '../services/explore.service.js';
import type { OnboardingRequests } from '../services/onboarding-requests.js';
import type { OperationRequests, RequestContext } from '../services/operation-requests.js';
import type { WebhookService } from '../services/webhook.service.js';
import type { Store } from '../store/store.js';

/** Per-request context of every resolver: the process singletons plus who is asking. */
export interface GatewayContext extends RequestContext {
  store: Store;
  requests: OperationRequests;
  explore: ExploreService;
  onboardings: OnboardingRequests;
  bus: EventBus;
  logger: Logger;
  /** The Schema Registry tenant id, e.g. `flowgatelocal` (namespace `_flowgatelocal`), when known from configuration. */
  tenantId: string | null;
  apiKeys: ApiKeyService;
  /** Webhook management (create, update, delete, rotate, test). */
  webhookService: WebhookService;
  /** This process's credential cache: a key revoked here is forgotten before the mutation answers. */
  authenticator: Authenticator;
  /** The authenticated caller; `actor` is its id. */
  caller: Caller;
}

/** The process-wide part of the context, built once by the gateway's composition root. */
export type GatewayServices = Omit<GatewayContext, keyof RequestContext | 'caller'>;
