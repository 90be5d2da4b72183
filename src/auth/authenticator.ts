import { createHash } from 'node:crypto';
import { UnauthenticatedError } from '../errors/app-errors.js';
import type { Logger } from '../logging/logger.js';
import { lastUsedIsStale, type ApiKeyStore } from '../store/api-key.store.js';
import { API_KEY_PREFIX, parseApiKey, secretMatches } from './api-key-format.js';
import { isRole, type Caller } from './caller.js';
import type { JwtVerifier } from './jwt-verifier.js';

export interface AuthenticatorOptions {
  apiKeys: ApiKeyStore;
  /** Null when no JWKS URL or shared secret is configured: only API keys are accepted. */
  jwt: JwtVerifier | null;
  logger: Logger;
  /** How long a verified credential is trusted without a database read. Default 5000 ms; revocation clears it at once. */
  cacheMs?: number;
}

interface CacheEntry {
  caller: Caller;
  until: number;
}

/**
 * Turns a presented credential (API key or JWT) into a Caller, or throws UnauthenticatedError.
 * The message never says whether a key exists. Verified credentials are cached briefly (keyed
 * by a hash of the credential, so the cache holds no secrets); `forgetApiKey` drops a revoked
 * key from the cache at once, and expiry is checked on every use.
 */
export class Authenticator {
  private readonly cache = new Map<string, CacheEntry>();
  private readonly cacheMs: number;

  constructor(private readonly options: AuthenticatorOptions) {
    this.cacheMs = options.cacheMs ?? 5_000;
  }

  async authenticate(credential: string | null): Promise<Caller> {
    if (!credential) throw new UnauthenticatedError();
    const cacheKey = createHash('sha256').update(credential).digest('base64url');
    const now = Date.now();
    const cached = this.cache.get(cacheKey);
    if (cached && cached.until > now) {
      if (cached.caller.expiresAt && cached.caller.expiresAt.getTime() <= now) {
        this.cache.delete(cacheKey);
        throw new UnauthenticatedError('The credential has expired');
      }
      return cached.caller;
    }
    const caller = credential.startsWith(API_KEY_PREFIX) ? await this.apiKey(credential) : await this.token(credential);
    if (this.cache.size > 10_000) this.cache.clear();
    this.cache.set(cacheKey, { caller, until: now + this.cacheMs });
    return caller;
  }

  /** A key was revoked (here or in another process): stop trusting it now. */
  forgetApiKey(apiKeyId: string): void {
    for (const [key, entry] of this.cache) if (entry.caller.apiKeyId === apiKeyId) this.cache.delete(key);
  }

  /** Revocations may have been missed (the event bus lost its connection): verify every credential again. */
  forgetAll(): void {
    this.cache.clear();
  }

  private async apiKey(credential: string): Promise<Caller> {
    const parsed = parseApiKey(credential);
    if (!parsed) throw new UnauthenticatedError('Invalid API key');
    const row = await this.options.apiKeys.findByKeyId(parsed.keyId);
    // One message for unknown, wrong secret and revoked: a caller learns nothing about which keys exist.
    if (!row || !secretMatches(parsed.secret, row.secretHash) || row.revokedAt) throw new UnauthenticatedError('Invalid API key');
    if (row.expiresAt && row.expiresAt.getTime() <= Date.now()) throw new UnauthenticatedError('The credential has expired');
    if (!isRole(row.role)) throw new UnauthenticatedError('Invalid API key');
    if (lastUsedIsStale(row.lastUsedAt)) {
      this.options.apiKeys.touch(row.id).catch((error: unknown) => this.options.logger.warn({ err: (error as Error).message }, 'could not record API key use'));
    }
    return { id: `apikey:${row.name}`, kind: 'API_KEY', role: row.role, sandboxes: row.sandboxes, apiKeyId: row.id, expiresAt: row.expiresAt };
  }

  private async token(credential: string): Promise<Caller> {
    if (!this.options.jwt) throw new UnauthenticatedError('Invalid credential: this gateway accepts API keys only (no JWT issuer is configured)');
    return this.options.jwt.verify(credential);
  }
}

/** The credential of an HTTP request: `Authorization: Bearer <credential>`, else `x-api-key`. */
export function credentialFromHeaders(headers: Record<string, unknown>): string | null {
  return bearer(first(headers['authorization'])) ?? nonEmpty(first(headers['x-api-key']));
}

/** The credential in graphql-ws `connection_init`: `{ authorization: 'Bearer …' }` or `{ apiKey }` (names case-insensitive). */
export function credentialFromParams(params: Readonly<Record<string, unknown>> | undefined): string | null {
  if (!params) return null;
  const lower = Object.fromEntries(Object.entries(params).map(([k, v]) => [k.toLowerCase(), v]));
  return bearer(first(lower['authorization'])) ?? nonEmpty(first(lower['apikey'])) ?? nonEmpty(first(lower['x-api-key']));
}

function first(value: unknown): unknown {
  return Array.isArray(value) ? value[0] : value;
}

function bearer(value: unknown): string | null {
  if (typeof value !== 'string') return null;
  const match = /^Bearer\s+(\S+)\s*$/i.exec(value);
  return match?.[1] ?? null;
}

function nonEmpty(value: unknown): string | null {
  return typeof value === 'string' && value.trim().length > 0 ? value.trim() : null;
}
