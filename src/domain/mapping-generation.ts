/**
 * Field mappings generated the way Adobe's Stripe tutorial writes them: every attribute the
 * connector's explore schema shows under `data` goes to the same path under the tenant's
 * `<resource>_data` object — `data.amount` → `_{tenant}.charges_data.amount` — keeping only
 * destinations the target XDM schema defines. Where Stripe's value needs converting to what the
 * schema holds (a Unix timestamp into a date-time, an id-or-object reference into its id) the
 * mapping is a Data Prep expression (`stripe-fields.ts`). Pure: the caller fetches both schemas.
 */
import { expandedReference, referenceId, stripeAttributes, unixSecondsToDateTime, type StripeAttribute } from './stripe-fields.js';

/** A node of the hierarchical schema `explore` answers (only what generation reads). */
export interface ExploreNode {
  type?: string;
  properties?: Record<string, ExploreNode>;
  items?: ExploreNode;
}

/** One generated mapping: an ATTRIBUTE copy, or an EXPRESSION where Stripe's value needs converting. */
export interface GeneratedMapping {
  source: string;
  destination: string;
  sourceType: 'ATTRIBUTE' | 'EXPRESSION';
}

/**
 * The attribute paths a mapping can copy from an explore schema, e.g. `data.amount`,
 * `data.outcome.type`. Objects with fields are descended into; everything else is a leaf: scalars,
 * arrays (mappings address whole arrays), empty objects and untyped nodes (null in the sample).
 * With a `resource`, Stripe's rules apply too: references and metadata maps are leaves even when
 * the sample shows their fields (see `stripe-fields.ts`).
 */
export function exploreAttributePaths(schema: ExploreNode, resource?: string): string[] {
  if (resource !== undefined) return stripeAttributes(schema, resource).map((a) => a.source);
  const paths: string[] = [];
  const walk = (node: ExploreNode, prefix: string) => {
    const children = node.type === 'object' && node.properties ? Object.entries(node.properties) : [];
    if (children.length === 0) {
      if (prefix !== '') paths.push(prefix);
      return;
    }
    for (const [key, child] of children) walk(child, prefix === '' ? key : `${prefix}.${key}`);
  };
  walk(schema, '');
  return paths;
}

/** `_flowgatelocal` for `flowgatelocal` or `_flowgatelocal`. */
export function tenantNamespace(tenantId: string): string {
  return tenantId.startsWith('_') ? tenantId : `_${tenantId}`;
}

/**
 * The destination of a source attribute: `data.x` → `_{tenant}.{resource}_data.x`. Null for a
 * path outside the `data` record (the connector puts every record under `data`).
 */
export function destinationFor(source: string, tenantId: string, resource: string): string | null {
  if (!source.startsWith('data.')) return null;
  return `${tenantNamespace(tenantId)}.${resource}_data.${source.slice('data.'.length)}`;
}

/** A field of the target schema: its XDM path, its type when known, and the explore path it mirrors, when known. */
export interface SchemaField {
  path: string;
  /** `string`, `integer`, …, or the XDM type where it says more: `date-time`, `map`. */
  type?: string | null;
  source?: string | null;
}

/**
 * Mappings from every attribute of the explore schema, in explore order. An attribute goes to the
 * schema fields that say they mirror it (`source`: a key renamed to fit XDM is found this way; a
 * reference has its id field and, when the schema holds it, its expanded object), else to the
 * tutorial's path (`data.x` → `_{tenant}.{resource}_data.x`) when the schema defines it;
 * attributes with neither are skipped. No destination is used twice. How each value is written
 * depends on the attribute's Stripe role and the destination's type (see {@link mappingFor}).
 */
export function generateFieldMappings(input: { exploreSchema: ExploreNode; schemaFields: Iterable<string | SchemaField>; tenantId: string; resource: string }): GeneratedMapping[] {
  const types = new Map<string, string | null>();
  const bySource = new Map<string, string[]>();
  for (const field of input.schemaFields) {
    if (typeof field === 'string') {
      if (!types.has(field)) types.set(field, null);
      continue;
    }
    if (!types.get(field.path)) types.set(field.path, field.type ?? null);
    if (field.source) {
      const list = bySource.get(field.source) ?? [];
      if (!list.includes(field.path)) list.push(field.path);
      bySource.set(field.source, list);
    }
  }
  const used = new Set<string>();
  const out: GeneratedMapping[] = [];
  for (const attribute of stripeAttributes(input.exploreSchema, input.resource)) {
    const byRule = destinationFor(attribute.source, input.tenantId, input.resource);
    const destinations = bySource.get(attribute.source) ?? (byRule !== null && types.has(byRule) ? [byRule] : []);
    for (const destination of destinations) {
      if (used.has(destination)) continue;
      used.add(destination);
      out.push({ ...mappingFor(attribute, types.get(destination) ?? null), destination });
    }
  }
  return out;
}

