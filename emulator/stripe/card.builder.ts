/**
 * Cards: the stable traits of one card, and the legacy `card` object Stripe returns when a
 * customer's `default_source` is expanded.
 */
import type { AccountProfile, CardProfile } from './build-context.js';
import { stripeId } from './build-context.js';
import type { SeededRandom } from './seeded-random.js';
import type { StripeObject } from './stripe-resources.js';
import { CARD_BRANDS, COUNTRY_WEIGHTS, yearOf } from './stripe-vocabulary.js';

/** Draws a card issued no later than `since` (so it is unexpired when first used). */
export function buildCardProfile(rng: SeededRandom, account: AccountProfile, since: number): CardProfile {
  const brand = rng.weighted(CARD_BRANDS);
  return {
    brand,
    network: brand,
    last4: rng.digits(4),
    expMonth: rng.int(1, 12),
    expYear: yearOf(since) + rng.int(1, 6),
    funding: rng.weighted([
      ['credit', 60],
      ['debit', 38],
      ['prepaid', 2],
    ]),
    // Cards are mostly issued where the merchant sells.
    country: rng.chance(0.8) ? account.home.country : rng.weighted(COUNTRY_WEIGHTS),
    fingerprint: rng.alphanumeric(16),
    paymentMethodId: stripeId('pm_', rng, account),
    cardId: stripeId('card_', rng, account),
  };
}

/** The `card` object (`object: "card"`) an expanded `default_source` holds. */
export function buildCardObject(card: CardProfile, customerId: string, holderName: string | null): StripeObject {
  return {
    id: card.cardId,
    object: 'card',
    address_city: null,
    address_country: null,
    address_line1: null,
    address_line1_check: null,
    address_line2: null,
    address_state: null,
    address_zip: null,
    address_zip_check: null,
    brand: capitalizeBrand(card.brand),
    country: card.country,
    customer: customerId,
    cvc_check: 'pass',
    dynamic_last4: null,
    exp_month: card.expMonth,
    exp_year: card.expYear,
    fingerprint: card.fingerprint,
    funding: card.funding,
    last4: card.last4,
    metadata: {},
    name: holderName,
    tokenization_method: null,
    wallet: null,
  };
}

/** Legacy card objects spell brands for display ("Visa", "American Express"). */
function capitalizeBrand(brand: string): string {
  switch (brand) {
    case 'amex':
      return 'American Express';
    case 'mastercard':
      return 'MasterCard';
    default:
      return brand.charAt(0).toUpperCase() + brand.slice(1);
  }
}
