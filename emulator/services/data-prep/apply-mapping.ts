import type { XdmFieldInfo } from '../schema-registry/xdm-fields.js';
import { mapperCode } from './data-prep-errors.js';
import { requestSourceType, type StoredMapping } from './mapping-sets.js';

// Re-exported for callers that take the mapping type together with `applyMapping` (the run engine).
export type { StoredMapping } from './mapping-sets.js';

/**
 * Running a mapping set over one source record, as Data Prep does during ingestion and preview.
 * Only ATTRIBUTE (copy a source path) and STATIC (write the literal) mappings are applied;
 * EXPRESSION mappings are not evaluated by the emulator and write nothing.
 */

/** The result of mapping one record; `ok` is false when any value failed its field's type. */
export interface MappedRecord {
  ok: boolean;
  record: Record<string, unknown>;
  errors: { code: string; message: string; source: string; destination: string }[];
}

interface Mismatch {
  /** Destination path of the value that failed (the mapping's, or a field inside it). */
  path: string;
  reason: string;
}

/**
 * Applies ATTRIBUTE mappings to a source record (read `source` paths like `data.amount` from
 * `{data: stripeObject}`), writing into nested objects at `destination` paths, checking each
 * written value against `fields` (the target schema's XdmFieldInfo): string/integer/number/
 * boolean/object/array type match, integer bounds. Null/undefined source values are skipped (not
 * errors). A type mismatch (e.g. an object where the schema wants a string) makes the record fail
 * with code `MAPPER-3700-400` and a message naming source, destination, expected and actual type.
 * A parent object mapped together with its children must not double-fail or clobber: write the
 * parent's value, then children overwrite their leaves.
 *
 * Implicit conversions: numbers and booleans written to a string field become strings, and an
 * integer fits a number field; nothing else converts. Keys of a mapped object that the schema
 * does not define are dropped.
 */
export function applyMapping(source: Record<string, unknown>, mappings: StoredMapping[], fields: Map<string, XdmFieldInfo>): MappedRecord {
  const record: Record<string, unknown> = {};
  const errors: MappedRecord['errors'] = [];
  const reported = new Set<string>();
  // Parents first, so a child's value lands on top of what its parent wrote (sort is stable).
  const ordered = [...mappings].sort((a, b) => depth(a.destination) - depth(b.destination));
  for (const mapping of ordered) {
    const sourceType = requestSourceType(mapping.sourceType);
    if (sourceType !== 'ATTRIBUTE' && sourceType !== 'STATIC') continue;
    const value = sourceType === 'STATIC' ? mapping.source : readPath(source, mapping.source);
    if (value === null || value === undefined) continue;
    const mismatches: Mismatch[] = [];
    const info = fields.get(mapping.destination);
    const written = info ? conform(value, info, mapping.destination, fields, mismatches) : fail(mismatches, mapping.destination, 'the destination is not a field of the target schema');
    for (const mismatch of mismatches) {
      if (reported.has(mismatch.path)) continue;
      reported.add(mismatch.path);
      const from = sourceType === 'STATIC' ? mapping.source : `${mapping.source}${mismatch.path.slice(mapping.destination.length)}`;
      errors.push({
        code: mapperCode('typeMismatch'),
        message: `Mapping source '${from}' to destination '${mismatch.path}' failed: ${mismatch.reason}.`,
        source: from,
        destination: mismatch.path,
      });
    }
    if (written !== undefined) writePath(record, mapping.destination, written);
  }
  return { ok: errors.length === 0, record, errors };
}

/** The value as the field stores it, or undefined (with a mismatch recorded) when it does not fit. */
function conform(value: unknown, info: XdmFieldInfo, path: string, fields: Map<string, XdmFieldInfo>, mismatches: Mismatch[]): unknown {
  const actual = describe(value);
  const wrongType = () => fail(mismatches, path, `expected ${info.type}, found ${actual}`);
  switch (info.type) {
    case 'string': {
      if (actual === 'object' || actual === 'array') return wrongType();
      const text = String(value);
      if (info.maxLength !== undefined && text.length > info.maxLength) {
        return fail(mismatches, path, `the string is ${text.length} characters long, more than maxLength ${info.maxLength}`);
      }
      return text;
    }
    case 'integer':
      if (actual !== 'integer') return wrongType();
      if ((info.minimum !== undefined && (value as number) < info.minimum) || (info.maximum !== undefined && (value as number) > info.maximum)) {
        return fail(mismatches, path, `${value as number} is outside the range ${info.minimum ?? '-∞'}..${info.maximum ?? '∞'} of the integer field`);
      }
      return value;
    case 'number':
      return actual === 'integer' || actual === 'number' ? value : wrongType();
    case 'boolean':
      return actual === 'boolean' ? value : wrongType();
    case 'object': {
      if (actual !== 'object') return wrongType();
      const out: Record<string, unknown> = {};
      for (const [key, child] of Object.entries(value as Record<string, unknown>)) {
        const childPath = `${path}.${key}`;
        const childInfo = fields.get(childPath);
        if (!childInfo || child === null || child === undefined) continue;
        const written = conform(child, childInfo, childPath, fields, mismatches);
        if (written !== undefined) out[key] = written;
      }
      return out;
    }
    case 'array': {
      if (actual !== 'array') return wrongType();
      if (!info.items) return structuredClone(value);
      const items = info.items;
      const out: unknown[] = [];
      (value as unknown[]).forEach((item, index) => {
        if (item === null || item === undefined) return;
        // Array elements are not field paths, so objects inside them are kept as they are.
        const written = items.type === 'object' && describe(item) === 'object' ? structuredClone(item) : conform(item, items, `${path}[${index}]`, fields, mismatches);
        if (written !== undefined) out.push(written);
      });
      return out;
    }
  }
}

function fail(mismatches: Mismatch[], path: string, reason: string): undefined {
  mismatches.push({ path, reason });
  return undefined;
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  if (typeof value === 'number') return Number.isInteger(value) ? 'integer' : 'number';
  return typeof value;
}

function depth(path: string): number {
  return path.split('.').length;
}

/** Reads a dot-separated path; undefined when any step is missing or not an object. */
function readPath(source: Record<string, unknown>, path: string): unknown {
  let current: unknown = source;
  for (const key of path.split('.')) {
    if (typeof current !== 'object' || current === null || Array.isArray(current)) return undefined;
    current = (current as Record<string, unknown>)[key];
  }
  return current;
}

/** Writes at a dot-separated path, creating (or replacing non-object) intermediate objects. */
function writePath(target: Record<string, unknown>, path: string, value: unknown): void {
  const keys = path.split('.');
  const last = keys.pop()!;
  let current = target;
  for (const key of keys) {
    const next = current[key];
    if (typeof next !== 'object' || next === null || Array.isArray(next)) current[key] = {};
    current = current[key] as Record<string, unknown>;
  }
  const existing = current[last];
  // A child mapped after its parent only replaces its own leaf; two objects merge.
  if (isPlainObject(existing) && isPlainObject(value)) current[last] = { ...existing, ...value };
  else current[last] = value;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
