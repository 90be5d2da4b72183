import { ApiKeyStore } from './api-key.store.js';
import { AuditChainVerifier } from './audit-chain.js';
import { AuditStore } from './audit.store.js';
import { FlowRunStore } from './flow-run.store.js';
import type { Prisma, PrismaClient } from './generated/client.js';
import { OperationHotPath } from './operation-hot-path.js';
import { OperationStore } from './operation.store.js';
import type { Database } from './prisma.js';
import { ResourceStore } from './resource.store.js';
import type { SecretBox } from './secret-box.js';
import { SecretStore } from './secret.store.js';

/** The Prisma client or a transaction of it: every store method takes either. */
export type Db = PrismaClient | Prisma.TransactionClient;

/** Flowgate's persistence: one object per table, over one Prisma client. */
export class Store {
  readonly resources: ResourceStore;
  readonly operations: OperationStore;
  readonly audit: AuditStore;
  /** Verifies the audit hash chain (see the audit_chain migration). */
  readonly auditChain: AuditChainVerifier;
  readonly runs: FlowRunStore;
  readonly secrets: SecretStore;
  readonly apiKeys: ApiKeyStore;
  /** The per-operation statements, in SQL (see OperationHotPath). */
  readonly hot: OperationHotPath;
  readonly prisma: PrismaClient;

  constructor(
    readonly database: Database,
    readonly secretBox: SecretBox,
  ) {
    const prisma = database.prisma;
    this.prisma = prisma;
    this.hot = new OperationHotPath(database.pool);
    this.resources = new ResourceStore(prisma, database.pool);
    this.operations = new OperationStore(prisma);
    this.audit = new AuditStore(prisma);
    this.auditChain = new AuditChainVerifier({ pool: database.pool });
    this.runs = new FlowRunStore(prisma);
    this.apiKeys = new ApiKeyStore(prisma);
    this.secrets = new SecretStore(prisma, secretBox);
  }

  transaction<T>(work: (tx: Prisma.TransactionClient) => Promise<T>): Promise<T> {
    return this.prisma.$transaction(work, { timeout: 15_000 });
  }

  async ping(): Promise<void> {
    await this.database.pool.query('SELECT 1');
  }

  async close(): Promise<void> {
    await this.prisma.$disconnect();
    await this.database.pool.end();
  }
}
