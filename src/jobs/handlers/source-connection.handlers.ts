import type { StripeResourcePath } from '../../domain/operation-types.js';
import { DependencyFailedError, DependencyNotReadyError } from '../../errors/app-errors.js';
import { platformName } from '../../platform/deterministic-names.js';
import type { SourceConnection } from '../../platform/flow-service.client.js';
import type { ResourceType } from '../../store/generated/enums.js';
import type { Resource } from '../../store/resource.store.js';
import type { HandlerContext, HandlerOutcome } from '../operation-handler.js';
import { callOptions, createOrAdopt, snapshotOf } from './handler-support.js';

/** A dependency that exists on the Platform: its row, with `platformId` known. */
export type ReadyResource = Resource & { platformId: string };

/**
 * Loads a resource this operation needs. Still PENDING (its own create is queued or running):
 * `DependencyNotReadyError`, so the job retries later. FAILED, DELETED or gone:
 * `DependencyFailedError`, final.
 */
export async function readyDependency(ctx: HandlerContext, id: string | null, type: ResourceType): Promise<ReadyResource> {
  const label = type.toLowerCase().replace('_', ' ');
  const row = id ? await ctx.deps.store.resources.getById(id) : null;
  if (!row || row.type !== type) throw new DependencyFailedError(`the ${label} ${id ?? '(none)'} this ${ctx.resource.type.toLowerCase().replace('_', ' ')} needs does not exist`, id ?? '');
  switch (row.state) {
    case 'FAILED':
      throw new DependencyFailedError(`the ${label} ${row.id} failed to be created`, row.id);
    case 'DELETED':
    case 'DELETING':
      throw new DependencyFailedError(`the ${label} ${row.id} was deleted`, row.id);
    case 'PENDING':
      throw new DependencyNotReadyError(row.id);
    case 'ENABLED':
    case 'DISABLED':
    case 'READY':
      if (!row.platformId) throw new DependencyNotReadyError(row.id);
      return row as ReadyResource;
  }
}

/**
 * Several dependencies read concurrently instead of one after another (a round trip less each, on
 * an onboarding's critical path); a problem is reported for the first in the order given, as before.
 */
export async function readyDependencies(ctx: HandlerContext, wanted: [string | null, ResourceType][]): Promise<ReadyResource[]> {
  const results = await Promise.allSettled(wanted.map(([id, type]) => readyDependency(ctx, id, type)));
  return results.map((result) => {
    if (result.status === 'rejected') throw result.reason;
    return result.value;
  });
}

const stateOf = (source: SourceConnection) => (source.state === 'disabled' ? ('DISABLED' as const) : ('ENABLED' as const));

/** CREATE_SOURCE_CONNECTION: a JSON source connection for one Stripe resource, created once. */
export async function createSourceConnection(ctx: HandlerContext): Promise<HandlerOutcome> {
  const { platform } = ctx.deps;
  const connection = await readyDependency(ctx, ctx.resource.connectionId, 'CONNECTION');
  const name = platformName(ctx.resource.name, ctx.resource.id);
  const options = callOptions(ctx);
  const created = await createOrAdopt(ctx, {
    find: () => platform.flowService.findSourceConnectionsByName(name, options),
    create: () =>
      platform.flowService.createSourceConnection(
        {
          name,
          description: ctx.resource.description ?? undefined,
          baseConnectionId: connection.platformId,
          resourcePath: ctx.resource.stripeResource as StripeResourcePath,
        },
        options,
      ),
  });
  await ctx.progress(0.7, 'source connection created; reading it back');
  const source = await platform.flowService.getSourceConnection(created.id, options);
  return {
    resource: { platformId: source.id, etag: source.etag, snapshot: snapshotOf(source), state: stateOf(source) },
    action: 'CREATED',
    message: 'source connection created',
  };
}
