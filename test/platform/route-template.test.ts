import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { platformApiOf, platformRouteOf, routeTemplate } from '../../src/platform/route-template.js';

describe('routeTemplate', () => {
  it('replaces uuids, hex ids, numbers and URL-encoded schema ids by {id}, keeping the API words', () => {
    assert.equal(routeTemplate('/data/foundation/flowservice/flows/3f1c9e52-0b7a-4d3e-9a41-2c8d5e7f1a90/runs'), '/data/foundation/flowservice/flows/{id}/runs');
    assert.equal(routeTemplate('/data/foundation/catalog/dataSets/5f3a9c2e8b1d4e0012345678'), '/data/foundation/catalog/dataSets/{id}');
    assert.equal(routeTemplate('/data/foundation/schemaregistry/tenant/schemas/https%3A%2F%2Fns.adobe.com%2Fflowgatelocal%2Fschemas%2Fabc'), '/data/foundation/schemaregistry/tenant/schemas/{id}');
    assert.equal(routeTemplate('/data/foundation/flowservice/connections/abcdefabcdef/test?x=1'), '/data/foundation/flowservice/connections/{id}/test');
    assert.equal(routeTemplate('/data/foundation/conversion/mappingSets'), '/data/foundation/conversion/mappingSets');
  });
});

describe('platformApiOf', () => {
  it('names the API of each Platform path, and IMS', () => {
    assert.equal(platformApiOf('/data/foundation/flowservice/flows'), 'flow-service');
    assert.equal(platformApiOf('/data/foundation/conversion/mappingSets'), 'data-prep');
    assert.equal(platformApiOf('/data/foundation/catalog/dataSets'), 'catalog');
    assert.equal(platformApiOf('/data/foundation/schemaregistry/stats'), 'schema-registry');
    assert.equal(platformApiOf('/ims/token/v3'), 'ims');
    assert.equal(platformApiOf('/somewhere/else'), 'other');
  });
});

describe('platformRouteOf', () => {
  it('describes each path as platformApiOf and routeTemplate do, however many distinct paths came before', () => {
    for (let i = 0; i < 2500; i++) {
      const id = `${String(i).padStart(8, '0')}-0b7a-4d3e-9a41-2c8d5e7f1a90`;
      assert.deepEqual(platformRouteOf(`/data/foundation/flowservice/flows/${id}/runs`), { api: 'flow-service', route: '/data/foundation/flowservice/flows/{id}/runs' });
      assert.deepEqual(platformRouteOf('/data/foundation/catalog/dataSets'), { api: 'catalog', route: '/data/foundation/catalog/dataSets' });
    }
    assert.deepEqual(platformRouteOf('/data/foundation/schemaregistry/tenant/schemas'), { api: 'schema-registry', route: '/data/foundation/schemaregistry/tenant/schemas' });
  });
});
