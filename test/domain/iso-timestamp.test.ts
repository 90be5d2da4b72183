import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isoTimestamp } from '../../src/domain/iso-timestamp.js';

describe('isoTimestamp', () => {
  it('writes the same string as toISOString for the edges of the fast range, leap days and month ends', () => {
    const times = [
      0,
      -1,
      Date.UTC(1000, 0, 1),
      Date.UTC(1000, 0, 1) - 1,
      Date.UTC(9999, 11, 31, 23, 59, 59, 999),
      Date.UTC(10000, 0, 1),
      Date.UTC(2000, 1, 29, 23, 59, 59, 999),
      Date.UTC(1900, 1, 28, 12),
      Date.UTC(2024, 11, 31, 23, 59, 59, 1),
      Date.UTC(2026, 11, 7, 9, 5, 3, 40),
      Date.UTC(1, 0, 1),
      -8.64e15,
      8.64e15,
    ];
    for (const time of times) assert.equal(isoTimestamp(new Date(time)), new Date(time).toISOString(), `time ${time}`);
  });

  it('writes the same string as toISOString for 200,000 random instants across years 0 to 10,000', () => {
    const span = Date.UTC(10000, 0, 1) - Date.UTC(0, 0, 1);
    for (let i = 0; i < 200_000; i++) {
      const date = new Date(Date.UTC(0, 0, 1) + Math.floor(Math.random() * span));
      assert.equal(isoTimestamp(date), date.toISOString());
    }
  });

  it('throws as toISOString does for an invalid date', () => {
    assert.throws(() => isoTimestamp(new Date(Number.NaN)), RangeError);
  });
});
