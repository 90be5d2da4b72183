import 'reflect-metadata';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { printedSchema } from '../../src/gateway/printed-schema.js';

const SCHEMA_FILE = path.resolve(__dirname, '../../../schema.graphql');

describe('schema.graphql', () => {
  it('is the schema the code builds (run `npm run schema` after changing the API)', async () => {
    const built = await printedSchema();
    const checkedIn = readFileSync(SCHEMA_FILE, 'utf8');
    assert.equal(checkedIn, built, 'schema.graphql is stale: run `npm run schema` and commit it');
  });
});
