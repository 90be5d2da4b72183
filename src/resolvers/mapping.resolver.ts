import { Arg, Ctx, Field, ID, InputType, Mutation, Resolver } from 'type-graphql';
import { destinationsOfFields, inTenantNamespace } from '../domain/mapping-generation.js';
import { specOf, type FieldMappingSpec } from '../domain/resource-specs.js';
import { PreconditionError, ValidationError } from '../errors/app-errors.js';
import type { GatewayContext } from '../graphql/context.js';
import { optionalText } from '../services/input-rules.js';
import { referencedResource } from '../services/resource-rules.js';
import { MappingSourceType } from '../schema/enums.js';
import { Operation } from '../schema/operation.type.js';
import { Mapping } from '../schema/resource-types.js';
import { createFields, CreateInputBase, ResourceResolver, submitOperation } from './resource-resolver.js';

/** Most mappings one set may hold (the tutorial's charges set has 36). */
export const MAX_FIELD_MAPPINGS = 2000;
const PATH = /^[A-Za-z0-9_$@-]+(\.[A-Za-z0-9_$@-]+)*$/;

@InputType({ description: 'One field mapping: a source written to an XDM path.' })
class FieldMappingInput {
  @Field(() => String, { description: 'Source attribute (e.g. "data.amount"), expression or constant, per sourceType.' }) source!: string;
  @Field(() => String, { description: 'XDM path the value is written to, e.g. "_tenant.charges_data.amount".' }) destination!: string;
  @Field(() => MappingSourceType, { description: 'What `source` is; default ATTRIBUTE.', nullable: true, defaultValue: MappingSourceType.ATTRIBUTE }) sourceType?: MappingSourceType | null;
}

@InputType({ description: 'A new Data Prep mapping set (generated from the source connection when no mappings are given).' })
class CreateMappingInput extends CreateInputBase {
  @Field(() => ID, { description: 'The XDM schema the mappings write.' }) schemaId!: string;
  @Field(() => ID, { nullable: true, description: 'The source connection whose explored schema the mappings read; required to generate them.' }) sourceConnectionId?: string | null;
  @Field(() => String, { nullable: true, description: 'Default: "<schema name> mapping".' }) name?: string | null;

  @Field(() => [FieldMappingInput], {
    nullable: true,
    description: 'Explicit mappings. Omit them to generate data.x → _{tenant}.<resource>_data.x for every explored attribute the schema defines.',
  })
  fieldMappings?: FieldMappingInput[] | null;
}

@Resolver(() => Mapping)
export class MappingResolver extends ResourceResolver({ type: 'MAPPING', objectType: Mapping, listDescription: 'Data Prep mapping sets, newest first.' }) {
  @Mutation(() => Operation, { description: 'Creates a Data Prep mapping set from explicit field mappings, or generates them from the explored source and the schema.' })
  async createMapping(@Arg('input', () => CreateMappingInput, { description: 'What to create.' }) input: CreateMappingInput, @Ctx() ctx: GatewayContext): Promise<Operation> {
    const schema = await referencedResource(ctx, input.schemaId, 'XDM_SCHEMA', 'input.schemaId');
    const source = input.sourceConnectionId ? await referencedResource(ctx, input.sourceConnectionId, 'SOURCE_CONNECTION', 'input.sourceConnectionId') : null;
    const fields = createFields(input);
    if (source && schema.stripeResource && source.stripeResource && source.stripeResource !== schema.stripeResource) {
      throw new PreconditionError(`source connection ${source.id} reads ${source.stripeResource} but schema ${schema.id} mirrors ${schema.stripeResource}`, 'input.sourceConnectionId');
    }

    let fieldMappings: FieldMappingSpec[] | null = null;
    if (input.fieldMappings === undefined || input.fieldMappings === null) {
      if (!source) throw new ValidationError('input.sourceConnectionId', 'is required when fieldMappings are omitted (they are generated from its explored schema)');
    } else {
      const spec = specOf('XDM_SCHEMA', schema.spec);
      // Destinations in the tenant's namespace are checked once the schema exists (Flowgate knows
      // every field it defined there); the class's own fields and everything before that are the Platform's to check.
      const namespace = spec.tenantNamespace ?? ctx.tenantId;
      const known = schema.platformId && namespace && spec.fields && spec.fields.length > 0 ? { namespace, paths: destinationsOfFields(spec.fields, namespace) } : null;
      fieldMappings = checkFieldMappings(input.fieldMappings, known);
    }

    return submitOperation(ctx, {
      type: 'CREATE_MAPPING',
      resourceId: ctx.requests.newId(),
      create: {
        name: fields.name ?? `${schema.name} mapping`.slice(0, 200),
        description: fields.description,
        schemaId: schema.id,
        sourceConnectionId: source?.id ?? null,
        stripeResource: source?.stripeResource ?? schema.stripeResource ?? null,
        spec: { fieldMappings: fieldMappings ?? [], generated: fieldMappings === null, version: null },
      },
      input: {},
      idempotencyKey: fields.idempotencyKey,
    });
  }
}

/** Checks explicit mappings: shape, no destination twice, and (when known) tenant destinations the schema defines. */
function checkFieldMappings(input: FieldMappingInput[], known: { namespace: string; paths: Set<string> } | null): FieldMappingSpec[] {
  if (input.length === 0) throw new ValidationError('input.fieldMappings', 'must hold at least one mapping; omit it to generate them');
  if (input.length > MAX_FIELD_MAPPINGS) throw new ValidationError('input.fieldMappings', `must hold at most ${MAX_FIELD_MAPPINGS} mappings`);
  const seen = new Map<string, number>();
  return input.map((m, index) => {
    const at = `input.fieldMappings[${index}]`;
    const sourceType = m.sourceType ?? MappingSourceType.ATTRIBUTE;
    const source = sourceType === MappingSourceType.ATTRIBUTE ? pathField(`${at}.source`, m.source) : requiredText(`${at}.source`, m.source);
    const destination = pathField(`${at}.destination`, m.destination);
    const earlier = seen.get(destination);
    if (earlier !== undefined) throw new ValidationError(`${at}.destination`, `is already mapped by input.fieldMappings[${earlier}]`);
    seen.set(destination, index);
    if (known && inTenantNamespace(destination, known.namespace) && !known.paths.has(destination)) throw new ValidationError(`${at}.destination`, `'${destination}' is not a field of the schema`);
    return { source, destination, sourceType };
  });
}

function pathField(field: string, value: string): string {
  const trimmed = requiredText(field, value);
  if (trimmed.length > 500) throw new ValidationError(field, 'must be at most 500 characters');
  if (!PATH.test(trimmed)) throw new ValidationError(field, 'must be a dotted path such as data.amount');
  return trimmed;
}

function requiredText(field: string, value: string): string {
  const text = optionalText(field, value, 1000)?.trim();
  if (!text) throw new ValidationError(field, 'is required');
  return text;
}
