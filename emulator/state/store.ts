import { randomUUID } from 'node:crypto';

/**
 * All emulator state, partitioned by IMS org and sandbox: a resource created in one
 * org/sandbox is invisible from every other, as on the Platform.
 *
 * Records hold the resource exactly as the Platform returns it (`wire`) plus whatever the
 * emulator needs internally and must never show (`secret`, bookkeeping).
 */
export interface SandboxPartition {
  readonly orgId: string;
  readonly sandboxName: string;
  readonly sandboxId: string;
  readonly connections: Map<string, ConnectionRecord>;
  readonly sourceConnections: Map<string, WireRecord>;
  readonly targetConnections: Map<string, WireRecord>;
  readonly flows: Map<string, FlowRecord>;
  readonly runs: Map<string, WireRecord>;
  readonly mappingSets: Map<string, MappingSetRecord>;
  readonly datasets: Map<string, WireRecord>;
  readonly batches: Map<string, WireRecord>;
  /** Mapped XDM records per dataset id, in ingestion order. */
  readonly datasetRecords: Map<string, DatasetRecord[]>;
  /** Schema Registry tenant container: classes, field groups (mixins), schemas, keyed by `$id`. */
  readonly xdm: {
    readonly classes: Map<string, XdmRecord>;
    readonly fieldGroups: Map<string, XdmRecord>;
    readonly schemas: Map<string, XdmRecord>;
  };
}

export interface WireRecord {
  /** The resource as the Platform returns it. */
  wire: Record<string, any>;
}

export interface ConnectionRecord extends WireRecord {
  /** Auth params as sent; never returned in clear. */
  authParams: Record<string, unknown>;
}

export interface FlowRecord extends WireRecord {
  /** Epoch seconds of the next scheduled run not yet produced; null when the schedule is exhausted. */
  nextRunAtSeconds: number | null;
  /** Scheduled runs produced so far. */
  runCount: number;
  /** Epoch seconds of the latest run's scheduled time, and the end of the data window it read. */
  lastRunAtSeconds?: number;
  lastWindowEndSeconds?: number;
  /** On-demand runs (`POST /runs`) requested so far. */
  onDemandRunCount?: number;
  /** The delta column the first on-demand run named; later runs may not name another. */
  deltaColumn?: string;
}

export interface MappingSetRecord {
  /** Every version of the set, index = version number. */
  versions: Record<string, any>[];
}

export interface XdmRecord {
  wire: Record<string, any>;
}

export interface DatasetRecord {
  batchId: string;
  runId: string;
  record: Record<string, unknown>;
}

export class EmulatorStore {
  private readonly partitions = new Map<string, SandboxPartition>();

  constructor(private readonly options: { orgIds: string[]; sandboxes: string[] }) {}

  hasOrg(orgId: string): boolean {
    return this.options.orgIds.includes(orgId);
  }

  hasSandbox(name: string): boolean {
    return this.options.sandboxes.includes(name);
  }

  /** The partition of an org and sandbox, created on first use (with `sandboxId` when restoring one). The caller checks both exist. */
  partition(orgId: string, sandboxName: string, sandboxId?: string): SandboxPartition {
    const key = `${orgId}\u0000${sandboxName}`;
    let partition = this.partitions.get(key);
    if (!partition) {
      partition = {
        orgId,
        sandboxName,
        sandboxId: sandboxId ?? randomUUID(),
        connections: new Map(),
        sourceConnections: new Map(),
        targetConnections: new Map(),
        flows: new Map(),
        runs: new Map(),
        mappingSets: new Map(),
        datasets: new Map(),
        batches: new Map(),
        datasetRecords: new Map(),
        xdm: { classes: new Map(), fieldGroups: new Map(), schemas: new Map() },
      };
      this.partitions.set(key, partition);
    }
    return partition;
  }

  allPartitions(): SandboxPartition[] {
    return [...this.partitions.values()];
  }

  reset(): void {
    this.partitions.clear();
  }
}
