import Ajv, { type ErrorObject, type ValidateFunction } from 'ajv';
import addFormats from 'ajv-formats';
import { stat } from 'node:fs/promises';
import path from 'node:path';
import { DEVIATIONS, EMULATOR_EXTENSIONS, operationPatternMatches, type Deviation, type DeviationAspect, type EmulatorExtension } from './deviations.js';
import { ERROR_SHAPE_SCHEMAS, errorShapesFor, errorStatusMismatch, type ErrorShapeName } from './error-shapes.js';
import { describeExchange, headerValue, isJsonMediaType, type RecordedExchange } from './exchange.js';
import {
  APIS,
  compareSpecificity,
  loadApi,
  parseTemplate,
  templateMatches,
  type ApiName,
  type BodySchema,
  type LoadedApi,
  type PathTemplate,
  type SpecOperation,
  type SpecResponse,
} from './spec-catalog.js';

/** One way an exchange departs from Adobe's specs. */
export interface ContractProblem {
  /** `POST /data/foundation/flowservice/connections` */
  exchange: string;
  where: 'request' | 'response' | 'route';
  message: string;
}

/** Overrides for tests of the validator itself; production use takes the defaults. */
export interface ContractValidatorOptions {
  /** Default: `DEVIATIONS`. */
  deviations?: readonly Deviation[];
  /** Default: `EMULATOR_EXTENSIONS`. */
  extensions?: readonly EmulatorExtension[];
}

/** Paths the validator does not look at: IMS (no spec) and the emulator's control API. */
const IGNORED_PREFIXES = ['/ims', '/__emulator'];
/** At most this many schema problems are listed per body; the rest are summarised. */
const MAX_PROBLEMS_PER_BODY = 15;

const cache = new Map<string, Promise<ContractValidator | null>>();

interface ExtensionRoute {
  extension: EmulatorExtension;
  method: string;
  template: PathTemplate;
  key: string;
}

type RouteMatch =
  { kind: 'operation'; api: LoadedApi; operation: SpecOperation } | { kind: 'extension'; api: LoadedApi; route: ExtensionRoute } | { kind: 'problem'; api: LoadedApi | null; message: string };

/**
 * Validates recorded HTTP exchanges against Adobe's OpenAPI specs for Flow Service, Data Prep,
 * Catalog and Schema Registry, allowing only the documented deviations (`deviations.ts`).
 */
export class ContractValidator {
  private readonly counts = new Map<string, number>();
  private readonly compiled = new Map<string, ValidateFunction | Error>();
  private readonly errorShapeValidators: Record<ErrorShapeName, ValidateFunction>;
  private readonly extensionRoutes: ExtensionRoute[];
  private readonly ignoreTrailingSlash: boolean;

  private constructor(
    private readonly apis: readonly LoadedApi[],
    private readonly ajv: Ajv,
    private readonly deviations: readonly Deviation[],
    extensions: readonly EmulatorExtension[],
  ) {
    this.errorShapeValidators = Object.fromEntries(Object.entries(ERROR_SHAPE_SCHEMAS).map(([name, { schema }]) => [name, ajv.compile(schema)])) as Record<ErrorShapeName, ValidateFunction>;
    this.ignoreTrailingSlash = deviations.some((d) => d.aspect === 'route' && d.rule.ignoreTrailingSlash);
    this.extensionRoutes = extensions.map((extension) => {
      const [method, specPath] = splitOperation(extension.operation);
      const api = apis.find((a) => a.descriptor.name === extension.api)!;
      return { extension, method, template: parseTemplate(specPath), key: `${method} ${api.descriptor.basePath}${specPath} (emulator extension)` };
    });
  }

