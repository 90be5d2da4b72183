import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  destinationFor,
  destinationsOfFields,
  exploreAttributePaths,
  generateFieldMappings,
  inTenantNamespace,
  xdmFieldPaths,
  xdmFields,
  type ExploreNode,
} from '../../src/domain/mapping-generation.js';
import { xdmFromExplore } from '../../src/domain/xdm-from-explore.js';

const INT = { type: 'integer', minimum: -9007199254740992, maximum: 9007199254740991 };

/** The shape explore answers for a charge, trimmed. */
const CHARGE: ExploreNode = {
  type: 'object',
  properties: {
    data: {
      type: 'object',
      properties: {
        id: { type: 'string' },
        amount: INT,
        refunded: { type: 'boolean' },
        metadata: { type: 'object', properties: {} },
        failure_code: {},
        refunds: { type: 'object', properties: { data: { type: 'array', items: { type: 'object', properties: { id: { type: 'string' } } } } } },
        payment_method_details: { type: 'object', properties: { card: { type: 'object', properties: { brand: { type: 'string' }, last4: { type: 'string' } } } } },
      },
    },
  },
};

describe('exploreAttributePaths', () => {
  it('lists leaves in explore order, treating arrays, empty objects and untyped nodes as leaves', () => {
    assert.deepEqual(exploreAttributePaths(CHARGE), [
      'data.id',
      'data.amount',
      'data.refunded',
      'data.metadata',
      'data.failure_code',
      'data.refunds.data',
      'data.payment_method_details.card.brand',
      'data.payment_method_details.card.last4',
    ]);
  });

  it('lists nothing for an empty schema', () => {
    assert.deepEqual(exploreAttributePaths({ type: 'object', properties: {} }), []);
  });
});

describe('destinationFor', () => {
  it('writes data.x under the tenant’s <resource>_data object, as the tutorial does', () => {
    assert.equal(destinationFor('data.payment_method_details.card.last4', 'flowgatelocal', 'charges'), '_flowgatelocal.charges_data.payment_method_details.card.last4');
    assert.equal(destinationFor('data.amount', '_flowgatelocal', 'balance_transactions'), '_flowgatelocal.balance_transactions_data.amount');
  });

  it('has no destination for a path outside the data record', () => {
    assert.equal(destinationFor('meta.id', 'flowgatelocal', 'charges'), null);
  });
});

describe('generateFieldMappings', () => {
  it('maps every attribute whose destination the schema defines, and skips the others', () => {
    const schemaFields = [
      '_flowgatelocal',
      '_flowgatelocal.charges_data',
      '_flowgatelocal.charges_data.id',
      '_flowgatelocal.charges_data.amount',
      '_flowgatelocal.charges_data.payment_method_details.card.last4',
      '_id',
    ];
    assert.deepEqual(generateFieldMappings({ exploreSchema: CHARGE, schemaFields, tenantId: 'flowgatelocal', resource: 'charges' }), [
      { source: 'data.id', destination: '_flowgatelocal.charges_data.id', sourceType: 'ATTRIBUTE' },
      { source: 'data.amount', destination: '_flowgatelocal.charges_data.amount', sourceType: 'ATTRIBUTE' },
      { source: 'data.payment_method_details.card.last4', destination: '_flowgatelocal.charges_data.payment_method_details.card.last4', sourceType: 'ATTRIBUTE' },
    ]);
  });

  it('generates nothing when the schema mirrors another resource', () => {
    const schemaFields = ['_flowgatelocal.customers_data.id'];
    assert.deepEqual(generateFieldMappings({ exploreSchema: CHARGE, schemaFields, tenantId: 'flowgatelocal', resource: 'charges' }), []);
  });
});

describe('xdmFieldPaths', () => {
  it('lists objects and leaves of a resolved schema without descending into arrays', () => {
    const properties = {
      _id: { type: 'string' },
      _flowgatelocal: {
        type: 'object',
        properties: { charges_data: { type: 'object', properties: { amount: { type: 'integer' }, lines: { type: 'array', items: { type: 'object', properties: { id: { type: 'string' } } } } } } },
      },
    };
    assert.deepEqual(xdmFieldPaths(properties as never), ['_id', '_flowgatelocal', '_flowgatelocal.charges_data', '_flowgatelocal.charges_data.amount', '_flowgatelocal.charges_data.lines']);
  });
});

describe('destinationsOfFields', () => {
  it('reads tenant-relative paths under the namespace and adds every parent object', () => {
    const paths = destinationsOfFields([{ path: 'charges_data.outcome.type' }, { path: '_flowgatelocal.charges_data.amount' }, { path: '_id' }], '_flowgatelocal');
    assert.deepEqual([...paths].sort(), [
      '_flowgatelocal',
      '_flowgatelocal.charges_data',
      '_flowgatelocal.charges_data.amount',
      '_flowgatelocal.charges_data.outcome',
      '_flowgatelocal.charges_data.outcome.type',
      '_id',
    ]);
  });
});

