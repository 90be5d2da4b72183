import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { EmulatorContext, PlatformCall } from '../../context.js';
import type { SandboxPartition, XdmRecord } from '../../state/store.js';
import { GLOBAL_BEHAVIORS, GLOBAL_CLASSES, findGlobalBehavior, findGlobalClass } from './global-container.data.js';
import { JsonPatchError, applyJsonPatch, parseJsonPatch } from './json-patch-rfc6902.js';
import { xdmFailure, xdmNotFound } from './xdm-errors.js';
import { fieldPathsOf, findTenantResource, resolveProperties, tenantResources, type XdmResourceKind } from './xdm-fields.js';
import { READ_ONLY_ATTRIBUTES, buildResource, type XdmWriter } from './xdm-resources.js';
import { checkMajorVersion, listResources, listViewFor, lookupViewFor, renderResource } from './xdm-views.js';

/**
 * Schema Registry (`/data/foundation/schemaregistry`): stats, the read-only global container
 * (behaviours and two standard classes) and the tenant container's classes, field groups
 * (`/fieldgroups` and the deprecated `/mixins`) and schemas. Error codes: see `xdm-errors.ts`.
 */
export const SCHEMA_REGISTRY_BASE = '/data/foundation/schemaregistry';

/** URL segment → stored kind: field groups live under `mixins` ids whichever segment created them. */
const SEGMENTS: { segment: string; kind: XdmResourceKind }[] = [
  { segment: 'classes', kind: 'classes' },
  { segment: 'fieldgroups', kind: 'mixins' },
  { segment: 'mixins', kind: 'mixins' },
  { segment: 'schemas', kind: 'schemas' },
];

const GLOBAL_RESOURCES: Record<XdmResourceKind, readonly Record<string, any>[]> = {
  classes: GLOBAL_CLASSES,
  mixins: [],
  schemas: [],
};

/** Registers the Schema Registry routes; every handler runs after the gateway checks (`request.platform` is set). */
export function registerSchemaRegistryRoutes(app: FastifyInstance, ctx: EmulatorContext): void {
  const base = SCHEMA_REGISTRY_BASE;
  const platform = (request: FastifyRequest): PlatformCall => request.platform!;
  const writerFor = (request: FastifyRequest): XdmWriter => {
    const call = platform(request);
    return { partition: call.partition, tenantId: ctx.options.tenantId, clientId: call.clientId, nowMs: ctx.clock.nowMs() };
  };
  const idParam = (request: FastifyRequest): string => (request.params as { id: string }).id;

  app.get(`${base}/stats`, async (request) => statsOf(platform(request).partition, ctx.options.tenantId));

  app.get(`${base}/global/behaviors`, async (request) => {
    const view = listViewFor(request.headers.accept, ctx.clock.nowMs());
    return listResources([...GLOBAL_BEHAVIORS], request.query as Record<string, unknown>, view, { selfPath: `${base}/global/behaviors`, nowMs: ctx.clock.nowMs() });
  });

  app.get(`${base}/global/behaviors/:id`, async (request) => {
    const nowMs = ctx.clock.nowMs();
    const view = lookupViewFor(request.headers.accept, nowMs);
    const behavior = findGlobalBehavior(idParam(request));
    if (!behavior) throw xdmNotFound('behaviors', idParam(request), nowMs, view.major);
    checkMajorVersion(behavior, view, nowMs);
    return renderResource(platform(request).partition, behavior, view);
  });

  for (const { segment, kind } of SEGMENTS) {
    for (const container of ['global', 'tenant'] as const) {
      app.get(`${base}/${container}/${segment}`, async (request) => {
        const nowMs = ctx.clock.nowMs();
        const view = listViewFor(request.headers.accept, nowMs);
        const partition = platform(request).partition;
        const resources = container === 'global' ? [...GLOBAL_RESOURCES[kind]] : [...tenantResources(partition, kind).values()].map((r) => r.wire);
        return listResources(resources, request.query as Record<string, unknown>, view, {
          selfPath: `${base}/${container}/${segment}`,
          globalSchemasHref: container === 'tenant' && kind === 'schemas' ? `${base}/global/schemas` : undefined,
          nowMs,
        });
      });

      app.get(`${base}/${container}/${segment}/:id`, async (request) => {
        const nowMs = ctx.clock.nowMs();
        const view = lookupViewFor(request.headers.accept, nowMs);
        const partition = platform(request).partition;
        const id = idParam(request);
        const resource = container === 'global' ? findGlobal(kind, id) : findTenantResource(partition, kind, id)?.wire;
        if (!resource) throw xdmNotFound(kind, id, nowMs, view.major);
        checkMajorVersion(resource, view, nowMs);
        return renderResource(partition, resource, view);
      });
    }

    app.post(`${base}/tenant/${segment}`, async (request, reply) => {
      const writer = writerFor(request);
      const wire = buildResource(kind, request.body, writer);
      tenantResources(writer.partition, kind).set(wire.$id, { wire });
      reply.code(201);
      return wire;
    });

    app.put(`${base}/tenant/${segment}/:id`, async (request) => {
      const writer = writerFor(request);
      const existing = findExisting(writer.partition, kind, idParam(request), writer.nowMs);
      return replaceResource(kind, existing, buildResource(kind, request.body, writer, existing), writer);
    });

    app.patch(`${base}/tenant/${segment}/:id`, async (request) => {
      const writer = writerFor(request);
      const existing = findExisting(writer.partition, kind, idParam(request), writer.nowMs);
      const patched = patchWire(existing.wire, request.body, writer.nowMs);
      return replaceResource(kind, existing, buildResource(kind, patched, writer, existing), writer);
    });

    app.delete(`${base}/tenant/${segment}/:id`, async (request, reply) => {
      const nowMs = ctx.clock.nowMs();
      const partition = platform(request).partition;
      const existing = findExisting(partition, kind, idParam(request), nowMs);
      const user = usersOf(partition, kind, existing.wire.$id);
      if (user) throw xdmFailure('resourceInUse', `${existing.wire.$id} cannot be deleted: it is used by ${user}.`, nowMs);
      tenantResources(partition, kind).delete(existing.wire.$id);
      reply.code(204);
      return reply.send();
    });
  }
}

