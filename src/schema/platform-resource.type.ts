import { Field, ID, InterfaceType } from 'type-graphql';
import { ResourceState, ResourceType } from './enums.js';
import { Node } from './node.type.js';

/** What every Platform resource Flowgate manages has. */
@InterfaceType('PlatformResource', {
  implements: Node,
  description: 'What every Platform resource Flowgate manages has.',
  resolveType: (value: { resourceType?: ResourceType }) => RESOURCE_TYPE_NAMES[value.resourceType ?? ResourceType.CONNECTION],
})
export abstract class PlatformResource {
  @Field(() => ID, { description: "Flowgate's id: stable from the moment the resource is requested." }) id!: string;
  @Field(() => String, { nullable: true, description: "Adobe's id; null until the Platform created the resource." }) platformId!: string | null;
  @Field(() => String, { description: 'Flowgate name; on the Platform it carries the `[fg:<id>]` tag that lets a retry find it.' }) name!: string;
  @Field(() => String, { description: 'Free text; null when none was given.', nullable: true }) description!: string | null;
  @Field(() => String, { nullable: true, description: "The Platform's concurrency token (etag), as last seen." }) etag!: string | null;
  @Field(() => ResourceState, { description: 'Where the resource is in its life (PENDING until the Platform created it).' }) state!: ResourceState;
  @Field(() => String, { description: 'The AEP sandbox the resource lives in.' }) sandbox!: string;
  @Field(() => Date, { description: 'When it was requested.' }) createdAt!: Date;
  @Field(() => Date, { description: 'When Flowgate last recorded a change to it.' }) updatedAt!: Date;

  /** Which concrete type this is (not a GraphQL field; used to resolve the interface). */
  resourceType!: ResourceType;
}

/** GraphQL object type name per resource type. */
export const RESOURCE_TYPE_NAMES: Record<ResourceType, string> = {
  CONNECTION: 'Connection',
  SOURCE_CONNECTION: 'SourceConnection',
  XDM_SCHEMA: 'XdmSchema',
  DATASET: 'Dataset',
  TARGET_CONNECTION: 'TargetConnection',
  MAPPING: 'Mapping',
  DATAFLOW: 'Dataflow',
  // Never a resources row (audit events only); listed so the record stays exhaustive.
  API_KEY: 'ApiKey',
  ALERT: 'Alert',
  WEBHOOK: 'Webhook',
};
