import type { ErrorObject } from 'ajv';
import type { ApiName } from './spec-catalog.js';

/**
 * Where the emulator (following Adobe's docs) and Adobe's OpenAPI specs disagree, and how the
 * contract validator lets the documented behaviour through. Each entry is narrow: one operation
 * (or a named family of them), one aspect, and a rule that names the exact fields or values it
 * exempts — never "skip validation for this API".
 *
 * Before an entry is added, the spec's schema was read to confirm the conflict is real; where the
 * spec is merely loose (no `required`, no `additionalProperties: false`) the behaviour already
 * conforms and is listed in `SPEC_AGREEMENTS` instead.
 */
export type DeviationAspect = 'route' | 'status' | 'query' | 'requestBody' | 'responseBody';

/** Drops one kind of ajv error at one place in a body, optionally only for certain values. */
export interface ErrorExemption {
  /** Matched against the ajv `instancePath` (JSON Pointer of the offending value). */
  at: RegExp;
  /** The ajv keyword of the error: `type`, `enum`, `required`, … */
  keyword: string;
  /** Further condition on the value at `at` (for `required`: the object missing the property). */
  when?: (value: unknown, error: ErrorObject) => boolean;
}

/** A body schema chosen instead of the spec's for this body; `variant` names it for the compile cache. */
export interface SchemaReplacement {
  variant: string;
  schema: object;
}

/** The machine-readable half of a deviation. Which fields apply depends on the aspect. */
export interface DeviationRule {
  /** route: a trailing slash does not distinguish two paths. */
  ignoreTrailingSlash?: true;
  /** status: statuses accepted although the operation does not document them. */
  acceptStatuses?: readonly number[];
  /** query: relaxations for the named documented parameters. */
  query?: { params: readonly string[]; caseInsensitiveEnum?: true; optional?: true };
  /** body aspects: only for these response statuses (default: any). */
  statuses?: readonly number[];
  /** body aspects: ajv errors that are expected. */
  exempt?: readonly ErrorExemption[];
  /** body aspects: validate against another schema; `specRef` is a `$ref` to the spec's own schema. */
  replaceSchema?: (body: unknown, specRef: string) => SchemaReplacement | undefined;
}

export interface Deviation {
  id: string;
  api: ApiName | '*';
  /**
   * `METHOD /spec/path` exactly as the spec writes the path, `METHOD *` (every operation with that
   * method in the API), `METHOD /flows*` (`/flows` and every path below it), or `*`.
   */
  operation: string;
  aspect: DeviationAspect;
  /** What differs and what the emulator does. */
  reason: string;
  /** Where Adobe documents the behaviour (Experience League page, spec location, PLATFORM-API.md section). */
  source: string;
  rule: DeviationRule;
}

/** The error statuses every operation may answer with (gateway and error-catalogue errors). */
export const GENERAL_ERROR_STATUSES: readonly number[] = [400, 401, 403, 404, 412, 413, 429, 500, 503];

const isDigitString = (value: unknown): boolean => typeof value === 'string' && /^\d+$/.test(value);
const isBooleanString = (value: unknown): boolean => value === 'true' || value === 'false';
const isInteger = (value: unknown): boolean => Number.isInteger(value);
const isPatchOpOf =
  (ops: readonly string[]) =>
  (value: unknown): boolean =>
    typeof value === 'string' && ops.includes(value.toUpperCase());
const isRemoveOperation = (value: unknown, error: ErrorObject): boolean =>
  error.params.missingProperty === 'value' &&
  typeof value === 'object' &&
  value !== null &&
  typeof (value as { op?: unknown }).op === 'string' &&
  (value as { op: string }).op.toLowerCase() === 'remove';

/** RFC 6902 JSON Patch document. */
const JSON_PATCH_SCHEMA = {
  type: 'array',
  minItems: 1,
  items: {
    type: 'object',
    required: ['op', 'path'],
    properties: {
      op: { enum: ['add', 'remove', 'replace', 'move', 'copy', 'test'] },
      path: { type: 'string' },
      from: { type: 'string' },
    },
  },
} as const;

/** The REST explore response of Adobe's docs (`preview=false`: no `data`; `preview=true`: sample records). */
const HIERARCHICAL_EXPLORE_SCHEMA = {
  type: 'object',
  required: ['format', 'schema'],
  properties: {
    format: { const: 'hierarchical' },
    schema: { type: 'object' },
    data: { type: 'array', items: { type: 'object' } },
  },
} as const;

