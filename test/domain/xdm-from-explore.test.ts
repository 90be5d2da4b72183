import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { exploreLeaves, exploreSchemaProblem, xdmFromExplore, xdmNames, type ExploreNode, type XdmFieldDefinition } from '../../src/domain/xdm-from-explore.js';

const INT = { type: 'integer', minimum: -9007199254740992, maximum: 9007199254740991 } as const;

/** A charge-like explore schema, as the Platform infers it (null → `{}`). */
const chargeSchema: ExploreNode = {
  type: 'object',
  properties: {
    data: {
      type: 'object',
      properties: {
        id: { type: 'string' },
        amount: INT,
        paid: { type: 'boolean' },
        fee_rate: { type: 'number' },
        failure_code: {},
        metadata: { type: 'object', properties: {} },
        outcome: { type: 'object', properties: { type: { type: 'string' }, risk_score: INT } },
        refunds: { type: 'array', items: { type: 'object', properties: { id: { type: 'string' }, 'bad key': { type: 'string' } } } },
        tags: { type: 'array', items: {} },
      },
    },
  },
};

/** The field `name` of an object definition, which the test expects to be there. */
function fieldOf(parent: XdmFieldDefinition | undefined, name: string): XdmFieldDefinition {
  const field = parent?.properties?.[name];
  assert.ok(field, `the definition has a field '${name}'`);
  return field;
}

describe('xdmFromExplore', () => {
  const mirror = xdmFromExplore(chargeSchema, { tenantId: 'flowgatelocal', resource: 'charges' });
  const record = fieldOf(mirror.tenantProperties._flowgatelocal, 'charges_data');

  it('puts the record under _{tenant}.{resource}_data', () => {
    assert.equal(mirror.tenantNamespace, '_flowgatelocal');
    assert.equal(mirror.recordFieldName, 'charges_data');
    assert.deepEqual(Object.keys(mirror.tenantProperties), ['_flowgatelocal']);
    assert.equal(mirror.tenantProperties._flowgatelocal?.type, 'object');
    assert.equal(record.type, 'object');
    assert.deepEqual(Object.keys(record.properties!), ['id', 'amount', 'paid', 'fee_rate', 'failure_code', 'metadata', 'outcome', 'refunds', 'tags']);
  });

  it('types a field that was null in the sample as a string', () => {
    assert.deepEqual(record.properties!.failure_code, { type: 'string' });
  });

  it('keeps the bounds of integers and the type of numbers and booleans', () => {
    assert.deepEqual(record.properties!.amount, { ...INT, description: "In the smallest unit of the record's currency (e.g. cents for usd)." });
    assert.deepEqual(record.properties!.fee_rate, { type: 'number' });
    assert.deepEqual(record.properties!.paid, { type: 'boolean' });
  });

  it('gives arrays with unknown items string items, and keeps object items', () => {
    assert.deepEqual(record.properties!.tags, { type: 'array', items: { type: 'string' } });
    assert.equal(fieldOf(record, 'refunds').items?.type, 'object');
    assert.deepEqual(Object.keys(fieldOf(record, 'refunds').items!.properties!), ['id', 'bad_key']);
  });

  it('lists every leaf with its XDM path, XDM type and the explore path it mirrors, in schema order', () => {
    assert.deepEqual(mirror.fields, [
      { path: '_flowgatelocal.charges_data.id', type: 'string', source: 'data.id' },
      { path: '_flowgatelocal.charges_data.amount', type: 'integer', source: 'data.amount' },
      { path: '_flowgatelocal.charges_data.paid', type: 'boolean', source: 'data.paid' },
      { path: '_flowgatelocal.charges_data.fee_rate', type: 'number', source: 'data.fee_rate' },
      { path: '_flowgatelocal.charges_data.failure_code', type: 'string', source: 'data.failure_code' },
      { path: '_flowgatelocal.charges_data.metadata', type: 'map', source: 'data.metadata' },
      { path: '_flowgatelocal.charges_data.outcome.type', type: 'string', source: 'data.outcome.type' },
      { path: '_flowgatelocal.charges_data.outcome.risk_score', type: 'integer', source: 'data.outcome.risk_score' },
      { path: '_flowgatelocal.charges_data.refunds', type: 'array', source: 'data.refunds' },
      { path: '_flowgatelocal.charges_data.tags', type: 'array', source: 'data.tags' },
    ]);
  });

  it('reports a key inside array items it had to rename', () => {
    assert.deepEqual(mirror.renamed, [{ source: 'data.refunds[].bad key', name: 'bad_key' }]);
  });

  it('renames keys XDM refuses, drops keys with nothing usable, and reports both', () => {
    const result = xdmFromExplore(
      { type: 'object', properties: { data: { type: 'object', properties: { 'order.id': { type: 'string' }, _private: INT, ___: { type: 'string' }, ok: { type: 'boolean' } } } } },
      { tenantId: 't', resource: 'customers' },
    );
    assert.deepEqual(result.fields, [
      { path: '_t.customers_data.order_id', type: 'string', source: 'data.order.id' },
      { path: '_t.customers_data.private', type: 'integer', source: 'data._private' },
      { path: '_t.customers_data.ok', type: 'boolean', source: 'data.ok' },
    ]);
    assert.deepEqual(result.renamed, [
      { source: 'data.order.id', name: 'order_id' },
      { source: 'data._private', name: 'private' },
      { source: 'data.___', name: null },
    ]);
  });

  it('produces only names the registry accepts', () => {
    const result = xdmFromExplore(
      { type: 'object', properties: { data: { type: 'object', properties: { '-x': {}, 'a b': { type: 'object', properties: { é: {}, '9lives': {} } } } } } },
      { tenantId: 't', resource: 'prices' },
    );
    const names: string[] = [];
    const walk = (node: { properties?: Record<string, any>; items?: any }) => {
      for (const [key, child] of Object.entries(node.properties ?? {})) {
        names.push(key);
        walk(child);
      }
      if (node.items) walk(node.items);
    };
    walk(fieldOf(result.tenantProperties._t, 'prices_data'));
    assert.deepEqual(names, ['x', 'a_b', '9lives']);
    for (const name of names) assert.match(name, /^[A-Za-z0-9][A-Za-z0-9_-]*$/);
  });
});

