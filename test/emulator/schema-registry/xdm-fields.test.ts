import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { primaryOrgId } from '../../../emulator/config.js';
import { findSchema, majorVersionOf, schemaFieldPaths, schemaVersionMatches } from '../../../emulator/services/schema-registry/xdm-fields.js';
import type { SandboxPartition, XdmRecord } from '../../../emulator/state/store.js';
import { REGISTRY, startTestEmulator, type TestEmulator } from '../support/emulator-client.js';

const TENANT = 'flowgatelocal';

describe('xdm-fields (the resolver other services use)', () => {
  let t: TestEmulator;
  let partition: SandboxPartition;
  let schema: Record<string, any>;

  before(async () => {
    t = await startTestEmulator();
    partition = t.emulator.context.store.partition(primaryOrgId(t.emulator.options), 'prod');
    const klass = await t.client.post(`${REGISTRY}/tenant/classes`, {
      type: 'object',
      title: 'Events',
      description: 'x',
      definitions: { own: { properties: { [`_${TENANT}`]: { type: 'object', properties: { source: { type: 'string', maxLength: 20 } } } } } },
      allOf: [{ $ref: 'https://ns.adobe.com/xdm/data/time-series' }, { $ref: '#/definitions/own' }],
    });
    const group = await t.client.post(`${REGISTRY}/tenant/fieldgroups`, {
      type: 'object',
      title: 'Charge',
      'meta:intendedToExtend': [klass.body.$id],
      definitions: {
        f: {
          properties: {
            [`_${TENANT}`]: {
              type: 'object',
              properties: {
                charges_data: {
                  type: 'object',
                  properties: {
                    amount: { type: 'integer', minimum: 0, maximum: 100 },
                    ratio: { type: 'number' },
                    tags: { type: 'array', items: { type: 'string' } },
                  },
                },
              },
            },
          },
        },
      },
      allOf: [{ $ref: '#/definitions/f' }],
    });
    const created = await t.client.post(`${REGISTRY}/tenant/schemas`, { type: 'object', title: 'Events schema', description: 'x', allOf: [{ $ref: klass.body.$id }, { $ref: group.body.$id }] });
    assert.equal(created.status, 201, created.text);
    schema = created.body;
  });
  after(() => t.stop());

  describe('findSchema', () => {
    it('finds a tenant schema by $id and by meta:altId, and nothing else', () => {
      assert.equal(findSchema(partition, schema.$id)?.wire.$id, schema.$id);
      assert.equal(findSchema(partition, schema['meta:altId'])?.wire.$id, schema.$id);
      assert.equal(findSchema(partition, 'https://ns.adobe.com/xdm/context/profile'), undefined);
      assert.equal(findSchema(t.emulator.context.store.partition(primaryOrgId(t.emulator.options), 'dev'), schema.$id), undefined);
    });
  });

  describe('schemaFieldPaths', () => {
    it('lists every path of behavior, class and field group, objects included, with types and bounds', () => {
      const paths = schemaFieldPaths(partition, schema.$id)!;
      assert.deepEqual([...paths.keys()].sort(), [
        `_${TENANT}`,
        `_${TENANT}.charges_data`,
        `_${TENANT}.charges_data.amount`,
        `_${TENANT}.charges_data.ratio`,
        `_${TENANT}.charges_data.tags`,
        `_${TENANT}.source`,
        '_id',
        'timestamp',
      ]);
      assert.deepEqual(paths.get(`_${TENANT}.charges_data.amount`), { type: 'integer', minimum: 0, maximum: 100 });
      assert.deepEqual(paths.get(`_${TENANT}.charges_data.tags`), { type: 'array', items: { type: 'string' } });
      assert.deepEqual(paths.get(`_${TENANT}.source`), { type: 'string', maxLength: 20 });
      assert.deepEqual(paths.get('timestamp'), { type: 'string', xdmType: 'date-time', format: 'date-time' });
      // An object's info carries its fields, so values copied whole are checked all the way down.
      assert.deepEqual(paths.get(`_${TENANT}.charges_data`), {
        type: 'object',
        properties: {
          amount: { type: 'integer', minimum: 0, maximum: 100 },
          ratio: { type: 'number' },
          tags: { type: 'array', items: { type: 'string' } },
        },
      });
    });

    it('is undefined for a schema that does not exist', () => {
      assert.equal(schemaFieldPaths(partition, `https://ns.adobe.com/${TENANT}/schemas/none`), undefined);
    });
  });

  describe('schemaVersionMatches', () => {
    const at = (version: string): XdmRecord => ({ wire: { version } });
    for (const [value, expected] of [
      ['application/vnd.adobe.xed-full+json;version=1', true],
      ['application/vnd.adobe.xed-full+json;version=1.3', true],
      ['application/vnd.adobe.xed-full-notext+json; version=1', true],
      ['1.0', true],
      ['1', true],
      ['application/vnd.adobe.xed+json;version=2', false],
      ['2.0', false],
      ['application/vnd.adobe.xed-full+json', false],
      ['latest', false],
    ] as const) {
      it(`${expected ? 'accepts' : 'rejects'} '${value}' for a schema at 1.1`, () => {
        assert.equal(schemaVersionMatches(at('1.1'), value), expected);
      });
    }
    it('accepts an absent version (the latest)', () => {
      assert.equal(schemaVersionMatches(at('1.4'), undefined), true);
    });
    it('reads the major version of bare and media-type forms', () => {
      assert.equal(majorVersionOf('application/vnd.adobe.xed+json; version="3"'), 3);
      assert.equal(majorVersionOf('x'), undefined);
    });
  });
});
