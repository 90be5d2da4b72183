import SwaggerParser from '@apidevtools/swagger-parser';
import path from 'node:path';
import { createTransformReport, prepareSchema, type TransformReport } from './schema-transform.js';

/** The four Platform APIs Flowgate drives, by spec file. */
export type ApiName = 'flow-service' | 'data-prep' | 'catalog' | 'schema-registry';

export interface ApiDescriptor {
  name: ApiName;
  file: string;
  /** The base path the spec declares (`servers[0].url` or Swagger 2 `basePath`); checked at load. */
  basePath: string;
}

export const APIS: readonly ApiDescriptor[] = [
  { name: 'flow-service', file: 'flow-service.yaml', basePath: '/data/foundation/flowservice' },
  { name: 'data-prep', file: 'data-prep.yaml', basePath: '/data/foundation/conversion' },
  { name: 'catalog', file: 'catalog.yaml', basePath: '/data/foundation/catalog' },
  { name: 'schema-registry', file: 'schema-registry.yaml', basePath: '/data/foundation/schemaregistry' },
];

const METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'] as const;

/** A documented query parameter, reduced to what the validator checks (presence and enum). */
export interface QueryParamSpec {
  name: string;
  required: boolean;
  /** Allowed values, when the spec lists them (for arrays: of the items). */
  enum?: string[];
  array: boolean;
}

interface BodySchemaSource {
  /** `$ref` URI into the document registered with ajv. */
  ref: string;
  /** `POST /connections response 201 application/json`, for messages. */
  description: string;
}

/** A JSON body schema of the spec, as a `$ref` URI into the spec document registered with ajv. */
export interface BodySchema extends BodySchemaSource {
  mediaType: string;
}

export interface SpecResponse {
  /** `200`, `2XX` or `default`, as written in the spec. */
  key: string;
  schemas: BodySchema[];
}

export interface SpecOperation {
  api: ApiName;
  /** Upper case. */
  method: string;
  /** The path template exactly as the spec writes it, e.g. `/connections/{BASE_CONNECTION_ID}/`. */
  specPath: string;
  /** `PATCH /data/foundation/flowservice/connections/{BASE_CONNECTION_ID}/`: the coverage key. */
  key: string;
  /** `PATCH /connections/{BASE_CONNECTION_ID}/`: how deviations name it. */
  name: string;
  template: PathTemplate;
  queryParams: QueryParamSpec[];
  request: { required: boolean; schemas: BodySchema[] } | null;
  responses: SpecResponse[];
}

export interface LoadedApi {
  descriptor: ApiDescriptor;
  /**
   * What ajv gets: every body schema under `bodies`, plus the spec's `components.schemas` /
   * `definitions` at their usual place so circular `$ref`s still resolve. Schemas only: ajv scans
   * the whole document for `$id`s, and the rest of a spec is full of example data.
   */
  document: Record<string, unknown>;
  /** URI under which the document is registered with ajv; body refs point into it. */
  documentUri: string;
  operations: SpecOperation[];
  transform: TransformReport;
}

/**
 * Parses and dereferences one spec with swagger-parser and indexes its operations. Circular
 * references (Data Prep, Catalog, Schema Registry have some) stay as `$ref`; ajv resolves them
 * against the registered document, so no schema is cut short.
 */
