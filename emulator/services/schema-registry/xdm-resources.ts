import { createHash, randomBytes } from 'node:crypto';
import { newSchemaHex } from '../../ids.js';
import type { SandboxPartition, XdmRecord } from '../../state/store.js';
import { CLASS_BEHAVIOR_IDS, findGlobalBehavior, findGlobalClass, globalClassBehavior } from './global-container.data.js';
import { xdmFailure } from './xdm-errors.js';
import { XDM_FIELD_TYPES, findReferencedResource, resolveProperties, tenantResources, type XdmResourceKind } from './xdm-fields.js';

/**
 * Building and validating tenant classes, field groups and schemas: what a POST, PUT or PATCH
 * body must satisfy, and the registry-assigned attributes (`$id`, `meta:altId`, `version`,
 * `meta:*`) of the stored resource.
 */

/** Who is writing, where, and when. */
export interface XdmWriter {
  partition: SandboxPartition;
  tenantId: string;
  clientId: string;
  nowMs: number;
}

/** Field names below the tenant wrapper (PLATFORM-API.md §10.3). */
const FIELD_NAME = /^[A-Za-z0-9][A-Za-z0-9_-]*$/;

/** Attributes the registry assigns; a client's values are ignored on POST/PUT and refused by PATCH. */
export const READ_ONLY_ATTRIBUTES = [
  '$id',
  'meta:altId',
  'meta:resourceType',
  'version',
  'imsOrg',
  'meta:registryMetadata',
  'meta:containerId',
  'meta:sandboxId',
  'meta:sandboxType',
  'meta:tenantNamespace',
  'meta:class',
  'meta:xdmType',
  'meta:abstract',
  'meta:extensible',
] as const;

/**
 * Validates a create/replace body of `kind` and returns the resource to store. With `existing`
 * (PUT, PATCH) the ids and creation metadata are kept and the minor version goes up by one.
 * Throws the registry's 400 for the first problem found.
 */
export function buildResource(kind: XdmResourceKind, body: unknown, writer: XdmWriter, existing?: XdmRecord): Record<string, any> {
  const { nowMs } = writer;
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw xdmFailure('badRequest', 'The request body must be a JSON object describing the resource.', nowMs);
  }
  const input = body as Record<string, any>;
  checkCommonAttributes(kind, input, writer, existing);

  const tenantNamespace = `_${writer.tenantId}`;
  const wire: Record<string, any> = {};
  // Keep what the client sent (e.g. `meta:immutableTags`), then overwrite what the registry owns.
  for (const [key, value] of Object.entries(input)) {
    if (!(READ_ONLY_ATTRIBUTES as readonly string[]).includes(key)) wire[key] = structuredClone(value);
  }

  // `meta:extends` is computed from `allOf`; a PATCH may add to it (the docs do), but never decides it.
  delete wire['meta:extends'];
  let extendsList: string[] = [];
  if (kind === 'classes') extendsList = checkClass(input, writer);
  if (kind === 'mixins') checkFieldGroup(input, writer);
  let classId: string | undefined;
  if (kind === 'schemas') ({ classId, extendsList } = checkSchema(input, writer, existing));
  if (input.definitions !== undefined) wire.definitions = checkDefinitions(input.definitions, writer);

  const id = existing?.wire.$id ?? `https://ns.adobe.com/${writer.tenantId}/${kind}/${newSchemaHex()}`;
  const hex = id.slice(id.lastIndexOf('/') + 1);
  const created = existing?.wire['meta:registryMetadata'] ?? {};
  const user = `${writer.clientId}@AdobeID`;
  Object.assign(wire, {
    $id: id,
    'meta:altId': `${tenantNamespace}.${kind}.${hex}`,
    'meta:resourceType': kind,
    version: existing ? bumpMinor(String(existing.wire.version)) : '1.0',
    type: 'object',
    imsOrg: writer.partition.orgId,
    'meta:extensible': kind !== 'schemas',
    'meta:abstract': kind !== 'schemas',
    ...(extendsList.length > 0 || kind !== 'mixins' ? { 'meta:extends': extendsList } : {}),
    ...(classId ? { 'meta:class': classId } : {}),
    'meta:xdmType': 'object',
    'meta:registryMetadata': {
      'repo:createdDate': created['repo:createdDate'] ?? nowMs,
      'repo:lastModifiedDate': nowMs,
      'xdm:createdClientId': created['xdm:createdClientId'] ?? writer.clientId,
      'xdm:lastModifiedClientId': writer.clientId,
      'xdm:createdUserId': created['xdm:createdUserId'] ?? user,
      'xdm:lastModifiedUserId': user,
      eTag: '',
      'meta:globalLibVersion': '1.50.1',
    },
    'meta:containerId': 'tenant',
    'meta:sandboxId': writer.partition.sandboxId,
    'meta:sandboxType': writer.partition.sandboxName === 'prod' ? 'production' : 'development',
    'meta:tenantNamespace': tenantNamespace,
  });
  // An unquoted 64-hex digest of the content, so it changes with every write.
  wire['meta:registryMetadata'].eTag = createHash('sha256').update(JSON.stringify(wire)).update(randomBytes(8)).digest('hex');
  return wire;
}

