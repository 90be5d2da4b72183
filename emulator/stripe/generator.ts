/**
 * The emulator's deterministic Stripe data: what explore shows and what flow runs ingest.
 *
 * Time is cut into UTC hour buckets. For every (seed, account, resource, bucket) a hash decides
 * how many records were created in that hour (Poisson around {@link RATE_PER_HOUR}, busier in
 * the afternoon UTC) and at which seconds; each record's content comes from a hash of (seed,
 * account, resource, bucket, index). A window only selects buckets, so the data of a range never
 * depends on how a schedule cuts it into runs.
 */
import type { AccountProfile, BuildContext, BuildVariant, CardProfile, StripeWorld } from './build-context.js';
import { buildChargeBalanceTransaction, buildRefundBalanceTransaction } from './balance-transaction.builder.js';
import { buildCardProfile } from './card.builder.js';
import { buildCharge } from './charge.builder.js';
import { buildCustomer } from './customer.builder.js';
import { buildPrice, buildProduct } from './price.builder.js';
import { buildRefund } from './refund.builder.js';
import { SeededRandom } from './seeded-random.js';
import type { StripeObject, StripeResourcePath } from './stripe-resources.js';
import { isStripeResourcePath } from './stripe-resources.js';
import { buildSubscription } from './subscription.builder.js';
import { COUNTRY_WEIGHTS, MERCHANT_WORDS, PRODUCT_NAMES, countryProfile } from './stripe-vocabulary.js';

/** Options of {@link StripeDataGenerator}. */
export interface StripeGeneratorOptions {
  /** Same seed ⇒ same data. */
  seed: string;
}

/**
 * Average records created per hour and account. Charges, refunds, customers, subscriptions and
 * prices are drawn independently; balance transactions are not drawn but mirror money movements:
 * 10 of every 12 charges are captured (10/h) plus every refund (2/h), so they also average 12/h.
 */
export const RATE_PER_HOUR: Readonly<Record<StripeResourcePath, number>> = {
  charges: 12,
  balance_transactions: 12,
  refunds: 2,
  customers: 4,
  subscriptions: 2,
  prices: 1,
};

/** Share of records (per resource, in expectation) that carry an expanded object; see {@link EXPANDED_ANOMALY_FIELDS}. */
export const ANOMALY_RATE = 0.03;

/**
 * The one field per resource that an anomalous record carries as an expanded object (Stripe's
 * `expand[]` behaviour) where the explore sample has a string id — or, for a customer's
 * `default_source`, a `card_…` id. The mapping step fails such records: the schema says string,
 * the record holds an object.
 */
export const EXPANDED_ANOMALY_FIELDS: Readonly<Record<StripeResourcePath, readonly string[]>> = {
  charges: ['customer'],
  subscriptions: ['customer'],
  refunds: ['charge'],
  balance_transactions: ['source'],
  customers: ['default_source'],
  prices: ['product'],
};

const HOUR = 3600;

/** The account that sample and preview rows belong to; a NUL keeps it apart from real keys. */
const SAMPLE_ACCOUNT_KEY = '\u0000sample';

/** Sample rows are dated on 2024-07-01 (UTC), a fixed day so they never depend on the clock. */
const SAMPLE_EPOCH = 1_719_792_000;

/** Seconds between consecutive preview rows. */
const PREVIEW_SPACING_SECONDS = 977;

/** How far back references look for the record they point at. */
const LOOKBACK_HOURS = { customers: 90 * 24, charges: 72, prices: 60 * 24 } as const;

/** Attempts at random earlier buckets before a reference falls back to a synthetic record. */
const LOOKUP_ATTEMPTS = 32;

type DrawnResource = Exclude<StripeResourcePath, 'balance_transactions'>;

const BUILDERS: Readonly<Record<DrawnResource, (ctx: BuildContext) => StripeObject>> = {
  charges: buildCharge,
  subscriptions: buildSubscription,
  refunds: buildRefund,
  customers: buildCustomer,
  prices: buildPrice,
};

/** Hour-of-day activity (UTC): 1 ± 0.5, peaking at 15:00; the 24 factors average exactly 1. */
const DIURNAL_FACTORS: readonly number[] = Array.from({ length: 24 }, (_, hour) => 1 + 0.5 * Math.sin((2 * Math.PI * (hour - 9)) / 24));

function diurnalFactor(bucket: number): number {
  // The index is in 0..23 for any integer bucket, negative ones included.
  return DIURNAL_FACTORS[((bucket % 24) + 24) % 24]!;
}

