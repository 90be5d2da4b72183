import { z } from 'zod';
import { flowgateId } from './ids.js';
import { scheduleSpec } from './resource-specs.js';
import type { PlatformResourceType } from './resource-types.js';

/**
 * One typed contract per operation type — what a mutation or an onboarding step submits and what
 * the worker's handler receives — in the spirit of graphql-hive's `defineTask`/`implementTask`.
 * The contract's input schema is checked when the operation is recorded (gateway, onboarding
 * saga) and again when a worker runs it, so a handler only ever sees its parsed, typed input and
 * a malformed operation fails at once, without retries. Inputs carry ids and field values, never
 * secrets (a secret travels sealed in `secrets`; the input names it by `secretId`).
 */

/** Where an operation is. QUEUED → RUNNING (→ RETRYING → RUNNING …) → SUCCEEDED | FAILED | CANCELLED. */
export const OPERATION_STATUSES = ['QUEUED', 'RUNNING', 'RETRYING', 'SUCCEEDED', 'FAILED', 'CANCELLED'] as const;
export type OperationStatus = (typeof OPERATION_STATUSES)[number];

/** Statuses an operation never leaves. */
export const TERMINAL_OPERATION_STATUSES: readonly OperationStatus[] = ['SUCCEEDED', 'FAILED', 'CANCELLED'];

/** What an operation does to its resource. */
export type OperationEffect = 'create' | 'update' | 'delete';

/** Whether an operation carries a sealed secret (named by `secretId` in its input). */
export type SecretUse = 'required' | 'optional' | 'none';

export interface OperationContract<T extends string = string, S extends z.ZodRawShape = z.ZodRawShape> {
  type: T;
  resourceType: PlatformResourceType;
  effect: OperationEffect;
  secret: SecretUse;
  /** The whole input: the contract's own fields, `secretId` as the secret use says, and the onboarding step fields. */
  input: z.ZodObject<S & typeof STEP_FIELDS & { secretId: z.ZodOptional<typeof flowgateId> }>;
}

/**
 * Fields of an operation that an onboarding step started: which onboarding and step it carries
 * out, and whether an earlier attempt of the step may have written already (`adoptExisting`).
 */
export const STEP_FIELDS = {
  onboardingId: flowgateId.optional(),
  stepKey: z.string().min(1).optional(),
  adoptExisting: z.boolean().optional(),
};

function defineOperation<const T extends string, S extends z.ZodRawShape>(definition: {
  type: T;
  resourceType: PlatformResourceType;
  effect: OperationEffect;
  secret?: SecretUse;
  input: S;
}): OperationContract<T, S> {
  const secret = definition.secret ?? 'none';
  const input = z.strictObject({ ...definition.input, ...STEP_FIELDS, secretId: flowgateId.optional() }).superRefine((parsed, ctx) => {
    const value = parsed as { secretId?: string };
    if (secret === 'required' && value.secretId === undefined) ctx.addIssue({ code: 'custom', path: ['secretId'], message: 'is required: the operation carries a sealed secret' });
    if (secret === 'none' && value.secretId !== undefined) ctx.addIssue({ code: 'custom', path: ['secretId'], message: 'must be absent: the operation carries no secret' });
  });
  return { type: definition.type, resourceType: definition.resourceType, effect: definition.effect, secret, input: input };
}

/** The etag the caller saw when it asked (null when the resource has none yet). */
const ifMatch = z.string().nullable();

/** Name and description changes (undefined: unchanged; description null: cleared). */
const descriptiveChanges = {
  name: z.string().min(1).optional(),
  description: z.string().nullable().optional(),
};

/** What UPDATE_DATAFLOW changes: only the fields given, already validated. */
export const dataflowChanges = z.strictObject({
  ...descriptiveChanges,
  schedule: scheduleSpec.extend({ startTime: z.number().int() }).optional(),
  mappingVersion: z.number().int().min(0).optional(),
});
export type DataflowChanges = z.infer<typeof dataflowChanges>;

