import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { checkContract } from '../support/contract-check.js';
import { REGISTRY, startTestEmulator, type PlatformResponse, type TestEmulator } from '../support/emulator-client.js';

const TENANT = 'flowgatelocal';
const RECORD = 'https://ns.adobe.com/xdm/data/record';
const TIME_SERIES = 'https://ns.adobe.com/xdm/data/time-series';
const XED_ID = 'application/vnd.adobe.xed-id+json';
const XED = 'application/vnd.adobe.xed+json';
const XED_V1 = 'application/vnd.adobe.xed+json; version=1';
const XED_FULL_V1 = 'application/vnd.adobe.xed-full+json; version=1';

function assertXdmError(response: PlatformResponse, status: number, code: string, title: string, detail: string): void {
  assert.equal(response.status, status, response.text);
  assert.equal(response.body.type, `http://ns.adobe.com/aep/errors/XDM-${code}`);
  assert.equal(response.body.title, title);
  assert.equal(response.body.status, status);
  assert.equal(response.body.detail, detail);
  assert.equal(response.body.report['detailed-message'], detail);
}

describe('Schema Registry: lookups, listings and the Accept header', () => {
  let t: TestEmulator;
  let classId: string;
  let fieldGroupId: string;
  let schema: Record<string, any>;
  const get = (path: string, accept?: string, extra: { query?: Record<string, string | string[]>; sandbox?: string } = {}) => t.client.get(`${REGISTRY}${path}`, { headers: { accept }, ...extra });

  before(async () => {
    t = await startTestEmulator();
    const klass = await t.client.post(`${REGISTRY}/tenant/classes`, {
      type: 'object',
      title: 'Payments',
      description: 'Payment records',
      allOf: [{ $ref: RECORD }],
    });
    classId = klass.body.$id;
    const group = await t.client.post(`${REGISTRY}/tenant/fieldgroups`, {
      type: 'object',
      title: 'Charge fields',
      'meta:intendedToExtend': [classId],
      definitions: {
        charge: {
          properties: {
            [`_${TENANT}`]: {
              type: 'object',
              properties: {
                charges_data: {
                  type: 'object',
                  title: 'Charges',
                  description: 'Stripe charge',
                  properties: { id: { type: 'string', title: 'Charge id' }, amount: { type: 'integer', minimum: 0, maximum: 100 } },
                },
              },
            },
          },
        },
      },
      allOf: [{ $ref: '#/definitions/charge' }],
    });
    fieldGroupId = group.body.$id;
    const created = await t.client.post(`${REGISTRY}/tenant/schemas`, { type: 'object', title: 'Charges', description: 'Stripe charges', allOf: [{ $ref: classId }, { $ref: fieldGroupId }] });
    assert.equal(created.status, 201, created.text);
    schema = created.body;
  });
  after(() => t.stop());

  describe('GET /stats', () => {
    it('answers the tenant id, the org and counts of what the tenant container holds', async () => {
      const response = await get('/stats');
      assert.equal(response.status, 200, response.text);
      assert.equal(response.body.imsOrg, 'FLOWGATE0000000000000000@AdobeOrg');
      assert.equal(response.body.tenantId, TENANT);
      assert.deepEqual(response.body.counts, { schemas: 1, mixins: 1, datatypes: 0, classes: 1, unions: 0 });
      assert.equal(response.body.recentlyCreatedResources.length, 3);
      for (const item of response.body.recentlyCreatedResources) {
        assert.deepEqual(
          Object.keys(item)
            .filter((k) => ['$id', 'meta:altId', 'title', 'version'].includes(k))
            .sort(),
          ['$id', 'meta:altId', 'title', 'version'],
        );
      }
      assert.ok(response.body.recentlyUpdatedResources.some((r: any) => r.$id === schema.$id && r['meta:class'] === classId && r['meta:classTitle'] === 'Payments'));
      assert.deepEqual(response.body.classUsage, [
        { $id: classId, title: 'Payments', numberOfSchemas: 1, schemas: [{ $id: schema.$id, 'meta:altId': schema['meta:altId'], title: 'Charges', description: 'Stripe charges' }] },
      ]);
    });
  });

  describe('GET /global/behaviors', () => {
    it('lists record, time-series and adhoc with the xed-id Accept header', async () => {
      const response = await get('/global/behaviors', XED_ID);
      assert.equal(response.status, 200, response.text);
      assert.deepEqual(response.body.results.map((r: any) => r.$id).sort(), ['https://ns.adobe.com/xdm/data/adhoc', RECORD, TIME_SERIES]);
      assert.deepEqual(Object.keys(response.body.results[0]).sort(), ['$id', 'meta:altId', 'title', 'version']);
    });

    it('looks up a behavior by its meta:altId', async () => {
      const response = await get('/global/behaviors/_xdm.data.time-series', XED_V1);
      assert.equal(response.status, 200, response.text);
      assert.equal(response.body.$id, TIME_SERIES);
      assert.equal(response.body['meta:resourceType'], 'behaviors');
      assert.ok(response.body.definitions['time-series'].properties.timestamp);
    });

    it('answers 404 XDM-1013-404 for an unknown behavior', async () => {
      assertXdmError(
        await get(`/global/behaviors/${encodeURIComponent('https://ns.adobe.com/xdm/data/nope')}`, XED_V1),
        404,
        '1013-404',
        'Resource not found',
        'The requested behavior resource https://ns.adobe.com/xdm/data/nope with version 1 is not found.',
      );
    });
  });

  describe('GET /global/classes', () => {
    it('lists the standard classes a tenant schema may implement', async () => {
      const response = await get('/global/classes', XED_ID);
      assert.equal(response.status, 200, response.text);
      assert.deepEqual(response.body.results.map((r: any) => r.$id).sort(), ['https://ns.adobe.com/xdm/context/experienceevent', 'https://ns.adobe.com/xdm/context/profile']);
    });
  });

  describe('listing with GET /tenant/schemas', () => {
    describe('with Accept: application/vnd.adobe.xed-id+json', () => {
      it('answers {results: [{$id, meta:altId, version, title}], _page, _links}', async () => {
        const response = await get('/tenant/schemas', XED_ID);
        assert.equal(response.status, 200, response.text);
        assert.deepEqual(response.body, {
          results: [{ $id: schema.$id, 'meta:altId': schema['meta:altId'], version: '1.0', title: 'Charges' }],
          _page: { orderby: 'updated', next: null, count: 1 },
          _links: { next: null, global_schemas: { href: `${REGISTRY}/global/schemas` } },
        });
      });
    });

    describe('with Accept: application/vnd.adobe.xed+json', () => {
      it('answers the full resources', async () => {
        const response = await get('/tenant/schemas', XED);
        assert.equal(response.status, 200, response.text);
        assert.deepEqual(response.body.results, [schema]);
      });
    });

    describe('without an Accept header (fetch then sends */*)', () => {
      it('answers 400 XDM-1006-400 "Accept header invalid"', async () => {
        assertXdmError(
          await get('/tenant/schemas'),
          400,
          '1006-400',
          'Accept header invalid',
          'The supplied Accept header is not valid: */* - A valid Accept value should look like application/vnd.adobe.{xed|xdm}+json',
        );
      });
    });

    describe('with a versioned Accept header (a lookup header)', () => {
      it('answers 400 XDM-1006-400, as the troubleshooting guide shows', async () => {
        assertXdmError(
          await get('/tenant/schemas', 'application/vnd.adobe.xed+json;version=1'),
          400,
          '1006-400',
          'Accept header invalid',
          'The supplied Accept header is not valid: application/vnd.adobe.xed+json;version=1 - A valid Accept value should look like application/vnd.adobe.{xed|xdm}+json',
        );
      });
    });

    describe('with Accept: application/json', () => {
      it('answers 400 XDM-1006-400', async () => {
        const response = await get('/tenant/classes', 'application/json');
        assert.equal(response.status, 400, response.text);
        assert.equal(response.body.type, 'http://ns.adobe.com/aep/errors/XDM-1006-400');
      });
    });
  });

  describe('paging and filtering a listing', () => {
    before(async () => {
      for (const title of ['Alpha', 'Bravo', 'Charlie']) {
        const response = await t.client.post(`${REGISTRY}/tenant/classes`, { type: 'object', title, description: title, allOf: [{ $ref: title === 'Bravo' ? TIME_SERIES : RECORD }] });
        assert.equal(response.status, 201, response.text);
      }
    });

    it('orders by title and pages with start = the last title seen', async () => {
      const first = await get('/tenant/classes', XED_ID, { query: { orderby: 'title', limit: '2' } });
      assert.equal(first.status, 200, first.text);
      assert.deepEqual(
        first.body.results.map((r: any) => r.title),
        ['Alpha', 'Bravo'],
      );
      assert.deepEqual(first.body._page, { orderby: 'title', next: 'Bravo', count: 2 });
      assert.equal(first.body._links.next, `${REGISTRY}/tenant/classes?orderby=title&start=Bravo&limit=2`);
      const second = await get('/tenant/classes', XED_ID, { query: { orderby: 'title', limit: '2', start: 'Bravo' } });
      assert.deepEqual(
        second.body.results.map((r: any) => r.title),
        ['Charlie', 'Payments'],
      );
      assert.deepEqual(second.body._page, { orderby: 'title', next: null, count: 2 });
    });

    it('orders descending with a leading -', async () => {
      const response = await get('/tenant/classes', XED_ID, { query: { orderby: '-title' } });
      assert.deepEqual(
        response.body.results.map((r: any) => r.title),
        ['Payments', 'Charlie', 'Bravo', 'Alpha'],
      );
    });

    it('filters with property=meta:intendedToExtend==<class>', async () => {
      const response = await get('/tenant/fieldgroups', XED_ID, { query: { property: `meta:intendedToExtend==${classId}` } });
      assert.deepEqual(
        response.body.results.map((r: any) => r.$id),
        [fieldGroupId],
      );
      const none = await get('/tenant/fieldgroups', XED_ID, { query: { property: 'meta:intendedToExtend==https://ns.adobe.com/xdm/context/profile' } });
      assert.deepEqual(none.body.results, []);
    });

    it('filters with property=title!=… and an existence check', async () => {
      const response = await get('/tenant/classes', XED_ID, { query: { property: ['title!=Alpha', 'description'], orderby: 'title' } });
      assert.deepEqual(
        response.body.results.map((r: any) => r.title),
        ['Bravo', 'Charlie', 'Payments'],
      );
    });

    describe('when limit is given without orderby', () => {
      it('answers 400 XDM-1002-400', async () => {
        assertXdmError(
          await get('/tenant/classes', XED_ID, { query: { limit: '2' } }),
          400,
          '1002-400',
          'Invalid attribute value',
          "The 'limit' and 'start' parameters can only be used together with 'orderby'.",
        );
      });
    });
  });

  describe('looking up a schema', () => {
    it('finds it by URL-encoded $id with Accept xed+json; version=1, exactly as created', async () => {
      const response = await get(`/tenant/schemas/${encodeURIComponent(schema.$id)}`, XED_V1);
      assert.equal(response.status, 200, response.text);
      assert.deepEqual(response.body, schema);
    });

    it('finds it by meta:altId', async () => {
      const response = await get(`/tenant/schemas/${schema['meta:altId']}`, XED_V1);
      assert.equal(response.status, 200, response.text);
      assert.equal(response.body.$id, schema.$id);
    });

    describe('with Accept xed-full+json; version=1', () => {
      it('answers the class, behavior and field group fields merged into one properties tree', async () => {
        const response = await get(`/tenant/schemas/${encodeURIComponent(schema.$id)}`, XED_FULL_V1);
        assert.equal(response.status, 200, response.text);
        assert.equal(response.body.allOf, undefined);
        assert.deepEqual(Object.keys(response.body.properties).sort(), ['_flowgatelocal', '_id']);
        assert.equal(response.body.properties._id.type, 'string');
        const charges = response.body.properties[`_${TENANT}`].properties.charges_data;
        assert.equal(charges.title, 'Charges');
        assert.deepEqual(charges.properties.amount, { type: 'integer', minimum: 0, maximum: 100, 'meta:xdmType': 'byte' });
        assert.equal(response.body['meta:class'], classId);
      });
    });

    describe('with Accept xed-full-notext+json; version=1', () => {
      it('strips field titles and descriptions', async () => {
        const response = await get(`/tenant/schemas/${encodeURIComponent(schema.$id)}`, 'application/vnd.adobe.xed-full-notext+json; version=1');
        assert.equal(response.status, 200, response.text);
        const charges = response.body.properties[`_${TENANT}`].properties.charges_data;
        assert.equal(charges.title, undefined);
        assert.equal(charges.description, undefined);
        assert.equal(charges.properties.id.title, undefined);
        assert.equal(response.body.title, 'Charges');
      });
    });

    describe('without an Accept header (fetch then sends */*)', () => {
      it('answers 400 XDM-1007-400 "Accept header invalid"', async () => {
        assertXdmError(
          await get(`/tenant/schemas/${encodeURIComponent(schema.$id)}`),
          400,
          '1007-400',
          'Accept header invalid',
          'The supplied Accept header is not valid: */* - A valid Accept value should look like application/vnd.adobe.xed+json; version={MAJOR_VERSION}',
        );
      });
    });

    describe('with an Accept header that has no version', () => {
      it('answers 400 XDM-1007-400', async () => {
        const response = await get(`/tenant/schemas/${encodeURIComponent(schema.$id)}`, XED);
        assert.equal(response.status, 400, response.text);
        assert.equal(response.body.type, 'http://ns.adobe.com/aep/errors/XDM-1007-400');
      });
    });

    describe('with an unknown xed variant', () => {
      it('answers 400 XDM-1007-400', async () => {
        const response = await get(`/tenant/schemas/${encodeURIComponent(schema.$id)}`, 'application/vnd.adobe.xed-everything+json; version=1');
        assert.equal(response.status, 400, response.text);
        assert.equal(response.body.type, 'http://ns.adobe.com/aep/errors/XDM-1007-400');
      });
    });

    describe('with a major version the schema does not have', () => {
      it('answers 406 "Invalid Accept format"', async () => {
        assertXdmError(
          await get(`/tenant/schemas/${encodeURIComponent(schema.$id)}`, 'application/vnd.adobe.xed+json; version=2'),
          406,
          '1018-406',
          'Invalid Accept format',
          `Version 2 of ${schema.$id} is not available; the resource is at version 1.0.`,
        );
      });
    });

    describe('when it does not exist', () => {
      it('answers 404 XDM-1012-404 "Resource not found"', async () => {
        const missing = `https://ns.adobe.com/${TENANT}/schemas/0123`;
        assertXdmError(
          await get(`/tenant/schemas/${encodeURIComponent(missing)}`, XED_V1),
          404,
          '1012-404',
          'Resource not found',
          `The requested schema resource ${missing} with version 1 is not found.`,
        );
      });
    });

    describe('in the global container', () => {
      it('answers 404, because tenant schemas live in the tenant container', async () => {
        const response = await get(`/global/schemas/${encodeURIComponent(schema.$id)}`, XED_V1);
        assert.equal(response.status, 404, response.text);
        assert.equal(response.body.type, 'http://ns.adobe.com/aep/errors/XDM-1012-404');
      });
    });
  });

  describe('looking up a class or field group that does not exist', () => {
    it('answers 404 XDM-1010-404 for a class and XDM-1011-404 for a field group', async () => {
      assertXdmError(
        await get('/tenant/classes/_flowgatelocal.classes.00', XED_V1),
        404,
        '1010-404',
        'Resource not found',
        'The requested class resource _flowgatelocal.classes.00 with version 1 is not found.',
      );
      assertXdmError(
        await get('/tenant/fieldgroups/_flowgatelocal.mixins.00', XED_V1),
        404,
        '1011-404',
        'Resource not found',
        'The requested field group resource _flowgatelocal.mixins.00 with version 1 is not found.',
      );
    });
  });

  describe('tenant isolation', () => {
    it('answers 404 from sandbox dev for a schema created in prod, and dev lists nothing', async () => {
      const response = await get(`/tenant/schemas/${encodeURIComponent(schema.$id)}`, XED_V1, { sandbox: 'dev' });
      assert.equal(response.status, 404, response.text);
      assert.equal(response.body.type, 'http://ns.adobe.com/aep/errors/XDM-1012-404');
      const list = await get('/tenant/schemas', XED_ID, { sandbox: 'dev' });
      assert.deepEqual(list.body.results, []);
      const stats = await get('/stats', undefined, { sandbox: 'dev' });
      assert.deepEqual(stats.body.counts, { schemas: 0, mixins: 0, datatypes: 0, classes: 0, unions: 0 });
    });

    it('lets dev reuse a title taken in prod', async () => {
      const response = await t.client.post(`${REGISTRY}/tenant/classes`, { type: 'object', title: 'Payments', description: 'x', allOf: [{ $ref: RECORD }] }, { sandbox: 'dev' });
      assert.equal(response.status, 201, response.text);
    });
  });

  it('every exchange conformed to the published contract', async (ctx) => {
    await checkContract(t.exchanges, (m) => ctx.skip(m));
  });
});
