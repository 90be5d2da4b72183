/**
 * Charges (`object: "charge"`): card payments made through PaymentIntents. Keys are in Stripe's
 * response order (`id`, `object`, then alphabetical).
 *
 * Outcomes (weights chosen so balance transactions average exactly 12 an hour, see generator):
 * - captured (10/12): `succeeded`, paid, captured, `balance_transaction` set;
 * - authorized only (1/12): `succeeded`, paid, not captured, `balance_transaction` null;
 * - failed (1/12): `failed`, not paid, with a decline code, message and outcome.
 *
 * The explore sample is an authorized-only charge, which is what Adobe's example explore output
 * looks like (`balance_transaction` null, `capture_before` set). Compared with that example the
 * sample also has `refunds` (Stripe's list object with an empty `data`, as in Stripe's fixture),
 * `billing_details.tax_id`, `outcome.{advice_code,network_advice_code,network_decline_code}` and
 * `payment_method_details.card.{authorization_code,network_transaction_id,regulated_status,
 * transaction_link_id}`; every path of Adobe's example exists with the same node.
 * `three_d_secure`, `wallet`, `installments`, `mandate`, `shipping`, `source`, `transfer_data`
 * and `review` are null in every charge (plain card-not-present payments, no Connect), as in
 * Adobe's example. The expandable anomaly field is `customer`.
 */
import type { BuildContext } from './build-context.js';
import { expandedCopy, refId, stripeId } from './build-context.js';
import type { StripeObject } from './stripe-resources.js';
import { CHARGE_DESCRIPTIONS, COUNTRIES, DECLINES, countryProfile, pickAddress, pickAmount, pickPerson } from './stripe-vocabulary.js';

/** What happened to a charge. */
export type ChargeOutcome = 'captured' | 'authorized' | 'failed';

/** Card authorizations expire after seven days. */
const AUTHORIZATION_WINDOW_SECONDS = 7 * 86400;

