import { NotFoundError, ValidationError } from '../errors/app-errors.js';
import type { Logger } from '../logging/logger.js';
import type { EventBus } from '../pubsub/event-bus.js';
import { topics } from '../pubsub/events.js';
import type { ApiKey } from '../store/api-key.store.js';
import { inTransaction } from '../store/db.js';
import type { Store } from '../store/store.js';
import { generateApiKey } from './api-key-format.js';
import { isRole, ROLES, SANDBOX_NAME, type Role } from './caller.js';

export interface ApiKeyRequest {
  name: string;
  role: string;
  sandboxes?: string[] | null;
  expiresAt?: Date | null;
}

/** Who manages the key, for the audit trail. */
export interface AuditSource {
  actor: string;
  sandbox: string;
  requestId?: string | null;
}

export const API_KEY_NAME = /^[A-Za-z0-9._-]{1,64}$/;

/** Checks a request to create a key; ValidationError naming the field otherwise. */
export function validateApiKeyRequest(request: ApiKeyRequest, fieldPrefix = ''): { name: string; role: Role; sandboxes: string[]; expiresAt: Date | null } {
  const f = (name: string) => `${fieldPrefix}${name}`;
  const name = request.name?.trim() ?? '';
  if (!API_KEY_NAME.test(name)) throw new ValidationError(f('name'), 'must be 1 to 64 letters, digits, dots, underscores or hyphens');
  if (!isRole(request.role)) throw new ValidationError(f('role'), `must be one of ${ROLES.join(', ')}`);
  const sandboxes = [...new Set(request.sandboxes ?? [])];
  if (sandboxes.length > 50) throw new ValidationError(f('sandboxes'), 'must list at most 50 sandboxes');
  for (const s of sandboxes) if (!SANDBOX_NAME.test(s)) throw new ValidationError(f('sandboxes'), `${JSON.stringify(s).slice(0, 80)} is not a sandbox name (lower-case letters, digits, hyphens)`);
  const expiresAt = request.expiresAt ?? null;
  if (expiresAt && (Number.isNaN(expiresAt.getTime()) || expiresAt.getTime() <= Date.now())) throw new ValidationError(f('expiresAt'), 'must be in the future');
  return { name, role: request.role, sandboxes, expiresAt };
}

/**
 * Creating and revoking API keys, each with its audit event in the same transaction. Used by
 * the GraphQL API, the `apikey` CLI and the first-start bootstrap. A revocation is published
 * on the event bus so every gateway process closes that key's sockets at once.
 */
export class ApiKeyService {
  constructor(private readonly options: { store: Store; bus: EventBus | null; logger: Logger }) {}

  /** Creates a key (and its audit event, in one transaction) and returns it: the only time the key exists outside the caller's hands. */
  async create(request: ApiKeyRequest, source: AuditSource, fieldPrefix = ''): Promise<{ row: ApiKey; key: string }> {
    const input = validateApiKeyRequest(request, fieldPrefix);
    const { store } = this.options;
    const generated = generateApiKey();
    return inTransaction(store.pool, async (client) => {
      const row = await store.apiKeys.create({ ...input, keyId: generated.keyId, secretHash: generated.secretHash, createdBy: source.actor }, client, `${fieldPrefix}name`);
      await store.ledger.appendAudit(
        {
          sandbox: source.sandbox,
          actor: source.actor,
          action: 'CREATED',
          resourceType: 'API_KEY',
          resourceId: row.id,
          after: describe(row),
          requestId: source.requestId ?? null,
        },
        client,
      );
      return { row, key: generated.key };
    });
  }

  /** Revokes the active key with this id or name; NOT_FOUND if there is none. */
  async revoke(by: { id?: string | null; name?: string | null }, source: AuditSource): Promise<ApiKey> {
    const { store } = this.options;
    const target = { ...(by.id ? { id: by.id } : {}), ...(by.name ? { name: by.name } : {}) };
    if (!target.id && !target.name) throw new ValidationError('id', 'give the id or the name of the key to revoke');
    const revoked = await inTransaction(store.pool, async (client) => {
      const row = await store.apiKeys.revoke(target, source.actor, client);
      if (!row) return null;
      await store.ledger.appendAudit(
        {
          sandbox: source.sandbox,
          actor: source.actor,
          action: 'REVOKED',
          resourceType: 'API_KEY',
          resourceId: row.id,
          before: { ...describe(row), revokedAt: null },
          after: describe(row),
          requestId: source.requestId ?? null,
        },
        client,
      );
      return row;
    });
    if (!revoked) throw new NotFoundError('ApiKey', by.id ?? by.name ?? '', by.id ? 'id' : 'name');
    await this.options.bus?.publish(topics.credentialsRevoked(), { apiKeyId: revoked.id, name: revoked.name }).catch((error: unknown) => {
      // The key is revoked in PostgreSQL either way; open sockets then close on their next re-check.
      this.options.logger.warn({ err: (error as Error).message }, 'could not publish a key revocation');
    });
    return revoked;
  }
}

/** What the audit trail records of a key: never its secret or hash. */
function describe(row: ApiKey): Record<string, unknown> {
  return {
    name: row.name,
    role: row.role,
    sandboxes: row.sandboxes,
    expiresAt: row.expiresAt?.toISOString() ?? null,
    createdBy: row.createdBy,
    revokedAt: row.revokedAt?.toISOString() ?? null,
  };
}
