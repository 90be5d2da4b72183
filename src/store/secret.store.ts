import { randomUUID } from 'node:crypto';
import type { SecretBox, SealedSecret } from './secret-box.js';
import type { SealedSecretRow } from './rows.js';
import type { SealedWebhookSecret } from './webhook.store.js';

/**
 * Secrets of resources (the Stripe access token), sealed before they touch the database (the
 * OperationLedger stores them with their operation) and opened only by the worker right before a
 * Platform call (`openSealed`, on the row the operation's start statement read; there is
 * deliberately no "open by id" for other callers). Each is bound to its resource and its own id.
 */
export class SecretStore {
  constructor(private readonly box: SecretBox) {}

  /** Seals a secret for a resource without storing it (the caller records it with its operation). */
  seal(resourceId: string, plaintext: string): SealedSecret & { id: string; resourceId: string } {
    const id = randomUUID();
    return { id, resourceId, ...this.box.seal(plaintext, `${resourceId}:${id}`) };
  }

  /**
   * Seals a webhook's signing secret for its current version; bound to both, so a ciphertext
   * copied onto another webhook, or restored from before a rotation, does not open.
   */
  sealWebhookSecret(webhookId: string, version: number, plaintext: string): SealedSecret {
    return this.box.seal(plaintext, webhookSecretBinding(webhookId, version));
  }

  /** Decrypts a webhook's signing secret, right before a delivery is signed (worker only). */
  openWebhookSecret(secret: SealedWebhookSecret): string {
    return this.box.open({ keyId: secret.keyId, ciphertext: secret.ciphertext }, webhookSecretBinding(secret.webhookId, secret.version));
  }

  /** Decrypts a sealed secret row read together with its operation (worker only). */
  openSealed(secret: SealedSecretRow): string {
    return this.box.open({ keyId: secret.keyId, ciphertext: secret.ciphertext }, `${secret.resourceId}:${secret.id}`);
  }
}

/** The associated data a webhook secret is sealed with. */
export function webhookSecretBinding(webhookId: string, version: number): string {
  return `webhook:${webhookId}:${version}`;
}
