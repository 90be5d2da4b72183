import type { ExploreSchemaNode } from '../../../src/platform/flow-service.client.js';
import type { XdmField } from '../../../src/platform/schema-registry.client.js';

/** An XDM field mirroring an explore node; untyped nodes (null in the sample) become strings. */
export function xdmFieldFromExplore(node: ExploreSchemaNode): XdmField {
  switch (node.type) {
    case 'object':
      return { type: 'object', properties: Object.fromEntries(Object.entries(node.properties ?? {}).map(([k, v]) => [k, xdmFieldFromExplore(v)])) };
    case 'array':
      return { type: 'array', items: node.items?.type ? xdmFieldFromExplore(node.items) : { type: 'string' } };
    case 'integer':
      return { type: 'integer', minimum: node.minimum, maximum: node.maximum };
    case 'number':
    case 'boolean':
    case 'string':
      return { type: node.type };
    default:
      return { type: 'string' };
  }
}

/** Every leaf path of an explore node, e.g. `data.amount`. */
export function exploreLeafPaths(node: ExploreSchemaNode, prefix: string): string[] {
  if (node.type === 'object' && node.properties && Object.keys(node.properties).length > 0) {
    return Object.entries(node.properties).flatMap(([k, v]) => exploreLeafPaths(v, `${prefix}.${k}`));
  }
  return [prefix];
}
