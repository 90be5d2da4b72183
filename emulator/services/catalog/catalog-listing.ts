import { catalogFailure } from './catalog-errors.js';

/**
 * Catalog list semantics ("Filter Catalog data using query parameters"): the answer is an object
 * keyed by id; `limit` 1–100 (default 20), `start` offset, `orderBy=asc:created,desc:name`,
 * `properties=` top-level projection, `property=` conditions on top-level attributes, simple
 * `attr=value[,value]` / `attr=!value` filters and `tags=ns:value` (with `*` wildcards).
 */
export interface CatalogListOptions {
  /** Top-level attributes that may be filtered with `attr=value`. */
  simpleFilters: readonly string[];
  /** Further conditions of the endpoint (e.g. `dataSet=`, `createdAfter=` for batches). */
  extraFilter?: (wire: Record<string, any>, id: string) => boolean;
}

type Condition = (wire: Record<string, any>) => boolean;

export function listCatalogObjects(entries: [string, Record<string, any>][], query: Record<string, unknown>, options: CatalogListOptions): Record<string, Record<string, unknown>> {
  const limit = integerParam(query.limit, 'limit', 20, 1, 100);
  const start = integerParam(query.start, 'start', 0, 0, Number.MAX_SAFE_INTEGER);
  const conditions: Condition[] = [
    ...options.simpleFilters.filter((name) => typeof query[name] === 'string').map((name) => simpleFilter(name, query[name] as string)),
    ...asList(query.property).map(propertyCondition),
    ...(typeof query.tags === 'string' && query.tags !== '' ? [tagsCondition(query.tags)] : []),
  ];
  const order = orderParam(query.orderBy);
  const selected = entries
    .filter(([id, wire]) => conditions.every((c) => c(wire)) && (options.extraFilter?.(wire, id) ?? true))
    .sort(([idA, a], [idB, b]) => {
      for (const key of order) {
        const c = compareValues(a[key.field], b[key.field]);
        if (c !== 0) return key.descending ? -c : c;
      }
      return idA.localeCompare(idB);
    })
    .slice(start, start + limit);
  const projection = typeof query.properties === 'string' && query.properties !== '' ? query.properties.split(',').map((p) => p.trim()) : undefined;
  const out: Record<string, Record<string, unknown>> = {};
  for (const [id, wire] of selected) out[id] = projectProperties(wire, projection);
  return out;
}

/** `properties=a,b`: only those top-level attributes (an object without any of them is `{}`). */
export function projectProperties(wire: Record<string, any>, projection: string[] | undefined): Record<string, unknown> {
  if (!projection) return structuredClone(wire);
  const out: Record<string, unknown> = {};
  for (const key of projection) if (wire[key] !== undefined) out[key] = structuredClone(wire[key]);
  return out;
}

/** `name=a,b` (any of), `name=!a,b` (none of); `*` is a wildcard. */
function simpleFilter(name: string, raw: string): Condition {
  const negate = raw.startsWith('!');
  const values = (negate ? raw.slice(1) : raw).split(',');
  return (wire) => {
    const hit = values.some((v) => valueMatches(wire[name], v));
    return negate ? !hit : hit;
  };
}

const OPERATORS = ['==', '!=', '<=', '>=', '<', '>', '~'] as const;

/** One `property=` condition: `name`, `!name`, `name==v`, `name!=v`, `name~regex`, `<`, `<=`, `>`, `>=`. */
function propertyCondition(expression: string): Condition {
  for (const operator of OPERATORS) {
    const at = expression.indexOf(operator);
    if (at <= 0) continue;
    const key = topLevelKey(expression.slice(0, at), expression);
    const value = expression.slice(at + operator.length);
    switch (operator) {
      case '==':
        return (wire) => valueMatches(wire[key], value);
      case '!=':
        return (wire) => !valueMatches(wire[key], value);
      case '~': {
        let regex: RegExp;
        try {
          regex = new RegExp(value);
        } catch {
          throw catalogFailure('invalidQuery', `The property condition '${expression}' has an invalid regular expression.`);
        }
        return (wire) => typeof wire[key] === 'string' && regex.test(wire[key]);
      }
      default:
        return (wire) => {
          if (wire[key] === undefined || wire[key] === null) return false;
          const c = compareValues(wire[key], value);
          return operator === '<' ? c < 0 : operator === '<=' ? c <= 0 : operator === '>' ? c > 0 : c >= 0;
        };
    }
  }
  if (expression.startsWith('!')) {
    const key = topLevelKey(expression.slice(1), expression);
    return (wire) => wire[key] === undefined;
  }
  const key = topLevelKey(expression, expression);
  return (wire) => wire[key] !== undefined;
}

