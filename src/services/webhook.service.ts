import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { SANDBOX_NAME, type Caller } from '../auth/caller.js';
import { webhookUrlProblem } from '../domain/outbound-addresses.js';
import { WEBHOOK_EVENT_TYPES, type WebhookEventType } from '../domain/webhook-events.js';
import { ForbiddenError, NotFoundError, PreconditionError, ValidationError } from '../errors/app-errors.js';
import type { WebhookDispatcher } from '../jobs/webhooks/webhook-dispatcher.js';
import { inTransaction } from '../store/db.js';
import type { Store } from '../store/store.js';
import type { Webhook, WebhookChanges, WebhookDelivery } from '../store/webhook.store.js';
import { optionalText } from './input-rules.js';

/** Webhooks a sandbox may have at once. */
export const MAX_WEBHOOKS_PER_SANDBOX = 50;

/** Who asks, for the audit trail and the sandbox rules. */
export interface WebhookRequester {
  caller: Caller;
  actor: string;
  /** The sandbox the request acts in. */
  sandbox: string;
  requestId: string | null;
}

export interface CreateWebhookRequest {
  url: string;
  events: readonly string[];
  sandbox?: string | null;
  description?: string | null;
  enabled?: boolean | null;
}

export interface UpdateWebhookRequest {
  url?: string | null;
  events?: readonly string[] | null;
  description?: string | null;
  enabled?: boolean | null;
}

export interface WebhookServiceOptions {
  store: Store;
  dispatcher: WebhookDispatcher;
  /** WEBHOOK_ALLOW_PRIVATE_NETWORKS: URLs naming private addresses are accepted too. */
  allowPrivateNetworks: boolean;
}

/** A new signing secret: `whsec_` and 32 random bytes. */
export function newWebhookSecret(): string {
  return `whsec_${randomBytes(32).toString('base64url')}`;
}

/**
 * Managing webhooks (admins): each change with its audit event in one transaction; the signing
 * secret is generated here, sealed before the statement that stores it, and returned once. Input
 * problems are ValidationErrors naming the field.
 */
export class WebhookService {
  constructor(private readonly options: WebhookServiceOptions) {}

