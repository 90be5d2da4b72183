import { randomBytes } from 'node:crypto';

interface IssuedToken {
  clientId: string;
  expiresAtMs: number;
}

export type TokenCheck = { ok: true; clientId: string } | { ok: false; reason: 'unknown' | 'expired' };

/**
 * Access tokens the emulator's IMS issued. They look like IMS tokens (three base64url parts)
 * but are opaque to clients; expiry follows the emulator clock.
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
    this.tokens.set(token, { clientId, expiresAtMs: nowMs + ttlSeconds * 1000 });
    return token;
  }

  check(token: string, nowMs: number): TokenCheck {
    const issued = this.tokens.get(token);
    if (!issued) return { ok: false, reason: 'unknown' };
    if (issued.expiresAtMs <= nowMs) return { ok: false, reason: 'expired' };
    return { ok: true, clientId: issued.clientId };
  }

  /** Makes every issued token expired; returns how many there were. */
  expireAll(): number {
    for (const issued of this.tokens.values()) issued.expiresAtMs = Number.NEGATIVE_INFINITY;
    return this.tokens.size;
  }
}