describe('generateFieldMappings with fields that name their source', () => {
  it('follows a field renamed to fit XDM back to its explore attribute, and never maps one destination twice', () => {
    const explore: ExploreNode = {
      type: 'object',
      properties: { data: { type: 'object', properties: { 'order id': { type: 'string' }, order_id: { type: 'string' }, amount: { type: 'integer' } } } },
    };
    const schemaFields = [
      { path: '_flowgatelocal.charges_data.order_id', source: 'data.order id' },
      { path: '_flowgatelocal.charges_data.order_id_2', source: 'data.order_id' },
      { path: '_flowgatelocal.charges_data.amount', source: 'data.amount' },
    ];
    assert.deepEqual(generateFieldMappings({ exploreSchema: explore, schemaFields, tenantId: 'flowgatelocal', resource: 'charges' }), [
      { source: 'data.order id', destination: '_flowgatelocal.charges_data.order_id', sourceType: 'ATTRIBUTE' },
      { source: 'data.order_id', destination: '_flowgatelocal.charges_data.order_id_2', sourceType: 'ATTRIBUTE' },
      { source: 'data.amount', destination: '_flowgatelocal.charges_data.amount', sourceType: 'ATTRIBUTE' },
    ]);
  });
});

describe('inTenantNamespace', () => {
  it('tells tenant paths from the class’s own fields', () => {
    assert.equal(inTenantNamespace('_flowgatelocal.charges_data.amount', 'flowgatelocal'), true);
    assert.equal(inTenantNamespace('_flowgatelocal', '_flowgatelocal'), true);
    assert.equal(inTenantNamespace('_id', 'flowgatelocal'), false);
    assert.equal(inTenantNamespace('_flowgatelocalx.a', 'flowgatelocal'), false);
  });
});

describe('generateFieldMappings for what Stripe sends beyond the sample', () => {
  const explore: ExploreNode = {
    type: 'object',
    properties: {
      data: {
        type: 'object',
        properties: {
          id: { type: 'string' },
          created: INT,
          customer: { type: 'string' },
          metadata: { type: 'object', properties: {} },
          transfer_data: { type: 'object', properties: { destination: { type: 'object', properties: { id: { type: 'string' } } } } },
        },
      },
    },
  };

  it('converts timestamps for date-time fields and references for their id and expanded fields, and copies the rest', () => {
    const { fields } = xdmFromExplore(explore as never, { tenantId: 't', resource: 'charges' });
    assert.deepEqual(generateFieldMappings({ exploreSchema: explore, schemaFields: fields, tenantId: 't', resource: 'charges' }), [
      { source: 'data.id', destination: '_t.charges_data.id', sourceType: 'ATTRIBUTE' },
      { source: `iif(data.created == null, null, dformat(data.created * 1000, "yyyy-MM-dd'T'HH:mm:ss'Z'"))`, destination: '_t.charges_data.created', sourceType: 'EXPRESSION' },
      { source: 'iif(contains_key("data.customer.id"), data.customer.id, data.customer)', destination: '_t.charges_data.customer', sourceType: 'EXPRESSION' },
      { source: 'data.metadata', destination: '_t.charges_data.metadata', sourceType: 'ATTRIBUTE' },
      {
        source: 'iif(contains_key("data.transfer_data.destination.id"), data.transfer_data.destination.id, data.transfer_data.destination)',
        destination: '_t.charges_data.transfer_data.destination',
        sourceType: 'EXPRESSION',
      },
      {
        source: 'iif(contains_key("data.transfer_data.destination.id"), data.transfer_data.destination, null)',
        destination: '_t.charges_data.transfer_data.destination_expanded',
        sourceType: 'EXPRESSION',
      },
    ]);
  });

  it('copies a timestamp as it is into a schema that types it an integer (a schema made before date-times)', () => {
    const mappings = generateFieldMappings({
      exploreSchema: explore,
      schemaFields: [{ path: '_t.charges_data.created', type: 'integer', source: 'data.created' }],
      tenantId: 't',
      resource: 'charges',
    });
    assert.deepEqual(mappings, [{ source: 'data.created', destination: '_t.charges_data.created', sourceType: 'ATTRIBUTE' }]);
  });
});

describe('xdmFields', () => {
  it('lists the registry’s fields with date-time and map types where XDM says so', () => {
    const properties = {
      _t: {
        type: 'object',
        properties: {
          created: { type: 'string', format: 'date-time' },
          metadata: { type: 'object', 'meta:xdmType': 'map', additionalProperties: { type: 'string' } },
          amount: { type: 'integer' },
        },
      },
    };
    assert.deepEqual(xdmFields(properties), [
      { path: '_t', type: 'object' },
      { path: '_t.created', type: 'date-time' },
      { path: '_t.metadata', type: 'map' },
      { path: '_t.amount', type: 'integer' },
    ]);
  });
});
