import { sharedClassTitle } from '../../domain/onboarding-plan.js';
import type { OperationErrorInfo } from '../../domain/operation-error.js';
import type { StripeResourcePath } from '../../domain/resource-types.js';
import { exploreSchemaProblem } from '../../domain/xdm-from-explore.js';
import { publicErrorOf } from '../../errors/public-errors.js';
import { platformName } from '../../platform/deterministic-names.js';
import type { PlatformClient } from '../../platform/platform-client.js';
import type { PlatformCallOptions } from '../../platform/platform-http.js';
import { RECORD_BEHAVIOR_ID } from '../../platform/schema-registry.client.js';
import type { CreateFence } from '../../store/create-fence.js';
import type { OnboardingRow, StepRow } from '../../store/onboarding-rows.js';
import type { InlineStepRow } from '../../store/onboarding.store.js';
import { createOrAdopt, deleteIgnoringMissing } from '../handlers/handler-support.js';

/**
 * The steps the saga runs itself rather than as core operations (connection test, explore, the
 * shared record class and its undo): their Platform calls, and what each records on its step.
 */

/** What an inline step's failure is recorded as when the error was unexpected. */
const UNEXPECTED: OperationErrorInfo = { code: 'INTERNAL_SERVER_ERROR', message: 'An internal error occurred; the operation will be retried.', retryable: true };

/** An inline step's outcome, as its step records it. */
export type InlineOutcome =
  { status: 'SUCCEEDED'; result: Record<string, unknown>; error: null; platformId: string | null } | { status: 'FAILED'; result: null; error: OperationErrorInfo; platformId?: undefined };

export interface InlineStepContext {
  platform: PlatformClient;
  /** Held around the shared class's create: a run taking the step over waits for the one it took it from. */
  fence: CreateFence;
  /** Notes on the shared class's step that its create is about to be sent (see `markCreateSent`). */
  markCreateSent: () => Promise<void>;
  /** This run may be the second of this attempt (a job delivered again): an earlier one may have written. */
  redelivered: boolean;
  /** A retryable failure is recorded (not thrown for a retry): there is no retry after this one. */
  finalAttempt: boolean;
  /**
   * The first run of this attempt, by the process whose pass started it and noted with the start
   * that its create is sent (`StepStart.createSent`): nothing to look for, nothing more to note.
   */
  startedHere?: boolean;
  /**
   * Awaited before each call that writes to the Platform (the shared class's create and delete):
   * until the step's start is on disk, for a step started while its pass commits. Reads (the
   * connection test, explore) do not wait: running one twice is harmless.
   */
  beforeWrite?: () => Promise<void>;
}

/** Whether an inline step only reads from the Platform (the connection test, explore): running it twice is harmless. */
export function onlyReads(kind: string): boolean {
  return kind === 'TEST_CONNECTION' || kind === 'EXPLORE';
}

/**
 * Carries out an inline step on the Platform. Returns its outcome; throws a retryable error
 * unless this is the final attempt.
 */
