import { createHash } from 'node:crypto';

/**
 * The audit chain's canonical serializations, reproduced outside PostgreSQL (for verifying an
 * exported file offline), and the hashes over them. Pure.
 * - Version 2 (`flowgate_audit_content`): a jsonb array printed as PostgreSQL prints jsonb; the
 *   chain row holds `digest = sha256(content)` and `hash = sha256(prev_hash ‖ digest)`.
 * - Version 3 (`flowgate_audit_content_v3`, the audit_digest_v3 migration): fixed fields joined by
 *   `|`, then each text field length-prefixed; `hash = sha256(prev_hash ‖ content)` (one sha256 per
 *   event when verifying), `digest = sha256(content)` only tells a changed event from a rewritten link.
 */

/** How a chain row was linked (`audit_chain.version`). */
export type AuditDigestVersion = 2 | 3;

/** The content of an event as the chain hashes it. */
export interface AuditContent {
  id: string;
  /** The append sequence, as decimal digits (a bigint). */
  seq: string;
  at: Date;
  sandbox: string;
  actor: string;
  action: string;
  resourceType: string;
  resourceId: string;
  platformId: string | null;
  etagBefore: string | null;
  etagAfter: string | null;
  changes: unknown;
  before: unknown;
  after: unknown;
  operationId: string | null;
  requestId: string | null;
}

/** A decimal digits string printed as a number (a bigint in the serialization). */
class Digits {
  constructor(readonly text: string) {}
}

/** `flowgate_audit_content(e)`, version 2. */
export function auditContent(e: AuditContent): string {
  return jsonbText([
    2,
    e.id,
    new Digits(e.seq),
    e.at.getTime(),
    e.sandbox,
    e.actor,
    e.action,
    e.resourceType,
    e.resourceId,
    e.platformId,
    e.etagBefore,
    e.etagAfter,
    e.changes,
    e.before,
    e.after,
    e.operationId,
    e.requestId,
  ]);
}

/**
 * `flowgate_audit_content_v3(e)`. The JSON columns hold the text PostgreSQL printed for jsonb when
 * the event was written, which `jsonbText` reproduces from the parsed value.
 */
export function auditContentV3(e: AuditContent): string {
  const field = (value: string | null) => (value === null ? ':' : `${Buffer.byteLength(value, 'utf8')}:${value}`);
  const json = (value: unknown) => (value === null || value === undefined ? null : jsonbText(value));
  return (
    `3|${e.id}|${e.seq}|${e.at.getTime()}|${e.resourceType}|${e.resourceId}|${e.operationId ?? ''}|` +
    [e.sandbox, e.actor, e.action, e.platformId, e.etagBefore, e.etagAfter, e.requestId, json(e.changes), json(e.before), json(e.after)].map(field).join('')
  );
}

/** The canonical content of a version, as the bytes the chain hashes. */
export function auditContentBytes(e: AuditContent, version: AuditDigestVersion): Buffer {
  return Buffer.from(version === 3 ? auditContentV3(e) : auditContent(e), 'utf8');
}

/**
 * What a chain row of `version` records for `e` after `prevHash`, the content printed once: its
 * `digest` (sha256 of the content) and its `hash` — sha256(prev_hash ‖ digest) for version 2,
 * sha256(prev_hash ‖ content) for version 3.
 */
export function auditLink(prevHash: Buffer, e: AuditContent, version: AuditDigestVersion): { digest: Buffer; hash: Buffer } {
  const content = auditContentBytes(e, version);
  const digest = createHash('sha256').update(content).digest();
  const hash = createHash('sha256')
    .update(prevHash)
    .update(version === 3 ? content : digest)
    .digest();
  return { digest, hash };
}

/**
 * A JSON value as PostgreSQL prints jsonb: ", " between items, ": " after keys, object keys
 * ordered by byte length then bytes, strings escaped as `escape_json` does, numbers in plain
 * decimal (jsonb keeps numbers as `numeric`, which never prints an exponent).
 */
export function jsonbText(value: unknown): string {
  if (value === null || value === undefined) return 'null';
  if (value instanceof Digits) return value.text;
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  if (typeof value === 'number') return plainNumber(value);
  if (typeof value === 'string') return jsonbString(value);
  if (Array.isArray(value)) return `[${value.map(jsonbText).join(', ')}]`;
  if (typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => compareKeys(a, b));
    return `{${entries.map(([k, v]) => `${jsonbString(k)}: ${jsonbText(v)}`).join(', ')}}`;
  }
  throw new TypeError(`not a JSON value: ${typeof value}`);
}

/** jsonb's key order: shorter keys first, then bytewise. */
function compareKeys(a: string, b: string): number {
  const x = Buffer.from(a, 'utf8');
  const y = Buffer.from(b, 'utf8');
  return x.length - y.length || Buffer.compare(x, y);
}

function jsonbString(s: string): string {
  let out = '"';
  for (const ch of s) {
    const code = ch.codePointAt(0)!;
    if (ch === '"') out += '\\"';
    else if (ch === '\\') out += '\\\\';
    else if (ch === '\b') out += '\\b';
    else if (ch === '\f') out += '\\f';
    else if (ch === '\n') out += '\\n';
    else if (ch === '\r') out += '\\r';
    else if (ch === '\t') out += '\\t';
    else if (code < 0x20) out += `\\u${code.toString(16).padStart(4, '0')}`;
    else out += ch;
  }
  return `${out}"`;
}

/** A finite number in plain decimal, as `numeric` prints what JavaScript wrote (`1e+21` → `1000000000000000000000`). */
function plainNumber(n: number): string {
  if (!Number.isFinite(n)) throw new TypeError('JSON has no Infinity or NaN');
  const text = String(n);
  const match = /^(-?)(\d+)(?:\.(\d+))?e([+-]\d+)$/.exec(text);
  if (!match) return text;
  const [, sign, whole, fraction = '', exponent] = match;
  const digits = whole! + fraction;
  const point = whole!.length + Number(exponent);
  if (point <= 0) return `${sign}0.${'0'.repeat(-point)}${digits}`;
  if (point >= digits.length) return `${sign}${digits}${'0'.repeat(point - digits.length)}`;
  return `${sign}${digits.slice(0, point)}.${digits.slice(point)}`;
}
