import { newHex, newMappingSetId } from '../../ids.js';
import type { SandboxPartition } from '../../state/store.js';
import { findSchema, schemaFieldPaths, schemaVersionMatches, type XdmFieldInfo } from '../schema-registry/xdm-fields.js';
import { dataPrepFailure, type DataPrepErrorKind } from './data-prep-errors.js';
import { ExpressionError, parseExpression } from './expressions.js';

/**
 * Mapping sets as Data Prep stores them (PLATFORM-API.md §8.3): every version of a set is kept,
 * and every mapping carries both naming styles (`source`/`destination` and
 * `sourceAttribute`/`destinationXdmPath`), whichever dialect created it.
 */

/** The request-side source types (spec enum). */
export type SourceType = 'ATTRIBUTE' | 'EXPRESSION' | 'STATIC';

/** How Data Prep stores each source type: `ATTRIBUTE` is documented; the other two are our choice. */
const STORED_SOURCE_TYPE: Record<SourceType, string> = {
  ATTRIBUTE: 'text/x.schema-path',
  EXPRESSION: 'text/x.aep-xl',
  STATIC: 'STATIC',
};

/** One mapping of a stored mapping-set version. */
export interface StoredMapping {
  id: string;
  /** `text/x.schema-path` (ATTRIBUTE), `text/x.aep-xl` (EXPRESSION) or `STATIC`. */
  sourceType: string;
  source: string;
  destination: string;
  sourceAttribute: string;
  destinationXdmPath: string;
  identity: boolean;
  primaryIdentity: boolean;
  matchScore: number;
  functionVersion: number;
  version: number;
  createdDate: number;
  modifiedDate: number;
  createdBy: string;
  modifiedBy: string;
  name?: string;
  description?: string;
  identityGroup?: string;
  namespaceCode?: string;
}

/** The mapping set at `version` (default: latest), or undefined. */
export function getMappingSet(partition: SandboxPartition, id: string, version?: number): Record<string, any> | undefined {
  const record = partition.mappingSets.get(id);
  if (!record || record.versions.length === 0) return undefined;
  return version === undefined ? record.versions[record.versions.length - 1] : record.versions[version];
}

/** The request-side source type of a stored or requested `sourceType`, or undefined when invalid. */
export function requestSourceType(value: unknown): SourceType | undefined {
  if (value === undefined || value === null) return 'ATTRIBUTE';
  if (value === 'ATTRIBUTE' || value === 'EXPRESSION' || value === 'STATIC') return value;
  const stored = Object.entries(STORED_SOURCE_TYPE).find(([, s]) => s === value);
  return stored ? (stored[0] as SourceType) : undefined;
}

/** The output schema a mapping-set body names, resolved against this partition's registry. */
export interface OutputSchema {
  id: string;
  /** The version as sent: a content type (`…;version=1`) or, in the legacy dialect, `xdmVersion`. */
  contentType: string;
  fields: Map<string, XdmFieldInfo>;
}

/**
 * Reads the output schema from either dialect: `outputSchema.schemaRef{id, contentType}`, a
 * top-level `schemaRef`, or legacy `xdmSchema` + `xdmVersion`. It must exist in this org and
 * sandbox and its version must match.
 */
export function readOutputSchema(partition: SandboxPartition, body: Record<string, any>): OutputSchema {
  const ref = asObject(body.outputSchema)?.schemaRef ?? body.schemaRef;
  const refObject = asObject(ref);
  const id = refObject?.id ?? body.xdmSchema;
  const field = refObject ? (asObject(body.outputSchema)?.schemaRef ? 'outputSchema.schemaRef' : 'schemaRef') : 'xdmSchema';
  if (id === undefined || id === null || id === '') {
    throw dataPrepFailure('outputSchemaMissing', 'The mapping set names no output schema: send outputSchema.schemaRef.id (or xdmSchema).');
  }
  if (typeof id !== 'string') throw dataPrepFailure('invalidBody', `${refObject ? `${field}.id` : 'xdmSchema'} must be a string.`);
  const contentType = refObject ? refObject.contentType : body.xdmVersion;
  const versionField = refObject ? `${field}.contentType` : 'xdmVersion';
  if (contentType === undefined || contentType === null || contentType === '') {
    throw dataPrepFailure('outputSchemaVersion', `${versionField} is required: the schema version the mappings were written for.`);
  }
  if (typeof contentType !== 'string') throw dataPrepFailure('outputSchemaVersion', `${versionField} must be a string.`);
  const schema = findSchema(partition, id);
  if (!schema) throw dataPrepFailure('outputSchemaNotFound', `${refObject ? `${field}.id` : 'xdmSchema'}: schema ${id} does not exist in this organization and sandbox.`);
  if (!schemaVersionMatches(schema, contentType)) {
    throw dataPrepFailure('outputSchemaVersion', `${versionField} '${contentType}' does not match schema ${id}, which is at version ${schema.wire.version}.`);
  }
  return { id: schema.wire.$id, contentType, fields: schemaFieldPaths(partition, schema.wire.$id)! };
}

