import { Field, ID, ObjectType } from 'type-graphql';
import { ResourceChangeAction, ResourceState, ResourceType } from './enums.js';

@ObjectType({ description: 'A resource changed: created, updated, enabled, deleted, failed, or found changed on the Platform.' })
export class ResourceChange {
  @Field(() => ResourceType) resourceType!: ResourceType;
  @Field(() => ID) resourceId!: string;
  @Field(() => ResourceState) state!: ResourceState;
  @Field(() => String, { nullable: true }) etag!: string | null;
  @Field(() => String, { nullable: true }) platformId!: string | null;
  @Field(() => ResourceChangeAction, { description: 'What happened; CURRENT for the first message.' }) action!: ResourceChangeAction;
  @Field(() => ID, { nullable: true }) operationId!: string | null;
  @Field(() => Date) at!: Date;
}
