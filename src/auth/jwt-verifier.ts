import { createRemoteJWKSet, errors as joseErrors, jwtVerify, type JWTPayload, type JWTVerifyGetKey } from 'jose';
import type { JwtConfig } from '../config/config.js';
import { UnauthenticatedError } from '../errors/app-errors.js';
import { isRole, SANDBOX_NAME, type Caller } from './caller.js';

const ASYMMETRIC_ALGORITHMS = ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA'];

/**
 * Verifies JWT bearer tokens with `jose`: signature (keys from the JWKS, or the HS256 shared
 * secret), `exp`/`nbf` with a small clock tolerance, and `iss`/`aud` when configured. Unsigned
 * tokens (`alg: none`) and algorithms other than the configured kind are refused.
 */
export class JwtVerifier {
  private readonly key: Uint8Array | JWTVerifyGetKey;
  private readonly algorithms: string[];

  constructor(private readonly config: JwtConfig) {
    if (config.jwksUrl) {
      this.key = createRemoteJWKSet(new URL(config.jwksUrl), { cooldownDuration: 30_000, timeoutDuration: 5_000 });
      this.algorithms = ASYMMETRIC_ALGORITHMS;
    } else if (config.secret) {
      this.key = new Uint8Array(config.secret);
      this.algorithms = ['HS256'];
    } else {
      throw new Error('JwtVerifier needs a JWKS URL or a shared secret');
    }
  }

  /** The caller a token stands for; UnauthenticatedError (with a reason safe to show) otherwise. */
  async verify(token: string): Promise<Caller> {
    let payload: JWTPayload;
    try {
      const options = {
        algorithms: this.algorithms,
        clockTolerance: this.config.clockToleranceSeconds,
        ...(this.config.issuer ? { issuer: this.config.issuer } : {}),
        ...(this.config.audience ? { audience: this.config.audience } : {}),
        requiredClaims: ['exp', 'sub'],
      };
      payload = (typeof this.key === 'function' ? await jwtVerify(token, this.key, options) : await jwtVerify(token, this.key, options)).payload;
    } catch (error) {
      if (keySetUnavailable(error)) throw new KeySetUnavailableError(error);
      throw new UnauthenticatedError(`Invalid token: ${reason(error)}`);
    }
    const role = payload[this.config.roleClaim];
    if (!isRole(role)) throw new UnauthenticatedError(`Invalid token: claim ${this.config.roleClaim} must be one of viewer, operator, admin, auditor`);
    const sandboxes = sandboxList(payload[this.config.sandboxesClaim]);
    if (sandboxes === null) throw new UnauthenticatedError(`Invalid token: claim ${this.config.sandboxesClaim} must be a list of sandbox names`);
    if (typeof payload.sub !== 'string' || payload.sub.length === 0 || payload.sub.length > 200) throw new UnauthenticatedError('Invalid token: sub is missing');
    return {
      id: `jwt:${payload.sub}`,
      kind: 'JWT',
      role,
      sandboxes,
      apiKeyId: null,
      expiresAt: typeof payload.exp === 'number' ? new Date(payload.exp * 1000) : null,
    };
  }
}

/** Absent = any sandbox; an array or a space-separated string of names otherwise. */
function sandboxList(value: unknown): string[] | null {
  if (value === undefined || value === null) return [];
  const list = typeof value === 'string' ? value.split(/\s+/).filter(Boolean) : value;
  if (!Array.isArray(list) || !list.every((s) => typeof s === 'string' && SANDBOX_NAME.test(s))) return null;
  return list as string[];
}

/**
 * The identity provider's key set could not be fetched (down, timing out, answering garbage): not
 * the caller's fault, so not a 401 that would tell a client to drop a valid token. Deliberately
 * not an AppError: the gateway answers it as 503 UNAVAILABLE (try again) and logs the cause.
 */
export class KeySetUnavailableError extends Error {
  constructor(cause: unknown) {
    super(`the JWKS could not be fetched: ${(cause as Error)?.message ?? String(cause)}`, { cause });
    this.name = 'KeySetUnavailableError';
  }
}

/** A failure to obtain the key set: a network error from fetch (not a JOSE error), a timeout, or an unusable answer. */
function keySetUnavailable(error: unknown): boolean {
  return !(error instanceof joseErrors.JOSEError) || error instanceof joseErrors.JWKSTimeout || error instanceof joseErrors.JWKSInvalid;
}

/** Which check failed, in words that reveal nothing about keys. */
function reason(error: unknown): string {
  if (error instanceof joseErrors.JWTExpired) return 'expired';
  if (error instanceof joseErrors.JWTClaimValidationFailed) return `claim ${error.claim} is not accepted`;
  if (error instanceof joseErrors.JWSSignatureVerificationFailed) return 'signature does not verify';
  if (error instanceof joseErrors.JOSEAlgNotAllowed) return 'algorithm not allowed';
  if (error instanceof joseErrors.JWKSNoMatchingKey) return 'no matching key';
  if (error instanceof joseErrors.JWSInvalid || error instanceof joseErrors.JWTInvalid) return 'malformed';
  return 'rejected';
}
