/**
 * What Flowgate knows about Stripe's records beyond what one explored sample shows, so that the
 * generated schema can hold every record Stripe may send and the generated mapping writes it:
 *
 * - **Expandable references** (`charge.customer`, `refund.charge`, …) are an id or, when the
 *   caller asked Stripe to expand them, the whole object, by design. The schema keeps the id in a
 *   string field whichever form arrives; when the explored sample shows the expanded object (its
 *   structure is then known) a `<field>_expanded` object field keeps it too.
 * - **Unix timestamps** (`created`, `canceled_at`, …: seconds since the epoch) become XDM
 *   date-times, also when the sample had null there.
 * - **Amounts** (`amount`, `fee`, `unit_amount`, …) stay integers in the currency's minor units
 *   (the record's `currency` field says which), also when the sample had null there.
 * - **`metadata`** is a map of strings (Stripe's arbitrary key/value pairs), at any depth.
 *
 * Pure: tables and a walk over an explore schema; `xdm-from-explore.ts` and
 * `mapping-generation.ts` both read records through {@link stripeAttributes}, so the schema and
 * the mapping always agree.
 */

/** A node of the hierarchical schema `explore` answers (only what the rules read). */
export interface StripeExploreNode {
  type?: string;
  properties?: Record<string, StripeExploreNode>;
  items?: StripeExploreNode;
}

/** How an attribute is stored and mapped. */
export type StripeFieldRole = 'plain' | 'timestamp' | 'amount' | 'reference' | 'map';

/** One attribute of an explored record that a mapping addresses as a whole. */
export interface StripeAttribute {
  /** The explore path, the mapping source, e.g. `data.customer`. */
  source: string;
  /** The keys below `data`, e.g. `['transfer_data', 'destination']`. */
  keys: string[];
  role: StripeFieldRole;
  /** The explore node (`{}` when the sample had null). */
  node: StripeExploreNode;
}

/** Expandable fields per resource (Stripe API reference, "Expanding responses"), as paths below the record. */
export const EXPANDABLE_FIELDS: Readonly<Record<string, readonly string[]>> = {
  charges: [
    'application',
    'application_fee',
    'balance_transaction',
    'customer',
    'failure_balance_transaction',
    'invoice',
    'on_behalf_of',
    'payment_intent',
    'review',
    'source_transfer',
    'transfer',
    'transfer_data.destination',
  ],
  refunds: ['balance_transaction', 'charge', 'failure_balance_transaction', 'payment_intent', 'source_transfer_reversal', 'transfer_reversal'],
  customers: ['default_source', 'test_clock', 'invoice_settings.default_payment_method'],
  balance_transactions: ['source'],
  subscriptions: [
    'application',
    'customer',
    'default_payment_method',
    'default_source',
    'latest_invoice',
    'on_behalf_of',
    'pending_setup_intent',
    'schedule',
    'test_clock',
    'transfer_data.destination',
  ],
  prices: ['product'],
};

/** Keys Stripe uses for Unix timestamps (seconds). */
export const TIMESTAMP_KEYS: ReadonlySet<string> = new Set([
  'created',
  'available_on',
  'canceled_at',
  'cancel_at',
  'capture_before',
  'current_period_start',
  'current_period_end',
  'ended_at',
  'start_date',
  'trial_start',
  'trial_end',
  'billing_cycle_anchor',
  'next_pending_invoice_item_invoice',
  'expires_at',
  'resumes_at',
  'start',
  'end',
  'computed_timestamp',
  'arrival_date',
  'due_date',
  'period_start',
  'period_end',
  'effective_at',
]);

/** Keys Stripe uses for amounts in a currency's minor units. */
export const AMOUNT_KEYS: ReadonlySet<string> = new Set([
  'amount',
  'amount_authorized',
  'amount_capturable',
  'amount_captured',
  'amount_received',
  'amount_refunded',
  'amount_off',
  'amount_gte',
  'application_fee_amount',
  'balance',
  'fee',
  'maximum_amount_capturable',
  'net',
  'unit_amount',
]);

const STRING: StripeExploreNode = { type: 'string' };
const INTEGER: StripeExploreNode = { type: 'integer' };

/**
 * The items of Stripe lists whose sample is often empty (a charge is listed before it is
 * refunded; a refund's balance transaction has no fee), as explore would show a filled one, so
 * the schema can hold the items when they come (Stripe API reference: the refund object, the
 * balance transaction's `fee_details`). Keyed by resource and path below the record.
 */
