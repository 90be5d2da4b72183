/**
 * Data Prep (`/data/foundation/conversion`): mapping sets, their versions and mappings, and the
 * validate and preview helpers.
 *
 * Adobe documents no Data Prep error body, so errors are RFC 7807 bodies (`dataPrepError`) with
 * `type` `https://ns.adobe.com/aep/errors/MAPPER-<code>`. The codes (defined in `data-prep-errors.ts`):
 *
 * | code | title | when |
 * | --- | --- | --- |
 * | MAPPER-1000-400 | Invalid request body | body not an object; `name`, `status`, `allowNullValues`, `inputSchema`, `tags` malformed; preview `data` malformed |
 * | MAPPER-1001-400 | Output schema missing | neither `outputSchema.schemaRef.id`, `schemaRef.id` nor `xdmSchema` |
 * | MAPPER-1002-400 | Output schema not found | the schema is not in this org and sandbox's Schema Registry |
 * | MAPPER-1003-400 | Output schema version invalid | `contentType`/`xdmVersion` missing, or another major version than the schema's |
 * | MAPPER-1004-404 | Not Found | unknown mapping set, version or mapping id |
 * | MAPPER-1010-400 | Mappings missing | `mappings` absent, not an array, or empty |
 * | MAPPER-1011-400 | Invalid mapping | `mappings[i]` not an object, bad attribute types, both naming styles given and different |
 * | MAPPER-1012-400 | Invalid source type | `mappings[i].sourceType` not ATTRIBUTE, EXPRESSION or STATIC |
 * | MAPPER-1013-400 | Source missing | `mappings[i].source` (`sourceAttribute`) absent or empty |
 * | MAPPER-1014-400 | Destination missing | `mappings[i].destination` (`destinationXdmPath`) absent or empty |
 * | MAPPER-1015-400 | Destination not in schema | `mappings[i].destination` is not a field path of the output schema |
 * | MAPPER-1016-400 | Duplicate destination | `mappings[i].destination` already mapped by an earlier mapping |
 * | MAPPER-1017-400 | Invalid expression | an EXPRESSION mapping does not parse, or names a function the emulator does not evaluate |
 * | MAPPER-1020-400 | Invalid query parameter | `limit`, `start`, `orderBy`, `version`, `expandSchema` malformed |
 * | MAPPER-3700-400 | Type mismatch | a mapped value does not fit its field (preview results, run errors; Adobe's code) |
 *
 * Every detail names the offending field or `mappings[i]`.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { EmulatorContext, PlatformCall } from '../../context.js';
import type { SandboxPartition } from '../../state/store.js';
import { queryBoolean, queryText } from '../../http/query-values.js';
import { findSchema, resolveProperties } from '../schema-registry/xdm-fields.js';
import { applyMapping } from './apply-mapping.js';
import { dataPrepFailure, mapperCode } from './data-prep-errors.js';
import { checkMappings, getMappingSet, readOutputSchema, requestSourceType, saveMappingSet, type StoredMapping } from './mapping-sets.js';

export const DATA_PREP_BASE = '/data/foundation/conversion';

/** `orderBy` fields of `GET /mappingSets`; the spec's default `lastUpdateDate` is an alias of `updatedDate`. */
const ORDER_FIELDS: Record<string, 'createdDate' | 'modifiedDate'> = {
  createdDate: 'createdDate',
  updatedDate: 'modifiedDate',
  modifiedDate: 'modifiedDate',
  lastUpdateDate: 'modifiedDate',
};

