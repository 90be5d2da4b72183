import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { XdmFieldInfo } from '../../../emulator/services/schema-registry/xdm-fields.js';
import { validateXdmRecord } from '../../../emulator/services/schema-registry/xdm-validate.js';

const SHAPE: XdmFieldInfo = {
  type: 'object',
  required: ['_id'],
  properties: {
    _id: { type: 'string' },
    created: { type: 'string', xdmType: 'date-time', format: 'date-time' },
    amount: { type: 'integer', minimum: 0, maximum: 100 },
    metadata: { type: 'object', xdmType: 'map', additionalProperties: { type: 'string' } },
    lines: { type: 'array', items: { type: 'object', properties: { qty: { type: 'integer' } } } },
  },
};

describe('validateXdmRecord (what batch ingestion checks before it writes a row)', () => {
  it('accepts a record that fits, nulls included', () => {
    assert.deepEqual(validateXdmRecord({ _id: 'a', created: '2030-03-17T17:46:40Z', amount: 5, metadata: { k: 'v' }, lines: [{ qty: 1 }], extra: null }, SHAPE), []);
  });

  it('names every value that does not fit: required, types, formats, ranges, map values, array items, unknown fields', () => {
    assert.deepEqual(validateXdmRecord({ created: 1_900_000_000, amount: 500, metadata: { k: 1 }, lines: [{ qty: 'one' }], color: 'red' }, SHAPE), [
      { path: '_id', reason: 'the field is required' },
      { path: 'created', reason: 'expected date-time, found integer' },
      { path: 'amount', reason: '500 is outside the range 0..100 of the integer field' },
      { path: 'metadata.k', reason: 'expected string, found integer' },
      { path: 'lines[0].qty', reason: 'expected integer, found string' },
      { path: 'color', reason: 'the field is not defined in the schema' },
    ]);
  });

  it('takes only ISO 8601 date-times with a zone', () => {
    assert.deepEqual(validateXdmRecord({ _id: 'a', created: '2030-03-17 17:46' }, SHAPE), [{ path: 'created', reason: "'2030-03-17 17:46' is not an ISO 8601 date-time with a zone" }]);
    assert.deepEqual(validateXdmRecord({ _id: 'a', created: '2030-03-17T17:46:40.123+01:00' }, SHAPE), []);
  });
});