/** A requested mapping, naming styles unified. */
export interface RequestedMapping {
  sourceType: SourceType;
  source: string;
  destination: string;
  identity: boolean;
  primaryIdentity: boolean;
  name?: string;
  description?: string;
  identityGroup?: string;
  namespaceCode?: string;
}

/** Why one mapping is not acceptable; `index` is its position in `mappings`. */
export interface MappingProblem {
  index: number;
  kind: DataPrepErrorKind;
  detail: string;
  source?: string;
  destination?: string;
  sourceType?: string;
}

/**
 * Checks `mappings` against the schema's fields. Each mapping gets either a normalised form or
 * problems; a destination mapped twice is a problem of the second mapping. Parent and child
 * paths may both be mapped (the Stripe tutorial does).
 */
export function checkMappings(raw: unknown, fields: Map<string, XdmFieldInfo>): { mappings: (RequestedMapping | undefined)[]; problems: MappingProblem[] } {
  if (raw === undefined || raw === null) throw dataPrepFailure('mappingsMissing', "The mapping set needs a non-empty 'mappings' array.");
  if (!Array.isArray(raw)) throw dataPrepFailure('mappingsMissing', "'mappings' must be an array of mappings.");
  if (raw.length === 0) throw dataPrepFailure('mappingsMissing', "'mappings' is empty: a mapping set needs at least one mapping.");
  const problems: MappingProblem[] = [];
  const seen = new Map<string, number>();
  const mappings = raw.map((entry, index) => {
    const problem = (kind: DataPrepErrorKind, detail: string, extra: Partial<MappingProblem> = {}) => {
      problems.push({ index, kind, detail: `mappings[${index}]: ${detail}`, ...extra });
      return undefined;
    };
    const m = asObject(entry);
    if (!m) return problem('invalidMapping', 'must be an object.');
    const sourceType = requestSourceType(m.sourceType);
    if (!sourceType) return problem('invalidSourceType', `sourceType ${JSON.stringify(m.sourceType)} is not one of ATTRIBUTE, EXPRESSION, STATIC.`);
    const source = pick(m, 'source', 'sourceAttribute');
    const destination = pick(m, 'destination', 'destinationXdmPath');
    for (const [name, value] of [
      ['source', source],
      ['destination', destination],
    ] as const) {
      if (value === CONFLICT) return problem('invalidMapping', `${name} and its legacy twin (${name === 'source' ? 'sourceAttribute' : 'destinationXdmPath'}) differ.`);
      if (value !== undefined && typeof value !== 'string') return problem('invalidMapping', `${name} must be a string.`);
    }
    const context = { sourceType, ...(typeof source === 'string' ? { source } : {}), ...(typeof destination === 'string' ? { destination } : {}) };
    if (typeof source !== 'string' || source.trim() === '') return problem('sourceMissing', 'source (sourceAttribute) is required.', context);
    if (sourceType === 'ATTRIBUTE' && !/^[^.\s]+(\.[^.\s]+)*$/.test(source)) {
      return problem('invalidMapping', `source '${source}' is not a valid attribute path.`, context);
    }
    if (sourceType === 'EXPRESSION') {
      try {
        parseExpression(source);
      } catch (error) {
        if (!(error instanceof ExpressionError)) throw error;
        return problem('invalidExpression', `the expression '${source}' cannot be evaluated: ${error.message}.`, context);
      }
    }
    if (typeof destination !== 'string' || destination.trim() === '') return problem('destinationMissing', 'destination (destinationXdmPath) is required.', context);
    if (!fields.has(destination)) return problem('destinationNotInSchema', `destination '${destination}' is not a field of the output schema.`, context);
    const first = seen.get(destination);
    if (first !== undefined) return problem('duplicateDestination', `destination '${destination}' is already mapped by mappings[${first}].`, context);
    seen.set(destination, index);
    for (const flag of ['identity', 'primaryIdentity'] as const) {
      if (m[flag] !== undefined && typeof m[flag] !== 'boolean') return problem('invalidMapping', `${flag} must be a boolean.`, context);
    }
    for (const text of ['name', 'description', 'identityGroup', 'namespaceCode'] as const) {
      if (m[text] !== undefined && m[text] !== null && typeof m[text] !== 'string') return problem('invalidMapping', `${text} must be a string.`, context);
    }
    const mapping: RequestedMapping = {
      sourceType,
      source,
      destination,
      identity: m.identity ?? false,
      primaryIdentity: m.primaryIdentity ?? false,
    };
    for (const text of ['name', 'description', 'identityGroup', 'namespaceCode'] as const) if (typeof m[text] === 'string') mapping[text] = m[text];
    return mapping;
  });
  return { mappings, problems };
}

