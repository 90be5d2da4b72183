/**
 * Rewrites the schema dialects of Swagger 2.0 and OpenAPI 3.0 into what ajv (draft-07) compiles,
 * in place, before the spec documents are handed to ajv:
 *
 * - OpenAPI 3.0 `nullable: true` → `null` added to `type` (and to `enum`); without a `type`, the
 *   schema becomes `anyOf: [{type: null}, <schema>]`.
 * - draft-04 boolean `exclusiveMinimum`/`exclusiveMaximum` → draft-07 numbers.
 * - Swagger 2 `type: file` and other non-JSON types → dropped (no type constraint).
 * - a boolean `required` inside a schema (a parameter-style slip) → dropped.
 * - `$id`, `$schema`, `$anchor` inside a schema → dropped. Schema Registry models XDM resources
 *   whose `$id` is data (`https://ns.adobe.com/{TENANT_ID}/mixins/…`), repeated across definitions;
 *   left in place they would change the base URI of `$ref`s and collide in ajv's registry.
 *
 * - `example`, `examples` and `x-…` extension keywords → dropped. They say nothing about validity,
 *   and ajv scans every object under unknown keywords for `$id`s, so example data would register
 *   as schemas.
 *
 * Other keywords ajv does not know (`discriminator`, `xml`, `meta:…`) stay: in non-strict mode it
 * ignores them. Only objects reached through schema keywords are touched, so parameter objects
 * (whose `required: true` matters) stay as they are.
 */
export interface TransformReport {
  /** `format` names seen in the schemas; unknown ones get registered with ajv as always-valid. */
  formats: Set<string>;
  /** One line per rewrite, for diagnostics. */
  notes: string[];
}

const JSON_TYPES = new Set(['string', 'number', 'integer', 'boolean', 'object', 'array', 'null']);
const SCHEMA_MAP_KEYWORDS = ['properties', 'patternProperties', 'definitions', '$defs', 'dependencies'] as const;
const SCHEMA_KEYWORDS = ['additionalProperties', 'items', 'additionalItems', 'not', 'if', 'then', 'else', 'contains', 'propertyNames'] as const;
const SCHEMA_ARRAY_KEYWORDS = ['allOf', 'anyOf', 'oneOf', 'items'] as const;

type SchemaObject = Record<string, unknown>;

export function createTransformReport(): TransformReport {
  return { formats: new Set(), notes: [] };
}

/** Transforms `schema` and everything reachable from it through schema keywords; `seen` makes shared and repeated visits free. */
export function prepareSchema(schema: unknown, report: TransformReport, seen: WeakSet<object>): void {
  if (!isObject(schema) || seen.has(schema)) return;
  seen.add(schema);

  rewriteNullable(schema, report);
  rewriteExclusiveBound(schema, 'exclusiveMinimum', 'minimum', report);
  rewriteExclusiveBound(schema, 'exclusiveMaximum', 'maximum', report);
  rewriteType(schema, report);
  if (typeof schema.required === 'boolean') {
    report.notes.push('dropped boolean `required` inside a schema');
    delete schema.required;
  }
  if (typeof schema.format === 'string') report.formats.add(schema.format);
  for (const key of Object.keys(schema)) {
    if (key === 'example' || key === 'examples' || key.startsWith('x-')) delete schema[key];
  }
  for (const keyword of ['$id', '$schema', '$anchor'] as const) {
    if (typeof schema[keyword] === 'string') {
      report.notes.push(`dropped ${keyword} '${String(schema[keyword])}' inside a spec schema`);
      delete schema[keyword];
    }
  }

  for (const keyword of SCHEMA_MAP_KEYWORDS) {
    const map = schema[keyword];
    if (isObject(map)) for (const sub of Object.values(map)) prepareSchema(sub, report, seen);
  }
  for (const keyword of SCHEMA_KEYWORDS) prepareSchema(schema[keyword], report, seen);
  for (const keyword of SCHEMA_ARRAY_KEYWORDS) {
    const list = schema[keyword];
    if (Array.isArray(list)) for (const sub of list) prepareSchema(sub, report, seen);
  }
}

function rewriteNullable(schema: SchemaObject, report: TransformReport): void {
  if (!('nullable' in schema)) return;
  const nullable = schema.nullable === true;
  delete schema.nullable;
  if (!nullable) return;
  if (typeof schema.type === 'string' || Array.isArray(schema.type)) {
    const types = Array.isArray(schema.type) ? [...schema.type] : [schema.type];
    if (!types.includes('null')) types.push('null');
    schema.type = types;
    if (Array.isArray(schema.enum) && !schema.enum.includes(null)) schema.enum = [...schema.enum, null];
    report.notes.push('nullable: true → type includes null');
    return;
  }
  // No type to widen: keep the constraints for non-null values and let null through beside them.
  const rest: SchemaObject = { ...schema };
  for (const key of Object.keys(schema)) delete schema[key];
  schema.anyOf = [{ type: 'null' }, rest];
  report.notes.push('nullable: true without type → anyOf [null, schema]');
}

function rewriteExclusiveBound(schema: SchemaObject, exclusive: 'exclusiveMinimum' | 'exclusiveMaximum', bound: 'minimum' | 'maximum', report: TransformReport): void {
  const flag = schema[exclusive];
  if (typeof flag !== 'boolean') return;
  if (flag && typeof schema[bound] === 'number') {
    schema[exclusive] = schema[bound];
    delete schema[bound];
  } else {
    delete schema[exclusive];
  }
  report.notes.push(`draft-04 boolean ${exclusive} → draft-07`);
}

function rewriteType(schema: SchemaObject, report: TransformReport): void {
  const type = schema.type;
  if (type === undefined) return;
  if (typeof type === 'string') {
    if (!JSON_TYPES.has(type)) {
      report.notes.push(`dropped non-JSON type '${type}'`);
      delete schema.type;
    }
    return;
  }
  if (Array.isArray(type)) {
    const kept = type.filter((t) => typeof t === 'string' && JSON_TYPES.has(t));
    if (kept.length === 0) delete schema.type;
    else schema.type = kept;
    return;
  }
  // `type` holding an object is a property named "type" written without `properties:` — not a constraint.
  report.notes.push('dropped `type` whose value is not a string');
  delete schema.type;
}

function isObject(value: unknown): value is SchemaObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
