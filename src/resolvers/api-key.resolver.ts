import { Arg, Ctx, ID, Mutation, Query, Resolver } from 'type-graphql';
import type { GatewayContext } from '../graphql/context.js';
import { uuidField } from '../services/input-rules.js';
import { ApiKey, Caller, CallerKind, CreateApiKeyInput, CreatedApiKey, RoleName } from '../schema/api-key.type.js';
import { toApiKey } from '../schema/mappers.js';

/** The caller itself, and API-key management (admins; see auth/policy.ts). */
@Resolver()
export class ApiKeyResolver {
  @Query(() => Caller, { description: 'Who the gateway thinks you are, and the sandbox this request acts in.' })
  whoami(@Ctx() ctx: GatewayContext): Caller {
    const c = ctx.caller;
    return Object.assign(new Caller(), { id: c.id, kind: c.kind as CallerKind, role: c.role as RoleName, sandboxes: c.sandboxes, sandbox: ctx.sandbox, expiresAt: c.expiresAt });
  }

  @Query(() => [ApiKey], { description: 'Active API keys (and revoked ones with includeRevoked), never their secrets.' })
  async apiKeys(@Arg('includeRevoked', () => Boolean, { description: 'Also list revoked keys.', defaultValue: false }) includeRevoked: boolean, @Ctx() ctx: GatewayContext): Promise<ApiKey[]> {
    return (await ctx.store.apiKeys.list({ includeRevoked })).map(toApiKey);
  }

  @Mutation(() => CreatedApiKey, { description: 'Creates an API key and returns it: the only time it is shown.' })
  async createApiKey(@Arg('input', () => CreateApiKeyInput, { description: 'The key to create.' }) input: CreateApiKeyInput, @Ctx() ctx: GatewayContext): Promise<CreatedApiKey> {
    const { row, key } = await ctx.apiKeys.create(input, { actor: ctx.actor, sandbox: ctx.sandbox, requestId: ctx.requestId }, 'input.');
    return Object.assign(new CreatedApiKey(), { apiKey: toApiKey(row), key });
  }

  @Mutation(() => ApiKey, { description: 'Revokes a key by id or name: requests with it fail at once and its open WebSockets are closed, on every gateway.' })
  async revokeApiKey(
    @Arg('id', () => ID, { description: 'The key’s id (or give its name).', nullable: true }) id: string | null,
    @Arg('name', () => String, { description: 'The key’s name (or give its id).', nullable: true }) name: string | null,
    @Ctx() ctx: GatewayContext,
  ): Promise<ApiKey> {
    if (id) uuidField('id', id);
    const row = await ctx.apiKeys.revoke({ id, name }, { actor: ctx.actor, sandbox: ctx.sandbox, requestId: ctx.requestId });
    // Other processes hear it on the event bus; this one must not answer the next request from its cache.
    ctx.authenticator.forgetApiKey(row.id);
    return toApiKey(row);
  }
}