  async create(request: CreateWebhookRequest, by: WebhookRequester): Promise<{ webhook: Webhook; secret: string }> {
    const { store } = this.options;
    const url = this.checkUrl('input.url', request.url);
    const events = checkEvents('input.events', request.events);
    const sandbox = checkSandbox('input.sandbox', request.sandbox, by);
    const description = optionalText('input.description', request.description, 500) || null;
    const id = randomUUID();
    const secret = newWebhookSecret();
    const sealed = store.secrets.sealWebhookSecret(id, 1, secret);
    const webhook = await inTransaction(store.pool, async (client) => {
      // Serialises creates per sandbox, so the cap holds under concurrent requests.
      await client.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`webhooks:${sandbox}`]);
      const { rows } = await client.query<{ n: number }>('SELECT count(*)::int AS n FROM webhooks WHERE sandbox = $1 AND deleted_at IS NULL', [sandbox]);
      if (rows[0]!.n >= MAX_WEBHOOKS_PER_SANDBOX) throw new PreconditionError(`sandbox ${sandbox} has ${MAX_WEBHOOKS_PER_SANDBOX} webhooks already; delete one first`, 'input.sandbox');
      const created = await store.webhooks.create(client, { id, sandbox, url, events, description, enabled: request.enabled ?? true, createdBy: by.actor, secret: sealed });
      await store.ledger.appendAudit({ sandbox, actor: by.actor, action: 'CREATED', resourceType: 'WEBHOOK', resourceId: id, after: describe(created), requestId: by.requestId }, client);
      return created;
    });
    return { webhook, secret };
  }

  async update(id: string, request: UpdateWebhookRequest, by: WebhookRequester): Promise<Webhook> {
    const { store } = this.options;
    const changes: WebhookChanges = {};
    if (request.url !== undefined && request.url !== null) changes.url = this.checkUrl('input.url', request.url);
    if (request.events !== undefined && request.events !== null) changes.events = checkEvents('input.events', request.events);
    if (request.description !== undefined && request.description !== null) changes.description = optionalText('input.description', request.description, 500) || null;
    if (request.enabled !== undefined && request.enabled !== null) changes.enabled = request.enabled;
    if (Object.keys(changes).length === 0) throw new ValidationError('input', 'must change at least one of url, events, description, enabled');
    return inTransaction(store.pool, async (client) => {
      const before = await this.owned(id, by, client);
      const after = (await store.webhooks.update(client, before.id, changes)) ?? notFound(id);
      await store.ledger.appendAudit(
        { sandbox: after.sandbox, actor: by.actor, action: 'UPDATED', resourceType: 'WEBHOOK', resourceId: id, before: describe(before), after: describe(after), requestId: by.requestId },
        client,
      );
      return after;
    });
  }

  async delete(id: string, by: WebhookRequester): Promise<Webhook> {
    const { store } = this.options;
    return inTransaction(store.pool, async (client) => {
      const before = await this.owned(id, by, client);
      const after = (await store.webhooks.delete(client, before.id)) ?? notFound(id);
      await store.ledger.appendAudit(
        { sandbox: after.sandbox, actor: by.actor, action: 'DELETED', resourceType: 'WEBHOOK', resourceId: id, before: describe(before), after: describe(after), requestId: by.requestId },
        client,
      );
      return after;
    });
  }

  /** Replaces the signing secret; the new one signs every delivery from now on (attempts of older events too). */
  async rotateSecret(id: string, by: WebhookRequester): Promise<{ webhook: Webhook; secret: string }> {
    const { store } = this.options;
    return inTransaction(store.pool, async (client) => {
      const before = await this.owned(id, by, client);
      const secret = newWebhookSecret();
      const version = before.secretVersion + 1;
      const after = await store.webhooks.rotateSecret(client, before.id, version, store.secrets.sealWebhookSecret(before.id, version, secret));
      if (!after) throw new PreconditionError('the secret was rotated by another request meanwhile; try again', 'id');
      await store.ledger.appendAudit(
        { sandbox: after.sandbox, actor: by.actor, action: 'SECRET_ROTATED', resourceType: 'WEBHOOK', resourceId: id, before: describe(before), after: describe(after), requestId: by.requestId },
        client,
      );
      return { webhook: after, secret };
    });
  }

  /** Records a WEBHOOK_TEST delivery for this webhook and enqueues it; the answer is the delivery, PENDING. */
  async test(id: string, by: WebhookRequester): Promise<WebhookDelivery> {
    const { store, dispatcher } = this.options;
    const webhook = await this.owned(id, by);
    if (!webhook.enabled) throw new PreconditionError('the webhook is disabled; enable it to test it', 'id');
    const [deliveryId] = await dispatcher.record([
      {
        type: 'WEBHOOK_TEST',
        key: `WEBHOOK_TEST:${randomUUID()}`,
        sandbox: webhook.sandbox,
        webhookId: webhook.id,
        data: { webhook: { id: webhook.id, events: webhook.events }, requestedBy: by.actor },
      },
    ]);
    if (!deliveryId) throw new PreconditionError('the webhook changed meanwhile; try again', 'id');
    await dispatcher.enqueue([deliveryId]);
    return (await store.webhooks.findDelivery(deliveryId, webhook.id))!;
  }

  /** A webhook of the request's sandbox, or NOT_FOUND naming `field`. */
  async owned(id: string, by: Pick<WebhookRequester, 'sandbox'>, sql?: Parameters<Store['webhooks']['find']>[2], field = 'id'): Promise<Webhook> {
    return (await this.options.store.webhooks.find(id, by.sandbox, sql)) ?? notFound(id, field);
  }

  private checkUrl(field: string, raw: string): string {
    const url = (raw ?? '').trim();
    const problem = webhookUrlProblem(url, this.options.allowPrivateNetworks);
    if (problem !== null) throw new ValidationError(field, problem);
    return url;
  }
}

function notFound(id: string, field = 'id'): never {
  throw new NotFoundError('Webhook', id, field);
}

function checkEvents(field: string, events: readonly string[]): WebhookEventType[] {
  const unique = [...new Set(events)];
  if (unique.length === 0) throw new ValidationError(field, 'must list at least one event');
  for (const event of unique) if (!(WEBHOOK_EVENT_TYPES as readonly string[]).includes(event)) throw new ValidationError(field, `${JSON.stringify(event).slice(0, 60)} is not an event`);
  return unique as WebhookEventType[];
}

/** The sandbox a new webhook listens to: the request's unless named, and only one the caller may act in. */
function checkSandbox(field: string, requested: string | null | undefined, by: WebhookRequester): string {
  if (requested === undefined || requested === null || requested === '') return by.sandbox;
  if (!SANDBOX_NAME.test(requested)) throw new ValidationError(field, 'must be a sandbox name (lower-case letters, digits, hyphens)');
  if (by.caller.sandboxes.length > 0 && !by.caller.sandboxes.includes(requested)) {
    throw new ForbiddenError(`${by.caller.id} may not act in sandbox ${requested} (allowed: ${by.caller.sandboxes.join(', ')})`, [], requested);
  }
  return requested;
}

/**
 * What the audit trail records of a webhook: never its secret, and not its URL either (a URL can
 * carry a token in its path or query) — the host and a fingerprint, so a change is still visible.
 */
function describe(w: Webhook): Record<string, unknown> {
  let host: string | null = null;
  try {
    host = new URL(w.url).host;
  } catch {
    host = null;
  }
  return {
    urlHost: host,
    urlFingerprint: createHash('sha256').update(w.url).digest('hex').slice(0, 16),
    events: w.events,
    enabled: w.enabled,
    description: w.description,
    secretVersion: w.secretVersion,
    deleted: w.deletedAt !== null,
  };
}
