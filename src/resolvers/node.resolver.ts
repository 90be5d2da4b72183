import { Arg, Ctx, ID, Query, Resolver } from 'type-graphql';
import { NODE_READERS } from '../auth/policy.js';
import { ValidationError } from '../errors/app-errors.js';
import type { GatewayContext } from '../graphql/context.js';
import { toApiKey, toAuditEvent, toFlowRun, toOperation, toResource } from '../schema/mappers.js';
import { Node } from '../schema/node.type.js';
import { toOnboarding } from '../schema/onboarding.mapper.js';
import { MAX_PAGE_SIZE } from '../store/cursor.js';
import type { NodeKind } from '../store/node.store.js';

/**
 * Relay's `node(id:)` and `nodes(ids:)`: any object by its id, under the same rules as the query
 * that reads its kind — the caller's sandbox (another sandbox's id is null, as if it did not
 * exist) and the role policy (`NODE_READERS`).
 */
@Resolver()
export class NodeResolver {
  @Query(() => Node, { nullable: true, description: 'Any object by its id; null when it does not exist, lives in another sandbox, or your role may not read its kind.' })
  async node(@Arg('id', () => ID, { description: 'The object’s id.' }) id: string, @Ctx() ctx: GatewayContext): Promise<Node | null> {
    const [node] = await loadNodes(ctx, [id]);
    return node ?? null;
  }

  @Query(() => [Node], { nullable: 'items', description: 'Several objects by id, in the order asked (null for each that `node` would answer null); at most 100.' })
  async nodes(@Arg('ids', () => [ID], { description: 'The objects’ ids (at most 100).' }) ids: string[], @Ctx() ctx: GatewayContext): Promise<(Node | null)[]> {
    if (ids.length > MAX_PAGE_SIZE) throw new ValidationError('ids', `must name at most ${MAX_PAGE_SIZE} ids`);
    return loadNodes(ctx, ids);
  }
}

async function loadNodes(ctx: GatewayContext, ids: readonly string[]): Promise<(Node | null)[]> {
  const kinds = await ctx.store.nodes.kinds(ids);
  return Promise.all(
    ids.map((id) => {
      const kind = kinds.get(id.toLowerCase());
      return kind && NODE_READERS[kind].includes(ctx.caller.role) ? loadNode(ctx, kind, id.toLowerCase()) : Promise.resolve(null);
    }),
  );
}

async function loadNode(ctx: GatewayContext, kind: NodeKind, id: string): Promise<Node | null> {
  const { store, sandbox } = ctx;
  switch (kind) {
    case 'resource': {
      const row = await store.resources.find(id, sandbox);
      return row ? toResource(row) : null;
    }
    case 'operation': {
      const row = await store.operations.find(id, sandbox);
      return row ? toOperation(row) : null;
    }
    case 'onboarding': {
      const state = await store.onboardings.load(id, sandbox);
      return state ? toOnboarding(state) : null;
    }
    case 'flowRun': {
      const run = await store.runs.find(id);
      // Runs belong to the sandbox of their dataflow.
      return run && (await store.resources.find(run.dataflowId, sandbox)) ? toFlowRun(run) : null;
    }
    case 'auditEvent': {
      const event = await store.audit.find(id, sandbox);
      return event ? toAuditEvent(event) : null;
    }
    case 'apiKey': {
      // API keys belong to the deployment, not to a sandbox; only admins read them (NODE_READERS).
      const key = await store.apiKeys.findById(id);
      return key ? toApiKey(key) : null;
    }
  }
}
