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
  description: 'VIEWER: queries and subscriptions. OPERATOR: viewer + changes. ADMIN: operator + API keys and cascade deletes. AUDITOR: audit events only.',
});
registerEnumType(CallerKind, { name: 'CallerKind' });

@ObjectType({ description: 'Who is calling, as the gateway authenticated it.' })
export class Caller {
  @Field(() => String, { description: '`apikey:<name>` or `jwt:<sub>`: what operations and audit events record.' }) id!: string;
  @Field(() => CallerKind) kind!: CallerKind;
  @Field(() => RoleName) role!: RoleName;
  @Field(() => [String], { description: 'Sandboxes this caller may act in; empty = any.' }) sandboxes!: string[];
  @Field(() => String, { description: 'The sandbox this request acts in (header `x-sandbox-name`, else the default).' }) sandbox!: string;
  @Field(() => Date, { nullable: true }) expiresAt!: Date | null;
}

@ObjectType({ implements: Node, description: 'An API key. The key itself is shown only once, by createApiKey.' })
export class ApiKey {
  @Field(() => ID) id!: string;
  @Field(() => String) name!: string;
  @Field(() => String, { description: 'The public start of the key (`fgk_<keyId>`), to tell keys apart.' }) prefix!: string;
  @Field(() => RoleName) role!: RoleName;
  @Field(() => [String], { description: 'Sandboxes the key may act in; empty = any.' }) sandboxes!: string[];
  @Field(() => Date, { nullable: true }) expiresAt!: Date | null;
  @Field(() => Date) createdAt!: Date;
  @Field(() => String) createdBy!: string;
  @Field(() => Date, { nullable: true, description: 'Updated at most once a minute.' }) lastUsedAt!: Date | null;
  @Field(() => Date, { nullable: true }) revokedAt!: Date | null;
}

@ObjectType()
export class CreatedApiKey {
  @Field(() => ApiKey) apiKey!: ApiKey;
  @Field(() => String, { description: 'The key, to send as `Authorization: Bearer <key>`. Shown this once; only its hash is stored.' }) key!: string;
}

@InputType()
export class CreateApiKeyInput {
  @Field(() => String, { description: 'Unique among active keys; letters, digits, . _ -' }) name!: string;
  @Field(() => RoleName) role!: RoleName;
  @Field(() => [String], { nullable: true, description: 'Bind the key to these sandboxes; omit for any.' }) sandboxes?: string[] | null;
  @Field(() => Date, { nullable: true }) expiresAt?: Date | null;
}
