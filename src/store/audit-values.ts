import type { Resource } from './rows.js';

/**
 * What the audit trail (and a resource's stored snapshot) may hold of a value: secrets removed,
 * and changes as field-level differences. Pure.
 */

/** One changed field of an audit event, as a dotted path. */
export interface FieldChange {
  field: string;
  before: unknown;
  after: unknown;
}

/** Keys whose values are secrets: never written into the audit trail or a snapshot, whatever their depth. */
const SECRET_KEYS = /^(accessToken|access_token|clientSecret|client_secret|secret|password|token|authorization)$/i;

/** A deep copy with secret values replaced by `[redacted]`. */
export function redactSecrets<T>(value: T): T {
  if (Array.isArray(value)) return value.map((v: unknown) => redactSecrets(v)) as T;
  if (value && typeof value === 'object' && !(value instanceof Date)) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, SECRET_KEYS.test(k) ? '[redacted]' : redactSecrets(v)])) as T;
  }
  return value;
}

/** Field-level differences between two flat-or-nested records, as dotted paths. */
export function diffFields(before: Record<string, unknown> | null | undefined, after: Record<string, unknown> | null | undefined, prefix = ''): FieldChange[] {
  const changes: FieldChange[] = [];
  const keys = new Set([...Object.keys(before ?? {}), ...Object.keys(after ?? {})]);
  for (const key of [...keys].sort()) {
    const a = before?.[key];
    const b = after?.[key];
    const path = prefix ? `${prefix}.${key}` : key;
    if (isPlainObject(a) && isPlainObject(b)) changes.push(...diffFields(a, b, path));
    else if (JSON.stringify(a) !== JSON.stringify(b)) changes.push({ field: path, before: a ?? null, after: b ?? null });
  }
  return changes;
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof Date);
}

/** The audit-visible view of a resource: what an auditor compares before and after. */
export function auditView(resource: Pick<Resource, 'name' | 'description' | 'state' | 'platformId' | 'etag' | 'spec'>): Record<string, unknown> {
  return {
    name: resource.name,
    description: resource.description,
    state: resource.state,
    platformId: resource.platformId,
    etag: resource.etag,
    spec: resource.spec,
  };
}
