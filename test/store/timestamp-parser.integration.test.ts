import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import pg from 'pg';
import { parseTimestamptz } from '../../src/store/timestamp-parser.js';
import { createDatabase, type Database } from '../../src/store/prisma.js';
import { PG_ADMIN_URL } from '../gateway/support/stack.js';

/**
 * The store's pool reads `timestamptz` with its own parser (src/store/timestamp-parser.ts). Every
 * Date a resolver shows, and every cursor, comes from it: it must give exactly the instant
 * PostgreSQL holds, to the millisecond, whatever the session's time zone — and the same Date
 * node-postgres' own parser gives, including the values it only hands on (infinity, BC, years
 * before 1000 or after 9999).
 */

const ZONES = ['UTC', 'Asia/Kolkata', 'America/St_Johns', 'America/Los_Angeles', 'Pacific/Kiritimati', 'Europe/Amsterdam'];
const VALUES = [
  `now()`,
  `'2026-12-07 03:12:00+00'`,
  `'2026-12-07 03:12:00.1+00'`,
  `'2026-12-07 03:12:00.999999+00'`,
  `'2026-03-29 01:59:59.5+00'`,
  `'1999-12-31 23:59:59.001+00'`,
  `'2000-02-29 12:00:00.07-09:30'`,
  `'1883-11-18 12:00:00+00'`,
  `'0099-06-01 00:00:00+00'`,
  `'0500-06-01 00:00:00.25+00'`,
  `'12026-01-01 00:00:00+00'`,
  `'0044-03-15 12:00:00+00 BC'`,
  `'infinity'`,
  `'-infinity'`,
];

/** node-postgres' own reading of a `timestamptz` (postgres-date). */
const parsePostgresDate = pg.types.getTypeParser(1184, 'text') as (text: string) => unknown;

const instant = (value: unknown): string => (value instanceof Date ? String(value.getTime()) : String(value));

describe('timestamptz as the store reads it', () => {
  let database: Database;

  before(() => {
    database = createDatabase(PG_ADMIN_URL, { poolSize: 1 });
  });

  after(async () => {
    await database.pool.end();
  });

  for (const zone of ZONES) {
    it(`gives PostgreSQL's instant and node-postgres' Date in time zone ${zone}`, async () => {
      const client = await database.pool.connect();
      try {
        await client.query(`SET TimeZone = '${zone}'`);
        for (const value of VALUES) {
          const { rows } = await client.query<{ parsed: unknown; text: string; ms: string | null }>(
            `SELECT v AS parsed, v::text AS text, CASE WHEN isfinite(v) THEN floor(extract(epoch FROM v) * 1000)::bigint::text END AS ms FROM (SELECT ${value}::timestamptz AS v) t`,
          );
          const row = rows[0]!;
          assert.equal(instant(row.parsed), instant(parsePostgresDate(row.text)), `${row.text} (${zone}) reads as node-postgres reads it`);
          if (row.ms !== null) assert.equal(instant(row.parsed), row.ms, `${row.text} (${zone}) is PostgreSQL's instant`);
        }
      } finally {
        await client.query('RESET TimeZone');
        client.release();
      }
    });
  }

  it('reads every millisecond of a second and every offset shape PostgreSQL writes', () => {
    const offsets = ['+00', '-05', '+05:30', '-03:30', '+14', '-09:30:15', '+00:00:00'];
    for (let ms = 0; ms < 1000; ms++) {
      const fraction = String(ms).padStart(3, '0');
      for (const offset of offsets) {
        for (const text of [`2026-12-07 03:12:00.${fraction}${offset}`, `1999-02-28 23:59:59.${fraction}456${offset}`, `2026-01-01 00:00:00.${fraction.replace(/0+$/, '') || '0'}${offset}`]) {
          assert.equal(instant(parseTimestamptz(text)), instant(parsePostgresDate(text)), text);
        }
      }
    }
  });
});