export async function loadApi(descriptor: ApiDescriptor, referenceDir: string): Promise<LoadedApi> {
  const file = path.join(referenceDir, descriptor.file);
  const parser = new SwaggerParser();
  const spec = (await parser.dereference(file, { dereference: { circular: 'ignore' } })) as unknown as Record<string, unknown>;

  const declared = declaredBasePath(spec);
  if (declared !== descriptor.basePath) {
    throw new Error(`${descriptor.file}: the spec declares base path '${declared}', the validator expects '${descriptor.basePath}'`);
  }

  const documentUri = `https://contract.flowgate.invalid/specs/${descriptor.name}.json`;
  const bodies: Record<string, unknown> = {};
  const document: Record<string, unknown> = { bodies };
  if (isRecord(spec.components)) document.components = { schemas: asRecord(spec.components.schemas) };
  if (isRecord(spec.definitions)) document.definitions = spec.definitions;
  const register = (schema: unknown, description: string): BodySchemaSource => {
    const key = `s${Object.keys(bodies).length}`;
    bodies[key] = schema;
    return { ref: refTo(documentUri, ['bodies', key]), description };
  };

  const transform = createTransformReport();
  const seen = new WeakSet<object>();
  const operations: SpecOperation[] = [];
  const paths = asRecord(spec.paths);

  for (const [specPath, rawItem] of Object.entries(paths)) {
    const item = asRecord(rawItem);
    const itemParams = asArray(item.parameters);
    for (const method of METHODS) {
      const op = item[method];
      if (!isRecord(op)) continue;
      const opParams = asArray(op.parameters);
      const name = `${method.toUpperCase()} ${specPath}`;
      const operation: SpecOperation = {
        api: descriptor.name,
        method: method.toUpperCase(),
        specPath,
        key: `${method.toUpperCase()} ${descriptor.basePath}${specPath === '/' ? '' : specPath}`,
        name,
        template: parseTemplate(specPath),
        queryParams: queryParams(itemParams, opParams),
        request: requestSchemas(op, itemParams, opParams, (schema, mediaType) => register(schema, `${name} request ${mediaType}`)),
        responses: responseSchemas(asRecord(op.responses), (schema, key, mediaType) => register(schema, `${name} response ${key} ${mediaType}`)),
      };
      operations.push(operation);

      // Prepare every schema this operation can reach for ajv.
      if (isRecord(op.requestBody)) for (const media of Object.values(asRecord(op.requestBody.content))) prepareSchema(asRecord(media).schema, transform, seen);
      for (const param of [...itemParams, ...opParams]) if (isRecord(param) && param.in === 'body') prepareSchema(param.schema, transform, seen);
      for (const response of Object.values(asRecord(op.responses))) {
        const r = asRecord(response);
        prepareSchema(r.schema, transform, seen);
        for (const media of Object.values(asRecord(r.content))) prepareSchema(asRecord(media).schema, transform, seen);
      }
    }
  }
  // Circular `$ref`s point here; prepare the targets too.
  for (const schema of Object.values(asRecord(asRecord(spec.components).schemas))) prepareSchema(schema, transform, seen);
  for (const schema of Object.values(asRecord(spec.definitions))) prepareSchema(schema, transform, seen);

  return { descriptor, document, documentUri, operations, transform };
}

function declaredBasePath(document: Record<string, unknown>): string | undefined {
  if (typeof document.swagger === 'string') return typeof document.basePath === 'string' ? document.basePath : undefined;
  const url = asRecord(asArray(document.servers)[0]).url;
  if (typeof url !== 'string') return undefined;
  // `//{environment}.adobe.io/data/foundation/flowservice` → `/data/foundation/flowservice`
  const match = /^(?:[a-z]+:)?\/\/[^/]+(\/.*)?$/i.exec(url);
  return (match ? (match[1] ?? '/') : url).replace(/\/+$/, '');
}

function queryParams(itemParams: unknown[], opParams: unknown[]): QueryParamSpec[] {
  const byName = new Map<string, QueryParamSpec>();
  // Operation-level parameters override path-level ones of the same name.
  for (const raw of [...itemParams, ...opParams]) {
    if (!isRecord(raw) || raw.in !== 'query' || typeof raw.name !== 'string') continue;
    const schema = isRecord(raw.schema) ? raw.schema : raw; // OpenAPI 3 vs Swagger 2
    const array = schema.type === 'array';
    const enumSource = array ? asRecord(schema.items).enum : schema.enum;
    const values = Array.isArray(enumSource) ? enumSource.filter((v): v is string => typeof v === 'string') : undefined;
    byName.set(raw.name, { name: raw.name, required: raw.required === true, array, ...(values && values.length > 0 ? { enum: values } : {}) });
  }
  return [...byName.values()];
}

type Register = (schema: unknown, mediaType: string) => BodySchemaSource;
type RegisterResponse = (schema: unknown, key: string, mediaType: string) => BodySchemaSource;

