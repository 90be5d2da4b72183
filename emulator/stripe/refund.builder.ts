/**
 * Refunds (`object: "refund"`) of captured card charges of the same account, created after the
 * charge. The expandable anomaly field is `charge` (the whole charge instead of its `ch_…` id).
 */
import type { BuildContext } from './build-context.js';
import { expandedCopy, refId, stripeId } from './build-context.js';
import type { StripeObject } from './stripe-resources.js';

/** Builds one refund of a real, earlier, captured charge. */
export function buildRefund(ctx: BuildContext): StripeObject {
  const { rng, world, created, expand } = ctx;
  const sample = ctx.variant === 'sample';
  const account = world.account;
  const charge = world.capturedChargeBefore(created, rng);
  const chargeAmount = charge.amount as number;
  const partial = !sample && chargeAmount > 1 && rng.chance(0.3);
  const amount = partial ? rng.int(1, chargeAmount - 1) : chargeAmount;
  const status = sample
    ? 'succeeded'
    : rng.weighted([
        ['succeeded', 93],
        ['pending', 7],
      ]);
  // Refunds within a day of the charge are usually reversals of the authorization.
  const reversal = created - (charge.created as number) < 86400;

  return {
    id: stripeId('re_', rng, account),
    object: 'refund',
    amount,
    balance_transaction: stripeId('txn_', rng, account),
    charge: expand ? expandedCopy(charge) : refId(charge.id),
    created,
    currency: charge.currency,
    customer: refId(charge.customer),
    customer_account: null,
    destination_details: {
      card: {
        reference: status === 'succeeded' && !reversal ? rng.digits(23) : null,
        reference_status: status === 'succeeded' ? (reversal ? 'unavailable' : 'available') : 'pending',
        reference_type: 'acquirer_reference_number',
        type: reversal ? 'reversal' : 'refund',
      },
      type: 'card',
    },
    metadata: {},
    payment_intent: charge.payment_intent,
    payment_method: charge.payment_method,
    reason: sample
      ? 'requested_by_customer'
      : rng.weighted<string | null>([
          [null, 40],
          ['requested_by_customer', 45],
          ['duplicate', 10],
          ['fraudulent', 5],
        ]),
    receipt_number: sample || rng.chance(0.2) ? `${rng.digits(4)}-${rng.digits(4)}` : null,
    source_transfer_reversal: null,
    status,
    transfer_reversal: null,
  };
}