function findGlobal(kind: XdmResourceKind, id: string): Record<string, any> | undefined {
  return kind === 'classes' ? findGlobalClass(id) : GLOBAL_RESOURCES[kind].find((r) => r.$id === id || r['meta:altId'] === id);
}

function findExisting(partition: SandboxPartition, kind: XdmResourceKind, id: string, nowMs: number): XdmRecord {
  const existing = findTenantResource(partition, kind, id);
  if (!existing) throw xdmNotFound(kind, id, nowMs);
  return existing;
}

/** Applies a PATCH body; registry-owned attributes cannot be patched (`meta:extends` can, and is recomputed). */
function patchWire(wire: Record<string, any>, body: unknown, nowMs: number): Record<string, any> {
  try {
    const operations = parseJsonPatch(body);
    for (const operation of operations) {
      for (const pointer of [operation.path, operation.from]) {
        const first = pointer?.split('/')[1]?.replace(/~1/g, '/').replace(/~0/g, '~');
        if (first !== undefined && (READ_ONLY_ATTRIBUTES as readonly string[]).includes(first)) {
          throw xdmFailure('invalidAttribute', `The attribute '${first}' is assigned by the registry and cannot be patched (${operation.op} ${operation.path}).`, nowMs);
        }
      }
    }
    return applyJsonPatch(wire, operations);
  } catch (error) {
    if (error instanceof JsonPatchError) throw xdmFailure('badRequest', error.message, nowMs);
    throw error;
  }
}

/**
 * Stores an updated resource, unless it would break a schema that a dataset uses (removing or
 * retyping a field) or make a schema's parts conflict; then the old version stays.
 */
function replaceResource(kind: XdmResourceKind, existing: XdmRecord, wire: Record<string, any>, writer: XdmWriter): Record<string, any> {
  const { partition, nowMs } = writer;
  const affected = schemasAffectedBy(partition, kind, wire.$id);
  const before = new Map(affected.map((schema) => [schema.$id as string, fieldPathsOf(resolveProperties(partition, schema).properties)]));
  const resources = tenantResources(partition, kind);
  resources.set(wire.$id, { wire });
  try {
    for (const schema of affected) {
      const current = kind === 'schemas' ? wire : schema;
      const resolved = resolveProperties(partition, current);
      if (resolved.conflicts.length > 0) {
        throw xdmFailure('mergeConflict', `Cannot merge incompatible data types in schema ${schema.$id}: ${resolved.conflicts.join('; ')}.`, nowMs);
      }
      const dataset = datasetUsing(partition, schema.$id);
      if (!dataset) continue;
      const after = fieldPathsOf(resolved.properties);
      for (const [path, info] of before.get(schema.$id)!) {
        const now = after.get(path);
        if (!now || now.type !== info.type) {
          throw xdmFailure(
            'breakingChange',
            `Schema ${schema.$id} is used by dataset ${dataset}, so its field ${path} (${info.type}) cannot be ${now ? `changed to ${now.type}` : 'removed'}. Only additive changes are allowed.`,
            nowMs,
          );
        }
      }
    }
  } catch (error) {
    resources.set(existing.wire.$id, existing);
    throw error;
  }
  existing.wire = wire;
  resources.set(wire.$id, existing);
  return wire;
}

/** Tenant schemas whose fields depend on the resource `id` of `kind`. */
function schemasAffectedBy(partition: SandboxPartition, kind: XdmResourceKind, id: string): Record<string, any>[] {
  const schemas = [...partition.xdm.schemas.values()].map((r) => r.wire);
  if (kind === 'schemas') return schemas.filter((s) => s.$id === id);
  const classesUsing = kind === 'mixins' ? [...partition.xdm.classes.values()].filter((c) => refsOf(c.wire).includes(id)).map((c) => c.wire.$id) : [id];
  return schemas.filter((s) => refsOf(s).some((ref) => ref === id || classesUsing.includes(ref)));
}

