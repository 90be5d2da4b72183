import assert from 'node:assert/strict';
import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { describe, it } from 'node:test';
import { ContractValidator, type ContractProblem } from '../contract/contract-validator.js';
import { CATALOG, CONNECTION_ID, connectionItem, DATA_PREP, ETAG, exchange, FLOW, FLOW_ID, flowErrorBody, freshValidator, sharedValidator, XDM } from './exchanges.fixture.js';

const messages = (problems: ContractProblem[]) => problems.map((p) => `${p.where}: ${p.message}`);

const createConnection = () =>
  exchange({
    method: 'POST',
    path: `${FLOW}/connections`,
    requestBody: {
      name: 'Stripe base connection',
      connectionSpec: { id: 'cc2c31d6-7b8c-4581-b49f-5c8698aa3ab3', version: '1.0' },
      auth: { specName: 'OAuth2 Refresh Code', params: { accessToken: 'sk_test_123' } },
    },
    status: 201,
    responseHeaders: { 'content-type': 'application/json', location: `${FLOW}/connections/${CONNECTION_ID}` },
    responseBody: { id: CONNECTION_ID, etag: ETAG },
  });

describe('ContractValidator.validate', () => {
  describe('when the exchange conforms', () => {
    it('reports no problems for POST /connections answered 201 {id, etag}', async (t) => {
      const validator = await sharedValidator(t);
      if (!validator) return;
      assert.deepEqual(validator.validate(createConnection()), []);
    });

    it('reports no problems for the Stripe tutorial requests with their documented responses', async (t) => {
      const validator = await sharedValidator(t);
      if (!validator) return;
      const file = path.resolve(process.cwd(), '../shared/reference/stripe-tutorial.json');
      if (!(await stat(file).catch(() => null))) return t.skip('stripe-tutorial.json not found');
      const tutorial = JSON.parse(await readFile(file, 'utf8')) as {
        requests: { method: string; url: string; body: unknown }[];
        exampleResponses: Record<string, unknown>;
      };
      const answers: Record<string, [number, unknown]> = {
        connections: [201, tutorial.exampleResponses.createBaseConnection],
        explore: [200, tutorial.exampleResponses.explore_charges],
        sourceConnections: [201, tutorial.exampleResponses.createSourceConnection],
        targetConnections: [201, tutorial.exampleResponses.createTargetConnection],
        mappingSets: [200, tutorial.exampleResponses.createMappingSet],
        flows: [201, tutorial.exampleResponses.createFlow],
      };
      assert.equal(tutorial.requests.length, 6);
      for (const request of tutorial.requests) {
        const url = new URL(request.url);
        const answer = answers[url.pathname.split('/').pop()!];
        assert.ok(answer, `the tutorial has an example answer for ${url.pathname}`);
        const [status, responseBody] = answer;
        const problems = validator.validate(
          exchange({
            method: request.method,
            path: url.pathname,
            query: Object.fromEntries(url.searchParams),
            requestBody: request.body ?? undefined,
            status,
            responseBody,
          }),
        );
        assert.deepEqual(messages(problems), [], `${request.method} ${url.pathname}`);
      }
    });
  });

  describe('when a response field has the wrong type', () => {
    it('reports a response problem naming the field and the expected type', async (t) => {
      const validator = await sharedValidator(t);
      if (!validator) return;
      const problems = validator.validate({ ...createConnection(), responseBody: { id: 42, etag: ETAG } });
      assert.equal(problems.length, 1);
      const problem = problems[0]!;
      assert.equal(problem.where, 'response');
      assert.equal(problem.exchange, `POST ${FLOW}/connections`);
      assert.match(problem.message, /\/id must be string \(got integer 42\)/);
    });

    it('reports a missing required field by its full path', async (t) => {
      const validator = await sharedValidator(t);
      if (!validator) return;
      const item = connectionItem();
      item.connectionSpec = { id: 'cc2c31d6-7b8c-4581-b49f-5c8698aa3ab3' };
      const problems = validator.validate(exchange({ method: 'GET', path: `${FLOW}/connections/${CONNECTION_ID}`, status: 200, responseBody: { items: [item] } }));
      assert.deepEqual(messages(problems), ['response: response body /items/0/connectionSpec/version is required but missing']);
    });
  });

  describe('routes', () => {
    it('reports a path no spec documents as a route problem', async (t) => {
      const validator = await sharedValidator(t);
      if (!validator) return;
      const problems = validator.validate(exchange({ method: 'GET', path: `${FLOW}/connectors`, status: 200, responseBody: {} }));
      assert.equal(problems.length, 1);
      const problem = problems[0]!;
      assert.equal(problem.where, 'route');
      assert.match(problem.message, /no path of flow-service\.yaml matches \/connectors/);
    });

    it('reports a method the documented path does not have', async (t) => {
      const validator = await sharedValidator(t);
      if (!validator) return;
      const problems = validator.validate(exchange({ method: 'PUT', path: `${FLOW}/flows/${FLOW_ID}`, status: 200, requestBody: {}, responseBody: {} }));
      assert.equal(problems.length, 1);
      const problem = problems[0]!;
      assert.equal(problem.where, 'route');
      assert.match(problem.message, /PUT is not documented .*GET \/flows\/\{FLOW_ID\}/);
    });

    it('reports a path outside every service base path', async (t) => {
      const validator = await sharedValidator(t);
      if (!validator) return;
      const problems = validator.validate(exchange({ method: 'GET', path: '/data/foundation/export/batches/01EF01X41KJD82Y9ZX6ET54PCZ/meta', status: 200 }));
      assert.deepEqual(
        problems.map((p) => p.where),
        ['route'],
      );
    });

    it('accepts an error answer for an undocumented route when its body is a documented error shape', async (t) => {
      const validator = await sharedValidator(t);
      if (!validator) return;
      const refused = (path: string, responseBody: unknown) => validator.validate(exchange({ method: 'GET', path, status: 404, responseBody }));
      const gateway404 = { error_code: '404010', message: 'No API is available at GET /widgets' };
      assert.deepEqual(refused(`${FLOW}/widgets`, gateway404), []);
      assert.deepEqual(refused('/data/foundation/nonexistent/things', gateway404), []);
      assert.deepEqual(validator.validate(exchange({ method: 'GET', path: `${FLOW}/widgets`, status: 403, responseBody: { error_code: '403010', message: 'Oauth token is missing.' } })), []);
      assert.deepEqual(
        refused(`${FLOW}/widgets`, { message: 'not here' }).map((p) => p.where),
        ['response'],
      );
      // Outside every API only the gateway answers: a Flow Service body there is wrong.
      assert.equal(refused('/data/foundation/nonexistent/things', flowErrorBody('1101-404', 'Resource not found')).length, 1);
    });

    it('ignores IMS and emulator control paths', async (t) => {
      const validator = await sharedValidator(t);
      if (!validator) return;
      assert.deepEqual(validator.validate(exchange({ method: 'POST', path: '/ims/token/v3', status: 400, responseBody: { nonsense: true } })), []);
      assert.deepEqual(validator.validate(exchange({ method: 'DELETE', path: '/__emulator/faults', status: 200, responseBody: { removed: 1 } })), []);
    });

    it('matches PATCH /connections/{id} without a trailing slash to the spec path /connections/{BASE_CONNECTION_ID}/', async (t) => {
      const validator = await freshValidator(t);
      if (!validator) return;
      const problems = validator.validate(
        exchange({
          method: 'PATCH',
          path: `${FLOW}/connections/${CONNECTION_ID}`,
          requestHeaders: { 'content-type': 'application/json', 'if-match': ETAG },
          requestBody: [{ op: 'replace', path: '/name', value: 'Renamed' }],
          status: 200,
          responseBody: { id: CONNECTION_ID, etag: ETAG },
        }),
      );
      assert.deepEqual(messages(problems), []);
      assert.deepEqual(validator.coverage(), [{ operation: `PATCH ${FLOW}/connections/{BASE_CONNECTION_ID}/`, count: 1 }]);
    });

    it('prefers the most specific template: /tenant/schemas/{SCHEMA_ID} for PATCH, /{CONTAINER_ID}/schemas/{SCHEMA_ID} for GET', async (t) => {
      const validator = await freshValidator(t);
      if (!validator) return;
      validator.validate(exchange({ method: 'PATCH', path: `${XDM}/tenant/schemas/abc`, requestBody: [{ op: 'add', path: '/allOf/-', value: { $ref: 'x' } }], status: 200, responseBody: {} }));
      validator.validate(exchange({ method: 'GET', path: `${XDM}/tenant/schemas/abc`, status: 200, responseBody: {} }));
      assert.deepEqual(
        validator.coverage().map((c) => c.operation),
        [`GET ${XDM}/{CONTAINER_ID}/schemas/{SCHEMA_ID}`, `PATCH ${XDM}/tenant/schemas/{SCHEMA_ID}`],
      );
    });

    it('counts an emulator extension without a route problem and still checks its error body', async (t) => {
      const validator = await freshValidator(t, {
        extensions: [{ api: 'flow-service', operation: 'GET /flows/{FLOW_ID}/runs', reason: 'test', source: 'test' }],
      });
      if (!validator) return;
      assert.deepEqual(validator.validate(exchange({ method: 'GET', path: `${FLOW}/flows/${FLOW_ID}/runs`, status: 200, responseBody: { items: [] } })), []);
      const bad = validator.validate(exchange({ method: 'GET', path: `${FLOW}/flows/${FLOW_ID}/runs`, status: 404, responseBody: { oops: true } }));
      assert.deepEqual(
        bad.map((p) => p.where),
        ['response'],
      );
      assert.deepEqual(validator.coverage(), [{ operation: `GET ${FLOW}/flows/{FLOW_ID}/runs (emulator extension)`, count: 2 }]);
    });
  });

  describe('statuses', () => {
    it('accepts a 400 with a Flow Service error body on an operation that documents only 201/403/503', async (t) => {
      const validator = await sharedValidator(t);
      if (!validator) return;
      const problems = validator.validate({ ...createConnection(), status: 400, responseBody: flowErrorBody('1413-400', 'Invalid connection spec id') });
      assert.deepEqual(problems, []);
    });

    it('reports a 400 whose body is none of the documented error shapes', async (t) => {
      const validator = await sharedValidator(t);
      if (!validator) return;
      const problems = validator.validate({ ...createConnection(), status: 400, responseBody: { error: 'bad request', code: 7 } });
      assert.equal(problems.length, 1);
      const problem = problems[0]!;
      assert.equal(problem.where, 'response');
      assert.match(problem.message, /none of the documented error shapes for flow-service/);
    });

    it('accepts gateway, placeholder and etag-mismatch bodies where they are documented', async (t) => {
      const validator = await sharedValidator(t);
      if (!validator) return;
      const patchFlow = (status: number, responseBody: unknown) =>
        exchange({ method: 'PATCH', path: `${FLOW}/flows/${FLOW_ID}`, requestBody: [{ op: 'replace', path: '/name', value: 'x' }], status, responseBody });
      assert.deepEqual(validator.validate(patchFlow(401, { error_code: '401013', message: 'Oauth token is not valid' })), []);
      assert.deepEqual(validator.validate(patchFlow(400, { type: '/placeholder/type/uri', status: 400, title: 'BadRequestError', detail: 'A valid content-type must be specified' })), []);
      assert.deepEqual(validator.validate(patchFlow(412, { errorMessage: 'Supplied version=["a"] does not match the current version on entity=["b"]' })), []);
      // The bare errorMessage shape is documented for the 412 etag mismatch only.
      assert.equal(validator.validate(patchFlow(400, { errorMessage: 'Supplied version=["a"] does not match' })).length, 1);
    });

    it('reports a Flow Service error body on a Catalog route', async (t) => {
      const validator = await sharedValidator(t);
      if (!validator) return;
      const problems = validator.validate(
        exchange({ method: 'GET', path: `${CATALOG}/dataSets/65e622315f78042c9e8166e8`, status: 404, responseBody: flowErrorBody('1101-404', 'Resource not found') }),
      );
      assert.equal(problems.length, 1);
      const problem = problems[0]!;
      assert.match(problem.message, /documented error shapes for catalog/);
    });

    it('reports an error body whose status disagrees with the HTTP status', async (t) => {
      const validator = await sharedValidator(t);
      if (!validator) return;
      const problems = validator.validate({ ...createConnection(), status: 404, responseBody: flowErrorBody('1101-400', 'Resource not found') });
      assert.deepEqual(messages(problems), ["response: error body field 'status' is 400 but the HTTP status is 404"]);
    });

    it('reports a success status the operation does not document', async (t) => {
      const validator = await sharedValidator(t);
      if (!validator) return;
      const problems = validator.validate({ ...createConnection(), status: 200 });
      assert.deepEqual(messages(problems), ['response: status 200 is not documented for POST /connections (documented: 201, 403, 503)']);
    });

    it('reports an error status outside the general list (409)', async (t) => {
      const validator = await sharedValidator(t);
      if (!validator) return;
      const problems = validator.validate({ ...createConnection(), status: 409, responseBody: flowErrorBody('1409-409', 'Conflict') });
      assert.deepEqual(messages(problems), ['response: status 409 is not documented for POST /connections (documented: 201, 403, 503)']);
    });

    it('reports a 204 that carries a body', async (t) => {
      const validator = await sharedValidator(t);
      if (!validator) return;
      assert.deepEqual(validator.validate(exchange({ method: 'DELETE', path: `${FLOW}/flows/${FLOW_ID}`, status: 204 })), []);
      const problems = validator.validate(exchange({ method: 'DELETE', path: `${FLOW}/flows/${FLOW_ID}`, status: 204, responseBody: { id: FLOW_ID } }));
      assert.deepEqual(messages(problems), ['response: status 204 must not carry a body']);
    });

    it('reports a documented JSON response that arrived empty or unparsable', async (t) => {
      const validator = await sharedValidator(t);
      if (!validator) return;
      const { responseBody: _dropped, ...withoutBody } = createConnection();
      const [missing] = validator.validate(withoutBody);
      assert.ok(missing, 'a missing body is a problem');
      assert.match(missing.message, /documents a JSON body \(application\/json\); the response has none/);
      const [unparsable] = validator.validate({ ...withoutBody, unparsedBody: { response: '{"id":' } });
      assert.ok(unparsable, 'an unparsable body is a problem');
      assert.match(unparsable.message, /does not parse/);
    });
  });

  describe('query parameters', () => {
    const action = (query: Record<string, string | string[]>, status = 200) =>
      exchange({ method: 'POST', path: `${FLOW}/flows/${FLOW_ID}/action`, query, status, responseBody: status === 200 ? { id: FLOW_ID, etag: ETAG } : flowErrorBody('1422-400', 'x') });

    it('accepts op=enable in lower case and without subOp, as the docs send it', async (t) => {
      const validator = await sharedValidator(t);
      if (!validator) return;
      assert.deepEqual(validator.validate(action({ op: 'enable' })), []);
      assert.deepEqual(validator.validate(action({ op: 'DISABLE', subOp: 'APPLY' })), []);
    });

    it('reports a value outside the documented enum', async (t) => {
      const validator = await sharedValidator(t);
      if (!validator) return;
      assert.deepEqual(messages(validator.validate(action({ op: 'pause' }))), ["request: query parameter 'op' is 'pause', not one of ENABLE, DISABLE, FINALIZE_UPDATE, FINALIZE, PUBLISH"]);
      assert.equal(validator.validate(action({ op: 'enable', subOp: 'UNDO' })).length, 1);
    });

    it('reports a missing required query parameter', async (t) => {
      const validator = await sharedValidator(t);
      if (!validator) return;
      const problems = validator.validate(exchange({ method: 'POST', path: `${FLOW}/runs/r1/action`, status: 200, responseBody: {} }));
      assert.deepEqual(messages(problems), ["request: query parameter 'op' is required"]);
    });

    it('does not check a request the server rejected with a 4xx', async (t) => {
      const validator = await sharedValidator(t);
      if (!validator) return;
      assert.deepEqual(validator.validate(action({ op: 'pause' }, 400)), []);
    });

    it('treats the Data Prep paging parameters as optional', async (t) => {
      const validator = await sharedValidator(t);
      if (!validator) return;
      assert.deepEqual(validator.validate(exchange({ method: 'GET', path: `${DATA_PREP}/mappingSets`, status: 200, responseBody: { data: [], _page: { count: 0 } } })), []);
    });
  });

  describe('request bodies', () => {
    it('reports a missing required property', async (t) => {
      const validator = await sharedValidator(t);
      if (!validator) return;
      const problems = validator.validate(
        exchange({
          method: 'POST',
          path: `${FLOW}/sourceConnections`,
          requestBody: { baseConnectionId: CONNECTION_ID, connectionSpec: { id: 'cc2c31d6-7b8c-4581-b49f-5c8698aa3ab3', version: '1.0' }, data: { format: 'json' } },
          status: 201,
          responseBody: { id: 'abbfac4e-202c-4e04-902d-6f73e9041068', etag: ETAG },
        }),
      );
      assert.deepEqual(messages(problems), ['request: request body /name is required but missing']);
    });

    it('reports a required body that is absent', async (t) => {
      const validator = await sharedValidator(t);
      if (!validator) return;
      const { requestBody: _dropped, ...withoutBody } = createConnection();
      assert.deepEqual(messages(validator.validate(withoutBody)), ['request: a request body is required by POST /connections']);
    });

    it('accepts a JSON Patch array with lower-case ops, string values and a remove without value', async (t) => {
      const validator = await sharedValidator(t);
      if (!validator) return;
      const problems = validator.validate(
        exchange({
          method: 'PATCH',
          path: `${FLOW}/flows/${FLOW_ID}`,
          requestBody: [
            { op: 'replace', path: '/name', value: 'Renamed flow' },
            { op: 'replace', path: '/scheduleParams/interval', value: 30 },
            { op: 'remove', path: '/description' },
            { op: 'REPLACE', path: '/transformations/0', value: { name: 'Mapping', params: { mappingId: 'f4aad280fdec4770b7e33066945919d8', mappingVersion: 1 } } },
          ],
          status: 200,
          responseBody: { id: FLOW_ID, etag: ETAG },
        }),
      );
      assert.deepEqual(messages(problems), []);
    });

    it('still reports a patch op the API does not support, and an add without value', async (t) => {
      const validator = await sharedValidator(t);
      if (!validator) return;
      const problems = validator.validate(
        exchange({
          method: 'PATCH',
          path: `${FLOW}/flows/${FLOW_ID}`,
          requestBody: [
            { op: 'move', from: '/name', path: '/description', value: {} },
            { op: 'add', path: '/labels' },
          ],
          status: 200,
          responseBody: { id: FLOW_ID, etag: ETAG },
        }),
      );
      assert.deepEqual(messages(problems), ['request: request body /0/op must be one of "ADD", "REPLACE", "REMOVE" (got "move")', 'request: request body /1/value is required but missing']);
    });

    it('checks each item of a PATCH /connections/{id} array against the spec PatchInstruction', async (t) => {
      const validator = await sharedValidator(t);
      if (!validator) return;
      const patch = (requestBody: unknown) =>
        validator.validate(exchange({ method: 'PATCH', path: `${FLOW}/connections/${CONNECTION_ID}/`, requestBody, status: 200, responseBody: { id: CONNECTION_ID, etag: ETAG } }));
      assert.deepEqual(messages(patch([{ op: 'replace', path: '/auth/params', value: { accessToken: 'sk_test_456' } }])), []);
      assert.deepEqual(messages(patch({ op: 'REPLACE', path: '/name', value: 'single instruction, as the spec has it' })), []);
      assert.deepEqual(messages(patch([{ op: 'replace', value: 'x' }])), ['request: request body /0/path is required but missing']);
    });

    it('accepts a Catalog PATCH as a JSON Patch array and still checks it', async (t) => {
      const validator = await sharedValidator(t);
      if (!validator) return;
      const patch = (requestBody: unknown) =>
        validator.validate(
          exchange({
            method: 'PATCH',
            path: `${CATALOG}/dataSets/65e622315f78042c9e8166e8`,
            requestHeaders: { 'content-type': 'application/json-patch+json' },
            requestBody,
            status: 200,
            responseBody: ['@/dataSets/65e622315f78042c9e8166e8'],
          }),
        );
      assert.deepEqual(messages(patch([{ op: 'replace', path: '/name', value: 'Stripe charges' }])), []);
      assert.deepEqual(messages(patch({ name: 'Stripe charges' })), []);
      assert.equal(patch([{ op: 'rename', path: '/name' }]).length, 1);
    });
  });

  describe('Schema Registry (Swagger 2.0)', () => {
    const schemaResource = () => ({
      $id: 'https://ns.adobe.com/flowgatelocal/schemas/5f76be8c4e4b847fdac13ca42aa6b596a89a5b91dea48b16',
      'meta:altId': '_flowgatelocal.schemas.5f76be8c4e4b847fdac13ca42aa6b596a89a5b91dea48b16',
      'meta:resourceType': 'schemas',
      version: '1.0',
      title: 'Stripe charges',
      type: 'object',
      description: 'Charges ingested from Stripe',
      allOf: [{ $ref: 'https://ns.adobe.com/flowgatelocal/classes/19e1d8b5098a7a76e2d5b1e5b5c4d5f7' }],
      'meta:class': 'https://ns.adobe.com/flowgatelocal/classes/19e1d8b5098a7a76e2d5b1e5b5c4d5f7',
      'meta:abstract': false,
      'meta:extensible': false,
      'meta:extends': ['https://ns.adobe.com/flowgatelocal/classes/19e1d8b5098a7a76e2d5b1e5b5c4d5f7', 'https://ns.adobe.com/xdm/data/record'],
      'meta:containerId': 'tenant',
      'meta:tenantNamespace': '_flowgatelocal',
      'meta:xdmType': 'object',
      'meta:registryMetadata': { 'repo:createdDate': 1709860257007, 'repo:lastModifiedDate': 1709860257007, eTag: 'a'.repeat(64) },
    });
    const lookup = (responseBody: unknown, status = 200) =>
      exchange({
        method: 'GET',
        path: `${XDM}/tenant/schemas/${encodeURIComponent('https://ns.adobe.com/flowgatelocal/schemas/5f76be8c4e4b847fdac13ca42aa6b596a89a5b91dea48b16')}`,
        requestHeaders: { accept: 'application/vnd.adobe.xed-full+json; version=1' },
        status,
        responseBody,
      });

    it('accepts GET /tenant/schemas/{id} answered with a schema resource', async (t) => {
      const validator = await sharedValidator(t);
      if (!validator) return;
      assert.deepEqual(validator.validate(lookup(schemaResource())), []);
    });

    it('reports a schema resource field of the wrong type', async (t) => {
      const validator = await sharedValidator(t);
      if (!validator) return;
      const problems = validator.validate(lookup({ ...schemaResource(), 'meta:extensible': 'no' }));
      assert.deepEqual(messages(problems), ['response: response body /meta:extensible must be boolean (got string "no")']);
    });

    it('accepts a 404 in the XDM error shape and rejects one in the Flow Service shape', async (t) => {
      const validator = await sharedValidator(t);
      if (!validator) return;
      const xdm404 = {
        type: 'http://ns.adobe.com/aep/errors/XDM-1012-404',
        title: 'Resource Not Found',
        status: 404,
        report: { registryRequestId: 'd2550d48-95f5-43ee-adb7-1035bf9d3258', timestamp: '11-25-2020 07:56:25', 'detailed-message': 'not found', 'sub-errors': [] },
        detail: 'not found',
      };
      assert.deepEqual(validator.validate(lookup(xdm404, 404)), []);
      assert.equal(validator.validate(lookup(flowErrorBody('1101-404', 'Resource not found'), 404)).length, 1);
    });

    it('checks the in: body parameter of POST /tenant/schemas', async (t) => {
      const validator = await sharedValidator(t);
      if (!validator) return;
      const problems = validator.validate(
        exchange({
          method: 'POST',
          path: `${XDM}/tenant/schemas`,
          requestBody: { type: 'object', title: 'Stripe charges', allOf: [{ $ref: 'https://ns.adobe.com/xdm/data/record' }] },
          status: 201,
          responseBody: schemaResource(),
        }),
      );
      assert.deepEqual(messages(problems), ['request: request body /description is required but missing']);
    });
  });

  describe('documented deviations', () => {
    const explore = (responseBody: unknown) =>
      exchange({
        method: 'GET',
        path: `${FLOW}/connections/${CONNECTION_ID}/explore`,
        query: { objectType: 'rest', object: 'json', fileType: 'json', preview: 'false', sourceParams: 'eyJyZXNvdXJjZVBhdGgiOiJjaGFyZ2VzIn0=' },
        status: 200,
        responseBody,
      });
    const hierarchical = { format: 'hierarchical', schema: { type: 'object', properties: { data: { type: 'object', properties: { id: { type: 'string' } } } } } };

    it('accepts the hierarchical explore response of REST sources', async (t) => {
      const validator = await sharedValidator(t);
      if (!validator) return;
      assert.deepEqual(validator.validate(explore(hierarchical)), []);
      assert.deepEqual(validator.validate(explore({ ...hierarchical, data: [{ data: { id: 'ch_1' } }] })), []);
    });

    it('still checks the explore body against the documented hierarchical shape', async (t) => {
      const validator = await sharedValidator(t);
      if (!validator) return;
      assert.deepEqual(messages(validator.validate(explore({ format: 'flat', schema: {} }))), ['response: response body /format must be "hierarchical" (got "flat")']);
      assert.equal(validator.validate(explore([{ type: 'file', name: 'a.json', path: '/a.json', canPreview: 'yes' }])).length, 1);
    });

    it('reports the hierarchical explore response when the deviation list is empty', async (t) => {
      const validator = await freshValidator(t, { deviations: [] });
      if (!validator) return;
      assert.deepEqual(
        validator.validate(explore(hierarchical)).map((p) => p.where),
        ['request', 'response'],
      );
    });

    it('accepts epoch-millisecond dates from Data Prep but still checks them', async (t) => {
      const validator = await sharedValidator(t);
      if (!validator) return;
      const created = (createdDate: unknown) =>
        validator.validate(
          exchange({
            method: 'POST',
            path: `${DATA_PREP}/mappingSets`,
            requestBody: {
              outputSchema: { schemaRef: { id: 'https://ns.adobe.com/x/schemas/y', contentType: 'application/vnd.adobe.xed-full+json;version=1' } },
              mappings: [{ sourceType: 'ATTRIBUTE', source: 'data.id', destination: '_x.id' }],
            },
            status: 200,
            responseBody: { id: 'f4aad280fdec4770b7e33066945919d8', version: 0, createdDate, modifiedDate: 1709860257007, createdBy: 'a', modifiedBy: 'a' },
          }),
        );
      assert.deepEqual(created(1709860257007), []);
      assert.deepEqual(created('2024-03-08T01:10:57Z'), []);
      assert.deepEqual(messages(created('yesterday')), ['response: response body /createdDate must match format "date-time" (got "yesterday")']);
      assert.equal(created(-5).length, 1);
    });

    it('accepts a stored flow with startTime and backfill echoed as strings, but not other types', async (t) => {
      const validator = await sharedValidator(t);
      if (!validator) return;
      const getFlow = (scheduleParams: unknown) =>
        validator.validate(
          exchange({
            method: 'GET',
            path: `${FLOW}/flows/${FLOW_ID}`,
            status: 200,
            responseBody: {
              items: [
                {
                  id: FLOW_ID,
                  name: 'Stripe flow',
                  state: 'enabled',
                  etag: ETAG,
                  version: ETAG,
                  scheduleParams,
                  transformations: [{ name: 'Mapping', params: { mappingId: 'f4aad280fdec4770b7e33066945919d8', mappingVersion: '0' } }],
                },
              ],
            },
          }),
        );
      assert.deepEqual(getFlow({ startTime: '1612310466', frequency: 'week', interval: '15', backfill: 'true' }), []);
      assert.deepEqual(getFlow({ startTime: 1612310466, frequency: 'week', interval: '15', backfill: true }), []);
      assert.deepEqual(messages(getFlow({ startTime: 'soon', frequency: 'week', interval: 15, backfill: 'yes' })), [
        'response: response body /items/0/scheduleParams/startTime must be integer (got string "soon")',
        'response: response body /items/0/scheduleParams/interval must be string (got integer 15)',
        'response: response body /items/0/scheduleParams/backfill must be boolean (got string "yes")',
      ]);
    });

    it('accepts a last Schema Registry page with next: null, but not a numeric next', async (t) => {
      const validator = await sharedValidator(t);
      if (!validator) return;
      const list = (next: unknown) =>
        validator.validate(
          exchange({
            method: 'GET',
            path: `${XDM}/tenant/schemas`,
            requestHeaders: { accept: 'application/vnd.adobe.xed-id+json' },
            status: 200,
            responseBody: { results: [], _page: { orderby: 'title', next, count: 0 }, _links: { next } },
          }),
        );
      assert.deepEqual(list(null), []);
      assert.deepEqual(list('/data/foundation/schemaregistry/tenant/schemas?start=abc'), []);
      assert.deepEqual(messages(list(2)), ['response: response body /_page/next must be string (got integer 2)', 'response: response body /_links/next must be string (got integer 2)']);
    });

    it('accepts a flow spec whose transformationSpecs is an array of named entries', async (t) => {
      const validator = await sharedValidator(t);
      if (!validator) return;
      const flowSpecs = (transformationSpecs: unknown) =>
        validator.validate(
          exchange({ method: 'GET', path: `${FLOW}/flowSpecs`, status: 200, responseBody: { items: [{ id: '6499120c-0b15-42dc-936e-847ea3c24d72', name: 'RestStorageToAEP', transformationSpecs }] } }),
        );
      assert.deepEqual(flowSpecs([{ name: 'Mapping', spec: { type: 'object' } }]), []);
      assert.deepEqual(flowSpecs({ name: 'Mapping', spec: { type: 'object' } }), []);
      assert.equal(flowSpecs(['Mapping']).length, 1);
    });

    it('accepts Data Prep validation results with errors: null', async (t) => {
      const validator = await sharedValidator(t);
      if (!validator) return;
      const problems = validator.validate(
        exchange({
          method: 'POST',
          path: `${DATA_PREP}/mappingSets/validate`,
          requestBody: { mappings: [] },
          status: 200,
          responseBody: {
            validationResponse: [
              { status: 'SUCCESS', errors: null },
              { status: 'FAILED', errors: [{ destination: 'x', exception: 'boom' }] },
            ],
          },
        }),
      );
      assert.deepEqual(problems, []);
    });
  });
});

