import type { GraphQLResolveInfo } from 'graphql';
import { Arg, Args, Ctx, FieldResolver, ID, Info, Mutation, Query, Resolver, Root } from 'type-graphql';
import { listWindow } from '../graphql/selection.js';
import type { GatewayContext } from '../graphql/context.js';
import type { WebhookRequester } from '../services/webhook.service.js';
import { uuidField } from '../services/input-rules.js';
import { toPage } from '../schema/page.type.js';
import { toWebhook, toWebhookAttempt, toWebhookDelivery } from '../schema/watchdog.mapper.js';
import { CreateWebhookInput, UpdateWebhookInput, Webhook, WebhookAttempt, WebhookDelivery, WebhookDeliveryFilter, WebhookDeliveryPage, WebhookWithSecret } from '../schema/webhook.type.js';
import { deliveryCursor } from '../store/webhook.store.js';
import { PageArgs } from './resource-resolver.js';

/** Webhook management and delivery history (admins; see auth/policy.ts). */
@Resolver(() => WebhookDelivery)
export class WebhookResolver {
  @Query(() => [Webhook], { description: 'The webhooks of the sandbox, newest first; never their secrets.' })
  async webhooks(@Ctx() ctx: GatewayContext): Promise<Webhook[]> {
    return (await ctx.store.webhooks.list(ctx.sandbox)).map(toWebhook);
  }

  @Query(() => WebhookDeliveryPage, { description: 'Deliveries of a webhook, newest first, with their attempts, status codes and latencies.' })
  async webhookDeliveries(
    @Arg('webhookId', () => ID, { description: 'The webhook whose deliveries to list.' }) webhookId: string,
    @Args(() => PageArgs) page: PageArgs,
    @Arg('filter', () => WebhookDeliveryFilter, { nullable: true, description: 'Which deliveries; default all.' }) filter: WebhookDeliveryFilter | null,
    @Ctx() ctx: GatewayContext,
    @Info() info: GraphQLResolveInfo,
  ) {
    const webhook = await ctx.webhookService.owned(uuidField('webhookId', webhookId), requester(ctx), undefined, 'webhookId');
    const deliveries = await ctx.store.webhooks.listDeliveries(webhook.id, { status: filter?.status ?? null }, listWindow(page, info));
    return toPage(deliveries, toWebhookDelivery, deliveryCursor);
  }

  @FieldResolver(() => [WebhookAttempt], { description: 'Every attempt, oldest first.' })
  async attempts(@Root() delivery: WebhookDelivery, @Ctx() ctx: GatewayContext): Promise<WebhookAttempt[]> {
    return ((await ctx.store.webhooks.attemptsOf([delivery.id])).get(delivery.id) ?? []).map(toWebhookAttempt);
  }

  @Mutation(() => WebhookWithSecret, { description: 'Creates a webhook and returns its signing secret: the only time it is shown.' })
  async createWebhook(@Arg('input', () => CreateWebhookInput, { description: 'The webhook.' }) input: CreateWebhookInput, @Ctx() ctx: GatewayContext): Promise<WebhookWithSecret> {
    const { webhook, secret } = await ctx.webhookService.create(input, requester(ctx));
    return Object.assign(new WebhookWithSecret(), { webhook: toWebhook(webhook), secret });
  }

  @Mutation(() => Webhook, { description: 'Changes a webhook’s URL, events, description or whether it is enabled.' })
  async updateWebhook(
    @Arg('id', () => ID, { description: 'The webhook.' }) id: string,
    @Arg('input', () => UpdateWebhookInput, { description: 'What changes.' }) input: UpdateWebhookInput,
    @Ctx() ctx: GatewayContext,
  ): Promise<Webhook> {
    return toWebhook(await ctx.webhookService.update(uuidField('id', id), input, requester(ctx)));
  }

  @Mutation(() => Webhook, { description: 'Deletes a webhook: nothing more is delivered to it; its delivery history stays.' })
  async deleteWebhook(@Arg('id', () => ID, { description: 'The webhook.' }) id: string, @Ctx() ctx: GatewayContext): Promise<Webhook> {
    return toWebhook(await ctx.webhookService.delete(uuidField('id', id), requester(ctx)));
  }

  @Mutation(() => WebhookWithSecret, { description: 'Replaces the signing secret and returns the new one (shown this once); it signs every delivery from now on.' })
  async rotateWebhookSecret(@Arg('id', () => ID, { description: 'The webhook.' }) id: string, @Ctx() ctx: GatewayContext): Promise<WebhookWithSecret> {
    const { webhook, secret } = await ctx.webhookService.rotateSecret(uuidField('id', id), requester(ctx));
    return Object.assign(new WebhookWithSecret(), { webhook: toWebhook(webhook), secret });
  }

  @Mutation(() => WebhookDelivery, { description: 'Sends a WEBHOOK_TEST event to the webhook; answers at once with the delivery (PENDING): follow it with webhookDeliveries.' })
  async testWebhook(@Arg('id', () => ID, { description: 'The webhook.' }) id: string, @Ctx() ctx: GatewayContext): Promise<WebhookDelivery> {
    return toWebhookDelivery(await ctx.webhookService.test(uuidField('id', id), requester(ctx)));
  }
}

function requester(ctx: GatewayContext): WebhookRequester {
  return { caller: ctx.caller, actor: ctx.actor, sandbox: ctx.sandbox, requestId: ctx.requestId };
}
