/**
 * Word lists and small value helpers the record builders draw from. Values are plausible, not
 * real: people's e-mails use the reserved `example.*` domains and phone numbers the 555-01xx range.
 */
import type { SeededRandom } from './seeded-random.js';

/** A country a customer or account can be in, with the address pieces that look local there. */
export interface CountryProfile {
  readonly country: string;
  readonly currency: string;
  readonly locale: string;
  readonly cities: ReadonlyArray<readonly [city: string, state: string | null, postalPrefix: string]>;
  readonly phonePrefix: string;
}

export const COUNTRIES: readonly [CountryProfile, ...CountryProfile[]] = [
  {
    country: 'US',
    currency: 'usd',
    locale: 'en-US',
    cities: [
      ['San Francisco', 'CA', '941'],
      ['Austin', 'TX', '787'],
      ['Brooklyn', 'NY', '112'],
      ['Seattle', 'WA', '981'],
      ['Chicago', 'IL', '606'],
      ['Denver', 'CO', '802'],
    ],
    phonePrefix: '+1415555',
  },
  {
    country: 'GB',
    currency: 'gbp',
    locale: 'en-GB',
    cities: [
      ['London', null, 'EC1A '],
      ['Manchester', null, 'M1 '],
      ['Bristol', null, 'BS1 '],
    ],
    phonePrefix: '+4420795',
  },
  {
    country: 'FR',
    currency: 'eur',
    locale: 'fr-FR',
    cities: [
      ['Paris', null, '750'],
      ['Lyon', null, '690'],
    ],
    phonePrefix: '+3315501',
  },
  {
    country: 'DE',
    currency: 'eur',
    locale: 'de-DE',
    cities: [
      ['Berlin', null, '101'],
      ['Hamburg', null, '203'],
    ],
    phonePrefix: '+4930555',
  },
  {
    country: 'CA',
    currency: 'cad',
    locale: 'en-CA',
    cities: [
      ['Toronto', 'ON', 'M5V '],
      ['Vancouver', 'BC', 'V6B '],
    ],
    phonePrefix: '+1416555',
  },
  {
    country: 'AU',
    currency: 'aud',
    locale: 'en-AU',
    cities: [
      ['Sydney', 'NSW', '20'],
      ['Melbourne', 'VIC', '30'],
    ],
    phonePrefix: '+6125550',
  },
];

/** Where an account's customers live: mostly at home, some abroad. */
export const COUNTRY_WEIGHTS: ReadonlyArray<readonly [string, number]> = [
  ['US', 70],
  ['GB', 9],
  ['FR', 6],
  ['DE', 6],
  ['CA', 5],
  ['AU', 4],
];

export function countryProfile(country: string): CountryProfile {
  return COUNTRIES.find((c) => c.country === country) ?? COUNTRIES[0];
}

export const FIRST_NAMES = [
  'Jenny',
  'Ada',
  'Grace',
  'Alan',
  'Linus',
  'Margaret',
  'Tim',
  'Barbara',
  'Ken',
  'Radia',
  'Dennis',
  'Frances',
  'John',
  'Hedy',
  'Katherine',
  'Guido',
  'Anita',
  'Brendan',
  'Sophie',
  'Yukihiro',
  'Leslie',
  'Donald',
  'Edsger',
  'Shafi',
  'Niklaus',
  'Lynn',
  'Bjarne',
  'Carol',
  'Vint',
  'Mary',
] as const;

export const LAST_NAMES = [
  'Rosen',
  'Lovelace',
  'Hopper',
  'Turing',
  'Torvalds',
  'Hamilton',
  'Berners-Lee',
  'Liskov',
  'Thompson',
  'Perlman',
  'Ritchie',
  'Allen',
  'McCarthy',
  'Lamarr',
  'Johnson',
  'van Rossum',
  'Borg',
  'Eich',
  'Wilson',
  'Matsumoto',
  'Lamport',
  'Knuth',
  'Dijkstra',
  'Goldwasser',
  'Wirth',
  'Conway',
  'Stroustrup',
  'Shaw',
  'Cerf',
  'Keller',
] as const;

export const EMAIL_DOMAINS = ['example.com', 'example.org', 'example.net'] as const;

export const STREETS = ['Market Street', 'Main Street', 'Oak Avenue', 'High Street', 'Church Road', 'King Street', 'Elm Street', 'Station Road', 'Harbour Road', 'Park Lane'] as const;

export const MERCHANT_WORDS = [
  ['Northwind', 'Blue Harbor', 'Acme', 'Juniper', 'Fjord', 'Copperleaf', 'Tidewater', 'Silverline', 'Maple & Co', 'Lumen'],
  ['Outfitters', 'Coffee', 'Books', 'Studio', 'Supply', 'Bikes', 'Labs', 'Goods', 'Apparel', 'Garden'],
] as const;

/** Products a merchant sells; prices and subscriptions refer to them. */
export const PRODUCT_NAMES = [
  'Starter plan',
  'Pro plan',
  'Team plan',
  'Enterprise plan',
  'Coffee subscription',
  'Monthly box',
  'Gift card',
  'Extra seat',
  'Support add-on',
  'Annual membership',
  'Storage pack',
  'Print edition',
] as const;