describe('ContractValidator.load', () => {
  it('resolves null when the specs directory does not exist', async () => {
    assert.equal(await ContractValidator.load('/nonexistent/shared/reference/aep-openapi'), null);
  });

  it('gives the same validator to every caller for the same directory', async (t) => {
    const first = await sharedValidator(t);
    if (!first) return;
    assert.equal(await ContractValidator.load(), first);
    assert.equal(await ContractValidator.load(path.resolve(process.cwd(), '../shared/reference/aep-openapi/')), first);
  });

  it('rejects a deviation that names an operation or query parameter the specs do not have', async (t) => {
    if (!(await sharedValidator(t))) return;
    const rule = { id: 'typo', api: 'flow-service' as const, aspect: 'query' as const, reason: 'r', source: 's' };
    await assert.rejects(
      ContractValidator.load(undefined, { deviations: [{ ...rule, operation: 'GET /flow/{FLOW_ID}', rule: {} }] }),
      /deviation 'typo' names GET \/flow\/\{FLOW_ID\}, which no spec documents/,
    );
    await assert.rejects(
      ContractValidator.load(undefined, { deviations: [{ ...rule, operation: 'POST /flows/{FLOW_ID}/action', rule: { query: { params: ['subop'], optional: true } } }] }),
      /relaxes query parameter 'subop'/,
    );
  });

  it('compiles every body schema of the four specs, and reports timings', async (t) => {
    const started = performance.now();
    const validator = await freshValidator(t);
    if (!validator) return;
    const loadMs = performance.now() - started;
    const compileStarted = performance.now();
    const { compiled, failures } = validator.compileAll();
    const compileMs = performance.now() - compileStarted;
    assert.deepEqual(failures, []);
    assert.ok(compiled > 150, `only ${compiled} schemas compiled`);

    const sample = createConnection();
    const rounds = 2000;
    const validateStarted = performance.now();
    for (let i = 0; i < rounds; i++) validator.validate(sample);
    const perExchangeUs = ((performance.now() - validateStarted) / rounds) * 1000;
    t.diagnostic(`load ${loadMs.toFixed(0)} ms; compile all ${compiled} schemas ${compileMs.toFixed(0)} ms; validate ${perExchangeUs.toFixed(1)} µs per exchange`);
  });
});

