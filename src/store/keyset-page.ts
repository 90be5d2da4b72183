import { createHash } from 'node:crypto';
import type pg from 'pg';
import { decodeCursor, type Page, type PageWindow } from './cursor.js';
import { columnOf } from './rows.js';

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

  /**
   * Adds `column = value` for each field of `casts` that `filter` gives (not null or undefined):
   * the column is the field's (`dataflowId` → `dataflow_id`), the value cast to the type named.
   */
  whereEqual<F extends object>(filter: F, casts: { [K in keyof F]?: string }): this {
    for (const [field, cast] of Object.entries(casts)) this.whereGiven(`${columnOf(field)} = ?::${cast as string}`, filter[field as keyof F]);
    return this;
  }
}

/**
 * A statement's name from its text: the same text, the same name (prepared once per connection).
 * Remembered, not hashed per request: the texts are made of the lists' fixed conditions (values
 * are parameters), so there are only as many as filter combinations the code can write.
 */
const shapes = new Map<string, string>();
function shapeOf(text: string): string {
  let shape = shapes.get(text);
  if (shape === undefined) {
    shape = createHash('sha1').update(text).digest('hex').slice(0, 16);
    shapes.set(text, shape);
  }
  return shape;
}

/**
 * One page of a table's rows, newest first by (created_at, id) — keyset pagination that stays
 * stable while rows are added — and, when the window asks for it, how many rows match in all
 * (a count reads every match; the page alone reads its rows and one more). Forward pages read down from
 * `after`, backward pages read up from `before` (and are returned in list order). Whether rows
 * lie beyond the cursor on the other side is one more indexed EXISTS, asked only when that
 * cursor is given. The statement text depends only on which conditions are set, so each shape
 * is a named (prepared once per connection) statement.
 */
export async function newestFirst<C extends pg.QueryResultRow, R>(
  pool: pg.Pool,
  table: 'resources' | 'operations' | 'onboardings' | 'alerts' | 'webhook_deliveries',
  filter: ListFilter,
  window: PageWindow,
  map: (row: C) => R,
  /** The columns a page reads (default all): leave out large ones no list shows. */
  columns = '*',
): Promise<Page<R>> {
  const where = filter.conditions.join(' AND ');
  const params = [...filter.params];
  let pageWhere = where;
  const cursorCondition = (cursor: string, field: string, op: string) => {
    const position = decodeCursor(cursor, field);
    params.push(position.at, position.id);
    return ` AND (created_at, id) ${op} ($${params.length - 1}::timestamptz, $${params.length}::uuid)`;
  };
  if (window.after) pageWhere += cursorCondition(window.after, 'after', '<');
  if (window.before) pageWhere += cursorCondition(window.before, 'before', '>');
  params.push(window.size + 1);
  const order = window.backward ? 'ASC' : 'DESC';
  // The count rides in the page's statement, as an uncorrelated subquery PostgreSQL evaluates once
  // (an InitPlan), in the last column of each row: one statement, one round trip and one pooled
  // connection per page instead of two. A page without rows carries no count: then the count is 0
  // when no cursor narrowed the page (it read from the start of the matches), else it is asked alone.
  const counted = window.count ? `, (SELECT count(*)::int FROM ${table} WHERE ${where}) AS ${COUNT_COLUMN}` : '';
  const shape = shapeOf(`${columns} ${table} ${pageWhere} ${order} ${window.count}`);
  // Beyond the page on the side it did not read towards: newer than `after` (forward), older than `before` (backward).
  const beyond = window.backward ? window.before && { cursor: window.before, field: 'before', op: '<=' } : window.after && { cursor: window.after, field: 'after', op: '>=' };
  const [rows, beyondExists] = await Promise.all([
    pool.query<C & { [COUNT_COLUMN]?: number }>({
      name: `fg_page_${shape}`,
      text: `SELECT ${columns}${counted} FROM ${table} WHERE ${pageWhere} ORDER BY created_at ${order}, id ${order} LIMIT $${params.length}`,
      values: params,
    }),
    beyond ? rowsBeyond(pool, table, filter, beyond) : Promise.resolve(false),
  ]);
  let totalCount = 0;
  if (window.count && rows.rows.length > 0) {
    totalCount = rows.rows[0]![COUNT_COLUMN]!;
    // The last property added: V8 drops it without slowing the object down.
    for (const row of rows.rows) delete row[COUNT_COLUMN];
  } else if (window.count && (window.after || window.before)) {
    totalCount = await countMatches(pool, table, where, filter.params);
  }
  const mapped = rows.rows.map(map);
  const more = mapped.length > window.size;
  const page = mapped.slice(0, window.size);
  if (window.backward) page.reverse();
  return {
    rows: page,
    hasNextPage: window.backward ? beyondExists : more,
    hasPreviousPage: window.backward ? more : beyondExists,
    totalCount,
  };
}

/** The column a counted page's statement carries the count in (no table has it). */
const COUNT_COLUMN = 'fg_total_count';

async function countMatches(pool: pg.Pool, table: string, where: string, params: unknown[]): Promise<number> {
  const result = await pool.query<{ n: number }>({ name: `fg_count_${shapeOf(`${table} ${where}`)}`, text: `SELECT count(*)::int AS n FROM ${table} WHERE ${where}`, values: params });
  return result.rows[0]!.n;
}

async function rowsBeyond(pool: pg.Pool, table: string, filter: ListFilter, beyond: { cursor: string; field: string; op: string }): Promise<boolean> {
  const position = decodeCursor(beyond.cursor, beyond.field);
  const params = [...filter.params, position.at, position.id];
  const text = `SELECT EXISTS (SELECT 1 FROM ${table} WHERE ${filter.conditions.join(' AND ')} AND (created_at, id) ${beyond.op} ($${params.length - 1}::timestamptz, $${params.length}::uuid)) AS found`;
  const shape = shapeOf(text);
  const result = await pool.query<{ found: boolean }>({ name: `fg_beyond_${shape}`, text, values: params });
  return result.rows[0]!.found;
}
