import type { GraphQLResolveInfo } from 'graphql';
import { Arg, Args, ArgsType, Ctx, Field, FieldResolver, ID, Info, InputType, Int, Query, Resolver, Root, type ClassType } from 'type-graphql';
import { listWindow } from '../graphql/selection.js';
import type { PlatformResourceType, ResourceType } from '../domain/resource-types.js';
import { NotFoundError } from '../errors/app-errors.js';
import type { GatewayContext } from '../graphql/context.js';
import { idempotencyKey, optionalText, requiredName, uuidField } from '../services/input-rules.js';
import type { OperationRequest } from '../services/operation-requests.js';
import { AuditEventPage } from '../schema/audit-event.type.js';
import { AuditAction, OperationStatus, OperationType, ResourceState, StripeResource } from '../schema/enums.js';
import { toAuditEventPage, toOperation, toResource } from '../schema/mappers.js';
import { toOnboarding } from '../schema/onboarding.mapper.js';
import { Onboarding } from '../schema/onboarding.type.js';
import { OperationPage, type Operation } from '../schema/operation.type.js';
import { PageOf, toPage } from '../schema/page.type.js';
import type { AuditFilter } from '../store/audit.store.js';
import { operationCursor } from '../store/operation.store.js';
import type { PlatformResource } from '../schema/platform-resource.type.js';
import { resourceCursor, type ResourceFilter, type ResourceLink } from '../store/resource.store.js';
import { RESOURCE_FILTERS, RESOURCE_LINKS, type LinkField, type ListFilterSpec } from './resource-fields.js';

/**
 * What every resource resolver shares — its `<name>(id)` and `<names>(first, after, filter)`
 * queries, the create-input fields (name, description, idempotencyKey), the filter by state,
 * neighbour lookups and submitting an operation — so a resource type writes only its own fields
 * and rules (type-graphql's resolver-inheritance pattern).
 */

/** The Relay arguments of every list: `first`/`after` forward, `last`/`before` backward. */
@ArgsType()
export class PageArgs {
  @Field(() => Int, { nullable: true, description: 'How many items from the start of the range: 1..100, default 20 (when `last` is not given).' }) first?: number | null;
  @Field(() => String, { nullable: true, description: 'Only items after this cursor (a page’s `endCursor`).' }) after?: string | null;
  @Field(() => Int, { nullable: true, description: 'How many items from the end of the range: 1..100; not together with `first`.' }) last?: number | null;
  @Field(() => String, { nullable: true, description: 'Only items before this cursor (a page’s `startCursor`).' }) before?: string | null;
}

/** The fields every create input has besides its name. */
@InputType()
export abstract class CreateInputBase {
  @Field(() => String, { description: 'Free text shown with the resource.', nullable: true }) description?: string | null;
  @Field(() => String, { nullable: true, description: 'Same key + same input returns the same operation.' }) idempotencyKey?: string | null;
}

/** A create input whose name is required. */
@InputType()
export abstract class NamedCreateInput extends CreateInputBase {
  @Field(() => String, { description: 'The resource’s name (1–255 characters).' }) name!: string;
}

/** The fields every update input has; omitted ones stay. */
@InputType()
export abstract class UpdateInputBase {
  @Field(() => String, { description: 'A new name.', nullable: true }) name?: string | null;
  @Field(() => String, { nullable: true, description: 'Empty string clears it.' }) description?: string | null;
}

/** The filter every resource list has; resource types add their own fields. */
@InputType()
export abstract class ResourceFilterBase {
  @Field(() => ResourceState, { nullable: true, description: 'Only resources in this state (default: all but DELETED).' }) state?: ResourceState | null;
}

/** What a resource's own audit trail can be narrowed by. */
@InputType({ description: 'Narrows a resource’s audit events.' })
export class ResourceAuditEventFilter {
  @Field(() => AuditAction, { nullable: true, description: 'Only events with this action.' }) action?: AuditAction | null;
  @Field(() => String, { nullable: true, description: 'Only changes made by this caller (`apikey:<name>` or `jwt:<sub>`).' }) actor?: string | null;
  @Field(() => Date, { nullable: true, description: 'At or after this time.' }) since?: Date | null;
  @Field(() => Date, { nullable: true, description: 'At or before this time.' }) until?: Date | null;
}

/** What a resource's own operations can be narrowed by. */
@InputType({ description: 'Narrows a resource’s operations.' })
export class ResourceOperationFilter {
  @Field(() => OperationStatus, { nullable: true, description: 'Only operations in this status.' }) status?: OperationStatus | null;
  @Field(() => OperationType, { nullable: true, description: 'Only operations of this type.' }) type?: OperationType | null;
}

/** Filter fields a resource type may add, and the resource columns they select by. */
interface ResourceFilterFields extends ResourceFilterBase {
  resource?: string | null;
  connectionId?: string | null;
  sourceConnectionId?: string | null;
  schemaId?: string | null;
  datasetId?: string | null;
}