  /**
   * Loads and dereferences the four specs from `referenceDir` (default:
   * `../shared/reference/aep-openapi` from the working directory). Resolves null when the directory
   * does not exist (a machine without `../shared`); rejects when a spec is missing or unusable, or a
   * deviation names an operation the specs do not have. Without `options`, one validator per
   * directory is built per process and shared (so coverage accumulates across a test file).
   */
  static load(referenceDir?: string, options?: ContractValidatorOptions): Promise<ContractValidator | null> {
    const dir = path.resolve(referenceDir ?? path.resolve(process.cwd(), '../shared/reference/aep-openapi'));
    if (options) return ContractValidator.build(dir, options);
    let pending = cache.get(dir);
    if (!pending) {
      pending = ContractValidator.build(dir, {});
      cache.set(dir, pending);
      // A failed load is not cached: the next caller tries again and sees the error itself.
      pending.catch(() => cache.delete(dir));
    }
    return pending;
  }

  private static async build(dir: string, options: ContractValidatorOptions): Promise<ContractValidator | null> {
    const info = await stat(dir).catch(() => null);
    if (!info?.isDirectory()) return null;

    const apis = await Promise.all(APIS.map((descriptor) => loadApi(descriptor, dir)));
    const ajv = new Ajv({ strict: false, allErrors: true, validateSchema: false, useDefaults: false, coerceTypes: false });
    addFormats(ajv);
    for (const api of apis) {
      // Formats ajv-formats does not know (`parquet`, …) only describe: any value passes.
      for (const format of api.transform.formats) if (!ajv.formats[format]) ajv.addFormat(format, true);
      ajv.addSchema(api.document, api.documentUri);
    }
    const deviations = options.deviations ?? DEVIATIONS;
    const extensions = options.extensions ?? EMULATOR_EXTENSIONS;
    checkDeviationTargets(apis, deviations, extensions);
    return new ContractValidator(apis, ajv, deviations, extensions);
  }

  /**
   * Problems with one exchange: a route no spec documents answered with success (an error answer
   * in a documented error shape is a refusal, and fine; emulator extensions are fine too), a
   * status the operation does not document (unless a deviation allows it), a documented enum or
   * required query parameter violated, a request body not matching the operation's request schema,
   * a response body not matching the schema documented for its status, an error body of none of
   * the documented error shapes. An empty array means the exchange conforms.
   *
   * A request the server rejected with a 4xx is not itself checked: tests send non-conforming
   * requests on purpose to provoke those answers.
   */
  validate(exchange: RecordedExchange): ContractProblem[] {
    const label = describeExchange(exchange);
    // split always yields at least one element, the path before any query.
    const rawPath = exchange.path.split('?')[0]!;
    if (IGNORED_PREFIXES.some((prefix) => rawPath === prefix || rawPath.startsWith(`${prefix}/`))) return [];

    const method = exchange.method.toUpperCase();
    const match = this.matchRoute(method, rawPath);
    const problem = (where: ContractProblem['where'], message: string): ContractProblem => ({ exchange: label, where, message });
    if (match.kind === 'problem') {
      // An error answer means the route was refused (404, or auth/header checks that run before
      // routing), which is what the real gateway does too; only the body can then be wrong.
      if (exchange.status >= 400) {
        return this.checkErrorBody(match.api?.descriptor.name ?? null, exchange).map((m) => problem('response', m));
      }
      return [problem('route', match.message)];
    }

    if (match.kind === 'extension') {
      this.count(match.route.key);
      return this.checkErrorBody(match.api.descriptor.name, exchange).map((m) => problem('response', m));
    }

    const { api, operation } = match;
    this.count(operation.key);
    const problems: ContractProblem[] = [];
    const clientError = exchange.status >= 400 && exchange.status < 500;

    if (!clientError) {
      for (const message of this.checkQuery(operation, exchange)) problems.push(problem('request', message));
      for (const message of this.checkRequestBody(operation, exchange)) problems.push(problem('request', message));
    }

    const response = findResponse(operation, exchange.status);
    if (!response && !this.statusAccepted(operation, exchange.status)) {
      const documented = operation.responses.map((r) => r.key).join(', ');
      problems.push(problem('response', `status ${exchange.status} is not documented for ${operation.name} (documented: ${documented})`));
    }
    if (exchange.unparsedBody?.response !== undefined) {
      problems.push(problem('response', `the response says it is JSON but does not parse: ${preview(exchange.unparsedBody.response)}`));
    } else if (response) {
      for (const message of this.checkResponseBody(operation, response, exchange)) problems.push(problem('response', message));
    }
    for (const message of this.checkErrorBody(api.descriptor.name, exchange)) problems.push(problem('response', message));
    return problems;
  }

