import { z } from 'zod';
import { FREQUENCIES } from './schedule-rules.js';
import type { PlatformResourceType } from './resource-types.js';

/**
 * What a resource row keeps in its `spec` column, per resource type: what the user asked for and
 * what the create resolved (the schema's fields, the mapping set's version, the flow's schedule).
 * Checked when written (`checkSpec`); read back typed with `specOf`, without re-checking, because
 * reads run on every list and every spec was checked on its way in.
 */

/** One leaf field of a created XDM schema. */
export const xdmFieldSpec = z.object({
  /** e.g. `_flowgatelocal.charges_data.amount`. */
  path: z.string(),
  type: z.string(),
  /** The explore path it mirrors (`data.amount`), the mapping source; null when unknown. */
  source: z.string().nullable().optional(),
});
export type XdmFieldSpec = z.infer<typeof xdmFieldSpec>;

/** Where a mapped value comes from (Data Prep's `sourceType`): a source path, an expression, a constant. */
export const MAPPING_SOURCE_TYPES = ['ATTRIBUTE', 'EXPRESSION', 'STATIC'] as const;

/** One field mapping of a mapping set. */
export const fieldMappingSpec = z.object({
  source: z.string(),
  destination: z.string(),
  sourceType: z.enum(MAPPING_SOURCE_TYPES),
});
export type FieldMappingSpec = z.infer<typeof fieldMappingSpec>;

/** A dataflow's schedule; `startTime` null until the flow exists (see RequestedSchedule). */
export const scheduleSpec = z.object({
  frequency: z.enum(FREQUENCIES),
  interval: z.number().int().nullable(),
  startTime: z.number().int().nullable(),
  backfill: z.boolean().nullable(),
});

const empty = z.object({});

export const RESOURCE_SPECS = {
  CONNECTION: empty,
  SOURCE_CONNECTION: empty,
  XDM_SCHEMA: z.object({
    /** Schema Registry version, e.g. "1.0"; set when created. */
    version: z.union([z.string(), z.number()]).nullable().optional(),
    tenantNamespace: z.string().optional(),
    fields: z.array(xdmFieldSpec).optional(),
    /** The class and field group the create made with the schema (rollback removes them). */
    classId: z.string().optional(),
    /** The class is shared with other schemas (an onboarding's): removing this schema keeps it. */
    classShared: z.boolean().optional(),
    fieldGroupId: z.string().optional(),
    renamedFields: z.array(z.object({ source: z.string(), name: z.string().nullable() })).optional(),
  }),
  DATASET: empty,
  TARGET_CONNECTION: empty,
  MAPPING: z.object({
    fieldMappings: z.array(fieldMappingSpec),
    /** True when the worker generates the mappings from the explored source and the schema. */
    generated: z.boolean().optional(),
    /** The mapping set's version on the Platform; null until created. */
    version: z.number().int().nullable(),
  }),
  DATAFLOW: z.object({
    schedule: scheduleSpec,
    /** The mapping set version the flow uses; null until the create resolves it. */
    mappingVersion: z.number().int().nullable(),
  }),
} satisfies Record<PlatformResourceType, z.ZodType>;

export type ResourceSpecOf<T extends PlatformResourceType> = z.infer<(typeof RESOURCE_SPECS)[T]>;

/** Checks a spec about to be written; throws a ZodError (a programming error, never user input). */
export function checkSpec<T extends PlatformResourceType>(type: T, spec: unknown): ResourceSpecOf<T> {
  return RESOURCE_SPECS[type].parse(spec ?? {}) as ResourceSpecOf<T>;
}

/** A stored row's spec, typed by its resource type (checked when it was written). */
export function specOf<T extends PlatformResourceType>(_type: T, spec: unknown): ResourceSpecOf<T> {
  return (spec ?? {}) as ResourceSpecOf<T>;
}
