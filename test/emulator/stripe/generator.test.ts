import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { ANOMALY_RATE, EXPANDED_ANOMALY_FIELDS, RATE_PER_HOUR, StripeDataGenerator } from '../../../emulator/stripe/generator.js';
import type { ExploreSchemaNode } from '../../../emulator/stripe/schema-inference.js';
import { inferExploreSchema, readPath, schemaPaths } from '../../../emulator/stripe/schema-inference.js';
import type { StripeObject, StripeResourcePath } from '../../../emulator/stripe/stripe-resources.js';
import { STRIPE_RESOURCE_PATHS, isStripeResourcePath } from '../../../emulator/stripe/stripe-resources.js';

const HOUR = 3600;
const DAY = 86400;
/** 2023-11-14T22:13:20Z — deliberately not on an hour boundary. */
const START = 1_700_000_000;
const ACCOUNT = 'conn-7f3a';

const generator = new StripeDataGenerator({ seed: 'flowgate-test' });

const OBJECT_TYPES: Record<StripeResourcePath, { object: string; prefix: string }> = {
  charges: { object: 'charge', prefix: 'ch_' },
  subscriptions: { object: 'subscription', prefix: 'sub_' },
  refunds: { object: 'refund', prefix: 're_' },
  balance_transactions: { object: 'balance_transaction', prefix: 'txn_' },
  customers: { object: 'customer', prefix: 'cus_' },
  prices: { object: 'price', prefix: 'price_' },
};

/** What object an anomalous field expands to. */
const EXPANDED_OBJECT_TYPES: Record<StripeResourcePath, readonly string[]> = {
  charges: ['customer'],
  subscriptions: ['customer'],
  refunds: ['charge'],
  balance_transactions: ['charge', 'refund'],
  customers: ['card'],
  prices: ['product'],
};

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Whether a record value may sit at a schema node: null anywhere, otherwise the node's type; `{}` takes any non-object. */
function fits(node: ExploreSchemaNode, value: unknown): boolean {
  if (value === null) return true;
  switch (node.type) {
    case undefined:
      return !isPlainObject(value);
    case 'object':
      return isPlainObject(value);
    case 'array':
      return Array.isArray(value);
    case 'string':
      return typeof value === 'string';
    case 'boolean':
      return typeof value === 'boolean';
    case 'integer':
      return Number.isInteger(value);
    case 'number':
      return typeof value === 'number';
  }
}

/** The top-most paths of `record` that are missing from the schema or don't fit their node. */
function schemaViolations(paths: Map<string, ExploreSchemaNode>, record: StripeObject): string[] {
  const out: string[] = [];
  const visit = (value: unknown, at: string): void => {
    const node = paths.get(at);
    if (node === undefined || !fits(node, value)) {
      out.push(at);
      return;
    }
    if (isPlainObject(value)) for (const [key, child] of Object.entries(value)) visit(child, `${at}.${key}`);
  };
  visit(record, 'data');
  return out;
}

function exploredPaths(resource: StripeResourcePath): Map<string, ExploreSchemaNode> {
  return schemaPaths(inferExploreSchema(generator.sample(resource)));
}

/** The anomaly field a record expands, or undefined; asserts nothing else breaks the schema. */
function anomalyOf(resource: StripeResourcePath, paths: Map<string, ExploreSchemaNode>, record: StripeObject): string | undefined {
  const violations = schemaViolations(paths, record);
  if (violations.length === 0) return undefined;
  assert.equal(violations.length, 1, `${String(record.id)} breaks the schema at ${violations.join(', ')}`);
  const violation = violations[0]!;
  const field = violation.slice('data.'.length);
  assert.ok(EXPANDED_ANOMALY_FIELDS[resource].includes(field), `${String(record.id)}: ${field} is not a documented anomaly field`);
  const expanded = readPath({ data: record }, violation);
  assert.ok(isPlainObject(expanded), `${String(record.id)}.${field} should be an expanded object`);
  assert.ok(EXPANDED_OBJECT_TYPES[resource].includes(String(expanded.object)), `${String(record.id)}.${field} expands to ${String(expanded.object)}`);
  assert.equal(typeof expanded.id, 'string');
  return field;
}

