import { newUlid } from '../../ids.js';
import type { SandboxPartition, WireRecord } from '../../state/store.js';

/**
 * Catalog batches: the run engine records one per ingestion into a dataset, and Catalog serves
 * them (`GET /batches`, `GET /batches/{id}`) in the spec's `batchResponse` shape, with the
 * metrics the Catalog docs show (`recordsRead`, `recordsWritten`, `startTime`, `endTime`).
 */

/** What the run engine knows about a batch when it starts (or finishes) one. */
export interface NewBatch {
  datasetId: string;
  runId: string;
  recordsRead: number;
  recordsWritten: number;
  failedRecords: number;
  /** `rows` is the number of records the error affected (shown as `recordCount`). */
  errors: { code: string; description: string; rows?: number }[];
  status: 'loading' | 'success' | 'failed';
  createdMs: number;
  completedMs?: number;
  outputBytes: number;
}

/** A stored batch: the wire form plus what the emulator keeps to itself. */
export interface BatchRecord extends WireRecord {
  datasetId: string;
  runId: string;
}

/** The client recorded as creator of batches the emulator's own ingestion writes. */
const INGESTION_CLIENT = 'acp_foundation_connectors';

/**
 * Records a batch in the partition and returns its id (a ULID). The dataset's
 * `lastBatchId`/`lastBatchStatus` follow it. A batch for a dataset that no longer exists is
 * still recorded (the run engine may race a delete); only the dataset update is skipped.
 */
export function createBatch(partition: SandboxPartition, batch: NewBatch): string {
  const id = newUlid(batch.createdMs);
  const record: BatchRecord = {
    datasetId: batch.datasetId,
    runId: batch.runId,
    wire: {
      imsOrg: partition.orgId,
      sandboxId: partition.sandboxId,
      created: batch.createdMs,
      updated: batch.completedMs ?? batch.createdMs,
      createdClient: INGESTION_CLIENT,
      createdUser: `${INGESTION_CLIENT}@AdobeID`,
      updatedUser: `${INGESTION_CLIENT}@AdobeID`,
      status: batch.status,
      version: '1.0.0',
      relatedObjects: [{ type: 'dataSet', id: batch.datasetId }],
      started: batch.createdMs,
    },
  };
  applyOutcome(record.wire, batch, batch.completedMs);
  partition.batches.set(id, record);
  noteOnDataset(partition, batch.datasetId, id, batch.status);
  return id;
}

/** Completes a batch created earlier: status, counts, completion time; also updates the dataset's lastBatchId/lastBatchStatus. */
export function completeBatch(
  partition: SandboxPartition,
  batchId: string,
  update: {
    status: 'success' | 'failed';
    recordsWritten: number;
    failedRecords: number;
    errors: NewBatch['errors'];
    completedMs: number;
    /** Bytes written; defaults to what `createBatch` recorded. */
    outputBytes?: number;
  },
): void {
  const record = partition.batches.get(batchId) as BatchRecord | undefined;
  if (!record) throw new Error(`completeBatch: no batch ${batchId} in ${partition.orgId}/${partition.sandboxName}`);
  const wire = record.wire;
  wire.status = update.status;
  wire.updated = update.completedMs;
  wire.version = bumpPatch(String(wire.version));
  applyOutcome(wire, { ...update, recordsRead: wire.metrics?.recordsRead ?? update.recordsWritten + update.failedRecords, outputBytes: update.outputBytes ?? wire.size ?? 0 }, update.completedMs);
  noteOnDataset(partition, record.datasetId, batchId, update.status);
}

function applyOutcome(wire: Record<string, any>, outcome: Pick<NewBatch, 'recordsRead' | 'recordsWritten' | 'failedRecords' | 'errors' | 'outputBytes'>, completedMs: number | undefined): void {
  wire.recordCount = outcome.recordsRead;
  wire.failedRecordCount = outcome.failedRecords;
  wire.size = outcome.outputBytes;
  wire.errors = outcome.errors.map((e) => ({ code: e.code, description: e.description, ...(e.rows !== undefined ? { recordCount: e.rows } : {}) }));
  wire.metrics = {
    recordsRead: outcome.recordsRead,
    recordsWritten: outcome.recordsWritten,
    failedRecordCount: outcome.failedRecords,
    outputByteSize: outcome.outputBytes,
    startTime: wire.started,
    ...(completedMs !== undefined ? { endTime: completedMs } : {}),
  };
  if (completedMs !== undefined) wire.completed = completedMs;
}

/** Keeps the dataset's last-batch attributes (`lastBatchId`, `lastBatchStatus`, `lastSuccessfulBatch`, `lastFailedBatch`) current. */
function noteOnDataset(partition: SandboxPartition, datasetId: string, batchId: string, status: string): void {
  const dataset = partition.datasets.get(datasetId);
  if (!dataset) return;
  const wire = dataset.wire;
  // An older batch finishing late does not displace a newer one as "last".
  const current = wire.lastBatchId ? partition.batches.get(wire.lastBatchId) : undefined;
  const candidate = partition.batches.get(batchId);
  if (!current || current === candidate || (candidate && candidate.wire.created >= current.wire.created)) {
    wire.lastBatchId = batchId;
    wire.lastBatchStatus = status;
  }
  if (status === 'success') wire.lastSuccessfulBatch = batchId;
  if (status === 'failed') wire.lastFailedBatch = batchId;
}

function bumpPatch(version: string): string {
  const [major = '1', minor = '0', patch = '0'] = version.split('.');
  return `${major}.${minor}.${Number(patch) + 1}`;
}
