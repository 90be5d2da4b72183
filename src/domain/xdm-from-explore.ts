/**
 * From the schema the Platform's `explore` infers for a Stripe resource to the XDM fields of the
 * tenant field group that mirrors it, as in Adobe's Stripe tutorial: the record under
 * `properties.data` of the explore schema becomes `_{tenant}.{resource}_data`.
 *
 * Pure: no I/O, no Platform client. The rules:
 * - An untyped explore node (`{}`: the value was null in the sample) becomes `type: string`.
 * - Integers keep their `minimum`/`maximum` (Adobe's ±2^53 bounds), so the registry types them `long`.
 * - Arrays keep their item type; items with no known type become strings. Paths stop at arrays
 *   (mappings address whole arrays), so the fields inside array items are not listed as leaves.
 * - Empty objects (`shipping: {}` in Stripe's fixtures) stay empty objects and are listed as
 *   leaves of type `object`, so a mapping can copy them whole.
 * - XDM field names must match `^[A-Za-z0-9][A-Za-z0-9_-]*$`. A key that does not is renamed:
 *   every other character becomes `_` and leading `_`/`-` are removed. A key left empty by that is
 *   dropped. Names that are already valid keep their name; a renamed key that would collide with a
 *   sibling gets `_2`, `_3`… (siblings in schema order). Every rename and drop is reported, and
 *   each leaf carries the explore path it mirrors (`source`), so mappings never guess.
 * - Stripe's own conventions (`stripe-fields.ts`) decide a field's type before the sample does:
 *   metadata is a map of strings, Unix timestamps are date-times, amounts are integers, and an
 *   expandable reference is its id (plus `<name>_expanded` when the sample shows the expansion).
 *   Inside array items values are copied as Stripe sends them (only metadata is still a map).
 */
import { knownListItems, stripeFieldRole } from './stripe-fields.js';

/** One node of an explore schema (what `GET /connections/{id}/explore` answers under `schema`). */
export interface ExploreNode {
  type?: 'object' | 'array' | 'string' | 'integer' | 'number' | 'boolean';
  properties?: Record<string, ExploreNode>;
  items?: ExploreNode;
  minimum?: number;
  maximum?: number;
}

/** An XDM field definition as Flowgate writes it into a field group. */
export interface XdmFieldDefinition {
  type: 'object' | 'array' | 'string' | 'integer' | 'number' | 'boolean';
  properties?: Record<string, XdmFieldDefinition>;
  items?: XdmFieldDefinition;
  minimum?: number;
  maximum?: number;
  /** `date-time` for Stripe's Unix timestamps. */
  format?: 'date-time';
  /** `map` for Stripe's metadata (with `additionalProperties`). */
  'meta:xdmType'?: 'map';
  additionalProperties?: XdmFieldDefinition;
  description?: string;
}

/** One leaf of the resulting schema: its XDM path, XDM type, and the explore path it mirrors. */
export interface XdmLeaf {
  /** e.g. `_flowgatelocal.charges_data.amount`. */
  path: string;
  /** The JSON type, or the XDM type where it says more: `date-time` (a Unix timestamp), `map` (metadata). */
  type: XdmFieldDefinition['type'] | 'date-time' | 'map';
  /** e.g. `data.amount` (the mapping source). */
  source: string;
}

/** A key that could not be used as an XDM field name as it was. */
export interface FieldRename {
  /** Explore path of the key, e.g. `data.metadata.order id`; `[]` marks array items. */
  source: string;
  /** The XDM name it got, or null when it was dropped. */
  name: string | null;
}

export interface XdmFromExplore {
  /** The tenant namespace, e.g. `_flowgatelocal`. */
  tenantNamespace: string;
  /** The object field under the tenant namespace, e.g. `charges_data`. */
  recordFieldName: string;
  /** `properties` of the field group's definition: `{ _tenant: { type: object, properties: { <resource>_data: … } } }`. */
  tenantProperties: Record<string, XdmFieldDefinition>;
  /** Every leaf, in schema order. */
  fields: XdmLeaf[];
  renamed: FieldRename[];
}

/** What an XDM field name must look like (below the tenant namespace). */
export const XDM_FIELD_NAME = /^[A-Za-z0-9][A-Za-z0-9_-]*$/;

