import { Field, ID, ObjectType } from 'type-graphql';
import { StripeResource } from './enums.js';
import { JSON as JSONScalar } from './scalars.js';

@ObjectType({ simpleResolvers: true, description: 'One leaf of an explored schema: the path a mapping source uses.' })
export class ExploreField {
  @Field(() => String, { description: 'Dotted path, e.g. "data.amount".' }) path!: string;
  @Field(() => String, { description: 'One of object, array, string, integer, number, boolean — or unknown (the value was null in the sample).' }) type!: string;
}

@ObjectType({ simpleResolvers: true, description: 'What the Platform reads from a Stripe resource: its schema and, with preview, sample rows.' })
export class ExploreResult {
  @Field(() => ID, { description: 'The base connection explored.' }) connectionId!: string;
  @Field(() => StripeResource, { description: 'The Stripe resource explored.' }) resource!: StripeResource;
  @Field(() => JSONScalar, { description: 'The hierarchical schema the Platform infers; the record sits under properties.data.' }) schema!: unknown;
  @Field(() => [ExploreField], { description: 'Every leaf of the schema, with its path and type.' }) fields!: ExploreField[];
  @Field(() => [JSONScalar], { nullable: true, description: 'Sample records ({data: {...}}) when preview is true; null otherwise.' }) rows!: unknown[] | null;
}
