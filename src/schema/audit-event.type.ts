import { Node } from './node.type.js';
import { Field, ID, Int, ObjectType } from 'type-graphql';
import { AuditAction, ResourceType } from './enums.js';
import { PageOf } from './page.type.js';
import { JSON } from './scalars.js';

@ObjectType({ description: 'One changed field (dotted path).' })
export class FieldChange {
  @Field(() => String) field!: string;
  @Field(() => JSON, { nullable: true }) before!: unknown;
  @Field(() => JSON, { nullable: true }) after!: unknown;
}

/** Who changed what, when. Append-only; secrets are redacted. */
@ObjectType({ implements: Node })
export class AuditEvent {
  @Field(() => ID) id!: string;
  @Field(() => Date) at!: Date;
  @Field(() => String) actor!: string;
  @Field(() => AuditAction, { description: 'What happened.' }) action!: AuditAction;
  @Field(() => ResourceType) resourceType!: ResourceType;
  @Field(() => ID) resourceId!: string;
  @Field(() => String, { nullable: true }) platformId!: string | null;
  @Field(() => String, { nullable: true }) etagBefore!: string | null;
  @Field(() => String, { nullable: true }) etagAfter!: string | null;
  @Field(() => [FieldChange]) changes!: FieldChange[];
  @Field(() => JSON, { nullable: true }) before!: unknown;
  @Field(() => JSON, { nullable: true }) after!: unknown;
  @Field(() => ID, { nullable: true }) operationId!: string | null;
  @Field(() => String, { nullable: true }) requestId!: string | null;
  @Field(() => String, { nullable: true, description: 'Hex sha256 of the previous event’s hash and this event’s content (the audit hash chain).' }) hash!: string | null;
  @Field(() => String, { nullable: true, description: 'Hex hash of the previous event in the chain.' }) prevHash!: string | null;
}

/** The result of re-checking the audit hash chain, oldest event first. */
@ObjectType()
export class AuditChainReport {
  @Field(() => Boolean, { description: 'True when every event links to the one before it and matches its hash, up to the chain head.' }) ok!: boolean;
  @Field(() => Int, { description: 'Events examined (up to and including the first broken one).' }) checkedEvents!: number;
  @Field(() => ID, { nullable: true, description: 'The first event whose link is broken.' }) firstBrokenEventId!: string | null;
  @Field(() => String, { nullable: true, description: 'Its position in the chain (append sequence), as a decimal string.' }) firstBrokenSeq!: string | null;
  @Field(() => Date, { nullable: true }) firstBrokenAt!: Date | null;
  @Field(() => String, { nullable: true, description: 'Why the link is broken.' }) reason!: string | null;
  @Field(() => String, { description: 'Hex hash of the chain head; keep a copy elsewhere to detect a rewrite of the newest events.' }) headHash!: string;
  @Field(() => String, { description: 'Append sequence of the chain head, as a decimal string.' }) headSeq!: string;
}

export const AuditEventPage = PageOf(AuditEvent, 'AuditEvent');
