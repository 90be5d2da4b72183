import { Field, Int, ObjectType } from 'type-graphql';
import { MappingSourceType, ScheduleFrequency, StripeResource } from './enums.js';
import { Node } from './node.type.js';
import { PlatformResource } from './platform-resource.type.js';

/** A Stripe base connection (an "account"): Stripe credentials known to the Platform. The access token is never returned. */
@ObjectType({
  simpleResolvers: true,
  description: 'A Stripe base connection (an “account”): Stripe credentials known to the Platform. The access token is never returned.',
  implements: [Node, PlatformResource],
})
export class Connection extends PlatformResource {}

/** Which Stripe resource of a base connection a dataflow reads. */
@ObjectType({ simpleResolvers: true, description: 'Which Stripe resource of a base connection a dataflow reads.', implements: [Node, PlatformResource] })
export class SourceConnection extends PlatformResource {
  @Field(() => StripeResource, { description: 'The Stripe resource it reads.' }) resource!: StripeResource;

  connectionId!: string;
}

@ObjectType({ simpleResolvers: true, description: 'One field of an XDM schema (dotted path under the tenant namespace).' })
export class XdmField {
  @Field(() => String, { description: 'Dotted path, e.g. "_flowgatelocal.charges_data.amount".' }) path!: string;
  @Field(() => String, { description: 'XDM type, e.g. string, integer, number, boolean, object.' }) type!: string;
  @Field(() => String, { nullable: true, description: 'The explore path the field mirrors, e.g. "data.amount" (the mapping source); null if unknown.' }) source?: string | null;
}

/** A custom XDM schema whose tenant field group mirrors a Stripe resource. */
@ObjectType({ simpleResolvers: true, description: 'A custom XDM schema whose tenant field group mirrors a Stripe resource.', implements: [Node, PlatformResource] })
export class XdmSchema extends PlatformResource {
  @Field(() => StripeResource, { description: 'The Stripe resource the schema mirrors.', nullable: true }) resource!: StripeResource | null;
  @Field(() => String, { nullable: true, description: 'Schema Registry version, e.g. "1.0".' }) version!: string | null;
  @Field(() => String, { nullable: true, description: 'The tenant namespace fields live under, e.g. "_flowgatelocal".' }) tenantNamespace!: string | null;
  @Field(() => [XdmField], { description: 'Leaf fields the schema defines (empty until created).' }) fields!: XdmField[];

  sourceConnectionId!: string | null;
}

/** A Catalog dataset for one XDM schema. */
@ObjectType({ simpleResolvers: true, description: 'A Catalog dataset for one XDM schema.', implements: [Node, PlatformResource] })
export class Dataset extends PlatformResource {
  schemaId!: string;
}

/** Where a dataflow writes: a dataset (and its schema) in the data lake. */
@ObjectType({ simpleResolvers: true, description: 'Where a dataflow writes: a dataset (and its schema) in the data lake.', implements: [Node, PlatformResource] })
export class TargetConnection extends PlatformResource {
  datasetId!: string;
  schemaId!: string;
}

@ObjectType({ simpleResolvers: true, description: 'One field mapping of a mapping set: a source attribute written to an XDM path.' })
export class FieldMapping {
  @Field(() => String, { description: 'Source attribute, e.g. "data.amount".' }) source!: string;
  @Field(() => String, { description: 'XDM destination path, e.g. "_tenant.charges_data.amount".' }) destination!: string;
  @Field(() => MappingSourceType, { description: 'What the source is: a path, an expression or a constant.' }) sourceType!: MappingSourceType;
}

/** A Data Prep mapping set with its field mappings. */
@ObjectType({ simpleResolvers: true, description: 'A Data Prep mapping set with its field mappings.', implements: [Node, PlatformResource] })
export class Mapping extends PlatformResource {
  @Field(() => Int, { nullable: true, description: 'The mapping set version on the Platform.' }) version!: number | null;
  @Field(() => [FieldMapping], { description: 'What it writes where.' }) fieldMappings!: FieldMapping[];

  schemaId!: string;
  sourceConnectionId!: string | null;
}

@ObjectType({ simpleResolvers: true, description: 'When a dataflow runs.' })
export class Schedule {
  @Field(() => ScheduleFrequency, { description: 'The unit of the interval (ONCE: a single run).' }) frequency!: ScheduleFrequency;
  @Field(() => Int, { nullable: true, description: 'Frequency units between runs; null for ONCE.' }) interval!: number | null;
  @Field(() => Date, { description: 'First run.' }) startTime!: Date;
  @Field(() => Boolean, { nullable: true, description: 'Whether the first run reads history.' }) backfill!: boolean | null;
}

/** A dataflow: reads a Stripe resource through a source connection, maps it, writes a dataset. */
@ObjectType({ simpleResolvers: true, description: 'A dataflow: reads a Stripe resource through a source connection, maps it, writes a dataset.', implements: [Node, PlatformResource] })
export class Dataflow extends PlatformResource {
  @Field(() => StripeResource, { description: 'The Stripe resource it reads.', nullable: true }) resource!: StripeResource | null;
  @Field(() => Schedule, { description: 'When it runs.' }) schedule!: Schedule;
  @Field(() => Int, { description: 'The mapping set version the flow uses.' }) mappingVersion!: number;

  sourceConnectionId!: string;
  targetConnectionId!: string;
  mappingId!: string;
  connectionId!: string | null;
}
