/**
 * The Stripe resources the AEP Stripe source can read (`params.resourcePath` of a source
 * connection, `resourcePath` inside explore's base64 `sourceParams`).
 */
export const STRIPE_RESOURCE_PATHS = ['charges', 'subscriptions', 'refunds', 'balance_transactions', 'customers', 'prices'] as const;

/** One of {@link STRIPE_RESOURCE_PATHS}. */
export type StripeResourcePath = (typeof STRIPE_RESOURCE_PATHS)[number];

/** True when `value` is exactly one of the six resource paths (case-sensitive, as Stripe's API is). */
export function isStripeResourcePath(value: unknown): value is StripeResourcePath {
  return typeof value === 'string' && (STRIPE_RESOURCE_PATHS as readonly string[]).includes(value);
}

/** A Stripe API object as JSON (a charge, a customer...). */
export type StripeObject = Record<string, unknown>;
