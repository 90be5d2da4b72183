import { createHash } from 'node:crypto';
import type pg from 'pg';
import { decodeCursor, type Page } from './cursor.js';

/** The WHERE clause of a list, built condition by condition; `?` in a condition is its value's placeholder. */
export class ListFilter {
  readonly conditions: string[] = [];
  readonly params: unknown[] = [];

  /** Adds a condition; with a value, its `?` becomes the value's numbered parameter. */
  where(sql: string, ...value: [unknown] | []): this {
    if (value.length === 1) {
      this.params.push(value[0]);
      this.conditions.push(sql.replace('?', `$${this.params.length}`));
    } else {
      this.conditions.push(sql);
    }
    return this;
  }

  /** Adds the condition only when the value is given (not null or undefined). */
  whereGiven(sql: string, value: unknown): this {
    return value === null || value === undefined ? this : this.where(sql, value);
  }
}

/**
 * One page of a table's rows, newest first by (created_at, id) — keyset pagination that stays
 * stable while rows are added — and how many rows match in all. The statement text depends only
 * on which conditions are set, so each shape is a named (prepared once per connection) statement.
 */
export async function newestFirst<C extends pg.QueryResultRow, R>(
  pool: pg.Pool,
  table: 'resources' | 'operations' | 'onboardings',
  filter: ListFilter,
  first: number,
  after: string | null | undefined,
  map: (row: C) => R,
): Promise<Page<R>> {
  const where = filter.conditions.join(' AND ');
  const params = [...filter.params];
  let pageWhere = where;
  if (after) {
    const position = decodeCursor(after);
    params.push(position.at, position.id);
    pageWhere += ` AND (created_at, id) < ($${params.length - 1}::timestamptz, $${params.length}::uuid)`;
  }
  params.push(first + 1);
  const shape = createHash('sha1').update(`${table} ${pageWhere}`).digest('hex').slice(0, 16);
  const [rows, count] = await Promise.all([
    pool.query<C>({ name: `fg_page_${shape}`, text: `SELECT * FROM ${table} WHERE ${pageWhere} ORDER BY created_at DESC, id DESC LIMIT $${params.length}`, values: params }),
    pool.query<{ n: number }>({ name: `fg_count_${shape}`, text: `SELECT count(*)::int AS n FROM ${table} WHERE ${where}`, values: filter.params }),
  ]);
  const mapped = rows.rows.map(map);
  return { rows: mapped.slice(0, first), hasNextPage: mapped.length > first, totalCount: count.rows[0]!.n };
}
