import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import path from 'node:path';
import { describe, it } from 'node:test';
import { promisify } from 'node:util';

const ROOT = path.resolve(__dirname, '../../..');
const LINTER = path.join(ROOT, 'node_modules/graphql-schema-linter/lib/cli.js');

/**
 * graphql-schema-linter's Relay rules take every type whose name ends in "Connection" for a Relay
 * connection. Three of Flowgate's resources carry the Platform's own names (a base connection, a
 * source connection, a target connection); its Relay connections are the `*Page` types, which the
 * linter's other rules and relay-compiler check. These members, and only these, are exempt.
 */
const PLATFORM_NAMES_ENDING_IN_CONNECTION = {
  'relay-connection-types-spec': ['Connection', 'SourceConnection', 'TargetConnection'],
  'relay-connection-arguments-spec': [
    'Query.connection',
    'Query.sourceConnection',
    'Query.targetConnection',
    'ConnectionEdge.node',
    'SourceConnectionEdge.node',
    'TargetConnectionEdge.node',
    'Dataflow.connection',
    'Dataflow.sourceConnection',
    'Dataflow.targetConnection',
    'Mapping.sourceConnection',
    'Onboarding.connection',
    'SourceConnection.connection',
    'XdmSchema.sourceConnection',
  ],
};

describe('the schema lint (graphql-schema-linter, every rule)', () => {
  it('finds nothing in schema.graphql: descriptions on every type, field, argument and enum value, Relay pagination', async () => {
    const run = promisify(execFile);
    const result = await run(process.execPath, [LINTER, '--format', 'json', '--ignore', JSON.stringify(PLATFORM_NAMES_ENDING_IN_CONNECTION), 'schema.graphql'], { cwd: ROOT }).catch(
      (error: { stdout?: string }) => ({ stdout: error.stdout ?? '' }),
    );
    const report = JSON.parse(result.stdout) as { errors: { message: string; rule: string; location: { line: number } }[] };
    assert.deepEqual(
      report.errors.map((e) => `${e.location.line}: ${e.message} (${e.rule})`),
      [],
    );
  });
});
