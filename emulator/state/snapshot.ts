import type { EmulatorClock } from '../clock.js';
import type { TokenRegistry, IssuedTokenEntry } from '../http/token-registry.js';
import type { PendingRun, RequestedRun, RunEngine } from '../ingestion/run-engine.js';
import type { StripeAccounts } from '../stripe/stripe-accounts.js';
import type { Sealer } from './sealing.js';
import type { DatasetRecord, EmulatorStore, SandboxPartition } from './store.js';

/**
 * The emulator's state as a set of entries (key → JSON text), so a backend stores and updates
 * them one by one: the clock, the issued tokens (hashes only), the records added to Stripe
 * accounts, the runs in progress, and every resource of every org and sandbox — a connection's
 * auth params sealed. The request log and injected faults are test knobs and are not kept.
 */

/** What a snapshot reads and a restore writes. */
export interface StateParts {
  store: EmulatorStore;
  clock: EmulatorClock;
  tokens: TokenRegistry;
  runs: RunEngine;
  accounts: StripeAccounts;
  sealer: Sealer;
}

/** The resource maps of a partition, by the name their entries carry. */
const KINDS = ['connections', 'sourceConnections', 'targetConnections', 'flows', 'runs', 'mappingSets', 'datasets', 'batches', 'classes', 'fieldGroups', 'schemas'] as const;
type Kind = (typeof KINDS)[number];

function mapOf(partition: SandboxPartition, kind: Kind): Map<string, unknown> {
  switch (kind) {
    case 'classes':
    case 'fieldGroups':
    case 'schemas':
      return partition.xdm[kind];
    default:
      return partition[kind];
  }
}

const key = (...parts: string[]) => JSON.stringify(parts);

/**
 * Serialises a batch's rows once: a batch's records are written all at once when its run
 * completes and never change, so the same (batch, count) always serialises the same.
 */
export class SnapshotCache {
  private readonly batches = new Map<string, string>();
  private readonly finished = new WeakMap<object, string>();

  /**
   * A record's JSON, reused while it is finished: a completed run's and a completed batch's
   * objects are never changed in place again (a deleted dataset's batches get new objects).
   */
  recordText(record: { wire: Record<string, unknown> }, finished: boolean): string {
    if (!finished) return JSON.stringify(record);
    let text = this.finished.get(record.wire);
    if (text === undefined) {
      text = JSON.stringify(record);
      this.finished.set(record.wire, text);
    }
    return text;
  }

  batchText(batchId: string, rows: readonly DatasetRecord[]): string {
    const id = `${batchId}:${rows.length}`;
    let text = this.batches.get(id);
    if (text === undefined) {
      text = JSON.stringify(rows.map((r) => [r.runId, r.record]));
      this.batches.set(id, text);
    }
    return text;
  }

  private readonly seals = new Map<string, { plain: string; sealed: string }>();

  /** A connection's sealed auth params, sealed again only when they change (sealing is randomised). */
  sealed(connectionId: string, authParams: unknown, sealer: Sealer): string {
    const plain = JSON.stringify(authParams);
    const known = this.seals.get(connectionId);
    if (known?.plain === plain) return known.sealed;
    const sealed = sealer.seal(authParams);
    this.seals.set(connectionId, { plain, sealed });
    return sealed;
  }

  /** Forgets batches no longer in the state. */
  retain(ids: ReadonlySet<string>): void {
    for (const id of this.batches.keys()) if (!ids.has(id)) this.batches.delete(id);
  }
}

/** A run no longer pending, or a batch no longer loading: its object does not change again. */
function isFinished(kind: 'runs' | 'batches', record: { wire: Record<string, unknown> }, pendingIds: ReadonlySet<string>): boolean {
  if (kind === 'batches') return record.wire.status !== 'loading';
  const status = (record.wire.metrics as { statusSummary?: { status?: string } } | undefined)?.statusSummary?.status;
  return (status === 'success' || status === 'partialSuccess' || status === 'failed') && !pendingIds.has(String(record.wire.id));
}

