import { catalogueError } from '../errors/error-bodies.js';
import { FLOW_SERVICE_ERRORS as FLOW } from '../errors/error-catalogue.js';
import { queryBoolean } from './query-values.js';

/**
 * Flow Service list semantics (PLATFORM-API.md §12): `property` filters (ANDed, comma = OR of
 * values, dotted paths, `[]` for arrays), `orderby` with `+`/`-`, `limit` with an opaque
 * `continuationToken` carried in `_links.next.href`, and `count=true`.
 */
export interface FlowListOptions {
  /** Path of the list endpoint relative to the Flow Service base, e.g. `/connections`, used in `_links.next.href`. */
  selfPath: string;
  /** Page size when `limit` is absent. */
  defaultLimit?: number;
}

type Operator = '==' | '!=' | '>=' | '<=' | '>' | '<' | '~';
interface PropertyFilter {
  path: string[];
  operator: Operator;
  values: string[];
}

const OPERATORS: Operator[] = ['==', '!=', '>=', '<=', '~', '>', '<'];
const MAX_LIMIT = 1000;

export function listFlowItems(items: Record<string, any>[], query: Record<string, unknown>, options: FlowListOptions): Record<string, unknown> {
  const count = parseCount(query.count);
  const limitRaw = query.limit;
  if (count && limitRaw !== undefined) {
    throw catalogueError(FLOW.limitWithCount, 'The limit and count parameters cannot be given together in the same request.');
  }
  // A continuation token carries the query it continues, so `_links.next.href` needs nothing
  // else (the spec's example is `/connections?continuationToken=…`). Parameters sent beside it
  // must agree with it; a `limit` sent beside it sets the next page's size.
  const continued = typeof query.continuationToken === 'string' ? decodeToken(query.continuationToken) : null;
  const properties = asList(query.property);
  const orderbyRaw = typeof query.orderby === 'string' && query.orderby !== '' ? query.orderby : null;
  if (continued && ((properties.length > 0 && !sameList(properties, continued.p)) || (orderbyRaw !== null && orderbyRaw !== continued.ob))) {
    throw catalogueError(FLOW.invalidQueryValue, 'The continuationToken does not belong to this query: send it alone, or with the same property and orderby parameters.');
  }
  const effectiveProperties = continued ? continued.p : properties;
  const effectiveOrderby = continued ? continued.ob : orderbyRaw;
  const filters = effectiveProperties.map(parseFilter);
  const orderby = effectiveOrderby === null ? null : parseOrderBy(effectiveOrderby);

  let selected = items.filter((item) => filters.every((f) => matches(item, f)));
  if (count) return { count: selected.length };

  selected = [...selected].sort((a, b) => {
    if (orderby) {
      const c = compareValues(readPath(a, orderby.path), readPath(b, orderby.path));
      if (c !== 0) return orderby.descending ? -c : c;
    }
    // Stable, documented default: oldest first, then by id.
    return (a.createdAt ?? 0) - (b.createdAt ?? 0) || String(a.id).localeCompare(String(b.id));
  });

  const limit = limitRaw !== undefined ? parseLimit(limitRaw) : (continued?.l ?? options.defaultLimit ?? 100);
  const offset = continued?.o ?? 0;
  const page = selected.slice(offset, offset + limit);
  const links: Record<string, unknown> = {};
  if (offset + limit < selected.length) {
    const token = encodeToken({ o: offset + limit, l: limit, p: effectiveProperties, ob: effectiveOrderby });
    links.next = { href: `${options.selfPath}?continuationToken=${token}` };
  }
  return { items: page, _links: links };
}

/** Reads a dotted path; a segment ending in `[]` fans out over array elements. */
export function readPath(value: unknown, path: string[]): unknown {
  let current: unknown[] = [value];
  let fannedOut = false;
  for (const rawSegment of path) {
    const isArray = rawSegment.endsWith('[]');
    const segment = isArray ? rawSegment.slice(0, -2) : rawSegment;
    const next: unknown[] = [];
    for (const c of current) {
      if (c === null || typeof c !== 'object') continue;
      const v = (c as Record<string, unknown>)[segment];
      if (isArray) {
        if (Array.isArray(v)) next.push(...v);
      } else if (v !== undefined) next.push(v);
    }
    if (isArray) fannedOut = true;
    current = next;
  }
  return fannedOut ? current : current[0];
}

function parseFilter(expression: string): PropertyFilter {
  for (const operator of OPERATORS) {
    const at = expression.indexOf(operator);
    if (at <= 0) continue;
    // `>=`/`<=` must win over `>`/`<`; OPERATORS lists the two-character ones first.
    const key = expression.slice(0, at).trim();
    const rawValue = expression.slice(at + operator.length);
    if (!/^[A-Za-z0-9_.\[\]:-]+$/.test(key)) break;
    if (rawValue === '') {
      throw catalogueError(FLOW.invalidFilterValue, `The filter '${expression}' has no value.`);
    }
    const values = operator === '==' || operator === '!=' ? rawValue.split(',') : [rawValue];
    if ((operator === '>' || operator === '<' || operator === '>=' || operator === '<=' || operator === '~') && rawValue.includes(',')) {
      throw catalogueError(FLOW.operatorNotAllowedForMultipleValues, `The operator '${operator}' does not accept multiple values in '${expression}'.`);
    }
    if (operator === '~') {
      try {
        new RegExp(rawValue, 'i');
      } catch {
        throw catalogueError(FLOW.invalidFilterValue, `The pattern in '${expression}' is not a valid regular expression.`);
      }
    }
    return { path: key.split('.'), operator, values };
  }
  throw catalogueError(FLOW.invalidFilterOperator, `The filter '${expression}' has no supported operator. Use ==, !=, >, <, >=, <= or ~.`);
}