function loadTutorial(): { mappings: string[]; exploreSchema: ExploreSchemaNode } | undefined {
  const file = path.resolve(process.cwd(), '../shared/reference/stripe-tutorial.json');
  if (!existsSync(file)) return undefined;
  const tutorial = JSON.parse(readFileSync(file, 'utf8')) as {
    requests: Array<{ body?: { mappings?: Array<{ sourceAttribute: string }> } }>;
    exampleResponses: { explore_charges: { schema: ExploreSchemaNode } };
  };
  const createMappingSet = tutorial.requests[4];
  assert.ok(createMappingSet, 'the tutorial has a request #5');
  return {
    mappings: (createMappingSet.body?.mappings ?? []).map((m) => m.sourceAttribute),
    exploreSchema: tutorial.exampleResponses.explore_charges.schema,
  };
}
const TUTORIAL_MISSING = 'stripe-tutorial.json not found at ../shared/reference (relative to the working directory)';

describe('isStripeResourcePath', () => {
  it('accepts the six resource paths', () => {
    for (const resource of STRIPE_RESOURCE_PATHS) assert.equal(isStripeResourcePath(resource), true);
  });

  it('rejects anything else', () => {
    for (const value of ['Charges', 'charge', 'invoices', '', null, undefined, 3, ['charges']]) assert.equal(isStripeResourcePath(value), false);
  });
});