/** Where one drawn record sits in time. */
interface RecordSlot {
  readonly bucket: number;
  readonly index: number;
  readonly created: number;
}

/**
 * Deterministic Stripe test-mode data for the emulator.
 *
 * Records have Stripe's shapes (ids with Stripe prefixes and the account's shared id segment,
 * `livemode: false`, amounts in minor units) and reference each other within an account: a
 * charge's customer, a refund's charge and a subscription's customer and price are records the
 * same account also lists (created earlier), and each balance transaction mirrors a captured
 * charge or a refund.
 *
 * Anomalies: about {@link ANOMALY_RATE} (3%) of the records of every resource carry one expanded
 * object where the explore sample has a string id — charge/subscription `customer` as a customer,
 * refund `charge` as a charge, balance transaction `source` as its charge or refund, price
 * `product` as a product, customer `default_source` as a card ({@link EXPANDED_ANOMALY_FIELDS}).
 * Every other path of every record exists in the schema inferred from {@link sample}, with a
 * compatible type (or null). Sample and preview rows never carry anomalies.
 *
 * Instances hold no state besides the seed; every call builds what it needs and returns fresh
 * objects, so callers may mutate results.
 */
export class StripeDataGenerator {
  private readonly seed: string;

  /** @throws TypeError when `options.seed` is not a string. */
  constructor(options: StripeGeneratorOptions) {
    if (typeof options?.seed !== 'string') throw new TypeError('StripeDataGenerator needs a string seed');
    this.seed = options.seed;
  }

  /**
   * The object explore infers its schema from: deterministic per (seed, resource). It carries
   * every field that any generated record of that resource can carry (so every record's paths
   * exist in the explored schema).
   */
  sample(resource: StripeResourcePath): StripeObject {
    assertResource(resource);
    const world = new AccountWorld(this.seed, SAMPLE_ACCOUNT_KEY);
    const created = SAMPLE_EPOCH + world.random('sample-time', resource).int(0, 86399);
    const rng = world.random('sample', resource);
    if (resource === 'balance_transactions') {
      // A described charge, so the sample types `description` as a string.
      let charge = world.capturedChargeBefore(created, rng);
      for (let i = 0; i < 64 && charge.description === null; i++) charge = world.capturedChargeBefore(created, rng);
      return buildChargeBalanceTransaction({ world, rng, created: charge.created as number, variant: 'sample', expand: false }, charge);
    }
    return BUILDERS[resource]({ world, rng, created, variant: 'sample', expand: false });
  }

  /**
   * `count` sample rows for `preview=true` (deterministic; the first equals sample()). The other
   * rows are ordinary anomaly-free records of the same sample account, spaced back in time.
   * A fractional count is floored; a negative or non-finite one gives no rows.
   */
  preview(resource: StripeResourcePath, count: number): StripeObject[] {
    assertResource(resource);
    const total = Number.isFinite(count) ? Math.max(0, Math.floor(count)) : 0;
    if (total === 0) return [];
    const rows = [this.sample(resource)];
    const world = new AccountWorld(this.seed, SAMPLE_ACCOUNT_KEY);
    const anchor = SAMPLE_EPOCH + world.random('sample-time', resource).int(0, 86399);
    for (let i = 1; i < total; i++) {
      const created = anchor - i * PREVIEW_SPACING_SECONDS;
      const rng = world.random('preview', resource, i);
      rows.push(buildPreviewRow(world, resource, rng, created, i));
    }
    return rows;
  }

  /**
   * Every record of `resource` created in [fromSeconds, toSeconds) for the Stripe account
   * identified by `accountKey` (any string, e.g. a connection id), sorted by `created` ascending.
   * The result does not depend on how a time range is cut into windows:
   * recordsBetween(a,c) == recordsBetween(a,b) ++ recordsBetween(b,c). Each record's `created`
   * lies in the window. Deterministic for (seed, accountKey, resource, window). Cost is linear
   * in the window's length (30 days of charges take tens of milliseconds).
   *
   * @returns [] when `toSeconds <= fromSeconds`.
   * @throws RangeError when a bound is not a finite number or the resource is unknown.
   */
  recordsBetween(resource: StripeResourcePath, fromSeconds: number, toSeconds: number, accountKey: string): StripeObject[] {
    assertResource(resource);
    if (!Number.isFinite(fromSeconds) || !Number.isFinite(toSeconds)) throw new RangeError('recordsBetween needs finite epoch-second bounds');
    if (toSeconds <= fromSeconds) return [];
    const world = new AccountWorld(this.seed, String(accountKey));
    if (resource === 'balance_transactions') return balanceTransactionsBetween(world, fromSeconds, toSeconds);
    return world.slotsBetween(resource, fromSeconds, toSeconds).map((slot) => world.recordAt(resource, slot));
  }

