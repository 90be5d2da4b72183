/**
 * Customers (`object: "customer"`), keys in Stripe's response order: `id`, `object`, then
 * alphabetical. The expandable anomaly field is `default_source` (a `card` object instead of
 * its `card_…` id).
 */
import type { BuildContext } from './build-context.js';
import { stripeId } from './build-context.js';
import { buildCardObject } from './card.builder.js';
import type { StripeObject } from './stripe-resources.js';
import { COUNTRY_WEIGHTS, countryProfile, pickAddress, pickPerson } from './stripe-vocabulary.js';

const COUPONS = ['WELCOME10', 'SPRING20', 'LOYALTY15', 'FRIENDS25', 'BLACKFRIDAY'] as const;

/** Builds one customer. In the sample every optional object (address, discount, shipping...) is present. */
export function buildCustomer(ctx: BuildContext): StripeObject {
  const { rng, world, created, expand } = ctx;
  const sample = ctx.variant === 'sample';
  const account = world.account;
  const country = rng.chance(0.85) ? account.home : countryProfile(rng.weighted(COUNTRY_WEIGHTS));
  const id = stripeId('cus_', rng, account);
  const person = pickPerson(rng, country);
  const card = world.card(id, created);
  const hasCard = sample || expand || rng.chance(0.55);
  const hasAddress = sample || rng.chance(0.6);
  const hasShipping = sample || rng.chance(0.2);
  const discounted = sample || rng.chance(0.08);
  const address = pickAddress(rng, country);

  return {
    id,
    object: 'customer',
    address: hasAddress ? address : null,
    balance: !sample && rng.chance(0.05) ? -rng.int(100, 5000) : 0,
    created,
    // Stripe sets a customer's currency at its first payment, so new customers often have none.
    currency: sample || rng.chance(0.8) ? country.currency : null,
    default_source: hasCard ? (expand ? buildCardObject(card, id, person.name) : card.cardId) : null,
    delinquent: !sample && rng.chance(0.03),
    description: sample || rng.chance(0.1) ? `Customer since ${new Date(created * 1000).toISOString().slice(0, 10)}` : null,
    discount: discounted
      ? {
          id: stripeId('di_', rng, account),
          object: 'discount',
          checkout_session: null,
          customer: id,
          customer_account: null,
          end: sample || rng.chance(0.5) ? created + rng.int(30, 365) * 86400 : null,
          invoice: null,
          invoice_item: null,
          promotion_code: sample || rng.chance(0.3) ? stripeId('promo_', rng, account) : null,
          source: { coupon: rng.pick(COUPONS), type: 'coupon' },
          start: created,
          subscription: null,
          subscription_item: null,
        }
      : null,
    email: sample || rng.chance(0.95) ? person.email : null,
    invoice_prefix: rng.alphanumeric(8).toUpperCase(),
    invoice_settings: {
      custom_fields: null,
      default_payment_method: sample || (hasCard && rng.chance(0.5)) ? card.paymentMethodId : null,
      footer: null,
      rendering_options: sample ? { amount_tax_display: null, template: null } : null,
    },
    livemode: false,
    metadata: {},
    name: sample || rng.chance(0.9) ? person.name : null,
    next_invoice_sequence: rng.int(1, 12),
    phone: sample || rng.chance(0.3) ? person.phone : null,
    // Stripe's fixture keeps this empty; a few customers pick their language.
    preferred_locales: !sample && rng.chance(0.15) ? [country.locale] : [],
    shipping: hasShipping ? { address: rng.chance(0.7) ? address : pickAddress(rng, country), name: person.name, phone: null } : null,
    tax_exempt: sample
      ? 'none'
      : rng.weighted([
          ['none', 97],
          ['exempt', 2],
          ['reverse', 1],
        ]),
    test_clock: null,
  };
}
