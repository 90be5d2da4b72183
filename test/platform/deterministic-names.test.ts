import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MAX_PLATFORM_NAME_LENGTH, parseFlowgateTag, platformName } from '../../src/platform/deterministic-names.js';

describe('platformName', () => {
  it('appends the Flowgate tag to the human name', () => {
    assert.equal(platformName('Stripe charges', 'ckz8r2m0a0001'), 'Stripe charges [fg:ckz8r2m0a0001]');
  });

  it('collapses whitespace and newlines to single spaces', () => {
    assert.equal(platformName('  Stripe\n\tcharges  ', 'id-1'), 'Stripe charges [fg:id-1]');
  });

  it('gives a nameless resource a placeholder instead of a bare tag', () => {
    assert.equal(platformName('   ', 'id-1'), 'Flowgate [fg:id-1]');
  });

  it('cuts a long human part, never the tag, to stay within the limit', () => {
    const id = '3f1c7e64-0d1b-4c9a-9f7e-2a5b8c0d1e2f';
    const name = platformName('x'.repeat(1000), id);
    assert.equal([...name].length, MAX_PLATFORM_NAME_LENGTH);
    assert.ok(name.endsWith(` [fg:${id}]`));
    assert.equal(parseFlowgateTag(name), id);
  });

  it('counts characters, not UTF-16 units, so it never splits an emoji', () => {
    const name = platformName('💳'.repeat(300), 'id-1', 40);
    assert.equal([...name].length, 40);
    assert.ok(!name.includes('\uFFFD'));
    assert.ok(/^(💳)+… \[fg:id-1\]$/u.test(name), name);
  });

  it('refuses an id that could not be read back', () => {
    assert.throws(() => platformName('x', 'has space'), RangeError);
    assert.throws(() => platformName('x', 'bad]id'), RangeError);
    assert.throws(() => platformName('x', ''), RangeError);
  });
});

describe('parseFlowgateTag', () => {
  it('reads the id back from a name Flowgate gave', () => {
    assert.equal(parseFlowgateTag(platformName('Acme, Inc. [prod]', 'op_42')), 'op_42');
  });

  it('answers null for a name Flowgate did not give', () => {
    assert.equal(parseFlowgateTag('Stripe charges'), null);
    assert.equal(parseFlowgateTag('Stripe [fg:] charges'), null);
    assert.equal(parseFlowgateTag('[fg:op_42] at the start'), null);
  });

  it('reads the last tag when a user typed one into the human part', () => {
    assert.equal(parseFlowgateTag(platformName('copy of [fg:other]', 'mine')), 'mine');
  });
});