/** Every operation type and its contract (the job registry's other half is `jobs/handlers`). */
export const OPERATIONS = {
  CREATE_CONNECTION: defineOperation({ type: 'CREATE_CONNECTION', resourceType: 'CONNECTION', effect: 'create', secret: 'required', input: {} }),
  CREATE_SOURCE_CONNECTION: defineOperation({ type: 'CREATE_SOURCE_CONNECTION', resourceType: 'SOURCE_CONNECTION', effect: 'create', input: {} }),
  CREATE_XDM_SCHEMA: defineOperation({
    type: 'CREATE_XDM_SCHEMA',
    resourceType: 'XDM_SCHEMA',
    effect: 'create',
    // The explore-style schema to mirror, when the caller (or the onboarding's explore step) gave
    // one; as text, because jsonb re-orders object keys and the field order is the caller's.
    // classId: the Platform id of a record class made for several schemas (an onboarding's), used
    // instead of making one for this schema alone.
    input: { exploreSchemaJson: z.string().optional(), classId: z.string().min(1).optional() },
  }),
  CREATE_DATASET: defineOperation({ type: 'CREATE_DATASET', resourceType: 'DATASET', effect: 'create', input: {} }),
  CREATE_TARGET_CONNECTION: defineOperation({ type: 'CREATE_TARGET_CONNECTION', resourceType: 'TARGET_CONNECTION', effect: 'create', input: {} }),
  CREATE_MAPPING: defineOperation({ type: 'CREATE_MAPPING', resourceType: 'MAPPING', effect: 'create', input: {} }),
  CREATE_DATAFLOW: defineOperation({ type: 'CREATE_DATAFLOW', resourceType: 'DATAFLOW', effect: 'create', input: {} }),
  UPDATE_CONNECTION: defineOperation({
    type: 'UPDATE_CONNECTION',
    resourceType: 'CONNECTION',
    effect: 'update',
    secret: 'optional',
    input: { changes: z.strictObject(descriptiveChanges), ifMatch, rotatesAccessToken: z.boolean() },
  }),
  UPDATE_DATAFLOW: defineOperation({ type: 'UPDATE_DATAFLOW', resourceType: 'DATAFLOW', effect: 'update', input: { changes: dataflowChanges, ifMatch } }),
  ENABLE_DATAFLOW: defineOperation({ type: 'ENABLE_DATAFLOW', resourceType: 'DATAFLOW', effect: 'update', input: { ifMatch } }),
  DISABLE_DATAFLOW: defineOperation({ type: 'DISABLE_DATAFLOW', resourceType: 'DATAFLOW', effect: 'update', input: { ifMatch } }),
  DELETE_DATAFLOW: defineOperation({ type: 'DELETE_DATAFLOW', resourceType: 'DATAFLOW', effect: 'delete', input: { ifMatch: ifMatch.optional() } }),
  DELETE_CONNECTION: defineOperation({ type: 'DELETE_CONNECTION', resourceType: 'CONNECTION', effect: 'delete', input: { cascade: z.boolean(), ifMatch: ifMatch.optional() } }),
  // Used by onboarding rollbacks (no public mutation yet).
  DELETE_SOURCE_CONNECTION: defineOperation({ type: 'DELETE_SOURCE_CONNECTION', resourceType: 'SOURCE_CONNECTION', effect: 'delete', input: {} }),
  DELETE_XDM_SCHEMA: defineOperation({ type: 'DELETE_XDM_SCHEMA', resourceType: 'XDM_SCHEMA', effect: 'delete', input: {} }),
  DELETE_DATASET: defineOperation({ type: 'DELETE_DATASET', resourceType: 'DATASET', effect: 'delete', input: {} }),
  DELETE_TARGET_CONNECTION: defineOperation({ type: 'DELETE_TARGET_CONNECTION', resourceType: 'TARGET_CONNECTION', effect: 'delete', input: {} }),
  DELETE_MAPPING: defineOperation({ type: 'DELETE_MAPPING', resourceType: 'MAPPING', effect: 'delete', input: {} }),
};

export type OperationType = keyof typeof OPERATIONS;

/** Every operation type, in the registry's order. */
export const OPERATION_TYPES = Object.keys(OPERATIONS) as OperationType[];

/** The parsed input a handler of `T` receives. */
export type OperationInput<T extends OperationType> = z.infer<(typeof OPERATIONS)[T]['input']>;

/** What a submitter writes for `T` (the secret id is added when the secret is sealed). */
export type OperationInputRequest<T extends OperationType> = Omit<z.input<(typeof OPERATIONS)[T]['input']>, 'secretId'>;

export function isOperationType(value: unknown): value is OperationType {
  return typeof value === 'string' && Object.hasOwn(OPERATIONS, value);
}

/** Why an operation's stored input does not match its contract, naming the first field; null when it matches. */
export function operationInputProblem(type: OperationType, input: unknown): string | null {
  const result = OPERATIONS[type].input.safeParse(input ?? {});
  if (result.success) return null;
  const issue = result.error.issues[0]!;
  return `${['input', ...issue.path.map(String)].join('.')}: ${issue.message}`;
}

/** Parses an operation's input with its contract; throws ZodError when it does not match. */
export function parseOperationInput<T extends OperationType>(type: T, input: unknown): OperationInput<T> {
  return OPERATIONS[type].input.parse(input ?? {}) as OperationInput<T>;
}
