import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { readinessOf } from '../../src/domain/resource-readiness.js';

describe('readinessOf', () => {
  it('is USABLE only for a live resource that exists on the Platform', () => {
    assert.equal(readinessOf({ state: 'READY', platformId: 'p' }), 'USABLE');
    assert.equal(readinessOf({ state: 'ENABLED', platformId: 'p' }), 'USABLE');
    assert.equal(readinessOf({ state: 'DISABLED', platformId: 'p' }), 'USABLE');
  });

  it('is PENDING while the create is queued or running, whatever the platform id says', () => {
    assert.equal(readinessOf({ state: 'PENDING', platformId: null }), 'PENDING');
    assert.equal(readinessOf({ state: 'PENDING', platformId: 'p' }), 'PENDING');
    assert.equal(readinessOf({ state: 'READY', platformId: null }), 'PENDING');
  });

  it('is FAILED for a failed create and GONE for a deleted or deleting resource', () => {
    assert.equal(readinessOf({ state: 'FAILED', platformId: null }), 'FAILED');
    assert.equal(readinessOf({ state: 'DELETED', platformId: 'p' }), 'GONE');
    assert.equal(readinessOf({ state: 'DELETING', platformId: 'p' }), 'GONE');
  });
});