/** Builds one charge; its customer (if any) is a real customer of the same account. */
export function buildCharge(ctx: BuildContext): StripeObject {
  const { rng, world, created, expand } = ctx;
  const sample = ctx.variant === 'sample';
  const account = world.account;
  const outcome: ChargeOutcome = sample
    ? 'authorized'
    : rng.weighted<ChargeOutcome>([
        ['captured', 10],
        ['authorized', 1],
        ['failed', 1],
      ]);
  const captured = outcome === 'captured';
  const failed = outcome === 'failed';

  const id = stripeId('ch_', rng, account);
  const customer = sample || expand || rng.chance(0.8) ? world.customerBefore(created, rng) : undefined;
  const customerId = customer ? refId(customer.id) : null;
  const card = customer && customerId ? world.card(customerId, customer.created as number) : world.card(id, created);
  const guest = pickPerson(rng, account.home);
  const payerName = (customer?.name as string | null | undefined) ?? guest.name;
  const payerEmail = (customer?.email as string | null | undefined) ?? guest.email;
  const currency = sample || rng.chance(0.92) ? account.home.currency : rng.pick(COUNTRIES).currency;
  const amount = pickAmount(rng);
  const decline = failed ? rng.pick(DECLINES) : undefined;
  const riskScore = decline?.outcomeType === 'blocked' ? rng.int(76, 99) : rng.chance(0.04) ? rng.int(65, 75) : rng.int(0, 64);
  const riskLevel = riskScore > 75 ? 'highest' : riskScore > 64 ? 'elevated' : 'normal';
  const receiptEmail = !sample && rng.chance(0.4) ? payerEmail : null;
  // Adobe's example has every billing detail null; records carry what checkout collected.
  const withBilling = !sample && rng.chance(0.7);
  const withPostalCode = withBilling && rng.chance(0.6);

  return {
    id,
    object: 'charge',
    amount,
    amount_captured: captured ? amount : 0,
    amount_refunded: 0,
    application: null,
    application_fee: null,
    application_fee_amount: null,
    balance_transaction: captured ? stripeId('txn_', rng, account) : null,
    billing_details: {
      address: {
        city: null,
        country: withPostalCode ? card.country : null,
        line1: null,
        line2: null,
        postal_code: withPostalCode ? pickAddress(rng, countryProfile(card.country)).postal_code : null,
        state: null,
      },
      email: withBilling ? payerEmail : null,
      name: withBilling ? payerName : null,
      phone: null,
      tax_id: null,
    },
    calculated_statement_descriptor: account.statementDescriptor,
    captured,
    created,
    currency,
    customer: customer ? (expand ? expandedCopy(customer) : customerId) : null,
    description: sample || rng.chance(0.75) ? `${rng.pick(CHARGE_DESCRIPTIONS)}${rng.int(10000, 99999)}` : null,
    destination: null,
    dispute: null,
    disputed: captured && rng.chance(0.005),
    failure_balance_transaction: null,
    failure_code: decline ? decline.failureCode : null,
    failure_message: decline ? decline.message : null,
    fraud_details: {},
    invoice: customer && !sample && rng.chance(0.15) ? stripeId('in_', rng, account) : null,
    livemode: false,
    metadata: {},
    on_behalf_of: null,
    order: null,
    outcome: {
      advice_code: decline ? decline.adviceCode : null,
      network_advice_code: null,
      network_decline_code: decline ? decline.networkDeclineCode : null,
      network_status: decline ? decline.networkStatus : 'approved_by_network',
      reason: decline ? decline.declineCode : null,
      risk_level: riskLevel,
      risk_score: riskScore,
      seller_message: sellerMessage(decline?.declineCode, decline?.outcomeType),
      type: decline ? decline.outcomeType : 'authorized',
    },
    paid: !failed,
    payment_intent: stripeId('pi_', rng, account),
    payment_method: card.paymentMethodId,
    payment_method_details: {
      card: {
        amount_authorized: failed ? null : amount,
        authorization_code: failed ? null : rng.digits(6),
        brand: card.brand,
        capture_before: created + AUTHORIZATION_WINDOW_SECONDS,
        checks: {
          address_line1_check: null,
          address_postal_code_check: withPostalCode ? (rng.chance(0.95) ? 'pass' : 'fail') : null,
          cvc_check: decline?.declineCode === 'incorrect_cvc' ? 'fail' : 'pass',
        },
        country: card.country,
        exp_month: card.expMonth,
        exp_year: card.expYear,
        extended_authorization: { status: 'disabled' },
        fingerprint: card.fingerprint,
        funding: card.funding,
        incremental_authorization: { status: 'unavailable' },
        installments: null,
        last4: card.last4,
        mandate: null,
        multicapture: { status: 'unavailable' },
        network: card.network,
        network_token: { used: !sample && rng.chance(0.08) },
        network_transaction_id: failed ? null : rng.digits(15),
        overcapture: { maximum_amount_capturable: amount, status: 'unavailable' },
        regulated_status: card.funding === 'debit' && card.country === 'US' ? 'regulated' : 'unregulated',
        three_d_secure: null,
        transaction_link_id: null,
        wallet: null,
      },
      type: 'card',
    },
    radar_options: {},
    receipt_email: receiptEmail,
    receipt_number: captured && receiptEmail !== null ? `${rng.digits(4)}-${rng.digits(4)}` : null,
    receipt_url: `https://pay.stripe.com/receipts/payment/${rng.alphanumeric(88)}?s=ap`,
    refunded: false,
    // A charge is listed as created; refunds come later and don't rewrite it here.
    refunds: { object: 'list', data: [], has_more: false, url: `/v1/charges/${id}/refunds` },
    review: null,
    shipping: null,
    source: null,
    source_transfer: null,
    statement_descriptor: sample || rng.chance(0.4) ? account.statementDescriptor : null,
    statement_descriptor_suffix: null,
    status: failed ? 'failed' : 'succeeded',
    transfer_data: null,
    transfer_group: null,
  };
}

function sellerMessage(declineCode: string | undefined, outcomeType: string | undefined): string {
  if (declineCode === undefined) return 'Payment complete.';
  if (outcomeType === 'blocked') return 'Stripe blocked this payment as too risky.';
  if (declineCode === 'generic_decline') return 'The bank did not return any further details with this decline.';
  return `The bank returned the decline code \`${declineCode}\`.`;
}