function topLevelKey(key: string, expression: string): string {
  if (!/^[A-Za-z0-9_@$:-]+$/.test(key)) {
    throw catalogFailure('invalidQuery', `The property condition '${expression}' is invalid: only top-level attributes can be filtered.`);
  }
  return key;
}

/** `tags=ns:value,ns2:*`: every listed tag must be present with a matching value. */
function tagsCondition(raw: string): Condition {
  const wanted = raw.split(',').map((pair) => {
    const at = pair.indexOf(':');
    if (at <= 0) throw catalogFailure('invalidQuery', `The tags filter '${pair}' must look like {TAG_NAME}:{TAG_VALUE}.`);
    return { name: pair.slice(0, at), value: pair.slice(at + 1) };
  });
  return (wire) =>
    wanted.every(({ name, value }) => {
      const values = wire.tags?.[name];
      return Array.isArray(values) && values.some((v: unknown) => valueMatches(v, value));
    });
}

/** Equality with `*` wildcards (`**` is a literal asterisk); numbers and booleans compare as text. */
function valueMatches(actual: unknown, expected: string): boolean {
  if (actual === undefined || actual === null || typeof actual === 'object') return false;
  const text = String(actual);
  if (!expected.includes('*')) return text === expected;
  const pattern = expected
    .split('**')
    .map((part) => part.split('*').map(escapeRegex).join('.*'))
    .join('\\*');
  return new RegExp(`^${pattern}$`).test(text);
}

/** `orderBy=asc:created,desc:name,updated` (no direction = ascending); default `asc:created`. */
function orderParam(raw: unknown): { field: string; descending: boolean }[] {
  if (raw === undefined || raw === '') return [{ field: 'created', descending: false }];
  return String(raw)
    .split(',')
    .map((part) => {
      const [first, second] = part.split(':');
      const direction = second === undefined ? 'asc' : first;
      const field = second === undefined ? first : second;
      if ((direction !== 'asc' && direction !== 'desc') || field === undefined || !/^[A-Za-z0-9_]+$/.test(field)) {
        throw catalogFailure('invalidQuery', `The orderBy value '${part}' is invalid: use asc:{property} or desc:{property}.`);
      }
      return { field, descending: direction === 'desc' };
    });
}

/** Numbers numerically, dotted versions (`1.0.10`) part by part, everything else as text. */
function compareValues(a: unknown, b: unknown): number {
  if (a === b) return 0;
  if (a === undefined || a === null) return 1;
  if (b === undefined || b === null) return -1;
  const sa = String(a);
  const sb = String(b);
  if (/^-?\d+(\.\d+)*$/.test(sa) && /^-?\d+(\.\d+)*$/.test(sb)) {
    const pa = sa.split('.').map(Number);
    const pb = sb.split('.').map(Number);
    for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
      const d = (pa[i] ?? 0) - (pb[i] ?? 0);
      if (d !== 0) return d;
    }
    return 0;
  }
  return sa.localeCompare(sb);
}

/** An integer query parameter within bounds; Catalog answers 400 for `limit=0` and the like. */
export function integerParam(raw: unknown, name: string, fallback: number, min: number, max: number): number {
  if (raw === undefined) return fallback;
  const n = Number(raw);
  if (typeof raw !== 'string' || !/^\d+$/.test(raw) || n < min || n > max) {
    throw catalogFailure('invalidQuery', `The ${name} parameter must be an integer between ${min} and ${max}, not '${String(raw)}'.`);
  }
  return n;
}

function asList(raw: unknown): string[] {
  if (raw === undefined) return [];
  return (Array.isArray(raw) ? raw : [raw]).map(String).filter((s) => s !== '');
}

function escapeRegex(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