/** `1.0` → `1.1`, `1.9` → `1.10`. */
export function bumpMinor(version: string): string {
  const [major, minor] = version.split('.');
  return `${major}.${Number(minor ?? 0) + 1}`;
}

function checkCommonAttributes(kind: XdmResourceKind, input: Record<string, any>, writer: XdmWriter, existing?: XdmRecord): void {
  const { nowMs } = writer;
  if (input.type === undefined) throw xdmFailure('missingAttribute', 'The attribute \'type\' is required and must be "object".', nowMs);
  if (input.type !== 'object') throw xdmFailure('invalidAttribute', `The attribute 'type' must be "object", not ${JSON.stringify(input.type)}.`, nowMs);
  if (input.title === undefined || input.title === null || (typeof input.title === 'string' && input.title.trim() === '')) {
    throw xdmFailure('missingAttribute', "The attribute 'title' is required.", nowMs);
  }
  if (typeof input.title !== 'string') throw xdmFailure('invalidAttribute', "The attribute 'title' must be a string.", nowMs);
  // The spec's create payloads for classes and schemas list `description` as required; field groups do not.
  if (kind !== 'mixins' && (input.description === undefined || input.description === null)) {
    throw xdmFailure('missingAttribute', "The attribute 'description' is required.", nowMs);
  }
  if (input.description !== undefined && typeof input.description !== 'string') {
    throw xdmFailure('invalidAttribute', "The attribute 'description' must be a string.", nowMs);
  }
  const clash = findTitleOwner(writer.partition, input.title, existing?.wire.$id);
  if (clash) {
    throw xdmFailure('titleNotUnique', `Object titles must be unique. An object ${clash} already exists with the same title`, nowMs);
  }
}

/** Titles are unique across all tenant resource types (XDM troubleshooting guide, "Title not unique"). */
function findTitleOwner(partition: SandboxPartition, title: string, exceptId: string | undefined): string | undefined {
  for (const kind of ['classes', 'mixins', 'schemas'] as const) {
    for (const [id, record] of tenantResources(partition, kind)) {
      if (id !== exceptId && record.wire.title === title) return id;
    }
  }
  return undefined;
}

function readAllOf(input: Record<string, any>, writer: XdmWriter, required: boolean): string[] {
  const { nowMs } = writer;
  if (input.allOf === undefined) {
    if (required) throw xdmFailure('missingAttribute', "The attribute 'allOf' is required.", nowMs);
    return [];
  }
  if (!Array.isArray(input.allOf)) throw xdmFailure('invalidAttribute', 'The attribute \'allOf\' must be an array of {"$ref": …} objects.', nowMs);
  if (required && input.allOf.length === 0) throw xdmFailure('missingAttribute', "The attribute 'allOf' must reference at least one resource.", nowMs);
  return input.allOf.map((entry: unknown, index: number) => {
    const ref = typeof entry === 'object' && entry !== null && !Array.isArray(entry) ? (entry as Record<string, unknown>).$ref : undefined;
    if (typeof ref !== 'string' || ref === '') throw xdmFailure('invalidAttribute', `allOf[${index}] must be an object with a '$ref' string.`, nowMs);
    return ref;
  });
}

