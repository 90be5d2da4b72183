import type { ForwardKind } from './onboarding.js';

const FLOW = '/data/foundation/flowservice';
const REGISTRY = '/data/foundation/schemaregistry';
const CATALOG = '/data/foundation/catalog';
const CONVERSION = '/data/foundation/conversion';

/** The Platform calls each step kind makes when nothing goes wrong (retries and lookups aside). */
export const STEP_CALLS: Record<ForwardKind, { method: string; path: string; purpose: string }[]> = {
  CREATE_CONNECTION: [
    { method: 'POST', path: `${FLOW}/connections`, purpose: 'create the Stripe base connection with the access token' },
    { method: 'GET', path: `${FLOW}/connections/{id}`, purpose: 'read it back (etag, state)' },
  ],
  TEST_CONNECTION: [{ method: 'GET', path: `${FLOW}/connections/{id}/test`, purpose: 'check the Platform reaches Stripe with the token' }],
  EXPLORE: [{ method: 'GET', path: `${FLOW}/connections/{id}/explore?objectType=rest&object=json&fileType=json&sourceParams={base64}`, purpose: 'infer the schema of the Stripe resource' }],
  CREATE_SOURCE_CONNECTION: [
    { method: 'POST', path: `${FLOW}/sourceConnections`, purpose: 'source connection for the resource path' },
    { method: 'GET', path: `${FLOW}/sourceConnections/{id}`, purpose: 'read it back' },
  ],
  CREATE_XDM_SCHEMA: [
    { method: 'POST', path: `${REGISTRY}/tenant/classes`, purpose: 'record class' },
    { method: 'POST', path: `${REGISTRY}/tenant/fieldgroups`, purpose: 'tenant field group mirroring the explored schema' },
    { method: 'POST', path: `${REGISTRY}/tenant/schemas`, purpose: 'schema of class and field group' },
    { method: 'GET', path: `${REGISTRY}/tenant/schemas/{id}`, purpose: 'read it back (version, eTag)' },
  ],
  CREATE_DATASET: [
    { method: 'POST', path: `${CATALOG}/dataSets`, purpose: 'dataset for the schema' },
    { method: 'GET', path: `${CATALOG}/dataSets/{id}`, purpose: 'read it back' },
  ],
  CREATE_TARGET_CONNECTION: [
    { method: 'GET', path: `${REGISTRY}/tenant/schemas/{id}`, purpose: 'the schema version the target names' },
    { method: 'POST', path: `${FLOW}/targetConnections`, purpose: 'data lake target connection to the dataset' },
    { method: 'GET', path: `${FLOW}/targetConnections/{id}`, purpose: 'read it back' },
  ],
  CREATE_MAPPING: [
    { method: 'GET', path: `${REGISTRY}/tenant/schemas/{id}`, purpose: 'the schema version the mapping writes' },
    { method: 'POST', path: `${CONVERSION}/mappingSets`, purpose: 'mapping set data.x → _{tenant}.{resource}_data.x' },
    { method: 'GET', path: `${CONVERSION}/mappingSets/{id}`, purpose: 'read it back (version)' },
  ],
  CREATE_DATAFLOW: [
    { method: 'POST', path: `${FLOW}/flows`, purpose: 'dataflow from source to target through the mapping, on the schedule' },
    { method: 'GET', path: `${FLOW}/flows/{id}`, purpose: 'read it back (etag, state)' },
  ],
};

/** The number of calls on the longest chain of dependent steps. */
export function criticalPathCalls(steps: { key: string; kind: ForwardKind; dependsOn: string[] }[]): number {
  const memo = new Map<string, number>();
  const cost = (key: string): number => {
    const known = memo.get(key);
    if (known !== undefined) return known;
    const step = steps.find((s) => s.key === key)!;
    const value = STEP_CALLS[step.kind].length + Math.max(0, ...step.dependsOn.map(cost));
    memo.set(key, value);
    return value;
  };
  return Math.max(0, ...steps.map((s) => cost(s.key)));
}