function refsOf(resource: Record<string, any>): string[] {
  return (Array.isArray(resource.allOf) ? resource.allOf : []).map((entry: any) => entry?.$ref).filter((ref: unknown): ref is string => typeof ref === 'string');
}

function datasetUsing(partition: SandboxPartition, schemaId: string): string | undefined {
  for (const [id, dataset] of partition.datasets) if (dataset.wire.schemaRef?.id === schemaId) return id;
  return undefined;
}

/** What keeps a resource from being deleted: a schema or class using it, or a dataset using a schema. */
function usersOf(partition: SandboxPartition, kind: XdmResourceKind, id: string): string | undefined {
  if (kind === 'schemas') {
    const dataset = datasetUsing(partition, id);
    return dataset ? `dataset ${dataset}` : undefined;
  }
  for (const schema of partition.xdm.schemas.values()) if (refsOf(schema.wire).includes(id)) return `schema ${schema.wire.$id}`;
  for (const other of partition.xdm.classes.values()) if (refsOf(other.wire).includes(id)) return `class ${other.wire.$id}`;
  if (kind === 'classes') {
    for (const group of partition.xdm.fieldGroups.values()) {
      if ((group.wire['meta:intendedToExtend'] ?? []).includes(id)) return `field group ${group.wire.$id}`;
    }
  }
  return undefined;
}

/** `GET /stats`: counts and recent resources of the tenant container, as the getting-started guide shows. */
function statsOf(partition: SandboxPartition, tenantId: string): Record<string, unknown> {
  const all = (['classes', 'mixins', 'schemas'] as const).flatMap((kind) => [...tenantResources(partition, kind).values()].map((r) => r.wire));
  const schemas = [...partition.xdm.schemas.values()].map((r) => r.wire);
  const metadata = (r: Record<string, any>) => r['meta:registryMetadata'] ?? {};
  const summary = (r: Record<string, any>) => {
    const classId = r['meta:class'];
    const classTitle = classId ? (findGlobalClass(classId) ?? partition.xdm.classes.get(classId)?.wire)?.title : undefined;
    return {
      $id: r.$id,
      'meta:altId': r['meta:altId'],
      title: r.title,
      ...(r.description !== undefined ? { description: r.description } : {}),
      'meta:resourceType': r['meta:resourceType'],
      'meta:updated': registryDateString(metadata(r)['repo:lastModifiedDate']),
      version: r.version,
      ...(classId ? { 'meta:class': classId, ...(classTitle ? { 'meta:classTitle': classTitle } : {}) } : {}),
    };
  };
  const recent = (key: string) =>
    [...all]
      .sort((a, b) => (metadata(b)[key] ?? 0) - (metadata(a)[key] ?? 0))
      .slice(0, 5)
      .map(summary);
  // The spec's `classUsage` is an array of {$id, title, numberOfSchemas, schemas}; the 2019 example in
  // the getting-started guide shows an object keyed by class id. We follow the (newer) spec.
  const byClass = new Map<string, Record<string, unknown>[]>();
  for (const schema of schemas) {
    const entry = {
      $id: schema.$id,
      'meta:altId': schema['meta:altId'],
      title: schema.title,
      ...(schema.description !== undefined ? { description: schema.description } : {}),
    };
    byClass.set(schema['meta:class'], [...(byClass.get(schema['meta:class']) ?? []), entry]);
  }
  const classUsage = [...byClass].map(([classId, used]) => ({
    $id: classId,
    title: (findGlobalClass(classId) ?? partition.xdm.classes.get(classId)?.wire)?.title,
    numberOfSchemas: used.length,
    schemas: used,
  }));
  const unionClasses = new Set(schemas.filter((s) => (s['meta:immutableTags'] ?? []).includes('union')).map((s) => s['meta:class']));
  return {
    imsOrg: partition.orgId,
    tenantId,
    counts: {
      schemas: schemas.length,
      mixins: partition.xdm.fieldGroups.size,
      datatypes: 0,
      classes: partition.xdm.classes.size,
      unions: unionClasses.size,
    },
    recentlyCreatedResources: recent('repo:createdDate'),
    recentlyUpdatedResources: recent('repo:lastModifiedDate'),
    classUsage,
  };
}

/** `Sat Feb 02 2019 00:34:06 GMT+0000 (UTC)`: the `meta:updated` form in the stats example. */
function registryDateString(ms: unknown): string | undefined {
  if (typeof ms !== 'number') return undefined;
  const d = new Date(ms);
  const days = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
  const months = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
  const p = (n: number) => String(n).padStart(2, '0');
  return `${days[d.getUTCDay()]} ${months[d.getUTCMonth()]} ${p(d.getUTCDate())} ${d.getUTCFullYear()} ${p(d.getUTCHours())}:${p(d.getUTCMinutes())}:${p(d.getUTCSeconds())} GMT+0000 (UTC)`;
}