function checkLocalRef(ref: string, index: number, input: Record<string, any>, writer: XdmWriter): void {
  const name = ref.slice('#/definitions/'.length);
  if (typeof input.definitions !== 'object' || input.definitions === null || !(name in input.definitions)) {
    throw xdmFailure('referenceNotFound', `allOf[${index}] references '${ref}', which is not in 'definitions'.`, writer.nowMs);
  }
}

/** A class: exactly one behaviour (record or time-series), its own definitions, optionally field groups. */
function checkClass(input: Record<string, any>, writer: XdmWriter): string[] {
  const { nowMs, partition } = writer;
  const refs = readAllOf(input, writer, true);
  const behaviors: string[] = [];
  const fieldGroups: string[] = [];
  refs.forEach((ref, index) => {
    if (ref.startsWith('#/definitions/')) return checkLocalRef(ref, index, input, writer);
    if (CLASS_BEHAVIOR_IDS.includes(ref)) return void behaviors.push(ref);
    if (findGlobalBehavior(ref)) {
      throw xdmFailure('invalidAttribute', `allOf[${index}]: a class must extend ${CLASS_BEHAVIOR_IDS.join(' or ')}, not '${ref}'.`, nowMs);
    }
    if (partition.xdm.fieldGroups.has(ref)) return void fieldGroups.push(ref);
    throw xdmFailure('referenceNotFound', `allOf[${index}] references '${ref}', which is neither a behavior nor a field group of this sandbox.`, nowMs);
  });
  if (behaviors.length !== 1) {
    throw xdmFailure('invalidAttribute', `A class must reference exactly one behavior (${CLASS_BEHAVIOR_IDS.join(' or ')}) in 'allOf'; found ${behaviors.length}.`, nowMs);
  }
  return [...behaviors, ...fieldGroups];
}

/** A field group: the classes it extends must exist; its `allOf` may only point at its own definitions. */
function checkFieldGroup(input: Record<string, any>, writer: XdmWriter): void {
  const { nowMs, partition } = writer;
  const intended = input['meta:intendedToExtend'];
  if (intended === undefined || intended === null || (Array.isArray(intended) && intended.length === 0)) {
    throw xdmFailure('missingAttribute', "The attribute 'meta:intendedToExtend' is required: list the $id of each class this field group may extend.", nowMs);
  }
  if (!Array.isArray(intended) || intended.some((v) => typeof v !== 'string')) {
    throw xdmFailure('invalidAttribute', "The attribute 'meta:intendedToExtend' must be an array of class $id strings.", nowMs);
  }
  intended.forEach((id: string, index: number) => {
    if (!findGlobalClass(id) && !findGlobalBehavior(id) && !partition.xdm.classes.has(id)) {
      throw xdmFailure('referenceNotFound', `meta:intendedToExtend[${index}] references '${id}', which is not a class of this sandbox or the global container.`, nowMs);
    }
  });
  readAllOf(input, writer, false).forEach((ref, index) => {
    if (ref.startsWith('#/definitions/')) return checkLocalRef(ref, index, input, writer);
    throw xdmFailure('referenceNotFound', `allOf[${index}] references '${ref}'; a field group's allOf may only reference its own definitions.`, nowMs);
  });
}

/**
 * A schema: exactly one class (tenant or global) and zero or more field groups compatible with
 * it. Fields come only from those; the merged result must not define a path twice with two types.
 */
