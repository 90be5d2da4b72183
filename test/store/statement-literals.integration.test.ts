import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { withLiterals } from '../../src/store/db.js';
import { createDatabase, type Database } from '../../src/store/prisma.js';
import { PG_ADMIN_URL } from '../gateway/support/stack.js';

/**
 * An onboarding pass sends its last write with its COMMIT in one round trip: the simple query
 * protocol, which takes no parameters, so the write's values are written into its text
 * (`withLiterals`). PostgreSQL must read back exactly the values the parameters would have given —
 * a step key, an error message, a JSON document with quotes, backslashes or a `$2` in it.
 */
describe('values written into a statement as literals', () => {
  let database: Database;
  before(() => {
    database = createDatabase(PG_ADMIN_URL, { poolSize: 1 });
  });
  after(() => database.pool.end());

  const TEXTS = ['charges:dataset', "it's", 'back\\slash \\n', 'line\nbreak\ttab', '$2 and $1 inside a value', 'ünïcødé ✓ 日本', '', "''; DROP TABLE x; --", "E'\\\\'"];
  const JSON_DOC = JSON.stringify({ message: 'a "quoted" \\ value', path: ['a', "b's"], n: 1.5, none: null });

  it('reads back every value as the same statement with parameters does', async () => {
    const text = `SELECT $1::text AS a, $2::int AS b, $3::float8 AS c, $4::boolean AS d, $5::boolean AS e, $6::text AS f, $7::jsonb AS g, $8::text AS h, $9::text AS i, $10::text AS j, $11::numeric AS k, $12::text[] AS l`;
    for (const value of TEXTS) {
      const values = [value, 42, 0.3333333333333333, true, false, null, JSON_DOC, 'x', 'y', 'tenth', -12.5, ['CHARGES', value, null, 'a,b', '{c}', 'NULL']];
      const client = await database.pool.connect();
      try {
        const expected = (await client.query(text, values)).rows[0];
        const actual = (await client.query(withLiterals({ text, values }))).rows[0];
        assert.deepEqual(actual, expected, JSON.stringify(value));
      } finally {
        client.release();
      }
    }
  });

  it('goes in a multi-statement text with the rest of a transaction, and undefined is NULL', async () => {
    const client = await database.pool.connect();
    try {
      await client.query('BEGIN');
      const results = (await client.query(`${withLiterals({ text: 'SELECT $1::text AS a, $2::text AS b', values: ["o'k", undefined] })}; COMMIT`)) as unknown as { rows: unknown[] }[];
      assert.deepEqual(results[0]!.rows, [{ a: "o'k", b: null }]);
    } finally {
      client.release();
    }
  });

  it('refuses what it cannot write as a literal, naming the parameter', () => {
    assert.throws(() => withLiterals({ text: 'SELECT $1', values: [{ a: 1 }] }), /\$1: cannot write a object/);
    assert.throws(() => withLiterals({ text: 'SELECT $1', values: [[1, 2]] }), /\$1: cannot write a object/);
    assert.throws(() => withLiterals({ text: 'SELECT $1', values: [Number.NaN] }), /\$1 is not a finite number/);
    assert.throws(() => withLiterals({ text: 'SELECT $2', values: ['only one'] }), /no value for \$2/);
  });
});
