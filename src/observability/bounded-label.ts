/**
 * A label whose values come from outside (a client's operation name): the first `limit` distinct
 * values are kept, later ones are reported as `other`, so a client cannot grow the number of
 * series without bound. Values that look like ids are refused outright.
 */
export class BoundedLabel {
  private readonly seen = new Set<string>();

  constructor(private readonly limit: number) {}

  value(raw: string): string {
    if (this.seen.has(raw)) return raw;
    if (looksLikeId(raw) || this.seen.size >= this.limit) return 'other';
    this.seen.add(raw);
    return raw;
  }
}

const UUID = /[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}/i;
const LONG_HEX = /[0-9a-f]{16,}/i;
const DIGITS = /\d{5,}/;

/** Whether a label value carries something that identifies one record (a uuid, a long hex or number). */
export function looksLikeId(value: string): boolean {
  return UUID.test(value) || LONG_HEX.test(value) || DIGITS.test(value);
}
