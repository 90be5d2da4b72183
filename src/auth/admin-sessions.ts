import { createHash, randomBytes } from 'node:crypto';
import type { RedisClient } from '../redis/redis-connections.js';
import { ForbiddenError, UnauthenticatedError } from '../errors/app-errors.js';
import type { ApiKeyStore } from '../store/api-key.store.js';
import { API_KEY_PREFIX } from './api-key-format.js';
import type { Authenticator } from './authenticator.js';

export interface AdminSessionsOptions {
  redis: RedisClient;
  /** Key prefix of the deployment (QUEUE_PREFIX's hash tag). */
  keyPrefix: string;
  authenticator: Authenticator;
  apiKeys: ApiKeyStore;
  /** Seconds a session lasts after signing in (ADMIN_SESSION_SECONDS). */
  ttlSeconds: number;
}

/** What a session stands for: the admin API key that signed in. */
export interface AdminSession {
  callerId: string;
  apiKeyId: string;
}

/**
 * Browser sessions for the queue dashboard: a browser cannot send a bearer header when it
 * navigates, so an admin API key is exchanged once for a random session token, sent back as a
 * cookie. Redis keeps only the token's SHA-256 (with the key's id), for `ttlSeconds`; every use
 * checks that the key is still an unrevoked, unexpired admin key, so revoking the key ends its
 * sessions too. Shared by every gateway process.
 */
export class AdminSessions {
  constructor(private readonly options: AdminSessionsOptions) {}

  /**
   * Signs in with an API key: UnauthenticatedError for anything but a valid API key (a JWT
   * is not accepted here), ForbiddenError for a key without the admin role. Returns the token.
   */
  async signIn(apiKey: string): Promise<{ token: string; session: AdminSession }> {
    if (!apiKey.startsWith(API_KEY_PREFIX)) throw new UnauthenticatedError('Sign in with an admin API key');
    const caller = await this.options.authenticator.authenticate(apiKey);
    if (caller.role !== 'admin' || !caller.apiKeyId) throw new ForbiddenError('The queue dashboard is for admin keys only');
    const token = randomBytes(32).toString('base64url');
    const session: AdminSession = { callerId: caller.id, apiKeyId: caller.apiKeyId };
    await this.options.redis.set(this.key(token), JSON.stringify(session), 'EX', this.options.ttlSeconds);
    return { token, session };
  }

  /** The session a token stands for, while it lasts and its key is still a valid admin key; else null. */
  async check(token: string | undefined): Promise<AdminSession | null> {
    if (!token || token.length > 100) return null;
    const stored = await this.options.redis.get(this.key(token));
    if (!stored) return null;
    const session = JSON.parse(stored) as AdminSession;
    const key = await this.options.apiKeys.findById(session.apiKeyId);
    const valid = key !== null && key.role === 'admin' && key.revokedAt === null && (key.expiresAt === null || key.expiresAt.getTime() > Date.now());
    if (!valid) {
      await this.options.redis.del(this.key(token));
      return null;
    }
    return session;
  }

  async signOut(token: string | undefined): Promise<void> {
    if (token) await this.options.redis.del(this.key(token));
  }

  private key(token: string): string {
    return `${this.options.keyPrefix}:admin-session:${createHash('sha256').update(token).digest('hex')}`;
  }
}
