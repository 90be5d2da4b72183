import { randomUUID } from 'node:crypto';
import { generateApiKey } from '../auth/api-key-format.js';
import type { Role } from '../auth/caller.js';
import { ValidationError } from '../errors/app-errors.js';
import type { ApiKey } from './generated/client.js';
import type { Db } from './store.js';

export type { ApiKey } from './generated/client.js';

export interface NewApiKey {
  name: string;
  role: Role;
  sandboxes: string[];
  expiresAt: Date | null;
  createdBy: string;
}

/** Minimum time between two writes of a key's `last_used_at`. */
const LAST_USED_RESOLUTION_MS = 60_000;

/** Queries on `api_keys`. Rows hold the hash of a key's secret, never the key. */
export class ApiKeyStore {
  constructor(private readonly db: Db) {}

  /**
   * Creates a key and returns it with the row: the only time the key exists outside the caller's
   * hands. A name already used by an active key is a BAD_USER_INPUT on `name`.
   */
  async create(input: NewApiKey, tx: Db = this.db, nameField = 'name'): Promise<{ row: ApiKey; key: string }> {
    const generated = generateApiKey();
    if (await tx.apiKey.findFirst({ where: { name: input.name, revokedAt: null }, select: { id: true } })) throw nameTaken(nameField);
    try {
      const row = await tx.apiKey.create({
        data: {
          id: randomUUID(),
          keyId: generated.keyId,
          name: input.name,
          role: input.role,
          sandboxes: input.sandboxes,
          secretHash: generated.secretHash,
          expiresAt: input.expiresAt,
          createdBy: input.createdBy,
        },
      });
      return { row, key: generated.key };
    } catch (error) {
      // Two creates of one name racing: the partial unique index decides.
      if (isUniqueViolation(error)) throw nameTaken(nameField);
      throw error;
    }
  }

  findByKeyId(keyId: string): Promise<ApiKey | null> {
    return this.db.apiKey.findUnique({ where: { keyId } });
  }

  /** Active keys first (by name), then revoked ones (newest revocation first). */
  list(options: { includeRevoked?: boolean } = {}): Promise<ApiKey[]> {
    return this.db.apiKey.findMany({
      where: options.includeRevoked ? {} : { revokedAt: null },
      orderBy: [{ revokedAt: { sort: 'desc', nulls: 'first' } }, { name: 'asc' }],
    });
  }

  count(tx: Db = this.db): Promise<number> {
    return tx.apiKey.count();
  }

  /** Revokes the active key with this id or name; null when there is none. */
  async revoke(by: { id?: string; name?: string }, revokedBy: string, tx: Db = this.db): Promise<ApiKey | null> {
    const row = await tx.apiKey.findFirst({ where: { ...(by.id ? { id: by.id } : {}), ...(by.name ? { name: by.name } : {}), revokedAt: null } });
    if (!row) return null;
    const updated = await tx.apiKey.updateMany({ where: { id: row.id, revokedAt: null }, data: { revokedAt: new Date(), revokedBy } });
    if (updated.count === 0) return null;
    return tx.apiKey.findUnique({ where: { id: row.id } });
  }

  /** Records use, at most once a minute per key (the condition makes concurrent touches cheap no-ops). */
  async touch(id: string): Promise<void> {
    await this.db.apiKey.updateMany({
      where: { id, OR: [{ lastUsedAt: null }, { lastUsedAt: { lt: new Date(Date.now() - LAST_USED_RESOLUTION_MS) } }] },
      data: { lastUsedAt: new Date() },
    });
  }
}

export function lastUsedIsStale(lastUsedAt: Date | null): boolean {
  return !lastUsedAt || Date.now() - lastUsedAt.getTime() > LAST_USED_RESOLUTION_MS;
}

function nameTaken(field: string): ValidationError {
  return new ValidationError(field, 'an active API key already has this name; revoke it first or choose another');
}

function isUniqueViolation(error: unknown): boolean {
  const e = error as { code?: string; message?: string; meta?: unknown } | null;
  return e?.code === 'P2002' || /23505|unique constraint/i.test(e?.message ?? '') || /23505/.test(JSON.stringify(e?.meta ?? ''));
}
