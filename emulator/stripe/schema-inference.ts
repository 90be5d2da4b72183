/**
 * Explore schema inference: turns one Stripe record into the "hierarchical" schema that
 * `GET /connections/{id}/explore` returns (PLATFORM-API.md §5.3).
 *
 * Rules (documented ones as in Adobe's examples; the undocumented ones are our stable choice):
 * - `null` (and `undefined`, which JSON can't carry) → `{}` — no `type`, as Adobe emits for nulls.
 * - string → `{"type":"string"}`; boolean → `{"type":"boolean"}`.
 * - integer → `{"type":"integer","minimum":-9007199254740992,"maximum":9007199254740991}` (the
 *   asymmetric −2^53 / 2^53−1 bounds are Adobe's, copied as seen).
 * - non-integer number (and NaN/±Infinity) → `{"type":"number"}` [undocumented; our choice].
 * - object → `{"type":"object","properties":{...}}`, empty object → `{"type":"object","properties":{}}`.
 * - non-empty array → `{"type":"array","items":<merge of the elements' schemas>}`.
 * - empty array → `{"type":"array","items":{}}` [undocumented; mirrors the null rule: nothing is
 *   known about the elements].
 *
 * Merging array elements (only matters for heterogeneous arrays): `{}` yields to anything typed;
 * two objects merge their properties (first-seen key order); two arrays merge their items;
 * integer and number merge to number; otherwise the first element's schema wins.
 */
import type { StripeObject } from './stripe-resources.js';

/** One node of an explore schema. */
export type ExploreSchemaNode = {
  type?: 'object' | 'string' | 'boolean' | 'integer' | 'number' | 'array';
  minimum?: number;
  maximum?: number;
  properties?: Record<string, ExploreSchemaNode>;
  items?: ExploreSchemaNode;
};

/** Adobe's integer bounds: −2^53 and 2^53 − 1. */
const INTEGER_MINIMUM = -9007199254740992;
const INTEGER_MAXIMUM = 9007199254740991;

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Schema of one value, per the rules in this module's header. Always returns fresh objects. */
export function inferSchemaNode(value: unknown): ExploreSchemaNode {
  if (value === null || value === undefined) return {};
  switch (typeof value) {
    case 'string':
      return { type: 'string' };
    case 'boolean':
      return { type: 'boolean' };
    case 'bigint':
      return { type: 'integer', minimum: INTEGER_MINIMUM, maximum: INTEGER_MAXIMUM };
    case 'number':
      return Number.isInteger(value) ? { type: 'integer', minimum: INTEGER_MINIMUM, maximum: INTEGER_MAXIMUM } : { type: 'number' };
    default:
      break;
  }
  if (Array.isArray(value)) {
    let items: ExploreSchemaNode = {};
    value.forEach((element, index) => {
      const node = inferSchemaNode(element);
      items = index === 0 ? node : mergeSchemaNodes(items, node);
    });
    return { type: 'array', items };
  }
  // A Date would serialise to a string in the JSON Stripe sends, so type it as one.
  if (value instanceof Date) return { type: 'string' };
  if (isPlainObject(value)) {
    const properties: Record<string, ExploreSchemaNode> = {};
    for (const [key, child] of Object.entries(value)) properties[key] = inferSchemaNode(child);
    return { type: 'object', properties };
  }
  // Functions and symbols never occur in JSON; treat them like an absent value.
  return {};
}

/** Combines two schemas of the same value: of two array elements, or of one field in two records (see the module header). */
export function mergeSchemaNodes(first: ExploreSchemaNode, second: ExploreSchemaNode): ExploreSchemaNode {
  if (first.type === undefined) return second;
  if (second.type === undefined) return first;
  if (first.type === 'object' && second.type === 'object') {
    const properties: Record<string, ExploreSchemaNode> = { ...first.properties };
    for (const [key, node] of Object.entries(second.properties ?? {})) {
      const existing = properties[key];
      properties[key] = existing ? mergeSchemaNodes(existing, node) : node;
    }
    return { type: 'object', properties };
  }
  if (first.type === 'array' && second.type === 'array') {
    return { type: 'array', items: mergeSchemaNodes(first.items ?? {}, second.items ?? {}) };
  }
  const numeric = (t: ExploreSchemaNode['type']) => t === 'integer' || t === 'number';
  if (numeric(first.type) && numeric(second.type) && first.type !== second.type) return { type: 'number' };
  return first;
}

/** The explore `schema` for a Stripe record: `{type:'object', properties:{data: inferSchemaNode(record)}}`. */
export function inferExploreSchema(record: StripeObject): ExploreSchemaNode {
  return { type: 'object', properties: { data: inferSchemaNode(record) } };
}

/**
 * Every leaf and object path of an explore schema, dot-separated (`data`, `data.outcome`,
 * `data.outcome.type`), in schema order. The root itself has no path. Arrays contribute their
 * own path but not their items' (mappings address whole arrays). Stripe keys never contain dots,
 * so keys are not escaped.
 */
export function schemaPaths(schema: ExploreSchemaNode): Map<string, ExploreSchemaNode> {
  const paths = new Map<string, ExploreSchemaNode>();
  const walk = (node: ExploreSchemaNode, prefix: string): void => {
    if (node.type !== 'object' || node.properties === undefined) return;
    for (const [key, child] of Object.entries(node.properties)) {
      const path = prefix === '' ? key : `${prefix}.${key}`;
      paths.set(path, child);
      walk(child, path);
    }
  };
  walk(schema, '');
  return paths;
}

/**
 * Reads a dot path (`data.outcome.type`) from a record wrapped as `{data: record}`; `undefined`
 * when any step is absent or not an object. A segment that is a non-negative integer also
 * indexes an array (`data.items.data.0.id`). The empty path returns `value` itself. Only own
 * properties are read, so `constructor` or `__proto__` never reach the prototype.
 */
export function readPath(value: unknown, path: string): unknown {
  if (path === '') return value;
  let current: unknown = value;
  for (const segment of path.split('.')) {
    if (Array.isArray(current)) {
      if (!/^(0|[1-9]\d*)$/.test(segment)) return undefined;
      current = current[Number(segment)];
    } else if (isPlainObject(current)) {
      if (!Object.prototype.hasOwnProperty.call(current, segment)) return undefined;
      current = current[segment];
    } else {
      return undefined;
    }
  }
  return current;
}