/** Limits on an explore schema a caller sends (`createXdmSchema(input: {exploreSchema})`). */
export const EXPLORE_SCHEMA_LIMITS = { maxDepth: 32, maxNodes: 5000, maxKeyLength: 256 } as const;

const EXPLORE_TYPES = ['object', 'array', 'string', 'integer', 'number', 'boolean'];

/**
 * Checks that `value` is an explore-style schema with a record: `{type: 'object', properties:
 * {data: {type: 'object', properties: {…at least one field…}}}}`. Returns the first problem as
 * `{path, message}` (path in the schema, e.g. `properties.data.properties.amount.type`), or null.
 */
export function exploreSchemaProblem(value: unknown): { path: string; message: string } | null {
  if (!isPlainObject(value)) return { path: '', message: 'must be an object like {type: "object", properties: {data: {...}}}' };
  if (value.type !== 'object') return { path: 'type', message: 'must be "object"' };
  if (!isPlainObject(value.properties)) return { path: 'properties', message: 'must be an object holding the record under "data"' };
  const data = value.properties.data;
  if (!isPlainObject(data) || data.type !== 'object') return { path: 'properties.data', message: 'must be an object node ({type: "object", properties: {...}}): the explored record' };
  if (!isPlainObject(data.properties) || Object.keys(data.properties).length === 0) {
    return { path: 'properties.data.properties', message: 'must describe at least one field' };
  }
  let nodes = 0;
  const check = (node: unknown, path: string, depth: number): { path: string; message: string } | null => {
    nodes += 1;
    if (nodes > EXPLORE_SCHEMA_LIMITS.maxNodes) return { path, message: `the schema has more than ${EXPLORE_SCHEMA_LIMITS.maxNodes} nodes` };
    if (depth > EXPLORE_SCHEMA_LIMITS.maxDepth) return { path, message: `nests deeper than ${EXPLORE_SCHEMA_LIMITS.maxDepth} levels` };
    if (!isPlainObject(node)) return { path, message: 'must be an object (a schema node; {} for an unknown type)' };
    const at = (key: string) => (path === '' ? key : `${path}.${key}`);
    if (node.type !== undefined && !EXPLORE_TYPES.includes(node.type as string)) {
      return { path: at('type'), message: `must be one of ${EXPLORE_TYPES.join(', ')} (or absent for an unknown type)` };
    }
    for (const bound of ['minimum', 'maximum'] as const) {
      if (node[bound] !== undefined && (typeof node[bound] !== 'number' || !Number.isFinite(node[bound]))) return { path: at(bound), message: 'must be a number' };
    }
    if (node.properties !== undefined) {
      if (node.type !== 'object') return { path: at('properties'), message: 'is only allowed on an object node' };
      if (!isPlainObject(node.properties)) return { path: at('properties'), message: 'must be an object of named nodes' };
      for (const [key, child] of Object.entries(node.properties)) {
        if (key.length === 0 || key.length > EXPLORE_SCHEMA_LIMITS.maxKeyLength) {
          return { path: at('properties'), message: `field names must be 1 to ${EXPLORE_SCHEMA_LIMITS.maxKeyLength} characters` };
        }
        const problem = check(child, `${at('properties')}.${key}`, depth + 1);
        if (problem) return problem;
      }
    }
    if (node.items !== undefined) {
      if (node.type !== 'array') return { path: at('items'), message: 'is only allowed on an array node' };
      const problem = check(node.items, at('items'), depth + 1);
      if (problem) return problem;
    }
    return null;
  };
  return check(value, '', 0);
}

/**
 * The field group properties and the flat leaf list for the record of an explore schema (see the
 * module header for the rules, and `stripe-fields.ts` for what Stripe's records need beyond the
 * sample: references, timestamps, amounts, metadata maps). `schema` must pass
 * `exploreSchemaProblem`; `tenantId` is the registry's tenant id without the underscore;
 * `resource` names the record field (`charges` → `charges_data`) and picks the Stripe rules.
 */
