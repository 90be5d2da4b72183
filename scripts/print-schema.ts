/**
 * `npm run schema`: prints the GraphQL schema (SDL, types sorted by name) into `schema.graphql`
 * at the repository root, from the code alone — no database, Redis or gateway needed. Frontend
 * repositories run their codegen against this file; a test fails when it is stale.
 * `-- --check` only compares and exits 1 when the file differs.
 */
import 'reflect-metadata';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { printedSchema } from '../src/gateway/printed-schema.js';

const SCHEMA_FILE = path.resolve(__dirname, '../../schema.graphql');

async function main(): Promise<void> {
  const sdl = await printedSchema();
  if (process.argv.includes('--check')) {
    const current = readFileSync(SCHEMA_FILE, 'utf8');
    if (current !== sdl) {
      console.error('schema.graphql is stale: run `npm run schema` and commit it');
      process.exit(1);
    }
    console.log('schema.graphql is current');
    return;
  }
  writeFileSync(SCHEMA_FILE, sdl);
  console.log(`wrote ${path.relative(process.cwd(), SCHEMA_FILE) || SCHEMA_FILE}`);
}

void main();
