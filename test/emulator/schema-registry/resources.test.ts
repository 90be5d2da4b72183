import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { checkContract } from '../support/contract-check.js';
import { REGISTRY, startTestEmulator, type PlatformResponse, type TestEmulator } from '../support/emulator-client.js';

const TENANT = 'flowgatelocal';
const RECORD = 'https://ns.adobe.com/xdm/data/record';
const PROFILE = 'https://ns.adobe.com/xdm/context/profile';

/** Asserts a Schema Registry error: status, `XDM-<code>` type, title, and the exact detail (or a pattern). */
function assertXdmError(response: PlatformResponse, status: number, code: string, title: string, detail: string | RegExp): void {
  assert.equal(response.status, status, response.text);
  assert.equal(response.body.type, `http://ns.adobe.com/aep/errors/XDM-${code}`);
  assert.equal(response.body.title, title);
  assert.equal(response.body.status, status);
  if (typeof detail === 'string') assert.equal(response.body.detail, detail);
  else assert.match(response.body.detail, detail);
  assert.equal(response.body.report['detailed-message'], response.body.detail);
  assert.deepEqual(response.body.report['sub-errors'], []);
  assert.match(response.body.report.registryRequestId, /^[0-9a-f-]{36}$/);
  assert.match(response.body.report.timestamp, /^\d{2}-\d{2}-\d{4} \d{2}:\d{2}:\d{2}$/);
}

let counter = 0;
const unique = (what: string) => `${what} ${++counter}`;

function classBody(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return { type: 'object', title: unique('Payments class'), description: 'Stripe payments', allOf: [{ $ref: RECORD }], ...overrides };
}

function fieldGroupBody(classId: string, fields: Record<string, unknown>, overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    type: 'object',
    title: unique('Charge fields'),
    description: 'Charge fields',
    'meta:intendedToExtend': [classId],
    definitions: { charge: { properties: { [`_${TENANT}`]: { type: 'object', properties: fields } } } },
    allOf: [{ $ref: '#/definitions/charge' }],
    ...overrides,
  };
}

