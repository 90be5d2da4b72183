import type pg from 'pg';
import { decodeCursor, encodeCursor, type Page } from '../store/cursor.js';
import type { OnboardingRow, OnboardingState, OnboardingStatus, StepRow } from './onboarding-rows.js';

/** Reads of onboardings and their step ledgers (writes belong to OnboardingRequests and the orchestrator). */
export class OnboardingStore {
  constructor(private readonly pool: pg.Pool) {}

  async load(id: string, sandbox?: string): Promise<OnboardingState | null> {
    if (!/^[0-9a-f-]{36}$/i.test(id)) return null;
    const onboarding = (await this.pool.query<OnboardingRow>('SELECT * FROM onboardings WHERE id = $1', [id])).rows[0];
    if (!onboarding || (sandbox !== undefined && onboarding.sandbox !== sandbox)) return null;
    const steps = (await this.pool.query<StepRow>('SELECT * FROM onboarding_steps WHERE onboarding_id = $1 ORDER BY position, key', [id])).rows;
    return { onboarding, steps };
  }

  /** Newest first. */
  async list(filter: { sandbox: string; status?: OnboardingStatus | null }, first: number, after?: string | null): Promise<Page<OnboardingState>> {
    const params: unknown[] = [filter.sandbox];
    let where = 'sandbox = $1';
    if (filter.status) {
      params.push(filter.status);
      where += ` AND status = $${params.length}::"OnboardingStatus"`;
    }
    const countParams = [...params];
    const countWhere = where;
    if (after) {
      const position = decodeCursor(after);
      params.push(position.at, position.id);
      where += ` AND (created_at, id) < ($${params.length - 1}::timestamptz, $${params.length}::uuid)`;
    }
    params.push(first + 1);
    const [rows, count] = await Promise.all([
      this.pool.query<OnboardingRow>(`SELECT * FROM onboardings WHERE ${where} ORDER BY created_at DESC, id DESC LIMIT $${params.length}`, params),
      this.pool.query<{ n: number }>(`SELECT count(*)::int AS n FROM onboardings WHERE ${countWhere}`, countParams),
    ]);
    const page = rows.rows.slice(0, first);
    const steps = page.length === 0 ? [] : (await this.pool.query<StepRow>('SELECT * FROM onboarding_steps WHERE onboarding_id = ANY($1::uuid[]) ORDER BY position, key', [page.map((o) => o.id)])).rows;
    return {
      rows: page.map((onboarding) => ({ onboarding, steps: steps.filter((s) => s.onboarding_id === onboarding.id) })),
      hasNextPage: rows.rows.length > first,
      totalCount: count.rows[0].n,
    };
  }

  /** Puts FAILED forward steps back to PENDING so the saga resumes; false unless the onboarding is FAILED without a rollback. */
  async resume(id: string): Promise<boolean> {
    const client = await this.pool.connect();
    try {
      await client.query('BEGIN');
      const row = (await client.query<OnboardingRow>('SELECT * FROM onboardings WHERE id = $1 FOR UPDATE', [id])).rows[0];
      const undone = (await client.query<{ n: number }>('SELECT count(*)::int AS n FROM onboarding_steps WHERE onboarding_id = $1 AND undoes IS NOT NULL', [id])).rows[0].n;
      if (!row || row.status !== 'FAILED' || undone > 0) {
        await client.query('ROLLBACK');
        return false;
      }
      await client.query(`UPDATE onboarding_steps SET status = 'PENDING', error = NULL, finished_at = NULL, updated_at = now() WHERE onboarding_id = $1 AND undoes IS NULL AND status IN ('FAILED', 'CANCELLED')`, [id]);
      await client.query(`UPDATE onboardings SET status = 'RETRYING', error = NULL, finished_at = NULL, updated_at = now() WHERE id = $1`, [id]);
      await client.query('COMMIT');
      return true;
    } catch (error) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw error;
    } finally {
      client.release();
    }
  }

  /** Stops an unfinished onboarding: steps not started are cancelled; with rollback, what was made is undone. */
  async cancel(id: string, rollback: boolean): Promise<boolean> {
    const client = await this.pool.connect();
    try {
      await client.query('BEGIN');
      const row = (await client.query<OnboardingRow>('SELECT * FROM onboardings WHERE id = $1 FOR UPDATE', [id])).rows[0];
      if (!row || ['SUCCEEDED', 'FAILED', 'ROLLED_BACK', 'CANCELLED', 'ROLLING_BACK'].includes(row.status)) {
        await client.query('ROLLBACK');
        return false;
      }
      await client.query(`UPDATE onboarding_steps SET status = 'CANCELLED', updated_at = now() WHERE onboarding_id = $1 AND status = 'PENDING'`, [id]);
      await client.query(
        `UPDATE onboardings SET status = $2::"OnboardingStatus", error = $3::jsonb, finished_at = CASE WHEN $2 = 'CANCELLED' THEN now() ELSE NULL END, updated_at = now() WHERE id = $1`,
        [id, rollback ? 'ROLLING_BACK' : 'CANCELLED', JSON.stringify({ code: 'CANCELLED', message: 'cancelled by the user', retryable: false })],
      );
      await client.query('COMMIT');
      return true;
    } catch (error) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw error;
    } finally {
      client.release();
    }
  }
}

export function onboardingCursor(state: OnboardingState): string {
  return encodeCursor({ at: new Date(state.onboarding.created_at), id: state.onboarding.id });
}

