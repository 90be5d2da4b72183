import type { SandboxPartition } from '../../state/store.js';
import { xdmFailure } from './xdm-errors.js';
import { resolveProperties } from './xdm-fields.js';

/**
 * What a Schema Registry GET returns, decided by the `Accept` header (PLATFORM-API.md §10.2):
 * listings take `xed-id` or `xed` without a version; lookups take one of the `xed…` forms with a
 * `version=<major>` parameter. Every `xed…` type may also be written `xdm…`.
 */

export type ListView = 'id' | 'full';

export interface LookupView {
  /** `$ref`/`allOf` resolved into one `properties` tree. */
  resolved: boolean;
  /** Titles and descriptions stripped from fields. */
  noText: boolean;
  /** The major version asked for. */
  major: number;
}

const LIST_TYPES: Record<string, ListView> = {
  'application/vnd.adobe.xed-id+json': 'id',
  'application/vnd.adobe.xed+json': 'full',
};

/** The lookup media types the registry documents, by their `+json` stem. */
const LOOKUP_TYPES: Record<string, Omit<LookupView, 'major'>> = {
  xed: { resolved: false, noText: false },
  'xed-full': { resolved: true, noText: false },
  'xed-notext': { resolved: false, noText: true },
  'xed-full-notext': { resolved: true, noText: true },
  // No descriptors are stored, so `-desc` is `xed-full` here.
  'xed-full-desc': { resolved: true, noText: false },
  'xed-deprecatefield': { resolved: true, noText: false },
};

interface MediaType {
  essence: string;
  params: Record<string, string>;
}

function parseMediaType(header: string | undefined): MediaType | undefined {
  if (!header || header.trim() === '') return undefined;
  const [essence = '', ...rest] = header.split(';');
  const params: Record<string, string> = {};
  for (const part of rest) {
    const at = part.indexOf('=');
    if (at > 0)
      params[part.slice(0, at).trim().toLowerCase()] = part
        .slice(at + 1)
        .trim()
        .replace(/^"|"$/g, '');
  }
  // The spec's own Accept errors name both families (`application/vnd.adobe.{xed|xdm}+json`), and
  // clients send `xdm`, `xdm-full`, `xdm-id`…: the same views as their `xed` twins.
  const normalised = essence
    .trim()
    .toLowerCase()
    .replace(/^application\/vnd\.adobe\.xdm(?=[-+])/, 'application/vnd.adobe.xed');
  return { essence: normalised, params };
}

/** The listing view for an Accept header; 400 `XDM-1006-400` when missing, versioned or unknown. */
export function listViewFor(accept: string | undefined, nowMs: number): ListView {
  const media = parseMediaType(accept);
  const view = media ? LIST_TYPES[media.essence] : undefined;
  if (!media || !view || media.params.version !== undefined) {
    throw xdmFailure('listAcceptInvalid', `The supplied Accept header is not valid: ${accept ?? '(none)'} - A valid Accept value should look like application/vnd.adobe.{xed|xdm}+json`, nowMs);
  }
  return view;
}

/** The lookup view for an Accept header; 400 `XDM-1007-400` when missing, unknown or without a version. */
export function lookupViewFor(accept: string | undefined, nowMs: number): LookupView {
  const media = parseMediaType(accept);
  const stem = media ? /^application\/vnd\.adobe\.([a-z-]+)\+json$/.exec(media.essence)?.[1] : undefined;
  const kind = stem ? LOOKUP_TYPES[stem] : undefined;
  const version = media?.params.version;
  if (!kind || version === undefined || !/^\d+(\.\d+)?$/.test(version)) {
    throw xdmFailure(
      'lookupAcceptInvalid',
      `The supplied Accept header is not valid: ${accept ?? '(none)'} - A valid Accept value should look like application/vnd.adobe.xed+json; version={MAJOR_VERSION}`,
      nowMs,
    );
  }
  return { ...kind, major: Number(version.split('.')[0]) };
}

/** 406 when the resource has no such major version (the registry keeps only the latest minor of major 1). */
export function checkMajorVersion(resource: Record<string, any>, view: LookupView, nowMs: number): void {
  const major = Number(String(resource.version).split('.')[0]);
  if (view.major !== major) {
    throw xdmFailure('versionNotAvailable', `Version ${view.major} of ${resource.$id} is not available; the resource is at version ${resource.version}.`, nowMs);
  }
}

/** The resource as the lookup view shows it. */
export function renderResource(partition: SandboxPartition, resource: Record<string, any>, view: Pick<LookupView, 'resolved' | 'noText'>): Record<string, any> {
  let out: Record<string, any> = structuredClone(resource);
  if (view.resolved) {
    const { allOf: _allOf, definitions: _definitions, ...rest } = out;
    out = { ...rest, properties: resolveProperties(partition, resource).properties };
  }
  if (view.noText) {
    for (const key of ['properties', 'definitions'] as const) if (out[key]) stripText(out[key]);
  }
  return out;
}

function stripText(node: unknown): void {
  if (Array.isArray(node)) return node.forEach(stripText);
  if (typeof node !== 'object' || node === null) return;
  const record = node as Record<string, unknown>;
  delete record.title;
  delete record.description;
  for (const value of Object.values(record)) stripText(value);
}

/** Sort keys that name registry metadata rather than a top-level attribute. */
const SORT_KEYS: Record<string, (r: Record<string, any>) => unknown> = {
  updated: (r) => r['meta:registryMetadata']?.['repo:lastModifiedDate'],
  created: (r) => r['meta:registryMetadata']?.['repo:createdDate'],
};

