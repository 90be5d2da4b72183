import { catalogError } from '../../errors/error-bodies.js';
import type { PlatformHttpError } from '../../errors/platform-error.js';

/**
 * Catalog's error codes (`type` `http://ns.adobe.com/aep/errors/CAT-<code>`). Adobe documents
 * no Catalog error body; these are our own, listed in the README.
 *
 * | code | title | when |
 * | --- | --- | --- |
 * | 1000-400 | Invalid request body | body not a JSON object (or, for PATCH, a JSON Patch array); a patch operation that cannot apply |
 * | 1001-400 | Missing required field | `name`, `schemaRef`, `schemaRef.id`, `schemaRef.contentType` |
 * | 1002-400 | Invalid field value | a field of the wrong type, malformed `tags`, a read-only attribute in PATCH/PUT |
 * | 1003-400 | Schema not found | `schemaRef.id` is not a schema of this org and sandbox |
 * | 1004-404 | Not Found | unknown dataset or batch id (shared with `familyErrors.notFound`) |
 * | 1005-400 | Schema version mismatch | `schemaRef.contentType` names another major version than the schema's |
 * | 1006-400 | Invalid query parameter | `limit` outside 1–100, bad `start`, `orderBy`, `property`, `createdAfter`/`createdBefore` |
 */
export const CATALOG_CODES = {
  invalidBody: { code: '1000-400', title: 'Invalid request body' },
  missingField: { code: '1001-400', title: 'Missing required field' },
  invalidField: { code: '1002-400', title: 'Invalid field value' },
  schemaNotFound: { code: '1003-400', title: 'Schema not found' },
  notFound: { code: '1004-404', title: 'Not Found' },
  schemaVersion: { code: '1005-400', title: 'Schema version mismatch' },
  invalidQuery: { code: '1006-400', title: 'Invalid query parameter' },
} as const;

export type CatalogErrorKind = keyof typeof CATALOG_CODES;

/** The Catalog error of `kind`; `detail` names the offending field or parameter. */
export function catalogFailure(kind: CatalogErrorKind, detail: string): PlatformHttpError {
  const { code, title } = CATALOG_CODES[kind];
  return catalogError(code, title, detail);
}