/** Charge description stems; a number follows each. */
export const CHARGE_DESCRIPTIONS = ['Order #', 'Subscription renewal #', 'Payment for order #', 'Web checkout #', 'In-store purchase #'] as const;

/** Card brand → weight; `network` equals the brand for these four. */
export const CARD_BRANDS: ReadonlyArray<readonly [string, number]> = [
  ['visa', 55],
  ['mastercard', 30],
  ['amex', 10],
  ['discover', 5],
];

/** Decline reasons Stripe reports for failed card charges. */
export const DECLINES: ReadonlyArray<{
  readonly declineCode: string;
  readonly failureCode: string;
  readonly message: string;
  readonly outcomeType: string;
  readonly networkStatus: string;
  readonly adviceCode: string | null;
  readonly networkDeclineCode: string | null;
}> = [
  {
    declineCode: 'generic_decline',
    failureCode: 'card_declined',
    message: 'Your card was declined.',
    outcomeType: 'issuer_declined',
    networkStatus: 'declined_by_network',
    adviceCode: 'try_again_later',
    networkDeclineCode: '05',
  },
  {
    declineCode: 'insufficient_funds',
    failureCode: 'card_declined',
    message: 'Your card has insufficient funds.',
    outcomeType: 'issuer_declined',
    networkStatus: 'declined_by_network',
    adviceCode: 'try_again_later',
    networkDeclineCode: '51',
  },
  {
    declineCode: 'expired_card',
    failureCode: 'expired_card',
    message: 'Your card has expired.',
    outcomeType: 'issuer_declined',
    networkStatus: 'declined_by_network',
    adviceCode: 'confirm_card_data',
    networkDeclineCode: '54',
  },
  {
    declineCode: 'incorrect_cvc',
    failureCode: 'incorrect_cvc',
    message: "Your card's security code is incorrect.",
    outcomeType: 'issuer_declined',
    networkStatus: 'declined_by_network',
    adviceCode: 'confirm_card_data',
    networkDeclineCode: 'N7',
  },
  {
    declineCode: 'highest_risk_level',
    failureCode: 'card_declined',
    message: 'Your card was declined.',
    outcomeType: 'blocked',
    networkStatus: 'not_sent_to_network',
    adviceCode: null,
    networkDeclineCode: null,
  },
];

/** A price point in minor units: mostly catalogue-looking amounts, sometimes arbitrary totals. */
export function pickAmount(rng: SeededRandom): number {
  if (rng.chance(0.35)) return rng.int(300, 60000);
  const base = rng.pick([500, 999, 1299, 1500, 1999, 2499, 2999, 4900, 4999, 7500, 9999, 12900, 19999, 24900, 49900]);
  return (
    base *
    rng.weighted([
      [1, 80],
      [2, 15],
      [3, 5],
    ])
  );
}

/** A plausible person: name, e-mail and phone. */
export function pickPerson(rng: SeededRandom, country: CountryProfile): { name: string; email: string; phone: string } {
  const first = rng.pick(FIRST_NAMES);
  const last = rng.pick(LAST_NAMES);
  const local = `${first}.${last}`.toLowerCase().replace(/[^a-z.]/g, '');
  const email = `${local}${rng.chance(0.4) ? rng.int(1, 99) : ''}@${rng.pick(EMAIL_DOMAINS)}`;
  return { name: `${first} ${last}`, email, phone: `${country.phonePrefix}${rng.int(100, 199)}` };
}

/** A Stripe address object in `country`. */
export function pickAddress(rng: SeededRandom, country: CountryProfile): Record<string, string | null> {
  const [city, state, postalPrefix] = rng.pick(country.cities);
  const postalTail = postalPrefix.endsWith(' ') ? `${rng.int(1, 9)}${rng.alphanumeric(2).toUpperCase()}` : rng.digits(5 - postalPrefix.length);
  return {
    city,
    country: country.country,
    line1: `${rng.int(1, 999)} ${rng.pick(STREETS)}`,
    line2: rng.chance(0.2) ? `Apt ${rng.int(1, 40)}` : null,
    postal_code: `${postalPrefix}${postalTail}`,
    state,
  };
}

/** Midnight UTC `days` days after `epochSeconds` (Stripe's `available_on` lands on day boundaries). */
export function midnightAfter(epochSeconds: number, days: number): number {
  return (Math.floor(epochSeconds / 86400) + days) * 86400;
}

/** The UTC calendar year of an epoch-seconds time (civil-from-days, without allocating a Date). */
export function yearOf(epochSeconds: number): number {
  const days = Math.floor(epochSeconds / 86400) + 719468;
  const era = Math.floor(days / 146097);
  const dayOfEra = days - era * 146097;
  const yearOfEra = Math.floor((dayOfEra - Math.floor(dayOfEra / 1460) + Math.floor(dayOfEra / 36524) - Math.floor(dayOfEra / 146096)) / 365);
  const dayOfYear = dayOfEra - (365 * yearOfEra + Math.floor(yearOfEra / 4) - Math.floor(yearOfEra / 100));
  const monthIndex = Math.floor((5 * dayOfYear + 2) / 153);
  return yearOfEra + era * 400 + (monthIndex >= 10 ? 1 : 0);
}
