import { deterministicId } from './deterministic-id.js';
import type { ForwardKind, StepKind } from './onboarding.js';
import type { OperationType } from './operations.js';
import type { PlatformResourceType, StripeResourcePath } from './resource-types.js';

/**
 * The plan of a one-call onboarding: its steps, what each waits for, the resource each creates
 * (with deterministic ids) and, when a rollback starts, the undo steps. Pure.
 */

/** Steps carried out as ordinary core operations (one resource each), and the undo operation of each. */
export const STEP_OPERATIONS: Partial<Record<ForwardKind, { operation: OperationType; resourceType: PlatformResourceType; undo: OperationType }>> = {
  CREATE_CONNECTION: { operation: 'CREATE_CONNECTION', resourceType: 'CONNECTION', undo: 'DELETE_CONNECTION' },
  CREATE_SOURCE_CONNECTION: { operation: 'CREATE_SOURCE_CONNECTION', resourceType: 'SOURCE_CONNECTION', undo: 'DELETE_SOURCE_CONNECTION' },
  CREATE_XDM_SCHEMA: { operation: 'CREATE_XDM_SCHEMA', resourceType: 'XDM_SCHEMA', undo: 'DELETE_XDM_SCHEMA' },
  CREATE_DATASET: { operation: 'CREATE_DATASET', resourceType: 'DATASET', undo: 'DELETE_DATASET' },
  CREATE_TARGET_CONNECTION: { operation: 'CREATE_TARGET_CONNECTION', resourceType: 'TARGET_CONNECTION', undo: 'DELETE_TARGET_CONNECTION' },
  CREATE_MAPPING: { operation: 'CREATE_MAPPING', resourceType: 'MAPPING', undo: 'DELETE_MAPPING' },
  CREATE_DATAFLOW: { operation: 'CREATE_DATAFLOW', resourceType: 'DATAFLOW', undo: 'DELETE_DATAFLOW' },
};

/**
 * Relative cost of each step: its Platform calls (a create is one POST; an XDM schema is a field
 * group and a schema). Progress is the weighted share of finished steps.
 */
export const STEP_WEIGHTS: Record<ForwardKind, number> = {
  CREATE_CONNECTION: 1,
  TEST_CONNECTION: 1,
  EXPLORE: 1,
  CREATE_XDM_CLASS: 1,
  CREATE_SOURCE_CONNECTION: 1,
  CREATE_XDM_SCHEMA: 2,
  CREATE_DATASET: 1,
  CREATE_TARGET_CONNECTION: 1,
  CREATE_MAPPING: 1,
  CREATE_DATAFLOW: 1,
};

/** Forward steps the saga runs itself that make something a rollback removes (their undo runs inline too). */
const UNDOABLE_INLINE: readonly ForwardKind[] = ['CREATE_XDM_CLASS'];

/** The step that makes the record class the onboarding's schemas share. */
export const XDM_CLASS_STEP = 'xdm-class';

export interface PlannedStep {
  key: string;
  kind: ForwardKind;
  resource: StripeResourcePath | null;
  dependsOn: string[];
  weight: number;
  /** The Flowgate resource the step creates (deterministic), when it creates one. */
  resourceType: PlatformResourceType | null;
  resourceId: string | null;
  /** The Flowgate name of that resource. */
  name: string | null;
}

export interface StepPlanInput {
  onboardingId: string;
  name: string;
  resources: StripeResourcePath[];
  /** When set, every resource writes into this dataset (and its schema); no schema or dataset is created. */
  existingDataset: { id: string; schemaId: string } | null;
}

/**
 * The steps of an onboarding and what each waits for. The base connection is created first. Its
 * test, the one record class every schema shares and each resource's explore then run side by
 * side: an explore is a read of the connection (with a key Stripe refuses it fails as the test
 * does), so it need not wait for the test's verdict, which saves one call on the longest chain;
 * every write that uses the connection or the explored schema (source connections, schemas and
 * everything after them) waits for the test. The class is the only write made before the verdict
 * (it does not use the connection; a failed test rolls it back). The source connection follows its
 * explore (only the mapping needs it: made beside the explores, it added three calls to that level,
 * and its end was recorded as the schemas were to start); the schema follows explore and the class,
 * dataset and target connection follow the schema. With an existing dataset the source and target
 * connections follow the test (the mapping is then the next level). The mapping needs explore, the
 * schema and the source connection, and waits for the dataset as well (which it does not use): the
 * Data Prep API cannot delete a mapping set, so it is made as late as it can be without lengthening
 * the longest chain (it runs beside the target connection). The dataflow needs the source, the
 * target and the mapping.
 */
