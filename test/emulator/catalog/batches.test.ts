import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { completeBatch, createBatch, type NewBatch } from '../../../emulator/services/catalog/batches.js';
import type { SandboxPartition } from '../../../emulator/state/store.js';
import { checkContract } from '../support/contract-check.js';
import { CATALOG, REGISTRY, startTestEmulator, type PlatformResponse, type TestEmulator } from '../support/emulator-client.js';

const ORG = 'FLOWGATE0000000000000000@AdobeOrg';
const XED_V1 = 'application/vnd.adobe.xed+json;version=1';
/** 2024-03-12T00:00:00Z in epoch milliseconds. */
const T0_MS = 1_710_201_600_000;

function assertCatalogError(response: PlatformResponse, status: number, code: string, title: string, detail: string): void {
  assert.equal(response.status, status, response.text);
  assert.equal(response.body.type, `http://ns.adobe.com/aep/errors/CAT-${code}`);
  assert.equal(response.body.title, title);
  assert.equal(response.body.status, status);
  assert.equal(response.body.detail, detail);
}

describe('Catalog batches', () => {
  let t: TestEmulator;
  let prod: SandboxPartition;
  let schemaId: string;
  const newDataset = async (name: string): Promise<string> => {
    const response = await t.client.post(`${CATALOG}/dataSets`, { name, schemaRef: { id: schemaId, contentType: XED_V1 } });
    assert.equal(response.status, 201, response.text);
    return (response.body[0] as string).replace('@/dataSets/', '');
  };
  const batch = (datasetId: string, overrides: Partial<NewBatch> = {}): NewBatch => ({
    datasetId,
    runId: 'run-1',
    recordsRead: 10,
    recordsWritten: 0,
    failedRecords: 0,
    errors: [],
    status: 'loading',
    createdMs: T0_MS,
    outputBytes: 0,
    ...overrides,
  });
  const datasetWire = async (id: string) => (await t.client.get(`${CATALOG}/dataSets/${id}`)).body[id];

  before(async () => {
    t = await startTestEmulator();
    prod = t.emulator.context.store.partition(ORG, 'prod');
    const klass = await t.client.post(`${REGISTRY}/tenant/classes`, { type: 'object', title: 'Charges', description: 'x', allOf: [{ $ref: 'https://ns.adobe.com/xdm/data/record' }] });
    const schema = await t.client.post(`${REGISTRY}/tenant/schemas`, { type: 'object', title: 'Charges schema', description: 'x', allOf: [{ $ref: klass.body.$id }] });
    schemaId = schema.body.$id;
  });
  after(() => t.stop());

  describe('createBatch, then GET /batches/{id}', () => {
    it('records a loading batch under a ULID, related to its dataset, which the dataset names as its last batch', async () => {
      const datasetId = await newDataset('Loading');
      const id = createBatch(prod, batch(datasetId));
      assert.match(id, /^[0-9A-HJKMNP-TV-Z]{26}$/);
      const response = await t.client.get(`${CATALOG}/batches/${id}`);
      assert.equal(response.status, 200, response.text);
      assert.deepEqual(Object.keys(response.body), [id]);
      const wire = response.body[id];
      assert.equal(typeof wire.sandboxId, 'string');
      assert.deepEqual(
        { ...wire, sandboxId: '*' },
        {
          imsOrg: ORG,
          sandboxId: '*',
          created: T0_MS,
          updated: T0_MS,
          createdClient: 'acp_foundation_connectors',
          createdUser: 'acp_foundation_connectors@AdobeID',
          updatedUser: 'acp_foundation_connectors@AdobeID',
          status: 'loading',
          version: '1.0.0',
          relatedObjects: [{ type: 'dataSet', id: datasetId }],
          started: T0_MS,
          recordCount: 10,
          failedRecordCount: 0,
          size: 0,
          errors: [],
          metrics: { recordsRead: 10, recordsWritten: 0, failedRecordCount: 0, outputByteSize: 0, startTime: T0_MS },
        },
      );
      const dataset = await datasetWire(datasetId);
      assert.equal(dataset.lastBatchId, id);
      assert.equal(dataset.lastBatchStatus, 'loading');
    });
  });

  describe('completeBatch', () => {
    it('sets status, counts, errors and completion time, and the dataset’s last (successful) batch', async () => {
      const datasetId = await newDataset('Completing');
      const id = createBatch(prod, batch(datasetId, { outputBytes: 2048 }));
      completeBatch(prod, id, {
        status: 'success',
        recordsWritten: 8,
        failedRecords: 2,
        errors: [{ code: 'MAPPER-3700-400', description: 'Type mismatch', rows: 2 }],
        completedMs: T0_MS + 90_000,
      });
      const wire = (await t.client.get(`${CATALOG}/batches/${id}`)).body[id];
      assert.equal(wire.status, 'success');
      assert.equal(wire.updated, T0_MS + 90_000);
      assert.equal(wire.completed, T0_MS + 90_000);
      assert.equal(wire.version, '1.0.1');
      assert.equal(wire.recordCount, 10);
      assert.equal(wire.failedRecordCount, 2);
      assert.equal(wire.size, 2048);
      assert.deepEqual(wire.errors, [{ code: 'MAPPER-3700-400', description: 'Type mismatch', recordCount: 2 }]);
      assert.deepEqual(wire.metrics, { recordsRead: 10, recordsWritten: 8, failedRecordCount: 2, outputByteSize: 2048, startTime: T0_MS, endTime: T0_MS + 90_000 });
      const dataset = await datasetWire(datasetId);
      assert.equal(dataset.lastBatchId, id);
      assert.equal(dataset.lastBatchStatus, 'success');
      assert.equal(dataset.lastSuccessfulBatch, id);
      assert.equal(dataset.lastFailedBatch, undefined);
    });

    it('records a failed batch as the dataset’s last failed batch', async () => {
      const datasetId = await newDataset('Failing');
      const id = createBatch(prod, batch(datasetId));
      completeBatch(prod, id, { status: 'failed', recordsWritten: 0, failedRecords: 10, errors: [{ code: 'CONNECTOR-2001-500', description: 'Stripe rejected the key' }], completedMs: T0_MS + 1000 });
      const dataset = await datasetWire(datasetId);
      assert.equal(dataset.lastBatchStatus, 'failed');
      assert.equal(dataset.lastFailedBatch, id);
      assert.deepEqual((await t.client.get(`${CATALOG}/batches/${id}`)).body[id].errors, [{ code: 'CONNECTOR-2001-500', description: 'Stripe rejected the key' }]);
    });

    it('does not let an older batch finishing late displace a newer last batch', async () => {
      const datasetId = await newDataset('Overlapping');
      const older = createBatch(prod, batch(datasetId, { createdMs: T0_MS }));
      const newer = createBatch(prod, batch(datasetId, { createdMs: T0_MS + 60_000 }));
      completeBatch(prod, older, { status: 'success', recordsWritten: 10, failedRecords: 0, errors: [], completedMs: T0_MS + 120_000 });
      const dataset = await datasetWire(datasetId);
      assert.equal(dataset.lastBatchId, newer);
      assert.equal(dataset.lastBatchStatus, 'loading');
      assert.equal(dataset.lastSuccessfulBatch, older);
    });

    it('throws for a batch id it does not know (a programming error of the caller)', () => {
      assert.throws(() => completeBatch(prod, 'NOPE', { status: 'success', recordsWritten: 0, failedRecords: 0, errors: [], completedMs: T0_MS }), /no batch NOPE/);
    });
  });

  describe('GET /batches', () => {
    let datasetA: string;
    let datasetB: string;
    const ids: string[] = [];
    before(async () => {
      datasetA = await newDataset('List A');
      datasetB = await newDataset('List B');
      for (let i = 0; i < 4; i++) {
        const id = createBatch(prod, batch(i < 3 ? datasetA : datasetB, { createdMs: T0_MS + 1_000_000 + i * 1000 }));
        if (i === 1) completeBatch(prod, id, { status: 'failed', recordsWritten: 0, failedRecords: 10, errors: [], completedMs: T0_MS + 1_000_500 + i * 1000 });
        if (i === 2) completeBatch(prod, id, { status: 'success', recordsWritten: 10, failedRecords: 0, errors: [], completedMs: T0_MS + 1_000_500 + i * 1000 });
        ids.push(id);
      }
    });
    const list = async (query: Record<string, string>) => {
      const response = await t.client.get(`${CATALOG}/batches`, { query });
      assert.equal(response.status, 200, response.text);
      return Object.keys(response.body);
    };

    it('answers the batches of one dataset with ?dataSet=, keyed by id, oldest first', async () => {
      assert.deepEqual(await list({ dataSet: datasetA }), ids.slice(0, 3));
      assert.deepEqual(await list({ dataSet: datasetB }), [ids[3]]);
    });

    it('orders with orderBy=desc:created and limits', async () => {
      assert.deepEqual(await list({ dataSet: datasetA, orderBy: 'desc:created', limit: '2' }), [ids[2], ids[1]]);
    });

    it('filters by status, createdAfter and createdBefore (both exclusive)', async () => {
      assert.deepEqual(await list({ dataSet: datasetA, status: 'failed' }), [ids[1]]);
      assert.deepEqual(await list({ dataSet: datasetA, status: '!loading' }), [ids[1], ids[2]]);
      assert.deepEqual(await list({ createdAfter: String(T0_MS + 1_000_000), createdBefore: String(T0_MS + 1_003_000) }), [ids[1], ids[2]]);
    });

    it('answers 400 CAT-1006-400 for a non-numeric createdAfter', async () => {
      assertCatalogError(
        await t.client.get(`${CATALOG}/batches`, { query: { createdAfter: 'yesterday' } }),
        400,
        '1006-400',
        'Invalid query parameter',
        `The createdAfter parameter must be an integer between 0 and ${Number.MAX_SAFE_INTEGER}, not 'yesterday'.`,
      );
    });

    it('shows nothing of prod from sandbox dev', async () => {
      const response = await t.client.get(`${CATALOG}/batches`, { sandbox: 'dev' });
      assert.deepEqual(response.body, {});
      assert.equal((await t.client.get(`${CATALOG}/batches/${ids[0]}`, { sandbox: 'dev' })).status, 404);
    });
  });

  describe('GET /batches/{id} for an unknown id', () => {
    it('answers 404 CAT-1004-404', async () => {
      assertCatalogError(
        await t.client.get(`${CATALOG}/batches/01HZZZZZZZZZZZZZZZZZZZZZZZ`),
        404,
        '1004-404',
        'Not Found',
        "Batch '01HZZZZZZZZZZZZZZZZZZZZZZZ' was not found in this organization and sandbox.",
      );
    });
  });

  describe('when the dataset is deleted', () => {
    it('removes its records, keeps its batches readable with status "deleted", and a late batch is still recorded', async () => {
      const datasetId = await newDataset('Doomed');
      const id = createBatch(prod, batch(datasetId));
      completeBatch(prod, id, { status: 'success', recordsWritten: 1, failedRecords: 0, errors: [], completedMs: T0_MS + 5000 });
      prod.datasetRecords.set(datasetId, [{ batchId: id, runId: 'run-1', record: { a: 1 } }]);
      assert.equal((await t.client.delete(`${CATALOG}/dataSets/${datasetId}`)).status, 200);
      assert.equal(prod.datasetRecords.has(datasetId), false);
      const wire = (await t.client.get(`${CATALOG}/batches/${id}`)).body[id];
      assert.equal(wire.status, 'deleted');
      const late = createBatch(prod, batch(datasetId));
      assert.equal((await t.client.get(`${CATALOG}/batches/${late}`)).status, 200);
    });
  });

  it('every exchange conformed to the published contract', async (ctx) => {
    await checkContract(t.exchanges, (m) => ctx.skip(m));
  });
});