type Operator = '==' | '!=' | '<=' | '>=' | '<' | '>';
const OPERATORS: Operator[] = ['==', '!=', '<=', '>=', '<', '>'];

/**
 * A listing (`{results, _page, _links}`) with the registry's paging: `orderby` (comma list, `-`
 * for descending; default `updated`), `start` (results strictly after this value of the primary
 * sort key), `limit` (0–500; both need `orderby`), and `property` filters.
 */
export function listResources(
  resources: Record<string, any>[],
  query: Record<string, unknown>,
  view: ListView,
  options: { selfPath: string; globalSchemasHref?: string; nowMs: number },
): Record<string, unknown> {
  const { nowMs } = options;
  const orderbyRaw = typeof query.orderby === 'string' && query.orderby !== '' ? query.orderby : undefined;
  if ((query.limit !== undefined || query.start !== undefined) && !orderbyRaw) {
    throw xdmFailure('invalidAttribute', "The 'limit' and 'start' parameters can only be used together with 'orderby'.", nowMs);
  }
  const orderby = (orderbyRaw ?? 'updated').split(',').map((raw) => {
    const descending = raw.trim().startsWith('-');
    const field = raw.trim().replace(/^[+-]/, '');
    if (!/^[A-Za-z0-9:_$.-]+$/.test(field)) throw xdmFailure('invalidAttribute', `The orderby field '${raw}' is invalid.`, nowMs);
    return { descending, read: SORT_KEYS[field] ?? ((r: Record<string, any>) => r[field]) };
  });
  let limit: number | undefined;
  if (query.limit !== undefined) {
    limit = Number(query.limit);
    if (typeof query.limit !== 'string' || !/^\d+$/.test(query.limit) || limit > 500) {
      throw xdmFailure('invalidAttribute', `The limit '${String(query.limit)}' is invalid: use an integer between 0 and 500.`, nowMs);
    }
  }
  const filters = (Array.isArray(query.property) ? query.property : query.property === undefined ? [] : [query.property]).map((p) => parseFilter(String(p), nowMs));

  let selected = resources.filter((r) => filters.every((f) => f(r)));
  selected = [...selected].sort((a, b) => {
    for (const key of orderby) {
      const c = compare(key.read(a), key.read(b));
      if (c !== 0) return key.descending ? -c : c;
    }
    return String(a.$id).localeCompare(String(b.$id));
  });
  // split gives at least one key, so there is always a primary one.
  const primary = orderby[0]!;
  if (typeof query.start === 'string') {
    const start = query.start;
    selected = selected.filter((r) => {
      const c = compare(primary.read(r), start);
      return primary.descending ? c < 0 : c > 0;
    });
  }
  const page = limit === undefined ? selected : selected.slice(0, limit);
  const more = page.length < selected.length;
  const nextStart = more && page.length > 0 ? String(primary.read(page[page.length - 1]!)) : null;
  let nextHref: string | null = null;
  if (nextStart !== null) {
    const params = new URLSearchParams();
    params.set('orderby', orderbyRaw!);
    params.set('start', nextStart);
    if (limit !== undefined) params.set('limit', String(limit));
    for (const p of Array.isArray(query.property) ? query.property : query.property === undefined ? [] : [query.property]) params.append('property', String(p));
    nextHref = `${options.selfPath}?${params.toString()}`;
  }
  return {
    results: page.map((r) => (view === 'id' ? { $id: r.$id, 'meta:altId': r['meta:altId'], version: r.version, title: r.title } : structuredClone(r))),
    _page: { orderby: orderbyRaw ?? 'updated', next: nextStart, count: page.length },
    _links: { next: nextHref, ...(options.globalSchemasHref ? { global_schemas: { href: options.globalSchemasHref } } : {}) },
  };
}

function parseFilter(expression: string, nowMs: number): (r: Record<string, any>) => boolean {
  for (const operator of OPERATORS) {
    const at = expression.indexOf(operator);
    if (at <= 0) continue;
    const key = expression.slice(0, at);
    const value = expression.slice(at + operator.length);
    return (r) => {
      const actual = r[key];
      const candidates = Array.isArray(actual) ? actual : actual === undefined ? [] : [actual];
      switch (operator) {
        case '==':
          return candidates.some((c) => String(c) === value);
        case '!=':
          return !candidates.some((c) => String(c) === value);
        default:
          return candidates.some((c) => {
            const d = compare(c, value);
            return operator === '<' ? d < 0 : operator === '>' ? d > 0 : operator === '<=' ? d <= 0 : d >= 0;
          });
      }
    };
  }
  if (!/^[A-Za-z0-9:_$.-]+$/.test(expression)) throw xdmFailure('invalidAttribute', `The property filter '${expression}' is invalid.`, nowMs);
  return (r) => r[expression] !== undefined;
}

/** Numbers (and numeric strings, e.g. versions) compare numerically; everything else as text. */
function compare(a: unknown, b: unknown): number {
  if (a === b) return 0;
  if (a === undefined || a === null) return 1;
  if (b === undefined || b === null) return -1;
  const na = Number(a);
  const nb = Number(b);
  if (!Number.isNaN(na) && !Number.isNaN(nb) && String(a).trim() !== '' && String(b).trim() !== '') return na - nb;
  return String(a).localeCompare(String(b));
}
