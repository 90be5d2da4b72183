import type { SandboxPartition, XdmRecord } from '../../state/store.js';
import { findGlobalBehavior, findGlobalClass } from './global-container.data.js';

/**
 * Resolving XDM resources into their fields: a schema's class, the class's behaviour and the
 * field groups, merged into one `properties` tree as the registry's `xed-full` view shows it.
 * Other emulator services (Data Prep, Catalog, Flow Service) read schemas only through here.
 */

/** What a service needs to know about one field of a resolved schema. */
export interface XdmFieldInfo {
  type: 'string' | 'integer' | 'number' | 'boolean' | 'object' | 'array';
  /** `meta:xdmType` when the field has a special one: `map`, `date-time`, `date`. */
  xdmType?: 'map' | 'date-time' | 'date';
  /** for arrays */
  items?: XdmFieldInfo;
  /** for objects: the fields they define (absent when only the path map is known) */
  properties?: Record<string, XdmFieldInfo>;
  /** for maps: the type of every value */
  additionalProperties?: XdmFieldInfo;
  /** for objects: the keys that must be present */
  required?: string[];
  minimum?: number;
  maximum?: number;
  minLength?: number;
  maxLength?: number;
  format?: string;
  enum?: unknown[];
  pattern?: string;
}

/** The tenant container's resource kinds; field groups use the legacy `mixins` segment in their ids. */
export type XdmResourceKind = 'classes' | 'mixins' | 'schemas';

/** The field types XDM accepts on a field definition. */
export const XDM_FIELD_TYPES: readonly XdmFieldInfo['type'][] = ['string', 'integer', 'number', 'boolean', 'object', 'array'];

/** The tenant map that holds resources of `kind`. */
export function tenantResources(partition: SandboxPartition, kind: XdmResourceKind): Map<string, XdmRecord> {
  switch (kind) {
    case 'classes':
      return partition.xdm.classes;
    case 'mixins':
      return partition.xdm.fieldGroups;
    case 'schemas':
      return partition.xdm.schemas;
  }
}

/** A tenant resource of `kind` by `$id` or `meta:altId`, or undefined. */
export function findTenantResource(partition: SandboxPartition, kind: XdmResourceKind, idOrAltId: string): XdmRecord | undefined {
  const resources = tenantResources(partition, kind);
  const direct = resources.get(idOrAltId);
  if (direct) return direct;
  for (const record of resources.values()) {
    if (record.wire['meta:altId'] === idOrAltId) return record;
  }
  return undefined;
}

/** A tenant schema by `$id` or `meta:altId`, or undefined. */
export function findSchema(partition: SandboxPartition, idOrAltId: string): XdmRecord | undefined {
  return findTenantResource(partition, 'schemas', idOrAltId);
}

/**
 * What a `$ref` in an `allOf` points at, by `$id`: a global behaviour or class, or a tenant class
 * or field group of this partition. Schemas are never referenced by other resources.
 */
export function findReferencedResource(partition: SandboxPartition, ref: string): Record<string, any> | undefined {
  return findGlobalBehavior(ref) ?? findGlobalClass(ref) ?? partition.xdm.classes.get(ref)?.wire ?? partition.xdm.fieldGroups.get(ref)?.wire;
}

/** A resource's merged fields, plus what went wrong while merging. */
export interface ResolvedFields {
  /** The merged `properties` tree (JSON Schema nodes with `meta:xdmType`). */
  properties: Record<string, any>;
  /** Top-level fields a definition or the resource marks `required` (e.g. the time-series behaviour's `_id`, `timestamp`). */
  required: string[];
  /** Paths defined twice with different types, e.g. `_tenant.amount (string, integer)`. */
  conflicts: string[];
  /** `$ref` targets that do not exist. */
  missing: string[];
}

/**
 * Merges the fields a resource contributes: its own `#/definitions/…` referenced from `allOf`,
 * plus everything each referenced class, behaviour and field group contributes, recursively.
 * Objects defined in several places merge; the first definition of a leaf wins.
 */
export function resolveProperties(partition: SandboxPartition, resource: Record<string, any>): ResolvedFields {
  const result: ResolvedFields = { properties: {}, required: [], conflicts: [], missing: [] };
  collect(partition, resource, result, new Set([String(resource.$id)]));
  return result;
}

function collect(partition: SandboxPartition, resource: Record<string, any>, into: ResolvedFields, seen: Set<string>): void {
  if (isObject(resource.properties)) mergeProperties(into.properties, resource.properties, into.conflicts, '');
  addRequired(into, resource.required);
  const allOf = Array.isArray(resource.allOf) ? resource.allOf : [];
  for (const entry of allOf) {
    const ref = isObject(entry) && typeof entry.$ref === 'string' ? entry.$ref : undefined;
    if (!ref) continue;
    if (ref.startsWith('#/definitions/')) {
      const definition = resource.definitions?.[ref.slice('#/definitions/'.length)];
      if (isObject(definition) && isObject(definition.properties)) {
        mergeProperties(into.properties, definition.properties, into.conflicts, '');
        addRequired(into, definition.required);
      } else into.missing.push(ref);
      continue;
    }
    if (seen.has(ref)) continue;
    const target = findReferencedResource(partition, ref);
    if (!target) {
      into.missing.push(ref);
      continue;
    }
    seen.add(ref);
    collect(partition, target, into, seen);
  }
}

