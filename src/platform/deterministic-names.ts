/**
 * Names Flowgate gives Platform resources. Each ends with a tag naming the Flowgate record it
 * belongs to, so after a create whose answer was lost (`mayHaveCommitted`) a lookup by name finds
 * exactly that resource — never a look-alike a user made by hand.
 */

/**
 * Longest name Flowgate sends. The Platform documents no limit for these names; 256 keeps them
 * readable in the UI and well inside what every service stores.
 */
export const MAX_PLATFORM_NAME_LENGTH = 256;

/** Ids Flowgate tags names with: UUIDs, cuids, numeric ids. No `]`, no whitespace. */
const FLOWGATE_ID = /^[A-Za-z0-9._:-]{1,64}$/;
const TAG = /\s\[fg:([A-Za-z0-9._:-]{1,64})\]$/;

/**
 * The Platform name for a Flowgate resource: `"<name> [fg:<flowgateId>]"`. The human part is
 * collapsed to one line and cut (never the tag) so the whole stays within `maxLength`.
 * Throws a RangeError for an id that could not be parsed back (a programming error).
 */
export function platformName(name: string, flowgateId: string, maxLength = MAX_PLATFORM_NAME_LENGTH): string {
  if (!FLOWGATE_ID.test(flowgateId)) throw new RangeError('flowgateId must be 1-64 characters of A-Z, a-z, 0-9, ".", "_", ":" or "-"');
  const tag = ` [fg:${flowgateId}]`;
  const room = maxLength - tag.length;
  if (room < 1) throw new RangeError(`maxLength ${maxLength} leaves no room for a name besides the tag`);
  let human = name.replace(/\s+/g, ' ').trim();
  if (human === '') human = 'Flowgate';
  const chars = [...human];
  if (chars.length > room)
    human = `${chars
      .slice(0, room - 1)
      .join('')
      .trimEnd()}…`;
  return `${human}${tag}`;
}

/** The Flowgate id a Platform name is tagged with, or null for a name Flowgate did not give. */
export function parseFlowgateTag(name: string): string | null {
  return TAG.exec(name)?.[1] ?? null;
}