/** What a list's filter input selects, ids checked (`filter.<field>` names a bad one). */
export function resourceFilterOf(type: ResourceType, filter: ResourceFilterFields | null | undefined): Omit<ResourceFilter, 'sandbox'> {
  const f = filter ?? {};
  const id = (key: 'connectionId' | 'sourceConnectionId' | 'schemaId' | 'datasetId') => (f[key] ? uuidField(`filter.${key}`, f[key]) : null);
  return {
    type,
    state: f.state ?? null,
    stripeResource: f.resource ?? null,
    connectionId: id('connectionId'),
    sourceConnectionId: id('sourceConnectionId'),
    schemaId: id('schemaId'),
    datasetId: id('datasetId'),
  };
}

export interface ResourceResolverOptions<T extends PlatformResource> {
  type: PlatformResourceType;
  /** Its object type; the queries are named after it (`dataset(id)`, `datasets(…)`), and so is its `<Name>Page` type. */
  objectType: ClassType<T>;
  listDescription: string;
}

/**
 * The base class of a resource's resolver: its `<name>(id)` and `<name>s(…)` queries, and the
 * navigation every resource has — its audit trail, its operations and the onboarding that made it.
 */
export function ResourceResolver<T extends PlatformResource>(options: ResourceResolverOptions<T>) {
  const name = options.objectType.name;
  const one = `${name.charAt(0).toLowerCase()}${name.slice(1)}`;
  const pageType = PageOf(options.objectType, name);
  const filterType = filterInput(name, RESOURCE_FILTERS[options.type]);

  @Resolver(() => options.objectType)
  abstract class ResourceResolverBase {
    @FieldResolver(() => AuditEventPage, { description: 'Its audit trail, newest first.' })
    auditEvents(
      @Root() resource: PlatformResource,
      @Args(() => PageArgs) page: PageArgs,
      @Arg('filter', () => ResourceAuditEventFilter, { nullable: true, description: 'Narrows the events.' }) filter: ResourceAuditEventFilter | null,
      @Ctx() ctx: GatewayContext,
      @Info() info: GraphQLResolveInfo,
    ): Promise<AuditEventPage> {
      return auditEventPage(ctx, { ...filter, resourceType: resource.resourceType, resourceId: resource.id }, page, info);
    }

    @FieldResolver(() => OperationPage, { description: 'The operations requested on it, newest first.' })
    async operations(
      @Root() resource: PlatformResource,
      @Args(() => PageArgs) page: PageArgs,
      @Arg('filter', () => ResourceOperationFilter, { nullable: true, description: 'Narrows the operations.' }) filter: ResourceOperationFilter | null,
      @Ctx() ctx: GatewayContext,
      @Info() info: GraphQLResolveInfo,
    ) {
      const rows = await ctx.store.operations.list({ sandbox: ctx.sandbox, resourceId: resource.id, status: filter?.status ?? null, type: filter?.type ?? null }, listWindow(page, info));
      return toPage(rows, toOperation, operationCursor);
    }

    @FieldResolver(() => Onboarding, { nullable: true, description: 'The onboarding that made it; null when it was made on its own.' })
    async onboarding(@Root() resource: PlatformResource, @Ctx() ctx: GatewayContext): Promise<Onboarding | null> {
      const state = await ctx.store.onboardings.madeResource(resource.id, ctx.sandbox);
      return state ? toOnboarding(state) : null;
    }

    @Query(() => options.objectType, { name: one, nullable: true, description: `One ${options.objectType.name} by id; null when it does not exist or lives in another sandbox.` })
    one(@Arg('id', () => ID, { description: 'Its Flowgate id.' }) id: string, @Ctx() ctx: GatewayContext): Promise<T | null> {
      return findResource<T>(ctx, options.type, id);
    }

    @Query(() => pageType, { name: `${one}s`, description: options.listDescription })
    async list(
      @Args(() => PageArgs) page: PageArgs,
      @Arg('filter', () => filterType, { nullable: true, description: 'Narrows the list.' }) filter: ResourceFilterFields | null,
      @Ctx() ctx: GatewayContext,
      @Info() info: GraphQLResolveInfo,
    ) {
      const rows = await ctx.store.resources.list({ ...resourceFilterOf(options.type, filter), sandbox: ctx.sandbox }, listWindow(page, info));
      return toPage(rows, toResource, resourceCursor);
    }
  }
  for (const [name, link] of Object.entries(RESOURCE_LINKS[options.type])) addLinkField(ResourceResolverBase.prototype, name, link);
  return ResourceResolverBase;
}