export const LIST_ITEMS: Readonly<Record<string, Readonly<Record<string, StripeExploreNode>>>> = {
  balance_transactions: {
    fee_details: { type: 'object', properties: { amount: INTEGER, application: STRING, currency: STRING, description: STRING, type: STRING } },
  },
  charges: {
    'refunds.data': {
      type: 'object',
      properties: {
        id: STRING,
        object: STRING,
        amount: INTEGER,
        balance_transaction: STRING,
        charge: STRING,
        created: INTEGER,
        currency: STRING,
        customer: STRING,
        description: STRING,
        destination_details: {
          type: 'object',
          properties: { card: { type: 'object', properties: { reference: STRING, reference_status: STRING, reference_type: STRING, type: STRING } }, type: STRING },
        },
        failure_balance_transaction: STRING,
        failure_reason: STRING,
        metadata: { type: 'object', properties: {} },
        payment_intent: STRING,
        payment_method: STRING,
        reason: STRING,
        receipt_number: STRING,
        source_transfer_reversal: STRING,
        status: STRING,
        transfer_reversal: STRING,
      },
    },
  },
};

/** The items of a list at `keys` when the sample's are unknown, from {@link LIST_ITEMS}; undefined otherwise. */
export function knownListItems(resource: string, keys: readonly string[], node: StripeExploreNode): StripeExploreNode | undefined {
  if (node.type !== 'array' || node.items?.type !== undefined) return undefined;
  return LIST_ITEMS[resource]?.[keys.join('.')];
}

/** Keys that hold a map of strings (Stripe's `metadata`). */
export const MAP_KEYS: ReadonlySet<string> = new Set(['metadata']);

/** The XDM date-time format Data Prep's `dformat` writes Unix timestamps in (UTC, ISO 8601). */
export const DATE_TIME_FORMAT = "yyyy-MM-dd'T'HH:mm:ss'Z'";

/**
 * The role of a field below the record (`keys` without `data`), from its name and its explore
 * node. `inArray` marks fields inside array items, which mappings copy whole: there only maps
 * keep their meaning (a timestamp inside a list stays the integer Stripe sends).
 */
export function stripeFieldRole(resource: string, keys: readonly string[], node: StripeExploreNode, inArray = false): StripeFieldRole {
  const key = keys[keys.length - 1] ?? '';
  const untyped = node.type === undefined;
  if (MAP_KEYS.has(key) && (untyped || node.type === 'object')) return 'map';
  if (inArray) return 'plain';
  if ((EXPANDABLE_FIELDS[resource] ?? []).includes(keys.join('.')) && (untyped || node.type === 'string' || node.type === 'object')) return 'reference';
  if (TIMESTAMP_KEYS.has(key) && (untyped || node.type === 'integer')) return 'timestamp';
  if (AMOUNT_KEYS.has(key) && (untyped || node.type === 'integer')) return 'amount';
  return 'plain';
}

/**
 * Every attribute of the record under `data` that a mapping addresses as a whole, in explore
 * order: objects with fields are descended into, unless they are a reference or a map;
 * everything else (scalars, arrays, empty objects, untyped nodes, references, maps) is one
 * attribute.
 */
export function stripeAttributes(exploreSchema: StripeExploreNode, resource: string): StripeAttribute[] {
  const out: StripeAttribute[] = [];
  const walk = (node: StripeExploreNode, keys: string[]) => {
    const role = stripeFieldRole(resource, keys, node);
    const children = node.type === 'object' && node.properties ? Object.entries(node.properties) : [];
    if (role === 'plain' && children.length > 0) {
      for (const [key, child] of children) walk(child, [...keys, key]);
      return;
    }
    out.push({ source: ['data', ...keys].join('.'), keys, role, node });
  };
  const record = exploreSchema.properties?.data;
  if (record?.type === 'object') for (const [key, child] of Object.entries(record.properties ?? {})) walk(child, [key]);
  return out;
}

/** Words Data Prep's expression language reserves; a field with such a name is written `${name}`. */
const RESERVED = new Set(['new', 'mod', 'or', 'break', 'var', 'lt', 'for', 'false', 'while', 'eq', 'gt', 'div', 'not', 'null', 'continue', 'else', 'and', 'ne', 'true', 'le', 'if', 'ge', 'return']);

/** A source path as an expression field reference: `data.customer.id`, `${...}` around names that need it. */
export function expressionPath(path: string): string {
  return path
    .split('.')
    .map((segment) => (/^[A-Za-z_$][A-Za-z0-9_$]*$/.test(segment) && !RESERVED.has(segment) ? segment : `\${${segment}}`))
    .join('.');
}

/** The Data Prep expression that writes a Unix-seconds attribute as an XDM date-time (null stays null). */
export function unixSecondsToDateTime(source: string): string {
  const field = expressionPath(source);
  return `iif(${field} == null, null, dformat(${field} * 1000, "${DATE_TIME_FORMAT}"))`;
}

/** The Data Prep expression that writes a reference's id, whether Stripe sent the id or the expanded object. */
export function referenceId(source: string): string {
  return `iif(contains_key("${source}.id"), ${expressionPath(`${source}.id`)}, ${expressionPath(source)})`;
}

/** The Data Prep expression that writes a reference's expanded object, and nothing when Stripe sent only the id. */
export function expandedReference(source: string): string {
  return `iif(contains_key("${source}.id"), ${expressionPath(source)}, null)`;
}
