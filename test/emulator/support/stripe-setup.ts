import assert from 'node:assert/strict';
import { CATALOG, CONVERSION, FLOW, REGISTRY, sourceParams, type PlatformTestClient } from './emulator-client.js';

export const STRIPE_SPEC = 'cc2c31d6-7b8c-4581-b49f-5c8698aa3ab3';
export const DATA_LAKE_SPEC = 'c604ff05-7f1a-43c0-8e18-33bf874cb11c';
export const REST_FLOW_SPEC = '6499120c-0b15-42dc-936e-847ea3c24d72';
export const RECORD_BEHAVIOR = 'https://ns.adobe.com/xdm/data/record';
export const XDM_FULL_V1 = 'application/vnd.adobe.xed-full+json;version=1';
export const VALID_STRIPE_KEY = 'sk_test_51FlowgateEmulatorKey0001';

type Node = { type?: string; properties?: Record<string, Node>; items?: Node; minimum?: number; maximum?: number };

/** An XDM field mirroring an explore node; untyped (`{}`, i.e. null in the sample) fields become strings. */
export function xdmFromExplore(node: Node): Record<string, unknown> {
  switch (node.type) {
    case 'object':
      return { type: 'object', properties: Object.fromEntries(Object.entries(node.properties ?? {}).map(([k, v]) => [k, xdmFromExplore(v)])) };
    case 'array':
      return { type: 'array', items: node.items && node.items.type ? xdmFromExplore(node.items) : { type: 'string' } };
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

/** Every leaf path under `data` of an explore schema, e.g. `data.amount`. */
export function exploreLeafPaths(node: Node, prefix = ''): string[] {
  if (node.type === 'object' && node.properties && Object.keys(node.properties).length > 0) {
    return Object.entries(node.properties).flatMap(([k, v]) => exploreLeafPaths(v, prefix ? `${prefix}.${k}` : k));
  }
  return prefix ? [prefix] : [];
}

export interface StripeChain {
  connectionId: string;
  explore: any;
  sourceConnectionId: string;
  classId: string;
  fieldGroupId: string;
  schemaId: string;
  schemaVersion: string;
  datasetId: string;
  targetConnectionId: string;
  mappingSetId: string;
}

/**
 * Builds, through the Platform APIs, everything a Stripe flow needs for one resource:
 * base connection, explore, source connection, XDM class + tenant field group + schema,
 * dataset, target connection and a mapping set (`data.x` → `_{tenant}.{resource}_data.x`).
 */
export async function buildStripeChain(
  client: PlatformTestClient,
  options: { resource?: string; tenant?: string; accessToken?: string; sandbox?: string; suffix?: string } = {},
): Promise<StripeChain> {
  const resource = options.resource ?? 'charges';
  const tenant = options.tenant ?? 'flowgatelocal';
  const suffix = options.suffix ?? `${resource}-${Math.random().toString(36).slice(2, 8)}`;
  const req = { sandbox: options.sandbox };
  const ok = (response: { status: number; text: string }, status: number, what: string) => assert.equal(response.status, status, `${what}: ${response.text}`);

  const connection = await client.post(
    `${FLOW}/connections`,
    {
      name: `Stripe ${suffix}`,
      connectionSpec: { id: STRIPE_SPEC, version: '1.0' },
      auth: { specName: 'OAuth2 Refresh Code', params: { accessToken: options.accessToken ?? VALID_STRIPE_KEY } },
    },
    req,
  );
  ok(connection, 201, 'create connection');
  const connectionId = connection.body.id;

  const explore = await client.get(`${FLOW}/connections/${connectionId}/explore`, {
    ...req,
    query: { objectType: 'rest', object: 'json', fileType: 'json', preview: 'false', sourceParams: sourceParams(resource) },
  });
  ok(explore, 200, 'explore');

  const source = await client.post(
    `${FLOW}/sourceConnections`,
    {
      name: `Stripe source ${suffix}`,
      baseConnectionId: connectionId,
      connectionSpec: { id: STRIPE_SPEC, version: '1.0' },
      data: { format: 'json' },
      params: { resourcePath: resource },
    },
    req,
  );
  ok(source, 201, 'create source connection');

  const klass = await client.post(
    `${REGISTRY}/tenant/classes`,
    {
      type: 'object',
      title: `Stripe ${suffix} class`,
      description: 'Class for Stripe records',
      allOf: [{ $ref: RECORD_BEHAVIOR }],
    },
    req,
  );
  ok(klass, 201, 'create class');
  const classId = klass.body.$id;

  const fieldGroup = await client.post(
    `${REGISTRY}/tenant/fieldgroups`,
    {
      type: 'object',
      title: `Stripe ${suffix} fields`,
      description: 'Stripe fields',
      'meta:intendedToExtend': [classId],
      definitions: {
        stripe: {
          properties: {
            [`_${tenant}`]: { type: 'object', properties: { [`${resource}_data`]: xdmFromExplore(explore.body.schema.properties.data) } },
          },
        },
      },
      allOf: [{ $ref: '#/definitions/stripe' }],
    },
    req,
  );
  ok(fieldGroup, 201, 'create field group');
  const fieldGroupId = fieldGroup.body.$id;

  const schema = await client.post(
    `${REGISTRY}/tenant/schemas`,
    {
      type: 'object',
      title: `Stripe ${suffix} schema`,
      description: 'Stripe schema',
      allOf: [{ $ref: classId }, { $ref: fieldGroupId }],
    },
    req,
  );
  ok(schema, 201, 'create schema');
  const schemaId = schema.body.$id;

  const dataset = await client.post(`${CATALOG}/dataSets`, { name: `Stripe ${suffix} dataset`, schemaRef: { id: schemaId, contentType: 'application/vnd.adobe.xed+json;version=1' } }, req);
  ok(dataset, 201, 'create dataset');
  const datasetId = (dataset.body[0] as string).replace('@/dataSets/', '');

  const target = await client.post(
    `${FLOW}/targetConnections`,
    {
      name: `Stripe target ${suffix}`,
      connectionSpec: { id: DATA_LAKE_SPEC, version: '1.0' },
      data: { format: 'parquet_xdm', schema: { id: schemaId, version: XDM_FULL_V1 } },
      params: { dataSetId: datasetId },
    },
    req,
  );
  ok(target, 201, 'create target connection');

  const mappings = exploreLeafPaths(explore.body.schema.properties.data, 'data').map((path) => ({
    sourceType: 'ATTRIBUTE',
    source: path,
    destination: `_${tenant}.${resource}_data.${path.slice('data.'.length)}`,
  }));
  const mappingSet = await client.post(`${CONVERSION}/mappingSets`, { outputSchema: { schemaRef: { id: schemaId, contentType: XDM_FULL_V1 } }, mappings }, req);
  ok(mappingSet, 200, 'create mapping set');

  return {
    connectionId,
    explore: explore.body,
    sourceConnectionId: source.body.id,
    classId,
    fieldGroupId,
    schemaId,
    schemaVersion: schema.body.version,
    datasetId,
    targetConnectionId: target.body.id,
    mappingSetId: mappingSet.body.id,
  };
}

/** A flow body for a chain, with a schedule. */
export function flowBody(chain: StripeChain, scheduleParams: Record<string, unknown>, name = 'Stripe flow'): Record<string, unknown> {
  return {
    name,
    flowSpec: { id: REST_FLOW_SPEC, version: '1.0' },
    sourceConnectionIds: [chain.sourceConnectionId],
    targetConnectionIds: [chain.targetConnectionId],
    transformations: [{ name: 'Mapping', params: { mappingId: chain.mappingSetId, mappingVersion: 0 } }],
    scheduleParams,
  };
}
