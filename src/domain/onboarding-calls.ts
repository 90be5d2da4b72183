import type { ForwardKind } from './onboarding.js';

const FLOW = '/data/foundation/flowservice';
const REGISTRY = '/data/foundation/schemaregistry';
const CATALOG = '/data/foundation/catalog';
const CONVERSION = '/data/foundation/conversion';

/** One Platform call a step makes. `offChain`: made after the step's outcome is recorded, so nothing waits for it. */
export interface StepCall {
  method: string;
  path: string;
  purpose: string;
  offChain?: boolean;
}

/**
 * The Platform calls each step kind makes when nothing goes wrong — and no other: a create's
 * answer carries the id and etag, so nothing is read back on the chain; the deterministic-name
 * lookup runs only when a create's outcome is unknown (a retry, a lost answer). Per-process
 * look-ups that are cached (the IMS token, the registry's tenant id) are not counted.
 */
export const STEP_CALLS: Record<ForwardKind, StepCall[]> = {
  CREATE_CONNECTION: [{ method: 'POST', path: `${FLOW}/connections`, purpose: 'create the Stripe base connection with the access token (the answer carries id and etag)' }],
  TEST_CONNECTION: [{ method: 'GET', path: `${FLOW}/connections/{id}/test`, purpose: 'check the Platform reaches Stripe with the token' }],
  EXPLORE: [
    {
      method: 'GET',
      path: `${FLOW}/connections/{id}/explore?objectType=rest&object=json&fileType=json&sourceParams={base64}`,
      purpose: 'infer the schema of the Stripe resource (used by its schema and its mapping)',
    },
  ],
  CREATE_XDM_CLASS: [{ method: 'POST', path: `${REGISTRY}/tenant/classes`, purpose: 'the record class every schema of the onboarding shares' }],
  CREATE_SOURCE_CONNECTION: [{ method: 'POST', path: `${FLOW}/sourceConnections`, purpose: 'source connection for the resource path' }],
  CREATE_XDM_SCHEMA: [
    { method: 'POST', path: `${REGISTRY}/tenant/fieldgroups`, purpose: 'tenant field group mirroring the explored schema' },
    { method: 'POST', path: `${REGISTRY}/tenant/schemas`, purpose: 'schema of the shared class and the field group (the answer carries version and eTag)' },
  ],
  CREATE_DATASET: [
    { method: 'POST', path: `${CATALOG}/dataSets`, purpose: 'dataset for the schema (Catalog answers the id only)' },
    { method: 'GET', path: `${CATALOG}/dataSets/{id}`, purpose: 'its version (the etag), read after the step is recorded', offChain: true },
  ],
  CREATE_TARGET_CONNECTION: [{ method: 'POST', path: `${FLOW}/targetConnections`, purpose: 'data lake target connection to the dataset, with the schema version recorded when it was made' }],
  CREATE_MAPPING: [{ method: 'POST', path: `${CONVERSION}/mappingSets`, purpose: 'mapping set data.x → _{tenant}.{resource}_data.x (the answer carries id and version)' }],
  CREATE_DATAFLOW: [{ method: 'POST', path: `${FLOW}/flows`, purpose: 'dataflow from source to target through the mapping, on the schedule (the answer carries id and etag)' }],
};

/** Every Platform call of the steps. */
export function totalCalls(steps: { kind: ForwardKind }[]): number {
  return steps.reduce((n, s) => n + STEP_CALLS[s.kind].length, 0);
}

/** The number of calls on the longest chain of dependent steps (off-chain reads left out). */
export function criticalPathCalls(steps: { key: string; kind: ForwardKind; dependsOn: string[] }[]): number {
  const memo = new Map<string, number>();
  const cost = (key: string): number => {
    const known = memo.get(key);
    if (known !== undefined) return known;
    const step = steps.find((s) => s.key === key)!;
    const value = STEP_CALLS[step.kind].filter((c) => !c.offChain).length + Math.max(0, ...step.dependsOn.map(cost));
    memo.set(key, value);
    return value;
  };
  return Math.max(0, ...steps.map((s) => cost(s.key)));
}
