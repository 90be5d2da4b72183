import { Field, ID, ObjectType } from 'type-graphql';
import { ResourceChangeAction, ResourceState, ResourceType } from './enums.js';

@ObjectType({ simpleResolvers: true, description: 'A resource changed: created, updated, enabled, deleted, failed, or found changed on the Platform.' })
export class ResourceChange {
  @Field(() => ResourceType, { description: 'The kind of resource.' }) resourceType!: ResourceType;
  @Field(() => ID, { description: 'Flowgate id of the resource.' }) resourceId!: string;
  @Field(() => ResourceState, { description: 'Its state after the change.' }) state!: ResourceState;
  @Field(() => String, { description: 'The Platform etag after the change.', nullable: true }) etag!: string | null;
  @Field(() => String, { description: 'Adobe’s id of the resource, once it has one.', nullable: true }) platformId!: string | null;
  @Field(() => ResourceChangeAction, { description: 'What happened; CURRENT for the first message.' }) action!: ResourceChangeAction;
  @Field(() => ID, { description: 'The operation that made the change; null for the first message.', nullable: true }) operationId!: string | null;
  @Field(() => Date, { description: 'When the change was recorded.' }) at!: Date;
}
