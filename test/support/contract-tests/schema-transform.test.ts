import Ajv from 'ajv';
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createTransformReport, prepareSchema } from '../contract/schema-transform.js';

function prepared(schema: Record<string, unknown>) {
  const report = createTransformReport();
  prepareSchema(schema, report, new WeakSet());
  return { schema, report, validate: new Ajv({ strict: false, allErrors: true }).compile(schema) };
}

describe('prepareSchema', () => {
  describe('for OpenAPI 3.0 nullable', () => {
    it('lets null through a typed nullable property and nothing else extra', () => {
      const { validate } = prepared({ type: 'object', properties: { errors: { type: 'array', nullable: true, items: { type: 'string' } } } });
      assert.equal(validate({ errors: null }), true);
      assert.equal(validate({ errors: ['x'] }), true);
      assert.equal(validate({ errors: 'x' }), false);
    });

    it('adds null to a nullable enum', () => {
      const { validate } = prepared({ type: 'string', enum: ['A', 'B'], nullable: true });
      assert.equal(validate(null), true);
      assert.equal(validate('C'), false);
    });

    it('keeps the constraints of a nullable schema without a type', () => {
      const { validate } = prepared({ nullable: true, properties: { id: { type: 'string' } } });
      assert.equal(validate(null), true);
      assert.equal(validate({ id: 'a' }), true);
      assert.equal(validate({ id: 1 }), false);
    });

    it('leaves a schema without nullable rejecting null', () => {
      const { validate } = prepared({ type: 'object', properties: { id: { type: 'string' } } });
      assert.equal(validate({ id: null }), false);
    });
  });

  it('turns draft-04 boolean exclusive bounds into draft-07 numbers', () => {
    const { validate } = prepared({ type: 'number', minimum: 0, exclusiveMinimum: true, maximum: 10, exclusiveMaximum: false });
    assert.equal(validate(0), false);
    assert.equal(validate(10), true);
  });

  it('drops examples, x- keywords, $id and non-JSON types, and records formats', () => {
    const schema: Record<string, unknown> = {
      $id: 'https://ns.adobe.com/tenant/mixins/abc',
      type: 'object',
      'x-summary': 'ignored',
      example: { $id: 'https://ns.adobe.com/tenant/mixins/abc' },
      properties: { upload: { type: 'file' }, when: { type: 'string', format: 'date-time' }, 'x-kept': { type: 'string' } },
    };
    const { report, validate } = prepared(schema);
    assert.deepEqual(Object.keys(schema).sort(), ['properties', 'type']);
    assert.deepEqual(Object.keys(schema.properties as object).sort(), ['upload', 'when', 'x-kept'], 'property names are data, not keywords');
    assert.deepEqual([...report.formats], ['date-time']);
    assert.equal(validate({ upload: 'anything', 'x-kept': 'a' }), true);
    assert.equal(validate({ 'x-kept': 1 }), false);
  });

  it('follows shared and circular schemas without looping', () => {
    const node: Record<string, unknown> = { type: 'object', nullable: true, properties: {} };
    (node.properties as Record<string, unknown>).child = node;
    const report = createTransformReport();
    prepareSchema({ allOf: [node, node] }, report, new WeakSet());
    assert.deepEqual(node.type, ['object', 'null']);
  });
});