  /** Average records per hour for a resource ({@link RATE_PER_HOUR}). */
  ratePerHour(resource: StripeResourcePath): number {
    assertResource(resource);
    return RATE_PER_HOUR[resource];
  }
}

function assertResource(resource: unknown): asserts resource is StripeResourcePath {
  if (!isStripeResourcePath(resource)) throw new RangeError(`Unknown Stripe resource path: ${String(resource)}`);
}

/** One anomaly-free record for preview row `i`; balance transactions alternate charges and refunds. */
function buildPreviewRow(world: AccountWorld, resource: StripeResourcePath, rng: SeededRandom, created: number, i: number): StripeObject {
  const variant: BuildVariant = 'record';
  if (resource !== 'balance_transactions') return BUILDERS[resource]({ world, rng, created, variant, expand: false });
  if (i % 4 === 3) {
    const refund = buildRefund({ world, rng, created, variant, expand: false });
    return buildRefundBalanceTransaction({ world, rng, created, variant, expand: false }, refund);
  }
  const charge = world.capturedChargeBefore(created, rng);
  return buildChargeBalanceTransaction({ world, rng, created: charge.created as number, variant, expand: false }, charge);
}

/**
 * Balance transactions of captured charges and refunds created in the window, merged by
 * `created`; at equal seconds a charge's comes before a refund's, so the order (and hence window
 * independence) never depends on the window.
 */
function balanceTransactionsBetween(world: AccountWorld, from: number, to: number): StripeObject[] {
  const fromCharges: StripeObject[] = [];
  for (const slot of world.slotsBetween('charges', from, to)) {
    const charge = world.recordAt('charges', slot);
    if (charge.captured !== true) continue;
    const rng = world.random('balance_transactions', String(charge.id));
    const expand = rng.chance(ANOMALY_RATE);
    fromCharges.push(buildChargeBalanceTransaction({ world, rng, created: slot.created, variant: 'record', expand }, charge));
  }
  const fromRefunds: StripeObject[] = [];
  for (const slot of world.slotsBetween('refunds', from, to)) {
    const refund = world.recordAt('refunds', slot);
    const rng = world.random('balance_transactions', String(refund.id));
    const expand = rng.chance(ANOMALY_RATE);
    fromRefunds.push(buildRefundBalanceTransaction({ world, rng, created: slot.created, variant: 'record', expand }, refund));
  }
  const merged: StripeObject[] = [];
  let c = 0;
  let r = 0;
  while (c < fromCharges.length || r < fromRefunds.length) {
    const charge = fromCharges[c];
    const refund = fromRefunds[r];
    if (charge && (!refund || (charge.created as number) <= (refund.created as number))) {
      merged.push(charge);
      c++;
    } else if (refund) {
      merged.push(refund);
      r++;
    }
  }
  return merged;
}

/**
 * One account's records as seen by one generator call. Bucket plans and products are memoised
 * for the call's lifetime (lookups probe many hours); records are rebuilt on demand.
 */
class AccountWorld implements StripeWorld {
  readonly account: AccountProfile;
  readonly productCount: number;
  private readonly productNameOffset: number;
  private readonly plans = new Map<string, readonly number[]>();
  private readonly products = new Map<number, StripeObject>();

