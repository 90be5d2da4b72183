import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { applyMapping } from '../../../emulator/services/data-prep/apply-mapping.js';
import type { StoredMapping } from '../../../emulator/services/data-prep/mapping-sets.js';
import { fieldPathsOf, type XdmFieldInfo } from '../../../emulator/services/schema-registry/xdm-fields.js';
import { xdmFromExplore } from '../support/stripe-setup.js';

const T = '_flowgatelocal';

function mapping(source: string, destination: string, sourceType = 'text/x.schema-path'): StoredMapping {
  return {
    id: `${source}->${destination}`,
    sourceType,
    source,
    destination,
    sourceAttribute: source,
    destinationXdmPath: destination,
    identity: false,
    primaryIdentity: false,
    matchScore: 0,
    functionVersion: 1,
    version: 0,
    createdDate: 0,
    modifiedDate: 0,
    createdBy: 'test',
    modifiedBy: 'test',
  };
}

/** Field infos for `_flowgatelocal.charge.*`. */
const FIELDS = new Map<string, XdmFieldInfo>([
  [T, { type: 'object' }],
  [`${T}.charge`, { type: 'object' }],
  [`${T}.charge.id`, { type: 'string' }],
  [`${T}.charge.description`, { type: 'string', maxLength: 10 }],
  [`${T}.charge.amount`, { type: 'integer', minimum: 0, maximum: 1000 }],
  [`${T}.charge.ratio`, { type: 'number' }],
  [`${T}.charge.paid`, { type: 'boolean' }],
  [`${T}.charge.tags`, { type: 'array', items: { type: 'string' } }],
  [`${T}.charge.outcome`, { type: 'object' }],
  [`${T}.charge.outcome.type`, { type: 'string' }],
  [`${T}.charge.outcome.risk_score`, { type: 'integer' }],
  [`${T}.charge.outcome.reason`, { type: 'string' }],
]);

