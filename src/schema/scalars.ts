import { GraphQLScalarType } from 'graphql';
import { DateTimeResolver, JSONResolver } from 'graphql-scalars';
import { isoTimestamp } from '../domain/iso-timestamp.js';

/**
 * ISO-8601 date-time: graphql-scalars' DateTime (its name, description, input rules), serialized
 * to the string itself. graphql-scalars hands JSON.stringify the Date, whose `toJSON` writes the
 * same string at several times the cost (see isoTimestamp). An invalid Date stays a Date, as
 * before (JSON writes it as null).
 */
export const DateTime = new GraphQLScalarType({
  ...DateTimeResolver.toConfig(),
  serialize(value: unknown): Date | string {
    const date = DateTimeResolver.serialize(value);
    return Number.isNaN(date.getTime()) ? date : isoTimestamp(date);
  },
});
/** Any JSON value (schemas, snapshots, diffs). */
export const JSON = JSONResolver;
