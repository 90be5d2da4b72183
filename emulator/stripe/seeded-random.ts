/**
 * A small, fast, seedable pseudo-random generator for the Stripe emulator.
 *
 * Every generated value must be a pure function of its inputs (seed, account, resource, time
 * bucket, index) so that the same request always returns the same data. `Math.random` and
 * `node:crypto` can't give that, so records draw from an sfc32 stream seeded by a cyrb128 hash
 * of a string key. Neither is cryptographic; they only need to be stable and well spread.
 */

const ALPHANUMERIC_CODES: readonly number[] = Array.from('0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz', (c) => c.charCodeAt(0));
const DIGIT_CODES: readonly number[] = Array.from('0123456789', (c) => c.charCodeAt(0));

/** Separates the parts of a derived key, so `('a', 'bc')` and `('ab', 'c')` differ. */
const PART_SEPARATOR = '\u001f';

/**
 * cyrb128: hashes a string to four unsigned 32-bit words. Used as sfc32 state, so two keys that
 * differ in one character give unrelated streams.
 */
export function hashString128(input: string): [number, number, number, number] {
  let h1 = 1779033703;
  let h2 = 3144134277;
  let h3 = 1013904242;
  let h4 = 2773480762;
  for (let i = 0; i < input.length; i++) {
    const k = input.charCodeAt(i);
    h1 = h2 ^ Math.imul(h1 ^ k, 597399067);
    h2 = h3 ^ Math.imul(h2 ^ k, 2869860233);
    h3 = h4 ^ Math.imul(h3 ^ k, 951274213);
    h4 = h1 ^ Math.imul(h4 ^ k, 2716044179);
  }
  h1 = Math.imul(h3 ^ (h1 >>> 18), 597399067);
  h2 = Math.imul(h4 ^ (h2 >>> 22), 2869860233);
  h3 = Math.imul(h1 ^ (h3 >>> 17), 951274213);
  h4 = Math.imul(h2 ^ (h4 >>> 19), 2716044179);
  h1 ^= h2 ^ h3 ^ h4;
  h2 ^= h1;
  h3 ^= h1;
  h4 ^= h1;
  return [h1 >>> 0, h2 >>> 0, h3 >>> 0, h4 >>> 0];
}

/**
 * A deterministic random stream (sfc32) seeded from a string.
 *
 * Not safe for secrets. Instances are cheap (a hash and a few warm-up rounds), so callers make
 * one per record rather than sharing a stream whose position would depend on call order.
 */
export class SeededRandom {
  private a: number;
  private b: number;
  private c: number;
  private d: number;

  /** @param seed any string; equal seeds give equal streams. */
  constructor(seed: string) {
    [this.a, this.b, this.c, this.d] = hashString128(seed);
    // sfc32's first outputs correlate with the raw hash words; discard them.
    for (let i = 0; i < 12; i++) this.nextUint32();
  }

  /** A stream keyed by several parts (joined with a unit separator). */
  static derive(...parts: ReadonlyArray<string | number>): SeededRandom {
    return new SeededRandom(parts.join(PART_SEPARATOR));
  }

  /** Next unsigned 32-bit integer. */
  nextUint32(): number {
    const t = (((this.a + this.b) | 0) + this.d) | 0;
    this.d = (this.d + 1) | 0;
    this.a = this.b ^ (this.b >>> 9);
    this.b = (this.c + (this.c << 3)) | 0;
    this.c = (this.c << 21) | (this.c >>> 11);
    this.c = (this.c + t) | 0;
    return t >>> 0;
  }

  /** Uniform float in [0, 1). */
  next(): number {
    return this.nextUint32() / 4294967296;
  }

  /** Uniform integer in [min, max], both inclusive. */
  int(min: number, max: number): number {
    return min + Math.floor(this.next() * (max - min + 1));
  }

  /** True with probability `p`. */
  chance(p: number): boolean {
    return this.next() < p;
  }

  /** One element, uniformly. Throws RangeError on an empty list (a programming error). */
  pick<T>(items: readonly T[]): T {
    if (items.length === 0) throw new RangeError('pick() needs at least one item');
    // next() is in [0, 1), so the index is within the list.
    return items[Math.floor(this.next() * items.length)]!;
  }

  /** One value, chosen with probability proportional to its weight. */
  weighted<T>(entries: ReadonlyArray<readonly [T, number]>): T {
    let total = 0;
    for (const [, weight] of entries) total += weight;
    let roll = this.next() * total;
    for (const [value, weight] of entries) {
      roll -= weight;
      if (roll < 0) return value;
    }
    // Rounding can leave a sliver of the roll: it goes to the last entry.
    const last = entries[entries.length - 1];
    if (last === undefined) throw new RangeError('weighted() needs at least one entry');
    return last[0];
  }

  /** `length` characters from [0-9A-Za-z]. */
  alphanumeric(length: number): string {
    return this.charsFrom(ALPHANUMERIC_CODES, length);
  }

  /** `length` decimal digits (leading zeros allowed). */
  digits(length: number): string {
    return this.charsFrom(DIGIT_CODES, length);
  }

  // Builds the string in one go: appending character by character leaves a chain of
  // intermediate strings per id, which dominated garbage collection when generating a month.
  private charsFrom(codes: readonly number[], length: number): string {
    const out = new Array<number>(length);
    // next() is in [0, 1), so the index is within the (constant, non-empty) code list.
    for (let i = 0; i < length; i++) out[i] = codes[Math.floor(this.next() * codes.length)]!;
    return String.fromCharCode(...out);
  }

  /**
   * A Poisson-distributed count with the given mean (Knuth's method; the emulator's means are
   * small, so its O(mean) cost is negligible). Means above 500 fall back to a rounded normal
   * approximation so a huge rate can't underflow `exp(-mean)`.
   */
  poisson(mean: number): number {
    if (!(mean > 0)) return 0;
    if (mean > 500) {
      // Box-Muller; 1 - next() keeps the logarithm's argument in (0, 1].
      const normal = Math.sqrt(-2 * Math.log(1 - this.next())) * Math.cos(2 * Math.PI * this.next());
      return Math.max(0, Math.round(mean + Math.sqrt(mean) * normal));
    }
    const limit = Math.exp(-mean);
    let count = 0;
    let product = this.next();
    while (product > limit) {
      count++;
      product *= this.next();
    }
    return count;
  }
}
