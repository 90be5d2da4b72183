import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { Pool } from 'pg';
import { captureState, restoreState, SnapshotCache, type StateParts } from './snapshot.js';

/**
 * Keeping the emulator's state across restarts (issue 12): after every request that changed it,
 * before the answer leaves, the entries that changed are written to a backend — a file, or a
 * schema of its own in a PostgreSQL database (what `npm start` uses: the state lives and goes with
 * Flowgate's own database). Without a backend the state is in memory only.
 */

/** Where a persisted state lives. */
export type StateBackendOptions =
  /** A JSON file, rewritten whole (atomically) on every change. */
  | { kind: 'file'; path: string }
  /** Table `entries` of `schema` (default `aep_emulator`), created when missing; only changed entries are written. */
  | { kind: 'postgres'; url: string; schema?: string };

/** A place entries are loaded from and saved to. */
export interface StateBackend {
  load(): Promise<Map<string, string>>;
  /** Writes `upserts` and removes `removals` as one change. */
  save(upserts: ReadonlyMap<string, string>, removals: readonly string[], all: ReadonlyMap<string, string>): Promise<void>;
  close(): Promise<void>;
  /** Where the state is, for messages (never a password). */
  readonly description: string;
}

export function openBackend(options: StateBackendOptions): StateBackend {
  return options.kind === 'file' ? new FileBackend(options.path) : new PostgresBackend(options.url, options.schema ?? 'aep_emulator');
}

class FileBackend implements StateBackend {
  readonly description: string;

  constructor(private readonly file: string) {
    this.description = `file ${file}`;
  }

  async load(): Promise<Map<string, string>> {
    if (!existsSync(this.file)) return new Map();
    const parsed = JSON.parse(readFileSync(this.file, 'utf8')) as { version?: unknown; entries?: Record<string, string> };
    if (parsed.version !== 1 || typeof parsed.entries !== 'object' || parsed.entries === null) throw new Error(`${this.file} is not an emulator state (version 1)`);
    return new Map(Object.entries(parsed.entries));
  }

  async save(_upserts: ReadonlyMap<string, string>, _removals: readonly string[], all: ReadonlyMap<string, string>): Promise<void> {
    mkdirSync(path.dirname(this.file), { recursive: true, mode: 0o700 });
    const temporary = `${this.file}.${process.pid}.tmp`;
    writeFileSync(temporary, JSON.stringify({ version: 1, entries: Object.fromEntries(all) }), { mode: 0o600 });
    renameSync(temporary, this.file);
  }

  async close(): Promise<void> {}
}

class PostgresBackend implements StateBackend {
  readonly description: string;
  private readonly pool: Pool;
  private readonly table: string;

  constructor(
    url: string,
    private readonly schema: string,
  ) {
    if (!/^[a-z_][a-z0-9_]*$/.test(schema)) throw new RangeError(`invalid schema name ${schema}`);
    this.pool = new Pool({ connectionString: url, max: 2 });
    this.table = `${schema}.entries`;
    this.description = `schema ${schema} of the PostgreSQL database ${safeDatabaseName(url)}`;
  }

  async load(): Promise<Map<string, string>> {
    await this.pool.query(`CREATE SCHEMA IF NOT EXISTS ${this.schema}`);
    await this.pool.query(`CREATE TABLE IF NOT EXISTS ${this.table} (key text PRIMARY KEY, value text NOT NULL, updated_at timestamptz NOT NULL DEFAULT now())`);
    const { rows } = await this.pool.query<{ key: string; value: string }>(`SELECT key, value FROM ${this.table}`);
    return new Map(rows.map((row) => [row.key, row.value]));
  }

  async save(upserts: ReadonlyMap<string, string>, removals: readonly string[]): Promise<void> {
    const client = await this.pool.connect();
    try {
      await client.query('BEGIN');
      if (removals.length > 0) await client.query(`DELETE FROM ${this.table} WHERE key = ANY($1::text[])`, [removals]);
      const entries = [...upserts];
      // A few hundred entries per statement keeps each one well within PostgreSQL's parameter limit.
      for (let i = 0; i < entries.length; i += 500) {
        const chunk = entries.slice(i, i + 500);
        await client.query(
          `INSERT INTO ${this.table} (key, value) SELECT * FROM unnest($1::text[], $2::text[])
           ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value, updated_at = now()`,
          [chunk.map(([k]) => k), chunk.map(([, v]) => v)],
        );
      }
      await client.query('COMMIT');
    } catch (error) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw error;
    } finally {
      client.release();
    }
  }

  async close(): Promise<void> {
    await this.pool.end();
  }
}

function safeDatabaseName(url: string): string {
  try {
    return new URL(url).pathname.replace(/^\//, '') || '(default)';
  } catch {
    return '(unparsable URL)';
  }
}

/**
 * Writes what changed since the last save. Saves run one at a time; calls that arrive while
 * one runs share the next, so a burst of requests costs one save, not one each.
 */
export class StatePersister {
  private saved = new Map<string, string>();
  private readonly cache = new SnapshotCache();
  private dirty = false;
  private runChangesSaved = 0;
  private running: Promise<void> | null = null;
  private queued: Promise<void> | null = null;

  constructor(
    private readonly parts: StateParts,
    private readonly backend: StateBackend,
    private readonly warn: (message: string) => void,
  ) {}

  get description(): string {
    return this.backend.description;
  }

  /** Loads the saved state into the emulator; returns how many entries it held. */
  async load(): Promise<number> {
    const entries = await this.backend.load();
    if (entries.size > 0) restoreState(this.parts, entries, this.warn);
    this.saved = new Map(entries);
    return entries.size;
  }

  /** Something changed the state outside a request that saves anyway (e.g. a run completed during a read). */
  markDirty(): void {
    this.dirty = true;
  }

  get isDirty(): boolean {
    return this.dirty;
  }

  /**
   * Saves after a request that may have changed the state: any but a GET or HEAD, or one during
   * which runs started or completed (time is evaluated lazily, on reads too).
   */
  saveAfter(method: string): Promise<void> | undefined {
    if (method === 'GET' || method === 'HEAD') {
      if (!this.dirty && this.parts.runs.changes === this.runChangesSaved) return undefined;
    }
    return this.flush();
  }

  /** Saves the changes made so far; resolves once a save that began after this call has finished. */
  flush(): Promise<void> {
    this.dirty = true;
    if (!this.running) {
      this.running = this.saveNow().finally(() => {
        this.running = null;
      });
      return this.running;
    }
    // A save is under way with an older state: one more follows it, shared by every caller until it starts.
    this.queued ??= this.running
      .catch(() => undefined)
      .then(() => {
        this.queued = null;
        return this.flush();
      });
    return this.queued;
  }

  private async saveNow(): Promise<void> {
    this.dirty = false;
    this.runChangesSaved = this.parts.runs.changes;
    const current = captureState(this.parts, this.cache);
    const upserts = new Map<string, string>();
    for (const [k, v] of current) if (this.saved.get(k) !== v) upserts.set(k, v);
    const removals = [...this.saved.keys()].filter((k) => !current.has(k));
    if (upserts.size === 0 && removals.length === 0) return;
    try {
      await this.backend.save(upserts, removals, current);
      this.saved = current;
    } catch (error) {
      // Kept dirty: the next request saves again.
      this.dirty = true;
      throw error;
    }
  }

  async close(): Promise<void> {
    if (this.dirty) await this.flush().catch((error: Error) => this.warn(`the last state save failed: ${error.message}`));
    await this.running?.catch(() => undefined);
    await this.backend.close();
  }
}
