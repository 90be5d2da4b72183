import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

/**
 * API keys look like `fgk_<keyId>_<secret>`: `keyId` is 16 hex characters (public, finds the
 * row), `secret` is 32 random bytes in base64url (may itself contain `_`). Only the SHA-256 of
 * the secret is stored: the secret is high-entropy, so a slow hash adds nothing.
 */
export const API_KEY_PREFIX = 'fgk_';

export interface GeneratedApiKey {
  keyId: string;
  secretHash: string;
  /** The whole key, shown once. */
  key: string;
}

export function generateApiKey(): GeneratedApiKey {
  const keyId = randomBytes(8).toString('hex');
  const secret = randomBytes(32).toString('base64url');
  return { keyId, secretHash: hashSecret(secret), key: `${API_KEY_PREFIX}${keyId}_${secret}` };
}

/** Splits a presented key; null if it is not shaped like one of ours. */
export function parseApiKey(raw: string): { keyId: string; secret: string } | null {
  const match = /^fgk_([0-9a-f]{16})_([A-Za-z0-9_-]{43})$/.exec(raw);
  // Both groups are mandatory in the pattern, so a match has them.
  return match ? { keyId: match[1]!, secret: match[2]! } : null;
}

export function hashSecret(secret: string): string {
  return createHash('sha256').update(secret, 'utf8').digest('hex');
}

/** Constant-time comparison of a presented secret with the stored hash. */
export function secretMatches(secret: string, storedHash: string): boolean {
  const presented = Buffer.from(hashSecret(secret), 'hex');
  const stored = Buffer.from(storedHash, 'hex');
  return stored.length === presented.length && timingSafeEqual(presented, stored);
}
