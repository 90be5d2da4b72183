import assert from 'node:assert/strict';
import { platformGet } from './platform-reads.js';
import { uniqueName, type TestStack } from './stack.js';

/**
 * Starting and watching one-call onboardings, and reading what they left on the emulator the way a
 * Platform client would: through the Platform's own list APIs, by the names Flowgate gave.
 */

export const ONBOARDING_FIELDS = `id name status progress currentStep rollbackOnFailure updatedAt finishedAt
  error { code message field platformStatus platformCode retryable }
  leftBehind { resourceType resourceId platformId reason }
  steps { key kind resource status attempts dependsOn undoes startedAt finishedAt resourceType resourceId platformId operationId error { code message platformCode } }`;

export const TERMINAL = ['SUCCEEDED', 'FAILED', 'ROLLED_BACK', 'CANCELLED'];

/** A Stripe key the emulator accepts (connection test true, explore works). */
export const GOOD_KEY = 'sk_test_51OnboardingSagaKey0001';

/** Platform paths of each step's create call, for fault rules. */
export const PATHS = {
  connections: '/data/foundation/flowservice/connections',
  connectionTest: '/data/foundation/flowservice/connections/*/test',
  explore: '/data/foundation/flowservice/connections/*/explore',
  sourceConnections: '/data/foundation/flowservice/sourceConnections',
  targetConnections: '/data/foundation/flowservice/targetConnections',
  flows: '/data/foundation/flowservice/flows',
  datasets: '/data/foundation/catalog/dataSets',
  schemas: '/data/foundation/schemaregistry/tenant/schemas',
  fieldGroups: '/data/foundation/schemaregistry/tenant/fieldgroups',
  classes: '/data/foundation/schemaregistry/tenant/classes',
  mappingSets: '/data/foundation/conversion/mappingSets',
} as const;

export interface OnboardOptions {
  name?: string;
  accessToken?: string;
  resources?: string[];
  rollbackOnFailure?: boolean;
}

/** Starts an onboarding through GraphQL; returns it as the mutation answered. */
export async function onboard(stack: TestStack, options: OnboardOptions = {}): Promise<any> {
  const input: Record<string, unknown> = {
    name: options.name ?? uniqueName('Onboarding'),
    accessToken: options.accessToken ?? GOOD_KEY,
    resources: options.resources ?? ['CHARGES'],
    schedule: { frequency: 'HOUR', interval: 1 },
  };
  if (options.rollbackOnFailure !== undefined) input.rollbackOnFailure = options.rollbackOnFailure;
  const { onboardStripe } = await stack.data(`mutation($input: OnboardStripeInput!) { onboardStripe(input: $input) { ${ONBOARDING_FIELDS} } }`, { input });
  return onboardStripe;
}

export async function readOnboarding(stack: TestStack, id: string): Promise<any> {
  const { onboarding } = await stack.data(`query($id: ID!) { onboarding(id: $id) { ${ONBOARDING_FIELDS} } }`, { id });
  return onboarding;
}

