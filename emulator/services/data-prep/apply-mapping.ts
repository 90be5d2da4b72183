import type { XdmFieldInfo } from '../schema-registry/xdm-fields.js';
import { describe } from '../schema-registry/xdm-validate.js';
import { mapperCode } from './data-prep-errors.js';
import { evaluate, ExpressionError, parseExpression, type Expression } from './expressions.js';
import { requestSourceType, type StoredMapping } from './mapping-sets.js';

// Re-exported for callers that take the mapping type together with `applyMapping` (the run engine).
export type { StoredMapping } from './mapping-sets.js';

/**
 * Running a mapping set over one source record, as Data Prep does during ingestion and preview:
 * ATTRIBUTE mappings copy a source path, STATIC ones write their literal and EXPRESSION ones
 * evaluate their expression (see `expressions.ts` for what the emulator evaluates).
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

/** What a mapping may take besides the mappings: the clock, for `now()` and `timestamp()`. */
export interface MappingOptions {
  nowMs?: number;
}

const parsedExpressions = new Map<string, Expression | ExpressionError>();

/** A parsed expression, cached (a run maps thousands of records with the same few expressions). */
function expressionOf(text: string): Expression {
  let parsed = parsedExpressions.get(text);
  if (parsed === undefined) {
    try {
      parsed = parseExpression(text);
    } catch (error) {
      parsed = error instanceof ExpressionError ? error : new ExpressionError(String(error));
    }
    if (parsedExpressions.size > 10_000) parsedExpressions.clear();
    parsedExpressions.set(text, parsed);
  }
  if (parsed instanceof ExpressionError) throw parsed;
  return parsed;
}

/**
 * Applies the mappings to a source record (paths like `data.amount` read from `{data: record}`),
 * writing into nested objects at `destination` paths and checking each written value against
 * its field (`fields`: the output schema's fields by path): type, integer bounds, string length,
 * `date-time`/`date` format, map values, array items and the fields of objects, all the way down.
 * Null results (a missing source, an expression that yields null) write nothing and are not
 * errors. A value that does not fit makes the record fail with `MAPPER-3700-400` and a message
 * naming source, destination, expected and actual type; so does an expression that cannot be
 * evaluated. A parent object mapped together with its children must not double-fail or
 * clobber: the parent's value is written, then the children overwrite their leaves.
 *
 * Implicit conversions: numbers and booleans written to a string field become strings, and an
 * integer fits a number field; nothing else converts. Keys of a mapped object that the schema
 * does not define are dropped (Data Prep writes schema fields only).
 */
export function applyMapping(source: Record<string, unknown>, mappings: StoredMapping[], fields: Map<string, XdmFieldInfo>, options: MappingOptions = {}): MappedRecord {
  const record: Record<string, unknown> = {};
  const errors: MappedRecord['errors'] = [];
  const reported = new Set<string>();
  const report = (mismatch: Mismatch, from: string) => {
    if (reported.has(mismatch.path)) return;
    reported.add(mismatch.path);
    errors.push({
      code: mapperCode('typeMismatch'),
      message: `Mapping source '${from}' to destination '${mismatch.path}' failed: ${mismatch.reason}.`,
      source: from,
      destination: mismatch.path,
    });
  };
  // Parents first, so a child's value lands on top of what its parent wrote (sort is stable).
  const ordered = [...mappings].sort((a, b) => depth(a.destination) - depth(b.destination));
  for (const mapping of ordered) {
    const sourceType = requestSourceType(mapping.sourceType);
    let value: unknown;
    if (sourceType === 'STATIC') value = mapping.source;
    else if (sourceType === 'ATTRIBUTE') value = readPath(source, mapping.source);
    else if (sourceType === 'EXPRESSION') {
      try {
        value = evaluate(expressionOf(mapping.source), { source, nowMs: options.nowMs ?? Date.now() });
      } catch (error) {
        report({ path: mapping.destination, reason: `the expression could not be evaluated: ${(error as Error).message}` }, mapping.source);
        continue;
      }
    } else continue;
    if (value === null || value === undefined) continue;
    const mismatches: Mismatch[] = [];
    const info = fields.get(mapping.destination);
    const written = info ? conform(value, info, mapping.destination, fields, mismatches) : fail(mismatches, mapping.destination, 'the destination is not a field of the target schema');
    for (const mismatch of mismatches) {
      const from = sourceType === 'ATTRIBUTE' ? `${mapping.source}${mismatch.path.slice(mapping.destination.length)}` : mapping.source;
      report(mismatch, from);
    }
    if (written !== undefined) writePath(record, mapping.destination, written);
  }
  return { ok: errors.length === 0, record, errors };
}

/** The value as the field stores it, or undefined (with a mismatch recorded) when it does not fit. */
function conform(value: unknown, info: XdmFieldInfo, path: string, fields: Map<string, XdmFieldInfo>, mismatches: Mismatch[]): unknown {
  const actual = describe(value);
  const wrongType = () => fail(mismatches, path, `expected ${info.xdmType ?? info.type}, found ${actual}`);
  switch (info.type) {
    case 'string': {
      if (actual === 'object' || actual === 'array') return wrongType();
      // A date field takes a date string (Data Prep parses it); a number is no date.
      if (info.xdmType !== undefined && actual !== 'string') return wrongType();
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
        if (child === null || child === undefined) continue;
        const childPath = `${path}.${key}`;
        // A map takes any key; an object only the fields it defines (known from the node or, for
        // callers that give a flat path map, from the path).
        const childInfo = info.xdmType === 'map' ? info.additionalProperties : info.properties ? info.properties[key] : fields.get(childPath);
        if (!childInfo) {
          if (info.xdmType === 'map') out[key] = structuredClone(child);
          continue;
        }
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
        const written = conform(item, items, `${path}[${index}]`, fields, mismatches);
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