function addRequired(into: ResolvedFields, required: unknown): void {
  if (!Array.isArray(required)) return;
  for (const key of required) if (typeof key === 'string' && !into.required.includes(key)) into.required.push(key);
}

function mergeProperties(target: Record<string, any>, source: Record<string, any>, conflicts: string[], prefix: string): void {
  for (const [key, node] of Object.entries(source)) {
    if (!isObject(node)) continue;
    const existing = target[key];
    if (existing === undefined) {
      target[key] = structuredClone(node);
      continue;
    }
    if (existing.type === 'object' && node.type === 'object') {
      existing.properties ??= {};
      if (isObject(node.properties)) mergeProperties(existing.properties, node.properties, conflicts, `${prefix}${key}.`);
    } else if (existing.type !== node.type) {
      conflicts.push(`${prefix}${key} (${existing.type}, ${node.type})`);
    }
  }
}

/**
 * Every field path of the resolved schema (class + field groups merged), dot-separated, e.g.
 * `_flowgatelocal.charges_data.amount`, including object paths (`_flowgatelocal.charges_data`).
 * Paths do not descend into array items; the array's `items` carries their type.
 * Undefined when the schema does not exist.
 */
export function schemaFieldPaths(partition: SandboxPartition, schemaId: string): Map<string, XdmFieldInfo> | undefined {
  const schema = findSchema(partition, schemaId);
  if (!schema) return undefined;
  return fieldPathsOf(resolveProperties(partition, schema.wire).properties);
}

/**
 * The whole record shape of a schema, as an object field: every field with its nested
 * properties, map values, array items and the required keys. Undefined when the schema does not
 * exist. What ingestion validates each record against.
 */
export function schemaRecordShape(partition: SandboxPartition, schemaId: string): XdmFieldInfo | undefined {
  const schema = findSchema(partition, schemaId);
  if (!schema) return undefined;
  const resolved = resolveProperties(partition, schema.wire);
  const shape = fieldInfo({ type: 'object', properties: resolved.properties, required: resolved.required });
  return shape;
}

/** Field paths of a `properties` tree (see `schemaFieldPaths`). */
export function fieldPathsOf(properties: Record<string, any>): Map<string, XdmFieldInfo> {
  const paths = new Map<string, XdmFieldInfo>();
  const walk = (nodes: Record<string, any>, prefix: string) => {
    for (const [key, node] of Object.entries(nodes)) {
      const info = fieldInfo(node);
      if (!info) continue;
      const path = `${prefix}${key}`;
      paths.set(path, info);
      if (info.type === 'object' && isObject(node.properties)) walk(node.properties, `${path}.`);
    }
  };
  walk(properties, '');
  return paths;
}

function fieldInfo(node: unknown): XdmFieldInfo | undefined {
  if (!isObject(node) || !XDM_FIELD_TYPES.includes(node.type)) return undefined;
  const info: XdmFieldInfo = { type: node.type };
  if (node.type === 'array') {
    const items = fieldInfo(node.items);
    if (items) info.items = items;
  }
  if (node.type === 'object') {
    if (isObject(node.additionalProperties) || node['meta:xdmType'] === 'map') {
      info.xdmType = 'map';
      const values = fieldInfo(node.additionalProperties);
      if (values) info.additionalProperties = values;
    } else {
      const properties: Record<string, XdmFieldInfo> = {};
      for (const [key, child] of Object.entries(isObject(node.properties) ? node.properties : {})) {
        const childInfo = fieldInfo(child);
        if (childInfo) properties[key] = childInfo;
      }
      info.properties = properties;
    }
    if (Array.isArray(node.required)) info.required = node.required.filter((k: unknown): k is string => typeof k === 'string');
  }
  if (node.type === 'string' && (node.format === 'date-time' || node.format === 'date')) info.xdmType = node.format;
  for (const bound of ['minimum', 'maximum', 'minLength', 'maxLength'] as const) if (typeof node[bound] === 'number') info[bound] = node[bound];
  if (typeof node.format === 'string') info.format = node.format;
  if (typeof node.pattern === 'string') info.pattern = node.pattern;
  if (Array.isArray(node.enum)) info.enum = [...node.enum];
  return info;
}

/**
 * Whether a content type / version string like `application/vnd.adobe.xed-full+json;version=1.3`
 * or `1.0` refers to the stored schema's version (same major; the registry serves the latest
 * minor). An absent value means "latest" and matches; anything unparsable does not.
 */
export function schemaVersionMatches(schema: XdmRecord, versionOrContentType: string | undefined): boolean {
  if (versionOrContentType === undefined) return true;
  const major = majorVersionOf(versionOrContentType);
  if (major === undefined) return false;
  return major === Number(String(schema.wire.version).split('.')[0]);
}

/** The major version named by `1`, `1.3` or a media type with `version=1.3`; undefined when there is none. */
export function majorVersionOf(versionOrContentType: string): number | undefined {
  const parameter = /(?:^|;)\s*version\s*=\s*"?([^;"\s]+)"?/i.exec(versionOrContentType);
  const raw = parameter?.[1] ?? versionOrContentType.trim();
  if (!/^\d+(\.\d+)?$/.test(raw)) return undefined;
  return Number(raw.split('.')[0]);
}

function isObject(value: unknown): value is Record<string, any> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
