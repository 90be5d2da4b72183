/**
 * `date.toISOString()`, written in JavaScript for the years 1000–9999. V8 formats ISO strings
 * in C++ through printf (≈ 0.6 µs), and JSON.stringify reaches it through `toJSON` (≈ 1.1 µs):
 * a page of 50 resources serializes 100 timestamps and encodes 50 cursors, which made date
 * formatting about 5 % of the gateway's CPU per `dataflows(first: 50)`. This takes ≈ 0.2 µs and
 * gives the same string (checked against `toISOString` in its tests); any other year, or an
 * invalid date, goes to `toISOString` itself.
 */
export function isoTimestamp(date: Date): string {
  const year = date.getUTCFullYear();
  if (!(year >= 1000 && year <= 9999)) return date.toISOString();
  return `${year}-${TWO_DIGITS[date.getUTCMonth() + 1]}-${TWO_DIGITS[date.getUTCDate()]}T${TWO_DIGITS[date.getUTCHours()]}:${TWO_DIGITS[date.getUTCMinutes()]}:${TWO_DIGITS[date.getUTCSeconds()]}.${THREE_DIGITS[date.getUTCMilliseconds()]}Z`;
}

const TWO_DIGITS = Array.from({ length: 100 }, (_, n) => String(n).padStart(2, '0'));
const THREE_DIGITS = Array.from({ length: 1000 }, (_, n) => String(n).padStart(3, '0'));
