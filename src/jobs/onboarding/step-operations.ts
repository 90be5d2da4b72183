import type pg from 'pg';
import { deterministicId } from '../../domain/deterministic-id.js';
import { generateFieldMappings, type ExploreNode } from '../../domain/mapping-generation.js';
import type { ForwardKind } from '../../domain/onboarding.js';
import { onboardingResourceName, STEP_OPERATIONS, XDM_CLASS_STEP } from '../../domain/onboarding-plan.js';
import type { OperationErrorInfo } from '../../domain/operation-error.js';
import type { OperationType } from '../../domain/operations.js';
import { specOf } from '../../domain/resource-specs.js';
import type { StripeResourcePath } from '../../domain/resource-types.js';
import type { OnboardingRow, StepRow } from '../../store/onboarding-rows.js';
import type { OnboardingStore } from '../../store/onboarding.store.js';
import type { ResourceSummary } from '../../store/rows.js';
import { newResource, type NewResource, type StepOperation } from '../../store/operation-ledger.js';

/**
 * The resource rows `stepOperation` reads to build `step`'s operation, as far as the ledger tells
 * them (a mapping on an existing dataset reads that dataset's schema next). A pass reads those of
 * every step it starts in one round trip (a mapping's schema, a dataflow's mapping and target
 * connection: one read per step, one after another, was 0.4–5 ms each under the onboarding's lock).
 */
export function resourcesRead(onboarding: OnboardingRow, all: StepRow[], step: StepRow): string[] {
  if (step.undoes) return [];
  const r = step.stripe_resource as StripeResourcePath | null;
  const idOf = (key: string) => all.find((s) => s.key === key)?.resource_id ?? null;
  const ids = ((): (string | null)[] => {
    switch (step.kind as ForwardKind) {
      case 'CREATE_TARGET_CONNECTION':
        return idOf(`${r}:dataset`) ? [] : [onboarding.existing_dataset_id];
      case 'CREATE_MAPPING':
        return [idOf(`${r}:xdm-schema`) ?? onboarding.existing_dataset_id];
      case 'CREATE_DATAFLOW':
        return [idOf(`${r}:mapping`), idOf(`${r}:target-connection`)];
      default:
        return [];
    }
  })();
  return ids.filter((id): id is string => id !== null);
}

/**
 * The core operation (and resource row) a step starts, with ids that are the same if this runs
 * twice, so a crash between commit and enqueue repeats nothing; built inside the pass that starts
 * the step, from its ledger. Null when the step fails while being prepared (recorded on the step).
 * `known`: resource rows the pass read already (see `resourcesRead`); any other is read here.
 */
