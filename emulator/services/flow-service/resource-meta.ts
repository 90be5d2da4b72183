import type { PlatformCall } from '../../context.js';
import { newEtag, newUuid } from '../../ids.js';

/**
 * The bookkeeping fields every Flow Service resource carries (PLATFORM-API.md §4.1, §7.1).
 * For service tokens `createdBy` equals the client, as the spec says.
 */
export function newResourceMeta(call: PlatformCall, nowMs: number): Record<string, unknown> {
  const etag = newEtag(nowMs);
  return {
    id: newUuid(),
    createdAt: nowMs,
    updatedAt: nowMs,
    createdBy: call.clientId,
    updatedBy: call.clientId,
    createdClient: call.clientId,
    updatedClient: call.clientId,
    sandboxId: call.partition.sandboxId,
    sandboxName: call.partition.sandboxName,
    imsOrgId: call.orgId,
    etag,
    version: etag,
  };
}

/** Marks a resource as updated: new time, updater and etag (`version` mirrors `etag`). */
export function touchResource(wire: Record<string, unknown>, call: Pick<PlatformCall, 'clientId'>, nowMs: number): void {
  const etag = newEtag(nowMs);
  wire.updatedAt = nowMs;
  wire.updatedBy = call.clientId;
  wire.updatedClient = call.clientId;
  wire.etag = etag;
  wire.version = etag;
}

export const FLOW_SERVICE_BASE = '/data/foundation/flowservice';
