import { Node } from './node.type.js';
import { Field, ID, Int, ObjectType } from 'type-graphql';
import { AuditAction, ResourceType } from './enums.js';
import { PageOf } from './page.type.js';
import { JSON } from './scalars.js';

@ObjectType({ simpleResolvers: true, description: 'One changed field (dotted path).' })
export class FieldChange {
  @Field(() => String, { description: 'Dotted path of the field, e.g. `schedule.interval`.' }) field!: string;
  @Field(() => JSON, { description: 'The value before (secrets redacted).', nullable: true }) before!: unknown;
  @Field(() => JSON, { description: 'The value after (secrets redacted).', nullable: true }) after!: unknown;
}

/** Who changed what, when. Append-only; secrets are redacted. */
@ObjectType({ simpleResolvers: true, description: 'Who changed what, when. Append-only; secrets are redacted.', implements: Node })
export class AuditEvent {
  @Field(() => ID, { description: 'The event’s id (a UUID).' }) id!: string;
  @Field(() => Date, { description: 'When the change was recorded.' }) at!: Date;
  @Field(() => String, { description: 'Who made the change (`apikey:<name>` or `jwt:<sub>`).' }) actor!: string;
  @Field(() => AuditAction, { description: 'What happened.' }) action!: AuditAction;
  @Field(() => ResourceType, { description: 'What kind of resource changed.' }) resourceType!: ResourceType;
  @Field(() => ID, { description: 'Flowgate id of the changed resource (or API key).' }) resourceId!: string;
  @Field(() => String, { description: 'Adobe’s id of the resource, when it has one.', nullable: true }) platformId!: string | null;
  @Field(() => String, { description: 'The Platform etag before the change.', nullable: true }) etagBefore!: string | null;
  @Field(() => String, { description: 'The Platform etag after the change.', nullable: true }) etagAfter!: string | null;
  @Field(() => [FieldChange], { description: 'The fields that changed, with their values before and after.' }) changes!: FieldChange[];
  @Field(() => JSON, { description: 'The resource before the change, secrets redacted; null for a creation.', nullable: true }) before!: unknown;
  @Field(() => JSON, { description: 'The resource after the change, secrets redacted.', nullable: true }) after!: unknown;
  @Field(() => ID, { description: 'The operation that made the change; null for API-key management.', nullable: true }) operationId!: string | null;
  @Field(() => String, { description: 'The request id (`x-request-id`) of the request that asked for the change.', nullable: true }) requestId!: string | null;
  @Field(() => String, { nullable: true, description: 'Hex sha256 of the previous event’s hash and this event’s content (the audit hash chain).' }) hash!: string | null;
  @Field(() => String, { nullable: true, description: 'Hex hash of the previous event in the chain.' }) prevHash!: string | null;
}

/** The result of re-checking the audit hash chain, oldest event first. */
@ObjectType({ simpleResolvers: true, description: 'The result of re-checking the audit hash chain, oldest event first.' })
export class AuditChainReport {
  @Field(() => Boolean, { description: 'True when every event links to the one before it and matches its hash, up to the chain head.' }) ok!: boolean;
  @Field(() => Int, { description: 'Events examined (up to and including the first broken one).' }) checkedEvents!: number;
  @Field(() => ID, { nullable: true, description: 'The first event whose link is broken.' }) firstBrokenEventId!: string | null;
  @Field(() => String, { nullable: true, description: 'Its position in the chain (chain sequence), as a decimal string.' }) firstBrokenSeq!: string | null;
  @Field(() => Date, { description: 'When the first broken event was recorded.', nullable: true }) firstBrokenAt!: Date | null;
  @Field(() => String, { nullable: true, description: 'Why the link is broken.' }) reason!: string | null;
  @Field(() => String, { description: 'Hex hash of the chain head; keep a copy elsewhere to detect a rewrite of the newest events.' }) headHash!: string;
  @Field(() => String, { description: 'Chain position of the chain head (the newest sealed event), as a decimal string.' }) headSeq!: string;
  @Field(() => Int, {
    description: 'Events written but not linked into the chain yet (the sealer links them within about a second; verification seals what is committed first, so these were still being written).',
  })
  unsealedEvents!: number;
  @Field(() => Date, { nullable: true, description: 'When the oldest unsealed event was written; null when every event is sealed.' }) oldestUnsealedAt!: Date | null;
  @Field(() => Int, { description: 'Events of detached (archived) months the chain steps over with their recorded hashes.' }) archivedEvents!: number;
}

/** A page of the audit trail; its `totalCount` is exact up to AUDIT_EXACT_COUNT_LIMIT, then an estimate. */
@ObjectType('AuditEventPage', { simpleResolvers: true, description: 'A page of AuditEvent items (a Relay connection).' })
export class AuditEventPage extends PageOf(AuditEvent, 'AuditEvent', {
  extended: true,
  totalCount:
    'Events matching the filter, across pages: exact up to AUDIT_EXACT_COUNT_LIMIT (default 10,000), above it an estimate from the table statistics (see `totalCountIsEstimate`). Counted only when selected.',
}) {
  @Field(() => Boolean, { description: 'True when `totalCount` is an estimate (more matches than AUDIT_EXACT_COUNT_LIMIT); false when it is exact.' })
  totalCountIsEstimate!: boolean;
}