  /**
   * Which operations were seen (`METHOD /base/path/{PARAM}`), with how often, sorted by operation.
   * With `includeUnseen`, every documented operation is listed, unseen ones with count 0.
   */
  coverage(options: { includeUnseen?: boolean } = {}): { operation: string; count: number }[] {
    const rows = new Map(this.counts);
    if (options.includeUnseen) {
      for (const api of this.apis) for (const op of api.operations) if (!rows.has(op.key)) rows.set(op.key, 0);
    }
    return [...rows.entries()].map(([operation, count]) => ({ operation, count })).sort((a, b) => a.operation.localeCompare(b.operation));
  }

  /** Forgets the coverage counted so far. */
  resetCoverage(): void {
    this.counts.clear();
  }

  /**
   * Compiles every body schema of every operation now instead of on first use, and reports those
   * that do not compile. For diagnostics and timing; `validate` compiles lazily.
   */
  compileAll(): { compiled: number; failures: { schema: string; message: string }[] } {
    let compiled = 0;
    const failures: { schema: string; message: string }[] = [];
    for (const api of this.apis) {
      for (const op of api.operations) {
        for (const body of [...(op.request?.schemas ?? []), ...op.responses.flatMap((r) => r.schemas)]) {
          const result = this.compile(body.ref, { $ref: body.ref });
          if (result instanceof Error) failures.push({ schema: `${api.descriptor.name} ${body.description}`, message: result.message });
          else compiled++;
        }
      }
    }
    return { compiled, failures };
  }

  // -------------------------------------------------------------------------------------------

  private matchRoute(method: string, rawPath: string): RouteMatch {
    const api = this.apis.find((a) => rawPath === a.descriptor.basePath || rawPath.startsWith(`${a.descriptor.basePath}/`));
    if (!api) {
      const bases = this.apis.map((a) => a.descriptor.basePath).join(', ');
      return { kind: 'problem', api: null, message: `${rawPath} is not under the base path of any spec (${bases})` };
    }
    const relative = rawPath.slice(api.descriptor.basePath.length) || '/';
    const hasTrailingSlash = relative.length > 1 && relative.endsWith('/');
    const fits = (template: PathTemplate) => templateMatches(template, relative) && (this.ignoreTrailingSlash || template.trailingSlash === hasTrailingSlash);

    const onPath = api.operations.filter((op) => fits(op.template));
    const candidates = onPath.filter((op) => op.method === method);
    if (candidates.length > 0) {
      candidates.sort((a, b) => compareSpecificity(a.template, b.template, hasTrailingSlash));
      return { kind: 'operation', api, operation: candidates[0]! };
    }
    const extension = this.extensionRoutes.find((r) => r.extension.api === api.descriptor.name && r.method === method && fits(r.template));
    if (extension) return { kind: 'extension', api, route: extension };

    if (onPath.length > 0) {
      const documented = [...new Set(onPath.map((op) => `${op.method} ${op.specPath}`))].join(', ');
      return { kind: 'problem', api, message: `${method} is not documented for this path in ${api.descriptor.file} (documented: ${documented})` };
    }
    return { kind: 'problem', api, message: `no path of ${api.descriptor.file} matches ${relative}` };
  }

  private applicable(operation: SpecOperation, aspect: DeviationAspect, status?: number): Deviation[] {
    return this.deviations.filter(
      (d) =>
        d.aspect === aspect &&
        (d.api === '*' || d.api === operation.api) &&
        operationPatternMatches(d.operation, operation.method, operation.specPath) &&
        (status === undefined || !d.rule.statuses || d.rule.statuses.includes(status)),
    );
  }