describe('xdmNames', () => {
  it('keeps valid names and gives a renamed key that collides with a sibling a numbered suffix', () => {
    assert.deepEqual(
      [...xdmNames(['a_b', 'a b', 'a.b', 'a_b_2'])],
      [
        ['a_b', 'a_b'],
        ['a b', 'a_b_3'],
        ['a.b', 'a_b_4'],
        ['a_b_2', 'a_b_2'],
      ],
    );
  });

  it('is deterministic: the same keys always get the same names', () => {
    const keys = ['x y', 'x-y', '_x', 'x'];
    assert.deepEqual([...xdmNames(keys)], [...xdmNames([...keys])]);
  });
});

describe('exploreLeaves', () => {
  it('lists mapping source paths with their explore types, unknown for nulls', () => {
    assert.deepEqual(exploreLeaves(chargeSchema).slice(0, 6), [
      { path: 'data.id', type: 'string' },
      { path: 'data.amount', type: 'integer' },
      { path: 'data.paid', type: 'boolean' },
      { path: 'data.fee_rate', type: 'number' },
      { path: 'data.failure_code', type: 'unknown' },
      { path: 'data.metadata', type: 'object' },
    ]);
    assert.ok(exploreLeaves(chargeSchema).some((l) => l.path === 'data.outcome.risk_score'));
    assert.ok(!exploreLeaves(chargeSchema).some((l) => l.path.startsWith('data.refunds.')), 'paths stop at arrays');
  });
});

