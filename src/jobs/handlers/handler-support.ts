import { readinessOf } from '../../domain/resource-readiness.js';
import { resourceLabel, type ResourceType } from '../../domain/resource-types.js';
import { DependencyFailedError, DependencyNotReadyError, PlatformChangedError } from '../../errors/app-errors.js';
import { PlatformConflictError, PlatformNotFoundError } from '../../platform/platform-errors.js';
import type { PlatformCallOptions } from '../../platform/platform-http.js';
import { redactSecrets } from '../../store/audit-values.js';
import type { CreateFence } from '../../store/create-fence.js';
import type { Resource } from '../../store/rows.js';
import type { HandlerContext } from '../operation-handler.js';

/** Sandbox of the resource and the operation id as `x-request-id`, so Platform logs correlate; and what each call waits for before it is sent. */
export function callOptions(ctx: HandlerContext): PlatformCallOptions {
  return { sandbox: ctx.resource.sandbox, requestId: ctx.operation.id, ...(ctx.beforeSend ? { beforeSend: ctx.beforeSend } : {}) };
}

/** A dependency that exists on the Platform: its row, with `platformId` known. */
export type ReadyResource = Resource & { platformId: string };

/**
 * Loads a resource this operation needs (the worker's side of `readinessOf`). Still PENDING
 * (its own create is queued or running): `DependencyNotReadyError`, so the job retries later.
 * FAILED, deleted or gone: `DependencyFailedError`, final.
 */
export async function readyDependency(ctx: HandlerContext, id: string | null, type: ResourceType): Promise<ReadyResource> {
  const label = resourceLabel(type);
  const row = id ? (ctx.dependencies.get(id) ?? (await ctx.deps.store.resources.getById(id))) : null;
  if (!row || row.type !== type) throw new DependencyFailedError(`the ${label} ${id ?? '(none)'} this ${resourceLabel(ctx.resource.type)} needs does not exist`, id ?? '');
  const readiness = readinessOf(row);
  switch (readiness) {
    case 'FAILED':
      throw new DependencyFailedError(`the ${label} ${row.id} failed to be created`, row.id);
    case 'GONE':
      throw new DependencyFailedError(`the ${label} ${row.id} was deleted`, row.id);
    case 'PENDING':
      throw new DependencyNotReadyError(row.id);
    case 'USABLE':
      return row as ReadyResource;
  }
}

/**
 * Several dependencies read concurrently instead of one after another (a round trip less each, on
 * an onboarding's critical path); a problem is reported for the first in the order given.
 */
export async function readyDependencies<const T extends readonly (readonly [string | null, ResourceType])[]>(ctx: HandlerContext, wanted: T): Promise<{ -readonly [K in keyof T]: ReadyResource }> {
  const results = await Promise.allSettled(wanted.map(([id, type]) => readyDependency(ctx, id, type)));
  return results.map((result) => {
    if (result.status === 'rejected') throw result.reason;
    return result.value;
  }) as { -readonly [K in keyof T]: ReadyResource };
}

/** What `createOrAdopt` needs of its caller: whether an earlier attempt ran, and the fence of creates. */
export interface CreateContext {
  /** True when an earlier attempt ran: the Platform may already hold what this one is about to create. */
  isRetry: boolean;
  fence: CreateFence;
}

/**
 * Creates a Platform resource exactly once. It holds the fence of its deterministic `name` (see
 * `CreateFence`) while it looks and creates, so a second run of the same create — a job delivered
 * again while its first run still works — waits for the first one's answer instead of racing it.
 * It looks the resource up by name first when an earlier attempt ran or an earlier run went through
 * the fence; after a lost response in this attempt it looks again before giving up, so nothing is
 * created twice.
 */
export async function createOrAdopt<T>(ctx: CreateContext, steps: { name: string; find: () => Promise<T[]>; create: () => Promise<T> }): Promise<T> {
  return ctx.fence.hold(steps.name, ({ passedBefore }) => adoptOrCreate(ctx.isRetry || passedBefore, steps));
}

/**
 * The lookup and create of `createOrAdopt`, for a caller already holding a fence that covers the
 * name (several creates of one step under one fence). `lookFirst`: an earlier run may have made it.
 */
export async function adoptOrCreate<T>(lookFirst: boolean, steps: { find: () => Promise<T[]>; create: () => Promise<T> }): Promise<T> {
  if (lookFirst) {
    const [existing] = await steps.find();
    if (existing) return existing;
  }
  try {
    return await steps.create();
  } catch (error) {
    // A lost answer (network error, or a 500/502/504 after the write) may hide a success.
    if ((error as { mayHaveCommitted?: boolean }).mayHaveCommitted === true) {
      const [existing] = await steps.find();
      if (existing) return existing;
    }
    throw error;
  }
}

/** Runs a Platform delete; a 404 means an earlier attempt (or someone) already deleted it. */
export async function deleteIgnoringMissing(remove: () => Promise<unknown>): Promise<void> {
  try {
    await remove();
  } catch (error) {
    if (!(error instanceof PlatformNotFoundError)) throw error;
  }
}

/**
 * Runs a Platform write sent with `If-Match`; a 412 means the resource changed on the Platform
 * since Flowgate last saw it. Unless `ownWrite` recognises the current state as this operation's
 * own earlier write (a retry whose answer was lost), the write is refused as a conflict, with
 * the fresh etag and snapshot for the failure to record.
 */
export async function writeWithIfMatch<T extends { etag: string }>(
  ctx: HandlerContext,
  expectedEtag: string | null,
  write: () => Promise<unknown>,
  read: () => Promise<T>,
  ownWrite: (current: T) => boolean = () => false,
): Promise<void> {
  try {
    await write();
  } catch (error) {
    if (!(error instanceof PlatformConflictError)) throw error;
    const current = await read();
    if (ctx.isRetry && ownWrite(current)) return;
    throw new PlatformChangedError(
      `${resourceLabel(ctx.resource.type)} ${ctx.resource.id} changed on the Platform (etag ${current.etag}, expected ${expectedEtag})`,
      current.etag,
      snapshotOf(current),
    );
  }
}

/**
 * Deletes with `If-Match` = the stored etag. A 404 means it is already gone; a 412 means it changed
 * on the Platform since we last saw it, so the delete is refused as a conflict (with the fresh
 * state recorded) instead of removing something the user has not seen.
 */
export async function deleteWithIfMatch(ctx: HandlerContext, remove: () => Promise<unknown>, read: () => Promise<{ etag: string }>): Promise<void> {
  try {
    await writeWithIfMatch(ctx, ctx.resource.etag, () => deleteIgnoringMissing(remove), read);
  } catch (error) {
    if (error instanceof PlatformChangedError) throw new PlatformChangedError(`${error.message}; not deleted`, error.currentEtag, error.snapshot);
    throw error;
  }
}

/**
 * The snapshot of a resource just created, from what was sent and what the create answered (or
 * the whole object, when an earlier attempt's create was found by name): a read-back GET only to
 * fill the snapshot would put a Platform call on every create's path.
 */
export function createdSnapshot(answer: object, sent: Record<string, unknown>): unknown {
  return snapshotOf({ ...sent, ...answer });
}

/** A Platform object as stored in `snapshot`: JSON, secrets redacted. */
export function snapshotOf(value: unknown): unknown {
  return redactSecrets(JSON.parse(JSON.stringify(value ?? null)) as unknown);
}
