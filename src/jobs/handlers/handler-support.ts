import { PlatformConflictError, PlatformNotFoundError } from '../../platform/platform-errors.js';
import type { PlatformCallOptions } from '../../platform/platform-http.js';
import { redactSecrets } from '../../store/audit.store.js';
import type { Prisma } from '../../store/generated/client.js';
import { PlatformChangedConflict, type HandlerContext } from '../operation-handler.js';

/** Sandbox of the resource and the operation id as `x-request-id`, so Platform logs correlate. */
export function callOptions(ctx: HandlerContext): PlatformCallOptions {
  return { sandbox: ctx.resource.sandbox, requestId: ctx.operation.id };
}

/**
 * Creates a Platform resource exactly once. On a retry (an earlier attempt may have written but
 * never heard back) it first looks the resource up by its deterministic name; after a lost
 * response in this attempt it looks again before giving up, so nothing is created twice.
 */
export async function createOrAdopt<T>(ctx: HandlerContext, steps: { find: () => Promise<T[]>; create: () => Promise<T> }): Promise<T> {
  if (ctx.isRetry) {
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
 * Deletes with `If-Match` = the stored etag. A 404 means it is already gone; a 412 means it changed
 * on the Platform since we last saw it, so the delete is refused as a conflict (with the fresh
 * state recorded) instead of removing something the user has not seen.
 */
export async function deleteWithIfMatch(ctx: HandlerContext, remove: () => Promise<unknown>, read: () => Promise<{ etag: string }>): Promise<void> {
  try {
    await deleteIgnoringMissing(remove);
  } catch (error) {
    if (!(error instanceof PlatformConflictError)) throw error;
    const current = await read();
    throw new PlatformChangedConflict(`${ctx.resource.type.toLowerCase()} ${ctx.resource.id} changed on the Platform (etag ${current.etag}, expected ${ctx.resource.etag}); not deleted`, current.etag, snapshotOf(current));
  }
}

/** A Platform object as stored in `snapshot`: JSON, secrets redacted. */
export function snapshotOf(value: unknown): Prisma.InputJsonValue {
  return redactSecrets(JSON.parse(JSON.stringify(value ?? null))) as Prisma.InputJsonValue;
}

/** The operation's input, typed by the caller. */
export function inputOf<T>(ctx: HandlerContext): T {
  return (ctx.operation.input ?? {}) as T;
}
