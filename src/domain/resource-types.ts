/**
 * The vocabulary of what Flowgate manages, owned by the domain: the store maps Prisma's
 * generated enums to these (they are the same strings), GraphQL enums are built from them.
 */

/**
 * Kinds of resources. API_KEY, ALERT and WEBHOOK are not Platform resources: only audit events
 * name them (API-key management, the dataflow watchdog, webhook management).
 */
export const RESOURCE_TYPES = ['CONNECTION', 'SOURCE_CONNECTION', 'XDM_SCHEMA', 'DATASET', 'TARGET_CONNECTION', 'MAPPING', 'DATAFLOW', 'API_KEY', 'ALERT', 'WEBHOOK'] as const;
export type ResourceType = (typeof RESOURCE_TYPES)[number];

/** The resource types that are rows of `resources` (Platform resources). */
export type PlatformResourceType = Exclude<ResourceType, 'API_KEY' | 'ALERT' | 'WEBHOOK'>;

/**
 * PENDING: requested, not yet on the Platform. ENABLED/DISABLED: connections and dataflows.
 * READY: schemas, datasets, mappings. DELETING/DELETED: on their way out. FAILED: not created.
 */
export const RESOURCE_STATES = ['PENDING', 'ENABLED', 'DISABLED', 'READY', 'DELETING', 'DELETED', 'FAILED'] as const;
export type ResourceState = (typeof RESOURCE_STATES)[number];

/** The six Stripe resources Flowgate ingests, as the Platform names them (`resourcePath`). */
export const STRIPE_RESOURCES = ['charges', 'subscriptions', 'refunds', 'balance_transactions', 'customers', 'prices'] as const;
export type StripeResourcePath = (typeof STRIPE_RESOURCES)[number];

/** `source connection` for SOURCE_CONNECTION: how messages name a resource type. */
export function resourceLabel(type: ResourceType): string {
  return type.toLowerCase().replace('_', ' ');
}
