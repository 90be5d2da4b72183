import { readinessOf } from '../domain/resource-readiness.js';
import { resourceLabel, type ResourceType } from '../domain/resource-types.js';
import { EtagConflictError, NotFoundError, PreconditionError } from '../errors/app-errors.js';
import type { Resource } from '../store/rows.js';
import type { Store } from '../store/store.js';
import { optionalEtag, sameEtag, uuidField } from './input-rules.js';

/**
 * What a request may do with a resource it names, in the caller's sandbox — the gateway's side of
 * `readinessOf` (the worker's is `readyDependency`). Each throws a typed error naming `field`.
 */

/** The caller's sandbox and the store to read from. */
export interface Scope {
  store: Store;
  sandbox: string;
}

/**
 * A resource a new resource will depend on (or a read reaches through): it must exist in the
 * sandbox (NOT_FOUND naming `field`, also when deleted or not an id at all) and must not have failed (PRECONDITION_FAILED). It may still be
 * PENDING: the worker waits for it.
 */
export async function referencedResource(scope: Scope, id: string, type: ResourceType, field: string): Promise<Resource> {
  const row = await scope.store.resources.get(id, scope.sandbox, type, field);
  switch (readinessOf(row)) {
    case 'GONE':
      throw new NotFoundError(type, id, field);
    case 'FAILED':
      throw new PreconditionError(`${resourceLabel(type)} ${id} failed to be created; retry its create operation first`, field);
    case 'PENDING':
    case 'USABLE':
      return row;
  }
}

/** A resource about to be changed on the Platform: it must exist there (not pending, failed or deleted). */
export async function modifiableResource(scope: Scope, id: string, type: ResourceType, field: string): Promise<Resource> {
  const row = await scope.store.resources.get(uuidField(field, id), scope.sandbox, type, field);
  switch (readinessOf(row)) {
    case 'GONE':
      throw new PreconditionError(`the resource is ${row.state.toLowerCase()}`, field);
    case 'FAILED':
      throw new PreconditionError('the resource failed to be created; retry its create operation first', field);
    case 'PENDING':
      throw new PreconditionError('the resource is not created on the Platform yet; wait for its create operation', field);
    case 'USABLE':
      return row;
  }
}

/**
 * A resource about to be changed, as the caller last saw it: modifiable (see modifiableResource,
 * `id` names it) and, when the caller sent the etag it saw (`expectedEtag`), still at that etag
 * (else CONFLICT with the current one).
 */
export async function unchangedResource(scope: Scope, id: string, type: ResourceType, expectedEtag: string | null): Promise<Resource> {
  const etag = optionalEtag('expectedEtag', expectedEtag);
  const row = await modifiableResource(scope, id, type, 'id');
  if (etag !== null && !sameEtag(etag, row.etag)) throw new EtagConflictError(`${resourceLabel(type)} ${id} has etag ${row.etag}, not ${etag}`, row.etag);
  return row;
}

/** A resource about to be deleted: it must exist and not be deleted already (NOT_FOUND naming `field`). */
export async function deletableResource(scope: Scope, id: string, type: ResourceType, field: string): Promise<Resource> {
  const row = await scope.store.resources.get(uuidField(field, id), scope.sandbox, type, field);
  if (row.state === 'DELETED') throw new NotFoundError(type, id, field);
  return row;
}
