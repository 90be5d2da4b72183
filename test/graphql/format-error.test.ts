import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { GraphQLError } from 'graphql';
import { DatabaseError } from 'pg';
import { createFormatError, redactValues, requestScope } from '../../src/graphql/format-error.js';
import { createLogger } from '../../src/logging/logger.js';

describe('formatError', () => {
  const lines: string[] = [];
  const formatError = createFormatError(createLogger({ level: 'info', destination: { write: (line: string) => lines.push(line) } as unknown as NodeJS.WritableStream }));
  /** What a resolver's error looks like to the client, inside a request with this id. */
  const format = (original: Error, requestId = 'req-1') =>
    requestScope.run({ requestId }, () => {
      const error = new GraphQLError(original.message, { path: ['connections'], originalError: original });
      return formatError(error.toJSON(), error);
    });

  it('answers a resolver whose database connection was terminated as UNAVAILABLE, retryable, with the request id — no SQL message', () => {
    // node-postgres's own error class, as a terminated backend produces it.
    const terminated = Object.assign(new DatabaseError('terminating connection due to administrator command', 116, 'error'), { code: '57P01', severity: 'FATAL' });
    const formatted = format(terminated);
    assert.deepEqual(formatted.extensions, { code: 'UNAVAILABLE', retryable: true, requestId: 'req-1' });
    assert.doesNotMatch(formatted.message, /administrator|terminat/);
    assert.deepEqual(formatted.path, ['connections']);
  });

  it('still answers an unknown error as INTERNAL_SERVER_ERROR', () => {
    assert.equal(format(new TypeError("Cannot read properties of undefined (reading 'id')")).extensions?.code, 'INTERNAL_SERVER_ERROR');
  });
});

describe('redactValues', () => {
  it('drops the value from a variable coercion message and keeps the path and the type', () => {
    assert.equal(
      redactValues(
        'Variable "$input" got invalid value { name: "a; b at \\"input.x\\"", accessToken: 5 } at "input.accessToken"; Expected type "String". String cannot represent a non string value: 5',
      ),
      'Variable "$input" got an invalid value at "input.accessToken"; Expected type "String". String cannot represent this value.',
    );
  });

  it('replaces a reason it does not know (a custom scalar quoting the value) with "Invalid value."', () => {
    assert.equal(
      redactValues('Variable "$d" got invalid value "sk_live_1"; DateTime cannot represent an invalid date-time-string sk_live_1.'),
      'Variable "$d" got an invalid value; DateTime cannot represent this value.',
    );
    assert.equal(redactValues('Variable "$d" got invalid value "x; y"; Expected type "UUID". Value is not a valid UUID: x; y'), 'Variable "$d" got an invalid value; Invalid value.');
  });

  it('does not repeat an unknown input key or enum value', () => {
    assert.equal(
      redactValues('Variable "$i" got invalid value { sk_live_1: 1 }; Field "sk_live_1" is not defined by type "CreateConnectionInput".'),
      'Variable "$i" got an invalid value; An input field is not defined by type "CreateConnectionInput".',
    );
    assert.equal(redactValues('Value "sk_live_1" does not exist in "StripeResource" enum.'), 'The value does not exist in "StripeResource" enum.');
  });

  it('drops literal values from validation messages', () => {
    assert.equal(redactValues('Expected value of type "Int", found "sk_live_1".'), 'Expected value of type "Int".');
    assert.equal(redactValues('Int cannot represent non-integer value: "sk_live_1"'), 'Int cannot represent this value.');
    assert.equal(redactValues('Syntax Error: Unexpected Name "sk_live_1".'), 'Syntax Error: Unexpected Name.');
  });

  it('keeps messages that hold no value', () => {
    for (const message of ['Variable "$id" of required type "ID!" was not provided.', 'Cannot query field "x" on type "Query".', 'Unknown argument "y" on field "Query.connections".']) {
      assert.equal(redactValues(message), message);
    }
  });
});