  constructor(
    private readonly seed: string,
    accountKey: string,
  ) {
    const rng = SeededRandom.derive(seed, accountKey, 'profile');
    const idTag = rng.alphanumeric(10);
    const home = countryProfile(rng.weighted(COUNTRY_WEIGHTS));
    const merchantName = `${rng.pick(MERCHANT_WORDS[0])} ${rng.pick(MERCHANT_WORDS[1])}`;
    // Stripe descriptors: at most 22 characters, no < > \ ' " *.
    const statementDescriptor = merchantName
      .toUpperCase()
      .replace(/[<>\\'"*]/g, '')
      .slice(0, 22)
      .trim();
    this.account = { key: accountKey, idTag, home, merchantName, statementDescriptor };
    this.productCount = rng.int(4, 8);
    this.productNameOffset = rng.int(0, PRODUCT_NAMES.length - 1);
  }

  random(...parts: ReadonlyArray<string | number>): SeededRandom {
    return SeededRandom.derive(this.seed, this.account.key, ...parts);
  }

  /** Sorted creation times of the records of `resource` in hour `bucket`. */
  plan(resource: DrawnResource, bucket: number): readonly number[] {
    const key = `${resource}:${bucket}`;
    let plan = this.plans.get(key);
    if (plan === undefined) {
      const rng = this.random(resource, 'plan', bucket);
      const count = rng.poisson(RATE_PER_HOUR[resource] * diurnalFactor(bucket));
      const times: number[] = [];
      for (let i = 0; i < count; i++) times.push(bucket * HOUR + rng.int(0, HOUR - 1));
      plan = times.sort((a, b) => a - b);
      this.plans.set(key, plan);
    }
    return plan;
  }

  /** Slots with `created` in [from, to), ascending by (created, index). */
  slotsBetween(resource: DrawnResource, from: number, to: number): RecordSlot[] {
    const slots: RecordSlot[] = [];
    const last = Math.ceil(to / HOUR) - 1;
    for (let bucket = Math.floor(from / HOUR); bucket <= last; bucket++) {
      const plan = this.plan(resource, bucket);
      plan.forEach((created, index) => {
        if (created >= from && created < to) slots.push({ bucket, index, created });
      });
    }
    return slots;
  }

  /**
   * The record in `slot`; whether it is anomalous is its stream's first draw. Not memoised:
   * references rarely hit the same record twice, and keeping every built record alive made
   * garbage collection the main cost of long windows.
   */
  recordAt(resource: DrawnResource, slot: RecordSlot): StripeObject {
    const rng = this.random(resource, slot.bucket, slot.index);
    const expand = rng.chance(ANOMALY_RATE);
    return BUILDERS[resource]({ world: this, rng, created: slot.created, variant: 'record', expand });
  }

  customerBefore(before: number, rng: SeededRandom): StripeObject {
    return this.findBefore('customers', before, rng, LOOKBACK_HOURS.customers, () => true);
  }

  capturedChargeBefore(before: number, rng: SeededRandom): StripeObject {
    return this.findBefore('charges', before, rng, LOOKBACK_HOURS.charges, (charge) => charge.captured === true);
  }

  recurringPriceBefore(before: number, rng: SeededRandom): StripeObject {
    return this.findBefore('prices', before, rng, LOOKBACK_HOURS.prices, (price) => price.type === 'recurring' && price.active === true);
  }

  product(index: number): StripeObject {
    let product = this.products.get(index);
    if (product === undefined) {
      product = buildProduct(this.random('product', index), this.account, index, this.productNameOffset);
      this.products.set(index, product);
    }
    return product;
  }

  card(ownerId: string, since: number): CardProfile {
    return buildCardProfile(this.random('card', ownerId), this.account, since);
  }

  /**
   * A record of `resource` from a random earlier hour (within `lookbackHours`) that `accept`s.
   * Empty hours are skipped; if every attempt misses (vanishingly rare at the emulator's rates),
   * a synthetic record just before the current hour stands in, so a reference always resolves.
   */
  private findBefore(resource: DrawnResource, before: number, rng: SeededRandom, lookbackHours: number, accept: (record: StripeObject) => boolean): StripeObject {
    const currentBucket = Math.floor(before / HOUR);
    for (let attempt = 0; attempt < LOOKUP_ATTEMPTS; attempt++) {
      const bucket = currentBucket - rng.int(1, lookbackHours);
      const plan = this.plan(resource, bucket);
      if (plan.length === 0) continue;
      const index = rng.int(0, plan.length - 1);
      // rng.int's bounds are inclusive, so index is within the (non-empty) plan.
      const record = this.recordAt(resource, { bucket, index, created: plan[index]! });
      if (accept(record)) return record;
    }
    for (let k = 0; k < 1000; k++) {
      const rng = this.random(resource, 'fallback', currentBucket, k);
      const record = BUILDERS[resource]({ world: this, rng, created: currentBucket * HOUR - 1, variant: 'record', expand: false });
      if (accept(record)) return record;
    }
    // Unreachable with the builders' probabilities; fail loudly rather than loop forever.
    throw new Error(`No ${resource} record found before ${before}`);
  }
}
