import { emulatorCounts, platformGet, type EmulatorCounts } from './platform-reads.js';
import type { GraphQLResult, TestStack } from './stack.js';

/**
 * Helpers for the one-call onboarding suites: sending `onboardStripe`, waiting for the saga to
 * end, and reading back — through the emulator's own Platform API, not Flowgate's tables — every
 * resource an onboarding left on the Platform, found by the names it gives them.
 */

export const ONBOARDING_FIELDS = `id name status progress currentStep requestedBy createdAt finishedAt resources rollbackOnFailure
  error { code message field }
  steps { key kind resource status attempts dependsOn startedAt finishedAt resourceType resourceId platformId operationId error { code message } }
  connection { id platformId name }
  dataflows { id platformId name }`;

export const TERMINAL_ONBOARDING = ['SUCCEEDED', 'FAILED', 'ROLLED_BACK', 'CANCELLED'];

/** Sends `onboardStripe` and returns the raw GraphQL result. */
export function onboardStripe(stack: TestStack, input: Record<string, unknown>, headers: Record<string, string> = {}): Promise<GraphQLResult> {
  return stack.gql(`mutation($input: OnboardStripeInput!) { onboardStripe(input: $input) { ${ONBOARDING_FIELDS} } }`, { input }, headers);
}

/** Polls `onboarding(id)` until it reaches a terminal status. */
export async function waitForOnboarding(stack: TestStack, id: string, timeoutMs = 60_000, headers: Record<string, string> = {}): Promise<any> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const { onboarding } = await stack.data(`query($id: ID!) { onboarding(id: $id) { ${ONBOARDING_FIELDS} } }`, { id }, headers);
    if (onboarding && TERMINAL_ONBOARDING.includes(onboarding.status)) return onboarding;
    if (Date.now() > deadline) throw new Error(`onboarding ${id} did not finish: ${JSON.stringify(onboarding)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Sends `onboardStripe`, fails on a GraphQL error, and waits until the onboarding ends. */
export async function onboardAndWait(stack: TestStack, input: Record<string, unknown>, headers: Record<string, string> = {}): Promise<any> {
  const result = await onboardStripe(stack, input, headers);
  if (result.errors?.length) throw new Error(`onboardStripe refused: ${JSON.stringify(result.errors)}`);
  return waitForOnboarding(stack, result.data.onboardStripe.id);
}

/** The step with this key; fails loudly if there is none. */
export function stepOf(onboarding: { steps: any[] }, key: string): any {
  const step = onboarding.steps.find((s) => s.key === key);
  if (!step) throw new Error(`no step ${key} in ${onboarding.steps.map((s) => s.key).join(', ')}`);
  return step;
}

/** Everything on the emulator (prod sandbox) whose name starts with `<prefix> `, per kind, as the Platform API shows it. */
export interface PlatformInventory {
  connections: any[];
  sourceConnections: any[];
  targetConnections: any[];
  flows: any[];
  datasets: any[];
  mappingSets: any[];
  schemas: any[];
  fieldGroups: any[];
  classes: any[];
}

const FLOW = '/data/foundation/flowservice';
const REGISTRY = '/data/foundation/schemaregistry';
const XED = 'application/vnd.adobe.xed+json';

export async function platformInventory(stack: TestStack, prefix: string): Promise<PlatformInventory> {
  const mine = (name: unknown) => typeof name === 'string' && name.startsWith(`${prefix} `);
  const flowService = async (collection: string) => {
    const { status, body } = await platformGet(stack, `${FLOW}/${collection}?limit=1000`);
    if (status !== 200) throw new Error(`GET ${collection} answered ${status}`);
    return (body.items as any[]).filter((i) => mine(i.name));
  };
  const registry = async (segment: string) => {
    const { status, body } = await platformGet(stack, `${REGISTRY}/tenant/${segment}`, XED);
    if (status !== 200) throw new Error(`GET tenant/${segment} answered ${status}`);
    return (body.results as any[]).filter((r) => mine(r.title));
  };
  const datasets: any[] = [];
  for (let start = 0; ; start += 100) {
    const { status, body } = await platformGet(stack, `/data/foundation/catalog/dataSets?limit=100&start=${start}`);
    if (status !== 200) throw new Error(`GET dataSets answered ${status}`);
    const page = Object.entries(body as Record<string, any>).map(([id, d]) => ({ id, ...d }));
    datasets.push(...page.filter((d) => mine(d.name)));
    if (page.length < 100) break;
  }
  const mappings = await platformGet(stack, '/data/foundation/conversion/mappingSets?limit=1000');
  if (mappings.status !== 200) throw new Error(`GET mappingSets answered ${mappings.status}`);
  const [connections, sourceConnections, targetConnections, flows, schemas, fieldGroups, classes] = await Promise.all([
    flowService('connections'),
    flowService('sourceConnections'),
    flowService('targetConnections'),
    flowService('flows'),
    registry('schemas'),
    registry('fieldgroups'),
    registry('classes'),
  ]);
  return {
    connections,
    sourceConnections,
    targetConnections,
    flows,
    datasets,
    mappingSets: (mappings.body.data as any[]).filter((m) => mine(m.name)),
    schemas,
    fieldGroups,
    classes,
  };
}

/** How many of each kind an inventory holds. */
export function inventoryCounts(inventory: PlatformInventory): Record<keyof PlatformInventory, number> {
  return Object.fromEntries(Object.entries(inventory).map(([kind, items]) => [kind, (items as unknown[]).length])) as Record<keyof PlatformInventory, number>;
}

/** The counts a successful onboarding of `n` resources leaves (`withSchemas` false: into an existing dataset). */
export function expectedCounts(n: number, withSchemas = true): Record<keyof PlatformInventory, number> {
  const s = withSchemas ? n : 0;
  // One record class per onboarding, shared by its schemas.
  return { connections: 1, sourceConnections: n, targetConnections: n, flows: n, datasets: s, mappingSets: n, schemas: s, fieldGroups: s, classes: s > 0 ? 1 : 0 };
}

/** Growth of the emulator's per-kind totals (whatever the names) between two readings. */
export function countsGrowth(before: EmulatorCounts, after: EmulatorCounts): Record<keyof PlatformInventory, number> {
  return {
    connections: after.connections - before.connections,
    sourceConnections: after.sourceConnections - before.sourceConnections,
    targetConnections: after.targetConnections - before.targetConnections,
    flows: after.flows - before.flows,
    datasets: after.datasets - before.datasets,
    mappingSets: after.mappingSets - before.mappingSets,
    schemas: after.schemas - before.schemas,
    fieldGroups: after.fieldGroups - before.fieldGroups,
    classes: after.classes - before.classes,
  };
}

export { emulatorCounts };

/** Row counts of every table of the stack's database (to show a request wrote nothing). */
export async function tableCounts(stack: TestStack): Promise<Record<string, number>> {
  const tables = await stack.sql<{ table_name: string }>("SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' AND table_type = 'BASE TABLE' ORDER BY table_name");
  const counts: Record<string, number> = {};
  for (const { table_name } of tables) {
    // The audit sealer links events committed earlier into `audit_chain` in the background: its
    // rows follow audit_events (counted here) a moment later, not the request under test.
    if (table_name === 'audit_chain') continue;
    const { count } = await stack.sqlRow<{ count: string }>(`SELECT count(*) FROM "${table_name}"`);
    counts[table_name] = Number(count);
  }
  return counts;
}

/** The sequence number of the emulator's latest logged request (0 when none). */
export async function requestLogMark(stack: TestStack): Promise<number> {
  const { requests } = (await stack.control('GET', '/requests')) as { requests: { seq: number }[] };
  return requests.at(-1)?.seq ?? 0;
}

/** Requests to the Platform API (IMS included, the control API not) the emulator logged after `mark`. */
export async function requestsSince(stack: TestStack, mark: number): Promise<{ seq: number; method: string; path: string; status: number; fault?: { mode: string } }[]> {
  const { requests } = (await stack.control('GET', `/requests?since=${mark}`)) as { requests: any[] };
  return requests.filter((r) => !r.path.startsWith('/__emulator'));
}

/** Puts the emulator clock under test control at the current real time (it may have been moved ahead). */
export async function clockAtRealTime(stack: TestStack): Promise<number> {
  const now = Math.floor(Date.now() / 1000);
  await stack.control('POST', '/clock', { now });
  return now;
}
