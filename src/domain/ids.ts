import { z } from 'zod';

/** Flowgate ids are UUIDs (any version; deterministic ones are version 5). */
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Whether a string is a Flowgate id. The one UUID check every layer uses. */
export function isUuid(value: unknown): value is string {
  return typeof value === 'string' && UUID.test(value);
}

/** The zod form of `isUuid`, for contracts. */
export const flowgateId = z.string().refine(isUuid, { message: 'must be a Flowgate id (UUID)' });
