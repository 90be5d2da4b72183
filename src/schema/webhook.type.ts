import { Field, ID, InputType, Int, ObjectType } from 'type-graphql';
import { DeliveryEventType, DeliveryStatus, WebhookEventType } from './enums.js';
import { PageOf } from './page.type.js';

@ObjectType({
  simpleResolvers: true,
  description: 'Where Flowgate posts the events of a sandbox, signed with the webhook’s secret (header Flowgate-Signature: t=<unix>,v1=<HMAC-SHA256 of "t.body">).',
})
export class Webhook {
  @Field(() => ID, { description: 'The webhook’s id.' }) id!: string;
  @Field(() => String, { description: 'Where deliveries are posted.' }) url!: string;
  @Field(() => [WebhookEventType], { description: 'The events it receives.' }) events!: WebhookEventType[];
  @Field(() => String, { description: 'The sandbox whose events it receives.' }) sandbox!: string;
  @Field(() => String, { nullable: true, description: 'What it is for.' }) description!: string | null;
  @Field(() => Boolean, { description: 'False: nothing is delivered (pending deliveries are cancelled).' }) enabled!: boolean;
  @Field(() => Int, { description: 'Which secret signs: 1 at creation, one more per rotation (the secret is shown only by createWebhook and rotateWebhookSecret).' }) secretVersion!: number;
  @Field(() => Date, { nullable: true, description: 'When the secret was last rotated.' }) secretRotatedAt!: Date | null;
  @Field(() => Date, { description: 'When it was created.' }) createdAt!: Date;
  @Field(() => String, { description: 'Who created it.' }) createdBy!: string;
  @Field(() => Date, { description: 'When it last changed.' }) updatedAt!: Date;
}

@ObjectType({ simpleResolvers: true, description: 'A webhook with its signing secret: the only time the secret is shown.' })
export class WebhookWithSecret {
  @Field(() => Webhook, { description: 'The webhook.' }) webhook!: Webhook;
  @Field(() => String, { description: 'The signing secret (`whsec_…`): verify Flowgate-Signature with it. Shown this once; stored encrypted.' }) secret!: string;
}

@ObjectType({ simpleResolvers: true, description: 'One attempt to deliver an event.' })
export class WebhookAttempt {
  @Field(() => Int, { description: '1 for the first attempt.' }) number!: number;
  @Field(() => Date, { description: 'When it was made.' }) at!: Date;
  @Field(() => Int, { nullable: true, description: 'The receiver’s HTTP status; null when none came (refused address, unreachable, timed out).' }) statusCode!: number | null;
  @Field(() => Int, { description: 'Milliseconds from the start of the attempt to its end.' }) latencyMs!: number;
  @Field(() => String, { nullable: true, description: 'Why it did not succeed; null for a 2xx. Never the receiver’s body.' }) error!: string | null;
}

@ObjectType({ simpleResolvers: true, description: 'One event for one webhook, with every attempt to deliver it.' })
export class WebhookDelivery {
  @Field(() => ID, { description: 'The delivery id: the body’s `id` and the Flowgate-Delivery header, the same on every attempt (de-duplicate on it).' }) id!: string;
  @Field(() => ID, { description: 'The webhook it goes to.' }) webhookId!: string;
  @Field(() => DeliveryEventType, { description: 'The event it carries.' }) event!: DeliveryEventType;
  @Field(() => DeliveryStatus, { description: 'Where it stands.' }) status!: DeliveryStatus;
  @Field(() => String, { description: 'The JSON body every attempt sends, byte for byte.' }) body!: string;
  @Field(() => Int, { description: 'Attempts made so far.' }) attemptCount!: number;
  @Field(() => Int, { nullable: true, description: 'The status code of the latest attempt.' }) lastStatusCode!: number | null;
  @Field(() => String, { nullable: true, description: 'Why the latest attempt did not succeed.' }) lastError!: string | null;
  @Field(() => Date, { description: 'When the event was recorded.' }) createdAt!: Date;
  @Field(() => Date, { nullable: true, description: 'When it succeeded, failed for good or was cancelled.' }) finishedAt!: Date | null;
}

export const WebhookDeliveryPage = PageOf(WebhookDelivery, 'WebhookDelivery');

@InputType({ description: 'A new webhook.' })
export class CreateWebhookInput {
  @Field(() => String, { description: 'An http(s) URL; private, loopback and link-local addresses are refused (unless WEBHOOK_ALLOW_PRIVATE_NETWORKS).' }) url!: string;
  @Field(() => [WebhookEventType], { description: 'The events to receive (at least one).' }) events!: WebhookEventType[];
  @Field(() => String, { nullable: true, description: 'The sandbox whose events it receives; default the request’s.' }) sandbox?: string | null;
  @Field(() => String, { nullable: true, description: 'What it is for (at most 500 characters).' }) description?: string | null;
  @Field(() => Boolean, { nullable: true, description: 'Default true.' }) enabled?: boolean | null;
}

@InputType({ description: 'Changes to a webhook; omitted fields stay.' })
export class UpdateWebhookInput {
  @Field(() => String, { nullable: true, description: 'A new URL (same rules as at creation).' }) url?: string | null;
  @Field(() => [WebhookEventType], { nullable: true, description: 'The new list of events (at least one).' }) events?: WebhookEventType[] | null;
  @Field(() => String, { nullable: true, description: 'A new description; empty string clears it.' }) description?: string | null;
  @Field(() => Boolean, { nullable: true, description: 'False stops deliveries (pending ones are cancelled when their turn comes).' }) enabled?: boolean | null;
}

@InputType({ description: 'Which deliveries to list.' })
export class WebhookDeliveryFilter {
  @Field(() => DeliveryStatus, { nullable: true, description: 'Only deliveries in this status.' }) status?: DeliveryStatus | null;
}
