import { Field, ID, ObjectType } from 'type-graphql';
import { ResourceType } from './enums.js';
import { PageOf } from './page.type.js';
import { JSON } from './scalars.js';

@ObjectType({ description: 'One changed field (dotted path).' })
export class FieldChange {
  @Field(() => String)
  field!: string;

  @Field(() => JSON, { nullable: true })
  before!: unknown;

  @Field(() => JSON, { nullable: true })
  after!: unknown;
}

/** Who changed what, when. Append-only; secrets are redacted. */
@ObjectType()
export class AuditEvent {
  @Field(() => ID)
  id!: string;

  @Field(() => Date)
  at!: Date;

  @Field(() => String)
  actor!: string;

  @Field(() => String, { description: 'e.g. CREATED, UPDATED, DELETED, ENABLED, DISABLED, CREATE_FAILED, CONFLICT_DETECTED.' })
  action!: string;

  @Field(() => ResourceType)
  resourceType!: ResourceType;

  @Field(() => ID)
  resourceId!: string;

  @Field(() => String, { nullable: true })
  platformId!: string | null;

  @Field(() => String, { nullable: true })
  etagBefore!: string | null;

  @Field(() => String, { nullable: true })
  etagAfter!: string | null;

  @Field(() => [FieldChange])
  changes!: FieldChange[];

  @Field(() => JSON, { nullable: true })
  before!: unknown;

  @Field(() => JSON, { nullable: true })
  after!: unknown;

  @Field(() => ID, { nullable: true })
  operationId!: string | null;

  @Field(() => String, { nullable: true })
  requestId!: string | null;
}

export const AuditEventPage = PageOf(AuditEvent, 'AuditEvent');
