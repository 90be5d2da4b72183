import type { ClassType } from 'type-graphql';
import type { PlatformResourceType } from '../domain/resource-types.js';
import { Connection, Dataflow, Dataset, Mapping, SourceConnection, TargetConnection, XdmSchema } from '../schema/resource-types.js';
import type { ResourceLink } from '../store/resource.store.js';

/**
 * How a link field finds what it leads to:
 * - `linked`: the resource this one's `via` column names (always set); its absence is NOT_FOUND;
 * - `named`: the same, but its absence is a null the (non-null) field refuses;
 * - `optional`: the resource `via` names, null when the column is (the field is nullable);
 * - `dependents`: the live resources whose `via` column names this one (not deleted or failed), oldest first.
 */
export type LinkLookup = 'linked' | 'named' | 'optional' | 'dependents';

/** A field leading from a resource to a neighbour (or to its dependents). */
export interface LinkField {
  lookup: LinkLookup;
  type: PlatformResourceType;
  to: () => ClassType;
  via: ResourceLink;
  description: string;
}

const link = (lookup: LinkLookup, type: PlatformResourceType, to: () => ClassType, via: ResourceLink, description: string): LinkField => ({ lookup, type, to, via, description });

/** The resource graph as the API walks it: each resource type's link fields, which ResourceResolver resolves. */
export const RESOURCE_LINKS: Record<PlatformResourceType, Record<string, LinkField>> = {
  CONNECTION: {
    sourceConnections: link('dependents', 'SOURCE_CONNECTION', () => SourceConnection, 'connectionId', 'Its live source connections (not deleted or failed), oldest first.'),
    dataflows: link('dependents', 'DATAFLOW', () => Dataflow, 'connectionId', 'The live dataflows reading through it, oldest first.'),
  },
  SOURCE_CONNECTION: {
    connection: link('linked', 'CONNECTION', () => Connection, 'connectionId', 'The base connection it reads through.'),
    dataflows: link('dependents', 'DATAFLOW', () => Dataflow, 'sourceConnectionId', 'The live dataflows reading it, oldest first.'),
  },
  XDM_SCHEMA: {
    sourceConnection: link(
      'optional',
      'SOURCE_CONNECTION',
      () => SourceConnection,
      'sourceConnectionId',
      'The source connection whose resource was explored; null for a schema made from a given exploreSchema.',
    ),
    datasets: link('dependents', 'DATASET', () => Dataset, 'schemaId', 'The live datasets of this schema, oldest first.'),
  },
  DATASET: {
    schema: link('linked', 'XDM_SCHEMA', () => XdmSchema, 'schemaId', 'The XDM schema of its records.'),
    targetConnections: link('dependents', 'TARGET_CONNECTION', () => TargetConnection, 'datasetId', 'The live target connections writing it, oldest first.'),
  },
  TARGET_CONNECTION: {
    dataset: link('named', 'DATASET', () => Dataset, 'datasetId', 'The dataset it writes into.'),
    schema: link('named', 'XDM_SCHEMA', () => XdmSchema, 'schemaId', 'The XDM schema of its dataset.'),
  },
  MAPPING: {
    schema: link('named', 'XDM_SCHEMA', () => XdmSchema, 'schemaId', 'The schema the mappings write.'),
    sourceConnection: link('optional', 'SOURCE_CONNECTION', () => SourceConnection, 'sourceConnectionId', 'The source connection the mappings were made for, if one was named.'),
  },
  DATAFLOW: {
    sourceConnection: link('named', 'SOURCE_CONNECTION', () => SourceConnection, 'sourceConnectionId', 'The source connection it reads.'),
    targetConnection: link('named', 'TARGET_CONNECTION', () => TargetConnection, 'targetConnectionId', 'The target connection it writes.'),
    mapping: link('named', 'MAPPING', () => Mapping, 'mappingId', 'The mapping set it applies.'),
    connection: link('optional', 'CONNECTION', () => Connection, 'connectionId', 'The Stripe base connection it reads through.'),
  },
};

/** A field a resource list can be narrowed by besides its state: a link column, or the Stripe resource. */
export type FilterField = 'resource' | Exclude<ResourceLink, 'targetConnectionId' | 'mappingId'>;

/** A resource list's filter: the `<Name>Filter` input's description and its fields' (beyond `state`). */
export interface ListFilterSpec {
  description: string;
  fields: { [F in FilterField]?: string };
}

/** What each resource type's list can be narrowed by (ResourceResolver builds the `<Name>Filter` input). */
export const RESOURCE_FILTERS: Record<PlatformResourceType, ListFilterSpec> = {
  CONNECTION: { description: 'Narrows the list of base connections.', fields: {} },
  SOURCE_CONNECTION: {
    description: 'Narrows the list of source connections.',
    fields: { connectionId: 'Only source connections of this base connection.', resource: 'Only source connections reading this Stripe resource.' },
  },
  XDM_SCHEMA: {
    description: 'Narrows the list of XDM schemas.',
    fields: { resource: 'Only schemas mirroring this Stripe resource.', sourceConnectionId: 'Only schemas made from this source connection.' },
  },
  DATASET: { description: 'Narrows the list of datasets.', fields: { schemaId: 'Only datasets of this XDM schema.' } },
  TARGET_CONNECTION: { description: 'Narrows the list of target connections.', fields: { datasetId: 'Only target connections writing this dataset.' } },
  MAPPING: { description: 'Narrows the list of mappings.', fields: { schemaId: 'Only mappings that write this XDM schema.' } },
  DATAFLOW: {
    description: 'Narrows the list of dataflows.',
    fields: { resource: 'Only dataflows reading this Stripe resource.', connectionId: 'Only dataflows reading through this base connection.' },
  },
};
