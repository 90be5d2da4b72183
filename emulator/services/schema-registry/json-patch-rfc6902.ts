/**
 * RFC 6902 JSON Patch with the RFC's strictness: the Schema Registry says it "supports all
 * standard JSON Patch operations", and Catalog's PATCH accepts `application/json-patch+json`.
 * (Flow Service's lenient subset lives in `http/json-patch.ts`.) Errors say which operation
 * failed and why; each service wraps them in its own error body.
 */

export type JsonPatchOp = 'add' | 'remove' | 'replace' | 'move' | 'copy' | 'test';

export interface JsonPatchOperation {
  op: JsonPatchOp;
  path: string;
  from?: string;
  value?: unknown;
}

/** Thrown for a malformed patch document or an operation that cannot apply. */
export class JsonPatchError extends Error {
  constructor(
    /** Index of the failing operation, or -1 for the document as a whole. */
    readonly index: number,
    message: string,
  ) {
    super(message);
  }
}

const OPS: readonly JsonPatchOp[] = ['add', 'remove', 'replace', 'move', 'copy', 'test'];

/** Checks the shape of a patch document: a non-empty array of `{op, path, from?, value?}`. */
export function parseJsonPatch(body: unknown): JsonPatchOperation[] {
  if (!Array.isArray(body)) throw new JsonPatchError(-1, 'The request body must be a JSON Patch array of operations.');
  if (body.length === 0) throw new JsonPatchError(-1, 'The JSON Patch array is empty.');
  return body.map((raw, index) => {
    if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
      throw new JsonPatchError(index, `Patch operation ${index} must be an object with op and path.`);
    }
    const { op, path, from, value } = raw as Record<string, unknown>;
    if (typeof op !== 'string' || !OPS.includes(op as JsonPatchOp)) {
      throw new JsonPatchError(index, `Patch operation ${index} has an invalid op '${String(op)}'; use one of ${OPS.join(', ')}.`);
    }
    if (typeof path !== 'string' || (path !== '' && !path.startsWith('/'))) {
      throw new JsonPatchError(index, `Patch operation ${index} has an invalid path '${String(path)}'; a JSON Pointer starts with '/'.`);
    }
    if ((op === 'move' || op === 'copy') && (typeof from !== 'string' || (from !== '' && !from.startsWith('/')))) {
      throw new JsonPatchError(index, `Patch operation ${index} (${op}) needs a JSON Pointer in 'from'.`);
    }
    if ((op === 'add' || op === 'replace' || op === 'test') && !('value' in (raw as object))) {
      throw new JsonPatchError(index, `Patch operation ${index} (${op} ${path}) is missing 'value'.`);
    }
    return { op: op as JsonPatchOp, path, ...(typeof from === 'string' ? { from } : {}), ...('value' in (raw as object) ? { value } : {}) };
  });
}

/** Applies the operations to a deep copy of `document`; the original is never changed. */
export function applyJsonPatch<T>(document: T, operations: JsonPatchOperation[]): T {
  let root: unknown = structuredClone(document);
  operations.forEach((operation, index) => {
    const fail = (reason: string): never => {
      throw new JsonPatchError(index, `Patch operation ${index} (${operation.op} ${operation.path}) failed: ${reason}.`);
    };
    switch (operation.op) {
      case 'add':
        root = add(root, operation.path, structuredClone(operation.value), fail);
        break;
      case 'remove':
        root = remove(root, operation.path, fail).root;
        break;
      case 'replace':
        get(root, operation.path, fail);
        root = remove(root, operation.path, fail).root;
        root = add(root, operation.path, structuredClone(operation.value), fail);
        break;
      case 'move': {
        if (operation.path.startsWith(`${operation.from}/`)) fail('a value cannot be moved into one of its own children');
        const removed = remove(root, operation.from!, fail);
        root = add(removed.root, operation.path, removed.value, fail);
        break;
      }
      case 'copy':
        root = add(root, operation.path, structuredClone(get(root, operation.from!, fail)), fail);
        break;
      case 'test':
        if (!deepEqual(get(root, operation.path, fail), operation.value)) fail('the value is not the expected one');
        break;
    }
  });
  return root as T;
}

type Fail = (reason: string) => never;

function tokens(pointer: string): string[] {
  if (pointer === '') return [];
  return pointer
    .slice(1)
    .split('/')
    .map((token) => token.replace(/~1/g, '/').replace(/~0/g, '~'));
}

function get(root: unknown, pointer: string, fail: Fail): unknown {
  let current = root;
  for (const token of tokens(pointer)) {
    if (Array.isArray(current)) {
      const index = arrayIndex(token, current.length - 1, fail);
      current = current[index];
    } else if (isObject(current) && Object.prototype.hasOwnProperty.call(current, token)) {
      current = current[token];
    } else {
      fail(`'${pointer}' does not exist`);
    }
  }
  return current;
}

function add(root: unknown, pointer: string, value: unknown, fail: Fail): unknown {
  const path = tokens(pointer);
  if (path.length === 0) return value;
  const last = path.pop()!;
  const parent = get(root, `/${path.map(escapeToken).join('/')}`.replace(/^\/$/, ''), fail);
  if (Array.isArray(parent)) {
    const index = last === '-' ? parent.length : arrayIndex(last, parent.length, fail);
    parent.splice(index, 0, value);
  } else if (isObject(parent)) {
    parent[last] = value;
  } else {
    fail(`the parent of '${pointer}' is not an object or array`);
  }
  return root;
}

function remove(root: unknown, pointer: string, fail: Fail): { root: unknown; value: unknown } {
  const path = tokens(pointer);
  if (path.length === 0) fail('the whole document cannot be removed');
  const last = path.pop()!;
  const parent = get(root, `/${path.map(escapeToken).join('/')}`.replace(/^\/$/, ''), fail);
  if (Array.isArray(parent)) {
    const index = arrayIndex(last, parent.length - 1, fail);
    const [value] = parent.splice(index, 1);
    return { root, value };
  }
  if (isObject(parent) && Object.prototype.hasOwnProperty.call(parent, last)) {
    const value = parent[last];
    delete parent[last];
    return { root, value };
  }
  return fail(`'${pointer}' does not exist`);
}

function arrayIndex(token: string, max: number, fail: Fail): number {
  if (!/^(0|[1-9][0-9]*)$/.test(token)) fail(`'${token}' is not an array index`);
  const index = Number(token);
  if (index > max) fail(`index ${index} is out of bounds`);
  return index;
}

function escapeToken(token: string): string {
  return token.replace(/~/g, '~0').replace(/\//g, '~1');
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((v, i) => deepEqual(v, b[i]));
  if (isObject(a) && isObject(b)) {
    const keys = Object.keys(a);
    return keys.length === Object.keys(b).length && keys.every((k) => Object.prototype.hasOwnProperty.call(b, k) && deepEqual(a[k], b[k]));
  }
  return false;
}
