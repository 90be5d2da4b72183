/**
 * The connection and flow specifications the emulator knows: Stripe (source), the data lake
 * (target) and the generic REST flow spec Stripe uses. Ids, names and parameter names are
 * Adobe's (PLATFORM-API.md §3); descriptions are ours.
 */
import { STRIPE_RESOURCE_PATHS } from '../../stripe/stripe-resources.js';

export const STRIPE_CONNECTION_SPEC_ID = 'cc2c31d6-7b8c-4581-b49f-5c8698aa3ab3';
export const DATA_LAKE_CONNECTION_SPEC_ID = 'c604ff05-7f1a-43c0-8e18-33bf874cb11c';
export const REST_FLOW_SPEC_ID = '6499120c-0b15-42dc-936e-847ea3c24d72';
export const STRIPE_AUTH_SPEC_NAME = 'OAuth2 Refresh Code';
export const SPEC_VERSION = '1.0';

export const FREQUENCIES = ['once', 'minute', 'hour', 'day', 'week'] as const;
export type Frequency = (typeof FREQUENCIES)[number];
/** Smallest interval per frequency (flow spec `RestStorageToAEP` schedule rules). */
export const MIN_INTERVAL: Record<Exclude<Frequency, 'once'>, number> = { minute: 15, hour: 1, day: 1, week: 1 };

export const STRIPE_CONNECTION_SPEC = {
  id: STRIPE_CONNECTION_SPEC_ID,
  name: 'Stripe',
  providerId: '0ed90a81-07f4-4586-8190-b40eccef1c5a',
  version: SPEC_VERSION,
  authSpec: [
    {
      name: STRIPE_AUTH_SPEC_NAME,
      type: 'OAuth2RefreshCode',
      spec: {
        $schema: 'http://json-schema.org/draft-07/schema#',
        type: 'object',
        description: 'Authenticates with a Stripe secret API key.',
        properties: {
          accessToken: { type: 'string', format: 'password', description: 'Secret key from the API keys page of the Stripe dashboard.' },
        },
        required: ['accessToken'],
      },
    },
  ],
  sourceSpec: {
    name: 'Stripe',
    type: 'REST',
    spec: {
      $schema: 'http://json-schema.org/draft-07/schema#',
      type: 'object',
      description: 'Parameters of a Stripe source connection.',
      properties: {
        resourcePath: { type: 'string', enum: [...STRIPE_RESOURCE_PATHS], description: 'The Stripe resource to ingest.' },
      },
      required: ['resourcePath'],
    },
    attributes: {
      uiAttributes: { isSource: true, category: 'payments', label: 'Stripe', description: 'Ingest payment data from a Stripe account.' },
    },
  },
  exploreSpec: {
    name: 'Resource',
    type: 'Resource',
    requestSpec: {
      $schema: 'http://json-schema.org/draft-07/schema#',
      type: 'object',
      properties: { resourcePath: { type: 'string', enum: [...STRIPE_RESOURCE_PATHS] } },
      required: ['resourcePath'],
    },
  },
  attributes: { category: 'Payments', connectorName: 'Stripe', isSource: true },
} as const;

export const DATA_LAKE_CONNECTION_SPEC = {
  id: DATA_LAKE_CONNECTION_SPEC_ID,
  name: 'Data Lake',
  providerId: '521eee4d-8cbe-4906-bb48-fb6bd4450033',
  version: SPEC_VERSION,
  authSpec: [],
  targetSpec: {
    name: 'Data Lake',
    type: 'DataLake',
    spec: {
      $schema: 'http://json-schema.org/draft-07/schema#',
      type: 'object',
      description: 'Parameters of a data lake target connection.',
      properties: { dataSetId: { type: 'string', description: 'The Catalog dataset to write into.' } },
      required: ['dataSetId'],
    },
  },
  attributes: { category: 'Data Lake', connectorName: 'Data Lake', isSource: false },
} as const;

export const REST_FLOW_SPEC = {
  id: REST_FLOW_SPEC_ID,
  name: 'RestStorageToAEP',
  providerId: '0ed90a81-07f4-4586-8190-b40eccef1c5a',
  version: SPEC_VERSION,
  sourceConnectionSpecIds: [STRIPE_CONNECTION_SPEC_ID],
  targetConnectionSpecIds: [DATA_LAKE_CONNECTION_SPEC_ID],
  transformationSpecs: [
    {
      name: 'Mapping',
      spec: {
        $schema: 'http://json-schema.org/draft-07/schema#',
        type: 'object',
        properties: { mappingId: { type: 'string' }, mappingVersion: { type: 'string' } },
        required: ['mappingId', 'mappingVersion'],
      },
    },
  ],
  scheduleSpec: {
    name: 'PeriodicSchedule',
    type: 'PeriodicSchedule',
    spec: {
      $schema: 'http://json-schema.org/draft-07/schema#',
      type: 'object',
      properties: {
        startTime: { type: 'integer', description: 'Epoch seconds of the first run.' },
        frequency: { type: 'string', enum: [...FREQUENCIES] },
        interval: { type: 'integer', description: 'Frequency units between two runs.' },
        backfill: { type: 'boolean', default: true },
      },
      required: ['startTime', 'frequency'],
      if: { properties: { frequency: { const: 'once' } } },
      then: { not: { anyOf: [{ required: ['interval'] }, { required: ['backfill'] }] } },
      else: {
        required: ['interval'],
        if: { properties: { frequency: { const: 'minute' } } },
        then: { properties: { interval: { minimum: MIN_INTERVAL.minute } } },
        else: { properties: { interval: { minimum: 1 } } },
      },
    },
  },
  // flow-service.yaml's flow spec example: a batch source flow whose runs notify the sources category.
  attributes: { isSourceFlow: true, flacValidationSupported: true, frequency: 'batch', notification: { category: 'sources', flowRun: { enabled: true } } },
} as const;

export const CONNECTION_SPECS = [STRIPE_CONNECTION_SPEC, DATA_LAKE_CONNECTION_SPEC] as const;
export const FLOW_SPECS = [REST_FLOW_SPEC] as const;