function matches(item: Record<string, unknown>, filter: PropertyFilter): boolean {
  const found = readPath(item, filter.path);
  const candidates = Array.isArray(found) ? found : found === undefined ? [] : [found];
  switch (filter.operator) {
    case '==':
      return candidates.some((c) => filter.values.some((v) => looselyEqual(c, v)));
    case '!=':
      return !candidates.some((c) => filter.values.some((v) => looselyEqual(c, v)));
    case '~': {
      // parseFilter gives '~' exactly one value.
      const regex = new RegExp(filter.values[0]!, 'i');
      return candidates.some((c) => typeof c === 'string' && regex.test(c));
    }
    default: {
      const bound = Number(filter.values[0]);
      return candidates.some((c) => {
        const n = typeof c === 'number' ? c : typeof c === 'string' && c.trim() !== '' ? Number(c) : NaN;
        if (Number.isNaN(n) || Number.isNaN(bound)) return false;
        return filter.operator === '>' ? n > bound : filter.operator === '<' ? n < bound : filter.operator === '>=' ? n >= bound : n <= bound;
      });
    }
  }
}

function looselyEqual(actual: unknown, expected: string): boolean {
  if (typeof actual === 'string') return actual === expected;
  if (typeof actual === 'number' || typeof actual === 'boolean') return String(actual) === expected;
  return false;
}

function parseOrderBy(raw: string): { path: string[]; descending: boolean } {
  const descending = raw.startsWith('-');
  const field = raw.replace(/^[+-]/, '').trim();
  if (field === '' || /^[+-]/.test(field)) {
    throw catalogueError(FLOW.invalidOrderBy, `The orderby value '${raw}' is invalid. Use a field name with an optional + or - prefix.`);
  }
  if (!/^[A-Za-z0-9_.]+$/.test(field)) {
    throw catalogueError(FLOW.invalidOrderByField, `The field '${field}' cannot be used to order results.`);
  }
  return { path: field.split('.'), descending };
}

function compareValues(a: unknown, b: unknown): number {
  if (a === b) return 0;
  if (a === undefined || a === null) return 1;
  if (b === undefined || b === null) return -1;
  if (typeof a === 'number' && typeof b === 'number') return a - b;
  return String(a).localeCompare(String(b));
}

function parseLimit(raw: unknown): number {
  const n = Number(raw);
  if (typeof raw !== 'string' || !/^\d+$/.test(raw) || n < 1 || n > MAX_LIMIT) {
    throw catalogueError(FLOW.invalidQueryValue, `The limit '${String(raw)}' is invalid. Use an integer between 1 and ${MAX_LIMIT}.`);
  }
  return n;
}

function parseCount(raw: unknown): boolean {
  const value = queryBoolean(raw);
  if (value === null) throw catalogueError(FLOW.invalidQueryValue, `The count parameter must be true or false (any case), not '${String(raw)}'.`);
  return value ?? false;
}

function asList(raw: unknown): string[] {
  if (raw === undefined) return [];
  return (Array.isArray(raw) ? raw : [raw]).map(String).filter((s) => s !== '');
}

function sameList(a: string[], b: string[]): boolean {
  return a.length === b.length && a.every((value, index) => value === b[index]);
}

/** What a continuation token holds: the next offset, the page size, the filters and the order. */
interface ContinuedQuery {
  o: number;
  l: number;
  p: string[];
  ob: string | null;
}

// base64url has no `=`, so a client that takes "everything after the =" of the href gets the token whole.
function encodeToken(query: ContinuedQuery): string {
  return Buffer.from(JSON.stringify(query)).toString('base64url');
}

function decodeToken(token: string): ContinuedQuery {
  try {
    const parsed = JSON.parse(Buffer.from(token, 'base64url').toString('utf8')) as Partial<ContinuedQuery>;
    const { o, l, p, ob } = parsed;
    if (
      typeof o === 'number' &&
      Number.isInteger(o) &&
      o >= 0 &&
      typeof l === 'number' &&
      Number.isInteger(l) &&
      l >= 1 &&
      l <= MAX_LIMIT &&
      Array.isArray(p) &&
      p.every((x) => typeof x === 'string') &&
      (ob === null || typeof ob === 'string')
    ) {
      return { o, l, p, ob };
    }
  } catch {
    // fall through to the error below
  }
  throw catalogueError(FLOW.invalidQueryValue, 'The continuationToken is invalid. Use the _links.next.href of the previous page as it is.');
}