export const DEVIATIONS: readonly Deviation[] = [
  {
    id: 'route-trailing-slash',
    api: '*',
    operation: '*',
    aspect: 'route',
    reason:
      'Flow Service documents PATCH/DELETE on `/connections/{BASE_CONNECTION_ID}/` (trailing slash) but GET without one, and every doc example calls it without. A trailing slash never distinguishes two paths; an exact match is preferred.',
    source: 'flow-service.yaml paths; PLATFORM-API.md §13, §14.12 (account update/delete examples, e.g. help/sources/tutorials/api/update.md, delete.md)',
    rule: { ignoreTrailingSlash: true },
  },
  {
    id: 'error-statuses',
    api: '*',
    operation: '*',
    aspect: 'status',
    reason:
      "The specs list mostly 200/201 plus 403/503 (Flow Service) or 400/401/500/503 (Data Prep), while Adobe's troubleshooting guide and error catalogues define 400/401/403/404/412/500/503 answers on any call, and the gateway answers 413 (body too large) and 429 (rate limited). These statuses are accepted on every operation; the body, when present, must be one of the documented error shapes of that API (see error shapes).",
    source: 'help/landing/troubleshooting.md (API status codes, request header errors); help/sources/errors/flow-service-errors.md; PLATFORM-API.md §1.3, §11, §14.4',
    rule: { acceptStatuses: GENERAL_ERROR_STATUSES },
  },
  {
    id: 'explore-objecttype-lower-case',
    api: 'flow-service',
    operation: 'GET /connections/{BASE_CONNECTION_ID}/explore',
    aspect: 'query',
    reason: 'Spec enum for `objectType` is upper case (`REST`, `ROOT`, …); the Stripe tutorial sends `objectType=rest`. Compared case-insensitively.',
    source: 'help/sources/tutorials/api/create/payments/stripe.md; PLATFORM-API.md §5.1, §14.10',
    rule: { query: { params: ['objectType'], caseInsensitiveEnum: true } },
  },
  {
    id: 'explore-hierarchical-response',
    api: 'flow-service',
    operation: 'GET /connections/{BASE_CONNECTION_ID}/explore',
    aspect: 'responseBody',
    reason:
      'Spec documents a file listing (array of `{type,name,path,canPreview,canFetchSchema}`); REST sources such as Stripe answer `{format: "hierarchical", schema, data?}`. An object body is checked against that documented shape; an array body still against the spec.',
    source: 'help/sources/tutorials/api/create/payments/stripe.md (explore); help/sources/tutorials/api/create/ecommerce/sap-commerce.md (preview); PLATFORM-API.md §5.2, §14.10',
    rule: {
      statuses: [200],
      replaceSchema: (body) => (Array.isArray(body) ? undefined : { variant: 'hierarchical', schema: HIERARCHICAL_EXPLORE_SCHEMA }),
    },
  },
  {
    id: 'flow-action-op-lower-case',
    api: 'flow-service',
    operation: 'POST /flows/{FLOW_ID}/action',
    aspect: 'query',
    reason: 'Spec enum for `op` is upper case (`ENABLE`, `DISABLE`, …); the docs send `?op=enable` / `?op=disable`. Compared case-insensitively.',
    source: 'PLATFORM-API.md §13, §14.14 (enable/disable examples, e.g. help/sources/tutorials/api/update-dataflows.md)',
    rule: { query: { params: ['op'], caseInsensitiveEnum: true } },
  },
  {
    id: 'flow-action-subop-optional',
    api: 'flow-service',
    operation: 'POST /flows/{FLOW_ID}/action',
    aspect: 'query',
    reason: 'Spec marks `subOp` (`APPLY|ROLLBACK|PROGRESS`) required; the enable/disable examples in the docs send no `subOp`.',
    source: 'PLATFORM-API.md §13, §14.14 (enable/disable examples, e.g. help/sources/tutorials/api/update-dataflows.md)',
    rule: { query: { params: ['subOp'], optional: true } },
  },
  {
    id: 'mapping-sets-paging-defaults',
    api: 'data-prep',
    operation: 'GET /mappingSets',
    aspect: 'query',
    reason: 'Spec marks `limit` and `start` required yet gives them defaults (10 and 0); they are treated as optional.',
    source: 'data-prep.yaml GET /mappingSets parameters; help/data-prep/api/mapping-set.md; PLATFORM-API.md §8.2',
    rule: { query: { params: ['limit', 'start'], optional: true } },
  },
  {
    id: 'flow-patch-op-lower-case',
    api: 'flow-service',
    operation: 'PATCH *',
    aspect: 'requestBody',
    reason: 'Spec `PatchInstruction.op` enum is `ADD|REPLACE|REMOVE`; the docs send lower-case `add`/`replace`/`remove` (RFC 6902). Accepted in either case.',
    source: 'help/sources/tutorials/api/update-dataflows.md, update.md; PLATFORM-API.md §6.3, §14.13',
    rule: { exempt: [{ at: /^(\/\d+)?\/op$/, keyword: 'enum', when: isPatchOpOf(['ADD', 'REPLACE', 'REMOVE']) }] },
  },
  {
    id: 'flow-patch-value-any-json',
    api: 'flow-service',
    operation: 'PATCH *',
    aspect: 'requestBody',
    reason: 'Spec types `PatchInstruction.value` as an object; the docs replace `/name` and `/description` with strings and add `/labels` as an array. Any JSON value is accepted.',
    source: 'help/sources/tutorials/api/update-dataflows.md, update.md; help/sources/tutorials/api/labels.md; PLATFORM-API.md §6.3',
    rule: { exempt: [{ at: /^(\/\d+)?\/value$/, keyword: 'type' }] },
  },
  {
    id: 'flow-patch-remove-without-value',
    api: 'flow-service',
    operation: 'PATCH *',
    aspect: 'requestBody',
    reason: 'Spec lists `value` as required in every patch operation; RFC 6902 `remove` (as the docs use it) carries none.',
    source: 'RFC 6902 §4.2; PLATFORM-API.md §6.3, §14.13',
    rule: { exempt: [{ at: /^(\/\d+)?$/, keyword: 'required', when: isRemoveOperation }] },
  },
  {
    id: 'connection-patch-array',
    api: 'flow-service',
    operation: 'PATCH /connections/{BASE_CONNECTION_ID}/',
    aspect: 'requestBody',
    reason:
      "Spec takes a single `PatchInstruction` object for PATCH `/connections/{id}/`; the docs (and every other Flow Service PATCH in the spec) send a JSON Patch array. An array body is checked item by item against the spec's `PatchInstruction`.",
    source: 'help/sources/tutorials/api/update.md; PLATFORM-API.md §13, §14.12',
    rule: {
      replaceSchema: (body, specRef) => (Array.isArray(body) ? { variant: 'patch-array', schema: { type: 'array', minItems: 1, items: { $ref: specRef } } } : undefined),
    },
  },
  {
    id: 'flow-create-stripe-value-types',
    api: 'flow-service',
    operation: 'POST /flows',
    aspect: 'requestBody',
    reason:
      'The Stripe tutorial sends `scheduleParams.startTime` as a digit string (spec: integer), `scheduleParams.interval` as a number (spec: string) and `transformations[].params.mappingVersion` as a number (spec: string). Both forms are accepted.',
    source: 'help/sources/tutorials/api/create/payments/stripe.md (create a dataflow); PLATFORM-API.md §4.8, §14.8',
    rule: {
      exempt: [
        { at: /^\/scheduleParams\/startTime$/, keyword: 'type', when: isDigitString },
        { at: /^\/scheduleParams\/interval$/, keyword: 'type', when: isInteger },
        { at: /^\/transformations\/\d+\/params\/mappingVersion$/, keyword: 'type', when: isInteger },
      ],
    },
  },
  {
    id: 'run-create-times-as-strings',
    api: 'flow-service',
    operation: 'POST /runs',
    aspect: 'requestBody',
    reason:
      'The on-demand ingestion tutorial sends `params.startTime`, `windowStartTime` and `windowEndTime` as digit strings (epoch seconds); the spec types them as integers. Both forms are accepted.',
    source: 'help/sources/tutorials/api/on-demand-ingestion.md (create a flow run); flow-service.yaml CreateFlowRunRequest',
    rule: {
      exempt: [{ at: /^\/params\/(startTime|windowStartTime|windowEndTime)$/, keyword: 'type', when: isDigitString }],
    },
  },
  {
    id: 'flow-schedule-echoed-as-strings',
    api: 'flow-service',
    operation: 'GET /flows*',
    aspect: 'responseBody',
    reason:
      'A stored flow echoes `scheduleParams.startTime` as a digit string and `scheduleParams.backfill` as `"true"`/`"false"` (spec: integer and boolean). `interval` and `mappingVersion` are echoed as strings, which is what the spec says.',
    source: 'PLATFORM-API.md §7.1, §14.8 (flow GET examples in the Experience League sources tutorials, e.g. help/sources/tutorials/api/update-dataflows.md)',
    rule: {
      statuses: [200],
      exempt: [
        { at: /^\/items\/\d+\/scheduleParams\/startTime$/, keyword: 'type', when: isDigitString },
        { at: /^\/items\/\d+\/scheduleParams\/backfill$/, keyword: 'type', when: isBooleanString },
      ],
    },
  },
  {
    id: 'flow-spec-transformation-specs-array',
    api: 'flow-service',
    operation: 'GET /flowSpecs*',
    aspect: 'responseBody',
    reason:
      'A flow spec lists its `transformationSpecs` as an array of `{name, spec}` (e.g. `[{name: "Mapping", spec: {…}}]`); the spec types the property as a single object. An array of named entries is accepted.',
    source: 'Experience League "look up the dataflow specification" responses, e.g. help/sources/tutorials/api/collect/cloud-storage.md, help/sources/sources-sdk/api/flow-specs.md',
    rule: {
      statuses: [200],
      exempt: [
        {
          at: /^\/items\/\d+\/transformationSpecs$/,
          keyword: 'type',
          when: (v) => Array.isArray(v) && v.every((entry) => typeof entry === 'object' && entry !== null && typeof (entry as { name?: unknown }).name === 'string'),
        },
      ],
    },
  },
  {
    id: 'xdm-paging-next-null',
    api: 'schema-registry',
    operation: 'GET *',
    aspect: 'responseBody',
    reason:
      'On the last page a listing answers `_page.next: null` and `_links.next: null`; the spec types `next` as a string while its own description ("Contains `null` if this is the last or only page") and examples say null.',
    source: 'schema-registry.yaml definitions listResponseBasic / linksBasic (description and examples); help/xdm/api/schemas.md (list schemas)',
    rule: { statuses: [200], exempt: [{ at: /^\/(_page|_links)\/next$/, keyword: 'type', when: (v) => v === null }] },
  },
  {
    id: 'data-prep-epoch-ms-dates',
    api: 'data-prep',
    operation: '*',
    aspect: 'responseBody',
    reason: 'Mapping sets and mappings carry `createdDate`/`modifiedDate` as epoch-millisecond numbers; the spec types them `string`/`date-time` (its own examples use numbers).',
    source: 'help/data-prep/api/mapping-set.md; data-prep.yaml examples of MappingSet/MappingOperation; PLATFORM-API.md §8.1',
    rule: { exempt: [{ at: /\/(createdDate|modifiedDate)$/, keyword: 'type', when: (v) => isInteger(v) && (v as number) >= 0 }] },
  },
  {
    id: 'data-prep-stored-source-type',
    api: 'data-prep',
    operation: '*',
    aspect: 'responseBody',
    reason:
      'A stored mapping reports its source type in the stored form: `text/x.schema-path` for `ATTRIBUTE`, `text/x.aep-xl` for `EXPRESSION`; the spec enum is the request form `ATTRIBUTE|EXPRESSION|STATIC` (its own MappingOperation example shows `text/x.schema-path`).',
    source: 'help/data-prep/api/mapping-set.md; data-prep.yaml MappingOperation example; destination SDK docs (source types text/x.schema-path, text/x.aep-xl); PLATFORM-API.md §8.3, §14.24',
    rule: { exempt: [{ at: /\/sourceType$/, keyword: 'enum', when: (v) => v === 'text/x.schema-path' || v === 'text/x.aep-xl' }] },
  },
  {
    id: 'data-prep-validate-null-errors',
    api: 'data-prep',
    operation: 'POST /mappingSets/validate',
    aspect: 'responseBody',
    reason: "A successful validation reports `errors: null` per mapping (spec: array). The spec's own example shows `null`.",
    source: 'data-prep.yaml POST /mappingSets/validate example; help/data-prep/api/mapping-set.md; PLATFORM-API.md §8.2',
    rule: { statuses: [200], exempt: [{ at: /^\/validationResponse\/\d+\/errors$/, keyword: 'type', when: (v) => v === null }] },
  },
  {
    id: 'data-prep-preview-array',
    api: 'data-prep',
    operation: 'POST /mappingSets/preview',
    aspect: 'responseBody',
    reason:
      'The docs answer a preview with an array `[{data, errors: null}]`, one entry per record; the spec documents a single `PreviewResponse`. An array body is checked item by item against `PreviewResponse`, with `errors: null` allowed.',
    source: 'help/data-prep/api/mapping-set.md (preview data); PLATFORM-API.md §8.2',
    rule: {
      statuses: [200],
      replaceSchema: (body, specRef) => (Array.isArray(body) ? { variant: 'array', schema: { type: 'array', items: { $ref: specRef } } } : undefined),
      exempt: [{ at: /^(\/\d+)?\/errors$/, keyword: 'type', when: (v) => v === null }],
    },
  },
  {
    id: 'data-prep-mappings-bare-array',
    api: 'data-prep',
    operation: 'GET /mappingSets/{MAPPING_SET_ID}/mappings',
    aspect: 'responseBody',
    reason: "The docs answer the mappings of a set with a bare JSON array of mappings; the spec documents a single MappingOperation. An array body is checked item by item against the spec's schema.",
    source: 'help/data-prep/api/mapping-set.md (list mappings of a mapping set); PLATFORM-API.md §8.2',
    rule: {
      statuses: [200],
      replaceSchema: (body, specRef) => (Array.isArray(body) ? { variant: 'array', schema: { type: 'array', items: { $ref: specRef } } } : undefined),
    },
  },
  {
    id: 'data-prep-jsonschema-numeric-bounds',
    api: 'data-prep',
    operation: 'GET /mappingSets/{MAPPING_SET_ID}',
    aspect: 'responseBody',
    reason: "With `expandSchema=true` the resolved output schema is JSON Schema, whose `minimum`/`maximum` are numbers; the spec's `JsonSchema` model types them as objects.",
    source: 'data-prep.yaml JsonSchema definition; JSON Schema validation vocabulary (minimum, maximum)',
    rule: { statuses: [200], exempt: [{ at: /^\/outputSchema\/jsonSchema\/.*\/(minimum|maximum)$/, keyword: 'type', when: (v) => typeof v === 'number' }] },
  },
  {
    id: 'catalog-dataset-json-patch',
    api: 'catalog',
    operation: 'PATCH /dataSets/{DATASET_ID}',
    aspect: 'requestBody',
    reason:
      'The spec offers `application/json-patch+json` but gives it the partial-object schema; Catalog accepts an RFC 6902 JSON Patch array as well as a partial object. An array body is checked as JSON Patch.',
    source: 'catalog.yaml PATCH /dataSets/{DATASET_ID} requestBody; PLATFORM-API.md §9.2',
    rule: { replaceSchema: (body) => (Array.isArray(body) ? { variant: 'json-patch', schema: JSON_PATCH_SCHEMA } : undefined) },
  },
  {
    id: 'xdm-patch-value-any-json',
    api: 'schema-registry',
    operation: 'PATCH *',
    aspect: 'requestBody',
    reason: 'Spec types the patch `value` as a string (an object for data types); the docs add objects such as `{"$ref": "…"}` to `/allOf/-`. Any JSON value is accepted.',
    source: 'help/xdm/api/schemas.md, field-groups.md, classes.md (update with PATCH); PLATFORM-API.md §10.3',
    rule: { exempt: [{ at: /^\/\d+\/value$/, keyword: 'type' }] },
  },
];

