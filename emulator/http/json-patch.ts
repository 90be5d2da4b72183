import { catalogueError } from '../errors/error-bodies.js';
import { FLOW_SERVICE_ERRORS as FLOW, SOURCES_ERRORS as SOURCES } from '../errors/error-catalogue.js';

/** One JSON Patch operation as Flow Service accepts it (RFC 6902 add/replace/remove). */
export interface PatchOperation {
  op: 'add' | 'replace' | 'remove';
  path: string;
  value?: unknown;
}

/**
 * Validates a Flow Service PATCH body: a non-empty array of `{op, path, value}` whose ops are
 * add/replace/remove (any case, as docs use lower case and the spec upper case) and whose
 * paths are among `allowedPaths` (JSON Pointers; `*` matches one segment).
 */
export function parseFlowPatch(body: unknown, allowedPaths: string[]): PatchOperation[] {
  if (body === undefined || body === null || (Array.isArray(body) && body.length === 0)) {
    throw catalogueError(FLOW.emptyRequestBody, 'The request body is empty. Please provide at least one patch operation.');
  }
  if (!Array.isArray(body)) {
    throw catalogueError(FLOW.patchFieldMissing, 'The patch body must be a JSON array of {op, path, value} operations.');
  }
  return body.map((raw, index) => {
    if (typeof raw !== 'object' || raw === null) {
      throw catalogueError(FLOW.patchFieldMissing, `Patch operation ${index} must be an object with op, path and value.`);
    }
    const { op, path, value } = raw as Record<string, unknown>;
    if (typeof op !== 'string') throw catalogueError(FLOW.patchFieldMissing, `Patch operation ${index} is missing the field 'op'.`);
    const normalisedOp = op.toLowerCase();
    if (normalisedOp !== 'add' && normalisedOp !== 'replace' && normalisedOp !== 'remove') {
      throw catalogueError(FLOW.unsupportedPatchOp, `The patch operation '${op}' is not supported. Use add, replace or remove.`);
    }
    if (typeof path !== 'string' || path === '') throw catalogueError(FLOW.patchFieldMissing, `Patch operation ${index} is missing the field 'path'.`);
    if (!allowedPaths.some((allowed) => pointerMatches(allowed, path))) {
      throw catalogueError(SOURCES.invalidPatchPath, `The patch path '${path}' is not valid for this resource.`);
    }
    if (normalisedOp !== 'remove' && value === undefined) {
      throw catalogueError(FLOW.patchFieldMissing, `Patch operation ${index} (${normalisedOp} ${path}) is missing the field 'value'.`);
    }
    return { op: normalisedOp, path, value };
  });
}

/** Applies validated operations to a copy of `target`; `add` on an existing member replaces it, as RFC 6902 says. */
export function applyPatch<T extends Record<string, unknown>>(target: T, operations: PatchOperation[]): T {
  const copy = structuredClone(target);
  for (const operation of operations) {
    const segments = decodePointer(operation.path);
    const last = segments.pop()!;
    let parent: any = copy;
    for (const segment of segments) {
      if (parent[segment] === undefined || parent[segment] === null || typeof parent[segment] !== 'object') parent[segment] = {};
      parent = parent[segment];
    }
    if (Array.isArray(parent)) {
      const index = last === '-' ? parent.length : Number(last);
      if (operation.op === 'remove') parent.splice(index, 1);
      else if (operation.op === 'add' && last === '-') parent.push(structuredClone(operation.value));
      else parent[index] = structuredClone(operation.value);
    } else if (operation.op === 'remove') {
      delete parent[last];
    } else {
      parent[last] = structuredClone(operation.value);
    }
  }
  return copy;
}

function decodePointer(pointer: string): string[] {
  return pointer
    .replace(/^\//, '')
    .split('/')
    .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'));
}

function pointerMatches(pattern: string, pointer: string): boolean {
  const a = decodePointer(pattern);
  const b = decodePointer(pointer);
  return a.length === b.length && a.every((segment, i) => segment === '*' || segment === b[i]);
}
