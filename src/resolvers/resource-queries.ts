import { Field, ID, InputType, Int, ArgsType } from 'type-graphql';
import type { GatewayContext } from '../graphql/context.js';
import { ResourceState } from '../schema/enums.js';
import { toResource } from '../schema/mappers.js';
import { toPage } from '../schema/page.type.js';
import type { PlatformResource } from '../schema/platform-resource.type.js';
import { pageSize } from '../store/cursor.js';
import type { ResourceType } from '../store/generated/enums.js';
import { resourceCursor, type ResourceFilter } from '../store/resource.store.js';

/** `first`/`after` of every resource list. */
@ArgsType()
export class PageArgs {
  @Field(() => Int, { nullable: true, description: '1..100, default 20' })
  first?: number | null;

  @Field(() => String, { nullable: true, description: 'endCursor of the previous page' })
  after?: string | null;
}

@InputType()
export class StateFilter {
  @Field(() => ResourceState, { nullable: true, description: 'Only resources in this state (default: all but DELETED).' })
  state?: ResourceState | null;
}

/** Loads one resource of a type by id in the caller's sandbox (null if absent). */
export async function findResource<T extends PlatformResource>(ctx: GatewayContext, type: ResourceType, id: string): Promise<T | null> {
  const row = await ctx.store.resources.find(id, ctx.sandbox);
  return row && row.type === type ? (toResource(row) as T) : null;
}

/** One page of resources of a type, newest first. */
export async function listResources(ctx: GatewayContext, filter: Omit<ResourceFilter, 'sandbox'>, args: PageArgs) {
  const page = await ctx.store.resources.list({ ...filter, sandbox: ctx.sandbox }, pageSize(args.first), args.after);
  return toPage(page, toResource, resourceCursor);
}

/** Live resources of `type` linked to `id` through `link`. */
export async function linkedResources<T extends PlatformResource>(ctx: GatewayContext, type: ResourceType, link: Parameters<GatewayContext['store']['resources']['dependents']>[2], id: string): Promise<T[]> {
  const rows = await ctx.store.resources.dependents(id, type, link);
  return rows.filter((r) => r.sandbox === ctx.sandbox).map((r) => toResource(r) as T);
}

@InputType()
export class IdFilter {
  @Field(() => ID, { nullable: true })
  id?: string | null;
}
