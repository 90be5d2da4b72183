import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { SeededRandom, hashString128 } from '../../../emulator/stripe/seeded-random.js';

const draw = (rng: SeededRandom, n: number) => Array.from({ length: n }, () => rng.nextUint32());

describe('hashString128', () => {
  it('gives four unsigned 32-bit words that change with the input', () => {
    const a = hashString128('seed');
    assert.equal(a.length, 4);
    for (const word of a) assert.ok(Number.isInteger(word) && word >= 0 && word < 2 ** 32);
    assert.deepEqual(hashString128('seed'), a);
    assert.notDeepEqual(hashString128('seee'), a);
  });
});

describe('SeededRandom', () => {
  it('repeats the same stream for the same seed', () => {
    assert.deepEqual(draw(new SeededRandom('abc'), 50), draw(new SeededRandom('abc'), 50));
  });

  it('gives different streams for different seeds', () => {
    assert.notDeepEqual(draw(new SeededRandom('abc'), 10), draw(new SeededRandom('abd'), 10));
  });

  it('keeps derived keys apart however the parts are split', () => {
    assert.notDeepEqual(draw(SeededRandom.derive('a', 'bc'), 5), draw(SeededRandom.derive('ab', 'c'), 5));
    assert.deepEqual(draw(SeededRandom.derive('a', 1), 5), draw(SeededRandom.derive('a', '1'), 5));
  });

  it('draws floats in [0, 1) and integers within inclusive bounds', () => {
    const rng = new SeededRandom('bounds');
    const seen = new Set<number>();
    for (let i = 0; i < 2000; i++) {
      const f = rng.next();
      assert.ok(f >= 0 && f < 1);
      const n = rng.int(3, 7);
      assert.ok(Number.isInteger(n) && n >= 3 && n <= 7);
      seen.add(n);
    }
    assert.deepEqual([...seen].sort(), [3, 4, 5, 6, 7]);
  });

  it('builds alphanumeric and digit strings of the requested length', () => {
    const rng = new SeededRandom('chars');
    assert.match(rng.alphanumeric(24), /^[0-9A-Za-z]{24}$/);
    assert.match(rng.digits(6), /^\d{6}$/);
    assert.equal(rng.alphanumeric(0), '');
  });

  it('never picks a zero-weight entry', () => {
    const rng = new SeededRandom('weights');
    for (let i = 0; i < 500; i++)
      assert.notEqual(
        rng.weighted([
          ['never', 0],
          ['always', 1],
        ]),
        'never',
      );
  });

  it('rejects picking from an empty list', () => {
    assert.throws(() => new SeededRandom('x').pick([]), RangeError);
  });

  it('draws Poisson counts whose average is the mean', () => {
    const rng = new SeededRandom('poisson');
    let total = 0;
    for (let i = 0; i < 5000; i++) total += rng.poisson(12);
    assert.ok(Math.abs(total / 5000 - 12) < 0.3, `average ${total / 5000}`);
    assert.equal(rng.poisson(0), 0);
  });
});
