/**
 * What a record builder receives: its random stream, its creation time, whether it is the
 * explore sample or an ordinary record, and a view of the account's other records so
 * cross-references (refund → charge, subscription → customer) point at objects that exist.
 */
import type { SeededRandom } from './seeded-random.js';
import type { StripeObject } from './stripe-resources.js';
import type { CountryProfile } from './stripe-vocabulary.js';

/**
 * `sample`: the explore sample — every optional object is present so the inferred schema covers
 * every record; nullable scalars follow Adobe's example where there is one. `record`: an
 * ordinary, randomly shaped record.
 */
export type BuildVariant = 'sample' | 'record';

/** The fixed traits of one emulated Stripe account (derived from the account key). */
export interface AccountProfile {
  /** The caller's account key (e.g. a connection id). */
  readonly key: string;
  /** 10 characters every object id of the account shares, like the account segment in Stripe ids. */
  readonly idTag: string;
  readonly home: CountryProfile;
  readonly merchantName: string;
  /** Upper-case, at most 22 characters, as Stripe requires. */
  readonly statementDescriptor: string;
}

/** The card a customer (or a guest charge) pays with. */
export interface CardProfile {
  readonly brand: string;
  readonly network: string;
  readonly last4: string;
  readonly expMonth: number;
  readonly expYear: number;
  readonly funding: string;
  readonly country: string;
  readonly fingerprint: string;
  /** `pm_…` — what charges report as `payment_method`. */
  readonly paymentMethodId: string;
  /** `card_…` — what customers report as `default_source`. */
  readonly cardId: string;
}

/** Lookups into the records of the same account, all deterministic. */
export interface StripeWorld {
  readonly account: AccountProfile;
  /** A stream keyed by the generator seed, the account and `parts`. */
  random(...parts: ReadonlyArray<string | number>): SeededRandom;
  /** A customer of the account created strictly before `before` (always found). */
  customerBefore(before: number, rng: SeededRandom): StripeObject;
  /** A captured charge of the account created strictly before `before` (always found). */
  capturedChargeBefore(before: number, rng: SeededRandom): StripeObject;
  /** An active recurring price of the account created strictly before `before` (always found). */
  recurringPriceBefore(before: number, rng: SeededRandom): StripeObject;
  /** The account's product catalogue, `index` in [0, productCount). */
  product(index: number): StripeObject;
  readonly productCount: number;
  /** The card `ownerId` (a customer id, or a charge id for guests) pays with. */
  card(ownerId: string, since: number): CardProfile;
}

/** Everything one builder call needs. */
export interface BuildContext {
  readonly world: StripeWorld;
  /** This record's own stream. */
  readonly rng: SeededRandom;
  /** The record's `created` (epoch seconds). */
  readonly created: number;
  readonly variant: BuildVariant;
  /** True when this record carries its resource's expanded-object anomaly. */
  readonly expand: boolean;
}

/**
 * A Stripe-looking id: `prefix` + 24 alphanumerics, built like Stripe's own — a version digit,
 * five varying characters, the account's shared segment, then eight more varying characters.
 */
export function stripeId(prefix: string, rng: SeededRandom, account: AccountProfile): string {
  return `${prefix}1${rng.alphanumeric(5)}${account.idTag}${rng.alphanumeric(8)}`;
}

/** The id of a reference that may be a string id, an expanded object, or null. */
export function refId(value: unknown): string | null {
  if (typeof value === 'string') return value;
  if (typeof value === 'object' && value !== null && !Array.isArray(value)) {
    const id = (value as Record<string, unknown>).id;
    if (typeof id === 'string') return id;
  }
  return null;
}

/** A deep copy for embedding, so one record's expanded object never aliases another record. */
export function expandedCopy(value: StripeObject): StripeObject {
  return deepCopy(value) as StripeObject;
}

// Records are plain JSON data; a direct copy is several times faster than structuredClone.
function deepCopy(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(deepCopy);
  if (typeof value === 'object' && value !== null) {
    const copy: Record<string, unknown> = {};
    for (const [key, child] of Object.entries(value)) copy[key] = deepCopy(child);
    return copy;
  }
  return value;
}
