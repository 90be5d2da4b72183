/**
 * Prices (`object: "price"`) and the products they belong to. Each account has a small product
 * catalogue; prices point at one of its products. The expandable anomaly field is `product`
 * (the whole product instead of its `prod_…` id).
 */
import type { AccountProfile, BuildContext } from './build-context.js';
import { expandedCopy, stripeId } from './build-context.js';
import type { SeededRandom } from './seeded-random.js';
import type { StripeObject } from './stripe-resources.js';
import { PRODUCT_NAMES } from './stripe-vocabulary.js';

/** Products exist before any generated price; catalogues were set up in 2020–2023. */
const CATALOGUE_START = 1_577_836_800;
const CATALOGUE_SPAN_SECONDS = 4 * 365 * 86400;

/**
 * Builds product `index` of the account's catalogue. `offset` rotates the name list per account
 * so catalogues differ while names stay unique within one.
 */
export function buildProduct(rng: SeededRandom, account: AccountProfile, index: number, offset: number): StripeObject {
  const created = CATALOGUE_START + rng.int(0, CATALOGUE_SPAN_SECONDS);
  const name = PRODUCT_NAMES[(offset + index) % PRODUCT_NAMES.length];
  return {
    id: stripeId('prod_', rng, account),
    object: 'product',
    active: true,
    created,
    default_price: null,
    description: rng.chance(0.6) ? `${name} from ${account.merchantName}` : null,
    images: [],
    livemode: false,
    marketing_features: [],
    metadata: {},
    name,
    package_dimensions: null,
    shippable: null,
    statement_descriptor: null,
    tax_code: null,
    type: 'service',
    unit_label: null,
    updated: created + rng.int(0, 90 * 86400),
    url: null,
  };
}

/** Builds one price of a product from the account's catalogue. Most prices are recurring. */
export function buildPrice(ctx: BuildContext): StripeObject {
  const { rng, world, created, expand } = ctx;
  const sample = ctx.variant === 'sample';
  const account = world.account;
  const product = world.product(rng.int(0, world.productCount - 1));
  const recurring = sample || rng.chance(0.75);
  const interval = rng.weighted([
    ['month', 70],
    ['year', 25],
    ['week', 5],
  ]);
  const intervalCount = interval === 'month' && rng.chance(0.08) ? 3 : 1;
  const monthly = rng.pick([500, 900, 1200, 1500, 2000, 2900, 4900, 9900, 19900]);
  const unitAmount = !recurring ? rng.pick([1000, 2500, 5000, 10000]) : interval === 'year' ? monthly * 10 : interval === 'week' ? Math.round(monthly / 4) : monthly * intervalCount;
  const name = String(product.name);
  const slug = name.toLowerCase().replace(/[^a-z0-9]+/g, '_');

  return {
    id: stripeId('price_', rng, account),
    object: 'price',
    active: sample || rng.chance(0.92),
    billing_scheme: 'per_unit',
    created,
    currency: account.home.currency,
    // Only "customer chooses the price" prices fill this; the sample shows its shape.
    custom_unit_amount: sample ? { maximum: null, minimum: null, preset: null } : null,
    livemode: false,
    lookup_key: sample || rng.chance(0.3) ? `${slug}_${recurring ? interval : 'once'}_${rng.alphanumeric(4).toLowerCase()}` : null,
    metadata: {},
    nickname: sample || rng.chance(0.5) ? `${name} (${recurring ? `${interval}ly` : 'one-time'})` : null,
    product: expand ? expandedCopy(product) : product.id,
    recurring: recurring
      ? {
          interval,
          interval_count: intervalCount,
          meter: null,
          trial_period_days: sample || rng.chance(0.2) ? rng.pick([7, 14, 30]) : null,
          usage_type: 'licensed',
        }
      : null,
    tax_behavior: sample
      ? 'unspecified'
      : rng.weighted([
          ['unspecified', 60],
          ['exclusive', 30],
          ['inclusive', 10],
        ]),
    tiers_mode: null,
    transform_quantity: sample || rng.chance(0.03) ? { divide_by: rng.pick([5, 10, 100]), round: rng.pick(['up', 'down']) } : null,
    type: recurring ? 'recurring' : 'one_time',
    unit_amount: unitAmount,
    unit_amount_decimal: String(unitAmount),
  };
}