function requestSchemas(op: Record<string, unknown>, itemParams: unknown[], opParams: unknown[], register: Register): SpecOperation['request'] {
  if (isRecord(op.requestBody)) {
    const content = asRecord(op.requestBody.content);
    const schemas = Object.entries(content)
      .filter(([, media]) => isRecord(asRecord(media).schema))
      .map(([mediaType, media]) => ({ mediaType, ...register(asRecord(media).schema, mediaType) }));
    return { required: op.requestBody.required === true, schemas };
  }
  // Swagger 2: the `in: body` parameter, on the operation or else on the path item.
  const param = [...opParams, ...itemParams].find((p): p is Record<string, unknown> => isRecord(p) && p.in === 'body');
  if (!param) return null;
  return { required: param.required === true, schemas: isRecord(param.schema) ? [{ mediaType: 'application/json', ...register(param.schema, 'application/json') }] : [] };
}

function responseSchemas(responses: Record<string, unknown>, register: RegisterResponse): SpecResponse[] {
  return Object.entries(responses).map(([key, raw]) => {
    const response = asRecord(raw);
    if (isRecord(response.schema)) {
      // Swagger 2: one schema, whatever `produces` says.
      return { key, schemas: [{ mediaType: 'application/json', ...register(response.schema, key, 'application/json') }] };
    }
    const schemas = Object.entries(asRecord(response.content))
      .filter(([, media]) => isRecord(asRecord(media).schema))
      .map(([mediaType, media]) => ({ mediaType, ...register(asRecord(media).schema, key, mediaType) }));
    return { key, schemas };
  });
}

/** A `$ref` URI to a JSON Pointer inside a registered document, percent-encoded for ajv. */
export function refTo(documentUri: string, pointer: string[]): string {
  return `${documentUri}#/${pointer.map((part) => encodeURIComponent(part.replace(/~/g, '~0').replace(/\//g, '~1'))).join('/')}`;
}

// ---------------------------------------------------------------------------------------------
// Path templates

export interface PathTemplate {
  /** Segments after dropping a trailing slash; `null` marks a `{PARAM}` segment. */
  segments: (string | null)[];
  trailingSlash: boolean;
}

/** Splits `/connections/{BASE_CONNECTION_ID}/` into its segments, remembering the trailing slash. */
export function parseTemplate(specPath: string): PathTemplate {
  const trailingSlash = specPath.length > 1 && specPath.endsWith('/');
  const trimmed = trailingSlash ? specPath.slice(0, -1) : specPath;
  // `/` has no segments; `/a/b` has `a`, `b`.
  const segments = trimmed === '/' ? [] : trimmed.split('/').slice(1);
  return { segments: segments.map((s) => (/^\{[^}]+\}$/.test(s) ? null : s)), trailingSlash };
}

/**
 * Whether `requestPath` (relative to the base path) fits the template, ignoring a trailing slash on
 * either side (see deviation `route-trailing-slash`). `{X}` matches exactly one non-empty segment.
 */
export function templateMatches(template: PathTemplate, requestPath: string): boolean {
  const request = parseTemplate(requestPath.startsWith('/') ? requestPath : `/${requestPath}`);
  if (request.segments.length !== template.segments.length) return false;
  return template.segments.every((literal, i) => {
    const actual = request.segments[i];
    return literal === null ? actual !== '' && actual !== null : literal === actual;
  });
}

/**
 * Orders matching templates from most to least specific: compared segment by segment, a literal
 * beats a parameter (`/tenant/schemas/{ID}` before `/{CONTAINER_ID}/schemas/{ID}`); then an exact
 * trailing-slash match wins.
 */
export function compareSpecificity(a: PathTemplate, b: PathTemplate, requestHasTrailingSlash: boolean): number {
  for (let i = 0; i < Math.min(a.segments.length, b.segments.length); i++) {
    const aParam = a.segments[i] === null;
    const bParam = b.segments[i] === null;
    if (aParam !== bParam) return aParam ? 1 : -1;
  }
  const aExact = a.trailingSlash === requestHasTrailingSlash;
  const bExact = b.trailingSlash === requestHasTrailingSlash;
  return aExact === bExact ? 0 : aExact ? -1 : 1;
}

// ---------------------------------------------------------------------------------------------

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
function asRecord(value: unknown): Record<string, unknown> {
  return isRecord(value) ? value : {};
}
function asArray(value: unknown): unknown[] {
  return Array.isArray(value) ? value : [];
}