/** The `<Name>Filter` input of a resource list: its state (ResourceFilterBase) and the fields of `spec`. */
function filterInput(name: string, spec: ListFilterSpec): ClassType {
  @InputType(`${name}Filter`, { description: spec.description })
  class Filter extends ResourceFilterBase {}
  for (const [field, description] of Object.entries(spec.fields)) Field(() => (field === 'resource' ? StripeResource : ID), { nullable: true, description })(Filter.prototype, field);
  return Filter;
}

/**
 * Declares link field `name` on a resource resolver (as `@FieldResolver` on a method would): what
 * it leads to, and how it is found, come from the link.
 */
function addLinkField(resolver: object, name: string, link: LinkField): void {
  const method = `${name}Link`;
  const resolve = (resource: PlatformResource, ctx: GatewayContext) => {
    if (link.lookup === 'dependents') return linkedResources(ctx, link.type, link.via, resource.id);
    const id = (resource as unknown as Record<ResourceLink, string | null>)[link.via];
    if (link.lookup === 'linked') return linkedResource(ctx, link.type, id!);
    return id ? findResource(ctx, link.type, id) : Promise.resolve(null);
  };
  Object.defineProperty(resolver, method, { value: resolve });
  const descriptor = Object.getOwnPropertyDescriptor(resolver, method)!;
  FieldResolver(() => (link.lookup === 'dependents' ? [link.to()] : link.to()), { name, nullable: link.lookup === 'optional', description: link.description })(resolver, method, descriptor);
  Root()(resolver, method, 0);
  Ctx()(resolver, method, 1);
}

/** A create input's shared fields, checked. */
export interface CreateFields<N> {
  name: N;
  description: string | null;
  idempotencyKey: string | null;
}

/**
 * The name, description and idempotency key of a create input, checked (errors name `input.<field>`).
 * An optional name that was omitted is null: the resolver picks the default once it has read what it is named after.
 */
export function createFields(input: NamedCreateInput): CreateFields<string>;
export function createFields(input: CreateInputBase & { name?: string | null }): CreateFields<string | null>;
export function createFields(input: CreateInputBase & { name?: string | null }): CreateFields<string | null> {
  return {
    name: input.name === undefined || input.name === null ? null : requiredName('input.name', input.name),
    description: optionalText('input.description', input.description),
    idempotencyKey: idempotencyKey('input.idempotencyKey', input.idempotencyKey),
  };
}

/** A page of the sandbox's audit trail (a resource's own, or all of it), newest first; `totalCount` is counted only when selected. */
export async function auditEventPage(ctx: GatewayContext, filter: Omit<AuditFilter, 'sandbox'> | null, page: PageArgs, info: GraphQLResolveInfo): Promise<AuditEventPage> {
  const f = filter ?? {};
  const events = await ctx.store.audit.list(
    {
      sandbox: ctx.sandbox,
      resourceType: f.resourceType ?? null,
      resourceId: f.resourceId ?? null,
      actor: optionalText('filter.actor', f.actor, 200),
      action: f.action ?? null,
      since: f.since ?? null,
      until: f.until ?? null,
    },
    listWindow(page, info),
  );
  return toAuditEventPage(events);
}

/** An update input's name and description, checked: those given (errors name `input.<field>`), an empty description as null. */
export function updateFields(input: UpdateInputBase): { name?: string; description?: string | null } {
  const changes: { name?: string; description?: string | null } = {};
  if (input.name !== undefined && input.name !== null) changes.name = requiredName('input.name', input.name);
  if (input.description !== undefined && input.description !== null) changes.description = optionalText('input.description', input.description) || null;
  return changes;
}

/** Records an operation for the caller and answers with it. */
export async function submitOperation<T extends OperationType>(ctx: GatewayContext, request: OperationRequest<T>): Promise<Operation> {
  return toOperation(await ctx.requests.submit(ctx, request));
}

/** One resource of a type in the caller's sandbox, as its GraphQL type; null when absent. */
export async function findResource<T extends PlatformResource>(ctx: GatewayContext, type: ResourceType, id: string): Promise<T | null> {
  const row = await ctx.store.resources.find(id, ctx.sandbox);
  return row && row.type === type ? (toResource(row) as T) : null;
}

/** The neighbour a non-null link points at (same sandbox); its absence is a broken invariant. */
export async function linkedResource<T extends PlatformResource>(ctx: GatewayContext, type: ResourceType, id: string): Promise<T> {
  const found = await findResource<T>(ctx, type, id);
  if (!found) throw new NotFoundError(type, id);
  return found;
}

/** Live resources of `type` linked to `id` through `link`, in the caller's sandbox. */
export async function linkedResources<T extends PlatformResource>(ctx: GatewayContext, type: ResourceType, link: ResourceLink, id: string): Promise<T[]> {
  const rows = await ctx.store.resources.dependents(id, type, link);
  return rows.filter((r) => r.sandbox === ctx.sandbox).map((r) => toResource(r) as T);
}