describe('exploreSchemaProblem', () => {
  it('accepts what the Platform infers', () => {
    assert.equal(exploreSchemaProblem(chargeSchema), null);
  });

  for (const [name, schema, path] of [
    ['a string', 'schema', ''],
    ['a root that is not an object node', { type: 'array' }, 'type'],
    ['no record under data', { type: 'object', properties: { rows: {} } }, 'properties.data'],
    ['a record with no fields', { type: 'object', properties: { data: { type: 'object', properties: {} } } }, 'properties.data.properties'],
    ['an unknown type', { type: 'object', properties: { data: { type: 'object', properties: { a: { type: 'date' } } } } }, 'properties.data.properties.a.type'],
    ['a node that is not an object', { type: 'object', properties: { data: { type: 'object', properties: { a: 'string' } } } }, 'properties.data.properties.a'],
    ['a non-numeric bound', { type: 'object', properties: { data: { type: 'object', properties: { a: { type: 'integer', minimum: 'low' } } } } }, 'properties.data.properties.a.minimum'],
    ['items on a string', { type: 'object', properties: { data: { type: 'object', properties: { a: { type: 'string', items: {} } } } } }, 'properties.data.properties.a.items'],
    ['an empty field name', { type: 'object', properties: { data: { type: 'object', properties: { '': { type: 'string' } } } } }, 'properties.data.properties'],
  ] as const) {
    it(`refuses ${name}, naming where`, () => {
      assert.equal(exploreSchemaProblem(schema)?.path, path);
    });
  }

  it('refuses a schema nested deeper than the limit', () => {
    let node: Record<string, unknown> = { type: 'string' };
    for (let i = 0; i < 40; i++) node = { type: 'object', properties: { n: node } };
    const problem = exploreSchemaProblem({ type: 'object', properties: { data: node } });
    assert.match(problem?.message ?? '', /deeper/);
  });
});