/** Polls the onboarding until `done` says so (default: a terminal status). */
export async function waitForOnboarding(stack: TestStack, id: string, done: (o: any) => boolean = (o) => TERMINAL.includes(o.status), timeoutMs = 30_000): Promise<any> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const onboarding = await readOnboarding(stack, id);
    if (done(onboarding)) return onboarding;
    if (Date.now() > deadline) throw new Error(`onboarding ${id} did not get there: ${JSON.stringify(onboarding)}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

export const step = (onboarding: any, key: string): any => {
  const found = onboarding.steps.find((s: any) => s.key === key);
  if (!found) throw new Error(`onboarding ${onboarding.id} has no step ${key}`);
  return found;
};

/** Adds fault rules to the emulator, in order (the first matching rule applies). */
export async function injectFaults(stack: TestStack, ...rules: Record<string, unknown>[]): Promise<void> {
  for (const rule of rules) {
    const answer = await stack.control('POST', '/faults', rule);
    if (!answer?.id) throw new Error(`fault rule refused: ${JSON.stringify(answer)}`);
  }
}

export const clearFaults = (stack: TestStack) => stack.control('DELETE', '/faults');

/** Platform ids of what the emulator holds, per kind, of resources whose name starts with `name` (an onboarding's name). */
export interface Inventory {
  connections: string[];
  sourceConnections: string[];
  targetConnections: string[];
  flows: string[];
  datasets: string[];
  schemas: string[];
  fieldGroups: string[];
  classes: string[];
  mappingSets: string[];
}

export const EMPTY_INVENTORY: Inventory = { connections: [], sourceConnections: [], targetConnections: [], flows: [], datasets: [], schemas: [], fieldGroups: [], classes: [], mappingSets: [] };

/** Lists every kind through the Platform's HTTP APIs (following their paging) and keeps what carries the onboarding's name. */
export async function inventory(stack: TestStack, name: string): Promise<Inventory> {
  const ours = (n: unknown) => typeof n === 'string' && n.startsWith(`${name} `);
  const get = async (path: string, accept?: string) => {
    const { status, body } = await platformGet(stack, path, accept);
    if (status !== 200) throw new Error(`GET ${path} answered ${status}: ${JSON.stringify(body)}`);
    return body;
  };
  const flowService = async (collection: string) => {
    const ids: string[] = [];
    let path: string | null = `/data/foundation/flowservice/${collection}?limit=100`;
    while (path) {
      const body = await get(path);
      ids.push(...body.items.filter((i: any) => ours(i.name)).map((i: any) => i.id));
      path = body._links?.next?.href ? `/data/foundation/flowservice${body._links.next.href}` : null;
    }
    return ids.sort();
  };
  const datasets = async () => {
    const ids: string[] = [];
    for (let start = 0; ; start += 100) {
      const page = Object.entries<any>(await get(`${PATHS.datasets}?limit=100&start=${start}`));
      ids.push(...page.filter(([, d]) => ours(d.name)).map(([id]) => id));
      if (page.length < 100) return ids.sort();
    }
  };
  const registry = async (segment: string) => {
    const body = await get(`/data/foundation/schemaregistry/tenant/${segment}`, 'application/vnd.adobe.xed-id+json');
    return (body.results as any[])
      .filter((r) => ours(r.title))
      .map((r) => r.$id as string)
      .sort();
  };
  const mappingSets = async () => {
    const ids: string[] = [];
    for (let start = 0; ; start += 1000) {
      const body = await get(`${PATHS.mappingSets}?limit=1000&start=${start}`);
      ids.push(...(body.data as any[]).filter((m) => ours(m.name)).map((m) => m.id as string));
      if (body.data.length < 1000) return ids.sort();
    }
  };
  const [connections, sourceConnections, targetConnections, flows, ds, schemas, fieldGroups, classes, mapping] = await Promise.all([
    flowService('connections'),
    flowService('sourceConnections'),
    flowService('targetConnections'),
    flowService('flows'),
    datasets(),
    registry('schemas'),
    registry('fieldgroups'),
    registry('classes'),
    mappingSets(),
  ]);
  return { connections, sourceConnections, targetConnections, flows, datasets: ds, schemas, fieldGroups, classes, mappingSets: mapping };
}

/** How many of each kind an inventory holds. */
export function counts(inv: Inventory): Record<keyof Inventory, number> {
  return Object.fromEntries(Object.entries(inv).map(([k, v]) => [k, v.length])) as Record<keyof Inventory, number>;
}

/** The inventory kind a step's resource shows up as on the Platform. */
export const KIND_OF_STEP: Record<string, keyof Inventory> = {
  CREATE_CONNECTION: 'connections',
  CREATE_SOURCE_CONNECTION: 'sourceConnections',
  CREATE_TARGET_CONNECTION: 'targetConnections',
  CREATE_DATAFLOW: 'flows',
  CREATE_DATASET: 'datasets',
  CREATE_XDM_SCHEMA: 'schemas',
  CREATE_MAPPING: 'mappingSets',
  CREATE_XDM_CLASS: 'classes',
};

/** The inventory kind of a step that creates a Platform resource; fails for a step kind that creates none. */
export function inventoryKindOf(stepKind: string): keyof Inventory {
  const kind = KIND_OF_STEP[stepKind];
  assert.ok(kind, `a ${stepKind} step creates no Platform resource`);
  return kind;
}

const LIFECYCLE = ['PENDING', 'RUNNING', 'SUCCEEDED', 'FAILED', 'CANCELLED'];

/** The statuses a step went through as the messages show them, repeats collapsed. */
export function statusesOf(messages: any[], key: string): string[] {
  const seen: string[] = [];
  for (const m of messages) {
    const s = m.onboardingProgress.steps.find((x: any) => x.key === key);
    if (s && seen[seen.length - 1] !== s.status) seen.push(s.status);
  }
  return seen;
}

/** Progress and the time of the recorded state never go back. */
export function assertNeverBackwards(messages: any[]): void {
  for (let i = 1; i < messages.length; i++) {
    const [previous, current] = [messages[i - 1].onboardingProgress, messages[i].onboardingProgress];
    assert.ok(current.progress >= previous.progress, `progress went back from ${previous.progress} to ${current.progress} (message ${i})`);
    assert.ok(Date.parse(current.updatedAt) >= Date.parse(previous.updatedAt), `message ${i} is older than the one before`);
  }
  for (const key of messages[messages.length - 1].onboardingProgress.steps.map((s: any) => s.key)) {
    const seen = statusesOf(messages, key);
    const ranks = seen.map((s) => Math.min(LIFECYCLE.indexOf(s), 2));
    assert.deepEqual([...ranks].sort(), ranks, `${key} went ${seen.join(' → ')}`);
  }
}
