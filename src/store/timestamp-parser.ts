import pg from 'pg';

/**
 * node-postgres reads every `timestamptz` with postgres-date, three regular expressions per
 * value; a page of 50 resources holds 150 of them, and in a profile of `dataflows(first: 50)`
 * that was about 4 % of the gateway's CPU. PostgreSQL writes the type in one fixed shape
 * (DateStyle ISO, which node-postgres assumes anyway): `YYYY-MM-DD HH:MM:SS[.ffffff]±HH[:MM[:SS]]`.
 * This reads that shape by character codes and gives anything else (infinity, BC, five-digit
 * years) to node-postgres' own parser, so the Date is always the same as before.
 */

const TIMESTAMPTZ_OID = 1184;
const ZERO = 48;

const fallback = pg.types.getTypeParser(TIMESTAMPTZ_OID, 'text') as (value: string) => Date | number | null;

/** The digits of `text` from `start` to `end` as a number, or -1 when one of them is not a digit. */
function digits(text: string, start: number, end: number): number {
  let n = 0;
  for (let i = start; i < end; i++) {
    const d = text.charCodeAt(i) - ZERO;
    if (d < 0 || d > 9) return -1;
    n = n * 10 + d;
  }
  return n;
}

/** A `timestamptz` in PostgreSQL's text output as a Date (or, for ±infinity, what node-postgres gives). */
export function parseTimestamptz(text: string): Date | number | null {
  const n = text.length;
  if (n < 22 || text.charCodeAt(4) !== 45 || text.charCodeAt(7) !== 45 || text.charCodeAt(10) !== 32 || text.charCodeAt(13) !== 58 || text.charCodeAt(16) !== 58) {
    return fallback(text);
  }
  const year = digits(text, 0, 4);
  const month = digits(text, 5, 7);
  const day = digits(text, 8, 10);
  const hour = digits(text, 11, 13);
  const minute = digits(text, 14, 16);
  const second = digits(text, 17, 19);
  // Years before 1000 (Date.UTC reads 0–99 as 19xx) and anything malformed: the general parser.
  if (year < 1000 || month < 0 || day < 0 || hour < 0 || minute < 0 || second < 0) return fallback(text);
  let i = 19;
  let ms = 0;
  if (text.charCodeAt(i) === 46) {
    // Fractional seconds: milliseconds are the first three digits (the rest is dropped, as before).
    let scale = 100;
    i++;
    for (; i < n; i++) {
      const d = text.charCodeAt(i) - ZERO;
      if (d < 0 || d > 9) break;
      ms += d * scale;
      scale /= 10;
    }
    ms = Math.floor(ms);
  }
  const sign = text.charCodeAt(i);
  if ((sign !== 43 && sign !== 45) || (n - i !== 3 && n - i !== 6 && n - i !== 9)) return fallback(text);
  const offsetHours = digits(text, i + 1, i + 3);
  const offsetMinutes = n - i >= 6 && text.charCodeAt(i + 3) === 58 ? digits(text, i + 4, i + 6) : n - i === 3 ? 0 : -1;
  const offsetSeconds = n - i === 9 && text.charCodeAt(i + 6) === 58 ? digits(text, i + 7, i + 9) : n - i === 9 ? -1 : 0;
  if (offsetHours < 0 || offsetMinutes < 0 || offsetSeconds < 0) return fallback(text);
  const offset = (offsetHours * 3600 + offsetMinutes * 60 + offsetSeconds) * 1000 * (sign === 45 ? -1 : 1);
  return new Date(Date.UTC(year, month - 1, day, hour, minute, second, ms) - offset);
}

/** The type parsers of Flowgate's pool: node-postgres' own, with `timestamptz` read by `parseTimestamptz`. */
export const poolTypes: pg.CustomTypesConfig = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary'): ((value: string) => unknown) =>
    oid === TIMESTAMPTZ_OID && format !== 'binary' ? parseTimestamptz : (pg.types.getTypeParser(oid, format ?? 'text') as (value: string) => unknown)) as pg.CustomTypesConfig['getTypeParser'],
};
