import { randomUUID } from 'node:crypto';
import type { SecretBox } from './secret-box.js';
import type { Db } from './store.js';

/**
 * Secrets of resources (the Stripe access token), sealed before they touch the database and
 * opened only by the worker right before a Platform call.
 */
export class SecretStore {
  constructor(
    private readonly db: Db,
    private readonly box: SecretBox,
  ) {}

  /** Stores a new version of the resource's secret; returns its id (what operations refer to). */
  async put(resourceId: string, plaintext: string, tx: Db = this.db): Promise<string> {
    const id = randomUUID();
    const sealed = this.box.seal(plaintext, `${resourceId}:${id}`);
    await tx.secret.create({ data: { id, resourceId, keyId: sealed.keyId, ciphertext: sealed.ciphertext } });
    return id;
  }

  /** The plaintext of one stored secret version. */
  async open(secretId: string): Promise<string> {
    const secret = await this.db.secret.findUniqueOrThrow({ where: { id: secretId } });
    return this.box.open({ keyId: secret.keyId, ciphertext: secret.ciphertext }, `${secret.resourceId}:${secret.id}`);
  }

  /** The newest secret version of a resource. */
  async openLatest(resourceId: string): Promise<string> {
    const secret = await this.db.secret.findFirstOrThrow({ where: { resourceId }, orderBy: { createdAt: 'desc' } });
    return this.box.open({ keyId: secret.keyId, ciphertext: secret.ciphertext }, `${secret.resourceId}:${secret.id}`);
  }
}
