/**
 * Balance transactions (`object: "balance_transaction"`). They are not drawn on their own: each
 * captured charge and each refund of the account moves money once, so its balance transaction
 * mirrors it — same `created`, id equal to the charge's or refund's `balance_transaction`,
 * `source` pointing back. The expandable anomaly field is `source` (the charge or refund object).
 *
 * `fee_details` lists Stripe's processing fee for charges and is empty for refunds; the sample
 * keeps it empty, as Stripe's fixture does (explore then types its items as `{}`).
 */
import type { BuildContext } from './build-context.js';
import { expandedCopy, refId } from './build-context.js';
import type { StripeObject } from './stripe-resources.js';
import { midnightAfter } from './stripe-vocabulary.js';

/** Card processing fee in minor units: 2.9% + 30. */
export function cardFee(amount: number): number {
  return Math.round(amount * 0.029) + 30;
}

/** The balance transaction of a captured charge. `ctx.created` is ignored: it is the charge's. */
export function buildChargeBalanceTransaction(ctx: BuildContext, charge: StripeObject): StripeObject {
  const { rng, expand } = ctx;
  const sample = ctx.variant === 'sample';
  const amount = charge.amount as number;
  const created = charge.created as number;
  const currency = charge.currency as string;
  const fee = cardFee(amount);
  return {
    id: charge.balance_transaction,
    object: 'balance_transaction',
    amount,
    available_on: midnightAfter(created, 2),
    balance_type: 'payments',
    created,
    currency,
    description: charge.description ?? null,
    exchange_rate: null,
    fee,
    fee_details: sample ? [] : [{ amount: fee, application: null, currency, description: 'Stripe processing fees', type: 'stripe_fee' }],
    net: amount - fee,
    reporting_category: 'charge',
    source: expand ? expandedCopy(charge) : refId(charge.id),
    status: sample || rng.chance(0.9) ? 'available' : 'pending',
    type: 'charge',
  };
}

/** The balance transaction of a refund: money leaves the balance, no fee. */
export function buildRefundBalanceTransaction(ctx: BuildContext, refund: StripeObject): StripeObject {
  const { rng, expand } = ctx;
  const amount = refund.amount as number;
  const created = refund.created as number;
  return {
    id: refund.balance_transaction,
    object: 'balance_transaction',
    amount: -amount,
    available_on: midnightAfter(created, 0),
    balance_type: 'payments',
    created,
    currency: refund.currency,
    description: 'REFUND FOR CHARGE',
    exchange_rate: null,
    fee: 0,
    fee_details: [],
    net: -amount,
    reporting_category: 'refund',
    source: expand ? expandedCopy(refund) : refId(refund.id),
    status: refund.status === 'pending' || rng.chance(0.1) ? 'pending' : 'available',
    type: 'refund',
  };
}