describe('ContractValidator.coverage', () => {
  it('counts each operation by method and spec path', async (t) => {
    const validator = await freshValidator(t);
    if (!validator) return;
    validator.validate(createConnection());
    validator.validate(createConnection());
    validator.validate(exchange({ method: 'GET', path: `${FLOW}/connections/${CONNECTION_ID}`, status: 200, responseBody: { items: [connectionItem()] } }));
    validator.validate(exchange({ method: 'GET', path: '/__emulator/requests', status: 200 }));
    assert.deepEqual(validator.coverage(), [
      { operation: `GET ${FLOW}/connections/{BASE_CONNECTION_ID}`, count: 1 },
      { operation: `POST ${FLOW}/connections`, count: 2 },
    ]);
  });

  it('lists unseen operations with count 0 on request, and forgets counts on reset', async (t) => {
    const validator = await freshValidator(t);
    if (!validator) return;
    validator.validate(createConnection());
    const all = validator.coverage({ includeUnseen: true });
    assert.ok(all.length > 100, `${all.length} operations`);
    assert.deepEqual(
      all.find((row) => row.operation === `POST ${FLOW}/connections`),
      { operation: `POST ${FLOW}/connections`, count: 1 },
    );
    assert.deepEqual(
      all.find((row) => row.operation === `GET ${CATALOG}`),
      { operation: `GET ${CATALOG}`, count: 0 },
    );
    validator.resetCoverage();
    assert.deepEqual(validator.coverage(), []);
  });
});
