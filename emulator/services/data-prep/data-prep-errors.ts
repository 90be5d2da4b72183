import { dataPrepError } from '../../errors/error-bodies.js';
import type { PlatformHttpError } from '../../errors/platform-error.js';

/**
 * Data Prep's error codes (`MAPPER-<n>-<status>`). Adobe documents no Data Prep error body; the
 * table is in `data-prep.routes.ts` and the README. `MAPPER-3700-400` is the one code Adobe shows
 * (in run monitoring, for a record that failed mapping).
 */
export const DATA_PREP_CODES = {
  invalidBody: { code: '1000-400', title: 'Invalid request body' },
  outputSchemaMissing: { code: '1001-400', title: 'Output schema missing' },
  outputSchemaNotFound: { code: '1002-400', title: 'Output schema not found' },
  outputSchemaVersion: { code: '1003-400', title: 'Output schema version invalid' },
  notFound: { code: '1004-404', title: 'Not Found' },
  mappingsMissing: { code: '1010-400', title: 'Mappings missing' },
  invalidMapping: { code: '1011-400', title: 'Invalid mapping' },
  invalidSourceType: { code: '1012-400', title: 'Invalid source type' },
  sourceMissing: { code: '1013-400', title: 'Source missing' },
  destinationMissing: { code: '1014-400', title: 'Destination missing' },
  destinationNotInSchema: { code: '1015-400', title: 'Destination not in schema' },
  duplicateDestination: { code: '1016-400', title: 'Duplicate destination' },
  invalidExpression: { code: '1017-400', title: 'Invalid expression' },
  invalidQuery: { code: '1020-400', title: 'Invalid query parameter' },
  typeMismatch: { code: '3700-400', title: 'Type mismatch' },
} as const;

export type DataPrepErrorKind = keyof typeof DATA_PREP_CODES;

/** The full `MAPPER-…` code of a kind, as it appears in run errors and preview results. */
export function mapperCode(kind: DataPrepErrorKind): string {
  return `MAPPER-${DATA_PREP_CODES[kind].code}`;
}

/** The Data Prep error of `kind`; `detail` names the offending field or mapping index. */
export function dataPrepFailure(kind: DataPrepErrorKind, detail: string): PlatformHttpError {
  const { code, title } = DATA_PREP_CODES[kind];
  return dataPrepError(code, title, detail);
}