/** Every entry of the state now. */
export function captureState(parts: StateParts, cache: SnapshotCache): Map<string, string> {
  const out = new Map<string, string>();
  out.set(key('clock'), JSON.stringify(parts.clock.snapshot()));
  out.set(key('tokens'), JSON.stringify(parts.tokens.snapshot(parts.clock.nowMs())));
  out.set(key('accounts'), JSON.stringify(parts.accounts.snapshot()));
  const runs = parts.runs.snapshot();
  for (const run of runs.pending) out.set(key('pending', run.runId), JSON.stringify(run));
  for (const run of runs.requested) out.set(key('requested', run.runId), JSON.stringify(run));
  const batchIds = new Set<string>();
  const pendingIds = new Set(runs.pending.map((run) => run.runId));
  for (const partition of parts.store.allPartitions()) {
    const { orgId, sandboxName } = partition;
    out.set(key('partition', orgId, sandboxName), JSON.stringify({ sandboxId: partition.sandboxId }));
    for (const kind of KINDS) {
      for (const [id, record] of mapOf(partition, kind)) {
        let text: string;
        if (kind === 'connections') {
          // A connection's auth params (the Stripe key) are kept sealed, never in clear.
          text = JSON.stringify({ ...(record as { authParams: unknown }), authParams: cache.sealed(id, (record as { authParams: unknown }).authParams, parts.sealer) });
        } else if (kind === 'runs' || kind === 'batches') {
          text = cache.recordText(record as { wire: Record<string, unknown> }, isFinished(kind, record as { wire: Record<string, unknown> }, pendingIds));
        } else {
          text = JSON.stringify(record);
        }
        out.set(key(orgId, sandboxName, kind, id), text);
      }
    }
    for (const [datasetId, rows] of partition.datasetRecords) {
      const byBatch = new Map<string, DatasetRecord[]>();
      for (const row of rows) byBatch.set(row.batchId, [...(byBatch.get(row.batchId) ?? []), row]);
      for (const [batchId, batchRows] of byBatch) {
        batchIds.add(`${batchId}:${batchRows.length}`);
        out.set(key(orgId, sandboxName, 'datasetRecords', datasetId, batchId), cache.batchText(batchId, batchRows));
      }
    }
  }
  cache.retain(batchIds);
  return out;
}

/** Rebuilds the state from entries (the store, clock, tokens, runs and accounts are replaced). */
export function restoreState(parts: StateParts, entries: ReadonlyMap<string, string>, warn: (message: string) => void): void {
  parts.store.reset();
  parts.accounts.reset();
  const pending: PendingRun[] = [];
  const requested: RequestedRun[] = [];
  const rows: { orgId: string; sandboxName: string; datasetId: string; batchId: string; text: string }[] = [];
  // Partitions first, so every resource lands in the partition (and sandbox id) it had.
  for (const [k, text] of entries) {
    const parsed = JSON.parse(k) as string[];
    if (parsed[0] === 'partition') parts.store.partition(parsed[1]!, parsed[2]!, (JSON.parse(text) as { sandboxId: string }).sandboxId);
  }
  for (const [k, text] of entries) {
    const parsed = JSON.parse(k) as string[];
    switch (parsed[0]) {
      case 'partition':
        continue;
      case 'clock':
        parts.clock.restore(JSON.parse(text) as number | null);
        continue;
      case 'tokens':
        parts.tokens.restore(JSON.parse(text) as IssuedTokenEntry[]);
        continue;
      case 'accounts':
        parts.accounts.restore(JSON.parse(text) as Parameters<StripeAccounts['restore']>[0]);
        continue;
      case 'pending':
        pending.push(JSON.parse(text) as PendingRun);
        continue;
      case 'requested':
        requested.push(JSON.parse(text) as RequestedRun);
        continue;
    }
    const [orgId, sandboxName, kind, id, batchId] = parsed as [string, string, string, string, string | undefined];
    const partition = parts.store.partition(orgId, sandboxName);
    if (kind === 'datasetRecords') {
      rows.push({ orgId, sandboxName, datasetId: id, batchId: batchId!, text });
      continue;
    }
    if (!(KINDS as readonly string[]).includes(kind)) {
      warn(`ignoring an entry of an unknown kind '${kind}' in the saved state`);
      continue;
    }
    const record = JSON.parse(text) as Record<string, unknown>;
    if (kind === 'connections') {
      try {
        record.authParams = parts.sealer.open(String(record.authParams));
      } catch {
        // Sealed under another key (the secret key changed): the connection stays, its Stripe key
        // does not; runs of its flows fail as with a rejected key until the key is updated.
        warn(`the saved Stripe key of connection ${id} cannot be opened with the current key; update the connection's key`);
        record.authParams = { accessToken: '' };
      }
    }
    mapOf(partition, kind as Kind).set(id, record);
  }
  // Within a dataset, batches in the order they were written (batch ids are ULIDs: time first).
  rows.sort((a, b) => a.batchId.localeCompare(b.batchId));
  for (const row of rows) {
    const partition = parts.store.partition(row.orgId, row.sandboxName);
    const list = partition.datasetRecords.get(row.datasetId) ?? [];
    for (const [runId, record] of JSON.parse(row.text) as [string, Record<string, unknown>][]) list.push({ batchId: row.batchId, runId, record });
    partition.datasetRecords.set(row.datasetId, list);
  }
  parts.runs.restore({ pending, requested });
}
