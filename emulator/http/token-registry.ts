import { createHash, randomBytes } from 'node:crypto';

interface IssuedToken {
  clientId: string;
  expiresAtMs: number;
}

export type TokenCheck = { ok: true; clientId: string } | { ok: false; reason: 'unknown' | 'expired' };

/** A persisted token: its SHA-256 (never the token), client and expiry. */
export interface IssuedTokenEntry extends IssuedToken {
  hash: string;
}

/**
 * Access tokens the emulator's IMS issued. They look like IMS tokens (three base64url parts)
 * but are opaque to clients; expiry follows the emulator clock. Only their SHA-256 is kept, so
 * a persisted state holds no usable token.
 */
export class TokenRegistry {
  private readonly tokens = new Map<string, IssuedToken>();

  issue(clientId: string, nowMs: number, ttlSeconds: number): string {
    const b64 = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');
    const token = [
      b64({ alg: 'RS256', typ: 'JWT', x5u: 'ims_na1-key-at-1.cer' }),
      b64({ type: 'access_token', client_id: clientId, created_at: String(nowMs), expires_in: String(ttlSeconds * 1000), jti: randomBytes(8).toString('hex') }),
      randomBytes(32).toString('base64url'),
    ].join('.');
    this.tokens.set(hashOf(token), { clientId, expiresAtMs: nowMs + ttlSeconds * 1000 });
    return token;
  }

  check(token: string, nowMs: number): TokenCheck {
    const issued = this.tokens.get(hashOf(token));
    if (!issued) return { ok: false, reason: 'unknown' };
    if (issued.expiresAtMs <= nowMs) return { ok: false, reason: 'expired' };
    return { ok: true, clientId: issued.clientId };
  }

  /** Makes every issued token expired; returns how many there were. */
  expireAll(): number {
    for (const issued of this.tokens.values()) issued.expiresAtMs = Number.NEGATIVE_INFINITY;
    return this.tokens.size;
  }

  /** The tokens still valid at `nowMs`, by hash, for persistence (an expired token is of no use to anyone). */
  snapshot(nowMs: number): IssuedTokenEntry[] {
    return [...this.tokens].filter(([, t]) => t.expiresAtMs > nowMs).map(([hash, t]) => ({ hash, clientId: t.clientId, expiresAtMs: t.expiresAtMs }));
  }

  /** Replaces the issued tokens with a snapshot's. */
  restore(entries: readonly IssuedTokenEntry[]): void {
    this.tokens.clear();
    for (const entry of entries) this.tokens.set(entry.hash, { clientId: entry.clientId, expiresAtMs: entry.expiresAtMs });
  }
}

function hashOf(token: string): string {
  return createHash('sha256').update(token).digest('base64url');
}
