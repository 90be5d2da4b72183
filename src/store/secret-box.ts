import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { SecretKeyUnavailableError } from '../errors/app-errors.js';

/** A key that can encrypt; older keys stay available for decryption after a rotation. */
export interface SecretKey {
  id: string;
  key: Buffer;
}

export interface SealedSecret {
  keyId: string;
  /** base64 of iv (12 bytes) ‖ ciphertext ‖ GCM tag (16 bytes). */
  ciphertext: string;
}

/**
 * AES-256-GCM for secrets at rest (Stripe access tokens). Encrypts with the current key,
 * decrypts with whichever key id the secret names.
 */
export class SecretBox {
  private readonly keys: Map<string, Buffer>;

  constructor(
    private readonly current: SecretKey,
    previous: SecretKey[] = [],
  ) {
    this.keys = new Map([...previous, current].map((k) => [k.id, k.key]));
  }

  /** Id of the key new secrets are sealed with. */
  get currentKeyId(): string {
    return this.current.id;
  }

  /** Whether secrets sealed with this key id can be opened. */
  hasKey(keyId: string): boolean {
    return this.keys.has(keyId);
  }

  seal(plaintext: string, associatedData: string): SealedSecret {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.current.key, iv);
    // Binding the resource id means a ciphertext copied onto another row does not decrypt.
    cipher.setAAD(Buffer.from(associatedData));
    const body = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
    return { keyId: this.current.id, ciphertext: Buffer.concat([iv, body, cipher.getAuthTag()]).toString('base64') };
  }

  open(sealed: SealedSecret, associatedData: string): string {
    const key = this.keys.get(sealed.keyId);
    if (!key) throw new SecretKeyUnavailableError(sealed.keyId, 'unknown-key');
    const raw = Buffer.from(sealed.ciphertext, 'base64');
    try {
      const decipher = createDecipheriv('aes-256-gcm', key, raw.subarray(0, 12));
      decipher.setAAD(Buffer.from(associatedData));
      decipher.setAuthTag(raw.subarray(raw.length - 16));
      return Buffer.concat([decipher.update(raw.subarray(12, raw.length - 16)), decipher.final()]).toString('utf8');
    } catch {
      // GCM's own message says nothing useful; ours names the key id (never bytes).
      throw new SecretKeyUnavailableError(sealed.keyId, 'wrong-key');
    }
  }

  /** Opens a secret and seals it again with the current key (a fresh IV, the same associated data). */
  reseal(sealed: SealedSecret, associatedData: string): SealedSecret {
    return this.seal(this.open(sealed, associatedData), associatedData);
  }
}
