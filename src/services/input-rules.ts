import { isUuid } from '../domain/ids.js';
import { ValidationError } from '../errors/app-errors.js';

/**
 * The input rules every mutation shares. Each throws ValidationError naming the field, before
 * anything is written.
 */
// C0/C1 controls, and the bidirectional overrides and isolates that make a name display
// differently from what it is (U+202A–U+202E, U+2066–U+2069).
const CONTROL_CHARACTERS = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/;
/** Half of a UTF-16 surrogate pair without the other half: not Unicode text, and PostgreSQL would store U+FFFD instead. */
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

export function requiredName(field: string, value: string | null | undefined, max = 200): string {
  if (value === null || value === undefined) throw new ValidationError(field, 'is required');
  const trimmed = value.trim();
  if (trimmed === '') throw new ValidationError(field, 'must not be empty');
  if (trimmed.length > max) throw new ValidationError(field, `must be at most ${max} characters`);
  if (CONTROL_CHARACTERS.test(trimmed)) throw new ValidationError(field, 'must not contain control characters');
  if (LONE_SURROGATE.test(trimmed)) throw new ValidationError(field, 'must be valid Unicode text');
  return trimmed;
}

export function optionalText(field: string, value: string | null | undefined, max = 1000): string | null {
  if (value === null || value === undefined) return null;
  if (value.length > max) throw new ValidationError(field, `must be at most ${max} characters`);
  if (CONTROL_CHARACTERS.test(value)) throw new ValidationError(field, 'must not contain control characters');
  if (LONE_SURROGATE.test(value)) throw new ValidationError(field, 'must be valid Unicode text');
  return value;
}

/** A Stripe secret or restricted key. Only its shape is checked here; the Platform's connection test checks it works. */
export function stripeAccessToken(field: string, value: string | null | undefined): string {
  if (value === null || value === undefined || value.trim() === '') throw new ValidationError(field, 'is required');
  if (value.length > 512) throw new ValidationError(field, 'must be at most 512 characters');
  if (/\s/.test(value)) throw new ValidationError(field, 'must not contain whitespace');
  return value;
}

export function idempotencyKey(field: string, value: string | null | undefined): string | null {
  if (value === null || value === undefined) return null;
  if (!/^[A-Za-z0-9._:-]{1,128}$/.test(value)) throw new ValidationError(field, 'must be 1 to 128 letters, digits or . _ : -');
  return value;
}

export function uuidField(field: string, value: string): string {
  if (!isUuid(value)) throw new ValidationError(field, 'must be a Flowgate id (UUID)');
  return value.toLowerCase();
}

export function optionalEtag(field: string, value: string | null | undefined): string | null {
  if (value === null || value === undefined) return null;
  if (value.length === 0 || value.length > 200) throw new ValidationError(field, 'must be 1 to 200 characters');
  return value;
}

/**
 * Refuses JSON nested deeper than `maxDepth` (objects and arrays), before anything recursive
 * (JSON.stringify, a schema walk) meets it and runs out of stack. Iterative on purpose.
 */
export function jsonNesting(field: string, value: unknown, maxDepth: number): void {
  const stack: [unknown, number][] = [[value, 0]];
  while (stack.length > 0) {
    const [node, depth] = stack.pop()!;
    if (node === null || typeof node !== 'object') continue;
    if (depth >= maxDepth) throw new ValidationError(field, `nests deeper than ${maxDepth} levels`);
    for (const child of Array.isArray(node) ? node : Object.values(node)) stack.push([child, depth + 1]);
  }
}

/** Compares etags the way the Platform does (decided once, in the domain). */
export { sameEtag } from '../domain/etags.js';