export async function performInlineStep(step: InlineStepRow, context: InlineStepContext): Promise<InlineOutcome> {
  const { platform } = context;
  const options: PlatformCallOptions = { sandbox: step.connection_sandbox, requestId: `${step.onboarding_id}:${step.key}` };
  const writeOptions: PlatformCallOptions = context.beforeWrite ? { ...options, beforeSend: context.beforeWrite } : options;
  const failed = (error: OperationErrorInfo): InlineOutcome => ({ status: 'FAILED', result: null, error });
  try {
    if (!step.connection_platform_id) throw new Error('the base connection has no platform id');
    switch (step.kind) {
      case 'CREATE_XDM_CLASS': {
        const startedHere = context.startedHere === true;
        const mayExist = context.redelivered || step.attempts > 1 || (!startedHere && step.result?.createSent === true);
        // Noted before the create, durably: a run after a crash or a lost answer then looks first.
        if (!mayExist && !startedHere) await context.markCreateSent();
        const classId = await createSharedClass(platform, context.fence, step, writeOptions, mayExist);
        return { status: 'SUCCEEDED', result: { classId }, error: null, platformId: classId };
      }
      case 'UNDO_CREATE_XDM_CLASS':
        return { status: 'SUCCEEDED', result: { removed: await removeSharedClass(platform, step, writeOptions) }, error: null, platformId: null };
      case 'TEST_CONNECTION': {
        const ok = await platform.flowService.testConnection(step.connection_platform_id, options);
        if (!ok)
          return failed({ code: 'PLATFORM_REJECTED', message: 'the Platform could not reach Stripe with this access token (connection test failed)', field: 'input.accessToken', retryable: false });
        return { status: 'SUCCEEDED', result: { result: true }, error: null, platformId: null };
      }
      default: {
        const explored = await platform.flowService.explore(step.connection_platform_id, step.stripe_resource as StripeResourcePath, {}, options);
        const problem = exploreSchemaProblem(explored.schema);
        if (problem)
          return failed({ code: 'PLATFORM_REJECTED', message: `the explored ${step.stripe_resource} schema cannot be mirrored in XDM: ${problem.path} ${problem.message}`, retryable: false });
        return { status: 'SUCCEEDED', result: { schema: explored.schema }, error: null, platformId: null };
      }
    }
  } catch (error) {
    const info = publicErrorOf(error) ?? UNEXPECTED;
    if (info.retryable && !context.finalAttempt) throw error;
    return failed({ ...info, retryable: false });
  }
}

/**
 * An inline step as `OnboardingStore.inlineStep` reads it, built from the ledger a pass holds
 * (the base connection is the connection step's resource; it lives in the onboarding's sandbox),
 * so a step this process starts itself needs no read before its call.
 */
export function inlineStepOf(onboarding: OnboardingRow, steps: readonly StepRow[], step: StepRow): InlineStepRow {
  const connection = steps.find((s) => s.kind === 'CREATE_CONNECTION' && s.resource_id === onboarding.connection_id);
  return {
    ...step,
    connection_platform_id: connection?.platform_id ?? null,
    connection_sandbox: onboarding.sandbox,
    onboarding_name: onboarding.name,
    undoes_platform_id: step.undoes === null ? null : (steps.find((s) => s.key === step.undoes)?.platform_id ?? null),
  };
}

/**
 * The record class an onboarding's schemas share, made once: looked up by its tagged title first
 * when an earlier run of the step may have made it, and after an answer that may hide a success.
 */
async function createSharedClass(platform: PlatformClient, fence: CreateFence, step: InlineStepRow, options: PlatformCallOptions, mayExist: boolean): Promise<string> {
  const registry = platform.schemaRegistry;
  const { name, tag } = sharedClassTitle(step.onboarding_name, step.onboarding_id);
  const title = platformName(name, tag);
  const klass = await createOrAdopt<{ $id: string }>(
    { isRetry: mayExist, fence },
    {
      name: title,
      find: () => registry.findClassesByTitle(title, options),
      create: () => registry.createClass({ title, description: `Stripe records onboarded by Flowgate (${step.onboarding_name})`, behaviorId: RECORD_BEHAVIOR_ID }, options),
    },
  );
  return klass.$id;
}

/** Removes the shared class (after every schema on it was removed): the recorded one, or the one its lost create left. */
async function removeSharedClass(platform: PlatformClient, step: InlineStepRow, options: PlatformCallOptions): Promise<string[]> {
  const registry = platform.schemaRegistry;
  const { name, tag } = sharedClassTitle(step.onboarding_name, step.onboarding_id);
  const ids = step.undoes_platform_id ? [step.undoes_platform_id] : (await registry.findClassesByTitle(platformName(name, tag), options)).map((c) => c.$id);
  for (const id of ids) await deleteIgnoringMissing(() => registry.deleteClass(id, options));
  return ids;
}
