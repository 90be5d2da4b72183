import assert from 'node:assert/strict';
import { GraphQLError } from 'graphql';
import { describe, it } from 'node:test';
import { maskInputEcho } from '../../src/graphql/mask-input-echo.js';

const TOKEN = 'sk_live_51EchoedBackToken';

/** What graphql-js raises for a variable that does not coerce: the reason is its originalError. */
function variableError(value: string, at: string | null, reason: string): GraphQLError {
  return new GraphQLError(`Variable "$input" got invalid value ${value}${at ? ` at "${at}"` : ''}; ${reason}`, { originalError: new GraphQLError(reason) });
}

describe('maskInputEcho', () => {
  it('drops the echoed value of a wrong-type variable and keeps the path and the reason', () => {
    const error = variableError(`{ v: "${TOKEN}" }`, 'input.accessToken', `String cannot represent a non string value: { v: "${TOKEN}" }`);
    assert.equal(maskInputEcho(error.message, error), 'Variable "$input" got an invalid value at "input.accessToken"; String cannot represent this value.');
  });

  it('drops the whole echoed input when a field is unknown, naming the field', () => {
    const error = variableError(`{ name: "x", accessToken: "${TOKEN}", bogus: 1 }`, null, 'Field "bogus" is not defined by type "CreateConnectionInput".');
    assert.equal(maskInputEcho(error.message, error), 'Variable "$input" got an invalid value; Field "bogus" is not defined by type "CreateConnectionInput".');
  });

  it('cannot be fooled by a value that imitates the path and reason', () => {
    const tricky = `"x at \\"input.name\\"; ${TOKEN}"`;
    const error = variableError(tricky, 'input.accessToken', `Int cannot represent non-integer value: ${tricky}`);
    const masked = maskInputEcho(error.message, error);
    assert.ok(!masked.includes('51EchoedBackToken'), masked);
    assert.equal(masked, 'Variable "$input" got an invalid value at "input.accessToken"; Int cannot represent this value.');
  });

  it('falls back to a generic message when it cannot tell the value from the reason', () => {
    const masked = maskInputEcho(`Variable "$input" got invalid value "${TOKEN}"; something new`);
    assert.equal(masked, 'Variable "$input" got an invalid value.');
  });

  it('masks values quoted by validation of literals, and enum values', () => {
    assert.equal(maskInputEcho(`String cannot represent a non string value: {v: "${TOKEN}"}`), 'String cannot represent this value.');
    assert.equal(maskInputEcho(`Value "${TOKEN}" does not exist in "ResourceType" enum.`), 'Value does not exist in "ResourceType" enum.');
    assert.equal(maskInputEcho(`Expected value of type "Int!", found "${TOKEN}".`), 'Expected value of type "Int!".');
  });

  it('leaves messages without values alone, but still removes anything shaped like a Stripe key', () => {
    assert.equal(maskInputEcho('Cannot query field "nope" on type "Query".'), 'Cannot query field "nope" on type "Query".');
    assert.equal(maskInputEcho(`Field "${TOKEN}" is not defined by type "X".`), 'Field "[redacted]" is not defined by type "X".');
  });
});
