import { isUuid } from '../domain/ids.js';
import { randomUUID } from 'node:crypto';
import type pg from 'pg';
import { ValidationError } from '../errors/app-errors.js';
import type { Sql } from './db.js';
import { fromColumns, type Columns } from './rows.js';

/** An `api_keys` row: the hash of a key's secret, never the key. */
export interface ApiKey {
  id: string;
  /** The public part of the key, which finds the row. */
  keyId: string;
  name: string;
  role: string;
  sandboxes: string[];
  secretHash: string;
  expiresAt: Date | null;
  createdAt: Date;
  createdBy: string;
  lastUsedAt: Date | null;
  revokedAt: Date | null;
  revokedBy: string | null;
}

/** A key to store: its public id and the hash of its secret (generated in auth/). */
export interface NewApiKey {
  keyId: string;
  secretHash: string;
  name: string;
  role: string;
  sandboxes: string[];
  expiresAt: Date | null;
  createdBy: string;
}

/** Minimum time between two writes of a key's `last_used_at`. */
const LAST_USED_RESOLUTION_MS = 60_000;

/** Queries on `api_keys`. */
export class ApiKeyStore {
  constructor(private readonly pool: pg.Pool) {}

  /** Stores a key; a name already used by an active key is a BAD_USER_INPUT on `nameField`. */
  async create(input: NewApiKey, sql: Sql = this.pool, nameField = 'name'): Promise<ApiKey> {
    if ((await sql.query('SELECT 1 FROM api_keys WHERE name = $1 AND revoked_at IS NULL', [input.name])).rows.length > 0) throw nameTaken(nameField);
    try {
      const result = await sql.query<ApiKeyColumns>(
        `INSERT INTO api_keys (id, key_id, name, role, sandboxes, secret_hash, expires_at, created_by) VALUES ($1::uuid, $2, $3, $4, $5, $6, $7, $8) RETURNING *`,
        [randomUUID(), input.keyId, input.name, input.role, input.sandboxes, input.secretHash, input.expiresAt, input.createdBy],
      );
      return apiKeyFromRow(result.rows[0]!);
    } catch (error) {
      // Two creates of one name racing: the partial unique index decides.
      if ((error as { code?: string }).code === '23505') throw nameTaken(nameField);
      throw error;
    }
  }

  /** One key by its row id (revoked ones included), or null. */
  async findById(id: string): Promise<ApiKey | null> {
    if (!isUuid(id)) return null;
    const result = await this.pool.query<ApiKeyColumns>({ name: 'fg_api_key_by_id', text: 'SELECT * FROM api_keys WHERE id = $1::uuid', values: [id] });
    return result.rows[0] ? apiKeyFromRow(result.rows[0]) : null;
  }

  async findByKeyId(keyId: string): Promise<ApiKey | null> {
    const result = await this.pool.query<ApiKeyColumns>({ name: 'fg_api_key', text: 'SELECT * FROM api_keys WHERE key_id = $1', values: [keyId] });
    return result.rows[0] ? apiKeyFromRow(result.rows[0]) : null;
  }

  /** Active keys first (by name), then revoked ones (newest revocation first). */
  async list(options: { includeRevoked?: boolean } = {}): Promise<ApiKey[]> {
    const result = await this.pool.query<ApiKeyColumns>(`SELECT * FROM api_keys ${options.includeRevoked ? '' : 'WHERE revoked_at IS NULL'} ORDER BY revoked_at DESC NULLS FIRST, name ASC`);
    return result.rows.map(apiKeyFromRow);
  }

  async count(sql: Sql = this.pool): Promise<number> {
    return (await sql.query<{ n: number }>('SELECT count(*)::int AS n FROM api_keys')).rows[0]!.n;
  }

  /** Revokes the active key with this id or name; null when there is none. */
  async revoke(by: { id?: string; name?: string }, revokedBy: string, sql: Sql = this.pool): Promise<ApiKey | null> {
    const result = await sql.query<ApiKeyColumns>(
      `UPDATE api_keys SET revoked_at = now(), revoked_by = $3
       WHERE id = (SELECT id FROM api_keys WHERE revoked_at IS NULL AND ($1::uuid IS NULL OR id = $1::uuid) AND ($2::text IS NULL OR name = $2) LIMIT 1)
         AND revoked_at IS NULL
       RETURNING *`,
      [by.id ?? null, by.name ?? null, revokedBy],
    );
    return result.rows[0] ? apiKeyFromRow(result.rows[0]) : null;
  }

  /** Records use, at most once a minute per key (the condition makes concurrent touches cheap no-ops). */
  async touch(id: string): Promise<void> {
    await this.pool.query({
      name: 'fg_api_key_touch',
      text: `UPDATE api_keys SET last_used_at = now() WHERE id = $1::uuid AND (last_used_at IS NULL OR last_used_at < now() - make_interval(secs => $2))`,
      values: [id, LAST_USED_RESOLUTION_MS / 1000],
    });
  }
}

export function lastUsedIsStale(lastUsedAt: Date | null): boolean {
  return !lastUsedAt || Date.now() - lastUsedAt.getTime() > LAST_USED_RESOLUTION_MS;
}

function nameTaken(field: string): ValidationError {
  return new ValidationError(field, 'an active API key already has this name; revoke it first or choose another');
}

/** An `api_keys` row as PostgreSQL returns it. */
type ApiKeyColumns = Columns<ApiKey>;

const apiKeyFromRow = (row: ApiKeyColumns): ApiKey => fromColumns<ApiKey>(row);