export function planSteps(input: StepPlanInput): PlannedStep[] {
  const steps: PlannedStep[] = [];
  const add = (key: string, kind: ForwardKind, resource: StripeResourcePath | null, dependsOn: string[], name: string | null) => {
    const op = STEP_OPERATIONS[kind];
    steps.push({
      key,
      kind,
      resource,
      dependsOn,
      weight: STEP_WEIGHTS[kind],
      resourceType: op?.resourceType ?? null,
      resourceId: op ? deterministicId(input.onboardingId, key) : null,
      name,
    });
  };
  const name = (kind: ForwardKind, resource: string | null) => onboardingResourceName(input.name, kind, resource);
  add('connection:create', 'CREATE_CONNECTION', null, [], name('CREATE_CONNECTION', null));
  add('connection:test', 'TEST_CONNECTION', null, ['connection:create'], null);
  if (!input.existingDataset) add(XDM_CLASS_STEP, 'CREATE_XDM_CLASS', null, ['connection:create'], null);
  for (const r of input.resources) {
    add(`${r}:explore`, 'EXPLORE', r, ['connection:create'], null);
    if (!input.existingDataset) {
      add(`${r}:source-connection`, 'CREATE_SOURCE_CONNECTION', r, [`${r}:explore`, 'connection:test'], name('CREATE_SOURCE_CONNECTION', r));
      add(`${r}:xdm-schema`, 'CREATE_XDM_SCHEMA', r, [`${r}:explore`, XDM_CLASS_STEP, 'connection:test'], name('CREATE_XDM_SCHEMA', r));
      add(`${r}:dataset`, 'CREATE_DATASET', r, [`${r}:xdm-schema`], name('CREATE_DATASET', r));
      add(`${r}:target-connection`, 'CREATE_TARGET_CONNECTION', r, [`${r}:dataset`], name('CREATE_TARGET_CONNECTION', r));
      add(`${r}:mapping`, 'CREATE_MAPPING', r, [`${r}:explore`, `${r}:xdm-schema`, `${r}:source-connection`, `${r}:dataset`], name('CREATE_MAPPING', r));
    } else {
      add(`${r}:source-connection`, 'CREATE_SOURCE_CONNECTION', r, ['connection:test'], name('CREATE_SOURCE_CONNECTION', r));
      add(`${r}:target-connection`, 'CREATE_TARGET_CONNECTION', r, ['connection:test'], name('CREATE_TARGET_CONNECTION', r));
      add(`${r}:mapping`, 'CREATE_MAPPING', r, [`${r}:explore`, `${r}:source-connection`, `${r}:target-connection`], name('CREATE_MAPPING', r));
    }
    add(`${r}:dataflow`, 'CREATE_DATAFLOW', r, [`${r}:source-connection`, `${r}:target-connection`, `${r}:mapping`], name('CREATE_DATAFLOW', r));
  }
  return steps;
}

/** The step that undoes `key`. */
export const undoKey = (key: string) => `undo:${key}`;

/**
 * Undo steps for the forward steps that created something, in reverse dependency order: a
 * resource is removed only after everything that was built on it is removed.
 */
export function planUndo(
  forward: { key: string; kind: ForwardKind; dependsOn: string[]; resource: StripeResourcePath | null; resourceId: string | null; created: boolean }[],
): { key: string; kind: StepKind; undoes: string; dependsOn: string[]; resource: StripeResourcePath | null; resourceId: string | null }[] {
  const undoable = forward.filter((s) => s.created && (STEP_OPERATIONS[s.kind] || UNDOABLE_INLINE.includes(s.kind)));
  const undoableKeys = new Set(undoable.map((s) => s.key));
  // Transitive dependents: an EXPLORE step between a schema and the connection test still orders them.
  const dependentsOf = (key: string): string[] => {
    const direct = forward.filter((s) => s.dependsOn.includes(key)).map((s) => s.key);
    return direct.flatMap((d) => (undoableKeys.has(d) ? [d] : dependentsOf(d)));
  };
  return undoable.map((s) => ({
    key: undoKey(s.key),
    kind: `UNDO_${s.kind}` as StepKind,
    undoes: s.key,
    dependsOn: [...new Set(dependentsOf(s.key))].map(undoKey),
    resource: s.resource,
    resourceId: s.resourceId,
  }));
}

/** Registry title of an onboarding's shared record class (tagged with the onboarding's id, so a lost create is found). */
export function sharedClassTitle(onboardingName: string, onboardingId: string): { name: string; tag: string } {
  return { name: `${onboardingName} class`, tag: `${onboardingId}.class` };
}

/** Whether a forward step may have made something a rollback must remove. */
export function mayHaveCreated(step: { kind: ForwardKind; status: string; resourceId: string | null }): boolean {
  const attempted = step.status === 'SUCCEEDED' || step.status === 'FAILED';
  return attempted && (step.resourceId !== null || UNDOABLE_INLINE.includes(step.kind));
}

/** The Flowgate name of the resource a step creates (the Platform name adds the `[fg:<id>]` tag). */
export function onboardingResourceName(name: string, kind: ForwardKind, resource: string | null): string {
  switch (kind) {
    case 'CREATE_CONNECTION':
      return name;
    case 'CREATE_SOURCE_CONNECTION':
      return `${name} ${resource} source`;
    case 'CREATE_TARGET_CONNECTION':
      return `${name} ${resource} target`;
    case 'CREATE_MAPPING':
      return `${name} ${resource} mapping`;
    default:
      return `${name} ${resource}`;
  }
}
