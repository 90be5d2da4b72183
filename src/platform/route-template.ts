/**
 * What a Platform call is called in metrics: which API, and its path as a template (ids replaced
 * by `{id}`), so the number of label values stays bounded whatever the ids are.
 */

/** The Platform's APIs Flowgate calls. */
export type PlatformApi = 'flow-service' | 'data-prep' | 'catalog' | 'schema-registry' | 'ims' | 'other';

const API_PREFIXES: readonly [string, PlatformApi][] = [
  ['/data/foundation/flowservice', 'flow-service'],
  ['/data/foundation/conversion', 'data-prep'],
  ['/data/foundation/catalog', 'catalog'],
  ['/data/foundation/schemaregistry', 'schema-registry'],
  ['/ims/', 'ims'],
];

/** The API a path (from the host root, without the query) belongs to. */
export function platformApiOf(path: string): PlatformApi {
  for (const [prefix, api] of API_PREFIXES) if (path.startsWith(prefix)) return api;
  return 'other';
}

/** A segment kept as it is: a lower-case word of the API's vocabulary (`flows`, `sourceConnections`, `tenant`). */
const STATIC_SEGMENT = /^[A-Za-z][A-Za-z_-]{0,39}$/;

/**
 * The path with every segment that is not a plain word replaced by `{id}`: uuids, hex ids,
 * URL-encoded schema ids, numbers. `/data/foundation/flowservice/flows/3f…/runs` →
 * `/data/foundation/flowservice/flows/{id}/runs`. A word made only of hex letters (`abcdef…`)
 * longer than 8 characters counts as an id too.
 */
export function routeTemplate(path: string): string {
  const bare = path.split('?', 1)[0] ?? path;
  return bare
    .split('/')
    .map((segment) => (segment === '' || (STATIC_SEGMENT.test(segment) && !/^[a-f]{9,}$/i.test(segment)) ? segment : '{id}'))
    .join('/');
}

/** How many paths' descriptions are kept; the cache starts over when full (ids make most paths unique). */
const ROUTE_CACHE_SIZE = 1000;
const routes = new Map<string, { api: PlatformApi; route: string }>();

/**
 * A path's API and template, computed once per distinct path: collection paths
 * (`/data/foundation/flowservice/flows`) and the resource an operation reads and writes again
 * are looked up, not scanned again. The result is shared: do not change it.
 */
export function platformRouteOf(path: string): { readonly api: PlatformApi; readonly route: string } {
  let found = routes.get(path);
  if (!found) {
    if (routes.size >= ROUTE_CACHE_SIZE) routes.clear();
    found = { api: platformApiOf(path), route: routeTemplate(path) };
    routes.set(path, found);
  }
  return found;
}
