import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, it } from 'node:test';
import { DEVIATIONS, EMULATOR_EXTENSIONS, operationPatternMatches, renderDeviationsMarkdown, SPEC_AGREEMENTS } from '../contract/deviations.js';

describe('the deviation list', () => {
  it('gives every deviation a unique id, an operation, a reason and a source', () => {
    const ids = DEVIATIONS.map((d) => d.id);
    assert.equal(new Set(ids).size, ids.length, 'duplicate ids');
    for (const d of DEVIATIONS) {
      assert.match(d.id, /^[a-z0-9-]+$/, d.id);
      assert.match(d.operation, /^(\*|(GET|POST|PUT|PATCH|DELETE) (\*|\/\S*))$/, `${d.id}: ${d.operation}`);
      assert.ok(d.reason.length > 40, `${d.id} explains too little`);
      assert.ok(d.source.length > 10, `${d.id} has no source`);
    }
  });

  it('gives every deviation a rule that fits its aspect', () => {
    for (const d of DEVIATIONS) {
      const { rule } = d;
      switch (d.aspect) {
        case 'route':
          assert.ok(rule.ignoreTrailingSlash, d.id);
          break;
        case 'status':
          assert.ok(rule.acceptStatuses && rule.acceptStatuses.length > 0, d.id);
          break;
        case 'query':
          assert.ok(rule.query && rule.query.params.length > 0 && (rule.query.optional || rule.query.caseInsensitiveEnum), d.id);
          break;
        case 'requestBody':
        case 'responseBody':
          assert.ok((rule.exempt && rule.exempt.length > 0) || rule.replaceSchema, d.id);
          break;
      }
    }
  });

  it('exempts body errors only at named fields, never at every path of an API', () => {
    for (const d of DEVIATIONS) {
      for (const exemption of d.rule.exempt ?? []) {
        assert.ok(!exemption.at.test('/some/unrelated/field'), `${d.id}: ${exemption.at} matches anything`);
      }
    }
  });

  it('accepts the general error statuses of the brief, and nothing in the 2xx range', () => {
    const general = DEVIATIONS.find((d) => d.id === 'error-statuses');
    assert.deepEqual(general?.rule.acceptStatuses, [400, 401, 403, 404, 412, 413, 429, 500, 503]);
    for (const d of DEVIATIONS) for (const status of d.rule.acceptStatuses ?? []) assert.ok(status >= 400, `${d.id} accepts ${status}`);
  });
});

describe('operationPatternMatches', () => {
  it('matches one operation, a method, a path family or everything', () => {
    assert.ok(operationPatternMatches('GET /flows/{FLOW_ID}', 'get', '/flows/{FLOW_ID}'));
    assert.ok(!operationPatternMatches('GET /flows/{FLOW_ID}', 'PATCH', '/flows/{FLOW_ID}'));
    assert.ok(operationPatternMatches('PATCH *', 'PATCH', '/sourceConnections/{SOURCE_CONNECTION_ID}'));
    assert.ok(operationPatternMatches('GET /flows*', 'GET', '/flows'));
    assert.ok(operationPatternMatches('GET /flows*', 'GET', '/flows/{FLOW_ID}'));
    assert.ok(!operationPatternMatches('GET /flows*', 'GET', '/flowSpecs'), 'a family stops at a segment boundary');
    assert.ok(operationPatternMatches('*', 'DELETE', '/anything'));
  });
});

describe('renderDeviationsMarkdown', () => {
  it('renders one table row per deviation with its id, operation and source', () => {
    const markdown = renderDeviationsMarkdown();
    const rows = markdown.split('\n').filter((line) => line.startsWith('| `'));
    assert.equal(rows.length, DEVIATIONS.length);
    for (const d of DEVIATIONS) {
      const row = rows.find((r) => r.startsWith(`| \`${d.id}\` `));
      assert.ok(row, d.id);
      assert.equal(row.split(/(?<!\\)\|/).length, 8, `${d.id}: a pipe in the text breaks the table`);
    }
    for (const a of SPEC_AGREEMENTS) assert.ok(markdown.includes(`| ${a.api} | \`${a.operation}\` |`), `agreement ${a.operation} missing`);
    if (EMULATOR_EXTENSIONS.length === 0) assert.match(markdown, /_None: every route the emulator serves is in a spec\._/);
  });

  it('matches the table in test/support/contract/README.md (regenerate it when the list changes)', async () => {
    const readme = await readFile(path.resolve(process.cwd(), 'test/support/contract/README.md'), 'utf8');
    const between = /<!-- deviations:start -->\n([\s\S]*?)<!-- deviations:end -->/.exec(readme);
    assert.ok(between, 'README has no deviations:start/end markers');
    assert.equal(between[1], renderDeviationsMarkdown());
  });
});
