import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { backoffDelayMs, parseRetryAfterMs, resolveRetryOptions, RETRY_DEFAULTS } from '../../src/platform/retry-policy.js';

describe('parseRetryAfterMs', () => {
  const now = Date.parse('2026-11-28T12:00:00Z');

  it('reads delta-seconds', () => {
    assert.equal(parseRetryAfterMs('1', now), 1000);
    assert.equal(parseRetryAfterMs(' 30 ', now), 30_000);
  });

  it('reads an HTTP date as the time left until it', () => {
    assert.equal(parseRetryAfterMs('Sat, 28 Nov 2026 12:00:05 GMT', now), 5000);
  });

  it('reads a date in the past as "now"', () => {
    assert.equal(parseRetryAfterMs('Sat, 28 Nov 2026 11:59:00 GMT', now), 0);
  });

  it('ignores absent and unreadable values', () => {
    assert.equal(parseRetryAfterMs(undefined, now), undefined);
    assert.equal(parseRetryAfterMs('-1', now), undefined);
    assert.equal(parseRetryAfterMs('1.5', now), undefined);
    assert.equal(parseRetryAfterMs('soon', now), undefined);
  });
});

describe('backoffDelayMs', () => {
  const options = { baseDelayMs: 100, maxDelayMs: 5000 };

  it('draws uniformly below a ceiling that doubles per attempt (full jitter)', () => {
    assert.equal(
      backoffDelayMs(1, options, () => 0),
      0,
    );
    assert.equal(
      backoffDelayMs(1, options, () => 0.5),
      50,
    );
    assert.equal(
      backoffDelayMs(2, options, () => 0.5),
      100,
    );
    assert.equal(
      backoffDelayMs(3, options, () => 0.999),
      399,
    );
  });

  it('never exceeds the cap', () => {
    assert.equal(
      backoffDelayMs(20, options, () => 0.999),
      4995,
    );
  });
});

describe('resolveRetryOptions', () => {
  it('fills in the documented defaults', () => {
    assert.deepEqual(resolveRetryOptions({}), { maxAttempts: 4, baseDelayMs: 100, maxDelayMs: 5000, maxRetryAfterMs: 30_000 });
    assert.deepEqual(resolveRetryOptions({ maxAttempts: undefined }), RETRY_DEFAULTS);
  });

  it('refuses settings that make no sense', () => {
    assert.throws(() => resolveRetryOptions({ maxAttempts: 0 }), RangeError);
    assert.throws(() => resolveRetryOptions({ baseDelayMs: -1 }), RangeError);
  });
});
