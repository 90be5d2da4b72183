import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto';

/**
 * Sealing the secrets a persisted state holds (a connection's Stripe key) with AES-256-GCM, under
 * a key derived (HKDF-SHA256) from the key the emulator is given, so the state never holds them
 * in clear and the given key is never used directly for two purposes.
 */
export class Sealer {
  private readonly key: Buffer;

  /** @throws RangeError when `key` is not 32 bytes. */
  constructor(key: Buffer) {
    if (key.length !== 32) throw new RangeError('the emulator state key must be 32 bytes');
    this.key = Buffer.from(hkdfSync('sha256', key, Buffer.alloc(0), 'flowgate aep emulator state v1', 32));
  }

  seal(value: unknown): string {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.key, iv);
    const body = Buffer.concat([cipher.update(JSON.stringify(value), 'utf8'), cipher.final()]);
    return ['v1', iv.toString('base64url'), cipher.getAuthTag().toString('base64url'), body.toString('base64url')].join('.');
  }

  /** @throws Error when the text was sealed with another key or altered. */
  open(text: string): unknown {
    const [version, iv, tag, body] = text.split('.');
    if (version !== 'v1' || !iv || !tag || body === undefined) throw new Error('not a sealed value');
    const decipher = createDecipheriv('aes-256-gcm', this.key, Buffer.from(iv, 'base64url'));
    decipher.setAuthTag(Buffer.from(tag, 'base64url'));
    return JSON.parse(Buffer.concat([decipher.update(Buffer.from(body, 'base64url')), decipher.final()]).toString('utf8')) as unknown;
  }
}
