/**
 * Subscriptions (`object: "subscription"`) of a real customer of the account to one of its
 * recurring prices, with one subscription item (as in Stripe's fixture). Several objects that
 * are null in most subscriptions (`pause_collection`, `pending_update`, `transfer_data`,
 * `billing_thresholds`...) are present in the sample so explore shows their shape. The
 * expandable anomaly field is `customer`.
 */
import type { BuildContext } from './build-context.js';
import { expandedCopy, refId, stripeId } from './build-context.js';
import type { StripeObject } from './stripe-resources.js';

type SubscriptionStatus = 'active' | 'trialing' | 'past_due' | 'canceled' | 'incomplete';

const DAY = 86400;
const INTERVAL_SECONDS: Readonly<Record<string, number>> = { day: DAY, week: 7 * DAY, month: 30 * DAY, year: 365 * DAY };

/** Builds one subscription. */
export function buildSubscription(ctx: BuildContext): StripeObject {
  const { rng, world, created, expand } = ctx;
  const sample = ctx.variant === 'sample';
  const account = world.account;
  const customer = world.customerBefore(created, rng);
  const customerId = refId(customer.id) as string;
  const price = expandedCopy(world.recurringPriceBefore(created, rng));
  // An embedded price names its product by id, even when that price record itself was expanded.
  price.product = refId(price.product);
  // The sample shows every optional object a record's embedded price may carry.
  if (sample) {
    price.transform_quantity ??= { divide_by: 10, round: 'up' };
    (price.recurring as Record<string, unknown>).trial_period_days ??= 14;
  }
  const recurring = price.recurring as { interval: string; interval_count: number; trial_period_days: number | null };
  const periodSeconds = (INTERVAL_SECONDS[recurring.interval] ?? 30 * DAY) * recurring.interval_count;

  const id = stripeId('sub_', rng, account);
  const status: SubscriptionStatus = sample
    ? 'active'
    : rng.weighted<SubscriptionStatus>([
        ['active', 68],
        ['trialing', 12],
        ['past_due', 5],
        ['canceled', 10],
        ['incomplete', 5],
      ]);
  const trial = sample || status === 'trialing' || ((status === 'active' || status === 'canceled') && rng.chance(0.25));
  const trialEnd = trial ? created + (recurring.trial_period_days ?? 14) * DAY : null;
  const anchor = trialEnd ?? created;
  const periodStart = status === 'trialing' ? created : anchor;
  const periodEnd = status === 'trialing' ? anchor : anchor + periodSeconds;
  const canceledAt = sample || status === 'canceled' ? created + rng.int(1, 60) * DAY : null;
  const cancelAtPeriodEnd = !sample && status === 'active' && rng.chance(0.05);
  const sendInvoice = !sample && rng.chance(0.1);
  const quantity = rng.weighted([
    [1, 85],
    [2, 8],
    [5, 5],
    [10, 2],
  ]);
  const card = world.card(customerId, customer.created as number);
  const automaticTax = sample || rng.chance(0.3);
  const flexibleBilling = sample || rng.chance(0.1);

  return {
    id,
    object: 'subscription',
    application: null,
    application_fee_percent: null,
    automatic_tax: { disabled_reason: null, enabled: automaticTax, liability: automaticTax ? { type: 'self' } : null },
    billing_cycle_anchor: anchor,
    billing_cycle_anchor_config: sample ? { day_of_month: new Date(anchor * 1000).getUTCDate(), hour: null, minute: null, month: null, second: null } : null,
    billing_mode: { flexible: flexibleBilling ? { proration_discounts: 'included' } : null, type: flexibleBilling ? 'flexible' : 'classic' },
    billing_schedules: sample
      ? [
          {
            applies_to: null,
            bill_until: { computed_timestamp: anchor + 365 * DAY, duration: { interval: 'month', interval_count: 12 }, timestamp: null, type: 'duration' },
            key: 'default',
          },
        ]
      : [],
    billing_thresholds: sample ? { amount_gte: 100000, reset_billing_cycle_anchor: false } : null,
    cancel_at: sample ? periodEnd : cancelAtPeriodEnd ? periodEnd : null,
    cancel_at_period_end: cancelAtPeriodEnd,
    canceled_at: canceledAt,
    cancellation_details: {
      comment: null,
      feedback: canceledAt !== null && !sample && rng.chance(0.5) ? rng.pick(['too_expensive', 'unused', 'switched_service', 'missing_features']) : null,
      reason: canceledAt !== null ? (sample || rng.chance(0.7) ? 'cancellation_requested' : 'payment_failed') : null,
    },
    collection_method: sendInvoice ? 'send_invoice' : 'charge_automatically',
    created,
    currency: price.currency,
    customer: expand ? expandedCopy(customer) : customerId,
    customer_account: null,
    days_until_due: sendInvoice ? 30 : null,
    default_payment_method: sample || (!sendInvoice && rng.chance(0.8)) ? card.paymentMethodId : null,
    default_source: null,
    default_tax_rates: [],
    description: sample || rng.chance(0.1) ? String(price.nickname ?? 'Subscription') : null,
    discounts: [],
    ended_at: canceledAt,
    invoice_settings: { account_tax_ids: null, custom_fields: null, description: null, footer: null, issuer: { type: 'self' } },
    items: {
      object: 'list',
      data: [
        {
          id: stripeId('si_', rng, account),
          object: 'subscription_item',
          billing_thresholds: null,
          created,
          current_period_end: periodEnd,
          current_period_start: periodStart,
          discounts: [],
          metadata: {},
          plan: planFromPrice(price),
          price,
          quantity,
          subscription: id,
          tax_rates: [],
        },
      ],
      has_more: false,
      url: `/v1/subscription_items?subscription=${id}`,
    },
    latest_invoice: stripeId('in_', rng, account),
    livemode: false,
    managed_payments: { enabled: false },
    metadata: {},
    next_pending_invoice_item_invoice: sample ? periodEnd : null,
    on_behalf_of: null,
    pause_collection:
      sample || (status === 'active' && rng.chance(0.02))
        ? { behavior: rng.pick(['keep_as_draft', 'mark_uncollectible', 'void']), resumes_at: sample || rng.chance(0.5) ? periodEnd + periodSeconds : null }
        : null,
    payment_settings: {
      payment_method_options: sample || rng.chance(0.3) ? { card: { network: null, request_three_d_secure: 'automatic' } } : null,
      payment_method_types: sample || rng.chance(0.3) ? ['card'] : null,
      save_default_payment_method: sample
        ? 'on_subscription'
        : rng.weighted<string | null>([
            ['off', 60],
            ['on_subscription', 25],
            [null, 15],
          ]),
    },
    pending_invoice_item_interval: sample ? { interval: 'month', interval_count: 1 } : null,
    pending_setup_intent: null,
    pending_update: sample ? { billing_cycle_anchor: null, expires_at: created + 23 * 3600, subscription_items: null, trial_end: null, trial_from_plan: false } : null,
    schedule: null,
    start_date: created,
    status,
    test_clock: null,
    transfer_data: sample ? { amount_percent: null, destination: `acct_1${rng.alphanumeric(15)}` } : null,
    trial_end: trialEnd,
    trial_settings: {
      end_behavior: {
        missing_payment_method: sample
          ? 'create_invoice'
          : rng.weighted([
              ['create_invoice', 70],
              ['cancel', 20],
              ['pause', 10],
            ]),
      },
    },
    trial_start: trial ? created : null,
  };
}

/** The legacy `plan` Stripe still embeds beside `price` in a subscription item. */
function planFromPrice(price: StripeObject): StripeObject {
  const recurring = price.recurring as Record<string, unknown>;
  return {
    id: price.id,
    object: 'plan',
    active: price.active,
    amount: price.unit_amount,
    amount_decimal: price.unit_amount_decimal,
    billing_scheme: price.billing_scheme,
    created: price.created,
    currency: price.currency,
    interval: recurring.interval,
    interval_count: recurring.interval_count,
    livemode: false,
    metadata: {},
    meter: null,
    nickname: price.nickname,
    product: price.product,
    tiers_mode: null,
    transform_usage: null,
    trial_period_days: recurring.trial_period_days,
    usage_type: recurring.usage_type,
  };
}
