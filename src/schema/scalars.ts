import { DateTimeResolver, JSONResolver } from 'graphql-scalars';

/** ISO-8601 date-time. */
export const DateTime = DateTimeResolver;
/** Any JSON value (schemas, snapshots, diffs). */
export const JSON = JSONResolver;