/** Registers the Data Prep routes; every handler runs after the gateway checks (`request.platform` is set). */
export function registerDataPrepRoutes(app: FastifyInstance, ctx: EmulatorContext): void {
  const base = DATA_PREP_BASE;
  const platform = (request: FastifyRequest): PlatformCall => request.platform!;
  const writerFor = (request: FastifyRequest) => ({ partition: platform(request).partition, clientId: platform(request).clientId, nowMs: ctx.clock.nowMs() });

  app.post(`${base}/mappingSets`, async (request) => {
    const stored = saveMappingSet(writerFor(request), request.body);
    // 200, not 201, and only the summary (PLATFORM-API.md §8.1).
    return summaryOf(stored);
  });

  app.get(`${base}/mappingSets`, async (request) => {
    const query = request.query as Record<string, unknown>;
    const partition = platform(request).partition;
    const limit = integerParam(query.limit, 'limit', 10, 1, 1000);
    const start = integerParam(query.start, 'start', 0, 0, Number.MAX_SAFE_INTEGER);
    const expand = booleanParam(query.expandSchema, 'expandSchema');
    const order = orderParam(query.orderBy);
    const name = typeof query.name === 'string' && query.name !== '' ? query.name : undefined;
    const latest = [...partition.mappingSets.keys()]
      .map((id) => getMappingSet(partition, id)!)
      .filter((set) => name === undefined || set.name === name)
      .sort((a, b) => (order.descending ? -1 : 1) * (a[order.field] - b[order.field]) || String(a.id).localeCompare(String(b.id)));
    const page = latest.slice(start, start + limit);
    const links: Record<string, unknown> = {};
    if (start + limit < latest.length) {
      const next = new URLSearchParams({ limit: String(limit), start: String(start + limit) });
      if (typeof query.orderBy === 'string') next.set('orderBy', query.orderBy);
      if (name !== undefined) next.set('name', name);
      links.next = { href: `${base}/mappingSets?${next.toString()}` };
    }
    return {
      data: page.map((set) => (expand ? withJsonSchema(partition, set) : structuredClone(set))),
      _page: { count: page.length, limit },
      _links: links,
    };
  });

  app.post(`${base}/mappingSets/validate`, async (request) => {
    const body = asObject(request.body);
    if (!body) throw dataPrepFailure('invalidBody', 'The request body must be the mapping set to validate.');
    const schema = readOutputSchema(platform(request).partition, body);
    const { problems } = checkMappings(body.mappings, schema.fields);
    return {
      validationResponse: (body.mappings as unknown[]).map((raw, index) => {
        const own = problems.filter((p) => p.index === index);
        if (own.length === 0) return { status: 'SUCCESS', errors: null };
        const m = asObject(raw) ?? {};
        return {
          status: 'FAILED',
          errors: own.map((p) => ({
            destination: p.destination ?? stringOr(m.destination ?? m.destinationXdmPath),
            source: p.source ?? stringOr(m.source ?? m.sourceAttribute),
            sourceType: p.sourceType ?? (requestSourceType(m.sourceType) ? requestSourceType(m.sourceType) : stringOr(m.sourceType)),
            exception: `${mapperCode(p.kind)}: ${p.detail}`,
          })),
        };
      }),
    };
  });

  app.post(`${base}/mappingSets/preview`, async (request) => {
    const body = asObject(request.body);
    if (!body) throw dataPrepFailure('invalidBody', 'The request body must be {"data": [records], "mappingSet": {…}}.');
    const partition = platform(request).partition;
    const mappingSet = asObject(body.mappingSet);
    if (!mappingSet) throw dataPrepFailure('invalidBody', "'mappingSet' is required: the mapping set to preview.");
    // The spec's example sends one record as an object; its schema says an array. Take both.
    const records = Array.isArray(body.data) ? body.data : asObject(body.data) ? [body.data] : undefined;
    if (!records) throw dataPrepFailure('invalidBody', "'data' must be an array of source records.");
    records.forEach((record, index) => {
      if (!asObject(record)) throw dataPrepFailure('invalidBody', `data[${index}] must be a JSON object.`);
    });
    const schema = readOutputSchema(partition, mappingSet);
    const { mappings, problems } = checkMappings(mappingSet.mappings, schema.fields);
    const [problem] = problems;
    if (problem) throw dataPrepFailure(problem.kind, `mappingSet.${problem.detail}`);
    const stored = mappings.map((m, index) => ({ id: String(index), ...m!, sourceAttribute: m!.source, destinationXdmPath: m!.destination })) as unknown as StoredMapping[];
    return records.map((record: Record<string, unknown>) => {
      const result = applyMapping(record, stored, schema.fields, { nowMs: ctx.clock.nowMs() });
      return {
        data: result.record,
        errors: result.ok
          ? null
          : result.errors.map((e) => ({
              destination: e.destination,
              source: e.source,
              sourceType: stored.find((m) => m.destination === e.destination)?.sourceType ?? 'ATTRIBUTE',
              exception: `${e.code}: ${e.message}`,
            })),
      };
    });
  });

  app.get(`${base}/mappingSets/:id`, async (request) => {
    const query = request.query as Record<string, unknown>;
    const partition = platform(request).partition;
    const set = findSet(partition, (request.params as { id: string }).id, versionParam(query.version));
    return booleanParam(query.expandSchema, 'expandSchema') ? withJsonSchema(partition, set) : set;
  });

  app.put(`${base}/mappingSets/:id`, async (request) => {
    const id = (request.params as { id: string }).id;
    findSet(platform(request).partition, id, undefined);
    return saveMappingSet(writerFor(request), request.body, id);
  });

  app.get(`${base}/mappingSets/:id/mappings`, async (request) => {
    const query = request.query as Record<string, unknown>;
    return findSet(platform(request).partition, (request.params as { id: string }).id, versionParam(query.version)).mappings;
  });

  app.get(`${base}/mappingSets/:id/mappings/:mappingId`, async (request) => {
    const { id, mappingId } = request.params as { id: string; mappingId: string };
    const partition = platform(request).partition;
    findSet(partition, id, undefined);
    // Newest version first: ids of older versions stay readable, as the flow pinned to them still uses them.
    for (const version of [...partition.mappingSets.get(id)!.versions].reverse()) {
      const mapping = (version.mappings as StoredMapping[]).find((m) => m.id === mappingId);
      if (mapping) return mapping;
    }
    throw dataPrepFailure('notFound', `Mapping '${mappingId}' was not found in mapping set '${id}'.`);
  });
}