/**
 * Routes the emulator serves that no spec documents. Such exchanges are counted for coverage and
 * their error bodies checked, but nothing else about them can be validated. Empty today: every
 * route the emulator serves is in a spec.
 */
export interface EmulatorExtension {
  api: ApiName;
  /** `METHOD /path/{PARAM}` relative to the API's base path. */
  operation: string;
  reason: string;
  source: string;
}

export const EMULATOR_EXTENSIONS: readonly EmulatorExtension[] = [];

/** Doc behaviours checked against the spec and found to conform (the spec documents them, or is loose enough). No exemption exists for these. */
export interface SpecAgreement {
  api: ApiName;
  operation: string;
  behaviour: string;
  why: string;
}

export const SPEC_AGREEMENTS: readonly SpecAgreement[] = [
  { api: 'data-prep', operation: 'POST /mappingSets', behaviour: 'answers 200, not 201', why: 'the spec documents 200 (and no 201)' },
  { api: 'catalog', operation: 'DELETE /dataSets/{DATASET_ID}', behaviour: 'answers 200 with `["@/dataSets/<id>"]`', why: 'the spec documents 200 with an array of strings' },
  { api: 'catalog', operation: 'POST /dataSets', behaviour: 'answers 201 with `["@/dataSets/<id>"]`', why: 'the spec documents 201 with an array of strings' },
  { api: 'catalog', operation: 'GET /dataSets/{DATASET_ID}', behaviour: 'answers an object keyed by dataset id', why: 'the spec schema is `additionalProperties: <DataSet>`' },
  {
    api: 'flow-service',
    operation: 'GET /runs*',
    behaviour: 'run objects carry `etag` and `activities` (docs) instead of `eTag` and `activites` (spec)',
    why: 'the run schema requires neither and does not forbid other properties, so both spellings pass (and neither is checked)',
  },
  { api: 'flow-service', operation: 'GET /flows*', behaviour: '`scheduleParams.interval` and `transformations[].params.mappingVersion` echoed as strings', why: 'the spec types both as strings' },
  { api: 'flow-service', operation: 'GET /connections/{BASE_CONNECTION_ID}', behaviour: 'single-resource GETs answer `{items: [resource]}`', why: 'the spec documents the list envelope' },
  {
    api: 'flow-service',
    operation: 'POST /runs',
    behaviour: "answers 201 with the docs' `{items: [{id, etag}]}` and, beside it, the spec's top-level `{id, etag}`",
    why: '`CreateFlowRunResponse` requires nothing and does not forbid other properties',
  },
  {
    api: 'flow-service',
    operation: 'POST /flows',
    behaviour: '`scheduleParams` may carry keys besides startTime/frequency/interval/backfill (e.g. `foldernameTemplate`); they are kept and echoed',
    why: '`ScheduleSpecDTO` does not forbid other properties',
  },
  {
    api: 'flow-service',
    operation: 'GET /flows*',
    behaviour: "`lastRunDetails.state` is the last run's status, `partialSuccess` included; `inheritedAttributes.properties.isSourceFlow` is set",
    why: '`lastRunDetails.state` is a string without an enum (its description names success and failed); `FlowMetaInfoDTO` does not forbid other properties',
  },
];

