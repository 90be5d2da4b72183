import type { EmulatorContext } from '../../context.js';
import { catalogueError } from '../../errors/error-bodies.js';
import { FLOW_SERVICE_ERRORS as FLOW, SOURCES_ERRORS as SOURCES } from '../../errors/error-catalogue.js';
import type { SandboxPartition, WireRecord } from '../../state/store.js';
import { schemaPaths } from '../../stripe/schema-inference.js';
import type { StripeResourcePath } from '../../stripe/stripe-resources.js';
import { getMappingSet } from '../data-prep/mapping-sets.js';
import { findSchema, schemaFieldPaths, schemaVersionMatches } from '../schema-registry/xdm-fields.js';
import { invalidField } from './request-checks.js';

export interface MappingTransformation {
  mappingId: string;
  mappingVersion: number;
}

/** Reads `transformations` of a create/patch body: exactly one `Mapping` with `mappingId` and `mappingVersion` (number or string). */
export function readMappingTransformation(raw: unknown): MappingTransformation {
  if (raw === undefined || raw === null) throw catalogueError(SOURCES.mappingTransformationRequired, undefined, { field: 'transformations' });
  if (!Array.isArray(raw)) throw invalidField('transformations', 'must be an array');
  const mappings = raw.filter((t) => t && typeof t === 'object' && (t as { name?: unknown }).name === 'Mapping');
  if (mappings.length !== 1 || raw.length !== 1) {
    throw catalogueError(SOURCES.mappingTransformationRequired, 'The flow needs exactly one transformation named Mapping.', { field: 'transformations' });
  }
  const params = (mappings[0] as { params?: unknown }).params;
  if (!params || typeof params !== 'object' || Array.isArray(params)) throw invalidField('transformations[0].params', 'must be an object with mappingId and mappingVersion');
  const { mappingId, mappingVersion } = params as Record<string, unknown>;
  if (typeof mappingId !== 'string' || mappingId === '')
    throw catalogueError(SOURCES.mandatoryFieldMissing, { field: 'transformations[0].params.mappingId' }, { field: 'transformations[0].params.mappingId' });
  const version = typeof mappingVersion === 'number' ? mappingVersion : typeof mappingVersion === 'string' && /^\d+$/.test(mappingVersion) ? Number(mappingVersion) : NaN;
  if (!Number.isSafeInteger(version) || version < 0) {
    throw catalogueError(FLOW.invalidMappingVersion, `The mapping version '${String(mappingVersion)}' is not valid. Send an existing mapping version.`, {
      field: 'transformations[0].params.mappingVersion',
    });
  }
  return { mappingId, mappingVersion: version };
}

/**
 * Checks a flow's mapping against its source and target (1412, 1425, 1419): the mapping set
 * version exists, it writes the same schema (id and major version) as the target dataset, every
 * destination exists in that schema and every source attribute exists in the schema explore
 * infers for the source connection's Stripe resource.
 */
export function checkFlowMapping(ctx: EmulatorContext, partition: SandboxPartition, mapping: MappingTransformation, source: WireRecord, target: WireRecord): void {
  const mappingSet = getMappingSet(partition, mapping.mappingId);
  if (!mappingSet) {
    throw catalogueError(FLOW.entityIdUnresolvable, `The mapping set '${mapping.mappingId}' does not exist in this organization and sandbox.`, { field: 'transformations[0].params.mappingId' });
  }
  const atVersion = getMappingSet(partition, mapping.mappingId, mapping.mappingVersion);
  if (!atVersion) {
    throw catalogueError(FLOW.invalidMappingVersion, `Mapping set ${mapping.mappingId} has no version ${mapping.mappingVersion} (latest is ${mappingSet.version}).`, {
      field: 'transformations[0].params.mappingVersion',
    });
  }

  const mappingSchemaId: string | undefined = atVersion.outputSchema?.schemaRef?.id ?? atVersion.xdmSchema;
  const mappingSchemaVersion: string | undefined = atVersion.outputSchema?.schemaRef?.contentType ?? atVersion.xdmVersion;
  const targetSchemaId: string = target.wire.data.schema.id;
  const targetSchema = findSchema(partition, targetSchemaId);
  if (!targetSchema || mappingSchemaId !== targetSchemaId || !schemaVersionMatches(targetSchema, mappingSchemaVersion)) {
    throw catalogueError(
      FLOW.mappingSchemaMismatch,
      `The mapping writes schema ${mappingSchemaId} (${mappingSchemaVersion}) but the target dataset uses ${targetSchemaId} (${target.wire.data.schema.version}); the same id and version must be used.`,
      { field: 'transformations[0].params.mappingId' },
    );
  }

  const destinations = schemaFieldPaths(partition, targetSchemaId) ?? new Map();
  const resource = source.wire.params.resourcePath as StripeResourcePath;
  const base = partition.connections.get(source.wire.baseConnectionId);
  const sources = schemaPaths(ctx.accounts.exploreSchema(resource, String(base?.authParams.accessToken ?? '')));
  const problems: string[] = [];
  (atVersion.mappings as Record<string, any>[]).forEach((m, index) => {
    const destination: string = m.destination ?? m.destinationXdmPath;
    if (!destinations.has(destination)) problems.push(`mapping ${index}: destination '${destination}' is not a field of schema ${targetSchemaId}`);
    const isAttribute = m.sourceType === 'text/x.schema-path' || m.sourceType === 'ATTRIBUTE';
    const sourcePath: string = m.source ?? m.sourceAttribute;
    if (isAttribute && !sources.has(sourcePath)) problems.push(`mapping ${index}: source '${sourcePath}' is not in the ${resource} source schema`);
  });
  if (problems.length > 0) {
    throw catalogueError(FLOW.mappingValidationFailed, `Mapping validation failed: ${problems.slice(0, 10).join('; ')}${problems.length > 10 ? `; and ${problems.length - 10} more` : ''}.`, {
      field: 'transformations[0].params',
      errorDetails: { problems },
    });
  }
}
