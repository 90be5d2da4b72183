import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { checkContract } from '../support/contract-check.js';
import { CATALOG, REGISTRY, startTestEmulator, type PlatformResponse, type TestEmulator } from '../support/emulator-client.js';

const TENANT = 'flowgatelocal';
const RECORD = 'https://ns.adobe.com/xdm/data/record';
const XED_V1 = 'application/vnd.adobe.xed+json; version=1';
const XED_FULL_V1 = 'application/vnd.adobe.xed-full+json; version=1';
/** 2024-03-12T17:00:00Z, in epoch seconds (the control API's unit). */
const T0 = 1_710_262_800;

function assertXdmError(response: PlatformResponse, status: number, code: string, title: string, detail: string): void {
  assert.equal(response.status, status, response.text);
  assert.equal(response.body.type, `http://ns.adobe.com/aep/errors/XDM-${code}`);
  assert.equal(response.body.title, title);
  assert.equal(response.body.status, status);
  assert.equal(response.body.detail, detail);
}

let counter = 0;
const unique = (what: string) => `${what} ${++counter}`;

describe('Schema Registry: updating and deleting tenant resources', () => {
  let t: TestEmulator;
  const encoded = (id: string) => encodeURIComponent(id);
  const lookup = (segment: string, id: string, accept = XED_V1) => t.client.get(`${REGISTRY}/tenant/${segment}/${encoded(id)}`, { headers: { accept } });

  async function createClass(): Promise<string> {
    const response = await t.client.post(`${REGISTRY}/tenant/classes`, { type: 'object', title: unique('Class'), description: 'x', allOf: [{ $ref: RECORD }] });
    assert.equal(response.status, 201, response.text);
    return response.body.$id;
  }
  async function createFieldGroup(classId: string, fields: Record<string, unknown>): Promise<Record<string, any>> {
    const response = await t.client.post(`${REGISTRY}/tenant/fieldgroups`, {
      type: 'object',
      title: unique('Fields'),
      'meta:intendedToExtend': [classId],
      definitions: { f: { properties: { [`_${TENANT}`]: { type: 'object', properties: fields } } } },
      allOf: [{ $ref: '#/definitions/f' }],
    });
    assert.equal(response.status, 201, response.text);
    return response.body;
  }
  async function createSchema(classId: string, fieldGroupIds: string[]): Promise<Record<string, any>> {
    const response = await t.client.post(`${REGISTRY}/tenant/schemas`, {
      type: 'object',
      title: unique('Schema'),
      description: 'x',
      allOf: [{ $ref: classId }, ...fieldGroupIds.map(($ref) => ({ $ref }))],
    });
    assert.equal(response.status, 201, response.text);
    return response.body;
  }

  before(async () => {
    t = await startTestEmulator();
    await t.client.control('POST', '/clock', { now: T0 });
  });
  after(() => t.stop());

  describe('PATCH /tenant/schemas/{id}', () => {
    describe('adding a field group to allOf and meta:extends (the documented example)', () => {
      it('answers 200 with the field group added and the minor version bumped 1.0 → 1.1 → 1.2', async () => {
        const classId = await createClass();
        const first = await createFieldGroup(classId, { a: { type: 'string' } });
        const second = await createFieldGroup(classId, { b: { type: 'integer' } });
        const schema = await createSchema(classId, [first.$id]);
        await t.client.control('POST', '/clock', { advanceSeconds: 60 });
        const patched = await t.client.patch(`${REGISTRY}/tenant/schemas/${encoded(schema.$id)}`, [
          { op: 'add', path: '/meta:extends/-', value: second.$id },
          { op: 'add', path: '/allOf/-', value: { $ref: second.$id } },
        ]);
        assert.equal(patched.status, 200, patched.text);
        assert.equal(patched.body.version, '1.1');
        assert.equal(patched.body.$id, schema.$id);
        assert.deepEqual(patched.body.allOf, [{ $ref: classId }, { $ref: first.$id }, { $ref: second.$id }]);
        assert.deepEqual(patched.body['meta:extends'], [classId, RECORD, first.$id, second.$id]);
        assert.equal(patched.body['meta:registryMetadata']['repo:createdDate'], T0 * 1000);
        assert.equal(patched.body['meta:registryMetadata']['repo:lastModifiedDate'], (T0 + 60) * 1000);
        assert.notEqual(patched.body['meta:registryMetadata'].eTag, schema['meta:registryMetadata'].eTag);

        const again = await t.client.patch(`${REGISTRY}/tenant/schemas/${encoded(schema.$id)}`, [{ op: 'replace', path: '/description', value: 'Now described' }]);
        assert.equal(again.status, 200, again.text);
        assert.equal(again.body.version, '1.2');
        const full = await lookup('schemas', schema.$id, XED_FULL_V1);
        assert.equal(full.status, 200, full.text);
        assert.equal(full.body.version, '1.2');
        assert.deepEqual(Object.keys(full.body.properties[`_${TENANT}`].properties).sort(), ['a', 'b']);
      });
    });

    describe('touching a registry-assigned attribute', () => {
      it('answers 400 XDM-1002-400 and leaves the schema as it was', async () => {
        const classId = await createClass();
        const schema = await createSchema(classId, []);
        const response = await t.client.patch(`${REGISTRY}/tenant/schemas/${encoded(schema.$id)}`, [{ op: 'replace', path: '/version', value: '9.0' }]);
        assertXdmError(response, 400, '1002-400', 'Invalid attribute value', "The attribute 'version' is assigned by the registry and cannot be patched (replace /version).");
        assert.equal((await lookup('schemas', schema.$id)).body.version, '1.0');
      });
    });

    describe('with a body that is not a JSON Patch array', () => {
      it('answers 400 XDM-1000-400', async () => {
        const classId = await createClass();
        const schema = await createSchema(classId, []);
        const response = await t.client.patch(`${REGISTRY}/tenant/schemas/${encoded(schema.$id)}`, { op: 'replace', path: '/description', value: 'x' });
        assertXdmError(response, 400, '1000-400', 'Bad Request', 'The request body must be a JSON Patch array of operations.');
      });
    });

    describe('with an operation that cannot apply', () => {
      it('answers 400 XDM-1000-400 naming the operation', async () => {
        const classId = await createClass();
        const schema = await createSchema(classId, []);
        const response = await t.client.patch(`${REGISTRY}/tenant/schemas/${encoded(schema.$id)}`, [{ op: 'remove', path: '/meta:immutableTags' }]);
        assertXdmError(response, 400, '1000-400', 'Bad Request', "Patch operation 0 (remove /meta:immutableTags) failed: '/meta:immutableTags' does not exist.");
      });
    });

    describe('that leaves the schema invalid', () => {
      it('answers the validation error and keeps version 1.0', async () => {
        const classId = await createClass();
        const schema = await createSchema(classId, []);
        const response = await t.client.patch(`${REGISTRY}/tenant/schemas/${encoded(schema.$id)}`, [{ op: 'remove', path: '/allOf/0' }]);
        assertXdmError(response, 400, '1001-400', 'Missing required attribute', "The attribute 'allOf' must reference at least one resource.");
        const stored = await lookup('schemas', schema.$id);
        assert.deepEqual(stored.body, schema);
      });
    });

    describe('when the schema does not exist', () => {
      it('answers 404 XDM-1012-404', async () => {
        const missing = `https://ns.adobe.com/${TENANT}/schemas/beef`;
        const response = await t.client.patch(`${REGISTRY}/tenant/schemas/${encoded(missing)}`, [{ op: 'replace', path: '/description', value: 'x' }]);
        assertXdmError(response, 404, '1012-404', 'Resource not found', `The requested schema resource ${missing} with version 1 is not found.`);
      });
    });
  });

  describe('PATCH /tenant/fieldgroups/{id}', () => {
    it('adds a field, bumps the field group to 1.1, and schemas using it resolve the new field', async () => {
      const classId = await createClass();
      const group = await createFieldGroup(classId, { a: { type: 'string' } });
      const schema = await createSchema(classId, [group.$id]);
      const response = await t.client.patch(`${REGISTRY}/tenant/fieldgroups/${group['meta:altId']}`, [
        { op: 'add', path: `/definitions/f/properties/_${TENANT}/properties/c`, value: { type: 'boolean', title: 'C' } },
      ]);
      assert.equal(response.status, 200, response.text);
      assert.equal(response.body.version, '1.1');
      assert.deepEqual(response.body.definitions.f.properties[`_${TENANT}`].properties.c, { type: 'boolean', title: 'C', 'meta:xdmType': 'boolean' });
      const full = await lookup('schemas', schema.$id, XED_FULL_V1);
      assert.deepEqual(Object.keys(full.body.properties[`_${TENANT}`].properties).sort(), ['a', 'c']);
    });

    it('validates the patched fields: a field without a type answers 400 XDM-1004-400', async () => {
      const classId = await createClass();
      const group = await createFieldGroup(classId, { a: { type: 'string' } });
      const response = await t.client.patch(`${REGISTRY}/tenant/fieldgroups/${group['meta:altId']}`, [{ op: 'add', path: `/definitions/f/properties/_${TENANT}/properties/c`, value: { title: 'C' } }]);
      assertXdmError(response, 400, '1004-400', 'Invalid field type', `The field _${TENANT}.c has no 'type'. Every field needs one of: string, integer, number, boolean, object, array.`);
    });
  });

  describe('PUT /tenant/schemas/{id}', () => {
    it('replaces the schema, keeps its ids and creation date, and bumps the minor version', async () => {
      const classId = await createClass();
      const group = await createFieldGroup(classId, { a: { type: 'string' } });
      const schema = await createSchema(classId, []);
      await t.client.control('POST', '/clock', { advanceSeconds: 5 });
      const response = await t.client.put(`${REGISTRY}/tenant/schemas/${encoded(schema.$id)}`, {
        type: 'object',
        title: 'Replaced schema',
        description: 'Replaced',
        allOf: [{ $ref: classId }, { $ref: group.$id }],
      });
      assert.equal(response.status, 200, response.text);
      assert.equal(response.body.$id, schema.$id);
      assert.equal(response.body['meta:altId'], schema['meta:altId']);
      assert.equal(response.body.title, 'Replaced schema');
      assert.equal(response.body.version, '1.1');
      assert.deepEqual(response.body['meta:extends'], [classId, RECORD, group.$id]);
      assert.equal(response.body['meta:registryMetadata']['repo:createdDate'], schema['meta:registryMetadata']['repo:createdDate']);
      assert.ok(response.body['meta:registryMetadata']['repo:lastModifiedDate'] > schema['meta:registryMetadata']['repo:lastModifiedDate']);
    });

    it('answers 400 for a body that would not be a valid schema (no description)', async () => {
      const classId = await createClass();
      const schema = await createSchema(classId, []);
      const response = await t.client.put(`${REGISTRY}/tenant/schemas/${encoded(schema.$id)}`, { type: 'object', title: 'No description', allOf: [{ $ref: classId }] });
      assertXdmError(response, 400, '1001-400', 'Missing required attribute', "The attribute 'description' is required.");
    });
  });

  describe('DELETE', () => {
    it('deletes an unused schema with 204 and no body; a later lookup is a 404', async () => {
      const classId = await createClass();
      const schema = await createSchema(classId, []);
      const response = await t.client.delete(`${REGISTRY}/tenant/schemas/${encoded(schema.$id)}`);
      assert.equal(response.status, 204);
      assert.equal(response.text, '');
      assert.equal((await lookup('schemas', schema.$id)).status, 404);
    });

    it('refuses to delete a class that a schema implements: 400 XDM-1523-400', async () => {
      const classId = await createClass();
      const schema = await createSchema(classId, []);
      const response = await t.client.delete(`${REGISTRY}/tenant/classes/${encoded(classId)}`);
      assertXdmError(response, 400, '1523-400', 'Resource in use', `${classId} cannot be deleted: it is used by schema ${schema.$id}.`);
    });

    it('refuses to delete a field group that a schema uses: 400 XDM-1523-400', async () => {
      const classId = await createClass();
      const group = await createFieldGroup(classId, { a: { type: 'string' } });
      const schema = await createSchema(classId, [group.$id]);
      const response = await t.client.delete(`${REGISTRY}/tenant/fieldgroups/${encoded(group.$id)}`);
      assertXdmError(response, 400, '1523-400', 'Resource in use', `${group.$id} cannot be deleted: it is used by schema ${schema.$id}.`);
    });

    it('deletes a field group through the deprecated /mixins path', async () => {
      const classId = await createClass();
      const group = await createFieldGroup(classId, { a: { type: 'string' } });
      assert.equal((await t.client.delete(`${REGISTRY}/tenant/mixins/${group['meta:altId']}`)).status, 204);
      assert.equal((await lookup('fieldgroups', group.$id)).status, 404);
    });

    it('answers 404 XDM-1010-404 for a class that does not exist', async () => {
      const response = await t.client.delete(`${REGISTRY}/tenant/classes/_${TENANT}.classes.dead`);
      assertXdmError(response, 404, '1010-404', 'Resource not found', `The requested class resource _${TENANT}.classes.dead with version 1 is not found.`);
    });
  });

  describe('a schema that a dataset uses', () => {
    let classId: string;
    let group: Record<string, any>;
    let schema: Record<string, any>;
    let datasetId: string;
    before(async () => {
      classId = await createClass();
      group = await createFieldGroup(classId, { amount: { type: 'integer' }, note: { type: 'string' } });
      schema = await createSchema(classId, [group.$id]);
      const dataset = await t.client.post(`${CATALOG}/dataSets`, { name: 'Uses the schema', schemaRef: { id: schema.$id, contentType: 'application/vnd.adobe.xed+json;version=1' } });
      assert.equal(dataset.status, 201, dataset.text);
      datasetId = dataset.body[0].replace('@/dataSets/', '');
    });

    it('cannot be deleted: 400 XDM-1523-400 naming the dataset', async () => {
      const response = await t.client.delete(`${REGISTRY}/tenant/schemas/${encoded(schema.$id)}`);
      assertXdmError(response, 400, '1523-400', 'Resource in use', `${schema.$id} cannot be deleted: it is used by dataset ${datasetId}.`);
    });

    it('cannot lose a field through its field group: 400 XDM-1524-400, nothing changes', async () => {
      const response = await t.client.patch(`${REGISTRY}/tenant/fieldgroups/${encoded(group.$id)}`, [{ op: 'remove', path: `/definitions/f/properties/_${TENANT}/properties/note` }]);
      assertXdmError(
        response,
        400,
        '1524-400',
        'Breaking change not allowed',
        `Schema ${schema.$id} is used by dataset ${datasetId}, so its field _${TENANT}.note (string) cannot be removed. Only additive changes are allowed.`,
      );
      assert.equal((await lookup('fieldgroups', group.$id)).body.version, '1.0');
    });

    it('cannot change a field type: 400 XDM-1524-400', async () => {
      const response = await t.client.patch(`${REGISTRY}/tenant/fieldgroups/${encoded(group.$id)}`, [
        { op: 'replace', path: `/definitions/f/properties/_${TENANT}/properties/amount/type`, value: 'string' },
      ]);
      assertXdmError(
        response,
        400,
        '1524-400',
        'Breaking change not allowed',
        `Schema ${schema.$id} is used by dataset ${datasetId}, so its field _${TENANT}.amount (integer) cannot be changed to string. Only additive changes are allowed.`,
      );
    });

    it('can still gain a field', async () => {
      const response = await t.client.patch(`${REGISTRY}/tenant/fieldgroups/${encoded(group.$id)}`, [
        { op: 'add', path: `/definitions/f/properties/_${TENANT}/properties/extra`, value: { type: 'number' } },
      ]);
      assert.equal(response.status, 200, response.text);
      assert.equal(response.body.version, '1.1');
    });

    it('can be deleted once the dataset is gone', async () => {
      assert.equal((await t.client.delete(`${CATALOG}/dataSets/${datasetId}`)).status, 200);
      assert.equal((await t.client.delete(`${REGISTRY}/tenant/schemas/${encoded(schema.$id)}`)).status, 204);
    });
  });

  it('every exchange conformed to the published contract', async (ctx) => {
    await checkContract(t.exchanges, (m) => ctx.skip(m));
  });
});