describe('applyMapping', () => {
  describe('with values that fit their fields', () => {
    it('writes each source value at its destination path, creating the nested objects', () => {
      const result = applyMapping(
        { data: { id: 'ch_1', amount: 250, ratio: 0.5, paid: true, tags: ['a', 'b'] } },
        [
          mapping('data.id', `${T}.charge.id`),
          mapping('data.amount', `${T}.charge.amount`),
          mapping('data.ratio', `${T}.charge.ratio`),
          mapping('data.paid', `${T}.charge.paid`),
          mapping('data.tags', `${T}.charge.tags`),
        ],
        FIELDS,
      );
      assert.deepEqual(result, { ok: true, record: { [T]: { charge: { id: 'ch_1', amount: 250, ratio: 0.5, paid: true, tags: ['a', 'b'] } } }, errors: [] });
    });

    it('converts numbers and booleans for a string field, and takes an integer for a number field', () => {
      const result = applyMapping(
        { data: { n: 42, b: false, i: 3 } },
        [mapping('data.n', `${T}.charge.id`), mapping('data.b', `${T}.charge.outcome.type`), mapping('data.i', `${T}.charge.ratio`)],
        FIELDS,
      );
      assert.equal(result.ok, true);
      assert.deepEqual(result.record, { [T]: { charge: { id: '42', outcome: { type: 'false' }, ratio: 3 } } });
    });
  });

  describe('with null and missing source values', () => {
    it('skips them without an error', () => {
      const result = applyMapping(
        { data: { id: null, amount: 5 } },
        [mapping('data.id', `${T}.charge.id`), mapping('data.amount', `${T}.charge.amount`), mapping('data.missing.deep', `${T}.charge.paid`)],
        FIELDS,
      );
      assert.deepEqual(result, { ok: true, record: { [T]: { charge: { amount: 5 } } }, errors: [] });
    });
  });

  describe('with a value of the wrong type', () => {
    it('fails the record with MAPPER-3700-400 naming source, destination, expected and actual type', () => {
      const result = applyMapping({ data: { id: { nested: 1 }, amount: 7 } }, [mapping('data.id', `${T}.charge.id`), mapping('data.amount', `${T}.charge.amount`)], FIELDS);
      assert.equal(result.ok, false);
      assert.deepEqual(result.errors, [
        {
          code: 'MAPPER-3700-400',
          message: `Mapping source 'data.id' to destination '${T}.charge.id' failed: expected string, found object.`,
          source: 'data.id',
          destination: `${T}.charge.id`,
        },
      ]);
      // The rest of the record is still mapped (the caller decides what a failed record is worth).
      assert.deepEqual(result.record, { [T]: { charge: { amount: 7 } } });
    });

    for (const [label, value, field, reason] of [
      ['a fraction for an integer', 2.5, 'amount', 'expected integer, found number'],
      ['a string for an integer', '12', 'amount', 'expected integer, found string'],
      ['a string for a boolean', 'true', 'paid', 'expected boolean, found string'],
      ['an array for a string', ['x'], 'id', 'expected string, found array'],
      ['an object for an array', { a: 1 }, 'tags', 'expected array, found object'],
      ['a number for an object', 1, 'outcome', 'expected object, found integer'],
    ] as const) {
      it(`fails for ${label}`, () => {
        const result = applyMapping({ data: { v: value } }, [mapping('data.v', `${T}.charge.${field}`)], FIELDS);
        assert.equal(result.ok, false);
        assert.equal(result.errors[0]?.code, 'MAPPER-3700-400');
        assert.equal(result.errors[0]?.message, `Mapping source 'data.v' to destination '${T}.charge.${field}' failed: ${reason}.`);
      });
    }

    it('fails an integer outside the field’s bounds', () => {
      const result = applyMapping({ data: { amount: 5000 } }, [mapping('data.amount', `${T}.charge.amount`)], FIELDS);
      assert.equal(result.ok, false);
      assert.equal(result.errors[0]?.message, `Mapping source 'data.amount' to destination '${T}.charge.amount' failed: 5000 is outside the range 0..1000 of the integer field.`);
    });

    it('fails a string longer than maxLength', () => {
      const result = applyMapping({ data: { d: 'far too long a text' } }, [mapping('data.d', `${T}.charge.description`)], FIELDS);
      assert.equal(result.errors[0]?.message, `Mapping source 'data.d' to destination '${T}.charge.description' failed: the string is 19 characters long, more than maxLength 10.`);
    });

    it('fails an array element of the wrong type, naming its index', () => {
      const result = applyMapping({ data: { tags: ['a', 3, null, { x: 1 }] } }, [mapping('data.tags', `${T}.charge.tags`)], FIELDS);
      assert.equal(result.ok, false);
      assert.deepEqual(
        result.errors.map((e) => e.destination),
        [`${T}.charge.tags[3]`],
      );
      assert.deepEqual(result.record, { [T]: { charge: { tags: ['a', '3'] } } });
    });
  });

  describe('with a parent object mapped together with its children', () => {
    it('writes the parent, then lets each child overwrite its own leaf, in any mapping order', () => {
      const result = applyMapping(
        { data: { outcome: { type: 'authorized', risk_score: 10, reason: null, unknown_key: 'x' }, override: 'manual' } },
        [mapping('data.override', `${T}.charge.outcome.type`), mapping('data.outcome', `${T}.charge.outcome`)],
        FIELDS,
      );
      assert.deepEqual(result, { ok: true, record: { [T]: { charge: { outcome: { type: 'manual', risk_score: 10 } } } }, errors: [] });
    });

    it('reports a mismatch inside the parent once, even when a child maps the same leaf', () => {
      const result = applyMapping(
        { data: { outcome: { type: 'ok', risk_score: 'high' } } },
        [mapping('data.outcome', `${T}.charge.outcome`), mapping('data.outcome.risk_score', `${T}.charge.outcome.risk_score`)],
        FIELDS,
      );
      assert.equal(result.ok, false);
      assert.deepEqual(result.errors, [
        {
          code: 'MAPPER-3700-400',
          message: `Mapping source 'data.outcome.risk_score' to destination '${T}.charge.outcome.risk_score' failed: expected integer, found string.`,
          source: 'data.outcome.risk_score',
          destination: `${T}.charge.outcome.risk_score`,
        },
      ]);
      assert.deepEqual(result.record, { [T]: { charge: { outcome: { type: 'ok' } } } });
    });
  });

  describe('with STATIC and EXPRESSION mappings', () => {
    it('writes a STATIC literal and an EXPRESSION’s value; an expression that yields null writes nothing', () => {
      const result = applyMapping({ data: {} }, [mapping('stripe', `${T}.charge.id`, 'STATIC'), mapping('upper(data.x)', `${T}.charge.outcome.type`, 'text/x.aep-xl')], FIELDS);
      assert.deepEqual(result, { ok: true, record: { [T]: { charge: { id: 'stripe' } } }, errors: [] });
      const evaluated = applyMapping({ data: { x: 'blocked' } }, [mapping('upper(data.x)', `${T}.charge.outcome.type`, 'text/x.aep-xl')], FIELDS);
      assert.deepEqual(evaluated.record, { [T]: { charge: { outcome: { type: 'BLOCKED' } } } });
    });

    it('fails the record with MAPPER-3700-400 when an expression cannot apply, naming the expression', () => {
      const result = applyMapping({ data: { x: 'abc' } }, [mapping('data.x * 1000', `${T}.charge.amount`, 'text/x.aep-xl')], FIELDS);
      assert.equal(result.ok, false);
      assert.equal(result.errors[0]!.code, 'MAPPER-3700-400');
      assert.match(result.errors[0]!.message, /'data\.x \* 1000'.*could not be evaluated: '\*' needs numbers/);
    });
  });

  describe('with the Stripe tutorial’s 36 mappings and Stripe’s example charge', () => {
    const shared = path.resolve(process.cwd(), '../shared/reference');
    const available = existsSync(path.join(shared, 'stripe-tutorial.json')) && existsSync(path.join(shared, 'stripe-fixtures3.json'));
    it(
      'maps every leaf and fails on the three card objects (installments, three_d_secure, wallet) the explore schema saw as null',
      { skip: available ? false : '../shared/reference is not present' },
      () => {
        const tutorial = JSON.parse(readFileSync(path.join(shared, 'stripe-tutorial.json'), 'utf8'));
        const charge = JSON.parse(readFileSync(path.join(shared, 'stripe-fixtures3.json'), 'utf8')).resources.charge;
        const fields = fieldPathsOf({ [T]: { type: 'object', properties: { charges_data: xdmFromExplore(tutorial.exampleResponses.explore_charges.schema.properties.data) } } });
        const request = tutorial.requests.find((r: { url: string }) => r.url.endsWith('/mappingSets'));
        const mappings = request.body.mappings.map((m: { sourceAttribute: string; destinationXdmPath: string }) => mapping(m.sourceAttribute, m.destinationXdmPath.replace('_{ORG_ID}', T)));
        const result = applyMapping({ data: charge }, mappings, fields);
        assert.equal(result.ok, false);
        assert.deepEqual(
          result.errors.map((e) => [e.source, e.destination]),
          ['installments', 'three_d_secure', 'wallet'].map((key) => [`data.payment_method_details.card.${key}`, `${T}.charges_data.payment_method_details.card.${key}`]),
        );
        const data = (result.record[T] as any).charges_data;
        assert.equal(data.id, charge.id);
        assert.equal(data.amount, charge.amount);
        assert.equal(data.payment_method_details.card.brand, charge.payment_method_details.card.brand);
        assert.equal(data.payment_method_details.card.checks.cvc_check, 'pass');
      },
    );
  });
});
