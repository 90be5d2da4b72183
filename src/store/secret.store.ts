import { randomUUID } from 'node:crypto';
import type { SecretBox, SealedSecret } from './secret-box.js';
import type { Db } from './store.js';

/**
 * Secrets of resources (the Stripe access token), sealed before they touch the database and
 * opened only by the worker right before a Platform call (`openSealed`, on the row the
 * operation's start statement read; there is deliberately no "open by id" for other callers).
 */
export class SecretStore {
  constructor(
    private readonly db: Db,
    private readonly box: SecretBox,
  ) {}

  /** Seals a secret for a resource without storing it (the caller inserts it with its operation). */
  seal(resourceId: string, plaintext: string): SealedSecret & { id: string; resourceId: string } {
    const id = randomUUID();
    return { id, resourceId, ...this.box.seal(plaintext, `${resourceId}:${id}`) };
  }

  /** Stores a new version of the resource's secret; returns its id (what operations refer to). */
  async put(resourceId: string, plaintext: string, tx: Db = this.db): Promise<string> {
    const id = randomUUID();
    const sealed = this.box.seal(plaintext, `${resourceId}:${id}`);
    await tx.secret.create({ data: { id, resourceId, keyId: sealed.keyId, ciphertext: sealed.ciphertext } });
    return id;
  }

  /** Decrypts a sealed secret row read together with its operation (worker only). */
  openSealed(secret: { id: string; resourceId: string; keyId: string; ciphertext: string }): string {
    return this.box.open({ keyId: secret.keyId, ciphertext: secret.ciphertext }, `${secret.resourceId}:${secret.id}`);
  }
}