/** Renders the deviation list, the emulator extensions and the checked agreements as Markdown for the README. */
export function renderDeviationsMarkdown(
  deviations: readonly Deviation[] = DEVIATIONS,
  extensions: readonly EmulatorExtension[] = EMULATOR_EXTENSIONS,
  agreements: readonly SpecAgreement[] = SPEC_AGREEMENTS,
): string {
  const lines: string[] = [];
  lines.push('| id | API | operation | aspect | deviation | source |');
  lines.push('| --- | --- | --- | --- | --- | --- |');
  for (const d of deviations) {
    lines.push(`| \`${d.id}\` | ${d.api} | ${code(d.operation)} | ${d.aspect} | ${cell(d.reason)} | ${cell(d.source)} |`);
  }
  lines.push('');
  lines.push('Emulator extensions (routes no spec documents):');
  lines.push('');
  if (extensions.length === 0) {
    lines.push('_None: every route the emulator serves is in a spec._');
  } else {
    lines.push('| API | operation | why | source |');
    lines.push('| --- | --- | --- | --- |');
    for (const e of extensions) lines.push(`| ${e.api} | ${code(e.operation)} | ${cell(e.reason)} | ${cell(e.source)} |`);
  }
  lines.push('');
  lines.push('Checked and found to conform (no deviation needed):');
  lines.push('');
  lines.push('| API | operation | behaviour | why it conforms |');
  lines.push('| --- | --- | --- | --- |');
  for (const a of agreements) lines.push(`| ${a.api} | ${code(a.operation)} | ${cell(a.behaviour)} | ${cell(a.why)} |`);
  return `${lines.join('\n')}\n`;
}

function cell(text: string): string {
  return text.replace(/\|/g, '\\|').replace(/\n/g, ' ');
}

function code(text: string): string {
  return `\`${text.replace(/\|/g, '\\|')}\``;
}

/** Whether a deviation's `operation` pattern names `METHOD /specPath` (see `Deviation.operation`). */
export function operationPatternMatches(pattern: string, method: string, specPath: string): boolean {
  if (pattern === '*') return true;
  const space = pattern.indexOf(' ');
  const patternMethod = pattern.slice(0, space);
  const patternPath = pattern.slice(space + 1);
  if (patternMethod !== method.toUpperCase()) return false;
  if (patternPath === '*') return true;
  if (patternPath.endsWith('*')) {
    // `/flows*` names `/flows` and the paths below it, not `/flowSpecs`.
    const prefix = patternPath.slice(0, -1).replace(/\/$/, '');
    return specPath === prefix || specPath.startsWith(`${prefix}/`);
  }
  return specPath === patternPath;
}