export async function stepOperation(
  onboardings: OnboardingStore,
  client: pg.PoolClient,
  onboarding: OnboardingRow,
  all: StepRow[],
  step: StepRow,
  attempt: number,
  known: ReadonlyMap<string, ResourceSummary> = new Map(),
): Promise<StepOperation | null> {
  const byKey = (key: string) => all.find((s) => s.key === key);
  const r = step.stripe_resource as StripeResourcePath | null;
  const read = async (ids: (string | null | undefined)[]): Promise<ReadonlyMap<string, ResourceSummary>> => {
    const missing = ids.filter((id): id is string => typeof id === 'string' && !known.has(id));
    if (missing.length === 0) return known;
    return new Map([...known, ...(await onboardings.resources(client, missing))]);
  };
  const input: Record<string, unknown> = { onboardingId: onboarding.id, stepKey: step.key, ...(attempt > 1 ? { adoptExisting: true } : {}) };
  const operationId = deterministicId(onboarding.id, step.key, 'operation', String(attempt));
  const operation = (type: OperationType) => ({
    id: operationId,
    type,
    resourceId: step.resource_id!,
    sandbox: onboarding.sandbox,
    input,
    requestedBy: onboarding.requested_by,
    requestId: onboarding.request_id,
    idempotencyKey: null,
    inputHash: null,
    message: `onboarding ${onboarding.id}: ${step.key}`,
  });

  if (step.undoes) {
    const type = STEP_OPERATIONS[step.kind.replace(/^UNDO_/, '') as ForwardKind]!.undo;
    if (type === 'DELETE_CONNECTION') input.cascade = false;
    return { operation: operation(type), resource: { write: 'none' } };
  }

  const kind = step.kind as ForwardKind;
  const plan = STEP_OPERATIONS[kind]!;
  const upsert = (row: Partial<NewResource>): StepOperation => ({
    operation: operation(plan.operation),
    resource: {
      write: 'upsert',
      row: newResource({ id: step.resource_id!, type: plan.resourceType, sandbox: onboarding.sandbox, name: onboardingResourceName(onboarding.name, kind, r), stripeResource: r, ...row }),
    },
  });
  switch (kind) {
    case 'CREATE_CONNECTION':
      // The base connection's row was written with the onboarding; a failed attempt is reset.
      // The pass read the token's id with the onboarding's row (no round trip of its own before the first call).
      if (onboarding.connection_secret_id === undefined) throw new Error(`onboarding ${onboarding.id}: the base connection's token id was not read with its row`);
      input.secretId = onboarding.connection_secret_id ?? undefined;
      return { operation: operation(plan.operation), resource: { write: 'reset' } };
    case 'CREATE_SOURCE_CONNECTION':
      return upsert({ connectionId: onboarding.connection_id });
    case 'CREATE_XDM_SCHEMA':
      input.exploreSchemaJson = JSON.stringify((byKey(`${r}:explore`)?.result as { schema: unknown }).schema);
      input.classId = byKey(XDM_CLASS_STEP)?.platform_id ?? undefined;
      return upsert({ description: `Stripe ${r} records, onboarded by Flowgate` });
    case 'CREATE_DATASET':
      return upsert({ stripeResource: null, schemaId: byKey(`${r}:xdm-schema`)!.resource_id });
    case 'CREATE_TARGET_CONNECTION': {
      // The onboarding's own dataset is on its own schema: no read needed on the critical path.
      const own = byKey(`${r}:dataset`)?.resource_id;
      if (own) return upsert({ stripeResource: null, datasetId: own, schemaId: byKey(`${r}:xdm-schema`)!.resource_id });
      const dataset = (await read([onboarding.existing_dataset_id])).get(onboarding.existing_dataset_id ?? '');
      return upsert({ stripeResource: null, datasetId: onboarding.existing_dataset_id, schemaId: dataset?.schemaId ?? null });
    }
    case 'CREATE_MAPPING': {
      const ownSchemaId = byKey(`${r}:xdm-schema`)?.resource_id;
      const existingDataset = ownSchemaId ? undefined : (await read([onboarding.existing_dataset_id])).get(onboarding.existing_dataset_id ?? '');
      const schemaId = ownSchemaId ?? existingDataset?.schemaId;
      const schema = (await read([schemaId])).get(schemaId ?? '');
      const explored = (byKey(`${r}:explore`)?.result as { schema: ExploreNode }).schema;
      const spec = specOf('XDM_SCHEMA', schema?.spec);
      const tenantId = String(spec.tenantNamespace ?? '').replace(/^_/, '');
      const fieldMappings = generateFieldMappings({ exploreSchema: explored, schemaFields: spec.fields ?? [], tenantId, resource: r! });
      if (fieldMappings.length === 0) {
        const error: OperationErrorInfo = { code: 'PRECONDITION_FAILED', message: `no attribute of the explored ${r} schema has a field in schema ${schema?.id}`, retryable: false };
        await onboardings.failStep(client, step.id, attempt, error);
        Object.assign(step, { status: 'FAILED', attempts: attempt, error });
        return null;
      }
      return upsert({ schemaId: schema!.id, sourceConnectionId: byKey(`${r}:source-connection`)!.resource_id, spec: { fieldMappings, generated: false, version: null } });
    }
    case 'CREATE_DATAFLOW': {
      const rows = await read([byKey(`${r}:mapping`)?.resource_id, byKey(`${r}:target-connection`)?.resource_id]);
      const mapping = rows.get(byKey(`${r}:mapping`)?.resource_id ?? '')!;
      const target = rows.get(byKey(`${r}:target-connection`)?.resource_id ?? '')!;
      const mappingVersion = specOf('MAPPING', mapping.spec).version;
      return upsert({
        connectionId: onboarding.connection_id,
        sourceConnectionId: byKey(`${r}:source-connection`)!.resource_id,
        targetConnectionId: target.id,
        mappingId: mapping.id,
        schemaId: target.schemaId,
        spec: { schedule: onboarding.schedule, mappingVersion: typeof mappingVersion === 'number' ? mappingVersion : 0 },
      });
    }
    case 'TEST_CONNECTION':
    case 'EXPLORE':
    case 'CREATE_XDM_CLASS':
      throw new Error(`step ${step.key} (${kind}) runs inline, not as an operation`);
  }
}
