import { isUuid } from '../domain/ids.js';
import { ValidationError } from '../errors/app-errors.js';

/**
 * Opaque cursors for keyset pagination over (timestamp, id) in descending order: stable while
 * rows are added, and a forged or foreign cursor is a clear input error, not a crash.
 */
export interface CursorPosition {
  at: Date;
  id: string;
}

export function encodeCursor(position: CursorPosition): string {
  return Buffer.from(JSON.stringify([position.at.toISOString(), position.id])).toString('base64url');
}

export function decodeCursor(cursor: string, field = 'after'): CursorPosition {
  try {
    const parsed = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as unknown;
    if (Array.isArray(parsed) && parsed.length === 2 && typeof parsed[0] === 'string' && typeof parsed[1] === 'string') {
      const at = new Date(parsed[0]);
      if (!Number.isNaN(at.getTime()) && isUuid(parsed[1])) return { at, id: parsed[1] };
    }
  } catch {
    // fall through
  }
  throw new ValidationError(field, 'is not a cursor this API issued');
}

/** A page of rows plus whether more follow. */
export interface Page<T> {
  rows: T[];
  hasNextPage: boolean;
  totalCount: number;
}

/** `first` rules shared by every list: 1..100, default 20. */
export function pageSize(first: number | null | undefined, field = 'first'): number {
  if (first === null || first === undefined) return 20;
  if (!Number.isInteger(first) || first < 1 || first > 100) throw new ValidationError(field, 'must be an integer between 1 and 100');
  return first;
}
