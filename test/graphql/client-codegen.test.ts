import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { createRequire } from 'node:module';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { Kind, OperationTypeNode, parse, print, type DefinitionNode, type OperationDefinitionNode } from 'graphql';

const ROOT = path.resolve(__dirname, '../../..');
const SCHEMA = path.join(ROOT, 'schema.graphql');

/**
 * A frontend repository's CI: client codegen over the checked-in SDL, no gateway, database or key.
 * The documents are every GraphQL example of the README (so the README cannot drift from the API)
 * plus the Relay fragments a Relay app writes (`@connection` both ways, `@refetchable` on a Node).
 */

/** Each operation of every ```graphql block of the README, named (relay-compiler wants names) — and its fragments. */
function readmeDefinitions(): DefinitionNode[] {
  const readme = readFileSync(path.join(ROOT, 'README.md'), 'utf8');
  const blocks = [...readme.matchAll(/```graphql\n([\s\S]*?)```/g)].map((m) => m[1]!);
  assert.ok(blocks.length >= 7, `found ${blocks.length} GraphQL examples in README.md`);
  let n = 0;
  return blocks.flatMap((block) =>
    parse(block).definitions.map((d) => {
      if (d.kind !== Kind.OPERATION_DEFINITION) return d;
      n += 1;
      const suffix = d.operation === OperationTypeNode.QUERY ? 'Query' : d.operation === OperationTypeNode.MUTATION ? 'Mutation' : 'Subscription';
      const name = `Readme${n}${d.name ? d.name.value : ''}${suffix}`;
      return { ...d, name: { kind: Kind.NAME, value: name } } satisfies OperationDefinitionNode;
    }),
  );
}

const RELAY_FRAGMENTS = [
  `fragment RelayApp_dataflows on Query
    @refetchable(queryName: "RelayAppDataflowsPaginationQuery")
    @argumentDefinitions(first: { type: "Int" }, after: { type: "String" }, last: { type: "Int" }, before: { type: "String" }, filter: { type: "DataflowFilter" }) {
    dataflows(first: $first, after: $after, last: $last, before: $before, filter: $filter) @connection(key: "RelayApp_dataflows", filters: ["filter"]) {
      totalCount
      edges { node { id name state ...RelayApp_dataflow } }
    }
  }`,
  `fragment RelayApp_dataflow on Dataflow @refetchable(queryName: "RelayAppDataflowRefetchQuery") {
    id name state etag
    schedule { frequency interval startTime }
    auditEvents(first: 5) { edges { node { id action at actor } } }
    operations(last: 3) { edges { node { id type status } } }
    onboarding { id status }
  }`,
  `fragment RelayApp_operation on Operation @refetchable(queryName: "RelayAppOperationRefetchQuery") { id status progress error { code message } }`,
];

describe('client codegen over schema.graphql', () => {
  let dir: string;
  before(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'flowgate-codegen-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('GraphQL Code Generator (client preset) types every README example', async () => {
    const { generate } = await import('@graphql-codegen/cli');
    const documents = path.join(dir, 'readme.graphql');
    writeFileSync(documents, readmeDefinitions().map(print).join('\n\n'));
    const output = path.join(dir, 'gql') + path.sep;
    await generate(
      {
        schema: SCHEMA,
        documents,
        generates: { [output]: { preset: 'client', config: { scalars: { DateTime: 'string', JSON: 'unknown' } } } },
        silent: true,
        errorsOnly: true,
      },
      true,
    );
    const graphql = readFileSync(path.join(output, 'graphql.ts'), 'utf8');
    assert.match(graphql, /export type AuditAction =[\s\S]*?'CONFLICT_DETECTED'/);
    assert.match(graphql, /export type ErrorCode =/);
    assert.match(graphql, /export type Readme\d+QueryQuery = /);
    assert.match(graphql, /export type Readme\d+MutationMutation = /);
  });

  it('relay-compiler accepts every README example, @connection both ways and @refetchable on Node types', async () => {
    // The package's main export is the path of the compiler binary it ships for this platform.
    const relayBinary = createRequire(__filename)('relay-compiler') as string;
    const src = path.join(dir, 'relay', 'src');
    mkdirSync(path.join(src, '__generated__'), { recursive: true });
    const tag = (text: string) => `graphql\`\n${text}\n\`;`;
    const readme = readmeDefinitions()
      .map((d, i) => `export const readme${i} = ${tag(print(d).replace(/^fragment (\w+)/, 'fragment Readme_$1'))}`)
      .join('\n');
    writeFileSync(path.join(src, 'Readme.ts'), `declare const graphql: (s: TemplateStringsArray) => unknown;\n${readme}\n`);
    writeFileSync(path.join(src, 'RelayApp.ts'), `declare const graphql: (s: TemplateStringsArray) => unknown;\n${RELAY_FRAGMENTS.map((f, i) => `export const f${i} = ${tag(f)}`).join('\n')}\n`);
    writeFileSync(path.join(dir, 'relay', 'relay.config.json'), JSON.stringify({ src: './src', schema: SCHEMA, language: 'typescript', artifactDirectory: './src/__generated__' }));
    const run = promisify(execFile);
    await run(relayBinary, [], { cwd: path.join(dir, 'relay') }).catch((error: { stdout?: string; stderr?: string }) =>
      assert.fail(`relay-compiler refused the documents:\n${error.stderr ?? ''}${error.stdout ?? ''}`),
    );
    const artifacts = readdirSync(path.join(src, '__generated__'));
    for (const expected of ['RelayAppDataflowsPaginationQuery.graphql.ts', 'RelayAppDataflowRefetchQuery.graphql.ts', 'RelayAppOperationRefetchQuery.graphql.ts'])
      assert.ok(artifacts.includes(expected), expected);
    assert.ok(artifacts.filter((a) => a.startsWith('Readme')).length >= 20, `${artifacts.length} artifacts`);
  });
});
