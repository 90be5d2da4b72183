import { lexicographicSortSchema, printSchema } from 'graphql';
import { buildGatewaySchema } from './schema.js';

/** The API's SDL with types and fields sorted by name, so the checked-in file diffs cleanly. */
export async function printedSchema(): Promise<string> {
  return `${printSchema(lexicographicSortSchema(await buildGatewaySchema()))}\n`;
}
