import type pg from 'pg';
import { ApiKeyStore } from './api-key.store.js';
import { AuditArchive } from './audit-archive.js';
import { AuditChainVerifier } from './audit-chain.js';
import { AuditSealer } from './audit-sealer.js';
import { AuditVacuum } from './audit-vacuum.js';
import { AuditStore } from './audit.store.js';
import { CreateFence } from './create-fence.js';
import { DataflowObservationStore } from './dataflow-observation.store.js';
import { FlowRunStore } from './flow-run.store.js';
import { NodeStore } from './node.store.js';
import { OnboardingStore } from './onboarding.store.js';
import { OperationLedger } from './operation-ledger.js';
import { OperationStore } from './operation.store.js';
import type { Database } from './prisma.js';
import { ResourceStore } from './resource.store.js';
import type { SecretBox } from './secret-box.js';
import { SecretStore } from './secret.store.js';
import { WatchdogStore } from './watchdog.store.js';
import { WebhookStore } from './webhook.store.js';
import { MetricsReads } from './metrics-reads.js';
import type { StoreObserver } from './store-observer.js';

export interface StoreOptions {
  /** Up to this many matches an audit page's `totalCount` is exact (AUDIT_EXACT_COUNT_LIMIT); default 10,000. */
  auditExactCountLimit?: number;
  /** Told about operations and steps as the ledgers write them, and chain verdicts (metrics). */
  observer?: StoreObserver;
}

/**
 * Flowgate's persistence, over one PostgreSQL pool: the OperationLedger is the one writer of
 * operations, resources and audit events; the other stores read them, and own their own tables
 * (onboardings and their steps, flow runs, API keys, dataflow health and alerts, webhooks).
 */
export class Store {
  /** The one writer of operations, resources and audit events. */
  readonly ledger: OperationLedger;
  /** One Platform create at a time per name, across processes (two runs of one create never both send it). */
  readonly createFence: CreateFence;
  readonly resources: ResourceStore;
  readonly operations: OperationStore;
  readonly audit: AuditStore;
  /** Verifies the audit hash chain (see the audit_at_scale migration). */
  readonly auditChain: AuditChainVerifier;
  /** Links written audit events into the hash chain, in batches. */
  readonly auditSealer: AuditSealer;
  readonly auditVacuum: AuditVacuum;
  /** The audit trail's monthly partitions, retention and archive. */
  readonly auditArchive: AuditArchive;
  readonly onboardings: OnboardingStore;
  readonly runs: FlowRunStore;
  readonly secrets: SecretStore;
  readonly apiKeys: ApiKeyStore;
  /** Which table holds an id (`node(id:)`). */
  readonly nodes: NodeStore;
  /** The Platform's flows as the run sync last read them (the watchdog's DRIFTED evidence). */
  readonly observations: DataflowObservationStore;
  /** Dataflow health and alerts (the watchdog's tables). */
  readonly watchdog: WatchdogStore;
  /** Webhooks, their deliveries and attempts. */
  readonly webhooks: WebhookStore;
  /** The few deployment-wide counts metrics read at scrape time. */
  readonly metricsReads: MetricsReads;
  /** The connections every store shares (for a caller's own transaction: `inTransaction`). */
  readonly pool: pg.Pool;

  constructor(
    private readonly database: Database,
    secretBox: SecretBox,
    options: StoreOptions = {},
  ) {
    const { prisma, pool } = database;
    this.pool = pool;
    const observer = options.observer;
    this.ledger = new OperationLedger(pool, observer);
    this.createFence = new CreateFence(pool);
    this.resources = new ResourceStore(pool);
    this.operations = new OperationStore(pool);
    this.audit = new AuditStore({ pool, exactCountLimit: options.auditExactCountLimit });
    this.auditChain = new AuditChainVerifier({ pool, observer });
    this.auditSealer = new AuditSealer({ pool });
    this.auditVacuum = new AuditVacuum(pool);
    this.auditArchive = new AuditArchive({ pool, sealer: this.auditSealer });
    this.onboardings = new OnboardingStore(pool, this.ledger, observer);
    this.runs = new FlowRunStore(prisma);
    this.secrets = new SecretStore(secretBox);
    this.apiKeys = new ApiKeyStore(pool);
    this.nodes = new NodeStore(pool);
    this.observations = new DataflowObservationStore(pool);
    this.watchdog = new WatchdogStore(pool);
    this.webhooks = new WebhookStore(pool);
    this.metricsReads = new MetricsReads(pool);
  }

  async ping(): Promise<void> {
    await this.pool.query('SELECT 1');
  }

  async close(): Promise<void> {
    await this.database.prisma.$disconnect();
    await this.pool.end();
  }
}