describe('Schema Registry: creating tenant resources', () => {
  let t: TestEmulator;
  let classId: string;

  before(async () => {
    t = await startTestEmulator();
    const created = await t.client.post(`${REGISTRY}/tenant/classes`, classBody());
    assert.equal(created.status, 201, created.text);
    classId = created.body.$id;
  });
  after(() => t.stop());

  describe('POST /tenant/classes', () => {
    describe('with a record behavior and tenant-namespaced fields', () => {
      it('answers 201 with the registry-assigned ids, version 1.0 and metadata', async () => {
        const before = Date.now();
        const response = await t.client.post(
          `${REGISTRY}/tenant/classes`,
          classBody({
            title: 'Property',
            definitions: { property: { properties: { [`_${TENANT}`]: { type: 'object', properties: { propertyId: { type: 'string', title: 'Property ID' } } } } } },
            allOf: [{ $ref: RECORD }, { $ref: '#/definitions/property' }],
          }),
        );
        assert.equal(response.status, 201, response.text);
        const body = response.body;
        assert.match(body.$id, new RegExp(`^https://ns\\.adobe\\.com/${TENANT}/classes/[0-9a-f]{48}$`));
        assert.equal(body['meta:altId'], `_${TENANT}.classes.${body.$id.split('/').pop()}`);
        assert.equal(body['meta:resourceType'], 'classes');
        assert.equal(body.version, '1.0');
        assert.equal(body.title, 'Property');
        assert.equal(body.type, 'object');
        assert.deepEqual(body['meta:extends'], [RECORD]);
        assert.equal(body['meta:abstract'], true);
        assert.equal(body['meta:extensible'], true);
        assert.equal(body['meta:containerId'], 'tenant');
        assert.equal(body['meta:tenantNamespace'], `_${TENANT}`);
        assert.equal(body['meta:xdmType'], 'object');
        assert.equal(body.imsOrg, 'FLOWGATE0000000000000000@AdobeOrg');
        const metadata = body['meta:registryMetadata'];
        assert.ok(metadata['repo:createdDate'] >= before && metadata['repo:createdDate'] <= Date.now());
        assert.equal(metadata['repo:lastModifiedDate'], metadata['repo:createdDate']);
        assert.equal(metadata['xdm:createdClientId'], 'flowgate-local');
        assert.match(metadata.eTag, /^[0-9a-f]{64}$/);
        const field = body.definitions.property.properties[`_${TENANT}`].properties.propertyId;
        assert.deepEqual(field, { type: 'string', title: 'Property ID', 'meta:xdmType': 'string' });
      });
    });

    describe('when allOf is empty', () => {
      it('answers 400 XDM-1001-400', async () => {
        const response = await t.client.post(`${REGISTRY}/tenant/classes`, classBody({ allOf: [] }));
        assertXdmError(response, 400, '1001-400', 'Missing required attribute', "The attribute 'allOf' must reference at least one resource.");
      });
    });

    describe('when the class extends two behaviors', () => {
      it('answers 400 XDM-1002-400 naming the two allowed behaviors', async () => {
        const twoBehaviors = await t.client.post(`${REGISTRY}/tenant/classes`, classBody({ allOf: [{ $ref: RECORD }, { $ref: 'https://ns.adobe.com/xdm/data/time-series' }] }));
        assertXdmError(
          twoBehaviors,
          400,
          '1002-400',
          'Invalid attribute value',
          "A class must reference exactly one behavior (https://ns.adobe.com/xdm/data/record or https://ns.adobe.com/xdm/data/time-series) in 'allOf'; found 2.",
        );
      });
    });

    describe('when a required attribute is missing', () => {
      for (const [attribute, detail] of [
        ['title', "The attribute 'title' is required."],
        ['type', 'The attribute \'type\' is required and must be "object".'],
        ['description', "The attribute 'description' is required."],
        ['allOf', "The attribute 'allOf' is required."],
      ] as const) {
        it(`answers 400 XDM-1001-400 for a missing ${attribute}`, async () => {
          const body = classBody();
          delete body[attribute];
          assertXdmError(await t.client.post(`${REGISTRY}/tenant/classes`, body), 400, '1001-400', 'Missing required attribute', detail);
        });
      }
    });

    describe('when type is not object', () => {
      it('answers 400 XDM-1002-400', async () => {
        const response = await t.client.post(`${REGISTRY}/tenant/classes`, classBody({ type: 'string' }));
        assertXdmError(response, 400, '1002-400', 'Invalid attribute value', 'The attribute \'type\' must be "object", not "string".');
      });
    });

    describe('when the title is already used by any tenant resource', () => {
      it('answers 400 XDM-1521-400 "Title not unique" naming the owner', async () => {
        const first = await t.client.post(`${REGISTRY}/tenant/fieldgroups`, fieldGroupBody(classId, { a: { type: 'string' } }, { title: 'Shared title' }));
        assert.equal(first.status, 201, first.text);
        const response = await t.client.post(`${REGISTRY}/tenant/classes`, classBody({ title: 'Shared title' }));
        assertXdmError(response, 400, '1521-400', 'Title not unique', `Object titles must be unique. An object ${first.body.$id} already exists with the same title`);
      });
    });

    describe('when a custom field sits outside the tenant namespace', () => {
      it('answers 400 XDM-1021-400 naming the field', async () => {
        const response = await t.client.post(
          `${REGISTRY}/tenant/classes`,
          classBody({ definitions: { custom: { properties: { amount: { type: 'integer' } } } }, allOf: [{ $ref: RECORD }, { $ref: '#/definitions/custom' }] }),
        );
        assertXdmError(
          response,
          400,
          '1021-400',
          'Namespace validation error',
          `A custom field is defined under an invalid namespace: definitions.custom.properties.amount. All custom fields must be defined under a top-level field named _${TENANT}.`,
        );
      });
    });

    describe('when the body is not a JSON object', () => {
      it('answers 400 XDM-1000-400', async () => {
        const response = await t.client.post(`${REGISTRY}/tenant/classes`, [classBody()]);
        assertXdmError(response, 400, '1000-400', 'Bad Request', 'The request body must be a JSON object describing the resource.');
      });
    });
  });

  describe('POST /tenant/fieldgroups', () => {
    describe('with fields under the tenant namespace', () => {
      it('answers 201 with a mixins-segment id, meta:resourceType "mixins" and meta:xdmType on every field', async () => {
        const response = await t.client.post(
          `${REGISTRY}/tenant/fieldgroups`,
          fieldGroupBody(classId, {
            charges_data: {
              type: 'object',
              properties: {
                amount: { type: 'integer', minimum: -9007199254740992, maximum: 9007199254740991 },
                'payment-id': { type: 'string' },
                created: { type: 'string', format: 'date-time' },
                refunds: { type: 'array', items: { type: 'string' } },
              },
            },
          }),
        );
        assert.equal(response.status, 201, response.text);
        const body = response.body;
        assert.match(body.$id, new RegExp(`^https://ns\\.adobe\\.com/${TENANT}/mixins/[0-9a-f]{48}$`));
        assert.equal(body['meta:altId'], `_${TENANT}.mixins.${body.$id.split('/').pop()}`);
        assert.equal(body['meta:resourceType'], 'mixins');
        assert.equal(body.version, '1.0');
        assert.deepEqual(body['meta:intendedToExtend'], [classId]);
        const data = body.definitions.charge.properties[`_${TENANT}`].properties.charges_data;
        assert.equal(data['meta:xdmType'], 'object');
        assert.equal(data.properties.amount['meta:xdmType'], 'long');
        assert.equal(data.properties.created['meta:xdmType'], 'date-time');
        assert.equal(data.properties.refunds['meta:xdmType'], 'array');
        assert.equal(data.properties.refunds.items['meta:xdmType'], 'string');
      });
    });

    describe('when meta:intendedToExtend is missing', () => {
      it('answers 400 XDM-1001-400', async () => {
        const body = fieldGroupBody(classId, { a: { type: 'string' } });
        delete body['meta:intendedToExtend'];
        assertXdmError(
          await t.client.post(`${REGISTRY}/tenant/fieldgroups`, body),
          400,
          '1001-400',
          'Missing required attribute',
          "The attribute 'meta:intendedToExtend' is required: list the $id of each class this field group may extend.",
        );
      });
    });

    describe('when meta:intendedToExtend names a class that does not exist', () => {
      it('answers 400 XDM-1005-400 naming the entry', async () => {
        const missing = `https://ns.adobe.com/${TENANT}/classes/0000`;
        const response = await t.client.post(`${REGISTRY}/tenant/fieldgroups`, fieldGroupBody(missing, { a: { type: 'string' } }));
        assertXdmError(response, 400, '1005-400', 'Referenced resource not found', `meta:intendedToExtend[0] references '${missing}', which is not a class of this sandbox or the global container.`);
      });
    });

    describe('when a field has no type', () => {
      it('answers 400 XDM-1004-400 naming the field path', async () => {
        const response = await t.client.post(`${REGISTRY}/tenant/fieldgroups`, fieldGroupBody(classId, { charges_data: { type: 'object', properties: { amount: { title: 'Amount' } } } }));
        assertXdmError(
          response,
          400,
          '1004-400',
          'Invalid field type',
          `The field _${TENANT}.charges_data.amount has no 'type'. Every field needs one of: string, integer, number, boolean, object, array.`,
        );
      });
    });

    describe('when a field has a type XDM does not have', () => {
      it('answers 400 XDM-1004-400', async () => {
        const response = await t.client.post(`${REGISTRY}/tenant/fieldgroups`, fieldGroupBody(classId, { amount: { type: 'long' } }));
        assertXdmError(response, 400, '1004-400', 'Invalid field type', `The field _${TENANT}.amount has type "long"; use one of: string, integer, number, boolean, object, array.`);
      });
    });

    describe('when a field name breaks the naming rule', () => {
      for (const name of ['_private', 'has space', '-dash', 'dotted.name']) {
        it(`answers 400 XDM-1003-400 for '${name}'`, async () => {
          const response = await t.client.post(`${REGISTRY}/tenant/fieldgroups`, fieldGroupBody(classId, { [name]: { type: 'string' } }));
          assert.equal(response.status, 400, response.text);
          assert.equal(response.body.type, 'http://ns.adobe.com/aep/errors/XDM-1003-400');
          assert.equal(response.body.title, 'Invalid field name');
          assert.ok(response.body.detail.includes(`(_${TENANT}.${name})`), response.body.detail);
        });
      }
    });

    describe('when an array field has no items', () => {
      it('answers 400 XDM-1004-400', async () => {
        const response = await t.client.post(`${REGISTRY}/tenant/fieldgroups`, fieldGroupBody(classId, { tags: { type: 'array' } }));
        assertXdmError(response, 400, '1004-400', 'Invalid field type', `The array field _${TENANT}.tags needs 'items' with a type.`);
      });
    });

    describe('when a field references a data type', () => {
      it('answers 400 XDM-1005-400, since no data types exist here', async () => {
        const response = await t.client.post(`${REGISTRY}/tenant/fieldgroups`, fieldGroupBody(classId, { address: { $ref: 'https://ns.adobe.com/xdm/common/address' } }));
        assertXdmError(
          response,
          400,
          '1005-400',
          'Referenced resource not found',
          `The field _${TENANT}.address references the data type 'https://ns.adobe.com/xdm/common/address', which does not exist in this sandbox.`,
        );
      });
    });
  });

  describe('POST /tenant/mixins (deprecated alias)', () => {
    it('answers 201 with the same kind of resource as /fieldgroups', async () => {
      const response = await t.client.post(`${REGISTRY}/tenant/mixins`, fieldGroupBody(classId, { a: { type: 'boolean' } }));
      assert.equal(response.status, 201, response.text);
      assert.equal(response.body['meta:resourceType'], 'mixins');
      const lookup = await t.client.get(`${REGISTRY}/tenant/fieldgroups/${encodeURIComponent(response.body.$id)}`, {
        headers: { accept: 'application/vnd.adobe.xed+json; version=1' },
      });
      assert.equal(lookup.status, 200, lookup.text);
      assert.equal(lookup.body.$id, response.body.$id);
    });
  });

  describe('POST /tenant/schemas', () => {
    let fieldGroupId: string;
    before(async () => {
      const group = await t.client.post(`${REGISTRY}/tenant/fieldgroups`, fieldGroupBody(classId, { charges_data: { type: 'object', properties: { id: { type: 'string' } } } }));
      assert.equal(group.status, 201, group.text);
      fieldGroupId = group.body.$id;
    });

    describe('with one class and a compatible field group', () => {
      it('answers 201 with meta:class, meta:extends (class, behavior, field group) and version 1.0', async () => {
        const response = await t.client.post(`${REGISTRY}/tenant/schemas`, {
          type: 'object',
          title: unique('Charges schema'),
          description: 'Stripe charges',
          allOf: [{ $ref: classId }, { $ref: fieldGroupId }],
        });
        assert.equal(response.status, 201, response.text);
        const body = response.body;
        assert.match(body.$id, new RegExp(`^https://ns\\.adobe\\.com/${TENANT}/schemas/[0-9a-f]{48}$`));
        assert.equal(body['meta:altId'], `_${TENANT}.schemas.${body.$id.split('/').pop()}`);
        assert.equal(body['meta:resourceType'], 'schemas');
        assert.equal(body.version, '1.0');
        assert.equal(body['meta:class'], classId);
        assert.deepEqual(body['meta:extends'], [classId, RECORD, fieldGroupId]);
        assert.equal(body['meta:abstract'], false);
        assert.equal(body['meta:extensible'], false);
        assert.equal(body['meta:xdmType'], 'object');
        assert.deepEqual(body.allOf, [{ $ref: classId }, { $ref: fieldGroupId }]);
        assert.match(body['meta:registryMetadata'].eTag, /^[0-9a-f]{64}$/);
      });
    });

    describe('with a global class', () => {
      it('answers 201 when the field group extends the global class', async () => {
        const group = await t.client.post(`${REGISTRY}/tenant/fieldgroups`, fieldGroupBody(PROFILE, { loyalty: { type: 'string' } }));
        assert.equal(group.status, 201, group.text);
        const response = await t.client.post(`${REGISTRY}/tenant/schemas`, { type: 'object', title: unique('Profiles'), description: 'x', allOf: [{ $ref: PROFILE }, { $ref: group.body.$id }] });
        assert.equal(response.status, 201, response.text);
        assert.deepEqual(response.body['meta:extends'], [PROFILE, RECORD, group.body.$id]);
      });
    });

    describe('when the class does not exist', () => {
      it('answers 400 XDM-1005-400 naming the allOf entry', async () => {
        const missing = `https://ns.adobe.com/${TENANT}/classes/ffff`;
        const response = await t.client.post(`${REGISTRY}/tenant/schemas`, { type: 'object', title: unique('S'), description: 'x', allOf: [{ $ref: missing }] });
        assertXdmError(
          response,
          400,
          '1005-400',
          'Referenced resource not found',
          `allOf[0] references '${missing}', which is neither a class nor a field group of this sandbox or the global container.`,
        );
      });
    });

    describe('when no class is referenced', () => {
      it('answers 400 XDM-1002-400', async () => {
        const response = await t.client.post(`${REGISTRY}/tenant/schemas`, { type: 'object', title: unique('S'), description: 'x', allOf: [{ $ref: fieldGroupId }] });
        assertXdmError(response, 400, '1002-400', 'Invalid attribute value', "A schema must reference exactly one class in 'allOf'; found 0.");
      });
    });

    describe('when two classes are referenced', () => {
      it('answers 400 XDM-1002-400', async () => {
        const response = await t.client.post(`${REGISTRY}/tenant/schemas`, { type: 'object', title: unique('S'), description: 'x', allOf: [{ $ref: classId }, { $ref: PROFILE }] });
        assertXdmError(response, 400, '1002-400', 'Invalid attribute value', "A schema must reference exactly one class in 'allOf'; found 2.");
      });
    });

    describe('when a field group is not compatible with the class', () => {
      it('answers 400 XDM-1522-400 listing what the field group extends', async () => {
        const response = await t.client.post(`${REGISTRY}/tenant/schemas`, { type: 'object', title: unique('S'), description: 'x', allOf: [{ $ref: PROFILE }, { $ref: fieldGroupId }] });
        assertXdmError(response, 400, '1522-400', 'Field group not compatible', `Field group ${fieldGroupId} is not compatible with class ${PROFILE}: its meta:intendedToExtend is [${classId}].`);
      });
    });

    describe('when a referenced field group does not exist', () => {
      it('answers 400 XDM-1005-400', async () => {
        const missing = `https://ns.adobe.com/${TENANT}/mixins/abcd`;
        const response = await t.client.post(`${REGISTRY}/tenant/schemas`, { type: 'object', title: unique('S'), description: 'x', allOf: [{ $ref: classId }, { $ref: missing }] });
        assertXdmError(
          response,
          400,
          '1005-400',
          'Referenced resource not found',
          `allOf[1] references '${missing}', which is neither a class nor a field group of this sandbox or the global container.`,
        );
      });
    });

    describe('when two field groups define one path with different types', () => {
      it('answers 400 XDM-1413-400 "Merge Schema Error" naming the path', async () => {
        const a = await t.client.post(`${REGISTRY}/tenant/fieldgroups`, fieldGroupBody(classId, { amount: { type: 'string' } }));
        const b = await t.client.post(`${REGISTRY}/tenant/fieldgroups`, fieldGroupBody(classId, { amount: { type: 'integer' } }));
        const response = await t.client.post(`${REGISTRY}/tenant/schemas`, {
          type: 'object',
          title: unique('S'),
          description: 'x',
          allOf: [{ $ref: classId }, { $ref: a.body.$id }, { $ref: b.body.$id }],
        });
        assertXdmError(response, 400, '1413-400', 'Merge Schema Error', `Cannot merge incompatible data types. These paths are defined with different types: _${TENANT}.amount (string, integer).`);
      });
    });

    describe('when the schema defines fields itself', () => {
      it('answers 400 XDM-1002-400', async () => {
        const response = await t.client.post(`${REGISTRY}/tenant/schemas`, {
          type: 'object',
          title: unique('S'),
          description: 'x',
          allOf: [{ $ref: classId }],
          definitions: { own: { properties: {} } },
        });
        assertXdmError(response, 400, '1002-400', 'Invalid attribute value', "A schema cannot define fields itself ('definitions'/'properties'); add them through a field group in 'allOf'.");
      });
    });
  });

  it('every exchange conformed to the published contract', async (ctx) => {
    await checkContract(t.exchanges, (m) => ctx.skip(m));
  });
});
