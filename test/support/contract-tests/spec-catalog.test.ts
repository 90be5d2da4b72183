import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { compareSpecificity, loadApi, parseTemplate, templateMatches } from '../contract/spec-catalog.js';

describe('templateMatches', () => {
  it('matches a {PARAM} to exactly one non-empty segment', () => {
    const template = parseTemplate('/connections/{BASE_CONNECTION_ID}/explore');
    assert.ok(templateMatches(template, '/connections/abc/explore'));
    assert.ok(!templateMatches(template, '/connections//explore'));
    assert.ok(!templateMatches(template, '/connections/a/b/explore'));
    assert.ok(!templateMatches(template, '/connections/abc/test'));
  });

  it('treats a percent-encoded $id as one segment', () => {
    assert.ok(templateMatches(parseTemplate('/{CONTAINER_ID}/schemas/{SCHEMA_ID}'), `/tenant/schemas/${encodeURIComponent('https://ns.adobe.com/t/schemas/1')}`));
  });

  it('ignores a trailing slash on either side and matches the root', () => {
    assert.ok(templateMatches(parseTemplate('/connections/{BASE_CONNECTION_ID}/'), '/connections/abc'));
    assert.ok(templateMatches(parseTemplate('/connections/{BASE_CONNECTION_ID}'), '/connections/abc/'));
    assert.ok(templateMatches(parseTemplate('/'), '/'));
    assert.ok(!templateMatches(parseTemplate('/'), '/dataSets'));
  });
});

describe('compareSpecificity', () => {
  it('puts a literal segment before a parameter at the first place they differ', () => {
    const tenant = parseTemplate('/tenant/schemas/{SCHEMA_ID}');
    const container = parseTemplate('/{CONTAINER_ID}/schemas/{SCHEMA_ID}');
    assert.deepEqual(
      [container, tenant].sort((a, b) => compareSpecificity(a, b, false)),
      [tenant, container],
    );
    const search = parseTemplate('/connections/search');
    const byId = parseTemplate('/connections/{BASE_CONNECTION_ID}');
    assert.deepEqual(
      [byId, search].sort((a, b) => compareSpecificity(a, b, false)),
      [search, byId],
    );
  });

  it('prefers the template whose trailing slash matches the request', () => {
    const slash = parseTemplate('/connections/{BASE_CONNECTION_ID}/');
    const bare = parseTemplate('/connections/{BASE_CONNECTION_ID}');
    assert.equal(compareSpecificity(slash, bare, true) < 0, true);
    assert.equal(compareSpecificity(slash, bare, false) > 0, true);
  });
});

describe('loadApi', () => {
  it('rejects a spec whose declared base path is not the expected one', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'contract-spec-'));
    try {
      await writeFile(
        path.join(dir, 'moved.yaml'),
        ['openapi: 3.0.1', 'info: {title: t, version: "1"}', 'servers:', '  - url: //platform.adobe.io/data/foundation/elsewhere', 'paths: {}', ''].join('\n'),
      );
      await assert.rejects(loadApi({ name: 'flow-service', file: 'moved.yaml', basePath: '/data/foundation/flowservice' }, dir), /declares base path '\/data\/foundation\/elsewhere'/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('indexes operations with their query parameters, request and response schemas', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'contract-spec-'));
    try {
      await writeFile(
        path.join(dir, 'mini.yaml'),
        [
          'swagger: "2.0"',
          'info: {title: t, version: "1"}',
          'basePath: /data/foundation/schemaregistry',
          'paths:',
          '  /tenant/things/{ID}:',
          '    parameters:',
          '      - {name: ID, in: path, required: true, type: string}',
          '    patch:',
          '      parameters:',
          '        - {name: mode, in: query, required: true, type: string, enum: [FAST, SLOW]}',
          '        - {name: body, in: body, required: true, schema: {type: array, items: {$ref: "#/definitions/op"}}}',
          '      responses:',
          '        200: {description: ok, schema: {type: object}}',
          '        400: {description: bad}',
          'definitions:',
          '  op: {type: object, x-note: ignored, example: {$id: "https://ns.adobe.com/x"}}',
          '',
        ].join('\n'),
      );
      const api = await loadApi({ name: 'schema-registry', file: 'mini.yaml', basePath: '/data/foundation/schemaregistry' }, dir);
      assert.equal(api.operations.length, 1);
      const op = api.operations[0]!;
      assert.equal(op.key, 'PATCH /data/foundation/schemaregistry/tenant/things/{ID}');
      assert.deepEqual(op.queryParams, [{ name: 'mode', required: true, array: false, enum: ['FAST', 'SLOW'] }]);
      assert.equal(op.request?.required, true);
      assert.equal(op.request?.schemas.length, 1);
      assert.deepEqual(
        op.responses.map((r) => [r.key, r.schemas.length]),
        [
          ['200', 1],
          ['400', 0],
        ],
      );
      assert.deepEqual(api.document.definitions, { op: { type: 'object' } }, 'examples and x- keywords are stripped');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
