import { primaryOrgId } from '../../../emulator/config.js';
import type { TestStack } from './stack.js';

/**
 * Reading what the emulator holds, the way a client of the Platform would: over its HTTP API
 * with a token, or through its control API. Tests compare this with what Flowgate stored.
 */

const tokens = new Map<string, Promise<string>>();

function tokenFor(stack: TestStack): Promise<string> {
  const url = stack.emulator.url;
  let token = tokens.get(url);
  if (!token) {
    const form = new URLSearchParams({ grant_type: 'client_credentials', client_id: stack.emulator.options.clientId, client_secret: stack.emulator.options.clientSecret, scope: 'openid' });
    token = fetch(`${url}/ims/token/v3`, { method: 'POST', body: form }).then(async (r) => ((await r.json()) as { access_token: string }).access_token);
    tokens.set(url, token);
  }
  return token;
}

/** GET on the emulator's Platform API in sandbox `prod`; returns status and parsed body. */
export async function platformGet(stack: TestStack, path: string, accept = 'application/json'): Promise<{ status: number; body: any }> {
  const response = await fetch(`${stack.emulator.url}${path}`, {
    headers: {
      authorization: `Bearer ${await tokenFor(stack)}`,
      'x-api-key': stack.emulator.options.clientId,
      'x-gw-ims-org-id': primaryOrgId(stack.emulator.options),
      'x-sandbox-name': 'prod',
      accept,
    },
  });
  const text = await response.text();
  return { status: response.status, body: text ? JSON.parse(text) : undefined };
}

/** One Flow Service resource (`/connections`, `/sourceConnections`…) by id, unwrapped from `items`. */
export async function flowServiceResource(stack: TestStack, collection: string, id: string): Promise<any> {
  const { status, body } = await platformGet(stack, `/data/foundation/flowservice/${collection}/${encodeURIComponent(id)}`);
  if (status !== 200) throw new Error(`GET ${collection}/${id} answered ${status}: ${JSON.stringify(body)}`);
  return body.items[0];
}

/** What the emulator holds in the `prod` sandbox of the test org, per kind. */
export interface EmulatorCounts {
  connections: number;
  sourceConnections: number;
  targetConnections: number;
  flows: number;
  mappingSets: number;
  datasets: number;
  schemas: number;
  fieldGroups: number;
  classes: number;
}

export async function emulatorCounts(stack: TestStack): Promise<EmulatorCounts> {
  const { partitions } = (await stack.control('GET', '/resources')) as { partitions: (EmulatorCounts & { sandboxName: string; orgId: string })[] };
  const prod = partitions.find((p) => p.sandboxName === 'prod' && p.orgId === stack.emulator.options.orgIds[0]);
  return prod ?? { connections: 0, sourceConnections: 0, targetConnections: 0, flows: 0, mappingSets: 0, datasets: 0, schemas: 0, fieldGroups: 0, classes: 0 };
}

/** How many operations Flowgate has recorded (to show a refused mutation wrote nothing). */
export async function operationCount(stack: TestStack): Promise<number> {
  const { count } = await stack.sqlRow<{ count: string }>('SELECT count(*) FROM operations');
  return Number(count);
}

/** A Stripe key the emulator accepts for explore and runs. */
export const STRIPE_KEY = 'sk_test_51FlowgateSliceKey000001';

/** Creates a base connection through GraphQL; with `wait`, until its operation SUCCEEDED. Returns its Flowgate id and operation id. */
export async function createConnection(stack: TestStack, name: string, options: { accessToken?: string; wait?: boolean } = {}): Promise<{ id: string; operationId: string }> {
  const { createConnection: op } = await stack.data(`mutation($input: CreateConnectionInput!) { createConnection(input: $input) { id resourceId } }`, {
    input: { name, accessToken: options.accessToken ?? STRIPE_KEY },
  });
  if (options.wait !== false) {
    const done = await stack.waitForOperation(op.id);
    if (done.status !== 'SUCCEEDED') throw new Error(`connection ${name} did not get created: ${JSON.stringify(done.error)}`);
  }
  return { id: op.resourceId, operationId: op.id };
}

/** Requests the emulator logged with this method and a path starting with `pathPrefix`. */
export async function loggedRequests(stack: TestStack, method: string, pathPrefix: string): Promise<LoggedRequest[]> {
  const { requests } = (await stack.control('GET', `/requests?method=${method}&path=${encodeURIComponent(pathPrefix)}`)) as { requests: LoggedRequest[] };
  return requests;
}

export interface LoggedRequest {
  method: string;
  path: string;
  query: string;
  status: number;
  fault?: { id: number; mode: string };
}

/**
 * Makes the next POST to `path` commit on the emulator and then drop the connection, so the
 * gateway never hears the answer; clears the request log so `loggedRequests` shows what follows.
 */
export async function dropNextCreateAnswer(stack: TestStack, path: string): Promise<void> {
  await stack.control('DELETE', '/requests');
  await stack.control('POST', '/faults', { method: 'POST', path, mode: 'commit-then-drop', count: 1 });
}
