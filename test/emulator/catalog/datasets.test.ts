import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { checkContract } from '../support/contract-check.js';
import { CATALOG, REGISTRY, startTestEmulator, type PlatformResponse, type TestEmulator } from '../support/emulator-client.js';

const TENANT = 'flowgatelocal';
const ORG = 'FLOWGATE0000000000000000@AdobeOrg';
const XED_V1 = 'application/vnd.adobe.xed+json;version=1';
/** 2024-03-12T00:00:00Z in epoch seconds. */
const T0 = 1_710_201_600;

function assertCatalogError(response: PlatformResponse, status: number, code: string, title: string, detail: string): void {
  assert.equal(response.status, status, response.text);
  assert.equal(response.body.type, `http://ns.adobe.com/aep/errors/CAT-${code}`);
  assert.equal(response.body.title, title);
  assert.equal(response.body.status, status);
  assert.equal(response.body.detail, detail);
  assert.equal(response.body.report['detailed-message'], detail);
}

const idOf = (response: PlatformResponse) => (response.body[0] as string).replace('@/dataSets/', '');

describe('Catalog datasets', () => {
  let t: TestEmulator;
  let schemaId: string;
  let otherSchemaId: string;
  const create = (body: unknown, query?: Record<string, string>, sandbox?: string) => t.client.post(`${CATALOG}/dataSets`, body, { query, sandbox });
  const dataset = (name: string, overrides: Record<string, unknown> = {}) => ({ name, schemaRef: { id: schemaId, contentType: XED_V1 }, ...overrides });

  before(async () => {
    t = await startTestEmulator();
    await t.client.control('POST', '/clock', { now: T0 });
    const klass = await t.client.post(`${REGISTRY}/tenant/classes`, { type: 'object', title: 'Charges', description: 'x', allOf: [{ $ref: 'https://ns.adobe.com/xdm/data/record' }] });
    for (const title of ['Charges schema', 'Refunds schema']) {
      const schema = await t.client.post(`${REGISTRY}/tenant/schemas`, { type: 'object', title, description: 'x', allOf: [{ $ref: klass.body.$id }] });
      assert.equal(schema.status, 201, schema.text);
      if (title === 'Charges schema') schemaId = schema.body.$id;
      else otherSchemaId = schema.body.$id;
    }
  });
  after(() => t.stop());

  describe('POST /dataSets', () => {
    describe('with a name and a schemaRef of this sandbox (the tutorial’s ?requestDataSource=true)', () => {
      it('answers 201 ["@/dataSets/<24 hex>"] with a Location header, and GET answers the dataset keyed by its id', async () => {
        const response = await create(dataset('Stripe charges', { description: 'Charges from Stripe', tags: { unifiedProfile: ['enabled: false'] } }), { requestDataSource: 'true' });
        assert.equal(response.status, 201, response.text);
        assert.equal(response.body.length, 1);
        assert.match(response.body[0], /^@\/dataSets\/[0-9a-f]{24}$/);
        const id = idOf(response);
        assert.equal(response.headers.get('location'), `${CATALOG}/dataSets/${id}`);

        const read = await t.client.get(`${CATALOG}/dataSets/${id}`);
        assert.equal(read.status, 200, read.text);
        assert.deepEqual(Object.keys(read.body), [id]);
        const stored = read.body[id];
        assert.match(stored.viewId, /^[0-9a-f]{24}$/);
        assert.equal(typeof stored.dataSourceId, 'number');
        assert.equal(typeof stored.sandboxId, 'string');
        assert.deepEqual(
          { ...stored, viewId: '*', dataSourceId: '*', sandboxId: '*' },
          {
            version: '1.0.0',
            imsOrg: ORG,
            sandboxId: '*',
            name: 'Stripe charges',
            description: 'Charges from Stripe',
            schemaRef: { id: schemaId, contentType: XED_V1 },
            tags: { unifiedProfile: ['enabled: false'], 'adobe/pqs/table': ['stripe_charges'], 'adobe/siphon/table/format': ['parquet'] },
            classification: { dataBehavior: 'record', managedBy: 'CUSTOMER' },
            created: T0 * 1000,
            updated: T0 * 1000,
            createdClient: 'flowgate-local',
            createdUser: 'flowgate-local@AdobeID',
            updatedUser: 'flowgate-local@AdobeID',
            viewId: '*',
            files: `@/dataSetFiles?dataSetId=${id}`,
            observableSchema: {},
            dataSourceId: '*',
          },
        );
      });
    });

    describe('when name is missing', () => {
      it('answers 400 CAT-1001-400', async () => {
        assertCatalogError(await create({ schemaRef: { id: schemaId, contentType: XED_V1 } }), 400, '1001-400', 'Missing required field', "'name' is required.");
      });
    });

    describe('when schemaRef is missing', () => {
      it('answers 400 CAT-1001-400, pointing a deprecated `schema` string at schemaRef', async () => {
        assertCatalogError(await create({ name: 'x' }), 400, '1001-400', 'Missing required field', "'schemaRef' is required.");
        assertCatalogError(
          await create({ name: 'x', schema: '@/xdms/context/profile' }),
          400,
          '1001-400',
          'Missing required field',
          "'schemaRef' is required. The deprecated 'schema' attribute is not accepted; send schemaRef {id, contentType}.",
        );
      });
    });

    describe('when schemaRef.id or schemaRef.contentType is missing', () => {
      it('answers 400 CAT-1001-400 naming the field', async () => {
        assertCatalogError(await create({ name: 'x', schemaRef: { contentType: XED_V1 } }), 400, '1001-400', 'Missing required field', "'schemaRef.id' is required.");
        assertCatalogError(await create({ name: 'x', schemaRef: { id: schemaId } }), 400, '1001-400', 'Missing required field', "'schemaRef.contentType' is required.");
      });
    });

    describe('when the schema does not exist in this org and sandbox', () => {
      it('answers 400 CAT-1003-400 for an unknown id', async () => {
        const missing = `https://ns.adobe.com/${TENANT}/schemas/00ff`;
        assertCatalogError(
          await create(dataset('x', { schemaRef: { id: missing, contentType: XED_V1 } })),
          400,
          '1003-400',
          'Schema not found',
          `'schemaRef.id': schema ${missing} does not exist in this organization and sandbox. Use the schema's $id.`,
        );
      });

      it('answers 400 CAT-1003-400 from sandbox dev for a prod schema', async () => {
        const response = await create(dataset('x'), undefined, 'dev');
        assert.equal(response.status, 400, response.text);
        assert.equal(response.body.type, 'http://ns.adobe.com/aep/errors/CAT-1003-400');
      });
    });

    describe('when schemaRef.contentType names another major version', () => {
      it('answers 400 CAT-1005-400', async () => {
        assertCatalogError(
          await create(dataset('x', { schemaRef: { id: schemaId, contentType: 'application/vnd.adobe.xed+json;version=2' } })),
          400,
          '1005-400',
          'Schema version mismatch',
          "'schemaRef.contentType' application/vnd.adobe.xed+json;version=2 does not name the schema's version 1.0.",
        );
      });
    });

    describe('when an attribute has the wrong type or is read-only', () => {
      it('answers 400 CAT-1002-400 naming the attribute', async () => {
        assertCatalogError(
          await create(dataset('x', { tags: { a: 'b' } })),
          400,
          '1002-400',
          'Invalid field value',
          '\'tags\' must be an object whose values are arrays of strings, e.g. {"unifiedProfile": ["enabled:true"]}.',
        );
        assertCatalogError(await create(dataset('x', { created: 1 })), 400, '1002-400', 'Invalid field value', "'created' is assigned by Catalog and cannot be set.");
        assertCatalogError(await create(dataset(42 as unknown as string)), 400, '1002-400', 'Invalid field value', "'name' must be a string.");
      });
    });

    describe('when the body is not a JSON object', () => {
      it('answers 400 CAT-1000-400', async () => {
        assertCatalogError(await create([dataset('x')]), 400, '1000-400', 'Invalid request body', 'The request body must be a JSON object describing the dataset.');
      });
    });
  });

  describe('GET /dataSets', () => {
    const names = ['Alpha', 'Bravo', 'Charlie', 'Delta'] as const;
    /** Dataset id by name, filled in by `before`. */
    const ids = {} as Record<(typeof names)[number], string>;
    before(async () => {
      for (const [index, name] of names.entries()) {
        await t.client.control('POST', '/clock', { advanceSeconds: 10 });
        const response = await create(dataset(`List ${name}`, { schemaRef: { id: index % 2 ? otherSchemaId : schemaId, contentType: XED_V1 }, tags: { team: [index < 2 ? 'payments' : 'growth'] } }));
        ids[name] = idOf(response);
      }
    });
    const list = async (query: Record<string, string | string[]>) => {
      const response = await t.client.get(`${CATALOG}/dataSets`, { query });
      assert.equal(response.status, 200, response.text);
      return response.body as Record<string, any>;
    };

    it('answers an object keyed by dataset id, oldest first', async () => {
      const body = await list({ property: 'name~^List ' });
      assert.deepEqual(Object.keys(body), [ids.Alpha, ids.Bravo, ids.Charlie, ids.Delta]);
      assert.equal(body[ids.Alpha].name, 'List Alpha');
    });

    it('orders with orderBy=desc:created and pages with limit and start', async () => {
      const body = await list({ property: 'name~^List ', orderBy: 'desc:created', limit: '2', start: '1' });
      assert.deepEqual(Object.keys(body), [ids.Charlie, ids.Bravo]);
    });

    it('projects with properties=name,schemaRef', async () => {
      const body = await list({ property: 'name==List Bravo', properties: 'name,schemaRef' });
      assert.deepEqual(body, { [ids.Bravo]: { name: 'List Bravo', schemaRef: { id: otherSchemaId, contentType: XED_V1 } } });
    });

    it('filters with simple filters: name=a,b and name=!a', async () => {
      assert.deepEqual(Object.keys(await list({ name: 'List Alpha,List Delta' })), [ids.Alpha, ids.Delta]);
      const negated = Object.keys(await list({ name: '!List Alpha', property: 'name~^List ' }));
      assert.deepEqual(negated, [ids.Bravo, ids.Charlie, ids.Delta]);
      assert.deepEqual(Object.keys(await list({ name: 'List *ha' })), [ids.Alpha]);
    });

    it('filters with property conditions: ==, !=, ~, >, existence and absence', async () => {
      assert.deepEqual(Object.keys(await list({ property: 'name==List Charlie' })), [ids.Charlie]);
      assert.deepEqual(Object.keys(await list({ property: ['name~^List ', 'name!=List Charlie', 'name!=List Delta'] })), [ids.Alpha, ids.Bravo]);
      const bravoCreated = (await list({ property: 'name==List Bravo' }))[ids.Bravo].created;
      assert.deepEqual(Object.keys(await list({ property: ['name~^List ', `created>${bravoCreated}`] })), [ids.Charlie, ids.Delta]);
      assert.deepEqual(Object.keys(await list({ property: ['name~^List ', '!description'] })), [ids.Alpha, ids.Bravo, ids.Charlie, ids.Delta]);
      assert.deepEqual(Object.keys(await list({ property: ['name~^List ', 'description'] })), []);
    });

    it('filters by tags=team:payments', async () => {
      assert.deepEqual(Object.keys(await list({ tags: 'team:payments' })), [ids.Alpha, ids.Bravo]);
      assert.deepEqual(Object.keys(await list({ tags: 'team:*', property: 'name~^List ' })), [ids.Alpha, ids.Bravo, ids.Charlie, ids.Delta]);
    });

    it('answers at most 20 without a limit', async () => {
      for (let i = 0; i < 20; i++) await create(dataset(`Bulk ${i}`));
      assert.equal(Object.keys(await list({})).length, 20);
      assert.equal(Object.keys(await list({ limit: '100' })).length > 20, true);
    });

    for (const [label, query, detail] of [
      ['limit=0', { limit: '0' }, "The limit parameter must be an integer between 1 and 100, not '0'."],
      ['limit=101', { limit: '101' }, "The limit parameter must be an integer between 1 and 100, not '101'."],
      ['start=-1', { start: '-1' }, `The start parameter must be an integer between 0 and ${Number.MAX_SAFE_INTEGER}, not '-1'.`],
      ['orderBy=up:created', { orderBy: 'up:created' }, "The orderBy value 'up:created' is invalid: use asc:{property} or desc:{property}."],
      ['a nested property', { property: 'schemaRef.id==x' }, "The property condition 'schemaRef.id==x' is invalid: only top-level attributes can be filtered."],
    ] as const) {
      it(`answers 400 CAT-1006-400 for ${label}`, async () => {
        assertCatalogError(await t.client.get(`${CATALOG}/dataSets`, { query }), 400, '1006-400', 'Invalid query parameter', detail);
      });
    }
  });

  describe('GET /dataSets/{id}', () => {
    it('answers 404 CAT-1004-404 for an unknown id', async () => {
      assertCatalogError(await t.client.get(`${CATALOG}/dataSets/${'a'.repeat(24)}`), 404, '1004-404', 'Not Found', `Dataset '${'a'.repeat(24)}' was not found in this organization and sandbox.`);
    });

    it('answers 404 from sandbox dev for a dataset created in prod', async () => {
      const id = idOf(await create(dataset('Isolated')));
      const response = await t.client.get(`${CATALOG}/dataSets/${id}`, { sandbox: 'dev' });
      assert.equal(response.status, 404, response.text);
      assert.equal(response.body.type, 'http://ns.adobe.com/aep/errors/CAT-1004-404');
    });

    it('projects with ?properties=', async () => {
      const id = idOf(await create(dataset('Projected')));
      const response = await t.client.get(`${CATALOG}/dataSets/${id}`, { query: { properties: 'name,files,missing' } });
      assert.deepEqual(response.body, { [id]: { name: 'Projected', files: `@/dataSetFiles?dataSetId=${id}` } });
    });
  });

  describe('PATCH /dataSets/{id}', () => {
    let id: string;
    before(async () => {
      id = idOf(await create(dataset('To patch')));
      await t.client.control('POST', '/clock', { advanceSeconds: 30 });
    });
    const read = async () => (await t.client.get(`${CATALOG}/dataSets/${id}`)).body[id];

    it('with a partial object answers 200 ["@/dataSets/<id>"] and bumps the patch version', async () => {
      const before = await read();
      const response = await t.client.patch(`${CATALOG}/dataSets/${id}`, { description: 'Now described' });
      assert.equal(response.status, 200, response.text);
      assert.deepEqual(response.body, [`@/dataSets/${id}`]);
      const after = await read();
      assert.equal(after.description, 'Now described');
      assert.equal(after.name, 'To patch');
      assert.equal(after.version, '1.0.1');
      assert.equal(after.created, before.created);
      assert.equal(after.updated, before.updated + 30_000);
    });

    it('with a JSON Patch array (application/json-patch+json) answers 200, as the Profile-enable example does', async () => {
      const response = await t.client.patch(`${CATALOG}/dataSets/${id}`, [{ op: 'add', path: '/tags/unifiedProfile', value: ['enabled:true'] }], {
        headers: { 'content-type': 'application/json-patch+json' },
      });
      assert.equal(response.status, 200, response.text);
      assert.deepEqual((await read()).tags, { unifiedProfile: ['enabled:true'], 'adobe/pqs/table': ['to_patch'], 'adobe/siphon/table/format': ['parquet'] });
    });

    it('answers 400 CAT-1002-400 when patching a read-only attribute, and changes nothing', async () => {
      const before = await read();
      const response = await t.client.patch(`${CATALOG}/dataSets/${id}`, [{ op: 'replace', path: '/created', value: 1 }]);
      assertCatalogError(response, 400, '1002-400', 'Invalid field value', "'created' is assigned by Catalog and cannot be set.");
      assert.deepEqual(await read(), before);
    });

    it('answers 400 CAT-1000-400 for a patch operation that cannot apply', async () => {
      assertCatalogError(
        await t.client.patch(`${CATALOG}/dataSets/${id}`, [{ op: 'remove', path: '/enableErrorDiagnostics' }]),
        400,
        '1000-400',
        'Invalid request body',
        "Patch operation 0 (remove /enableErrorDiagnostics) failed: '/enableErrorDiagnostics' does not exist.",
      );
    });

    it('validates a new schemaRef like a create does', async () => {
      const response = await t.client.patch(`${CATALOG}/dataSets/${id}`, { schemaRef: { id: 'nope', contentType: XED_V1 } });
      assert.equal(response.status, 400, response.text);
      assert.equal(response.body.type, 'http://ns.adobe.com/aep/errors/CAT-1003-400');
    });

    it('answers 404 CAT-1004-404 for an unknown dataset', async () => {
      const response = await t.client.patch(`${CATALOG}/dataSets/${'b'.repeat(24)}`, { description: 'x' });
      assertCatalogError(response, 404, '1004-404', 'Not Found', `Dataset '${'b'.repeat(24)}' was not found in this organization and sandbox.`);
    });
  });

  describe('PUT /dataSets/{id}', () => {
    it('replaces the writable attributes and answers 200 ["@/dataSets/<id>"]', async () => {
      const id = idOf(await create(dataset('To replace', { description: 'old', tags: { a: ['b'] } })));
      const response = await t.client.put(`${CATALOG}/dataSets/${id}`, dataset('Replaced'));
      assert.equal(response.status, 200, response.text);
      assert.deepEqual(response.body, [`@/dataSets/${id}`]);
      const stored = (await t.client.get(`${CATALOG}/dataSets/${id}`)).body[id];
      assert.equal(stored.name, 'Replaced');
      assert.equal(stored.description, undefined);
      // Catalog's own tags (table name, format) stay; the client's are replaced.
      assert.deepEqual(stored.tags, { 'adobe/pqs/table': ['to_replace'], 'adobe/siphon/table/format': ['parquet'] });
      assert.equal(stored.version, '1.0.1');
    });
  });

  describe('DELETE /dataSets/{id}', () => {
    it('answers 200 ["@/dataSets/<id>"] (not 204); the dataset is then a 404', async () => {
      const id = idOf(await create(dataset('To delete')));
      const response = await t.client.delete(`${CATALOG}/dataSets/${id}`);
      assert.equal(response.status, 200, response.text);
      assert.deepEqual(response.body, [`@/dataSets/${id}`]);
      assert.equal((await t.client.get(`${CATALOG}/dataSets/${id}`)).status, 404);
      assert.equal((await t.client.delete(`${CATALOG}/dataSets/${id}`)).status, 404);
    });
  });

  it('every exchange conformed to the published contract', async (ctx) => {
    await checkContract(t.exchanges, (m) => ctx.skip(m));
  });
});