export function xdmFromExplore(schema: ExploreNode, options: { tenantId: string; resource: string }): XdmFromExplore {
  const record = schema.properties?.data;
  if (!record || record.type !== 'object') throw new RangeError('the explore schema has no record under properties.data');
  const tenantNamespace = `_${options.tenantId}`;
  const recordFieldName = `${options.resource}_data`;
  const renamed: FieldRename[] = [];
  const fields: XdmLeaf[] = [];

  /** The children of an object node under XDM names; each renamed key is reported. */
  const namedChildren = (node: ExploreNode, source: string): [key: string, name: string, child: ExploreNode][] => {
    const children = Object.entries(node.properties ?? {});
    const names = xdmNames(children.map(([key]) => key));
    const out: [string, string, ExploreNode][] = [];
    for (const [key, child] of children) {
      const name = names.get(key) ?? null;
      if (name !== key) renamed.push({ source: `${source}.${key}`, name });
      if (name !== null) out.push([key, name, child]);
    }
    return out;
  };

  /**
   * A value copied whole (array items, an expanded reference): typed as the sample shows it, with
   * only the map rule applied inside (timestamps stay the integers Stripe sends).
   */
  const raw = (node: ExploreNode, keys: string[], source: string): XdmFieldDefinition => {
    if (stripeFieldRole(options.resource, keys, node, true) === 'map') return mapField();
    switch (node.type) {
      case 'object': {
        const properties: Record<string, XdmFieldDefinition> = {};
        for (const [key, name, child] of namedChildren(node, source)) properties[name] = raw(child, [...keys, key], `${source}.${key}`);
        return { type: 'object', properties };
      }
      case 'array':
        return { type: 'array', items: node.items?.type === undefined ? { type: 'string' } : raw(node.items, [...keys, '[]'], `${source}[]`) };
      case 'integer':
        return integerField(node);
      case 'number':
      case 'boolean':
      case 'string':
        return { type: node.type };
      default:
        // Null in the sample: nothing is known, and a string holds any scalar Stripe sends.
        return { type: 'string' };
    }
  };

  /** The fields of an object of the record, each by its Stripe role; leaves are listed as they are made. */
  const objectFields = (node: ExploreNode, keys: string[], xdmPath: string, source: string): Record<string, XdmFieldDefinition> => {
    const properties: Record<string, XdmFieldDefinition> = {};
    const children = namedChildren(node, source);
    const taken = new Set(children.map(([, name]) => name));
    for (const [key, name, child] of children) {
      const childKeys = [...keys, key];
      const childSource = `${source}.${key}`;
      const childPath = `${xdmPath}.${name}`;
      const leaf = (definition: XdmFieldDefinition, type: XdmLeaf['type'], path = childPath) => {
        fields.push({ path, type, source: childSource });
        return definition;
      };
      switch (stripeFieldRole(options.resource, childKeys, child)) {
        case 'map':
          properties[name] = leaf(mapField(), 'map');
          break;
        case 'timestamp':
          properties[name] = leaf({ type: 'string', format: 'date-time', description: `Stripe's ${key} (a Unix timestamp), as a date-time.` }, 'date-time');
          break;
        case 'amount':
          properties[name] = leaf({ ...integerField({ ...LONG_BOUNDS, ...child }), description: "In the smallest unit of the record's currency (e.g. cents for usd)." }, 'integer');
          break;
        case 'reference': {
          properties[name] = leaf({ type: 'string', description: `The id of the ${key}, whether Stripe sent the id or the expanded object.` }, 'string');
          if (child.type === 'object' && Object.keys(child.properties ?? {}).length > 0) {
            let expanded = `${name}_expanded`;
            for (let n = 2; taken.has(expanded); n++) expanded = `${name}_expanded_${n}`;
            taken.add(expanded);
            properties[expanded] = leaf({ ...raw(child, childKeys, childSource), description: `The ${key} as Stripe expanded it (absent when it sent the id).` }, 'object', `${xdmPath}.${expanded}`);
          }
          break;
        }
        case 'plain':
          properties[name] = plainField(child, childKeys, childPath, childSource, leaf);
          break;
      }
    }
    return properties;
  };

  const plainField = (node: ExploreNode, keys: string[], xdmPath: string, source: string, leaf: (definition: XdmFieldDefinition, type: XdmLeaf['type']) => XdmFieldDefinition): XdmFieldDefinition => {
    switch (node.type) {
      case 'object': {
        const properties = objectFields(node, keys, xdmPath, source);
        // An object with no fields in the sample is copied whole, so it is a leaf of its own.
        return Object.keys(node.properties ?? {}).length === 0 ? leaf({ type: 'object', properties }, 'object') : { type: 'object', properties };
      }
      case 'array': {
        // Fields inside items are not leaves of their own (paths stop at arrays). A list Stripe
        // fills later (a charge's refunds) gets the items Stripe documents for it.
        const items = node.items?.type === undefined ? (knownListItems(options.resource, keys, node) as ExploreNode | undefined) : node.items;
        return leaf({ type: 'array', items: items === undefined ? { type: 'string' } : raw(items, [...keys, '[]'], `${source}[]`) }, 'array');
      }
      case 'integer':
        return leaf(integerField(node), 'integer');
      case 'number':
      case 'boolean':
      case 'string':
        return leaf({ type: node.type }, node.type);
      default:
        // Null in the sample: nothing is known, and a string holds any scalar Stripe sends.
        return leaf({ type: 'string' }, 'string');
    }
  };

  const recordField: XdmFieldDefinition = { type: 'object', properties: objectFields(record, [], `${tenantNamespace}.${recordFieldName}`, 'data') };
  return {
    tenantNamespace,
    recordFieldName,
    tenantProperties: { [tenantNamespace]: { type: 'object', properties: { [recordFieldName]: recordField } } },
    fields,
    renamed,
  };
}

