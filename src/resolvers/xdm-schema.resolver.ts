import { Arg, Ctx, Field, ID, InputType, Mutation, Resolver } from 'type-graphql';
import { EXPLORE_SCHEMA_LIMITS, exploreSchemaProblem } from '../domain/xdm-from-explore.js';
import { ValidationError } from '../errors/app-errors.js';
import type { GatewayContext } from '../graphql/context.js';
import { jsonNesting } from '../services/input-rules.js';
import { referencedResource } from '../services/resource-rules.js';
import { StripeResource } from '../schema/enums.js';
import { Operation } from '../schema/operation.type.js';
import { XdmSchema } from '../schema/resource-types.js';
import { JSON as JSONScalar } from '../schema/scalars.js';
import { createFields, NamedCreateInput, ResourceResolver, submitOperation } from './resource-resolver.js';

/** Largest `exploreSchema` accepted, as JSON text. */
const MAX_EXPLORE_SCHEMA_BYTES = 256 * 1024;

@InputType({ description: 'Either sourceConnectionId (its Stripe resource is explored), or resource + exploreSchema.' })
class CreateXdmSchemaInput extends NamedCreateInput {
  @Field(() => ID, { nullable: true, description: 'Mirror the Stripe resource this source connection reads (explored through its base connection).' }) sourceConnectionId?: string | null;
  @Field(() => StripeResource, { nullable: true, description: 'With exploreSchema: the resource the schema describes.' }) resource?: StripeResource | null;
  @Field(() => JSONScalar, { nullable: true, description: 'An explore-style schema the caller already has: {type: "object", properties: {data: {...}}}.' }) exploreSchema?: unknown;
}

@Resolver(() => XdmSchema)
export class XdmSchemaResolver extends ResourceResolver({ type: 'XDM_SCHEMA', objectType: XdmSchema, listDescription: 'Custom XDM schemas, newest first.' }) {
  @Mutation(() => Operation, { description: 'Creates a tenant class, a field group mirroring the explored Stripe record, and the schema joining them.' })
  async createXdmSchema(@Arg('input', () => CreateXdmSchemaInput, { description: 'What to create.' }) input: CreateXdmSchemaInput, @Ctx() ctx: GatewayContext): Promise<Operation> {
    const { name, description, idempotencyKey } = createFields(input);
    const hasSource = input.sourceConnectionId !== undefined && input.sourceConnectionId !== null;
    const hasResource = input.resource !== undefined && input.resource !== null;
    const hasSchema = input.exploreSchema !== undefined && input.exploreSchema !== null;

    if (hasSource) {
      if (hasResource) throw new ValidationError('input.resource', 'must not be given with sourceConnectionId (the source connection names the resource)');
      if (hasSchema) throw new ValidationError('input.exploreSchema', 'must not be given with sourceConnectionId (the source connection is explored)');
      const source = await referencedResource(ctx, input.sourceConnectionId!, 'SOURCE_CONNECTION', 'input.sourceConnectionId');
      return submitOperation(ctx, {
        type: 'CREATE_XDM_SCHEMA',
        resourceId: ctx.requests.newId(),
        create: { name, description, stripeResource: source.stripeResource, sourceConnectionId: source.id },
        input: {},
        idempotencyKey,
      });
    }

    if (!hasResource && !hasSchema) throw new ValidationError('input.sourceConnectionId', 'is required unless resource and exploreSchema are given');
    if (!hasResource) throw new ValidationError('input.resource', 'is required with exploreSchema');
    if (!hasSchema) throw new ValidationError('input.exploreSchema', 'is required with resource (or give sourceConnectionId instead)');
    // Well past the schema's own depth limit (so its walk names the exact node), short of the stack's.
    jsonNesting('input.exploreSchema', input.exploreSchema, 4 * EXPLORE_SCHEMA_LIMITS.maxDepth);
    if (Buffer.byteLength(JSON.stringify(input.exploreSchema)) > MAX_EXPLORE_SCHEMA_BYTES) {
      throw new ValidationError('input.exploreSchema', `must be at most ${MAX_EXPLORE_SCHEMA_BYTES} bytes of JSON`);
    }
    const problem = exploreSchemaProblem(input.exploreSchema);
    if (problem) throw new ValidationError('input.exploreSchema', problem.path ? `${problem.path} ${problem.message}` : problem.message);
    return submitOperation(ctx, {
      type: 'CREATE_XDM_SCHEMA',
      resourceId: ctx.requests.newId(),
      create: { name, description, stripeResource: input.resource! },
      // The schema travels in the operation, not the row: the row keeps what was made of it (spec.fields).
      // As text, because jsonb re-orders object keys and the field order is the caller's.
      input: { exploreSchemaJson: JSON.stringify(input.exploreSchema) },
      idempotencyKey,
    });
  }
}
