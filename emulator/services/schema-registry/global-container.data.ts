import { createHash } from 'node:crypto';

/**
 * The read-only `global` container: the Adobe resources a custom class or schema may reference.
 *
 * Deliberately small: the three behaviours the registry lists
 * (`record`, `time-series`, `adhoc`) and two standard classes, XDM Individual Profile and XDM
 * ExperienceEvent, each with a subset of its real fields in Compatibility Mode (no `xdm:`
 * prefixes). No global field groups or data types: a schema that references one gets the
 * registry's "not found" answer. Field definitions follow adobe/xdm's `schemas/data/*.schema.json`.
 */

/** Global resources are served as stored; `meta:registryMetadata` is fixed so the data stays stable. */
const GLOBAL_LIB_VERSION = '1.50.1';
const GLOBAL_CREATED_MS = 1_546_300_800_000; // 2019-01-01, well before anything a test creates

/** Adds the fixed registry metadata; the eTag is derived from the `$id` so it is stable across runs. */
function withRegistryMetadata(resource: Record<string, any>): Record<string, any> {
  return {
    ...resource,
    'meta:registryMetadata': {
      'repo:createdDate': GLOBAL_CREATED_MS,
      'repo:lastModifiedDate': GLOBAL_CREATED_MS,
      eTag: createHash('sha256').update(resource.$id).digest('hex'),
      'meta:globalLibVersion': GLOBAL_LIB_VERSION,
    },
  };
}

const idField = {
  title: 'Identifier',
  type: 'string',
  format: 'uri-reference',
  description: 'A unique identifier for the record.',
  'meta:xdmType': 'string',
};

/** Behaviours (`GET /global/behaviors`): a class extends exactly one of `record` or `time-series`. */
export const GLOBAL_BEHAVIORS: readonly Record<string, any>[] = [
  {
    $id: 'https://ns.adobe.com/xdm/data/record',
    'meta:altId': '_xdm.data.record',
    'meta:resourceType': 'behaviors',
    version: '1.0',
    title: 'Record Schema',
    type: 'object',
    description: 'Used to indicate the behaviour of record data semantic when composed into data Schemas.',
    definitions: { record: { properties: { _id: idField } } },
    allOf: [{ $ref: '#/definitions/record', type: 'object', 'meta:xdmType': 'object' }],
    'meta:extensible': true,
    'meta:abstract': true,
    'meta:xdmType': 'object',
    'meta:status': 'stable',
    $schema: 'http://json-schema.org/draft-06/schema#',
    'meta:containerId': 'global',
  },
  {
    $id: 'https://ns.adobe.com/xdm/data/time-series',
    'meta:altId': '_xdm.data.time-series',
    'meta:resourceType': 'behaviors',
    version: '1.0',
    title: 'Time-series Schema',
    type: 'object',
    description: 'Used to indicate time partitioned data usage semantics when composed into data Schemas.',
    definitions: {
      'time-series': {
        properties: {
          _id: { ...idField, description: 'The unique identifier for the time-series event.' },
          timestamp: {
            title: 'Timestamp',
            type: 'string',
            format: 'date-time',
            description: 'The time when an event or observation occurred.',
            'meta:xdmType': 'date-time',
          },
        },
        required: ['_id', 'timestamp'],
      },
    },
    allOf: [{ $ref: '#/definitions/time-series', type: 'object', 'meta:xdmType': 'object' }],
    'meta:extensible': true,
    'meta:abstract': true,
    'meta:xdmType': 'object',
    'meta:status': 'stable',
    $schema: 'http://json-schema.org/draft-06/schema#',
    'meta:containerId': 'global',
  },
  {
    $id: 'https://ns.adobe.com/xdm/data/adhoc',
    'meta:altId': '_xdm.data.adhoc',
    'meta:resourceType': 'behaviors',
    version: '1.0',
    title: 'Ad Hoc Schema',
    type: 'object',
    description: 'Used to indicate the behaviour of ad hoc data when composed into data Schemas.',
    definitions: { adhoc: { properties: { _id: idField } } },
    allOf: [{ $ref: '#/definitions/adhoc', type: 'object', 'meta:xdmType': 'object' }],
    'meta:extensible': true,
    'meta:abstract': true,
    'meta:xdmType': 'object',
    'meta:status': 'stable',
    $schema: 'http://json-schema.org/draft-06/schema#',
    'meta:containerId': 'global',
  },
].map(withRegistryMetadata);