/**
 * How one attribute is written to a destination of `destinationType` (null when unknown): a Unix
 * timestamp into a date-time field through `dformat`, a reference's id into a string field and
 * its expanded object into an object field through `iif(contains_key(…))`; everything else is
 * copied as it is (ATTRIBUTE).
 */
export function mappingFor(attribute: Pick<StripeAttribute, 'source' | 'role'>, destinationType: string | null): Omit<GeneratedMapping, 'destination'> {
  if (attribute.role === 'timestamp' && destinationType === 'date-time') return { source: unixSecondsToDateTime(attribute.source), sourceType: 'EXPRESSION' };
  if (attribute.role === 'reference' && (destinationType === 'string' || destinationType === null)) return { source: referenceId(attribute.source), sourceType: 'EXPRESSION' };
  if (attribute.role === 'reference' && destinationType === 'object') return { source: expandedReference(attribute.source), sourceType: 'EXPRESSION' };
  return { source: attribute.source, sourceType: 'ATTRIBUTE' };
}

/** An XDM field tree node (a schema's `properties`, as the registry's full view resolves it). */
export interface XdmNode {
  type?: string;
  format?: string;
  'meta:xdmType'?: string;
  additionalProperties?: unknown;
  properties?: Record<string, XdmNode>;
}

/**
 * Visits every node of a resolved XDM `properties` tree with its dotted path, parents first; goes
 * below an object's `properties` unless `visit` answers false. Array items are not descended into.
 */
function walkXdm(properties: Record<string, XdmNode>, visit: (path: string, node: XdmNode) => boolean, prefix = ''): void {
  for (const [key, node] of Object.entries(properties)) {
    if (typeof node !== 'object' || node === null) continue;
    const path = `${prefix}${key}`;
    if (visit(path, node) && node.type === 'object' && node.properties) walkXdm(node.properties, visit, `${path}.`);
  }
}

/** Every field of a resolved XDM `properties` tree with its type (`date-time` and `map` where XDM says so), as {@link xdmFieldPaths} lists them. */
export function xdmFields(properties: Record<string, XdmNode>): SchemaField[] {
  const out: SchemaField[] = [];
  walkXdm(properties, (path, node) => {
    const map = node['meta:xdmType'] === 'map' || node.additionalProperties !== undefined;
    out.push({ path, type: map ? 'map' : node.type === 'string' && node.format === 'date-time' ? 'date-time' : (node.type ?? null) });
    return !map;
  });
  return out;
}

/**
 * Every field path of a resolved XDM `properties` tree, objects included
 * (`_t.charges_data`, `_t.charges_data.amount`); array items are not descended into.
 */
export function xdmFieldPaths(properties: Record<string, XdmNode>): string[] {
  const paths: string[] = [];
  walkXdm(properties, (path) => {
    paths.push(path);
    return true;
  });
  return paths;
}

/** Whether an XDM path lies in the tenant's namespace (the part of a schema Flowgate defines). */
export function inTenantNamespace(path: string, tenantId: string): boolean {
  const namespace = tenantNamespace(tenantId);
  return path === namespace || path.startsWith(`${namespace}.`);
}

/**
 * The destinations a schema row's stored leaf fields allow: each field's full path and every
 * object above it. Paths stored relative to the tenant namespace (`charges_data.amount`) are
 * read under it (`_t.charges_data.amount`); paths that already start with `_` stay as they are.
 */
export function destinationsOfFields(fields: readonly { path: string }[], namespace: string | null): Set<string> {
  const out = new Set<string>();
  for (const { path } of fields) {
    const full = path.startsWith('_') || !namespace ? path : `${tenantNamespace(namespace)}.${path}`;
    const parts = full.split('.');
    for (let i = 1; i <= parts.length; i++) out.add(parts.slice(0, i).join('.'));
  }
  return out;
}
