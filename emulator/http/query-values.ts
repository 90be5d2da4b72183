/**
 * Query-string conventions every service shares.
 *
 * The specs type flags such as `count`, `preview` or `expandSchema` as booleans and give no case;
 * clients built on Python send `True`/`False` (its `str(bool)`), and the Platform takes them. So a
 * boolean query value is `true` or `false` in any case.
 */

/** `true`/`false` in any case; undefined when absent or empty; null when it is something else. */
export function queryBoolean(raw: unknown): boolean | undefined | null {
  if (raw === undefined || raw === '') return undefined;
  if (typeof raw !== 'string') return null;
  const lower = raw.toLowerCase();
  if (lower === 'true') return true;
  if (lower === 'false') return false;
  return null;
}

/**
 * Parses a query string. A parameter sent several times with the same value counts once (a client
 * that follows a `_links.next.href` and also sends its own `limit=1` sends `limit=1&limit=1`);
 * different values stay a list, for the parameters that may repeat (`property`) and for the
 * checks of those that may not.
 */
export function parseQueryString(text: string): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = Object.create(null) as Record<string, string | string[]>;
  for (const [key, value] of new URLSearchParams(text)) {
    const existing = out[key];
    if (existing === undefined) out[key] = value;
    else if (Array.isArray(existing)) {
      if (!existing.includes(value)) existing.push(value);
    } else if (existing !== value) out[key] = [existing, value];
  }
  return out;
}

/** A query value as text for a message: a repeated parameter's values joined with commas. */
export function queryText(raw: unknown): string {
  if (typeof raw === 'string') return raw;
  if (Array.isArray(raw)) return raw.map((v) => (typeof v === 'string' ? v : JSON.stringify(v))).join(',');
  return JSON.stringify(raw) ?? '';
}
