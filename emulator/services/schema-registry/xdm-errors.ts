import { xdmError } from '../../errors/error-bodies.js';
import type { PlatformHttpError } from '../../errors/platform-error.js';
import type { XdmResourceKind } from './xdm-fields.js';

/**
 * The Schema Registry error codes this emulator answers with (`type`
 * `http://ns.adobe.com/aep/errors/XDM-<code>`). Codes Adobe documents (spec or the XDM
 * troubleshooting guide) are used as documented; the rest are our own, in the same family,
 * and listed in the README.
 *
 * | code | title | when |
 * | --- | --- | --- |
 * | 1000-400 | Bad Request | body missing or not an object; PATCH body not a JSON Patch array, or an operation cannot apply |
 * | 1001-400 | Missing required attribute | `title`, `type`, `description` (classes, schemas), `allOf`, `meta:intendedToExtend` |
 * | 1002-400 | Invalid attribute value | `type` not `object`, malformed `allOf`, not exactly one class/behaviour, read-only attribute patched, bad list query |
 * | 1003-400 | Invalid field name | a field name outside `^[A-Za-z0-9][A-Za-z0-9_-]*$` |
 * | 1004-400 | Invalid field type | a field without `type`, or with a type XDM does not have |
 * | 1005-400 | Referenced resource not found | an `allOf` `$ref`, `meta:intendedToExtend` entry or field `$ref` that does not exist |
 * | 1006-400 | Accept header invalid | listing without (or with a versioned/unknown) Accept (documented) |
 * | 1007-400 | Accept header invalid | lookup without Accept, or without `version=` (documented) |
 * | 1010/1011/1012/1013-404 | Resource not found | class / field group / schema / behaviour (documented family 1010–1017) |
 * | 1018-406 | Invalid Accept format | the requested major version does not exist (status documented, code ours) |
 * | 1021-400 | Namespace validation error | a custom field outside `_{TENANT_ID}` (documented) |
 * | 1413-400 | Merge Schema Error | two parts of a schema define one path with different types (documented) |
 * | 1521-400 | Title not unique | a title already used by any tenant class, field group or schema (documented) |
 * | 1522-400 | Field group not compatible | a schema's field group does not list the schema's class in `meta:intendedToExtend` |
 * | 1523-400 | Resource in use | deleting a class/field group a resource uses, or a schema a dataset uses |
 * | 1524-400 | Breaking change not allowed | removing or retyping a field of a schema a dataset uses |
 * | 1525-400 | Header is missing | no `x-sandbox-name` (raised by the gateway checks in `http/gateway-checks.ts`) |
 * | 1526-404 | Sandbox not found | `x-sandbox-name` names no sandbox of the org (same place) |
 */
export const XDM_CODES = {
  badRequest: { code: '1000-400', title: 'Bad Request' },
  missingAttribute: { code: '1001-400', title: 'Missing required attribute' },
  invalidAttribute: { code: '1002-400', title: 'Invalid attribute value' },
  invalidFieldName: { code: '1003-400', title: 'Invalid field name' },
  invalidFieldType: { code: '1004-400', title: 'Invalid field type' },
  referenceNotFound: { code: '1005-400', title: 'Referenced resource not found' },
  listAcceptInvalid: { code: '1006-400', title: 'Accept header invalid' },
  lookupAcceptInvalid: { code: '1007-400', title: 'Accept header invalid' },
  versionNotAvailable: { code: '1018-406', title: 'Invalid Accept format' },
  namespaceInvalid: { code: '1021-400', title: 'Namespace validation error' },
  mergeConflict: { code: '1413-400', title: 'Merge Schema Error' },
  titleNotUnique: { code: '1521-400', title: 'Title not unique' },
  fieldGroupIncompatible: { code: '1522-400', title: 'Field group not compatible' },
  resourceInUse: { code: '1523-400', title: 'Resource in use' },
  breakingChange: { code: '1524-400', title: 'Breaking change not allowed' },
} as const;

export type XdmErrorKind = keyof typeof XDM_CODES;

/** Builds the registry error of `kind` with a detail that names the offending attribute or field. */
export function xdmFailure(kind: XdmErrorKind, detail: string, nowMs: number): PlatformHttpError {
  const { code, title } = XDM_CODES[kind];
  return xdmError(code, title, detail, nowMs);
}

const NOT_FOUND_CODES: Record<XdmResourceKind | 'behaviors', { code: string; noun: string }> = {
  classes: { code: '1010-404', noun: 'class' },
  mixins: { code: '1011-404', noun: 'field group' },
  schemas: { code: '1012-404', noun: 'schema' },
  behaviors: { code: '1013-404', noun: 'behavior' },
};

/** "The requested schema resource … with version 1 is not found", as the troubleshooting guide words it. */
export function xdmNotFound(kind: XdmResourceKind | 'behaviors', id: string, nowMs: number, major = 1): PlatformHttpError {
  const { code, noun } = NOT_FOUND_CODES[kind];
  return xdmError(code, 'Resource not found', `The requested ${noun} resource ${id} with version ${major} is not found.`, nowMs);
}