describe('xdmFromExplore with what Stripe sends beyond the sample', () => {
  /** A charge whose sample had nulls where Stripe later sends values, and an expanded transfer destination. */
  const charge: ExploreNode = {
    type: 'object',
    properties: {
      data: {
        type: 'object',
        properties: {
          id: { type: 'string' },
          created: INT,
          canceled_at: {},
          amount: INT,
          application_fee_amount: {},
          currency: { type: 'string' },
          customer: { type: 'string' },
          review: {},
          metadata: { type: 'object', properties: {} },
          transfer_data: {
            type: 'object',
            properties: { amount: {}, destination: { type: 'object', properties: { id: { type: 'string' }, object: { type: 'string' }, created: INT } } },
          },
          refunds: {
            type: 'object',
            properties: {
              data: { type: 'array', items: { type: 'object', properties: { id: { type: 'string' }, created: INT, metadata: { type: 'object', properties: {} } } } },
              has_more: { type: 'boolean' },
            },
          },
        },
      },
    },
  };
  const mirror = xdmFromExplore(charge, { tenantId: 't', resource: 'charges' });
  const record = fieldOf(mirror.tenantProperties._t, 'charges_data');
  const typeOf = (path: string) => mirror.fields.find((f) => f.path === `_t.charges_data.${path}`)?.type;

  it('makes Unix timestamps date-times, also those null in the sample (Stripe: created, canceled_at are seconds)', () => {
    assert.equal(fieldOf(record, 'created').format, 'date-time');
    assert.equal(fieldOf(record, 'canceled_at').format, 'date-time');
    assert.equal(typeOf('created'), 'date-time');
    assert.equal(typeOf('canceled_at'), 'date-time');
  });

  it('keeps amounts integers in minor units, also those null in the sample, and says the currency field tells the unit', () => {
    for (const name of ['amount', 'application_fee_amount']) {
      assert.equal(fieldOf(record, name).type, 'integer');
      assert.equal(fieldOf(record, name).maximum, INT.maximum);
      assert.match(fieldOf(record, name).description ?? '', /smallest unit of the record's currency/);
    }
    assert.equal(fieldOf(fieldOf(record, 'transfer_data'), 'amount').type, 'integer');
  });

  it('makes metadata a map of strings, inside list items too', () => {
    assert.deepEqual(fieldOf(record, 'metadata'), { type: 'object', 'meta:xdmType': 'map', additionalProperties: { type: 'string' } });
    const item = fieldOf(fieldOf(record, 'refunds'), 'data').items!;
    assert.deepEqual(item.properties!.metadata, { type: 'object', 'meta:xdmType': 'map', additionalProperties: { type: 'string' } });
  });

  it('copies list items as Stripe sends them: a timestamp inside an item stays an integer', () => {
    const item = fieldOf(fieldOf(record, 'refunds'), 'data').items!;
    assert.deepEqual(item.properties!.created, INT);
    assert.equal(typeOf('refunds.data'), 'array');
  });

  it('keeps a reference as its id, and its expanded object beside it when the sample shows one', () => {
    assert.equal(fieldOf(record, 'customer').type, 'string');
    assert.equal(fieldOf(record, 'review').type, 'string');
    assert.equal(record.properties!.customer_expanded, undefined, 'a sample with the id shows no structure to keep');
    const transfer = fieldOf(record, 'transfer_data');
    assert.equal(fieldOf(transfer, 'destination').type, 'string');
    const expanded = fieldOf(transfer, 'destination_expanded');
    assert.equal(expanded.type, 'object');
    assert.deepEqual(Object.keys(expanded.properties!), ['id', 'object', 'created']);
    assert.deepEqual(
      mirror.fields.filter((f) => f.source === 'data.transfer_data.destination'),
      [
        { path: '_t.charges_data.transfer_data.destination', type: 'string', source: 'data.transfer_data.destination' },
        { path: '_t.charges_data.transfer_data.destination_expanded', type: 'object', source: 'data.transfer_data.destination' },
      ],
    );
  });
});

describe('xdmFromExplore with a list the sample shows empty', () => {
  it("gives a balance transaction's empty fee_details the items Stripe documents, and a charge's refunds.data refund items", () => {
    const empty = { type: 'array', items: {} } as const;
    const txn = xdmFromExplore({ type: 'object', properties: { data: { type: 'object', properties: { fee_details: empty } } } }, { tenantId: 't', resource: 'balance_transactions' });
    const fees = fieldOf(txn.tenantProperties._t, 'balance_transactions_data').properties!.fee_details!;
    assert.deepEqual(Object.keys(fees.items!.properties!), ['amount', 'application', 'currency', 'description', 'type']);
    assert.equal(fees.items!.properties!.amount!.type, 'integer');
    const charge = xdmFromExplore(
      { type: 'object', properties: { data: { type: 'object', properties: { refunds: { type: 'object', properties: { data: empty, has_more: { type: 'boolean' } } } } } } },
      { tenantId: 't', resource: 'charges' },
    );
    const refunds = fieldOf(fieldOf(charge.tenantProperties._t, 'charges_data'), 'refunds').properties!.data!;
    assert.equal(refunds.items!.type, 'object');
    assert.deepEqual(refunds.items!.properties!.metadata, { type: 'object', 'meta:xdmType': 'map', additionalProperties: { type: 'string' } });
    assert.deepEqual(refunds.items!.properties!.created, { type: 'integer' }, 'inside a list, a timestamp stays what Stripe sends');
  });

  it('keeps string items for a list it knows nothing about', () => {
    const other = xdmFromExplore({ type: 'object', properties: { data: { type: 'object', properties: { discounts: { type: 'array', items: {} } } } } }, { tenantId: 't', resource: 'subscriptions' });
    assert.deepEqual(fieldOf(other.tenantProperties._t, 'subscriptions_data').properties!.discounts, { type: 'array', items: { type: 'string' } });
  });
});
