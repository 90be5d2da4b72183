import { randomBytes, randomUUID } from 'node:crypto';

/** Identifier shapes seen in Adobe's examples, so clients can't get away with assuming one. */
export const newUuid = (): string => randomUUID();
export const newHex = (length: number): string =>
  randomBytes(Math.ceil(length / 2))
    .toString('hex')
    .slice(0, length);
export const newMappingSetId = (): string => newHex(32);
export const newDatasetId = (): string => newHex(24);
export const newSchemaHex = (): string => newHex(48);

const CROCKFORD = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
/** A 26-character ULID, as used for batch ids. */
export function newUlid(nowMs: number): string {
  let time = '';
  let t = nowMs;
  for (let i = 0; i < 10; i++) {
    time = CROCKFORD[t % 32] + time;
    t = Math.floor(t / 32);
  }
  const bytes = randomBytes(16);
  let rand = '';
  for (const byte of bytes) rand += CROCKFORD[byte % 32];
  return time + rand;
}

/**
 * A Flow Service etag: the JSON string itself contains the double quotes, the first group is
 * opaque and the last is the update time in epoch seconds (hex) followed by `0000`.
 */
export function newEtag(updatedAtMs: number): string {
  const seconds = Math.floor(updatedAtMs / 1000)
    .toString(16)
    .padStart(8, '0');
  return `"${newHex(8)}-0000-0200-0000-${seconds}0000"`;
}

/** Compares an If-Match header value with a stored etag, ignoring quotes and a weak `W/` prefix. */
export function etagMatches(headerValue: string, storedEtag: string): boolean {
  const strip = (v: string) => v.trim().replace(/^W\//, '').replace(/^"|"$/g, '');
  return strip(headerValue) === strip(storedEtag);
}