/** The create response: `{id, version, createdDate, modifiedDate, createdBy, modifiedBy}`. */
function summaryOf(stored: Record<string, unknown>): Record<string, unknown> {
  const { id, version, createdDate, modifiedDate, createdBy, modifiedBy } = stored;
  return { id, version, createdDate, modifiedDate, createdBy, modifiedBy };
}

/**
 * The set at `version`; without one, the latest. (The spec gives `version` a default of 0; we
 * answer the latest, which is what a client that has PUT a new version expects. Pass `version`
 * explicitly to be independent of either reading.)
 */
function findSet(partition: SandboxPartition, id: string, version: number | undefined): Record<string, unknown> {
  if (!partition.mappingSets.has(id)) throw dataPrepFailure('notFound', `Mapping set '${id}' was not found in this organization and sandbox.`);
  const set = getMappingSet(partition, id, version);
  if (!set) throw dataPrepFailure('notFound', `Mapping set '${id}' has no version ${version}.`);
  return structuredClone(set);
}

/** `expandSchema=true`: the output schema, resolved, under `outputSchema.jsonSchema`. */
function withJsonSchema(partition: SandboxPartition, set: Record<string, unknown>): Record<string, unknown> {
  const out = structuredClone(set);
  const outputSchema = out.outputSchema as { schemaRef: { id: string }; jsonSchema?: unknown };
  const schema = findSchema(partition, outputSchema.schemaRef.id);
  if (schema) {
    const wire = schema.wire as { $id: string; title: string; version: string };
    outputSchema.jsonSchema = { id: wire.$id, title: wire.title, type: 'object', xdmVersion: wire.version, properties: resolveProperties(partition, schema.wire).properties };
  }
  return out;
}

function integerParam(raw: unknown, name: string, fallback: number, min: number, max: number): number {
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (typeof raw !== 'string' || !/^\d+$/.test(raw) || n < min || n > max) {
    throw dataPrepFailure('invalidQuery', `Query parameter '${name}' must be an integer between ${min} and ${max}, not '${queryText(raw)}'.`);
  }
  return n;
}

function versionParam(raw: unknown): number | undefined {
  return raw === undefined || raw === '' ? undefined : integerParam(raw, 'version', 0, 0, Number.MAX_SAFE_INTEGER);
}

function booleanParam(raw: unknown, name: string): boolean {
  const value = queryBoolean(raw);
  if (value === null) throw dataPrepFailure('invalidQuery', `Query parameter '${name}' must be true or false (any case), not '${queryText(raw)}'.`);
  return value ?? false;
}

function orderParam(raw: unknown): { field: 'createdDate' | 'modifiedDate'; descending: boolean } {
  if (raw === undefined || raw === '') return { field: 'modifiedDate', descending: false };
  // An unencoded `+` arrives as a space; either way it means ascending.
  const text = queryText(raw).trim();
  const descending = text.startsWith('-');
  const field = ORDER_FIELDS[text.replace(/^[+-]/, '')];
  if (!field) {
    throw dataPrepFailure('invalidQuery', `Query parameter 'orderBy' must be createdDate or updatedDate with an optional + or - prefix, not '${text}'.`);
  }
  return { field, descending };
}

function asObject(value: unknown): Record<string, unknown> | undefined {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
}

function stringOr(value: unknown): string | undefined {
  return typeof value === 'string' ? value : undefined;
}
