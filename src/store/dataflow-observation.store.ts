import type pg from 'pg';
import type { FlowSchedule } from '../domain/schedule-rules.js';

/** The Platform's flow of one dataflow, as one listing read it. */
export interface FlowObservation {
  dataflowId: string;
  /** False: the flow was not in the sandbox's listing. */
  found: boolean;
  state: 'enabled' | 'disabled' | null;
  etag: string | null;
  schedule: FlowSchedule | null;
  mappingVersion: number | null;
}

/**
 * `dataflow_observations`: what the run sync last saw of each dataflow's flow on the Platform
 * (its one writer), for the watchdog to compare with Flowgate's record.
 */
export class DataflowObservationStore {
  constructor(private readonly pool: pg.Pool) {}

  /**
   * The database's clock, read before a listing: an observation is stamped with when it was
   * asked for, so a change Flowgate recorded while the listing was under way is never taken for
   * older than it (which would report our own change as drift).
   */
  async now(): Promise<Date> {
    return (await this.pool.query<{ now: Date }>({ name: 'fg_db_now', text: 'SELECT now() AS now' })).rows[0]!.now;
  }

  /** Stores the observations of one listing in one statement, replacing older ones. */
  async record(observedAt: Date, observations: FlowObservation[]): Promise<void> {
    if (observations.length === 0) return;
    await this.pool.query({
      name: 'fg_observe_flows',
      text: `INSERT INTO dataflow_observations (dataflow_id, observed_at, found, state, etag, schedule, mapping_version)
             SELECT x.dataflow_id, $1, x.found, x.state, x.etag, x.schedule, x.mapping_version
             FROM jsonb_to_recordset($2::jsonb) AS x(dataflow_id uuid, found boolean, state text, etag text, schedule jsonb, mapping_version int)
             ON CONFLICT (dataflow_id) DO UPDATE SET observed_at = EXCLUDED.observed_at, found = EXCLUDED.found, state = EXCLUDED.state, etag = EXCLUDED.etag,
               schedule = EXCLUDED.schedule, mapping_version = EXCLUDED.mapping_version
             WHERE dataflow_observations.observed_at <= EXCLUDED.observed_at`,
      values: [
        observedAt,
        JSON.stringify(observations.map((o) => ({ dataflow_id: o.dataflowId, found: o.found, state: o.state, etag: o.etag, schedule: o.schedule, mapping_version: o.mappingVersion }))),
      ],
    });
  }
}