  private statusAccepted(operation: SpecOperation, status: number): boolean {
    return this.applicable(operation, 'status').some((d) => d.rule.acceptStatuses?.includes(status));
  }

  private checkQuery(operation: SpecOperation, exchange: RecordedExchange): string[] {
    const messages: string[] = [];
    const relaxations = this.applicable(operation, 'query')
      .map((d) => d.rule.query)
      .filter((q) => q !== undefined);
    for (const param of operation.queryParams) {
      const relaxed = relaxations.filter((q) => q.params.includes(param.name));
      const optional = relaxed.some((q) => q.optional);
      const caseInsensitive = relaxed.some((q) => q.caseInsensitiveEnum);
      const raw = exchange.query[param.name];
      const values = (raw === undefined ? [] : Array.isArray(raw) ? raw : [raw]).flatMap((v) => (param.array ? v.split(',') : [v]));
      if (values.length === 0) {
        if (param.required && !optional) messages.push(`query parameter '${param.name}' is required`);
        continue;
      }
      if (!param.enum) continue;
      const allowed = param.enum;
      for (const value of values) {
        const ok = caseInsensitive ? allowed.some((a) => a.toUpperCase() === value.toUpperCase()) : allowed.includes(value);
        if (!ok) messages.push(`query parameter '${param.name}' is '${value}', not one of ${allowed.join(', ')}`);
      }
    }
    return messages;
  }

  private checkRequestBody(operation: SpecOperation, exchange: RecordedExchange): string[] {
    const request = operation.request;
    if (!request) return [];
    if (exchange.unparsedBody?.request !== undefined) return [`the request says it is JSON but does not parse: ${preview(exchange.unparsedBody.request)}`];
    if (exchange.requestBody === undefined) return request.required ? [`a request body is required by ${operation.name}`] : [];
    const schema = pickMediaType(request.schemas, headerValue(exchange.requestHeaders, 'content-type'));
    if (!schema) return [];
    return this.checkBody('requestBody', operation, schema, exchange.requestBody, undefined, 'request body');
  }

  private checkResponseBody(operation: SpecOperation, response: SpecResponse, exchange: RecordedExchange): string[] {
    if (exchange.status === 204 || exchange.status === 304) {
      return exchange.responseBody === undefined ? [] : [`status ${exchange.status} must not carry a body`];
    }
    const schema = pickMediaType(response.schemas, headerValue(exchange.responseHeaders, 'content-type'));
    if (!schema) return [];
    if (exchange.responseBody === undefined) {
      return [`status ${exchange.status} of ${operation.name} documents a JSON body (${schema.mediaType}); the response has none`];
    }
    return this.checkBody('responseBody', operation, schema, exchange.responseBody, exchange.status, 'response body');
  }

  /** Error statuses must answer with a documented error shape of that API (`null`: outside every API, gateway shapes only). */
  private checkErrorBody(api: ApiName | null, exchange: RecordedExchange): string[] {
    if (exchange.status < 400 || exchange.responseBody === undefined) return [];
    const body = exchange.responseBody;
    const shapes = errorShapesFor(api, exchange.status);
    const results = shapes.map((name) => {
      const validateShape = this.errorShapeValidators[name];
      validateShape(body);
      return { name, errors: validateShape.errors ?? [] };
    });
    const match = results.find((r) => r.errors.length === 0);
    if (match) {
      const mismatch = errorStatusMismatch(body, exchange.status);
      return mismatch ? [mismatch] : [];
    }
    // Name the closest shape so the message says what to fix.
    const closest = results.reduce((best, r) => (r.errors.length < best.errors.length ? r : best));
    const details = closest.errors
      .slice(0, 5)
      .map((e) => describeError(e, body))
      .join('; ');
    const titles = shapes.map((s) => ERROR_SHAPE_SCHEMAS[s].title).join(' | ');
    return [`error body (status ${exchange.status}) is none of the documented error shapes for ${api ?? 'a path outside the specs'} (${titles}); closest is ${closest.name}: ${details}`];
  }

