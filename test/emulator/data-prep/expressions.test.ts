import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { evaluate, ExpressionError, parseExpression } from '../../../emulator/services/data-prep/expressions.js';

/** Data Prep's expression language as the emulator evaluates it (help/data-prep/functions.md). */
const run = (text: string, data: Record<string, unknown> = {}) => evaluate(parseExpression(text), { source: { data }, nowMs: Date.UTC(2030, 2, 17, 12, 0, 0) });

describe('Data Prep expressions', () => {
  it('reads fields with dots and ${…}, and literals', () => {
    assert.equal(run('data.a.b', { a: { b: 42 } }), 42);
    assert.equal(run('data.${order id}', { 'order id': 'x' }), 'x');
    assert.equal(run('data.missing.deep'), null);
    assert.deepEqual([run('"s"'), run("'t'"), run('12.5'), run('true'), run('null')], ['s', 't', 12.5, true, null]);
  });

  it('does arithmetic, comparisons and logic, null staying null', () => {
    assert.equal(run('data.created * 1000', { created: 1_900_000_000 }), 1_900_000_000_000);
    assert.equal(run('data.missing * 1000'), null);
    assert.equal(run('1 + 2 * 3'), 7);
    assert.equal(run('(1 + 2) * 3'), 9);
    assert.equal(run('data.a == null', {}), true);
    assert.equal(run('data.a > 2 && data.a < 5', { a: 3 }), true);
    assert.equal(run('data.a eq 3 or false', { a: 3 }), true);
    assert.equal(run('!true'), false);
  });

  it("evaluates the functions Flowgate's generated mappings use: iif, contains_key, dformat", () => {
    const id = 'iif(contains_key("data.customer.id"), data.customer.id, data.customer)';
    assert.equal(run(id, { customer: 'cus_1' }), 'cus_1');
    assert.equal(run(id, { customer: { id: 'cus_2', object: 'customer' } }), 'cus_2');
    assert.equal(run(id, { customer: null }), null);
    assert.deepEqual(run('iif(contains_key("data.customer.id"), data.customer, null)', { customer: { id: 'cus_2' } }), { id: 'cus_2' });
    assert.equal(run('iif(contains_key("data.customer.id"), data.customer, null)', { customer: 'cus_1' }), null);
    assert.equal(run(`dformat(data.created * 1000, "yyyy-MM-dd'T'HH:mm:ss'Z'")`, { created: 1_900_000_000 }), '2030-03-17T17:46:40Z');
    assert.equal(run(`dformat(1571829875000, "yyyy-MM-dd'T'HH:mm:ss.SSSX")`), '2019-10-23T11:24:35.000Z', 'the docs’ example');
  });

  it('evaluates string, object, array and conversion functions as the docs show them', () => {
    assert.equal(run('concat("Hi, ", "there", "!")'), 'Hi, there!');
    assert.equal(run('lower("HeLLo")'), 'hello');
    assert.equal(run('substr("This is a substring test", 7, 8)'), ' a subst');
    assert.equal(run('"string1".equalsIgnoreCase("STRING1")'), true);
    assert.equal(run('iif("s".equalsIgnoreCase("S"), "True", "False")'), 'True');
    assert.equal(run('coalesce(null, null, "first", "second")'), 'first');
    assert.deepEqual(run('to_array(false, 1, null, 2, 3)'), [1, 2, 3]);
    assert.equal(run('size_of(data.list)', { list: [1, 2, 3, 4] }), 4);
    assert.equal(run('to_integer("12")'), 12);
    assert.equal(run('decode(data.s, "ca", "California", "pa", "Pennsylvania", "N/A")', { s: 'pa' }), 'Pennsylvania');
    assert.equal(run('now()'), '2030-03-17T12:00:00Z');
  });

  it('refuses what it cannot parse, and functions it does not evaluate, naming them', () => {
    assert.throws(() => parseExpression('data.a +'), ExpressionError);
    assert.throws(() => parseExpression('concat("a"'), /expected '\)'/);
    assert.throws(() => parseExpression('ua_os_name(data.agent)'), /the function 'ua_os_name' is not available/);
    assert.throws(() => run('dformat("soon", "yyyy")'), /dformat needs a timestamp/);
  });
});
