import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { expandedReference, expressionPath, referenceId, stripeAttributes, stripeFieldRole, unixSecondsToDateTime } from '../../src/domain/stripe-fields.js';

const INT = { type: 'integer' };

describe('stripeFieldRole', () => {
  it('names expandable references per resource, by their path below the record', () => {
    assert.equal(stripeFieldRole('charges', ['customer'], { type: 'string' }), 'reference');
    assert.equal(stripeFieldRole('charges', ['transfer_data', 'destination'], { type: 'object', properties: {} }), 'reference');
    assert.equal(stripeFieldRole('refunds', ['charge'], {}), 'reference');
    assert.equal(stripeFieldRole('prices', ['product'], { type: 'string' }), 'reference');
    assert.equal(stripeFieldRole('customers', ['customer'], { type: 'string' }), 'plain', 'not a reference of a customer');
  });

  it('names timestamps and amounts by their key when the sample has an integer or null', () => {
    assert.equal(stripeFieldRole('charges', ['created'], INT), 'timestamp');
    assert.equal(stripeFieldRole('subscriptions', ['pause_collection', 'resumes_at'], {}), 'timestamp');
    assert.equal(stripeFieldRole('charges', ['created'], { type: 'string' }), 'plain', 'a string created is left alone');
    assert.equal(stripeFieldRole('balance_transactions', ['fee'], INT), 'amount');
    assert.equal(stripeFieldRole('charges', ['application_fee_amount'], {}), 'amount');
  });

  it('names metadata a map at any depth, inside list items too, where nothing else applies', () => {
    assert.equal(stripeFieldRole('charges', ['metadata'], { type: 'object', properties: {} }), 'map');
    assert.equal(stripeFieldRole('subscriptions', ['items', 'data', '[]', 'price', 'metadata'], {}, true), 'map');
    assert.equal(stripeFieldRole('subscriptions', ['items', 'data', '[]', 'created'], INT, true), 'plain');
  });
});

describe('stripeAttributes', () => {
  it('descends plain objects and stops at references, maps, arrays and scalars', () => {
    const schema = {
      type: 'object',
      properties: {
        data: {
          type: 'object',
          properties: {
            customer: { type: 'object', properties: { id: { type: 'string' } } },
            metadata: { type: 'object', properties: { a: { type: 'string' } } },
            outcome: { type: 'object', properties: { type: { type: 'string' } } },
            created: INT,
          },
        },
      },
    };
    assert.deepEqual(
      stripeAttributes(schema, 'charges').map((a) => [a.source, a.role]),
      [
        ['data.customer', 'reference'],
        ['data.metadata', 'map'],
        ['data.outcome.type', 'plain'],
        ['data.created', 'timestamp'],
      ],
    );
  });
});

describe('the generated Data Prep expressions (help/data-prep/functions.md: iif, contains_key, dformat)', () => {
  it('write a Unix timestamp as an ISO date-time through dformat on milliseconds, null staying null', () => {
    assert.equal(unixSecondsToDateTime('data.created'), `iif(data.created == null, null, dformat(data.created * 1000, "yyyy-MM-dd'T'HH:mm:ss'Z'"))`);
  });

  it("write a reference's id whichever form Stripe sent, and its expanded object only when expanded", () => {
    assert.equal(referenceId('data.customer'), 'iif(contains_key("data.customer.id"), data.customer.id, data.customer)');
    assert.equal(expandedReference('data.customer'), 'iif(contains_key("data.customer.id"), data.customer, null)');
  });

  it('wrap field names the language reserves or cannot read in ${…}', () => {
    assert.equal(expressionPath('data.end'), 'data.end');
    assert.equal(expressionPath('data.if.new'), 'data.${if}.${new}');
    assert.equal(expressionPath('data.order id'), 'data.${order id}');
  });
});