  private checkBody(aspect: 'requestBody' | 'responseBody', operation: SpecOperation, spec: BodySchema, body: unknown, status: number | undefined, label: string): string[] {
    const deviations = this.applicable(operation, aspect, status);
    let key = spec.ref;
    let schema: object = { $ref: spec.ref };
    for (const deviation of deviations) {
      const replacement = deviation.rule.replaceSchema?.(body, spec.ref);
      if (replacement) {
        key = `${deviation.id}/${replacement.variant} ${spec.ref}`;
        schema = replacement.schema;
        break;
      }
    }
    const validateBody = this.compile(key, schema);
    if (validateBody instanceof Error) return [`the spec schema (${spec.description}) does not compile: ${validateBody.message}`];
    if (validateBody(body)) return [];

    const exemptions = deviations.flatMap((d) => d.rule.exempt ?? []);
    const all = validateBody.errors ?? [];
    const exempted = all.filter((error) => exemptions.some((x) => x.at.test(error.instancePath) && x.keyword === error.keyword && (!x.when || x.when(valueAt(body, error.instancePath), error))));
    const remaining = withoutOrphanedCombinators(
      all.filter((error) => !exempted.includes(error)),
      exempted,
    );
    const messages = dedupe(remaining.map((error) => `${label} ${describeError(error, body)}`));
    if (messages.length > MAX_PROBLEMS_PER_BODY) {
      return [...messages.slice(0, MAX_PROBLEMS_PER_BODY), `${label}: ${messages.length - MAX_PROBLEMS_PER_BODY} more schema problems not listed`];
    }
    return messages;
  }

  private compile(key: string, schema: object): ValidateFunction | Error {
    let compiled = this.compiled.get(key);
    if (!compiled) {
      try {
        compiled = this.ajv.compile(schema);
      } catch (error) {
        compiled = error instanceof Error ? error : new Error(String(error));
      }
      this.compiled.set(key, compiled);
    }
    return compiled;
  }

  private count(key: string): void {
    this.counts.set(key, (this.counts.get(key) ?? 0) + 1);
  }
}

// ---------------------------------------------------------------------------------------------

/** The documented response for a status: exact (`201`), range (`2XX`), or `default` for errors. */
function findResponse(operation: SpecOperation, status: number): SpecResponse | undefined {
  const byKey = (key: string) => operation.responses.find((r) => r.key.toUpperCase() === key);
  // `default` in these specs is always "An unexpected error has occurred": it documents errors only.
  return byKey(String(status)) ?? byKey(`${Math.floor(status / 100)}XX`) ?? (status >= 400 ? byKey('DEFAULT') : undefined);
}

/** The media type the message declares if the spec has it, else `application/json`, else the first JSON one. */
function pickMediaType(schemas: BodySchema[], contentType: string | undefined): BodySchema | undefined {
  // split always yields at least one element, the media type before any parameter.
  const essence = contentType?.split(';')[0]!.trim().toLowerCase();
  return schemas.find((s) => s.mediaType.toLowerCase() === essence) ?? schemas.find((s) => s.mediaType.toLowerCase() === 'application/json') ?? schemas.find((s) => isJsonMediaType(s.mediaType));
}

/**
 * Drops `anyOf`/`oneOf`/`if`/`not` errors that only failed because of errors a deviation exempted:
 * those at or below the combinator's location, with nothing else left there.
 */
