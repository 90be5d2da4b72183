import { isUuid } from '../domain/ids.js';
import { isoTimestamp } from '../domain/iso-timestamp.js';
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
  // The JSON array `[iso, id]` written by hand when the id needs no escaping (ids are UUIDs; an ISO
  // date never does): a page of 50 encodes 50 of these, and JSON.stringify of the array cost a
  // third of the time.
  const at = isoTimestamp(position.at);
  const json = PLAIN_ID.test(position.id) ? `["${at}","${position.id}"]` : JSON.stringify([at, position.id]);
  return Buffer.from(json).toString('base64url');
}

const PLAIN_ID = /^[\w-]+$/;

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

/** A page of rows (in list order) plus whether more follow in either direction. */
export interface Page<T> {
  rows: T[];
  /** More rows after the last one (in list order). */
  hasNextPage: boolean;
  /** More rows before the first one (in list order). */
  hasPreviousPage: boolean;
  totalCount: number;
}

/** The Relay arguments of every list. */
export interface PageArguments {
  first?: number | null;
  after?: string | null;
  last?: number | null;
  before?: string | null;
}

/**
 * Which slice of a list to read: `size` rows after `after` and before `before` (both optional),
 * taken from the start of that range (forward: `first`) or from its end (backward: `last`).
 */
export interface PageWindow {
  size: number;
  after: string | null;
  before: string | null;
  backward: boolean;
  /**
   * Whether to count every match as well (`totalCount`). A page reads its rows and one more from
   * an index whatever the list's length; a count reads every match, so it is made only when the
   * query selects it (otherwise the page's `totalCount` is 0 and nobody sees it).
   */
  count: boolean;
}

/** The default page size and the largest `first`/`last` (the cost estimate counts the same). */
export const DEFAULT_PAGE_SIZE = 20;
export const MAX_PAGE_SIZE = 100;

/** `first`/`last` rules shared by every list: 1..100, default 20 forward; not both at once. */
export function pageSize(first: number | null | undefined, field = 'first'): number {
  if (first === null || first === undefined) return DEFAULT_PAGE_SIZE;
  if (!Number.isInteger(first) || first < 1 || first > MAX_PAGE_SIZE) throw new ValidationError(field, `must be an integer between 1 and ${MAX_PAGE_SIZE}`);
  return first;
}

/** The window a list's Relay arguments ask for (errors name the argument); `count`: see PageWindow. */
export function pageWindow(args: PageArguments, { count }: { count: boolean }): PageWindow {
  const hasFirst = args.first !== null && args.first !== undefined;
  const hasLast = args.last !== null && args.last !== undefined;
  if (hasFirst && hasLast) throw new ValidationError('last', 'cannot be combined with first; page forward with first/after or backward with last/before');
  return {
    size: hasLast ? pageSize(args.last, 'last') : pageSize(args.first, 'first'),
    after: args.after ?? null,
    before: args.before ?? null,
    backward: hasLast,
    count,
  };
}
