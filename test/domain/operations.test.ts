import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { OPERATION_TYPES, OPERATIONS, operationInputProblem, parseOperationInput } from '../../src/domain/operations.js';
import { RESOURCE_SPECS, checkSpec } from '../../src/domain/resource-specs.js';

const ID = '0b6f3c1e-7d7a-4c55-9a43-3a1f6b2e8d10';

describe('operation contracts', () => {
  it('has one contract per operation type, each naming the resource type it acts on', () => {
    assert.equal(OPERATION_TYPES.length, 18);
    for (const type of OPERATION_TYPES) assert.ok(OPERATIONS[type].resourceType in RESOURCE_SPECS, `${type} acts on ${OPERATIONS[type].resourceType}`);
  });

  it('parses what the gateway and the onboarding saga submit', () => {
    assert.deepEqual(parseOperationInput('UPDATE_DATAFLOW', { changes: { name: 'n', schedule: { frequency: 'hour', interval: 2, startTime: 1_800_000_000, backfill: null } }, ifMatch: '"e"' }), {
      changes: { name: 'n', schedule: { frequency: 'hour', interval: 2, startTime: 1_800_000_000, backfill: null } },
      ifMatch: '"e"',
    });
    assert.deepEqual(parseOperationInput('DELETE_CONNECTION', { cascade: false, onboardingId: ID, stepKey: 'undo:connection:create', adoptExisting: true }), {
      cascade: false,
      onboardingId: ID,
      stepKey: 'undo:connection:create',
      adoptExisting: true,
    });
    assert.deepEqual(parseOperationInput('CREATE_CONNECTION', { secretId: ID }), { secretId: ID });
  });

  it('names the first field that breaks the contract: a wrong type, a missing field, a field the contract does not know', () => {
    assert.match(operationInputProblem('UPDATE_DATAFLOW', { changes: { mappingVersion: 'two' }, ifMatch: null })!, /^input\.changes\.mappingVersion: /);
    assert.match(operationInputProblem('DELETE_CONNECTION', {})!, /^input\.cascade: /);
    assert.match(operationInputProblem('CREATE_DATASET', { schemaJson: '{}' })!, /Unrecognized key.*schemaJson/);
    assert.match(
      operationInputProblem('UPDATE_DATAFLOW', { changes: { schedule: { frequency: 'fortnight', interval: 1, startTime: 1, backfill: null } }, ifMatch: null })!,
      /^input\.changes\.schedule\.frequency: /,
    );
    assert.equal(operationInputProblem('CREATE_DATASET', {}), null);
  });

  it('requires a sealed secret where the operation carries one, and refuses one where it does not', () => {
    assert.match(operationInputProblem('CREATE_CONNECTION', {})!, /^input\.secretId: is required/);
    assert.equal(operationInputProblem('UPDATE_CONNECTION', { changes: { name: 'x' }, ifMatch: '"e"', rotatesAccessToken: false }), null);
    assert.match(operationInputProblem('CREATE_DATAFLOW', { secretId: ID })!, /^input\.secretId: must be absent/);
    assert.match(operationInputProblem('CREATE_CONNECTION', { secretId: 'not-an-id' })!, /^input\.secretId: must be a Flowgate id/);
  });
});

describe('resource specs', () => {
  it('accept what creates write and refuse a spec of the wrong shape', () => {
    assert.deepEqual(checkSpec('MAPPING', { fieldMappings: [{ source: 'data.id', destination: '_t.charges_data.id', sourceType: 'ATTRIBUTE' }], generated: false, version: null }).version, null);
    assert.deepEqual(checkSpec('DATAFLOW', { schedule: { frequency: 'once', interval: null, startTime: null, backfill: null }, mappingVersion: 0 }).mappingVersion, 0);
    assert.throws(() => checkSpec('DATAFLOW', { schedule: { frequency: 'ONCE', interval: null, startTime: null, backfill: null }, mappingVersion: 0 }));
    assert.throws(() => checkSpec('MAPPING', { fieldMappings: [{ source: 'data.id', destination: 'x', sourceType: 'COPY' }], version: null }));
  });
});
