import { primaryOrgId } from '../../../emulator/config.js';
import { createConnection } from './platform-reads.js';
import { OPERATION_FIELDS, uniqueName, type GraphQLResult, type TestStack } from './stack.js';

/**
 * The resources a target connection, mapping or dataflow stands on, built the way a user builds
 * them: through the GraphQL mutations, each operation awaited until SUCCEEDED.
 */

export const RESOURCE_FIELDS = 'id platformId name description etag state';

export interface Created {
  id: string;
  platformId: string;
  name: string;
  etag: string | null;
  state: string;
}

export interface Upstream {
  connection: Created;
  source: Created;
  schema: Created & { fields: { path: string; type: string; source: string | null }[]; tenantNamespace: string };
  dataset: Created;
}

export interface FlowChain extends Upstream {
  target: Created;
  mapping: Created & { version: number; fieldMappings: { source: string; destination: string; sourceType: string }[] };
}

/** Sends a create mutation `field(input: $input)` and returns the raw GraphQL result. */
export function mutate(stack: TestStack, field: string, inputType: string, input: Record<string, unknown>, headers: Record<string, string> = {}): Promise<GraphQLResult> {
  return stack.gql(`mutation($input: ${inputType}!) { ${field}(input: $input) { ${OPERATION_FIELDS} } }`, { input }, headers);
}

/** Sends a create mutation and waits for its operation; fails unless it SUCCEEDED. Returns the operation. */
export async function mutateAndWait(stack: TestStack, field: string, inputType: string, input: Record<string, unknown>, headers: Record<string, string> = {}): Promise<any> {
  const result = await mutate(stack, field, inputType, input, headers);
  if (result.errors?.length) throw new Error(`${field} refused: ${JSON.stringify(result.errors)}`);
  const done = await stack.waitForOperation(result.data[field].id, 60_000, headers);
  if (done.status !== 'SUCCEEDED') throw new Error(`${field} ended ${done.status}: ${JSON.stringify(done.error)}`);
  return done;
}

/** A base connection, a source connection for `resource`, an XDM schema mirroring it and a dataset. */
export async function buildUpstream(stack: TestStack, resource: 'CHARGES' | 'CUSTOMERS' | 'REFUNDS' = 'CHARGES', options: { accessToken?: string } = {}): Promise<Upstream> {
  const label = uniqueName(`Stripe ${resource.toLowerCase()}`);
  const { id: connectionId } = await createConnection(stack, label, options);
  const sourceOp = await mutateAndWait(stack, 'createSourceConnection', 'CreateSourceConnectionInput', { connectionId, resource });
  const schemaOp = await mutateAndWait(stack, 'createXdmSchema', 'CreateXdmSchemaInput', { name: `${label} schema`, sourceConnectionId: sourceOp.resourceId });
  const datasetOp = await mutateAndWait(stack, 'createDataset', 'CreateDatasetInput', { name: `${label} dataset`, schemaId: schemaOp.resourceId });
  const data = await stack.data(
    `query($c: ID!, $s: ID!, $x: ID!, $d: ID!) {
      connection(id: $c) { ${RESOURCE_FIELDS} }
      sourceConnection(id: $s) { ${RESOURCE_FIELDS} }
      xdmSchema(id: $x) { ${RESOURCE_FIELDS} tenantNamespace fields { path type source } }
      dataset(id: $d) { ${RESOURCE_FIELDS} }
    }`,
    { c: connectionId, s: sourceOp.resourceId, x: schemaOp.resourceId, d: datasetOp.resourceId },
  );
  return { connection: data.connection, source: data.sourceConnection, schema: data.xdmSchema, dataset: data.dataset };
}

/** A target connection into the dataset and a generated mapping, on top of `upstream`. */
export async function buildFlowChain(stack: TestStack, upstream?: Upstream): Promise<FlowChain> {
  const base = upstream ?? (await buildUpstream(stack));
  const targetOp = await mutateAndWait(stack, 'createTargetConnection', 'CreateTargetConnectionInput', { datasetId: base.dataset.id });
  const mappingOp = await mutateAndWait(stack, 'createMapping', 'CreateMappingInput', { schemaId: base.schema.id, sourceConnectionId: base.source.id });
  const data = await stack.data(
    `query($t: ID!, $m: ID!) {
      targetConnection(id: $t) { ${RESOURCE_FIELDS} }
      mapping(id: $m) { ${RESOURCE_FIELDS} version fieldMappings { source destination sourceType } }
    }`,
    { t: targetOp.resourceId, m: mappingOp.resourceId },
  );
  return { ...base, target: data.targetConnection, mapping: data.mapping };
}

/** Puts the emulator clock under the test's control, at the current real time. */
export async function freezeEmulatorClock(stack: TestStack): Promise<number> {
  const now = Math.floor(Date.now() / 1000);
  await stack.control('POST', '/clock', { now });
  return now;
}

const tokens = new Map<string, Promise<string>>();

/**
 * A call on the emulator's Platform API in sandbox `prod`, as another Platform client would make
 * it (used to change a resource behind Flowgate's back).
 */
export async function platformRequest(stack: TestStack, method: string, path: string, options: { body?: unknown; ifMatch?: string } = {}): Promise<{ status: number; body: any }> {
  let token = tokens.get(stack.emulator.url);
  if (!token) {
    const form = new URLSearchParams({ grant_type: 'client_credentials', client_id: stack.emulator.options.clientId, client_secret: stack.emulator.options.clientSecret, scope: 'openid' });
    token = fetch(`${stack.emulator.url}/ims/token/v3`, { method: 'POST', body: form }).then(async (r) => ((await r.json()) as { access_token: string }).access_token);
    tokens.set(stack.emulator.url, token);
  }
  const response = await fetch(`${stack.emulator.url}${path}`, {
    method,
    headers: {
      authorization: `Bearer ${await token}`,
      'x-api-key': stack.emulator.options.clientId,
      'x-gw-ims-org-id': primaryOrgId(stack.emulator.options),
      'x-sandbox-name': 'prod',
      ...(options.body !== undefined ? { 'content-type': 'application/json' } : {}),
      ...(options.ifMatch !== undefined ? { 'if-match': options.ifMatch } : {}),
    },
    body: options.body === undefined ? undefined : JSON.stringify(options.body),
  });
  const text = await response.text();
  return { status: response.status, body: text ? JSON.parse(text) : undefined };
}

/** A mapping set as Data Prep holds it (latest version unless `version`). */
export async function platformMappingSet(stack: TestStack, id: string, version?: number): Promise<any> {
  const { status, body } = await platformRequest(stack, 'GET', `/data/foundation/conversion/mappingSets/${encodeURIComponent(id)}${version === undefined ? '' : `?version=${version}`}`);
  if (status !== 200) throw new Error(`GET mappingSets/${id} answered ${status}: ${JSON.stringify(body)}`);
  return body;
}

/** Rows in a table: compared before and after a refused mutation, it shows nothing was written. */
export async function countOf(stack: TestStack, table: 'operations' | 'resources'): Promise<number> {
  const { count } = await stack.sqlRow<{ count: string }>(`SELECT count(*) FROM ${table}`);
  return Number(count);
}
