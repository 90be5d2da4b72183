/**
 * Field mappings generated the way Adobe's Stripe tutorial writes them: every attribute the
 * connector's explore schema shows under `data` goes to the same path under the tenant's
 * `<resource>_data` object — `data.amount` → `_{tenant}.charges_data.amount` — keeping only
 * destinations the target XDM schema defines. Pure: the caller fetches both schemas.
 */

/** A node of the hierarchical schema `explore` answers (only what generation reads). */
export interface ExploreNode {
  type?: string;
  properties?: Record<string, ExploreNode>;
  items?: ExploreNode;
}

/** One generated mapping (always an ATTRIBUTE copy). */
export interface GeneratedMapping {
  source: string;
  destination: string;
  sourceType: 'ATTRIBUTE';
}

/**
 * The attribute paths a mapping can copy from an explore schema, e.g. `data.amount`,
 * `data.outcome.type`. Objects with fields are descended into; everything else is a leaf: scalars,
 * arrays (mappings address whole arrays), empty objects and untyped nodes (null in the sample).
 */
export function exploreAttributePaths(schema: ExploreNode): string[] {
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

/** A field of the target schema: its XDM path and, when known, the explore path it mirrors. */
export interface SchemaField {
  path: string;
  source?: string | null;
}

/**
 * Mappings from every attribute of the explore schema, in explore order. An attribute goes to the
 * schema field that says it mirrors it (`source`: a key renamed to fit XDM is found this way), else
 * to the tutorial's path (`data.x` → `_{tenant}.{resource}_data.x`) when the schema defines it;
 * attributes with neither are skipped. No destination is used twice.
 */
export function generateFieldMappings(input: { exploreSchema: ExploreNode; schemaFields: Iterable<string | SchemaField>; tenantId: string; resource: string }): GeneratedMapping[] {
  const known = new Set<string>();
  const bySource = new Map<string, string>();
  for (const field of input.schemaFields) {
    if (typeof field === 'string') {
      known.add(field);
      continue;
    }
    known.add(field.path);
    if (field.source && !bySource.has(field.source)) bySource.set(field.source, field.path);
  }
  const used = new Set<string>();
  const out: GeneratedMapping[] = [];
  for (const source of exploreAttributePaths(input.exploreSchema)) {
    const byRule = destinationFor(source, input.tenantId, input.resource);
    const destination = bySource.get(source) ?? (byRule !== null && known.has(byRule) ? byRule : null);
    if (destination === null || used.has(destination)) continue;
    used.add(destination);
    out.push({ source, destination, sourceType: 'ATTRIBUTE' });
  }
  return out;
}

/** An XDM field tree node (a schema's `properties`, as the registry's full view resolves it). */
export interface XdmNode {
  type?: string;
  properties?: Record<string, XdmNode>;
}

/**
 * Every field path of a resolved XDM `properties` tree, objects included
 * (`_t.charges_data`, `_t.charges_data.amount`); array items are not descended into.
 */
export function xdmFieldPaths(properties: Record<string, XdmNode>): string[] {
  const paths: string[] = [];
  const walk = (nodes: Record<string, XdmNode>, prefix: string) => {
    for (const [key, node] of Object.entries(nodes)) {
      if (typeof node !== 'object' || node === null) continue;
      const path = `${prefix}${key}`;
      paths.push(path);
      if (node.type === 'object' && node.properties) walk(node.properties, `${path}.`);
    }
  };
  walk(properties, '');
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