function checkSchema(input: Record<string, any>, writer: XdmWriter, existing?: XdmRecord): { classId: string; extendsList: string[] } {
  const { nowMs, partition } = writer;
  if (input.definitions !== undefined || input.properties !== undefined) {
    throw xdmFailure('invalidAttribute', "A schema cannot define fields itself ('definitions'/'properties'); add them through a field group in 'allOf'.", nowMs);
  }
  const refs = readAllOf(input, writer, true);
  const classes: string[] = [];
  const fieldGroups: string[] = [];
  refs.forEach((ref, index) => {
    if (findGlobalClass(ref) || partition.xdm.classes.has(ref)) return void classes.push(ref);
    if (partition.xdm.fieldGroups.has(ref)) return void fieldGroups.push(ref);
    if (findGlobalBehavior(ref)) {
      throw xdmFailure('invalidAttribute', `allOf[${index}] references the behavior '${ref}'; a schema references a class, which brings its behavior.`, nowMs);
    }
    throw xdmFailure('referenceNotFound', `allOf[${index}] references '${ref}', which is neither a class nor a field group of this sandbox or the global container.`, nowMs);
  });
  if (classes.length !== 1) {
    throw xdmFailure('invalidAttribute', `A schema must reference exactly one class in 'allOf'; found ${classes.length}.`, nowMs);
  }
  const classId = classes[0]!;
  const behavior = behaviorOfClass(partition, classId);
  for (const fieldGroupId of fieldGroups) {
    const intended: string[] = partition.xdm.fieldGroups.get(fieldGroupId)!.wire['meta:intendedToExtend'] ?? [];
    if (!intended.includes(classId) && !(behavior && intended.includes(behavior))) {
      throw xdmFailure('fieldGroupIncompatible', `Field group ${fieldGroupId} is not compatible with class ${classId}: its meta:intendedToExtend is [${intended.join(', ')}].`, nowMs);
    }
  }
  const { conflicts } = resolveProperties(partition, { $id: existing?.wire.$id ?? 'new-schema', allOf: refs.map(($ref) => ({ $ref })) });
  if (conflicts.length > 0) {
    throw xdmFailure('mergeConflict', `Cannot merge incompatible data types. These paths are defined with different types: ${conflicts.join('; ')}.`, nowMs);
  }
  const classExtends: string[] = findReferencedResource(partition, classId)?.['meta:extends'] ?? [];
  const extendsList = [...new Set([classId, ...classExtends, ...fieldGroups])];
  return { classId, extendsList };
}

/** The behaviour (`record` or `time-series`) a tenant or global class extends. */
export function behaviorOfClass(partition: SandboxPartition, classId: string): string | undefined {
  const global = globalClassBehavior(classId);
  if (global) return global;
  const extended: string[] = partition.xdm.classes.get(classId)?.wire['meta:extends'] ?? [];
  return extended.find((id) => CLASS_BEHAVIOR_IDS.includes(id));
}

/**
 * A class's or field group's `definitions`: custom fields sit under `_{TENANT_ID}`, every field
 * has a known type and a valid name. Returns a copy with `meta:xdmType` on every field, as the
 * registry answers.
 */
function checkDefinitions(definitions: unknown, writer: XdmWriter): Record<string, any> {
  const { nowMs, tenantId } = writer;
  const wrapper = `_${tenantId}`;
  if (typeof definitions !== 'object' || definitions === null || Array.isArray(definitions)) {
    throw xdmFailure('invalidAttribute', "The attribute 'definitions' must be an object of named definitions.", nowMs);
  }
  const out: Record<string, any> = {};
  for (const [name, definition] of Object.entries(definitions as Record<string, unknown>)) {
    if (typeof definition !== 'object' || definition === null || Array.isArray(definition)) {
      throw xdmFailure('invalidAttribute', `definitions.${name} must be an object.`, nowMs);
    }
    const def = structuredClone(definition) as Record<string, any>;
    if (def.type !== undefined && def.type !== 'object') {
      throw xdmFailure('invalidFieldType', `definitions.${name}.type must be "object".`, nowMs);
    }
    const properties = def.properties ?? {};
    if (typeof properties !== 'object' || properties === null || Array.isArray(properties)) {
      throw xdmFailure('invalidAttribute', `definitions.${name}.properties must be an object.`, nowMs);
    }
    for (const key of Object.keys(properties)) {
      if (key !== wrapper) {
        throw xdmFailure(
          'namespaceInvalid',
          `A custom field is defined under an invalid namespace: definitions.${name}.properties.${key}. All custom fields must be defined under a top-level field named ${wrapper}.`,
          nowMs,
        );
      }
    }
    if (properties[wrapper] !== undefined) {
      const tenantNode = properties[wrapper];
      if (typeof tenantNode !== 'object' || tenantNode === null || tenantNode.type !== 'object') {
        throw xdmFailure('invalidFieldType', `The tenant field ${wrapper} in definitions.${name} must have type "object".`, nowMs);
      }
      checkField(tenantNode, wrapper, wrapper, writer, false);
    }
    def.properties = properties;
    if (def.type === undefined) def.type = 'object';
    def['meta:xdmType'] = 'object';
    out[name] = def;
  }
  return out;
}

