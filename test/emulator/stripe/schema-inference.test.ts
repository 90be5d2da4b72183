import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ExploreSchemaNode } from '../../../emulator/stripe/schema-inference.js';
import { inferExploreSchema, inferSchemaNode, readPath, schemaPaths } from '../../../emulator/stripe/schema-inference.js';

const INTEGER: ExploreSchemaNode = { type: 'integer', minimum: -9007199254740992, maximum: 9007199254740991 };

describe('inferSchemaNode', () => {
  it('maps null to an empty object', () => {
    assert.deepEqual(inferSchemaNode(null), {});
  });

  it('maps undefined to an empty object, like null', () => {
    assert.deepEqual(inferSchemaNode(undefined), {});
  });

  it('maps a string to the string type', () => {
    assert.deepEqual(inferSchemaNode('ch_123'), { type: 'string' });
    assert.deepEqual(inferSchemaNode(''), { type: 'string' });
  });

  it('maps true and false to the boolean type', () => {
    assert.deepEqual(inferSchemaNode(true), { type: 'boolean' });
    assert.deepEqual(inferSchemaNode(false), { type: 'boolean' });
  });

  it("maps an integer to the integer type with Adobe's asymmetric bounds", () => {
    for (const value of [0, -5, 100, 1234567890, Number.MAX_SAFE_INTEGER]) assert.deepEqual(inferSchemaNode(value), INTEGER);
  });

  it('maps a non-integer number to the number type', () => {
    assert.deepEqual(inferSchemaNode(0.5), { type: 'number' });
    assert.deepEqual(inferSchemaNode(-1.25), { type: 'number' });
  });

  it('maps an object to an object node whose properties are inferred recursively', () => {
    assert.deepEqual(inferSchemaNode({ id: 'x', amount: 5, outcome: { reason: null, paid: true } }), {
      type: 'object',
      properties: {
        id: { type: 'string' },
        amount: INTEGER,
        outcome: { type: 'object', properties: { reason: {}, paid: { type: 'boolean' } } },
      },
    });
  });

  it('maps an empty object to an object node with no properties', () => {
    assert.deepEqual(inferSchemaNode({}), { type: 'object', properties: {} });
  });

  it('maps a non-empty array to an array node typed by its elements', () => {
    assert.deepEqual(inferSchemaNode(['a', 'b']), { type: 'array', items: { type: 'string' } });
    assert.deepEqual(inferSchemaNode([{ id: 'si_1', quantity: 1 }]), {
      type: 'array',
      items: { type: 'object', properties: { id: { type: 'string' }, quantity: INTEGER } },
    });
  });

  it('maps an empty array to an array node whose items are an empty object', () => {
    assert.deepEqual(inferSchemaNode([]), { type: 'array', items: {} });
  });

  it('merges the schemas of differing array elements', () => {
    assert.deepEqual(inferSchemaNode([{ a: null }, { a: 'x', b: 1 }]), {
      type: 'array',
      items: { type: 'object', properties: { a: { type: 'string' }, b: INTEGER } },
    });
    assert.deepEqual(inferSchemaNode([1, 1.5]), { type: 'array', items: { type: 'number' } });
    assert.deepEqual(inferSchemaNode([null, 'x']), { type: 'array', items: { type: 'string' } });
    assert.deepEqual(inferSchemaNode(['x', 1]), { type: 'array', items: { type: 'string' } });
  });

  it('returns fresh nodes, so mutating one result never changes another', () => {
    const first = inferSchemaNode(1);
    first.minimum = 0;
    assert.deepEqual(inferSchemaNode(1), INTEGER);
  });
});

describe('inferExploreSchema', () => {
  it('wraps the record schema under a top-level data object', () => {
    assert.deepEqual(inferExploreSchema({ id: 'ch_1', metadata: {} }), {
      type: 'object',
      properties: { data: { type: 'object', properties: { id: { type: 'string' }, metadata: { type: 'object', properties: {} } } } },
    });
  });
});

describe('schemaPaths', () => {
  const schema = inferExploreSchema({ id: 'ch_1', balance_transaction: null, outcome: { type: 'authorized' }, refunds: { data: [{ id: 're_1' }] } });

  it('lists every object and leaf path, dot-separated, starting at data', () => {
    assert.deepEqual([...schemaPaths(schema).keys()], ['data', 'data.id', 'data.balance_transaction', 'data.outcome', 'data.outcome.type', 'data.refunds', 'data.refunds.data']);
  });

  it("maps each path to its node and lists an array's own path but not its items'", () => {
    const paths = schemaPaths(schema);
    assert.deepEqual(paths.get('data.balance_transaction'), {});
    assert.equal(paths.get('data.refunds.data')?.type, 'array');
    assert.equal(paths.has('data.refunds.data.id'), false);
  });

  it('returns an empty map for a schema without properties', () => {
    assert.equal(schemaPaths({}).size, 0);
    assert.equal(schemaPaths({ type: 'string' }).size, 0);
  });
});

describe('readPath', () => {
  const wrapped = { data: { id: 'ch_1', customer: null, outcome: { type: 'authorized' }, items: { data: [{ id: 'si_1' }] } } };

  it('reads a nested value', () => {
    assert.equal(readPath(wrapped, 'data.outcome.type'), 'authorized');
    assert.deepEqual(readPath(wrapped, 'data.outcome'), { type: 'authorized' });
  });

  it('returns null for a present null and undefined for an absent key', () => {
    assert.equal(readPath(wrapped, 'data.customer'), null);
    assert.equal(readPath(wrapped, 'data.nope'), undefined);
  });

  it('returns undefined when walking through null or a scalar', () => {
    assert.equal(readPath(wrapped, 'data.customer.id'), undefined);
    assert.equal(readPath(wrapped, 'data.id.length'), undefined);
  });

  it('indexes arrays with numeric segments only', () => {
    assert.equal(readPath(wrapped, 'data.items.data.0.id'), 'si_1');
    assert.equal(readPath(wrapped, 'data.items.data.1.id'), undefined);
    assert.equal(readPath(wrapped, 'data.items.data.length'), undefined);
  });

  it('never reads inherited properties', () => {
    assert.equal(readPath(wrapped, 'data.constructor'), undefined);
    assert.equal(readPath(wrapped, 'data.__proto__'), undefined);
  });

  it('returns the value itself for the empty path', () => {
    assert.equal(readPath(wrapped, ''), wrapped);
  });
});
