import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { finishedState } from '../../src/store/operation-ledger.js';
import type { Operation, Resource } from '../../src/store/rows.js';

const at = new Date('2026-12-01T00:00:00Z');
const resource = (overrides: Partial<Resource> = {}): Resource => ({
  id: '0b6f3c1e-7d7a-4c55-9a43-3a1f6b2e8d10',
  type: 'DATAFLOW',
  sandbox: 'prod',
  name: 'flow',
  description: 'before',
  state: 'ENABLED',
  platformId: 'p-1',
  etag: '"1"',
  spec: { schedule: { frequency: 'once', interval: null, startTime: 1_800_000_000, backfill: null }, mappingVersion: 0 },
  snapshot: { id: 'p-1' },
  stripeResource: 'charges',
  connectionId: null,
  sourceConnectionId: null,
  targetConnectionId: null,
  schemaId: null,
  datasetId: null,
  mappingId: null,
  createdAt: at,
  updatedAt: at,
  deletedAt: null,
  ...overrides,
});
const operation = (type: string): Operation => ({
  id: '7f1c2d3e-4b5a-4c6d-8e9f-0a1b2c3d4e5f',
  type,
  status: 'RUNNING',
  attempts: 1,
  progress: 0,
  message: null,
  resourceType: 'DATAFLOW',
  resourceId: resource().id,
  sandbox: 'prod',
  input: {},
  error: null,
  requestedBy: 'apikey:test',
  requestId: null,
  idempotencyKey: null,
  inputHash: null,
  createdAt: at,
  updatedAt: at,
  finishedAt: null,
});
const error = { code: 'PLATFORM_REJECTED' as const, message: 'no', retryable: false };

describe('finishedState (what finishing an operation writes)', () => {
  it('writes every column a success changed, and keeps the rest', () => {
    const { after, write, action } = finishedState(operation('UPDATE_DATAFLOW'), resource(), { status: 'SUCCEEDED', changes: { description: 'after', etag: '"2"' }, action: 'UPDATED', message: 'ok' });
    assert.equal(write, 'all');
    assert.equal(action, 'UPDATED');
    assert.deepEqual({ description: after.description, etag: after.etag, name: after.name, snapshot: after.snapshot }, { description: 'after', etag: '"2"', name: 'flow', snapshot: { id: 'p-1' } });
  });

  it('shows a first creation with nothing before it in the audit trail', () => {
    const pending = resource({ state: 'PENDING', platformId: null, etag: null });
    assert.equal(finishedState(operation('CREATE_DATAFLOW'), pending, { status: 'SUCCEEDED', changes: { platformId: 'p-1', state: 'ENABLED' }, action: 'CREATED', message: 'ok' }).auditBefore, null);
    assert.notEqual(finishedState(operation('UPDATE_DATAFLOW'), resource(), { status: 'SUCCEEDED', changes: {}, action: 'UPDATED', message: 'ok' }).auditBefore, null);
  });

  it('refuses a spec that does not fit the resource type', () => {
    assert.throws(() => finishedState(operation('UPDATE_DATAFLOW'), resource(), { status: 'SUCCEEDED', changes: { spec: { schedule: 'hourly' } }, action: 'UPDATED', message: 'ok' }));
  });

  it('on a conflict writes only the fresh etag and snapshot, so a concurrent success is not undone', () => {
    const { after, write, action } = finishedState(operation('UPDATE_DATAFLOW'), resource(), { status: 'FAILED', error, conflict: { etag: '"9"', snapshot: { id: 'p-1', description: 'theirs' } } });
    assert.equal(write, 'etag-and-snapshot');
    assert.equal(action, 'CONFLICT_DETECTED');
    assert.deepEqual({ etag: after.etag, snapshot: after.snapshot }, { etag: '"9"', snapshot: { id: 'p-1', description: 'theirs' } });
  });

  it('marks a failed create FAILED and leaves a failed update as it was', () => {
    const created = finishedState(operation('CREATE_DATAFLOW'), resource({ state: 'PENDING', platformId: null }), { status: 'FAILED', error, conflict: null });
    assert.deepEqual({ write: created.write, state: created.after.state, action: created.action }, { write: 'state', state: 'FAILED', action: 'CREATE_DATAFLOW_FAILED' });
    const updated = finishedState(operation('UPDATE_DATAFLOW'), resource(), { status: 'FAILED', error, conflict: null });
    assert.deepEqual({ write: updated.write, state: updated.after.state, action: updated.action }, { write: 'none', state: 'ENABLED', action: 'UPDATE_DATAFLOW_FAILED' });
  });
});
