import { createHash } from 'node:crypto';

/**
 * The audit chain's canonical serialization, reproduced outside PostgreSQL (for verifying an
 * exported file offline): the text `flowgate_audit_content` builds — a jsonb array printed as
 * PostgreSQL prints jsonb — and the hashes over it. Pure.
 */

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

/** sha256 of the canonical content: the `digest` the chain records. */
export function auditDigest(e: AuditContent): Buffer {
  return createHash('sha256').update(auditContent(e), 'utf8').digest();
}

/** The chain link: sha256(prev_hash ‖ digest). */
export function chainHash(prevHash: Buffer, digest: Buffer): Buffer {
  return createHash('sha256').update(prevHash).update(digest).digest();
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
