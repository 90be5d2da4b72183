import type { ResourceState } from './resource-types.js';

/**
 * Whether a resource can be used, decided once for the gateway and the worker alike:
 * - USABLE: it exists on the Platform (it has a platform id and is not failed or deleted);
 * - PENDING: its create is queued or running (it has no platform id yet);
 * - FAILED: its create failed for good;
 * - GONE: it is deleted or being deleted.
 * What each answer means for a request (a field error, a wait, a retry) is the caller's to map.
 */
export type Readiness = 'USABLE' | 'PENDING' | 'FAILED' | 'GONE';

export function readinessOf(resource: { state: ResourceState; platformId: string | null }): Readiness {
  switch (resource.state) {
    case 'DELETED':
    case 'DELETING':
      return 'GONE';
    case 'FAILED':
      return 'FAILED';
    case 'PENDING':
      return 'PENDING';
    default:
      return resource.platformId ? 'USABLE' : 'PENDING';
  }
}