/** Who is writing and when. */
export interface MappingSetWriter {
  partition: SandboxPartition;
  clientId: string;
  nowMs: number;
}

/**
 * Validates a create (or, with `id`, PUT) body and stores it as a new version: version 0 for a
 * new set, latest + 1 for an update, with new ids for every mapping. Returns the stored version.
 */
export function saveMappingSet(writer: MappingSetWriter, body: unknown, id?: string): Record<string, any> {
  const { partition, clientId, nowMs } = writer;
  const input = asObject(body);
  if (!input) throw dataPrepFailure('invalidBody', 'The request body must be a JSON object describing the mapping set.');
  const schema = readOutputSchema(partition, input);
  const { mappings, problems } = checkMappings(input.mappings, schema.fields);
  const [problem] = problems;
  if (problem) throw dataPrepFailure(problem.kind, problem.detail);
  const extras = readSetAttributes(input);

  const existing = id ? partition.mappingSets.get(id) : undefined;
  const setId = id ?? newMappingSetId();
  const version = existing ? existing.versions.length : 0;
  const first = existing?.versions[0];
  const stamp = {
    version,
    createdDate: first?.createdDate ?? nowMs,
    modifiedDate: nowMs,
    createdBy: first?.createdBy ?? clientId,
    modifiedBy: clientId,
  };
  const stored: Record<string, any> = {
    id: setId,
    ...stamp,
    ...extras,
    supportVersion: '1.1',
    outputSchema: { id: newHex(32), version: 0, schemaRef: { id: schema.id, contentType: schema.contentType } },
    mappings: mappings.map((m) => storeMapping(m!, { ...stamp, createdDate: nowMs })),
    status: extras.status ?? 'PUBLISHED',
    strictMapping: false,
    allowNullValues: extras.allowNullValues ?? false,
    xdmVersion: schema.contentType,
    schemaRef: { id: schema.id, contentType: schema.contentType },
    xdmSchema: schema.id,
  };
  if (existing) existing.versions.push(stored);
  else partition.mappingSets.set(setId, { versions: [stored] });
  return stored;
}

function storeMapping(m: RequestedMapping, stamp: { version: number; createdDate: number; modifiedDate: number; createdBy: string; modifiedBy: string }): StoredMapping {
  return {
    id: newMappingSetId(),
    ...stamp,
    sourceType: STORED_SOURCE_TYPE[m.sourceType],
    source: m.source,
    destination: m.destination,
    identity: m.identity,
    primaryIdentity: m.primaryIdentity,
    matchScore: 0.0,
    functionVersion: 1,
    sourceAttribute: m.source,
    destinationXdmPath: m.destination,
    ...(m.name !== undefined ? { name: m.name } : {}),
    ...(m.description !== undefined ? { description: m.description } : {}),
    ...(m.identityGroup !== undefined ? { identityGroup: m.identityGroup } : {}),
    ...(m.namespaceCode !== undefined ? { namespaceCode: m.namespaceCode } : {}),
  };
}

/** The optional set-level attributes the spec's `MappingSet` lists. */
function readSetAttributes(input: Record<string, any>): Record<string, any> {
  const out: Record<string, any> = {};
  for (const key of ['name', 'description'] as const) {
    if (input[key] === undefined || input[key] === null) continue;
    if (typeof input[key] !== 'string') throw dataPrepFailure('invalidBody', `${key} must be a string.`);
    out[key] = input[key];
  }
  if (input.allowNullValues !== undefined) {
    if (typeof input.allowNullValues !== 'boolean') throw dataPrepFailure('invalidBody', 'allowNullValues must be a boolean.');
    out.allowNullValues = input.allowNullValues;
  }
  if (input.status !== undefined) {
    if (input.status !== 'DRAFT' && input.status !== 'PUBLISHED') throw dataPrepFailure('invalidBody', `status must be DRAFT or PUBLISHED, not ${JSON.stringify(input.status)}.`);
    out.status = input.status;
  }
  if (input.inputSchema !== undefined && input.inputSchema !== null) {
    const inputSchema = asObject(input.inputSchema);
    if (!inputSchema) throw dataPrepFailure('invalidBody', 'inputSchema must be an object.');
    out.inputSchema = structuredClone(inputSchema);
  }
  if (input.tags !== undefined && input.tags !== null) {
    if (!Array.isArray(input.tags)) throw dataPrepFailure('invalidBody', 'tags must be an array of {name, values}.');
    out.tags = structuredClone(input.tags);
  }
  return out;
}

const CONFLICT = Symbol('conflict');

/** A field given in either naming style; `CONFLICT` when both are given and differ. */
function pick(m: Record<string, any>, current: string, legacy: string): unknown {
  const a = m[current];
  const b = m[legacy];
  if (a !== undefined && b !== undefined && a !== b) return CONFLICT;
  return a ?? b;
}

function asObject(value: unknown): Record<string, any> | undefined {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, any>) : undefined;
}