/** The behaviours a custom class may extend (the spec's create-class payload names exactly these two). */
export const CLASS_BEHAVIOR_IDS: readonly string[] = ['https://ns.adobe.com/xdm/data/record', 'https://ns.adobe.com/xdm/data/time-series'];

const stringField = (title: string, description: string, format?: string) => ({
  title,
  type: 'string',
  ...(format ? { format } : {}),
  description,
  'meta:xdmType': format === 'date-time' ? 'date-time' : 'string',
});

/** Standard classes a tenant schema may implement (`GET /global/classes`). */
export const GLOBAL_CLASSES: readonly Record<string, any>[] = [
  {
    $id: 'https://ns.adobe.com/xdm/context/profile',
    'meta:altId': '_xdm.context.profile',
    'meta:resourceType': 'classes',
    version: '1.0',
    title: 'XDM Individual Profile',
    type: 'object',
    description: 'A singular representation of the attributes and interests of an individual.',
    definitions: {
      profile: {
        properties: {
          personID: stringField('Person ID', 'Unique identifier of the person.'),
          createdByBatchID: stringField('Created by batch identifier', 'The dataset files that created the record.', 'uri-reference'),
          modifiedByBatchID: stringField('Modified by batch identifier', 'The last dataset files that modified the record.', 'uri-reference'),
          repositoryCreatedBy: stringField('Created by user identifier', 'User ID of who created the record.'),
          repositoryLastModifiedBy: stringField('Modified by user identifier', 'User ID of who last modified the record.'),
        },
      },
    },
    allOf: [
      { $ref: 'https://ns.adobe.com/xdm/data/record', type: 'object', 'meta:xdmType': 'object' },
      { $ref: '#/definitions/profile', type: 'object', 'meta:xdmType': 'object' },
    ],
    'meta:extensible': true,
    'meta:abstract': true,
    'meta:extends': ['https://ns.adobe.com/xdm/data/record'],
    'meta:xdmType': 'object',
    'meta:status': 'stable',
    $schema: 'http://json-schema.org/draft-06/schema#',
    'meta:containerId': 'global',
  },
  {
    $id: 'https://ns.adobe.com/xdm/context/experienceevent',
    'meta:altId': '_xdm.context.experienceevent',
    'meta:resourceType': 'classes',
    version: '1.0',
    title: 'XDM ExperienceEvent',
    type: 'object',
    description: 'A fact record of what occurred, including the point in time and identity of the individual involved.',
    definitions: {
      experienceevent: {
        properties: {
          eventType: stringField('Event Type', 'The primary event type for this time-series record.'),
          producedBy: stringField('Produced By', 'A value that describes the producer of the event.'),
        },
      },
    },
    allOf: [
      { $ref: 'https://ns.adobe.com/xdm/data/time-series', type: 'object', 'meta:xdmType': 'object' },
      { $ref: '#/definitions/experienceevent', type: 'object', 'meta:xdmType': 'object' },
    ],
    'meta:extensible': true,
    'meta:abstract': true,
    'meta:extends': ['https://ns.adobe.com/xdm/data/time-series'],
    'meta:xdmType': 'object',
    'meta:status': 'stable',
    $schema: 'http://json-schema.org/draft-06/schema#',
    'meta:containerId': 'global',
  },
].map(withRegistryMetadata);

/** The behaviour (`record` or `time-series`) a global class extends. */
export function globalClassBehavior(classId: string): string | undefined {
  const found = GLOBAL_CLASSES.find((c) => c.$id === classId);
  return found?.['meta:extends']?.[0];
}

/** A global behaviour by `$id` or `meta:altId`. */
export function findGlobalBehavior(idOrAltId: string): Record<string, any> | undefined {
  return GLOBAL_BEHAVIORS.find((b) => b.$id === idOrAltId || b['meta:altId'] === idOrAltId);
}

/** A global class by `$id` or `meta:altId`. */
export function findGlobalClass(idOrAltId: string): Record<string, any> | undefined {
  return GLOBAL_CLASSES.find((c) => c.$id === idOrAltId || c['meta:altId'] === idOrAltId);
}