/** An XDM map of strings (Stripe's metadata): `meta:xdmType: map`, no properties. */
function mapField(): XdmFieldDefinition {
  return { type: 'object', 'meta:xdmType': 'map', additionalProperties: { type: 'string' } };
}

function integerField(node: ExploreNode): XdmFieldDefinition {
  return {
    type: 'integer',
    ...(node.minimum !== undefined ? { minimum: node.minimum } : {}),
    ...(node.maximum !== undefined ? { maximum: node.maximum } : {}),
  };
}

/** Adobe's explore bounds for integers (−2^53, 2^53 − 1): an amount that was null in the sample gets them too. */
const LONG_BOUNDS = { minimum: -9007199254740992, maximum: 9007199254740991 } as const;

/** One explore leaf: its path (`data.amount`) and explore type (`unknown` for `{}`: null in the sample). */
export interface ExploreLeaf {
  path: string;
  type: 'object' | 'array' | 'string' | 'integer' | 'number' | 'boolean' | 'unknown';
}

/**
 * Every leaf of an explore schema, dot-separated from the root (`data.amount`,
 * `data.outcome.type`), in schema order. Empty objects and arrays are leaves; paths do not enter
 * array items — the same paths a mapping source uses.
 */
export function exploreLeaves(schema: ExploreNode): ExploreLeaf[] {
  const leaves: ExploreLeaf[] = [];
  const walk = (node: ExploreNode, path: string) => {
    if (node.type === 'object' && node.properties && Object.keys(node.properties).length > 0) {
      for (const [key, child] of Object.entries(node.properties)) walk(child, path === '' ? key : `${path}.${key}`);
      return;
    }
    if (path !== '') leaves.push({ path, type: node.type ?? 'unknown' });
  };
  walk(schema, '');
  return leaves;
}

/**
 * XDM names for sibling keys (see the module header): valid keys keep their name; others are
 * sanitised, then de-duplicated in order. A key mapped to null is dropped.
 */
export function xdmNames(keys: readonly string[]): Map<string, string | null> {
  const names = new Map<string, string | null>();
  const taken = new Set(keys.filter((k) => XDM_FIELD_NAME.test(k)));
  for (const key of keys) {
    if (XDM_FIELD_NAME.test(key)) {
      names.set(key, key);
      continue;
    }
    const base = key.replace(/[^A-Za-z0-9_-]/g, '_').replace(/^[_-]+/, '');
    if (base === '') {
      names.set(key, null);
      continue;
    }
    let name = base;
    for (let n = 2; taken.has(name); n++) name = `${base}_${n}`;
    taken.add(name);
    names.set(key, name);
  }
  return names;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
