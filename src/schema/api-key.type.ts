import { Node } from './node.type.js';
import { Field, ID, InputType, ObjectType, registerEnumType } from 'type-graphql';

export enum RoleName {
  VIEWER = 'viewer',
  OPERATOR = 'operator',
  ADMIN = 'admin',
  AUDITOR = 'auditor',
}

export enum CallerKind {
  API_KEY = 'API_KEY',
  JWT = 'JWT',
}

registerEnumType(RoleName, {
  name: 'Role',
  description: 'What a caller may do (see README, Security).',
  valuesConfig: {
    VIEWER: { description: 'Every query and subscription except explore, planOnboarding, API keys and verifyAuditChain.' },
    OPERATOR: { description: 'Viewer, plus every change to resources, operations and onboardings, and explore/planOnboarding.' },
    ADMIN: { description: 'Operator, plus API keys, cascade deletes and verifyAuditChain.' },
    AUDITOR: { description: 'The audit trail, verifyAuditChain and whoami only.' },
  },
});
registerEnumType(CallerKind, {
  name: 'CallerKind',
  description: 'How a caller authenticated.',
  valuesConfig: { API_KEY: { description: 'A Flowgate API key.' }, JWT: { description: 'A JWT from the identity provider.' } },
});

@ObjectType({ simpleResolvers: true, description: 'Who is calling, as the gateway authenticated it.' })
export class Caller {
  @Field(() => String, { description: '`apikey:<name>` or `jwt:<sub>`: what operations and audit events record.' }) id!: string;
  @Field(() => CallerKind, { description: 'Whether the credential is an API key or a JWT.' }) kind!: CallerKind;
  @Field(() => RoleName, { description: 'What the caller may do.' }) role!: RoleName;
  @Field(() => [String], { description: 'Sandboxes this caller may act in; empty = any.' }) sandboxes!: string[];
  @Field(() => String, { description: 'The sandbox this request acts in (header `x-sandbox-name`, else the default).' }) sandbox!: string;
  @Field(() => Date, { description: 'When the credential stops working; null: never.', nullable: true }) expiresAt!: Date | null;
}

@ObjectType({ simpleResolvers: true, implements: Node, description: 'An API key. The key itself is shown only once, by createApiKey.' })
export class ApiKey {
  @Field(() => ID, { description: 'The key’s id (a UUID), not the key itself.' }) id!: string;
  @Field(() => String, { description: 'Unique name among active keys; what audit events record as `apikey:<name>`.' }) name!: string;
  @Field(() => String, { description: 'The public start of the key (`fgk_<keyId>`), to tell keys apart.' }) prefix!: string;
  @Field(() => RoleName, { description: 'What the key may do.' }) role!: RoleName;
  @Field(() => [String], { description: 'Sandboxes the key may act in; empty = any.' }) sandboxes!: string[];
  @Field(() => Date, { description: 'When it stops working; null: never.', nullable: true }) expiresAt!: Date | null;
  @Field(() => Date, { description: 'When the key was created.' }) createdAt!: Date;
  @Field(() => String, { description: 'Who created it (`apikey:<name>`, `jwt:<sub>` or `cli`).' }) createdBy!: string;
  @Field(() => Date, { nullable: true, description: 'Updated at most once a minute.' }) lastUsedAt!: Date | null;
  @Field(() => Date, { description: 'When it was revoked; null while active.', nullable: true }) revokedAt!: Date | null;
}

@ObjectType({ simpleResolvers: true, description: 'A key just created: its record, and the key itself (shown this once).' })
export class CreatedApiKey {
  @Field(() => ApiKey, { description: 'The key’s record, as apiKeys lists it.' }) apiKey!: ApiKey;
  @Field(() => String, { description: 'The key, to send as `Authorization: Bearer <key>`. Shown this once; only its hash is stored.' }) key!: string;
}

@InputType({ description: 'A new API key: its name, role, sandboxes and expiry.' })
export class CreateApiKeyInput {
  @Field(() => String, { description: 'Unique among active keys; letters, digits, . _ -' }) name!: string;
  @Field(() => RoleName, { description: 'What the key may do.' }) role!: RoleName;
  @Field(() => [String], { nullable: true, description: 'Bind the key to these sandboxes; omit for any.' }) sandboxes?: string[] | null;
  @Field(() => Date, { description: 'When the key stops working; omit for never.', nullable: true }) expiresAt?: Date | null;
}