describe('StripeDataGenerator', () => {
  describe('sample', () => {
    it('is identical for two generators with the same seed', () => {
      const other = new StripeDataGenerator({ seed: 'flowgate-test' });
      for (const resource of STRIPE_RESOURCE_PATHS) assert.deepEqual(other.sample(resource), generator.sample(resource));
    });

    it('differs for a different seed', () => {
      const other = new StripeDataGenerator({ seed: 'another-seed' });
      for (const resource of STRIPE_RESOURCE_PATHS) assert.notDeepEqual(other.sample(resource), generator.sample(resource));
    });

    it('has the Stripe object type, an id with the right prefix and test-mode values', () => {
      for (const resource of STRIPE_RESOURCE_PATHS) {
        const sample = generator.sample(resource);
        const { object, prefix } = OBJECT_TYPES[resource];
        assert.equal(sample.object, object);
        assert.match(String(sample.id), new RegExp(`^${prefix}[0-9A-Za-z]{24}$`));
        assert.ok(Number.isInteger(sample.created));
        // Refunds and balance transactions have no livemode field in Stripe's API.
        if ('livemode' in sample) assert.equal(sample.livemode, false);
        else assert.ok(resource === 'refunds' || resource === 'balance_transactions', `${resource} lacks livemode`);
      }
    });

    it('returns a fresh object on every call', () => {
      const first = generator.sample('charges');
      first.amount = -1;
      assert.notEqual(generator.sample('charges').amount, -1);
    });

    it("has every source attribute of the tutorial's 36 charge mappings in the explored schema", (t) => {
      const tutorial = loadTutorial();
      if (tutorial === undefined) {
        t.skip(TUTORIAL_MISSING);
        return;
      }
      assert.equal(tutorial.mappings.length, 36);
      const paths = exploredPaths('charges');
      const missing = tutorial.mappings.filter((attribute) => !paths.has(attribute));
      assert.deepEqual(missing, []);
    });

    it("reproduces every path of Adobe's example explore output for charges with the same node", (t) => {
      const tutorial = loadTutorial();
      if (tutorial === undefined) {
        t.skip(TUTORIAL_MISSING);
        return;
      }
      const ours = exploredPaths('charges');
      for (const [at, node] of schemaPaths(tutorial.exploreSchema)) {
        const mine = ours.get(at);
        assert.ok(mine !== undefined, `missing ${at}`);
        if (node.type === 'object') assert.equal(mine.type, 'object', at);
        else assert.deepEqual(mine, node, at);
      }
    });

    it("adds only the documented Stripe fields to Adobe's example", (t) => {
      const tutorial = loadTutorial();
      if (tutorial === undefined) {
        t.skip(TUTORIAL_MISSING);
        return;
      }
      const adobe = schemaPaths(tutorial.exploreSchema);
      const extra = [...exploredPaths('charges').keys()].filter((at) => !adobe.has(at)).sort();
      assert.deepEqual(extra, [
        'data.billing_details.tax_id',
        'data.outcome.advice_code',
        'data.outcome.network_advice_code',
        'data.outcome.network_decline_code',
        'data.payment_method_details.card.authorization_code',
        'data.payment_method_details.card.network_transaction_id',
        'data.payment_method_details.card.regulated_status',
        'data.payment_method_details.card.transaction_link_id',
        'data.refunds',
        'data.refunds.data',
        'data.refunds.has_more',
        'data.refunds.object',
        'data.refunds.url',
      ]);
    });

    it("keeps the fixtures' empty arrays and subscription items' single element", () => {
      assert.deepEqual(readPath({ data: generator.sample('charges') }, 'data.refunds.data'), []);
      assert.deepEqual(generator.sample('customers').preferred_locales, []);
      assert.deepEqual(generator.sample('balance_transactions').fee_details, []);
      const items = readPath({ data: generator.sample('subscriptions') }, 'data.items.data');
      assert.ok(Array.isArray(items) && items.length === 1);
    });
  });

  describe('preview', () => {
    it('returns count rows whose first is the sample', () => {
      for (const resource of STRIPE_RESOURCE_PATHS) {
        const rows = generator.preview(resource, 5);
        assert.equal(rows.length, 5);
        assert.deepEqual(rows[0], generator.sample(resource));
        assert.equal(new Set(rows.map((row) => row.id)).size, 5, `${resource} rows have distinct ids`);
      }
    });

    it('is deterministic', () => {
      assert.deepEqual(new StripeDataGenerator({ seed: 'flowgate-test' }).preview('refunds', 8), generator.preview('refunds', 8));
    });

    it('returns no rows for a count of zero or less', () => {
      assert.deepEqual(generator.preview('charges', 0), []);
      assert.deepEqual(generator.preview('charges', -3), []);
    });

    it('returns rows that all fit the explored schema', () => {
      for (const resource of STRIPE_RESOURCE_PATHS) {
        const paths = exploredPaths(resource);
        for (const row of generator.preview(resource, 12)) assert.deepEqual(schemaViolations(paths, row), [], `${resource} ${String(row.id)}`);
      }
    });
  });

  describe('recordsBetween', () => {
    it('returns the same records for the same seed, account and window', () => {
      const other = new StripeDataGenerator({ seed: 'flowgate-test' });
      for (const resource of STRIPE_RESOURCE_PATHS) {
        assert.deepEqual(other.recordsBetween(resource, START, START + DAY, ACCOUNT), generator.recordsBetween(resource, START, START + DAY, ACCOUNT));
      }
    });

    it('returns different records for a different seed or account', () => {
      const day = generator.recordsBetween('charges', START, START + DAY, ACCOUNT);
      assert.notDeepEqual(new StripeDataGenerator({ seed: 'another-seed' }).recordsBetween('charges', START, START + DAY, ACCOUNT), day);
      assert.notDeepEqual(generator.recordsBetween('charges', START, START + DAY, 'conn-other'), day);
    });

    describe('when a three-day range is cut into windows', () => {
      const end = START + 3 * DAY;
      const cuts = [START + 1, START + 1234, START + HOUR, START - (START % HOUR) + 5 * HOUR, START + DAY, START + DAY + 1, START + 2 * DAY - 1, end - 1];

      for (const resource of STRIPE_RESOURCE_PATHS) {
        it(`returns the same ${resource} as the whole range, at every cut`, () => {
          const whole = generator.recordsBetween(resource, START, end, ACCOUNT);
          assert.ok(whole.length > 0);
          for (const cut of cuts) {
            const parts = [...generator.recordsBetween(resource, START, cut, ACCOUNT), ...generator.recordsBetween(resource, cut, end, ACCOUNT)];
            assert.deepEqual(parts, whole, `cut at ${cut}`);
          }
        });
      }

      it('returns the same charges when cut into fifteen-minute runs', () => {
        const whole = generator.recordsBetween('charges', START, end, ACCOUNT);
        const runs: StripeObject[] = [];
        for (let from = START; from < end; from += 900) runs.push(...generator.recordsBetween('charges', from, Math.min(from + 900, end), ACCOUNT));
        assert.deepEqual(runs, whole);
      });
    });

    it('returns records created inside the window, sorted by created', () => {
      const from = START + 777;
      const to = from + DAY + 5000;
      for (const resource of STRIPE_RESOURCE_PATHS) {
        let previous = -Infinity;
        for (const record of generator.recordsBetween(resource, from, to, ACCOUNT)) {
          const created = record.created as number;
          assert.ok(Number.isInteger(created) && created >= from && created < to, `${resource} ${String(record.id)} created ${created}`);
          assert.ok(created >= previous, `${resource} not sorted at ${String(record.id)}`);
          previous = created;
        }
      }
    });

    it('returns nothing for an empty or inverted window', () => {
      assert.deepEqual(generator.recordsBetween('charges', START, START, ACCOUNT), []);
      assert.deepEqual(generator.recordsBetween('charges', START + 10, START, ACCOUNT), []);
    });

    it('rejects non-finite bounds and unknown resources with a RangeError', () => {
      assert.throws(() => generator.recordsBetween('charges', Number.NaN, START, ACCOUNT), RangeError);
      assert.throws(() => generator.recordsBetween('charges', START, Number.POSITIVE_INFINITY, ACCOUNT), RangeError);
      assert.throws(() => generator.recordsBetween('invoices' as StripeResourcePath, START, START + DAY, ACCOUNT), RangeError);
    });

    it('gives every record its object type, a prefixed id, test mode and integer amounts', () => {
      for (const resource of STRIPE_RESOURCE_PATHS) {
        const { object, prefix } = OBJECT_TYPES[resource];
        const records = generator.recordsBetween(resource, START, START + DAY, ACCOUNT);
        assert.equal(new Set(records.map((r) => r.id)).size, records.length, `${resource} ids are unique`);
        for (const record of records) {
          assert.equal(record.object, object);
          assert.match(String(record.id), new RegExp(`^${prefix}[0-9A-Za-z]{24}$`));
          if ('livemode' in record) assert.equal(record.livemode, false);
          if ('amount' in record) assert.ok(Number.isInteger(record.amount), `${String(record.id)} amount`);
          if ('currency' in record && record.currency !== null) assert.match(record.currency as string, /^[a-z]{3}$/);
        }
      }
    });

    it('produces about ratePerHour records an hour over a week', () => {
      for (const resource of STRIPE_RESOURCE_PATHS) {
        const count = generator.recordsBetween(resource, START, START + 7 * DAY, ACCOUNT).length;
        const expected = generator.ratePerHour(resource) * 24 * 7;
        assert.ok(Math.abs(count - expected) < expected * 0.15, `${resource}: ${count} vs ${expected}`);
      }
    });

    it('refunds earlier captured charges that the same account lists', () => {
      const refunds = generator.recordsBetween('refunds', START + 4 * DAY, START + 5 * DAY, ACCOUNT);
      const charges = new Map(generator.recordsBetween('charges', START, START + 5 * DAY, ACCOUNT).map((c) => [c.id, c]));
      assert.ok(refunds.length > 0);
      for (const refund of refunds) {
        const chargeId = isPlainObject(refund.charge) ? refund.charge.id : refund.charge;
        assert.match(String(chargeId), /^ch_/);
        const charge = charges.get(chargeId);
        assert.ok(charge !== undefined, `${String(chargeId)} is listed`);
        assert.equal(charge.captured, true);
        assert.ok((charge.created as number) < (refund.created as number));
        assert.ok((refund.amount as number) <= (charge.amount as number));
        assert.equal(refund.currency, charge.currency);
        assert.equal(refund.payment_intent, charge.payment_intent);
      }
    });

    it('mirrors every captured charge and every refund with one balance transaction', () => {
      const window = [START, START + DAY] as const;
      const captured = generator.recordsBetween('charges', ...window, ACCOUNT).filter((c) => c.captured === true);
      const refunds = generator.recordsBetween('refunds', ...window, ACCOUNT);
      const transactions = generator.recordsBetween('balance_transactions', ...window, ACCOUNT);
      assert.equal(transactions.length, captured.length + refunds.length);
      const byId = new Map(transactions.map((txn) => [txn.id, txn]));
      for (const source of [...captured, ...refunds]) {
        const txn = byId.get(source.balance_transaction);
        assert.ok(txn !== undefined, `${String(source.id)} has its balance transaction`);
        const sourceId = isPlainObject(txn.source) ? txn.source.id : txn.source;
        assert.equal(sourceId, source.id);
        assert.equal(txn.created, source.created);
        assert.equal(txn.net, (txn.amount as number) - (txn.fee as number));
      }
    });

    it('points charges and subscriptions at customers of the same account', () => {
      const customers = new Set(generator.recordsBetween('customers', START - 91 * DAY, START + DAY, ACCOUNT).map((c) => c.id));
      for (const resource of ['charges', 'subscriptions'] as const) {
        for (const record of generator.recordsBetween(resource, START, START + DAY, ACCOUNT)) {
          if (record.customer === null) continue;
          const customerId = isPlainObject(record.customer) ? record.customer.id : record.customer;
          assert.ok(customers.has(customerId), `${String(record.id)} -> ${String(customerId)}`);
        }
      }
    });

    for (const resource of STRIPE_RESOURCE_PATHS) {
      it(`keeps every path of a week of ${resource} in the explored schema, except documented expanded objects`, () => {
        const paths = exploredPaths(resource);
        const records = generator.recordsBetween(resource, START, START + 7 * DAY, ACCOUNT);
        const anomalies = records.filter((record) => anomalyOf(resource, paths, record) !== undefined);
        assert.ok(anomalies.length > 0, `a week of ${resource} has at least one expanded object`);
      });
    }

    /** Where a value inside list items breaks the items' node (typed items only: an empty sample list says nothing). */
    const itemViolations = (node: ExploreSchemaNode, value: unknown, at: string): string[] => {
      if (value === null || value === undefined) return [];
      if (node.type === 'array' && Array.isArray(value) && node.items?.type !== undefined) {
        return value.flatMap((item, i) => (fits(node.items!, item) ? itemViolations(node.items!, item, `${at}[${i}]`) : [`${at}[${i}]`]));
      }
      if (node.type === 'object' && isPlainObject(value)) {
        return Object.entries(value).flatMap(([key, child]) => {
          const childNode = node.properties?.[key];
          if (!childNode) return at.includes('[') ? [`${at}.${key}`] : [];
          return at.includes('[') && !fits(childNode, child) ? [`${at}.${key}`] : itemViolations(childNode, child, `${at}.${key}`);
        });
      }
      return [];
    };

    for (const resource of STRIPE_RESOURCE_PATHS) {
      it(`keeps the items of every list of a week of ${resource} within the items the sample shows (issue 12: a subscription's embedded price)`, () => {
        const schema = inferExploreSchema(generator.sample(resource)).properties!.data!;
        const records = generator.recordsBetween(resource, START, START + 7 * DAY, ACCOUNT);
        assert.deepEqual(
          records.flatMap((record) => itemViolations(schema, record, 'data')),
          [],
        );
      });
    }

    it('expands objects in roughly 3% of a week of charges', () => {
      const paths = exploredPaths('charges');
      const records = generator.recordsBetween('charges', START, START + 7 * DAY, ACCOUNT);
      const share = records.filter((record) => anomalyOf('charges', paths, record) !== undefined).length / records.length;
      assert.equal(ANOMALY_RATE, 0.03);
      assert.ok(share >= 0.015 && share <= 0.045, `share ${share}`);
    });
  });

  describe('ratePerHour', () => {
    it('returns the documented constants', () => {
      assert.deepEqual(Object.fromEntries(STRIPE_RESOURCE_PATHS.map((r) => [r, generator.ratePerHour(r)])), {
        charges: 12,
        subscriptions: 2,
        refunds: 2,
        balance_transactions: 12,
        customers: 4,
        prices: 1,
      });
      assert.deepEqual(RATE_PER_HOUR, { charges: 12, balance_transactions: 12, refunds: 2, customers: 4, subscriptions: 2, prices: 1 });
    });
  });

  describe('constructor', () => {
    it('rejects a missing seed', () => {
      assert.throws(() => new StripeDataGenerator({} as { seed: string }), TypeError);
    });
  });
});