function withoutOrphanedCombinators(remaining: ErrorObject[], exempted: ErrorObject[]): ErrorObject[] {
  if (exempted.length === 0) return remaining;
  const combinators = new Set(['anyOf', 'oneOf', 'if', 'not']);
  const under = (error: ErrorObject, base: string) => error.instancePath === base || error.instancePath.startsWith(`${base}/`);
  return remaining.filter((error) => {
    if (!combinators.has(error.keyword)) return true;
    const exemptedBelow = exempted.some((e) => under(e, error.instancePath));
    const otherBelow = remaining.some((e) => e !== error && !combinators.has(e.keyword) && under(e, error.instancePath));
    return !exemptedBelow || otherBelow;
  });
}

/** A readable sentence for one ajv error that names the field: `/items/0/id must be string (got number 5)`. */
function describeError(error: ErrorObject, root: unknown): string {
  const at = error.instancePath || '(root)';
  const value = valueAt(root, error.instancePath);
  switch (error.keyword) {
    case 'required':
      return `${error.instancePath}/${String(error.params.missingProperty)} is required but missing`;
    case 'additionalProperties':
      return `${error.instancePath}/${String(error.params.additionalProperty)} is not allowed (additionalProperties: false)`;
    case 'type':
      return `${at} must be ${String(error.params.type)} (got ${typeName(value)} ${preview(value)})`;
    case 'enum':
      return `${at} must be one of ${(error.params.allowedValues as unknown[]).map((v) => JSON.stringify(v)).join(', ')} (got ${preview(value)})`;
    case 'const':
      return `${at} must be ${JSON.stringify(error.params.allowedValue)} (got ${preview(value)})`;
    default:
      return `${at} ${error.message ?? error.keyword} (got ${preview(value)})`;
  }
}

function valueAt(root: unknown, pointer: string): unknown {
  if (pointer === '') return root;
  let current: unknown = root;
  for (const raw of pointer.slice(1).split('/')) {
    const part = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    if (typeof current !== 'object' || current === null) return undefined;
    current = (current as Record<string, unknown>)[part];
  }
  return current;
}

function typeName(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  if (Number.isInteger(value)) return 'integer';
  return typeof value;
}

function preview(value: unknown): string {
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}

function dedupe(messages: string[]): string[] {
  return [...new Set(messages)];
}

function splitOperation(operation: string): [string, string] {
  const space = operation.indexOf(' ');
  return [operation.slice(0, space).toUpperCase(), operation.slice(space + 1)];
}

/** Fails the load when a deviation or extension names something the specs do not have (a typo would silently exempt nothing). */
function checkDeviationTargets(apis: readonly LoadedApi[], deviations: readonly Deviation[], extensions: readonly EmulatorExtension[]): void {
  const problems: string[] = [];
  for (const deviation of deviations) {
    if (deviation.operation === '*') continue;
    const [method, specPath] = splitOperation(deviation.operation);
    const targets = apis
      .filter((a) => deviation.api === '*' || a.descriptor.name === deviation.api)
      .flatMap((a) => a.operations)
      .filter((op) => operationPatternMatches(deviation.operation, op.method, op.specPath));
    if (targets.length === 0) problems.push(`deviation '${deviation.id}' names ${method} ${specPath}, which no spec documents`);
    for (const param of deviation.rule.query?.params ?? []) {
      for (const op of targets) {
        if (!op.queryParams.some((q) => q.name === param)) problems.push(`deviation '${deviation.id}' relaxes query parameter '${param}', which ${op.name} does not document`);
      }
    }
  }
  for (const extension of extensions) {
    const [method, specPath] = splitOperation(extension.operation);
    const api = apis.find((a) => a.descriptor.name === extension.api);
    // A concrete path the extension serves, with each parameter filled in.
    const example = specPath.replace(/\{[^}]+\}/g, 'x');
    const documented = api?.operations.some((op) => op.method === method && templateMatches(op.template, example));
    if (documented) problems.push(`emulator extension ${extension.api} ${extension.operation} is documented in the spec; remove it from EMULATOR_EXTENSIONS`);
  }
  if (problems.length > 0) throw new Error(`contract deviation list does not fit the specs:\n- ${problems.join('\n- ')}`);
}