/**
 * Validates one field node (`name`, at `path`) in place and annotates it with `meta:xdmType`;
 * `path` names it in errors. `checkName` is off for the tenant wrapper and array `items`, which are not field names.
 */
function checkField(node: unknown, name: string, path: string, writer: XdmWriter, checkName = true): void {
  const { nowMs } = writer;
  if (checkName && !FIELD_NAME.test(name)) {
    throw xdmFailure('invalidFieldName', `The field name '${name}' (${path}) is invalid: use letters, digits, '_' and '-', not starting with '_' or '-'.`, nowMs);
  }
  if (typeof node !== 'object' || node === null || Array.isArray(node)) {
    throw xdmFailure('invalidFieldType', `The field ${path} must be an object with a 'type'.`, nowMs);
  }
  const field = node as Record<string, any>;
  if (field.type === undefined && typeof field.$ref === 'string') {
    // No data types are stored here, so a $ref field can never resolve.
    throw xdmFailure('referenceNotFound', `The field ${path} references the data type '${field.$ref}', which does not exist in this sandbox.`, nowMs);
  }
  if (field.type === undefined) throw xdmFailure('invalidFieldType', `The field ${path} has no 'type'. Every field needs one of: ${XDM_FIELD_TYPES.join(', ')}.`, nowMs);
  if (!XDM_FIELD_TYPES.includes(field.type)) {
    throw xdmFailure('invalidFieldType', `The field ${path} has type ${JSON.stringify(field.type)}; use one of: ${XDM_FIELD_TYPES.join(', ')}.`, nowMs);
  }
  for (const bound of ['minimum', 'maximum', 'maxLength', 'minLength'] as const) {
    if (field[bound] !== undefined && typeof field[bound] !== 'number') {
      throw xdmFailure('invalidAttribute', `The field ${path} has a non-numeric '${bound}'.`, nowMs);
    }
  }
  if (field.type === 'object' && (field['meta:xdmType'] === 'map' || field.additionalProperties !== undefined)) {
    // XDM maps ("Define XDM fields in the Schema Registry API", custom maps): an object without
    // properties whose values all have the one type `additionalProperties` names, string or integer.
    if (field.properties !== undefined && (typeof field.properties !== 'object' || field.properties === null || Object.keys(field.properties).length > 0)) {
      throw xdmFailure('invalidAttribute', `The map field ${path} must not define properties.`, nowMs);
    }
    const values = field.additionalProperties;
    if (typeof values !== 'object' || values === null || Array.isArray(values) || (values.type !== 'string' && values.type !== 'integer')) {
      throw xdmFailure('invalidFieldType', `The map field ${path} needs additionalProperties with type string or integer.`, nowMs);
    }
    delete field.properties;
    values['meta:xdmType'] = xdmTypeOf(values);
    field['meta:xdmType'] = 'map';
    return;
  }
  if (field.type === 'object') {
    const properties = field.properties ?? {};
    if (typeof properties !== 'object' || properties === null || Array.isArray(properties)) {
      throw xdmFailure('invalidAttribute', `The field ${path}.properties must be an object.`, nowMs);
    }
    field.properties = properties;
    for (const [child, childNode] of Object.entries(properties)) checkField(childNode, child, `${path}.${child}`, writer);
  }
  if (field.type === 'array') {
    if (field.items === undefined) throw xdmFailure('invalidFieldType', `The array field ${path} needs 'items' with a type.`, nowMs);
    checkField(field.items, 'items', `${path}.items`, writer, false);
  }
  field['meta:xdmType'] = xdmTypeOf(field);
}

/** Compatibility Mode's `meta:xdmType` for a field: integers by range, strings by format. */
function xdmTypeOf(field: Record<string, any>): string {
  switch (field.type) {
    case 'integer': {
      const min = typeof field.minimum === 'number' ? field.minimum : -Infinity;
      const max = typeof field.maximum === 'number' ? field.maximum : Infinity;
      if (min >= -128 && max <= 127) return 'byte';
      if (min >= -32768 && max <= 32767) return 'short';
      if (min >= -2147483648 && max <= 2147483647) return 'int';
      return 'long';
    }
    case 'string':
      return field.format === 'date-time' ? 'date-time' : field.format === 'date' ? 'date' : 'string';
    default:
      return field.type;
  }
}
