/** The four roles a caller can have; see `policy.ts` for what each may do. */
export const ROLES = ['viewer', 'operator', 'admin', 'auditor'] as const;
export type Role = (typeof ROLES)[number];

export function isRole(value: unknown): value is Role {
  return typeof value === 'string' && (ROLES as readonly string[]).includes(value);
}

/** Who is calling: an authenticated API key or JWT subject. */
export interface Caller {
  /** `apikey:<name>` or `jwt:<sub>`: what operations, onboardings and audit events record. */
  id: string;
  kind: 'API_KEY' | 'JWT';
  role: Role;
  /** Sandboxes this caller may act in; empty = any. */
  sandboxes: string[];
  /** For API keys: the key's row id (revocation closes its sockets). */
  apiKeyId: string | null;
  /** When the credential stops being valid (key expiry or the JWT's `exp`). */
  expiresAt: Date | null;
}

/** A sandbox name as the Platform writes them. */
export const SANDBOX_NAME = /^[a-z0-9-]{1,64}$/;
